"""Arrangement primitives: the entries of a in another order (flip, rot90, roll, sort),
copied (tile, repeat) or surrounded by a constant or copies of its edges (pad). Each
gradient sends every entry of d y back to the entry of a it came from, summing over
copies."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, get_args

import numpy as np

from ..core.box import Box
from ..errors import BoxError, describe
from .axes import (
    as_tuple,
    axis_index,
    axis_indices,
    integer_setting,
    integers_setting,
    interleaved,
)
from .plumbing import on_boxes
from .registry import function, primitive

Axis = int | Sequence[int] | None


@primitive("flip", numpy=np.flip)
class Flip(Box):
    """y = a with the order of entries reversed along axis (all axes by default);
    d a = d y flipped the same way"""

    linear_in = (0,)

    def __init__(self, a: Any, axis: Axis = None, name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.axis = None if axis is None else integers_setting(self, axis, "axis")

    def fprop(self, a):
        if self.axis is not None:
            axis_indices(self, as_tuple(self.axis), np.shape(a))
        return np.flip(a, self.axis)

    def bprop(self, grad, a):
        return np.flip(grad, self.axis)


@primitive("rot90", numpy=np.rot90, dims=(2, 3))
class Rot90(Box):
    """y = a rotated by k quarter turns in the plane of axes (from the first axis towards
    the second);   d a = d y rotated by -k"""

    linear_in = (0,)

    def __init__(self, a: Any, k: int = 1, axes: Sequence[int] = (0, 1),
                 name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.k = integer_setting(self, k, "k")
        pair = as_tuple(integers_setting(self, axes, "axes"))
        if len(pair) != 2:
            raise BoxError(f"{describe(self)}: axes must name two axes, got {axes!r}.")
        self.axes: tuple[int, int] = (pair[0], pair[1])

    def fprop(self, a):
        axis_indices(self, self.axes, np.shape(a), "axes")
        return np.rot90(a, self.k, self.axes)

    def bprop(self, grad, a):
        return np.rot90(grad, -self.k, self.axes)


@primitive("roll", numpy=np.roll)
class Roll(Box):
    """y = a with entries shifted cyclically by shift along axis (of the flattened a
    when axis is None);   d a = d y rolled by -shift"""

    linear_in = (0,)

    def __init__(self, a: Any, shift: int | Sequence[int], axis: Axis = None,
                 name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.shift = integers_setting(self, shift, "shift")
        self.axis = None if axis is None else integers_setting(self, axis, "axis")
        if self.axis is not None and len(as_tuple(self.shift)) != len(as_tuple(self.axis)) \
                and 1 not in (len(as_tuple(self.shift)), len(as_tuple(self.axis))):
            raise BoxError(f"{describe(self)}: shift {shift!r} and axis {axis!r} must have "
                           "the same length (or one of them a single value).")

    def fprop(self, a):
        if self.axis is not None:
            for axis in as_tuple(self.axis):  # an axis may be named twice (shifts add up)
                axis_index(self, axis, np.shape(a))
        return np.roll(a, self.shift, self.axis)

    def bprop(self, grad, a):
        return np.roll(grad, _negated(self.shift), self.axis)


def _negated(shift: int | tuple[int, ...]) -> int | tuple[int, ...]:
    return -shift if isinstance(shift, int) else tuple(-s for s in shift)


@primitive("tile", numpy=np.tile)
class Tile(Box):
    """y = a repeated reps[k] times along axis k (numpy's rules for unequal lengths);
    d a = d y summed over the copies"""

    linear_in = (0,)

    def __init__(self, a: Any, reps: int | Sequence[int], name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.reps = as_tuple(integers_setting(self, reps, "reps"))
        if any(count < 0 for count in self.reps):
            raise BoxError(f"{describe(self)}: reps {reps!r} has a negative count.")

    def fprop(self, a):
        return np.tile(a, self.reps)

    def bprop(self, grad, a):
        ndim = max(np.ndim(a), len(self.reps))
        reps = (1,) * (ndim - len(self.reps)) + self.reps
        shape = (1,) * (ndim - np.ndim(a)) + np.shape(a)
        copies = np.reshape(grad, interleaved(reps, shape))
        return np.reshape(np.sum(copies, axis=tuple(range(0, 2 * ndim, 2))), np.shape(a))


@primitive("repeat", numpy=np.repeat, method="repeat")
class Repeat(Box):
    """y = each entry of a repeated repeats times (or repeats[i] times for entry i)
    along axis (of the flattened a when axis is None);   d a = d y summed over each
    entry's copies"""

    linear_in = (0,)

    def __init__(self, a: Any, repeats: int | Sequence[int], axis: int | None = None,
                 name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.repeats = integers_setting(self, repeats, "repeats")
        self.axis = None if axis is None else integer_setting(self, axis, "axis")
        if min(as_tuple(self.repeats), default=0) < 0:
            raise BoxError(f"{describe(self)}: repeats {repeats!r} has a negative count.")

    def _counts(self, a: Any) -> tuple[np.ndarray, int]:
        """The count of each entry along the axis, and that axis (0 of the flattened a
        when axis is None or a is 0-d, as numpy)."""
        shape = np.shape(a)
        flat = self.axis is None or not shape
        if flat and self.axis not in (None, 0, -1):
            axis_index(self, int(self.axis), shape)  # raises: a 0-d array has no such axis
        axis = 0 if flat or self.axis is None else axis_index(self, self.axis, shape)
        length = int(np.prod(shape)) if flat else shape[axis]
        counts = np.asarray(self.repeats)
        if counts.ndim and counts.size not in (1, length):
            where = "the flattened input" if flat else f"axis {self.axis}"
            raise BoxError(f"{describe(self)}: repeats has {counts.size} counts but {where} "
                           f"of the input of shape {shape} has {length} entries; give one "
                           "count per entry, or a single count.")
        return np.broadcast_to(counts, (length,)), axis

    def fprop(self, a):
        self._counts(a)
        return np.repeat(a, self.repeats, self.axis)

    def bprop(self, grad, a):
        counts, axis = self._counts(a)
        copies = np.moveaxis(grad, axis, 0)
        total = np.zeros((len(counts),) + copies.shape[1:], dtype=np.result_type(grad))
        present = counts > 0
        if present.any():  # (reduceat would give an entry, not 0, for a count of 0)
            starts = np.cumsum(counts) - counts
            total[present] = np.add.reduceat(copies, starts[present], axis=0)
        return np.reshape(np.moveaxis(total, 0, axis), np.shape(a))


def pad_pairs(values: Any, ndim: int) -> np.ndarray:
    """numpy's pad rule: one value, one (before, after) pair for every axis, or a pair
    per axis, as an (ndim, 2) array; ValueError when ``values`` fit none of these."""
    array = np.asarray(values)
    if array.ndim > 2:
        raise ValueError(f"{array.ndim}-d pad values")
    if array.size == 1:
        return np.broadcast_to(np.reshape(array, ()), (ndim, 2))
    if array.size == 2 and array.shape != (2, 1):
        return np.broadcast_to(np.reshape(array, (2,)), (ndim, 2))
    return np.broadcast_to(array, (ndim, 2))


#: np.pad's modes a Pad box takes: a constant, or copies of the input's own entries
PadMode = Literal["constant", "edge", "reflect", "symmetric", "wrap"]
PAD_MODES: tuple[PadMode, ...] = get_args(PadMode)


@primitive()
class Pad(Box):
    """y = a surrounded by pad_width[k] = (before, after) entries along each axis k, as
    np.pad: entries of constant_values (mode "constant"), or copies of a's entries: the
    edge entry ("edge"), the entries mirrored about the edge entry ("reflect") or with it
    repeated ("symmetric"), the entries from the other end ("wrap");
    d a = the middle of d y, plus each copy's d y added to the entry it copies,
    d constant_values = d y summed over the entries each constant filled"""

    linear_in = (0, 1)

    def __init__(self, a: Any, constant_values: Any = 0, pad_width: Any = 0,
                 mode: str = "constant", name: str | None = None) -> None:
        super().__init__(a, constant_values, name=name)
        if mode not in PAD_MODES:
            raise BoxError(f"{describe(self)}: mode {mode!r} is not supported; the modes are "
                           f"{', '.join(map(repr, PAD_MODES))}.")
        self.mode = mode
        try:
            widths = np.asarray(pad_width)
        except ValueError:  # ragged
            widths = np.asarray(-1)
        if widths.dtype.kind not in "iu" or widths.ndim > 2 or (widths < 0).any():
            raise BoxError(
                f"{describe(self)}: pad_width must be non-negative integers: one width, one "
                f"(before, after) pair, or one pair per axis; got {pad_width!r}.")
        self.pad_width = widths.tolist()

    def pairs(self, a: Any) -> np.ndarray:
        """(before, after) per axis of ``a``."""
        try:
            return pad_pairs(self.pad_width, np.ndim(a))
        except ValueError:
            raise BoxError(
                f"{describe(self)}: pad_width {self.pad_width} does not fit an input of shape "
                f"{np.shape(a)}: give one width, one (before, after) pair, or "
                f"{np.ndim(a)} pairs.") from None

    def sources(self, a: Any) -> list[np.ndarray]:
        """For each axis, the index along it of the entry of a that each entry of y
        copies (np.pad applied to the indices themselves)."""
        return [np.pad(np.arange(side), pair, mode=self.mode)
                for side, pair in zip(np.shape(a), self.pairs(a).tolist())]

    def fprop(self, a, constant_values):
        pairs = self.pairs(a)
        if not pairs.size:  # a 0-d array: nothing to pad (np.pad fails on no pairs)
            return np.array(a)
        if self.mode != "constant":
            empty = [k for k, side in enumerate(np.shape(a)) if not side and pairs[k].any()]
            if empty:
                raise BoxError(f"{describe(self)}: mode {self.mode!r} copies entries of the "
                               f"input, and its axis {empty[0]} (shape {np.shape(a)}) has "
                               "none; pad it with mode='constant'.")
            return np.pad(a, pairs, mode=self.mode)
        try:
            pad_pairs(constant_values, np.ndim(a))
        except ValueError:
            raise BoxError(
                f"{describe(self)}: constant_values of shape {np.shape(constant_values)} do "
                f"not fit an input of shape {np.shape(a)}: give one value, one (before, "
                f"after) pair, or {np.ndim(a)} pairs.") from None
        return np.pad(a, pairs, constant_values=constant_values)

    def bprop(self, grad, a, constant_values):
        if self.mode != "constant":
            for axis, source in enumerate(self.sources(a)):  # each axis's copies summed back
                copies = np.moveaxis(grad, axis, 0)
                total = np.zeros((np.shape(a)[axis],) + copies.shape[1:],
                                 dtype=np.result_type(grad))
                np.add.at(total, source, copies)
                grad = np.moveaxis(total, 0, axis)
            return grad, None
        shape = np.shape(a)
        pairs = self.pairs(a)
        middle = tuple(slice(before, before + side) for (before, _), side in zip(pairs, shape))
        sums = np.zeros((len(shape), 2), dtype=np.result_type(grad))
        for k, (before, _) in enumerate(pairs):
            # numpy fills the axes in order, each over the whole extent of the axes
            # before it: axis k's constants own its margins where later axes are inside
            outer, inner = (slice(None),) * k, middle[k + 1:]
            sums[k, 0] = np.sum(grad[outer + (slice(0, before),) + inner])
            sums[k, 1] = np.sum(grad[outer + (slice(before + shape[k], None),) + inner])
        return grad[middle], sums


@primitive("sort", numpy=np.sort, dims=(1, 3))
class Sort(Box):
    """y = a sorted along axis (the flattened a when axis is None);   d a = d y put back
    through the sorting permutation (tied entries in numpy's stable order)"""

    def __init__(self, a: Any, axis: int | None = -1, name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.axis = None if axis is None else integer_setting(self, axis, "axis")

    def fprop(self, a):
        if self.axis is not None:
            axis_index(self, self.axis, np.shape(a))
        return np.sort(a, axis=self.axis)

    def bprop(self, grad, a):
        return unsort(grad, a, self.axis)


def unsort(g: Any, a: Any, axis: int | None) -> Any:
    """g (shaped like a sorted along axis) with each entry moved back to where its
    entry of a was before sorting: the inverse of the sorting permutation (an Unsort
    box for boxes)."""
    if on_boxes(g, a):
        return Unsort(g, a, axis=axis)
    if axis is None:
        order = np.argsort(np.ravel(a), kind="stable")
        result = np.empty(np.size(a), dtype=np.result_type(g))
        result[order] = g
        return np.reshape(result, np.shape(a))
    order = np.argsort(a, axis=axis, kind="stable")
    result = np.empty(np.shape(a), dtype=np.result_type(g))
    np.put_along_axis(result, order, g, axis)
    return result


@primitive()
class Unsort(Box):
    """y = g put back through the permutation that sorts a along axis (the gradient of
    sort);   d g = d y in a's sorted order (a permutation: linear in g); a gets none"""

    linear_in = (0,)

    def __init__(self, g: Any, a: Any, axis: int | None = -1, name: str | None = None) -> None:
        self.axis = axis
        super().__init__(g, a, name=name)

    def fprop(self, g, a):
        return unsort(g, a, self.axis)

    def bprop(self, grad, g, a):
        if self.axis is None:
            return np.ravel(grad)[np.argsort(np.ravel(a), kind="stable")], None
        return np.take_along_axis(grad, np.argsort(a, axis=self.axis, kind="stable"),
                                  self.axis), None



@function("pad", box=Pad, numpy=np.pad)
def pad(a: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0,
        name: str | None = None) -> Box:
    """a with ``pad_width`` entries before and after each axis (one int, one (before,
    after) pair, or a pair per axis), as ``np.pad`` in its modes "constant" (entries of
    ``constant_values``, which may be a box: it gets the sum of the gradient over the
    entries it fills), "edge", "reflect", "symmetric" and "wrap" (copies of a's entries,
    each copy's gradient added to the entry it copies)."""
    if mode != "constant" and (isinstance(constant_values, Box) or np.any(constant_values)):
        raise BoxError(f"pad: constant_values fills mode='constant' only; mode {mode!r} pads "
                       "with copies of the input's entries.")
    return Pad(a, constant_values, pad_width=pad_width, mode=mode, name=name)


@function("fliplr", box=Flip, numpy=np.fliplr, graphs=False)
def fliplr(a: Any, name: str | None = None) -> Box:
    """a flipped along axis 1 (left to right), as ``np.fliplr``."""
    return Flip(a, axis=1, name=name or "fliplr")


@function("flipud", box=Flip, numpy=np.flipud, graphs=False)
def flipud(a: Any, name: str | None = None) -> Box:
    """a flipped along axis 0 (up to down), as ``np.flipud``."""
    return Flip(a, axis=0, name=name or "flipud")
