"""Indexing: ``box[index]`` with every index numpy takes (integers, slices, integer
arrays, boolean masks, None, Ellipsis, and tuples mixing them by numpy's rules).

An index array may be a box (an Input of token ids fed at run time, ``x[x > 0]``): it
is an input of the GetItem box and gets no gradient.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.box import Box, user_site
from ..errors import BoxError, describe
from .registry import function, method, primitive
from .shape import Reshape


class _FromInput:
    """Where a box stands in an index: its value is read from the GetItem's inputs."""

    def __repr__(self) -> str:
        return "<index array from an input box>"

    def __reduce__(self) -> str:
        return "FROM_INPUT"  # pickled and copied as the one marker, so ``is`` still finds it


FROM_INPUT = _FromInput()


def _static_part(part: Any, where: str) -> Any:
    """One part of an index as GetItem keeps it: ints, bools, slices, None and Ellipsis
    as they are, sequences as numpy arrays; anything else is a clear error."""
    if part is None or part is Ellipsis or isinstance(part, (bool, np.bool_)):
        return part
    if isinstance(part, (int, np.integer)):
        return int(part)
    if isinstance(part, slice):
        for bound in (part.start, part.stop, part.step):
            if bound is not None and not isinstance(bound, (int, np.integer)):
                raise BoxError(f"{where}: slice bounds must be integers or None, got "
                               f"{part!r}; index with a box array instead of a box bound.")
        if part.step == 0:
            raise BoxError(f"{where}: slice step cannot be zero ({part!r}).")
        return part
    if isinstance(part, (list, tuple, np.ndarray)):
        array = np.array(part)  # a copy: changing the caller's array changes no graph
        if array.size == 0 and array.dtype.kind == "f" and not isinstance(part, np.ndarray):
            array = array.astype(np.intp)  # numpy reads an empty list as no integers
        _check_array(array, where)
        return array
    raise BoxError(f"{where}: only integers, slices (:), Ellipsis (...), None (np.newaxis) "
                   f"and integer or boolean arrays are valid indices, got "
                   f"{type(part).__name__} {part!r}.")


def _check_array(array: np.ndarray, where: str) -> None:
    if array.dtype.kind not in "iub":
        raise BoxError(f"{where}: index arrays must hold integers or booleans, got a "
                       f"{array.dtype} array of shape {array.shape}; convert it with "
                       ".astype(int) (or compare it to get a mask).")


def static_index(index: Any, cls: str) -> tuple[Any, ...]:
    """A numpy index as a box keeps it: a tuple of parts, each box replaced by
    FROM_INPUT (its value is read from the box's inputs, see :func:`index_boxes`)."""
    parts = index if isinstance(index, tuple) else (index,)
    where = f"{cls} (created at {user_site()})"
    static = tuple(FROM_INPUT if isinstance(part, Box) else _static_part(part, where)
                   for part in parts)
    if sum(part is Ellipsis for part in static) > 1:
        raise BoxError(f"{where}: an index can hold one Ellipsis (...) only, got {index!r}.")
    return static


def index_boxes(index: Any) -> list[Box]:
    """The boxes of an index (arrays fed at run time), in order: inputs of the box."""
    return [part for part in (index if isinstance(index, tuple) else (index,))
            if isinstance(part, Box)]


def index_key(box: Box, index: tuple[Any, ...], arrays: tuple[Any, ...]) -> tuple[Any, ...]:
    """The index with each box's value (``arrays``, in order) in its place, checked to be
    integers or booleans."""
    if not arrays:
        return index
    values = iter(arrays)
    key = []
    for part in index:
        if part is FROM_INPUT:
            part = np.asarray(next(values))
            _check_array(part, describe(box))
        key.append(part)
    return tuple(key)


