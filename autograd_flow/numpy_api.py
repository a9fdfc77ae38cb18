"""The numpy surface of autograd_flow: one function per primitive box, named and called
as in numpy (``af.exp(a)``, ``af.sum(a, axis=0)``, ``af.maximum(a, b)``), each taking an
optional ``name=`` for the box. Numbers and arrays become Constants.

The docstring of each function is its box's formula line: the value and the gradient.
"""
from __future__ import annotations

import builtins
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


def max(a: Any, axis: Axis = None, keepdims: bool = False,  # noqa: A001
        initial: float | None = None, name: str | None = None) -> Box:
    """Maximum over ``axis`` (all axes by default), as ``np.max``; ties share the
    gradient equally. ``initial`` is the value of an empty reduction."""
    return ops.Max(a, axis=axis, keepdims=keepdims, initial=initial, name=name)


def min(a: Any, axis: Axis = None, keepdims: bool = False,  # noqa: A001
        initial: float | None = None, name: str | None = None) -> Box:
    """Minimum over ``axis`` (all axes by default), as ``np.min``; ties share the
    gradient equally. ``initial`` is the value of an empty reduction."""
    return ops.Min(a, axis=axis, keepdims=keepdims, initial=initial, name=name)


amax, amin = max, min


def prod(a: Any, axis: Axis = None, keepdims: bool = False, name: str | None = None) -> Box:
    """Product over ``axis`` (all axes by default), as ``np.prod``; its gradient is exact
    where entries are zero."""
    return ops.Prod(a, axis=axis, keepdims=keepdims, name=name)


def cumsum(a: Any, axis: int | None = None, name: str | None = None) -> Box:
    """Running sum along ``axis``, as ``np.cumsum`` (``axis=None``: of the flattened array)."""
    if axis is None:
        return ops.Cumsum(ops.Reshape(a, shape=(-1,)), axis=0, name=name)
    return ops.Cumsum(a, axis=axis, name=name)


def cumprod(a: Any, axis: int | None = None, name: str | None = None) -> Box:
    """Running product along ``axis``, as ``np.cumprod`` (``axis=None``: of the flattened
    array); its gradient is exact where entries are zero."""
    if axis is None:
        return ops.Cumprod(ops.Reshape(a, shape=(-1,)), axis=0, name=name)
    return ops.Cumprod(a, axis=axis, name=name)


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


# -- elementwise, trigonometric and arithmetic ------------------------------------------
sqrt = _function(ops.Sqrt, "sqrt")
cbrt = _function(ops.Cbrt, "cbrt")
log1p = _function(ops.Log1p, "log1p")
expm1 = _function(ops.Expm1, "expm1")
log2 = _function(ops.Log2, "log2")
log10 = _function(ops.Log10, "log10")
exp2 = _function(ops.Exp2, "exp2")
softplus = _function(ops.Softplus, "softplus")
log_sigmoid = _function(ops.LogSigmoid, "log_sigmoid")
fabs = _function(ops.Abs, "fabs")
floor = _function(ops.Floor, "floor")
ceil = _function(ops.Ceil, "ceil")
sin = _function(ops.Sin, "sin")
cos = _function(ops.Cos, "cos")
tan = _function(ops.Tan, "tan")
arcsin = _function(ops.Arcsin, "arcsin")
arccos = _function(ops.Arccos, "arccos")
arctan = _function(ops.Arctan, "arctan")
sinh = _function(ops.Sinh, "sinh")
cosh = _function(ops.Cosh, "cosh")
arcsinh = _function(ops.Arcsinh, "arcsinh")
arccosh = _function(ops.Arccosh, "arccosh")
arctanh = _function(ops.Arctanh, "arctanh")
sinc = _function(ops.Sinc, "sinc")
deg2rad = _function(ops.Deg2rad, "deg2rad")
rad2deg = _function(ops.Rad2deg, "rad2deg")
arctan2 = _function(ops.Arctan2, "arctan2")
hypot = _function(ops.Hypot, "hypot")
logaddexp = _function(ops.Logaddexp, "logaddexp")
fmax = _function(ops.Fmax, "fmax")
fmin = _function(ops.Fmin, "fmin")
mod = _function(ops.Mod, "mod")
remainder = mod  # numpy's np.remainder is np.mod


