"""numpy's searching and counting: ``argmax`` and ``argmin`` (the position of the first
extremum), ``argwhere`` (the indices of the nonzero entries), ``count_nonzero``,
``searchsorted`` (where entries would go in a sorted
array) and ``argpartition`` (an order that puts the kth entries where sorting would).
Their values are integers and they have no gradient (they are piecewise constant);
boxes use them as indices (``take_along_axis(a, argmax(a, axis, keepdims=True), axis)``
is the max; ``partition`` is a composite of that kind)."""
from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ..core.box import Box, user_site
from ..errors import BoxError, describe
from .reduce import Axis, reduced_axes
from .registry import function, primitive
from .scatter import TakeAlongAxis
from .shape import Reshape


def _one_axis(box: str, axis: Any) -> int | None:
    """The axis of argmax or argmin: an integer or None (all entries, flattened)."""
    if axis is None or (isinstance(axis, (int, np.integer)) and not isinstance(axis, bool)):
        return None if axis is None else int(axis)
    raise BoxError(f"{box} (created at {user_site()}): axis must be an integer or None, "
                   f"not {axis!r}")


class _ArgExtremum(Box):
    def __init__(self, a: Any, axis: int | None = None, keepdims: bool = False,
                 name: str | None = None) -> None:
        self.axis = _one_axis(type(self).__name__, axis)
        self.keepdims = bool(keepdims)
        super().__init__(a, name=name)

    def bprop(self, grad, a):
        return None


@primitive("argmax", numpy=np.argmax, method="argmax")
class ArgMax(_ArgExtremum):
    """y = the index of the first largest entry of a along axis (of the flattened a
    for None);   no gradient"""

    def fprop(self, a):
        return np.asarray(np.argmax(a, axis=self.axis, keepdims=self.keepdims))


@primitive("argmin", numpy=np.argmin, method="argmin")
class ArgMin(_ArgExtremum):
    """y = the index of the first smallest entry of a along axis (of the flattened a
    for None);   no gradient"""

    def fprop(self, a):
        return np.asarray(np.argmin(a, axis=self.axis, keepdims=self.keepdims))


@primitive("argwhere", numpy=np.argwhere)
class ArgWhere(Box):
    """y = the indices of the nonzero entries of a, one row of a.ndim indices each, in
    row-major order (np.argwhere; its length is known only when the graph runs);
    no gradient"""

    def fprop(self, a):
        return np.argwhere(a)

    def bprop(self, grad, a):
        return None


@primitive("count_nonzero", numpy=np.count_nonzero)
class CountNonzero(Box):
    """y = the number of nonzero entries of a over axis (all axes by default);
    no gradient"""

    def __init__(self, a: Any, axis: Axis = None, keepdims: bool = False,
                 name: str | None = None) -> None:
        self.axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
        self.keepdims = bool(keepdims)
        super().__init__(a, name=name)

    def fprop(self, a):
        return np.asarray(np.count_nonzero(a, axis=reduced_axes(self.axis, np.ndim(a)),
                                           keepdims=self.keepdims))

    def bprop(self, grad, a):
        return None


@primitive("searchsorted", numpy=np.searchsorted)
class SearchSorted(Box):
    """y = the indices where the entries of v would go in the 1-d a, sorted ascending
    (or in a[sorter]), to keep it sorted: before equal entries (side="left") or after
    them ("right"); an a of more axes is searched row by row, as torch.searchsorted
    does (v and sorter have its leading axes, and each row of v is searched in the row
    of a with its index; numpy takes a 1-d a only);   no gradient to a or v"""

    def __init__(self, a: Any, v: Any, side: str = "left", sorter: Any = None,
                 name: str | None = None) -> None:
        if side not in ("left", "right"):
            raise BoxError(f"SearchSorted (created at {user_site()}): side must be 'left' "
                           f"or 'right', not {side!r}")
        if isinstance(sorter, Box):
            raise BoxError(f"SearchSorted (created at {user_site()}): sorter is a setting "
                           f"(an array of indices), not a box")
        self.side: Literal["left", "right"] = "right" if side == "right" else "left"
        self.sorter = None if sorter is None else np.asarray(sorter)
        super().__init__(a, v, name=name)

    def fprop(self, a, v):
        if np.ndim(a) <= 1:
            return np.asarray(np.searchsorted(a, v, side=self.side, sorter=self.sorter))
        rows, sorter = np.shape(a)[:-1], self.sorter
        if np.shape(v)[:-1] != rows or np.ndim(v) != np.ndim(a) or (
                sorter is not None and sorter.shape != np.shape(a)):
            raise BoxError(f"{describe(self)}: a of shape {np.shape(a)} is searched row by "
                           f"row, so v (shape {np.shape(v)}) and sorter (shape "
                           f"{None if sorter is None else sorter.shape}) need its leading "
                           f"axes {rows}")
        y = np.zeros(np.shape(v), dtype=np.intp)
        for row in np.ndindex(*rows):
            y[row] = np.searchsorted(a[row], v[row], side=self.side,
                                     sorter=None if sorter is None else sorter[row])
        return y

    def bprop(self, grad, a, v):
        return None, None


def _kth(value: Any) -> int | tuple[int, ...]:
    """partition's kth: an integer or a sequence of them."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) == 1 and all(
            isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in value):
        return tuple(int(k) for k in value)
    raise BoxError(f"ArgPartition (created at {user_site()}): kth must be an integer or a "
                   f"sequence of integers, not {value!r}")


@primitive("argpartition", numpy=np.argpartition)
class ArgPartition(Box):
    """y = indices that order a along axis (flattened for None) so that each kth entry is
    where sorting would put it, the smaller ones before it and the others after
    (np.argpartition, introselect);   no gradient"""

    def __init__(self, a: Any, kth: Any, axis: int | None = -1,
                 name: str | None = None) -> None:
        self.kth = _kth(kth)
        self.axis = _one_axis("ArgPartition", axis)
        super().__init__(a, name=name)

    def fprop(self, a):
        return np.argpartition(a, self.kth, axis=self.axis)

    def bprop(self, grad, a):
        return None


@function("partition", box=ArgPartition, numpy=np.partition, graphs=False)
def partition(a: Any, kth: Any, axis: int | None = -1, name: str | None = None) -> Box:
    """a reordered along axis (flattened for None) so that each kth entry is where
    sorting would put it, as ``np.partition``: a taken along axis at its argpartition,
    so d a = d y sent back to the entries taken."""
    if axis is None:
        a, axis = Reshape(a, shape=(-1,)), -1
    return TakeAlongAxis(a, ArgPartition(a, kth, axis=axis), axis=axis,
                         name=name or "partition")
