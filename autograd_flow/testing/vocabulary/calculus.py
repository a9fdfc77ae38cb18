"""Numerical calculus for random graphs: gradient along a drawn axis, of edge order 1 or
2, on unit steps or unequally spaced sample points (where the axis has enough samples).
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ... import ops
from ...core.box import Box
from ..builder import Builder, Recipe


def _gradient(b: Builder, a: Box) -> Box | None:
    shape = np.shape(a.value)
    if not shape:
        return None
    axis = b.draw(st.integers(-len(shape), len(shape) - 1))
    edge_order = b.draw(st.sampled_from([1, 2]))
    if shape[axis] <= edge_order:
        return None
    points = np.cumsum(np.resize([0.5, 1.0, 0.25], shape[axis]))
    spacing = points if b.draw(st.booleans()) else 1.0
    return ops.Gradient(a, axis=axis, spacing=spacing, edge_order=edge_order)


#: How a random graph draws the calculus ops, by the op's name.
RECIPES: dict[str, Recipe] = {
    "gradient": _gradient,
}