def round(a: Any, decimals: int = 0, name: str | None = None) -> Box:  # noqa: A001
    """a rounded to ``decimals`` places (negative: to tens, hundreds, ...), halves to
    even, as ``np.round``; no gradient (piecewise constant)."""
    return ops.Round(a, decimals=decimals, name=name)


def nan_to_num(x: Any, copy: bool = True, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None, name: str | None = None) -> Box:
    """x with NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by
    default 0 and the dtype's largest and smallest numbers), as ``np.nan_to_num``;
    gradient 1 where x is finite and 0 elsewhere. ``copy`` is accepted for numpy's
    signature: a box never writes into its input."""
    return ops.NanToNum(x, nan=nan, posinf=posinf, neginf=neginf, name=name)


def clip(a: Any, a_min: Any = None, a_max: Any = None, name: str | None = None) -> Box:
    """a limited to [a_min, a_max], as ``np.clip``: each bound a number, an array that
    broadcasts with a, or None for no bound on that side. The bounds are settings, not
    differentiated (for bounds that are boxes write ``af.minimum(af.maximum(a, low),
    high)``). Gradient: 1 where a_min < a < a_max, 0 outside and on the bounds."""
    return ops.Clip(a, a_min=a_min, a_max=a_max, name=name)
# -- shapes, arrangements and matrix structure --------------------------------------------

def expand_dims(a: Any, axis: int | Sequence[int], name: str | None = None) -> Box:
    """a with axes of length 1 inserted at ``axis`` (positions in the result; negative
    counts from the end), as ``np.expand_dims``."""
    return ops.ExpandDims(a, axis=axis, name=name)


def squeeze(a: Any, axis: Axis = None, name: str | None = None) -> Box:
    """a without its axes of length 1 (those of ``axis``: each must have length 1), as
    ``np.squeeze``."""
    return ops.Squeeze(a, axis=axis, name=name)


def swapaxes(a: Any, axis1: int, axis2: int, name: str | None = None) -> Box:
    """a with axes ``axis1`` and ``axis2`` interchanged, as ``np.swapaxes``."""
    return ops.SwapAxes(a, axis1, axis2, name=name)


def moveaxis(a: Any, source: int | Sequence[int], destination: int | Sequence[int],
             name: str | None = None) -> Box:
    """a with axes ``source`` moved to positions ``destination`` (the other axes keep
    their order), as ``np.moveaxis``."""
    return ops.MoveAxis(a, source, destination, name=name)


def broadcast_to(a: Any, shape: int | Sequence[int], name: str | None = None) -> Box:
    """a broadcast to ``shape`` (numpy's rules), as ``np.broadcast_to``; its gradient
    sums over the broadcast axes."""
    return ops.BroadcastTo(a, shape=shape, name=name)


def ravel(a: Any, name: str | None = None) -> Box:
    """a as a 1-D array (C order), as ``np.ravel``: a Reshape to (-1,)."""
    return ops.Reshape(a, shape=(-1,), name=name or "ravel")


def flatten(a: Any, name: str | None = None) -> Box:
    """a as a 1-D array (C order), as ``ndarray.flatten``: a Reshape to (-1,)."""
    return ops.Reshape(a, shape=(-1,), name=name or "flatten")


def astype(a: Any, dtype: Any, name: str | None = None) -> Box:
    """a converted to ``dtype`` (boolean, integer or float), as ``np.astype``; the
    gradient comes back in a's dtype, and there is none through an integer or boolean
    dtype."""
    return ops.Astype(a, dtype, name=name)


def pad(a: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0,
        name: str | None = None) -> Box:
    """a surrounded by ``constant_values``, ``pad_width`` entries before and after each
    axis (one int, one (before, after) pair, or a pair per axis), as ``np.pad`` in its
    constant mode (the only mode). ``constant_values`` may be a box: it gets the sum of
    the gradient over the entries it fills."""
    return ops.Pad(a, constant_values, pad_width=pad_width, mode=mode, name=name)


def flip(a: Any, axis: Axis = None, name: str | None = None) -> Box:
    """a with the order of entries reversed along ``axis`` (all axes by default), as
    ``np.flip``."""
    return ops.Flip(a, axis=axis, name=name)


