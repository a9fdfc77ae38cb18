"""Shape primitives: the same entries under another shape (reshape, transpose, new or
dropped axes of length 1, swapped or moved axes, broadcasting, one array or several), a
dtype conversion, picking each row's label entry, and an array of a box's shape filled
with one value."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.box import Box, user_site
from ..core.broadcast import unbroadcast
from ..errors import BoxError, LabelError, describe
from .arithmetic import Add
from .axes import (
    as_tuple,
    axis_index,
    axis_indices,
    integer_setting,
    integers_setting,
    is_integer,
)
from .plumbing import BroadcastLike, ZerosLike, astype_like
from .registry import function, method, primitive


@primitive("reshape", numpy=np.reshape, common=True)
class Reshape(Box):
    """y = a viewed with a new shape;   d a = d y reshaped to a's shape"""

    linear_in = (0,)
    setting_attributes = {"shape": "new_shape"}

    def __init__(self, a: Any, shape: int | Sequence[int], name: str | None = None) -> None:
        self.new_shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        super().__init__(a, name=name)

    def fprop(self, a):
        return np.reshape(a, self.new_shape)

    def bprop(self, grad, a):
        return np.reshape(grad, np.shape(a))


@primitive("transpose", numpy=np.transpose, dims=(2, 3), common=True)
class Transpose(Box):
    """y = a with its axes permuted (reversed by default);   d a = d y permuted back"""

    linear_in = (0,)

    def __init__(self, a: Any, axes: Sequence[int] | None = None, name: str | None = None) -> None:
        self.axes = None if axes is None else tuple(axes)
        super().__init__(a, name=name)

    def fprop(self, a):
        return np.transpose(a, self.axes)

    def bprop(self, grad, a):
        if self.axes is None:
            return np.transpose(grad)
        return np.transpose(grad, np.argsort([axis % np.ndim(a) for axis in self.axes]))


