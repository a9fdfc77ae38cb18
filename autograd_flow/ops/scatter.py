"""Gathering and scattering along an axis, as numpy's ``take_along_axis`` and
``put_along_axis`` (which returns a new box instead of writing into its input).

The index array is an input (an array, or a box fed at run time) and gets no gradient.
Numpy's rules: the index array has as many axes as the array, and the other axes
broadcast against each other; ``axis=None`` reads the flattened array.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.box import Box
from ..errors import BoxError, describe
from .axes import axis_index, integer_setting
from .registry import function, primitive


def along_axis_index(shape: tuple[int, ...], indices: np.ndarray,
                     axis: int) -> tuple[np.ndarray, ...]:
    """The fancy index that reads ``take_along_axis(a, indices, axis)`` from an array of
    ``shape``: ``indices`` along ``axis``, and along every other axis k its position,
    shaped to broadcast (numpy's own construction)."""
    ndim = len(shape)
    return tuple(indices if k == axis else
                 np.arange(side).reshape((1,) * k + (side,) + (1,) * (ndim - k - 1))
                 for k, side in enumerate(shape))


class _AlongAxis(Box):
    """Shared by TakeAlongAxis and PutAlongAxis: the axis and the index check."""

    def __init__(self, *inputs: Any, axis: int | None, name: str | None = None) -> None:
        super().__init__(*inputs, name=name)
        self.axis = None if axis is None else integer_setting(self, axis, "axis")

    def index(self, a: Any, indices: Any) -> tuple[np.ndarray, ...]:
        """The fancy index of ``indices`` into ``a`` (flattened when axis is None),
        checked as numpy checks it, with errors that name the box."""
        indices = np.asarray(indices)
        if indices.dtype.kind not in "iu":
            raise BoxError(f"{describe(self)}: the indices must be integers, got a "
                           f"{indices.dtype} array; convert them with .astype(int).")
        shape = np.shape(a)
        if self.axis is None:
            shape, axis = (int(np.prod(shape)),), 0
            if indices.ndim != 1:
                raise BoxError(f"{describe(self)}: with axis=None the indices must be 1-D "
                               f"(they index the flattened array), got shape "
                               f"{indices.shape}.")
        else:
            axis = axis_index(self, self.axis, shape)
            if indices.ndim != len(shape):
                raise BoxError(f"{describe(self)}: the indices (shape {indices.shape}) must "
                               f"have as many axes as the array (shape {shape}).")
        side = shape[axis]
        bad = indices[(indices < -side) | (indices >= side)]
        if bad.size:
            raise BoxError(f"{describe(self)}: index {bad.flat[0]} is out of range for axis "
                           f"{axis} of length {side} (the array has shape {shape}).")
        fancy = along_axis_index(shape, indices, axis)
        try:
            np.broadcast_shapes(*(np.shape(part) for part in fancy))
        except ValueError:
            raise BoxError(f"{describe(self)}: the indices of shape {indices.shape} do not "
                           f"broadcast against the array of shape {shape} off axis "
                           f"{axis}.") from None
        return fancy


@primitive("take_along_axis", numpy=np.take_along_axis, dims=(1, 3))
class TakeAlongAxis(_AlongAxis):
    """y = a[..., indices[..., j, ...], ...] along axis (np.take_along_axis);
    d a = d y added at the entries read (an entry read twice gets both), zero elsewhere;
    the indices get none"""

    linear_in = (0,)

    def __init__(self, arr: Any, indices: Any, axis: int | None = -1,
                 name: str | None = None) -> None:
        super().__init__(arr, indices, axis=axis, name=name)

    def fprop(self, a, indices):
        return np.ravel(a)[self.index(a, indices)] if self.axis is None \
            else np.asarray(a)[self.index(a, indices)]

    def bprop(self, grad, a, indices):
        grad_a = np.zeros(np.shape(a), dtype=np.result_type(grad, a))
        np.add.at(np.reshape(grad_a, (-1,)) if self.axis is None else grad_a,
                  self.index(a, indices), grad)
        return grad_a, None


@primitive()
class PutAlongAxis(_AlongAxis):
    """y = a with y[..., indices[..., j, ...], ...] = values along axis (a new array, as
    np.put_along_axis would leave a; values broadcast against the indices; where an entry
    is indexed twice, the value numpy writes last is kept);
    d a = d y where nothing was put, zero where something was;
    d values = d y read at the entries put, zero for a value overwritten by a later one"""

    linear_in = (0, 2)  # jointly linear in a and values

    def __init__(self, arr: Any, indices: Any, values: Any, axis: int | None,
                 name: str | None = None) -> None:
        super().__init__(arr, indices, values, axis=axis, name=name)

    def _put(self, target: np.ndarray, fancy: tuple[np.ndarray, ...], values: Any) -> None:
        try:
            target[fancy] = values
        except ValueError:
            shape = np.broadcast_shapes(*(np.shape(part) for part in fancy))
            raise BoxError(f"{describe(self)}: values of shape {np.shape(values)} do not "
                           f"broadcast to the shape {shape} of the entries put.") from None

    def fprop(self, a, indices, values):
        y = np.array(a, dtype=np.result_type(a, values))
        self._put(np.reshape(y, (-1,)) if self.axis is None else y,
                  self.index(a, indices), values)
        return y

    def _winners(self, a: Any, fancy: tuple[np.ndarray, ...]) -> np.ndarray:
        """For each entry of the broadcast index: whether its value is the one kept (the
        same assignment, made with each entry's number in place of its value)."""
        shape = np.broadcast_shapes(*(np.shape(part) for part in fancy))
        numbers = np.arange(int(np.prod(shape))).reshape(shape)
        owner = np.full(int(np.prod(np.shape(a))), -1, dtype=numbers.dtype)
        owner_shaped = owner if self.axis is None else np.reshape(owner, np.shape(a))
        owner_shaped[fancy] = numbers
        return np.equal(owner_shaped[fancy], numbers)

    def bprop(self, grad, a, indices, values):
        fancy = self.index(a, indices)
        grad = np.asarray(grad)
        flat = np.reshape(grad, (-1,)) if self.axis is None else grad
        grad_values = flat[fancy] * self._winners(a, fancy)
        grad_a = np.array(grad)
        (np.reshape(grad_a, (-1,)) if self.axis is None else grad_a)[fancy] = 0
        return grad_a, None, grad_values


@function("put_along_axis", box=PutAlongAxis, dims=(1, 3))
def put_along_axis(arr: Any, indices: Any, values: Any, axis: int | None,
                   name: str | None = None) -> Box:
    """``arr`` with ``values`` put at ``indices`` along ``axis``, as
    ``np.put_along_axis`` leaves ``arr``, but as a new box (``arr`` is not written).
    Where indices repeat an entry, the last value is kept (as numpy) and only it gets a
    gradient."""
    return PutAlongAxis(arr, indices, values, axis=axis, name=name)