@primitive(op="getitem", common=True)
class GetItem(Box):
    """y = a[index] (numpy indexing);   d a = d y added at the indexed entries (np.add.at:
    an entry indexed twice gets both gradients), zero elsewhere; index arrays get none"""

    linear_in = (0,)

    def __init__(self, a: Any, index: Any, name: str | None = None) -> None:
        parts = static_index(index, "GetItem")
        super().__init__(a, *index_boxes(index), name=name)
        self.index = parts
        self._scatter = any(isinstance(p, np.ndarray) and p.dtype.kind != "b"
                            for p in self.index) or len(self.inputs) > 1
        #: indexed by a box (a mask fed at run time): the output's shape follows the data,
        #: so a compiled plan checks it (see autograd_flow.plan)
        self.data_dependent_shape = len(self.inputs) > 1

    def _key(self, arrays: tuple[Any, ...]) -> tuple[Any, ...]:
        return index_key(self, self.index, arrays)

    def fprop(self, a, *arrays):
        key = self._key(arrays)
        try:
            return np.asarray(a)[key]
        except IndexError as error:
            raise BoxError(f"{describe(self)}: {explain(np.shape(a), key, error)}") from None

    def bprop(self, grad, a, *arrays):
        key = self._key(arrays)
        grad_a = np.zeros(np.shape(a), dtype=np.result_type(grad, a))
        if self._scatter:  # integer arrays may repeat an entry: accumulate
            np.add.at(grad_a, key, grad)
        else:
            grad_a[key] = grad
        return (grad_a, *(None for _ in arrays)) if arrays else grad_a



@primitive()
class AddAt(Box):
    """y = a with values added at a[index], as np.add.at leaves a (a new array; an entry
    indexed twice gets both additions; values broadcast to a[index]'s shape);
    d a = d y,  d values = d y[index]; index arrays get none"""

    linear_in = (0, 1)  # jointly linear in a and values

    def __init__(self, a: Any, values: Any, index: Any, name: str | None = None) -> None:
        parts = static_index(index, "AddAt")
        super().__init__(a, values, *index_boxes(index), name=name)
        self.index = parts

    def fprop(self, a, values, *arrays):
        key = index_key(self, self.index, arrays)
        y = np.array(a, dtype=np.result_type(a, values))
        try:
            np.add.at(y, key, values)
        except IndexError as error:
            raise BoxError(f"{describe(self)}: {explain(np.shape(a), key, error)}") from None
        except ValueError:
            raise BoxError(f"{describe(self)}: values of shape {np.shape(values)} do not "
                           f"broadcast to the shape {np.shape(y[key])} of the entries "
                           f"indexed by {_show(key)}.") from None
        return y

    def bprop(self, grad, a, values, *arrays):
        return (grad, np.asarray(grad)[index_key(self, self.index, arrays)],
                *(None for _ in arrays))


@function("add_at", box=AddAt, dims=(1, 3))
def add_at(a: Any, indices: Any, values: Any, name: str | None = None) -> Box:
    """``a`` with ``values`` added at ``a[indices]``, as ``np.add.at(a, indices, values)``
    leaves ``a``, but as a new box (``a`` is not written): an entry indexed several times
    gets every value added (and each of them its gradient). ``indices`` is any numpy
    index; its arrays may be boxes (fed at run time)."""
    return AddAt(a, values, indices, name=name)


def _along(axis: int, part: Any) -> tuple[Any, ...]:
    """The index putting ``part`` at ``axis`` (negative axes counted from the end)."""
    if axis < 0:
        return (Ellipsis, part) + (slice(None),) * (-axis - 1)
    return (slice(None),) * axis + (part,)


@function("take", box=GetItem, numpy=np.take, method="take", graphs=False)
def take(a: Any, indices: Any, axis: int | None = None, mode: str = "raise",
         name: str | None = None) -> Box:
    """The entries of ``a`` at ``indices`` along ``axis`` (of the flattened ``a`` when
    axis is None), as ``np.take``: ``a[..., indices, ...]``. Only numpy's default
    ``mode="raise"`` (an index out of range is an error); ``indices`` may be a box."""
    if mode != "raise":
        raise BoxError(f"take (called at {user_site()}): mode={mode!r} is not supported, "
                       "only mode='raise'; wrap or clip the indices first (np.mod, np.clip).")
    if axis is None:
        return GetItem(Reshape(a, shape=(-1,)), indices, name=name)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise BoxError(f"take (called at {user_site()}): axis must be an integer or None, "
                       f"got {axis!r}.")
    return GetItem(a, _along(int(axis), indices), name=name)