@primitive("expand_dims", numpy=np.expand_dims)
class ExpandDims(Box):
    """y = a with axes of length 1 inserted at axis (positions in y);
    d a = d y with those axes squeezed out"""

    linear_in = (0,)

    def __init__(self, a: Any, axis: int | Sequence[int], name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.axis = integers_setting(self, axis, "axis")

    def fprop(self, a):
        axes = as_tuple(self.axis)
        axis_indices(self, axes, np.shape(a), ndim=np.ndim(a) + len(axes))
        return np.expand_dims(a, self.axis)

    def bprop(self, grad, a):
        return np.reshape(grad, np.shape(a))


@primitive("squeeze", numpy=np.squeeze, method="squeeze")
class Squeeze(Box):
    """y = a without its axes of length 1 (those of axis, or all);
    d a = d y reshaped to a's shape"""

    linear_in = (0,)

    def __init__(self, a: Any, axis: int | Sequence[int] | None = None,
                 name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.axis = None if axis is None else integers_setting(self, axis, "axis")

    def fprop(self, a):
        shape = np.shape(a)
        if self.axis is not None and shape:  # (a 0-d array: numpy's rules for axis 0, -1)
            for axis in axis_indices(self, as_tuple(self.axis), shape):
                if shape[axis] != 1:
                    raise BoxError(
                        f"{describe(self)}: axis {axis} of the input of shape {shape} has "
                        f"length {shape[axis]}, not 1: only axes of length 1 can be squeezed "
                        "(leave it out of axis, or take one entry by indexing).")
        return np.squeeze(a, axis=self.axis)

    def bprop(self, grad, a):
        return np.reshape(grad, np.shape(a))


@primitive("swapaxes", numpy=np.swapaxes, method="swapaxes", dims=(1, 3))
class SwapAxes(Box):
    """y = a with axes axis1 and axis2 interchanged;   d a = d y with them interchanged"""

    linear_in = (0,)

    def __init__(self, a: Any, axis1: int, axis2: int, name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.axis1 = integer_setting(self, axis1, "axis1")
        self.axis2 = integer_setting(self, axis2, "axis2")

    def fprop(self, a):
        axis_index(self, self.axis1, np.shape(a), "axis1")
        axis_index(self, self.axis2, np.shape(a), "axis2")
        return np.swapaxes(a, self.axis1, self.axis2)

    def bprop(self, grad, a):
        return np.swapaxes(grad, self.axis1, self.axis2)


@primitive("moveaxis", numpy=np.moveaxis, dims=(1, 3))
class MoveAxis(Box):
    """y = a with axes source moved to positions destination (the others keep their
    order);   d a = d y with destination moved back to source"""

    linear_in = (0,)

    def __init__(self, a: Any, source: int | Sequence[int], destination: int | Sequence[int],
                 name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.source = integers_setting(self, source, "source")
        self.destination = integers_setting(self, destination, "destination")
        if len(as_tuple(self.source)) != len(as_tuple(self.destination)):
            raise BoxError(f"{describe(self)}: source {source!r} and destination "
                           f"{destination!r} must name as many axes each.")

    def fprop(self, a):
        axis_indices(self, as_tuple(self.source), np.shape(a), "source")
        axis_indices(self, as_tuple(self.destination), np.shape(a), "destination")
        return np.moveaxis(a, self.source, self.destination)

    def bprop(self, grad, a):
        return np.moveaxis(grad, self.destination, self.source)


@function("rollaxis", box=MoveAxis, numpy=np.rollaxis, graphs=False)
def rollaxis(a: Any, axis: int, start: int = 0, name: str | None = None) -> Box:
    """a with ``axis`` rolled back to just before position ``start``, as ``np.rollaxis``
    (numpy prefers ``moveaxis``): a MoveAxis box; it needs a's rank before a run."""
    for what, value in (("axis", axis), ("start", start)):
        if not is_integer(value):
            raise BoxError(f"rollaxis (at {user_site()}): {what} must be an integer, "
                           f"not {value!r}")
    ndim = a.ndim if isinstance(a, Box) else np.ndim(a)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    if not -ndim <= start <= ndim:
        raise np.exceptions.AxisError(f"rollaxis: start {start} is out of range for an "
                                      f"array of {ndim} dimensions (-{ndim} to {ndim})")
    axis, start = axis % ndim, start + ndim if start < 0 else start
    return MoveAxis(a, axis, start - 1 if axis < start else start, name=name or "rollaxis")


@primitive("broadcast_to", numpy=np.broadcast_to)
class BroadcastTo(Box):
    """y = a broadcast to shape (numpy's rules);   d a = d y summed over the broadcast axes"""

    linear_in = (0,)
    setting_attributes = {"shape": "new_shape"}

    def __init__(self, a: Any, shape: int | Sequence[int], name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.new_shape = as_tuple(integers_setting(self, shape, "shape"))
        if any(side < 0 for side in self.new_shape):
            raise BoxError(f"{describe(self)}: shape {self.new_shape} has a negative length.")

    def fprop(self, a):
        try:
            return np.broadcast_to(a, self.new_shape)
        except ValueError:
            raise BoxError(
                f"{describe(self)}: cannot broadcast an input of shape {np.shape(a)} to shape "
                f"{self.new_shape}: aligned from the last axis, each axis of the input must have "
                "length 1 or the target's length.") from None

    def bprop(self, grad, a):
        return unbroadcast(grad, np.shape(a))


@function("broadcast_arrays", box=BroadcastTo, numpy=np.broadcast_arrays, graphs=False)
def broadcast_arrays(*args: Any, name: str | None = None) -> tuple[Any, ...]:
    """The arrays broadcast to their common shape, as ``np.broadcast_arrays``
    (``torch.broadcast_tensors``): a BroadcastTo box of each (their shapes must be known
    when the graph is built)."""
    try:
        shape = np.broadcast_shapes(*(np.shape(a) for a in args))
    except ValueError:
        raise BoxError(f"broadcast_arrays (at {user_site()}): the shapes "
                       f"{', '.join(str(np.shape(a)) for a in args)} do not broadcast: aligned "
                       "from the last axis, each axis must have length 1 or one common "
                       "length") from None
    return tuple(BroadcastTo(a, shape, name=None if name is None else f"{name}[{k}]")
                 for k, a in enumerate(args))


@function("full_like", numpy=np.full_like, graphs=False)
def full_like(a: Any, fill_value: Any, name: str | None = None) -> Box:
    """An array of a's shape and dtype with every entry ``fill_value`` (cast to a's
    dtype), as ``np.full_like`` (``torch.fill``): zeros shaped like a plus the value;
    no gradient (the entries do not depend on a's)."""
    zeros = ZerosLike(a)
    return (zeros + astype_like(np.asarray(fill_value), zeros)).named(name or "full_like")


@primitive()
class AtLeast(Box):
    """y = a with axes of length 1 added to make at least ndmin (1, 2 or 3) axes, as
    np.atleast_1d, _2d, _3d ((N,) -> (1, N) -> (1, N, 1); (M, N) -> (M, N, 1));
    d a = d y reshaped to a's shape"""

    linear_in = (0,)

    def __init__(self, a: Any, ndmin: int, name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.ndmin = integer_setting(self, ndmin, "ndmin")
        if self.ndmin not in (1, 2, 3):
            raise BoxError(f"{describe(self)}: ndmin must be 1, 2 or 3 (numpy's atleast_1d, "
                           f"_2d and _3d), got {ndmin}.")

    def fprop(self, a):
        return (np.atleast_1d, np.atleast_2d, np.atleast_3d)[self.ndmin - 1](a)

    def bprop(self, grad, a):
        return np.reshape(grad, np.shape(a))


def _at_least(ndmin: int, arys: tuple[Any, ...], name: str | None) -> Box | tuple[Box, ...]:
    boxes = tuple(AtLeast(a, ndmin, name=name or f"atleast_{ndmin}d") for a in arys)
    return boxes[0] if len(boxes) == 1 else boxes


@function("atleast_1d", box=AtLeast, numpy=np.atleast_1d, graphs=False)
def atleast_1d(*arys: Any, name: str | None = None) -> Box | tuple[Box, ...]:
    """Each array with at least one axis (a 0-d one as shape (1,)), as
    ``np.atleast_1d``: one box, or a tuple of boxes for several arrays."""
    return _at_least(1, arys, name)


@function("atleast_2d", box=AtLeast, numpy=np.atleast_2d, graphs=False)
def atleast_2d(*arys: Any, name: str | None = None) -> Box | tuple[Box, ...]:
    """Each array with at least two axes ((N,) as (1, N)), as ``np.atleast_2d``."""
    return _at_least(2, arys, name)


@function("atleast_3d", box=AtLeast, numpy=np.atleast_3d)
def atleast_3d(*arys: Any, name: str | None = None) -> Box | tuple[Box, ...]:
    """Each array with at least three axes ((N,) as (1, N, 1), (M, N) as (M, N, 1)), as
    ``np.atleast_3d``."""
    return _at_least(3, arys, name)


@primitive("astype", numpy=np.astype, method="astype")
class Astype(Box):
    """y = a converted to dtype;   d a = d y converted back to a's dtype (no gradient for
    an integer or boolean dtype, where y is piecewise constant in a)"""

    setting_attributes = {"dtype": "new_dtype"}

    def __init__(self, a: Any, dtype: Any, name: str | None = None) -> None:
        super().__init__(a, name=name)
        try:
            target = np.dtype(dtype)
        except TypeError as error:
            raise BoxError(f"{describe(self)}: {dtype!r} is not a dtype ({error}).") from None
        if target.kind == "c":
            raise BoxError(f"{describe(self)}: complex dtypes ({target}) are not "
                           "supported; autograd_flow differentiates real arrays.")
        if target.kind not in "biuf":
            raise BoxError(f"{describe(self)}: astype converts to a boolean, integer or float "
                           f"dtype, not {target}.")
        self.new_dtype = target.name  # a name, so the box is written back as code (af.testing)
        self.differentiable = target.kind == "f"

    def fprop(self, a):
        if np.iscomplexobj(a):
            raise BoxError(f"{describe(self)}: complex inputs ({np.result_type(a)}) are not "
                           "supported; autograd_flow differentiates real arrays.")
        return np.asarray(a).astype(self.new_dtype, copy=False)

    def bprop(self, grad, a):
        return astype_like(grad, a) if self.differentiable else None


def check_labels(box: Any, scores: Any, labels: Any) -> None:
    """Raise LabelError unless ``labels`` are integers in [0, C) of shape (N,) for
    ``scores`` of shape (N, C). Negative labels are refused (numpy would wrap them)."""
    shape = np.shape(scores)
    if len(shape) != 2:
        raise LabelError(f"{describe(box)}: expects scores of shape (N, C), got shape "
                         f"{shape}.")
    rows, classes = shape
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise LabelError(f"{describe(box)}: labels must be integers, got dtype "
                         f"{labels.dtype}; convert them with labels.astype(int) (for class "
                         "probabilities of shape (N, C), pass probabilities=True to "
                         "softmax_cross_entropy).")
    if labels.shape != (rows,):
        raise LabelError(f"{describe(box)}: labels of shape {labels.shape} do not match "
                         f"scores of shape {shape}; expected shape ({rows},).")
    if rows and (np.minimum.reduce(labels) < 0 or np.maximum.reduce(labels) >= classes):
        bad = labels[(labels < 0) | (labels >= classes)]
        raise LabelError(f"{describe(box)}: labels must lie in [0, {classes}) for "
                         f"{classes} classes; got {bad[:5].tolist()}.")


@primitive("pick", common=True, dims=(2, 2))
class Pick(Box):
    """y_n = a[n, labels_n] for a of shape (N, C) and integer labels in [0, C);
    d a = d y scattered into the picked entries (zero elsewhere); labels get no gradient"""

    linear_in = (0,)

    def fprop(self, a, labels):
        check_labels(self, a, labels)
        return a[np.arange(len(a)), labels]

    def bprop(self, grad, a, labels):
        grad_a = np.zeros_like(a, dtype=np.result_type(grad, a))
        grad_a[np.arange(len(grad_a)), labels] = grad
        return grad_a, None



@method("reshape")
def _reshape(self: Box, *shape: Any) -> Box:
    """Same values, new shape (``-1`` allowed), as ``ndarray.reshape``:
    ``a.reshape(2, 3)`` or ``a.reshape((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Reshape(self, shape=shape)


@method("transpose")
def _transpose(self: Box, *axes: Any) -> Box:
    """Permuted axes (reversed by default), as ``ndarray.transpose``:
    ``a.transpose()``, ``a.transpose(1, 0)`` or ``a.transpose((1, 0))``."""
    order = axes[0] if len(axes) == 1 and (axes[0] is None or isinstance(
        axes[0], (tuple, list))) else axes
    return Transpose(self, axes=order or None)


@method("T", as_property=True)
def _transposed(self: Box) -> Box:
    """Transpose (all axes reversed)."""
    return Transpose(self)


@function("ravel", box=Reshape, numpy=np.ravel, method="ravel", graphs=False)
def ravel(a: Any, name: str | None = None) -> Box:
    """a as a 1-D array (C order), as ``np.ravel``: a Reshape to (-1,)."""
    return Reshape(a, shape=(-1,), name=name or "ravel")


@function("flatten", box=Reshape, method="flatten", graphs=False)
def flatten(a: Any, name: str | None = None) -> Box:
    """a as a 1-D array (C order), as ``ndarray.flatten``: a Reshape to (-1,)."""
    return Reshape(a, shape=(-1,), name=name or "flatten")


@function("meshgrid", numpy=np.meshgrid, graphs=False)
def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy",
             name: str | None = None) -> list[Box]:
    """Coordinate grids from coordinate vectors (each flattened), as ``np.meshgrid``:
    grid k holds x_k along axis k (axes 0 and 1 swapped for ``indexing="xy"``) and is
    broadcast over the others (left at length 1 when ``sparse``); each entry of x_k
    gets the gradient summed over its copies. ``copy`` is accepted (a box never shares
    memory with its input)."""
    if indexing not in ("xy", "ij"):
        raise BoxError(f"meshgrid (called at {user_site()}): indexing must be 'xy' or 'ij', "
                       f"got {indexing!r}.")
    ones = (1,) * len(xi)
    shapes = [ones[:k] + (-1,) + ones[k + 1:] for k in range(len(xi))]
    if indexing == "xy" and len(xi) > 1:
        shapes[0], shapes[1] = (1, -1) + ones[2:], (-1, 1) + ones[2:]
    axes: list[Box] = [Reshape(x, shape=shape, name=f"{name or 'meshgrid'}[{k}]")
                       for k, (x, shape) in enumerate(zip(xi, shapes))]
    if sparse or len(axes) < 2:
        return axes
    grid: Box = ZerosLike(axes[0])
    for axis in axes[1:]:
        grid = Add(grid, ZerosLike(axis), name="grid")
    return [BroadcastLike(axis, grid, name=axis.name) for axis in axes]
