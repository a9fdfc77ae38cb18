"""Gathers and scatters for random graphs: take_along_axis and put_along_axis with index
arrays drawn to fit (repeated entries, negative ones, axes that broadcast), and add_at
with an integer array along a drawn axis (repeated entries add up).
"""
from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

from ...core.box import Box
from ...ops import surface as N
from ..builder import Builder, Recipe


def _axis_and_indices(b: Builder, a: Box) -> tuple[int, np.ndarray]:
    """An axis of a, and indices of a's number of axes: 1 to 3 along the axis (negative
    ones too), and along each other axis a's length or 1 (broadcast)."""
    shape = np.shape(a.value)
    axis = b.draw(st.integers(-len(shape), len(shape) - 1))
    side = shape[axis]
    index_shape = tuple(b.draw(st.integers(1, 3)) if k == axis % len(shape)
                        else b.draw(st.sampled_from([n, 1])) for k, n in enumerate(shape))
    indices = b.draw(hnp.arrays(np.int64, index_shape, elements=st.integers(-side, side - 1)))
    return axis, indices


def _take_along_axis(b: Builder, a: Box) -> Box:
    axis, indices = _axis_and_indices(b, a)
    return N.take_along_axis(a, indices, axis=axis)


def _put_along_axis(b: Builder, a: Box) -> Box:
    """values of the shape of the entries put (a box of that shape, or one number)."""
    axis, indices = _axis_and_indices(b, a)
    shape = np.shape(np.take_along_axis(a.value, indices, axis))
    values = b.operand(shape) if b.boolean() else b.operand(())
    return N.put_along_axis(a, indices, values, axis=axis)


def _add_at(b: Builder, a: Box) -> Box:
    """values added at an integer array (repeated entries) along a drawn axis."""
    shape = np.shape(a.value)
    axis = b.draw(st.integers(0, len(shape) - 1))
    side = shape[axis]
    ids = b.draw(hnp.arrays(np.int64, b.draw(st.integers(1, 4)),
                            elements=st.integers(-side, side - 1)))
    index = (slice(None),) * axis + (ids,)
    values = b.operand(np.shape(a.value[index]))
    return N.add_at(a, index, values)


#: How a random graph draws the gathers and scatters, by the op's name.
RECIPES: dict[str, Recipe] = {
    "take_along_axis": _take_along_axis,
    "put_along_axis": _put_along_axis,
    "add_at": _add_at,
}
