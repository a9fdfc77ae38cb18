"""Joining and splitting: concatenate, stack, hstack, vstack, dstack, column_stack, and
the parts of split / array_split / hsplit / vsplit / dsplit / unstack, with numpy's rules
(negative axes, ``axis=None`` flattens for concatenate; hstack and hsplit choose their
axis by the arrays' number of axes, which a graph knows only when it runs)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.box import Box, Constant, user_site
from ..errors import BoxError, describe
from .indexing import GetItem
from .registry import function, primitive


def _shapes(arrays: Sequence[Any]) -> str:
    return ", ".join(str(np.shape(a)) for a in arrays)


def _check_count(cls: type, arrays: Sequence[Any]) -> None:
    if not arrays:
        raise BoxError(f"{cls.__name__} (created at {user_site()}) needs at least one "
                       "array to join, got none.")


def _column(a: Any) -> Any:
    """np.column_stack's shaping: a 0-d or 1-D array as a column, others as they are."""
    return np.reshape(a, (-1, 1)) if np.ndim(a) < 2 else a


#: numpy's stacking functions as concatenations: how each array is shaped first, and
#: the axis (from the shaped arrays' number of axes)
LAYOUTS: dict[str, tuple[Any, Any]] = {
    "hstack": (np.atleast_1d, lambda ndim: 0 if ndim == 1 else 1),
    "vstack": (np.atleast_2d, lambda ndim: 0),
    "dstack": (np.atleast_3d, lambda ndim: 2),
    "column_stack": (_column, lambda ndim: 1),
}


@primitive()
class Concatenate(Box):
    """y = the inputs joined along axis (flattened first when axis is None; shaped and
    joined as np.hstack, np.vstack, np.dstack or np.column_stack do for a ``layout``);
    d a_k = the part of d y where a_k lies, in a_k's shape"""

    def __init__(self, *arrays: Any, axis: int | None = 0, layout: str | None = None,
                 name: str | None = None) -> None:
        _check_count(Concatenate, arrays)
        if layout is not None and layout not in LAYOUTS:
            raise BoxError(f"Concatenate (created at {user_site()}): layout must be one of "
                           f"{', '.join(LAYOUTS)} or None, got {layout!r}.")
        self.axis, self.layout = axis, layout
        self.linear_in = tuple(range(len(arrays)))  # jointly linear in every input
        super().__init__(*arrays, name=name)

    def _joined(self, arrays: tuple[Any, ...]) -> tuple[list[Any], int | None]:
        """The arrays as np.concatenate joins them (shaped by the layout), and the axis."""
        if self.layout is None:
            return list(arrays), self.axis
        shape, axis = LAYOUTS[self.layout]
        shaped = [shape(a) for a in arrays]
        return shaped, axis(np.ndim(shaped[0]))

    def _check(self, arrays: list[Any], axis: int | None) -> None:
        """Why numpy refused: the axis, or shapes that differ off the axis."""
        if axis is None:
            return
        ndims = {np.ndim(a) for a in arrays}
        if 0 in ndims:
            raise BoxError(f"{describe(self)}: 0-d arrays cannot be concatenated (got shapes "
                           f"{_shapes(arrays)}); use af.stack to join scalars.")
        ndim = min(ndims)
        if len(ndims) == 1 and not -ndim <= axis < ndim:
            raise BoxError(f"{describe(self)}: axis {axis} is out of range for arrays "
                           f"of {ndim} axes (shapes {_shapes(arrays)}).")
        shaped = "" if self.layout is None else f" (shaped by {self.layout})"
        raise BoxError(f"{describe(self)}: the arrays{shaped} must have the same shape except "
                       f"along axis {axis}, got shapes {_shapes(arrays)}.")

    def fprop(self, *arrays):
        joined, axis = self._joined(arrays)
        try:
            return np.concatenate(joined, axis=axis)
        except ValueError:
            self._check(joined, axis)
            raise

    def bprop(self, grad, *arrays):
        joined, axis = self._joined(arrays)
        sizes = [np.size(a) if axis is None else np.shape(a)[axis] for a in joined]
        parts = np.split(grad, np.cumsum(sizes)[:-1], axis=0 if axis is None else axis)
        parts = [np.reshape(part, np.shape(a)) for part, a in zip(parts, arrays)]
        return tuple(parts) if len(parts) > 1 else parts[0]