def fliplr(a: Any, name: str | None = None) -> Box:
    """a flipped along axis 1 (left to right), as ``np.fliplr``."""
    return ops.Flip(a, axis=1, name=name or "fliplr")


def flipud(a: Any, name: str | None = None) -> Box:
    """a flipped along axis 0 (up to down), as ``np.flipud``."""
    return ops.Flip(a, axis=0, name=name or "flipud")


def rot90(a: Any, k: int = 1, axes: Sequence[int] = (0, 1), name: str | None = None) -> Box:
    """a rotated by ``k`` quarter turns in the plane of ``axes``, as ``np.rot90``."""
    return ops.Rot90(a, k=k, axes=axes, name=name)


def roll(a: Any, shift: int | Sequence[int], axis: Axis = None,
         name: str | None = None) -> Box:
    """a with entries shifted cyclically by ``shift`` along ``axis`` (of the flattened a
    by default), as ``np.roll``."""
    return ops.Roll(a, shift=shift, axis=axis, name=name)


def tile(a: Any, reps: int | Sequence[int], name: str | None = None) -> Box:
    """a repeated ``reps[k]`` times along axis k, as ``np.tile``; the gradient sums
    over the copies."""
    return ops.Tile(a, reps=reps, name=name)


def repeat(a: Any, repeats: int | Sequence[int], axis: int | None = None,
           name: str | None = None) -> Box:
    """Each entry of a repeated ``repeats`` times (or ``repeats[i]`` times for entry i)
    along ``axis`` (of the flattened a by default), as ``np.repeat``; the gradient sums
    over each entry's copies."""
    return ops.Repeat(a, repeats=repeats, axis=axis, name=name)


def triu(m: Any, k: int = 0, name: str | None = None) -> Box:
    """m with the entries below the k-th diagonal zeroed (last two axes), as ``np.triu``."""
    return ops.Triu(m, k=k, name=name)


def tril(m: Any, k: int = 0, name: str | None = None) -> Box:
    """m with the entries above the k-th diagonal zeroed (last two axes), as ``np.tril``."""
    return ops.Tril(m, k=k, name=name)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1,
             name: str | None = None) -> Box:
    """The ``offset`` diagonal of axes (axis1, axis2), as a last axis, as ``np.diagonal``."""
    return ops.Diagonal(a, offset=offset, axis1=axis1, axis2=axis2, name=name)


def diag(v: Any, k: int = 0, name: str | None = None) -> Box:
    """As ``np.diag``: a 1-D v gives the square matrix with v on its k-th diagonal, a 2-D
    v gives its k-th diagonal."""
    return ops.Diag(v, k=k, name=name)


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1,
          name: str | None = None) -> Box:
    """The sum of the ``offset`` diagonal of axes (axis1, axis2), as ``np.trace``:
    a Diagonal box summed over its last axis."""
    return ops.Sum(ops.Diagonal(a, offset=offset, axis1=axis1, axis2=axis2), axis=-1,
                   name=name or "trace")


def kron(a: Any, b: Any, name: str | None = None) -> Box:
    """The Kronecker product of a and b (block i is a[i] * b), as ``np.kron``."""
    return ops.Kron(a, b, name=name)


def sort(a: Any, axis: int | None = -1, name: str | None = None) -> Box:
    """a sorted along ``axis`` (the flattened a when None), as ``np.sort``; the gradient
    goes back through the sorting permutation (tied entries in the stable order)."""
    return ops.Sort(a, axis=axis, name=name)
# -- indexing, joins and linear algebra ---------------------------------------------------

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
            for k in range(builtins.max(count, 1))]


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


def vdot(a: Any, b: Any, name: str | None = None) -> Box:
    """sum_i a_i b_i over the flattened arrays (same size), as ``np.vdot`` of real arrays;
    ``af.vdot(W, W)`` is the squared Frobenius norm the L2 penalty sums."""
    return ops.Vdot(a, b, name=name)


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
        subscripts, listed = sublist_subscripts((subscripts, *operands))
        operands = tuple(listed)
    return ops.Einsum(*operands, subscripts=subscripts, optimize=optimize, name=name)
