"""numpy's floating-point toolbox for random graphs: trunc only at least 0.01 away from
the integers (where it jumps); copysign and logaddexp2 are drawn from their
declarations.
"""
from __future__ import annotations

import numpy as np

from ... import ops
from ...core.box import Box
from ..builder import Builder, Recipe


def _trunc(b: Builder, a: Box) -> Box | None:
    value = np.asarray(a.value)
    return ops.Trunc(a) if np.all(np.abs(value - np.round(value)) >= 0.01) else None


#: How a random graph draws the toolbox's functions with jumps, by the op's name.
RECIPES: dict[str, Recipe] = {
    "trunc": _trunc,
}