@primitive()
class Stack(Box):
    """y = the inputs (of one shape) stacked along a new axis;   d a_k = d y[..., k, ...]
    (index k along that axis). Python numbers among the inputs do not promote the
    result's dtype (float32 boxes and 0.0 stack to float32)."""

    def __init__(self, *arrays: Any, axis: int = 0, name: str | None = None) -> None:
        _check_count(Stack, arrays)
        self.axis = axis
        self.linear_in = tuple(range(len(arrays)))  # jointly linear in every input
        super().__init__(*arrays, name=name)

    def _part(self, k: int) -> tuple[Any, ...]:
        """The index of input k in the result."""
        if self.axis >= 0:
            return (slice(None),) * self.axis + (k,)
        return (Ellipsis, k) + (slice(None),) * (-self.axis - 1)

    def fprop(self, *arrays):
        if len({np.shape(a) for a in arrays}) > 1:
            raise BoxError(f"{describe(self)}: the arrays to stack must have one shape, got "
                           f"shapes {_shapes(arrays)}.")
        ndim = np.ndim(arrays[0]) + 1
        if not -ndim <= self.axis < ndim:
            raise BoxError(f"{describe(self)}: axis {self.axis} is out of range for stacking "
                           f"arrays of shape {np.shape(arrays[0])} (result of {ndim} axes).")
        return np.stack(arrays, axis=self.axis, dtype=np.result_type(*arrays))

    def bprop(self, grad, *arrays):
        grads = tuple(grad[self._part(k)] for k in range(len(arrays)))
        return grads if len(grads) > 1 else grads[0]



#: numpy's splits along a chosen axis: the fewest axes they take, and that axis (from
#: the array's number of axes)
SPLITS: dict[str, tuple[int, Any]] = {
    "hsplit": (1, lambda ndim: 1 if ndim > 1 else 0),
    "vsplit": (2, lambda ndim: 0),
    "dsplit": (3, lambda ndim: 2),
}


@primitive()
class Split(Box):
    """y = part ``part`` of np.array_split(a, indices_or_sections, axis) (of np.split
    when ``equal``: sections must divide the axis; of np.hsplit, np.vsplit or np.dsplit
    for a ``layout``, whose axis follows a's number of axes);   d a = d y placed at the
    part's entries, zero elsewhere"""

    linear_in = (0,)

    def __init__(self, a: Any, indices_or_sections: int | Sequence[int], axis: int = 0,
                 part: int = 0, equal: bool = False, layout: str | None = None,
                 name: str | None = None) -> None:
        where = f"Split (created at {user_site()})"
        if layout is not None and layout not in SPLITS:
            raise BoxError(f"{where}: layout must be one of {', '.join(SPLITS)} or None, got "
                           f"{layout!r}.")
        self.layout = layout
        if isinstance(indices_or_sections, (int, np.integer)):
            if indices_or_sections <= 0:
                raise BoxError(f"{where}: the number of sections must be positive, got "
                               f"{indices_or_sections}.")
            self.indices_or_sections: int | tuple[int, ...] = int(indices_or_sections)
            count = self.indices_or_sections
        else:
            indices = tuple(indices_or_sections)
            if not all(isinstance(i, (int, np.integer)) for i in indices):
                raise BoxError(f"{where}: split takes a number of sections or a sequence of "
                               f"integer indices, got {indices_or_sections!r}.")
            self.indices_or_sections = tuple(int(i) for i in indices)
            count = len(indices) + 1
        if not 0 <= part < count:
            raise BoxError(f"{where}: part {part} does not exist: the split makes {count} "
                           "parts.")
        self.axis, self.part, self.equal = axis, part, equal
        super().__init__(a, name=name)

    def _axis(self, shape: tuple[int, ...]) -> int:
        """The axis split (the layout's for the array's number of axes), in [0, ndim)."""
        if self.layout is not None:
            least, axis = SPLITS[self.layout]
            if len(shape) < least:
                raise BoxError(f"{describe(self)}: {self.layout} splits arrays of at least "
                               f"{least} axes, got shape {shape}.")
            return int(axis(len(shape)))
        if not -len(shape) <= self.axis < len(shape):
            raise BoxError(f"{describe(self)}: axis {self.axis} is out of range for an "
                           f"array of shape {shape}.")
        return self.axis % len(shape)

    def _key(self, shape: tuple[int, ...]) -> tuple[Any, ...]:
        """The slice of the part (numpy's division points)."""
        axis = self._axis(shape)
        length = shape[axis]
        if isinstance(self.indices_or_sections, int):
            sections = self.indices_or_sections
            each, extra = divmod(length, sections)
            if extra and (self.equal or self.layout):
                raise BoxError(f"{describe(self)}: axis {axis} of length {length} (shape "
                               f"{shape}) does not split into {sections} equal parts; use "
                               "af.array_split for parts of unequal length.")
            start = self.part * each + min(self.part, extra)
            stop = start + each + (self.part < extra)
        else:
            points = (0, *self.indices_or_sections, length)
            start, stop = points[self.part], points[self.part + 1]
        return (slice(None),) * axis + (slice(start, stop),)

    def fprop(self, a):
        return np.asarray(a)[self._key(np.shape(a))]

    def bprop(self, grad, a):
        grad_a = np.zeros(np.shape(a), dtype=np.result_type(grad, a))
        grad_a[self._key(np.shape(a))] = grad
        return grad_a