@method("__getitem__")
def _getitem(self: Box, index: Any) -> Box:
    """``box[index]`` with any numpy index (integers, slices, integer arrays, boolean
    masks, None, ...); index arrays may be boxes (they get no gradient)."""
    return GetItem(self, index)


def _axes_used(part: Any) -> int:
    """How many axes of the indexed array an index part consumes."""
    if part is None:
        return 0
    if isinstance(part, (bool, np.bool_)):
        return 0
    if isinstance(part, np.ndarray) and part.dtype.kind == "b":
        return part.ndim
    return 1


def explain(shape: tuple[int, ...], key: tuple[Any, ...], error: Exception) -> str:
    """Why ``key`` does not index an array of ``shape``, in words: the axis, its length
    and the index (or the mask's shape), or numpy's own message when none of those."""
    used = sum(_axes_used(p) for p in key if p is not Ellipsis)
    if used > len(shape):
        axes = "1 axis" if len(shape) == 1 else f"{len(shape)} axes"
        return (f"too many indices: the index {_show(key)} uses {used} axes but the array "
                f"has shape {shape} ({axes}).")
    axis = 0
    arrays = []
    for part in key:
        if part is Ellipsis:
            axis += len(shape) - used
            continue
        if isinstance(part, np.ndarray) and part.dtype.kind == "b":
            covered = shape[axis:axis + part.ndim]
            if part.shape != covered:
                axes = (f"axis {axis}" if part.ndim == 1
                        else f"axes {axis}..{axis + part.ndim - 1}")
                return (f"a boolean mask of shape {part.shape} must have the shape "
                        f"{covered} of the {axes} it indexes (the array has shape {shape}).")
            arrays.append(np.nonzero(part)[0])
        elif isinstance(part, (int, np.ndarray)) and not isinstance(part, bool):
            length = shape[axis]
            values = np.asarray(part)
            bad = values[(values < -length) | (values >= length)]
            if bad.size:
                valid = (f"valid indices are {-length}..{length - 1}" if length
                         else "it has no entries to index")
                return (f"{_listed(bad)} out of range for axis {axis} of length {length} "
                        f"(the array has shape {shape}); {valid}.")
            if isinstance(part, np.ndarray):
                arrays.append(part)
        axis += _axes_used(part)
    if len(arrays) > 1:
        try:
            np.broadcast_shapes(*(np.shape(p) for p in arrays))
        except ValueError:
            shapes = ", ".join(str(np.shape(p)) for p in arrays)
            return (f"the index arrays (shapes {shapes}) do not broadcast together; "
                    f"advanced indices are combined elementwise, as in numpy.")
    return f"{error} (index {_show(key)} into an array of shape {shape})."


def _listed(values: np.ndarray) -> str:
    """``index 5 is`` or ``indices [-9, 7] are`` (the first five distinct ones)."""
    unique = np.unique(values)
    if unique.size == 1:
        return f"index {unique[0]} is"
    shown = ", ".join(str(v) for v in unique[:5]) + (", ..." if unique.size > 5 else "")
    return f"indices [{shown}] are"


def _show(key: tuple[Any, ...]) -> str:
    """An index as it would be written inside brackets: ``[1:3, ::-1, None, ...]``."""
    return "[" + ", ".join(_show_part(p) for p in key) + "]"


def _show_part(part: Any) -> str:
    if part is Ellipsis:
        return "..."
    if isinstance(part, slice):
        text = ":".join("" if b is None else str(b) for b in (part.start, part.stop))
        return text + ("" if part.step is None else f":{part.step}")
    if isinstance(part, np.ndarray):
        return f"<{part.dtype} array {part.shape}>"
    return repr(part)
