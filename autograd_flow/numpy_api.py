"""The numpy surface of autograd_flow: one function per primitive box, named and called
as in numpy (``af.exp(a)``, ``af.sum(a, axis=0)``, ``af.maximum(a, b)``), each taking an
optional ``name=`` for the box. Numbers and arrays become Constants.

The docstring of each function is its box's formula line: the value and the gradient.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import ops
from .box import Box

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


# -- issue 15: elementwise, trigonometric and arithmetic --------------------------------
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
