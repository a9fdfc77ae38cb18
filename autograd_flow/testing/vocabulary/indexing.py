"""Indexing and joins for random graphs: ``a[index]`` with an index drawn to fit a's
shape (integers, slices with negative steps, integer arrays with repeated entries,
masks, index arrays fed as Inputs, None, Ellipsis), pick by class labels, and
concatenate, stack and split (its parts joined back in reverse order).
"""
from __future__ import annotations

from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

from ...core.box import Box, Input
from ...ops import surface as N
from ..builder import Builder, Recipe
from ..values import Shape


def _index_part(b: Builder, side: int, array_shape: Shape) -> Any:
    """One part of an index for an axis of length ``side``."""
    kind = b.draw(st.sampled_from(["int", "slice", "all", "array", "mask", "input"]))
    if kind == "int":
        return b.draw(st.integers(-side, side - 1))
    if kind == "slice":
        bound = st.none() | st.integers(-side - 1, side + 1)
        step = st.none() | st.sampled_from([-2, -1, 1, 2, 3])
        return slice(b.draw(bound), b.draw(bound), b.draw(step))
    if kind == "array":
        return b.draw(hnp.arrays(np.int64, array_shape, elements=st.integers(-side, side - 1)))
    if kind == "mask":
        return b.draw(hnp.arrays(np.bool_, (side,)))
    if kind == "input":  # index arrays fed at run time (an embedding lookup)
        ids = Input(b.name("ids"))
        ids.value = b.draw(hnp.arrays(np.int64, array_shape,
                                      elements=st.integers(-side, side - 1)))
        b.feed[ids] = ids.value
        return ids
    return slice(None)


def _getitem(b: Builder, a: Box) -> Box:
    """a[index] with an index drawn to fit a's shape: integers, slices (negative steps),
    integer arrays (repeated entries), masks, index arrays from Inputs, None, Ellipsis."""
    shape = np.shape(a.value)
    array_shape = b.draw(st.sampled_from([(1,), (2,), (3,), (2, 2)]))
    parts: list[Any] = []
    for side in shape[:b.draw(st.integers(min(1, len(shape)), len(shape)))]:
        if b.draw(st.integers(0, 4)) == 0:
            parts.append(None)
        parts.append(_index_part(b, side, array_shape))
    if b.draw(st.booleans()):
        parts.insert(b.draw(st.integers(0, len(parts))), Ellipsis)
    return a[tuple(parts)]


def _pick(b: Builder, a: Box) -> Box:
    rows, classes = np.shape(a.value)
    return N.pick(a, b.labels(rows, classes))


def _concatenate(b: Builder, a: Box) -> Box:
    shape = np.shape(a.value)
    if not shape:
        return N.concatenate([a, b.operand((b.draw(st.integers(1, 3)),))], axis=None)
    axis = b.draw(st.sampled_from([None, *range(-len(shape), len(shape))]))
    other = list(shape)
    if axis is not None:
        other[axis] = b.draw(st.integers(1, 3))
    arrays = [a, b.operand(tuple(other))]
    if b.draw(st.booleans()):
        arrays.reverse()
    return N.concatenate(arrays, axis=axis)


def _stack(b: Builder, a: Box) -> Box:
    shape = np.shape(a.value)
    arrays = [a] + [b.operand(shape) for _ in range(b.draw(st.integers(0, 2)))]
    return N.stack(arrays, axis=b.draw(st.integers(-len(shape) - 1, len(shape))))


def _split(b: Builder, a: Box) -> Box:
    """The parts of a split (or array_split), joined back in reverse order."""
    shape = np.shape(a.value)
    axis = b.draw(st.integers(-len(shape), len(shape) - 1))
    length = shape[axis]
    choice = b.draw(st.sampled_from(["equal", "unequal", "indices"]))
    if choice == "equal":
        sections = b.draw(st.sampled_from([n for n in range(1, length + 1) if length % n == 0]))
        parts = N.split(a, sections, axis=axis)
    elif choice == "unequal":
        parts = N.array_split(a, b.draw(st.integers(1, length + 1)), axis=axis)
    else:
        indices = b.draw(st.lists(st.integers(-length, length + 1), max_size=3))
        parts = N.array_split(a, indices, axis=axis)
    return N.concatenate(parts[::-1], axis=axis)


#: How a random graph draws indexing and the joins, by the op's name.
RECIPES: dict[str, Recipe] = {
    "pick": _pick,
    "getitem": _getitem,
    "concatenate": _concatenate,
    "stack": _stack,
    "split": _split,
}
