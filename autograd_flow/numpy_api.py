"""The numpy surface of autograd_flow: one function per primitive box, named and called
as in numpy (``af.exp(a)``, ``af.sum(a, axis=0)``, ``af.maximum(a, b)``), each taking an
optional ``name=`` for the box. Numbers and arrays become Constants.

The docstring of each function is its box's formula line: the value and the gradient.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import ops
from .box import Box, Constant
from .ops.einsum import sublist_subscripts

Axis = int | Sequence[int] | None


def _function(cls: type[Box], name: str) -> Callable[..., Box]:
    """The function that builds a ``cls`` box from its inputs (``name=`` names the box)."""

    def build(*inputs: Any, name: str | None = None) -> Box:
        return cls(*inputs, name=name)

    build.__name__ = build.__qualname__ = name
    build.__module__ = __name__
    formula = (cls.__doc__ or "").strip()
    build.__doc__ = f"{formula}\n\n(Builds a :class:`autograd_flow.ops.{cls.__name__}` box.)"
    return build


# -- elementwise, one input ---------------------------------------------------------------
exp = _function(ops.Exp, "exp")
log = _function(ops.Log, "log")
tanh = _function(ops.Tanh, "tanh")
sigmoid = _function(ops.Sigmoid, "sigmoid")
relu = _function(ops.Relu, "relu")
identity = _function(ops.Identity, "identity")
square = _function(ops.Square, "square")
abs = _function(ops.Abs, "abs")  # noqa: A001 (numpy's name)
negative = _function(ops.Neg, "negative")
sign = _function(ops.Sign, "sign")
stop_gradient = _function(ops.StopGradient, "stop_gradient")

# -- elementwise, two inputs (numpy broadcasting) -----------------------------------------
add = _function(ops.Add, "add")
subtract = _function(ops.Sub, "subtract")
multiply = _function(ops.Mul, "multiply")
divide = _function(ops.Div, "divide")
maximum = _function(ops.Maximum, "maximum")
minimum = _function(ops.Minimum, "minimum")
power = _function(ops.Power, "power")
where = _function(ops.Where, "where")
greater = _function(ops.Greater, "greater")
greater_equal = _function(ops.GreaterEqual, "greater_equal")
less = _function(ops.Less, "less")
less_equal = _function(ops.LessEqual, "less_equal")
equal = _function(ops.Equal, "equal")
not_equal = _function(ops.NotEqual, "not_equal")


# -- reductions ---------------------------------------------------------------------------

def sum(a: Any, axis: Axis = None, keepdims: bool = False,  # noqa: A001
        name: str | None = None) -> Box:
    """Sum over ``axis`` (all axes by default), as ``np.sum``."""
    return ops.Sum(a, axis=axis, keepdims=keepdims, name=name)


def mean(a: Any, axis: Axis = None, keepdims: bool = False, name: str | None = None) -> Box:
    """Mean over ``axis`` (all axes by default), as ``np.mean``."""
    return ops.Mean(a, axis=axis, keepdims=keepdims, name=name)


def logsumexp(a: Any, axis: Axis = -1, keepdims: bool = False, name: str | None = None) -> Box:
    """log sum exp(a) over ``axis`` (the last by default), computed without overflow;
    -inf over no entries (as ``scipy.special.logsumexp``)."""
    return ops.LogSumExp(a, axis=axis, keepdims=keepdims, name=name)


# -- linear algebra and shapes ------------------------------------------------------------

def matmul(a: Any, b: Any, name: str | None = None) -> Box:
    """a @ b (numpy's matmul rules: 1-D operands, batch dimensions)."""
    return ops.MatMul(a, b, name=name)


def pick(a: Any, labels: Any, name: str | None = None) -> Box:
    """Row n's entry at column labels[n] of an (N, C) box; labels are checked."""
    return ops.Pick(a, labels, name=name)


def reshape(a: Any, shape: int | Sequence[int], name: str | None = None) -> Box:
    """a with a new shape (``-1`` allowed), as ``np.reshape``."""
    return ops.Reshape(a, shape=shape, name=name)


def transpose(a: Any, axes: Sequence[int] | None = None, name: str | None = None) -> Box:
    """a with permuted axes (reversed by default), as ``np.transpose``."""
    return ops.Transpose(a, axes=axes, name=name)


# -- indexing, joins and linear algebra (issue 15) ----------------------------------------

def _holds_box(value: Any) -> bool:
    return isinstance(value, Box) or (
        isinstance(value, (list, tuple)) and any(_holds_box(v) for v in value))


def _entry(value: Any) -> Any:
    """An item of a list to join: a (nested) list holding boxes as :func:`array`."""
    return array(value) if isinstance(value, (list, tuple)) and _holds_box(value) else value


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
    return ops.Stack(*(_entry(item) for item in object), axis=0, name=name)


def concatenate(arrays: Sequence[Any], axis: int | None = 0, name: str | None = None) -> Box:
    """The arrays joined along ``axis`` (flattened first when axis is None), as
    ``np.concatenate``; the shapes must agree off the axis."""
    return ops.Concatenate(*(_entry(a) for a in arrays), axis=axis, name=name)


def stack(arrays: Sequence[Any], axis: int = 0, name: str | None = None) -> Box:
    """The arrays (of one shape; boxes, numbers or nested lists of them) stacked along a
    new ``axis``, as ``np.stack``."""
    return ops.Stack(*(_entry(a) for a in arrays), axis=axis, name=name)


def _parts(a: Any, indices_or_sections: int | Sequence[int], axis: int, equal: bool,
           name: str | None) -> list[Box]:
    count = (int(indices_or_sections) if isinstance(indices_or_sections, (int, np.integer))
             else len(indices_or_sections) + 1)
    return [ops.Split(a, indices_or_sections, axis=axis, part=k, equal=equal,
                      name=None if name is None else f"{name}[{k}]")
            for k in range(max(count, 1))]


def split(a: Any, indices_or_sections: int | Sequence[int], axis: int = 0,
          name: str | None = None) -> list[Box]:
    """The parts of ``a`` along ``axis`` as a list of boxes, as ``np.split``: N equal
    parts (N must divide the axis) or the parts between the given indices."""
    return _parts(a, indices_or_sections, axis, True, name)


def array_split(a: Any, indices_or_sections: int | Sequence[int], axis: int = 0,
                name: str | None = None) -> list[Box]:
    """As :func:`split`, but N parts need not be equal (the first ones are one longer),
    as ``np.array_split``."""
    return _parts(a, indices_or_sections, axis, False, name)


def dot(a: Any, b: Any, name: str | None = None) -> Box:
    """dot(a, b) with numpy's rules: a product for 0-d, the inner product of 1-D
    vectors, the matrix product of 2-D, a sum over a's last axis and b's second-to-last
    for N-D."""
    return ops.Dot(a, b, name=name)


def outer(a: Any, b: Any, name: str | None = None) -> Box:
    """The outer product of a and b, both flattened first, as ``np.outer``."""
    return ops.Outer(a, b, name=name)


def tensordot(a: Any, b: Any, axes: int | Sequence[Any] = 2, name: str | None = None) -> Box:
    """The sum over the last ``axes`` axes of a and the first of b, or over two lists of
    axes (``axes=([1, 0], [0, 1])``), as ``np.tensordot``."""
    return ops.TensorDot(a, b, axes=axes, name=name)


def einsum(subscripts: Any, *operands: Any, optimize: Any = False,
           name: str | None = None) -> Box:
    """Einstein summation, as ``np.einsum``: any subscripts numpy takes (``'ij,jk->ik'``,
    implicit output ``'ij,jk'``, ``'...'``, repeated indices ``'ii->i'``), or numpy's
    sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``; ``optimize`` as numpy's."""
    if not isinstance(subscripts, str):
        subscripts, operands = sublist_subscripts((subscripts, *operands))
    return ops.Einsum(*operands, subscripts=subscripts, optimize=optimize, name=name)
