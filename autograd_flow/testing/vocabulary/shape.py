"""Shape, arrangement and matrix-structure ops for random graphs: reshape, transpose,
axes inserted, removed, swapped or moved, broadcasting, padding, flips, rotations,
rolls, tiles, repeats, sorting, triangles, diagonals and Kronecker products.

Their settings are drawn from the input's shape, so each draw is valid; sort is kept
only where no two sorted entries are within 0.01 (away from its kinks, the ties).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st

from ...core.box import Box
from ...ops import surface as N
from ...ops.arrange import PAD_MODES
from ..builder import Builder, Recipe
from ..values import floats, shapes


def _reshape(b: Builder, a: Box) -> Box:
    shape = np.shape(a.value)
    size = int(np.prod(shape))
    target = b.draw(st.sampled_from([(-1,), tuple(reversed(shape)), (1,) + shape, (size, 1)]))
    return a.reshape(target)


def _transpose(b: Builder, a: Box) -> Box:
    """Reversed axes, or a permutation with some axes counted from the end (-1, ...)."""
    ndim = np.ndim(a.value)
    permutation = b.draw(st.none() | st.permutations(range(ndim)))
    if permutation is None:
        return N.transpose(a)
    return N.transpose(a, tuple(axis - ndim if b.draw(st.booleans()) else axis
                                for axis in permutation))


def _axes(b: Builder, ndim: int, count: int) -> tuple[int, ...]:
    """``count`` distinct axes of ``ndim``, each counted from the front or the end."""
    chosen = b.draw(st.permutations(range(ndim)))[:count]
    return tuple(axis - ndim if b.draw(st.booleans()) else axis for axis in chosen)


def _expand_dims(b: Builder, a: Box) -> Box:
    ndim = np.ndim(a.value) + 1
    return N.expand_dims(a, _axes(b, ndim, 1)[0] if b.draw(st.booleans())
                         else _axes(b, ndim + 1, 2))


def _squeeze(b: Builder, a: Box) -> Box:
    shape = np.shape(a.value)
    ones = [k for k, side in enumerate(shape) if side == 1]
    if not ones or b.draw(st.booleans()):
        return N.squeeze(a)
    return N.squeeze(a, b.draw(st.sampled_from([k - len(shape) for k in ones] + ones)))


def _swapaxes(b: Builder, a: Box) -> Box:
    ndim = np.ndim(a.value)
    return N.swapaxes(a, *(b.draw(st.integers(-ndim, ndim - 1)) for _ in range(2)))


def _moveaxis(b: Builder, a: Box) -> Box:
    ndim = np.ndim(a.value)
    count = b.draw(st.integers(1, ndim))
    source, destination = _axes(b, ndim, count), _axes(b, ndim, count)
    if count == 1 and b.draw(st.booleans()):
        return N.moveaxis(a, source[0], destination[0])
    return N.moveaxis(a, source, destination)


def _broadcast_to(b: Builder, a: Box) -> Box:
    shape = tuple(2 if side == 1 and b.draw(st.booleans()) else side
                  for side in np.shape(a.value))
    return N.broadcast_to(a, (b.draw(st.integers(1, 2)),) * b.draw(st.integers(0, 1)) + shape)


def _astype(b: Builder, a: Box) -> Box:
    """The input's own dtype, in numpy's spellings (a float32 draw would round, and
    central differences of a rounded value are not accurate)."""
    dtype = np.result_type(a.value)
    return N.astype(a, b.draw(st.sampled_from([dtype, dtype.name, dtype.type])))


def _pad(b: Builder, a: Box) -> Box:
    ndim = np.ndim(a.value)
    pair = st.tuples(st.integers(0, 1), st.integers(0, 1))
    per_axis = st.lists(pair, min_size=ndim, max_size=ndim) if ndim else pair
    width = b.draw(st.integers(0, 1) | pair | per_axis)
    if all(np.shape(a.value)) and b.draw(st.booleans()):  # copies of a's entries
        return N.pad(a, width, mode=b.draw(st.sampled_from(PAD_MODES[1:])))
    constant = b.leaf(()) if b.draw(st.booleans()) else b.draw(floats("real"))
    return N.pad(a, width, constant_values=constant)


def _flip(b: Builder, a: Box) -> Box:
    ndim = np.ndim(a.value)
    return N.flip(a, b.draw(st.sampled_from([None, *range(-ndim, ndim), tuple(range(ndim))])))


def _rot90(b: Builder, a: Box) -> Box:
    return N.rot90(a, b.draw(st.integers(-2, 3)), _axes(b, np.ndim(a.value), 2))


def _roll(b: Builder, a: Box) -> Box:
    ndim = np.ndim(a.value)
    shift = b.draw(st.integers(-3, 3))
    if ndim == 0 or b.draw(st.booleans()):
        return N.roll(a, shift)
    return N.roll(a, (shift, b.draw(st.integers(-2, 2))), _axes(b, ndim, 2) if ndim > 1
                  else (0, -1))


def _tile(b: Builder, a: Box) -> Box:
    return N.tile(a, b.draw(st.integers(1, 2) | st.lists(st.integers(1, 2), min_size=1,
                                                           max_size=np.ndim(a.value) + 1)))


def _repeat(b: Builder, a: Box) -> Box:
    shape = np.shape(a.value)
    axis = b.draw(st.sampled_from([None, *range(-len(shape), len(shape))]))
    length = int(np.prod(shape)) if axis is None else shape[axis]
    counts = b.draw(st.integers(1, 2) | st.lists(st.integers(0, 2), min_size=length,
                                                 max_size=length).filter(any))
    return N.repeat(a, counts, axis)


def _sort(b: Builder, a: Box) -> Box | None:
    ndim = np.ndim(a.value)
    axis = b.draw(st.sampled_from([None, *range(-ndim, ndim)]))
    ordered = np.sort(a.value, axis=axis)
    gaps = np.diff(ordered, axis=-1 if axis is None else axis)
    return N.sort(a, axis) if np.all(gaps >= 0.01) else None


def _triangle(function: Callable[..., Box]) -> Callable[[Builder, Box], Box]:
    return lambda b, a: function(a, b.draw(st.integers(-1, 1)))


def _diagonal(b: Builder, a: Box) -> Box:
    offset = b.draw(st.integers(-1, 1))
    first, second = _axes(b, np.ndim(a.value), 2)
    return N.diagonal(a, offset, first, second)


def _diag(b: Builder, a: Box) -> Box:
    return N.diag(a, b.draw(st.integers(-1, 1)))


def _kron(b: Builder, a: Box) -> Box:
    size = np.size(a.value)
    fits = [p for p in b.pool if np.size(p.value) * size <= 36]
    other = b.draw(st.sampled_from(fits)) if fits and b.draw(st.booleans()) else \
        b.leaf(b.draw(shapes(max_dims=2, max_side=2)))
    return N.kron(a, other) if b.draw(st.booleans()) else N.kron(other, a)


#: How a random graph draws the shape ops (their settings, drawn
#: from the input's shape), by the op's name.
RECIPES: dict[str, Recipe] = {
    "reshape": _reshape,
    "transpose": _transpose,
    "expand_dims": _expand_dims,
    "squeeze": _squeeze,
    "swapaxes": _swapaxes,
    "moveaxis": _moveaxis,
    "broadcast_to": _broadcast_to,
    "astype": _astype,
    "pad": _pad,
    "flip": _flip,
    "rot90": _rot90,
    "roll": _roll,
    "tile": _tile,
    "repeat": _repeat,
    "sort": _sort,
    "triu": _triangle(N.triu),
    "tril": _triangle(N.tril),
    "diagonal": _diagonal,
    "diag": _diag,
    "kron": _kron,
}
