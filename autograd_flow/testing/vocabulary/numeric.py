"""numpy's floating-point toolbox for random graphs: trunc only at least 0.01 away from
the integers (where it jumps), frexp's mantissa and exponent only at least 0.01 away
from 0 and, in log2, from the powers of two (where they jump); copysign and logaddexp2
are drawn from their declarations.
"""
from __future__ import annotations

import numpy as np

from ... import ops
from ...core.box import Box
from ...ops import surface as N
from ..builder import Builder, Recipe


def _trunc(b: Builder, a: Box) -> Box | None:
    value = np.asarray(a.value)
    return ops.Trunc(a) if np.all(np.abs(value - np.round(value)) >= 0.01) else None


def _frexp_part(cls: type[Box]) -> Recipe:
    """The mantissa of a, or where(exponent(a) > 0, a, partner) (the exponent is an
    integer, no gradient)."""
    def make(b: Builder, a: Box) -> Box | None:
        size = np.abs(np.asarray(a.value, np.float64))
        if not np.all(size >= 0.01):
            return None
        octave = np.log2(size)
        if not np.all(np.abs(octave - np.round(octave)) >= 0.01):
            return None
        return cls(a) if cls is ops.Mantissa else N.where(cls(a) > 0, a, b.partner(a, "real"))

    return make


#: How a random graph draws the toolbox's functions with jumps, by the op's name.
def _irfft(b: Builder, a: Box) -> Box | None:
    """irfft along the last axis of a half-spectrum of at least 2 points (one point
    would make an empty signal)."""
    if np.ndim(a.value) < 1 or np.shape(a.value)[-1] < 2:
        return None
    return ops.Irfftn(a, axes=(-1,))


RECIPES: dict[str, Recipe] = {
    "trunc": _trunc,
    "fft.irfft": _irfft,
    "frexp_mantissa": _frexp_part(ops.Mantissa),
    "frexp_exponent": _frexp_part(ops.Exponent),
}