# -- the functions, as numpy's ---------------------------------------------------------

def _holds_box(value: Any) -> bool:
    return isinstance(value, Box) or (
        isinstance(value, (list, tuple)) and any(_holds_box(v) for v in value))


def _entry(value: Any) -> Any:
    """An item of a list to join: a (nested) list holding boxes as :func:`array`."""
    return array(value) if isinstance(value, (list, tuple)) and _holds_box(value) else value


@function("array", box=Stack, graphs=False)
def array(object: Any, name: str | None = None) -> Box:  # noqa: A002 (numpy's name)
    """An array from a (nested) list of boxes, numbers and arrays, as ``np.array`` builds
    one: the entries of each list (of one shape) are stacked, so
    ``af.array([[x, 0.0], [0.0, y]])`` is a 2x2 box for scalar boxes x and y. A box is
    returned as it is; a list without boxes becomes a Constant. Python numbers do not
    promote float32 boxes (``np.array`` would make float64)."""
    if isinstance(object, Box):
        return object
    if not _holds_box(object):
        return Constant(np.array(object), name=name)
    return Stack(*(_entry(item) for item in object), axis=0, name=name)


@function("concatenate", box=Concatenate, numpy=np.concatenate)
def concatenate(arrays: Sequence[Any], axis: int | None = 0, name: str | None = None) -> Box:
    """The arrays joined along ``axis`` (flattened first when axis is None), as
    ``np.concatenate``; the shapes must agree off the axis."""
    return Concatenate(*(_entry(a) for a in arrays), axis=axis, name=name)


@function("append", box=Concatenate, numpy=np.append, graphs=False)
def append(arr: Any, values: Any, axis: int | None = None, name: str | None = None) -> Box:
    """arr with values after it along ``axis`` (both flattened for None), as
    ``np.append``: a Concatenate box."""
    return concatenate((arr, values), axis=axis, name=name or "append")


@function("stack", box=Stack, numpy=np.stack)
def stack(arrays: Sequence[Any], axis: int = 0, name: str | None = None) -> Box:
    """The arrays (of one shape; boxes, numbers or nested lists of them) stacked along a
    new ``axis``, as ``np.stack``."""
    return Stack(*(_entry(a) for a in arrays), axis=axis, name=name)


def _parts(a: Any, indices_or_sections: int | Sequence[int], axis: int, equal: bool,
           name: str | None, layout: str | None = None) -> list[Box]:
    if np.ndim(indices_or_sections) == 0:  # a number of sections (a 0-d array too)
        indices_or_sections = int(indices_or_sections)  # type: ignore[arg-type]
    count = (indices_or_sections if isinstance(indices_or_sections, int)
             else len(indices_or_sections) + 1)
    return [Split(a, indices_or_sections, axis=axis, part=k, equal=equal, layout=layout,
                  name=None if name is None else f"{name}[{k}]")
            for k in range(max(count, 1))]


@function("split", box=Split, numpy=np.split, dims=(1, 3))
def split(a: Any, indices_or_sections: int | Sequence[int], axis: int = 0,
          name: str | None = None) -> list[Box]:
    """The parts of ``a`` along ``axis`` as a list of boxes, as ``np.split``: N equal
    parts (N must divide the axis) or the parts between the given indices."""
    return _parts(a, indices_or_sections, axis, True, name)


@function("unstack", box=GetItem, numpy=np.unstack, graphs=False)
def unstack(x: Any, /, *, axis: int = 0, name: str | None = None) -> tuple[Box, ...]:
    """The slices of ``x`` along ``axis`` as a tuple of boxes, as ``np.unstack`` (the
    inverse of :func:`stack`; ``torch.unbind``): GetItem boxes, so d x gets each slice's
    gradient at its place."""
    shape = np.shape(x)
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool) \
            or not -len(shape) <= axis < len(shape):
        raise BoxError(f"unstack (at {user_site()}): axis {axis!r} is not an axis of an "
                       f"array of shape {shape} (unstack needs at least one axis)")
    before = (slice(None),) * (int(axis) % len(shape))
    return tuple(GetItem(x, (*before, k), name=None if name is None else f"{name}[{k}]")
                 for k in range(shape[axis]))


@function("array_split", box=Split, numpy=np.array_split, graphs=False)
def array_split(a: Any, indices_or_sections: int | Sequence[int], axis: int = 0,
                name: str | None = None) -> list[Box]:
    """As :func:`split`, but N parts need not be equal (the first ones are one longer),
    as ``np.array_split``."""
    return _parts(a, indices_or_sections, axis, False, name)


@function("hsplit", box=Split, numpy=np.hsplit, graphs=False)
def hsplit(ary: Any, indices_or_sections: int | Sequence[int],
           name: str | None = None) -> list[Box]:
    """The parts of ``ary`` along its columns (axis 1; axis 0 of a 1-D array), as
    ``np.hsplit``: N equal parts or the parts between the given indices."""
    return _parts(ary, indices_or_sections, 0, True, name, layout="hsplit")


@function("vsplit", box=Split, numpy=np.vsplit, graphs=False)
def vsplit(ary: Any, indices_or_sections: int | Sequence[int],
           name: str | None = None) -> list[Box]:
    """The parts of ``ary`` (at least 2-D) along its rows (axis 0), as ``np.vsplit``."""
    return _parts(ary, indices_or_sections, 0, True, name, layout="vsplit")


@function("dsplit", box=Split, numpy=np.dsplit, graphs=False)
def dsplit(ary: Any, indices_or_sections: int | Sequence[int],
           name: str | None = None) -> list[Box]:
    """The parts of ``ary`` (at least 3-D) along its depth (axis 2), as ``np.dsplit``."""
    return _parts(ary, indices_or_sections, 0, True, name, layout="dsplit")


def _stacked(layout: str, tup: Sequence[Any], name: str | None) -> Box:
    return Concatenate(*(_entry(a) for a in tup), layout=layout, name=name or layout)


@function("hstack", box=Concatenate, numpy=np.hstack, graphs=False)
def hstack(tup: Sequence[Any], name: str | None = None) -> Box:
    """The arrays joined column-wise, as ``np.hstack``: along axis 1, or axis 0 for 1-D
    arrays (0-d ones count as 1-D)."""
    return _stacked("hstack", tup, name)


@function("vstack", box=Concatenate, numpy=np.vstack, graphs=False)
def vstack(tup: Sequence[Any], name: str | None = None) -> Box:
    """The arrays joined row-wise (axis 0), as ``np.vstack``: 0-d and 1-D arrays count
    as one row (np.atleast_2d)."""
    return _stacked("vstack", tup, name)


@function("dstack", box=Concatenate, numpy=np.dstack, graphs=False)
def dstack(tup: Sequence[Any], name: str | None = None) -> Box:
    """The arrays joined depth-wise (axis 2), as ``np.dstack``: each made at least 3-D
    first (np.atleast_3d: (N,) -> (1, N, 1), (M, N) -> (M, N, 1))."""
    return _stacked("dstack", tup, name)


@function("column_stack", box=Concatenate, numpy=np.column_stack, graphs=False)
def column_stack(tup: Sequence[Any], name: str | None = None) -> Box:
    """1-D arrays as the columns of a 2-D array (other arrays joined along axis 1), as
    ``np.column_stack``."""
    return _stacked("column_stack", tup, name)
