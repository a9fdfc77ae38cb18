"""Activation functions as composites of primitive boxes (no bprop of their own), as
``torch.nn.functional`` defines them: ``gelu`` (exact and tanh forms), ``silu``,
``mish``, ``elu``, ``selu``, ``celu``, ``softsign`` and ``hardsigmoid``, each a
function of the ``af`` namespace too (``af.gelu``), declared with
:func:`autograd_flow.ops.function`; and ``prelu``, ``threshold``, ``tanhshrink`` and
``softplus`` (torch's, with ``beta`` and ``threshold``; ``af.softplus`` is the
primitive log(1 + exp(a))), of ``af.nn`` only.

The piecewise ones (elu, selu, celu) take the exponential of min(a, 0) only, written
``where(a > 0, 0, a)``, so that the branch ``where`` discards never overflows (an
infinite value there would make its zero gradient 0 * inf = NaN), and so that at
a = 0 the gradient is the left one, as PyTorch's.
"""
from __future__ import annotations

import math
from typing import Any

from .. import ops
from ..core.box import Box, as_box
from ..core.scope import composite
from ..ops.registry import function
from .layer import static_shape

#: SELU's constants (Klambauer et al. 2017), PyTorch's digits
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

GELU_FORMS = ("none", "tanh")


@function("gelu")
@composite("gelu")
def gelu(a: Any, approximate: str = "none", name: str | None = None) -> Box:
    """a Phi(a), Phi the standard normal distribution function, as
    ``torch.nn.functional.gelu`` (Hendrycks and Gimpel 2016):

        approximate="none" (exact):  0.5 a (1 + erf(a / sqrt(2)))
        approximate="tanh":          0.5 a (1 + tanh(sqrt(2 / pi) (a + 0.044715 a^3)))

    The exact form is built on the ``erf`` primitive (``af.erf``, which needs SciPy,
    the ``learn`` extra); the tanh form on tanh alone, within 2e-4 of the exact one.
    """
    if approximate not in GELU_FORMS:
        raise ValueError(f"gelu: approximate must be 'none' (exact) or 'tanh', got "
                         f"{approximate!r}")
    a = as_box(a)
    if approximate == "tanh":
        cube = ops.Mul(0.044715, ops.Mul(a, ops.Square(a)), name="0.044715 a^3")
        inner = ops.Mul(math.sqrt(2 / math.pi), ops.Add(a, cube),
                        name="sqrt(2/pi) (a + 0.044715 a^3)")
        phi = ops.Add(1, ops.Tanh(inner), name="1 + tanh(...)")
    else:
        phi = ops.Add(1, ops.Erf(ops.Mul(a, math.sqrt(0.5), name="a / sqrt(2)")),
                      name="1 + erf(a / sqrt(2))")
    return ops.Mul(ops.Mul(a, 0.5, name="a / 2"), phi, name=name or "gelu")


@function("silu", common=True)
@composite("silu")
def silu(a: Any, name: str | None = None) -> Box:
    """a sigmoid(a) (the swish of Ramachandran et al. 2017), as
    ``torch.nn.functional.silu``;  d a = sigmoid(a) (1 + a (1 - sigmoid(a)))."""
    a = as_box(a)
    return ops.Mul(a, ops.Sigmoid(a), name=name or "silu")


@function("mish")
@composite("mish")
def mish(a: Any, name: str | None = None) -> Box:
    """a tanh(softplus(a)) (Misra 2019), as ``torch.nn.functional.mish``; softplus is
    the stable primitive, so large |a| neither overflows nor loses digits."""
    a = as_box(a)
    return ops.Mul(a, ops.Tanh(ops.Softplus(a)), name=name or "mish")


def _exponential_unit(a: Any, alpha: float, scale: float = 1.0, input_scale: float = 1.0
                      ) -> Box:
    """scale * (a if a > 0 else alpha (exp(input_scale a) - 1)): elu, selu and celu
    (PyTorch's elu kernel has the same three constants)."""
    a = as_box(a)
    positive = ops.Greater(a, 0, name="a > 0")
    negative: Box = ops.Where(positive, 0, a, name="min(a, 0)")
    if input_scale != 1:
        negative = ops.Mul(negative, input_scale, name="min(a, 0) / alpha")
    saturating = ops.Mul(alpha, ops.Expm1(negative), name="alpha (exp(.) - 1)")
    out: Box = ops.Where(positive, a, saturating)
    return ops.Mul(out, scale) if scale != 1 else out


@function("elu", domain="kinkfree")
@composite("elu")
def elu(a: Any, alpha: float = 1.0, name: str | None = None) -> Box:
    """a if a > 0 else alpha (exp(a) - 1) (Clevert et al. 2015), as
    ``torch.nn.functional.elu``;  d a = 1 if a > 0 else alpha exp(a)."""
    out = _exponential_unit(a, float(alpha))
    out.name = name or "elu"
    return out


@function("selu", domain="kinkfree")
@composite("selu")
def selu(a: Any, name: str | None = None) -> Box:
    """scale * elu(a, alpha) with alpha = 1.6732632423543772 and scale =
    1.0507009873554805 (Klambauer et al. 2017), as ``torch.nn.functional.selu``."""
    out = _exponential_unit(a, SELU_ALPHA, scale=SELU_SCALE)
    out.name = name or "selu"
    return out


@function("celu", domain="kinkfree")
@composite("celu")
def celu(a: Any, alpha: float = 1.0, name: str | None = None) -> Box:
    """a if a > 0 else alpha (exp(a / alpha) - 1) (Barron 2017), as
    ``torch.nn.functional.celu``: continuously differentiable for every alpha != 0;
    d a = 1 if a > 0 else exp(a / alpha)."""
    if float(alpha) == 0:
        raise ValueError("celu: alpha must not be 0 (it divides a)")
    out = _exponential_unit(a, float(alpha), input_scale=1 / float(alpha))
    out.name = name or "celu"
    return out


@function("softsign")
@composite("softsign")
def softsign(a: Any, name: str | None = None) -> Box:
    """a / (1 + |a|), as ``torch.nn.functional.softsign``;  d a = 1 / (1 + |a|)^2."""
    a = as_box(a)
    return ops.Div(a, ops.Add(1, ops.Abs(a), name="1 + |a|"), name=name or "softsign")


@function("hardsigmoid", bound=2.5)
@composite("hardsigmoid")
def hardsigmoid(a: Any, name: str | None = None) -> Box:
    """min(max(a + 3, 0), 6) / 6, as ``torch.nn.functional.hardsigmoid`` (the same
    operations, so the same digits);  d a = 1/6 for -3 < a < 3, else 0."""
    clipped = ops.Clip(ops.Add(a, 3, name="a + 3"), 0, 6, name="clip(a + 3, 0, 6)")
    return ops.Div(clipped, 6, name=name or "hardsigmoid")


@composite("prelu")
def prelu(a: Any, weight: Any, name: str | None = None) -> Box:
    """a if a > 0 else w a, w one learned slope per channel (axis 1 of a), as
    ``torch.nn.functional.prelu`` (He et al. 2015): ``weight`` holds one slope (shape ()
    or (1,), for every entry, and the only form for an ``a`` of fewer than 2 axes) or C,
    C = a.shape[1];  d a = 1 if a > 0 else w,  d w = 0 if a > 0 else a (summed over the
    entries w scales). At a = 0 the slope is w, as in PyTorch."""
    a, weight = as_box(a), as_box(weight)
    shape = static_shape(weight)
    _check_slopes(shape, static_shape(a))
    if shape is not None and shape in ((), (1,)):
        slope = ops.Mul(ops.Reshape(weight, (), name="w"), a, name="w a")
    else:  # one slope per channel: the channels last, against w's one axis, and back
        slope = ops.SwapAxes(ops.Mul(ops.SwapAxes(a, 1, -1), weight), 1, -1, name="w a")
    return ops.Where(ops.Greater(a, 0, name="a > 0"), a, slope, name=name or "prelu")


def _check_slopes(shape: tuple[int | None, ...] | None,
                  a_shape: tuple[int | None, ...] | None) -> None:
    """prelu's weight (when its shape is known): one slope, or one per channel of a."""
    if shape is None:
        return
    channels = None if a_shape is None or len(a_shape) < 2 else a_shape[1]
    one = len(shape) == 0 or shape == (1,)
    if len(shape) > 1 or not one and a_shape is not None and (
            len(a_shape) < 2 or channels not in (None, shape[0])):
        raise ValueError(f"prelu: weight has shape {shape}; it needs one slope (shape () or "
                         f"(1,)) or one per channel, a.shape[1] (a has shape {a_shape})")


@composite("threshold")
def threshold(a: Any, threshold: float, value: float, name: str | None = None) -> Box:
    """a if a > threshold else value, as ``torch.nn.functional.threshold``;  d a = 1 if
    a > threshold else 0."""
    return ops.Where(ops.Greater(a, threshold, name="a > threshold"), a, value,
                     name=name or "threshold")


@composite("tanhshrink")
def tanhshrink(a: Any, name: str | None = None) -> Box:
    """a - tanh(a), as ``torch.nn.functional.tanhshrink``;  d a = tanh(a)^2."""
    return ops.Sub(a, ops.Tanh(a), name=name or "tanhshrink")


@composite("softplus")
def softplus(a: Any, beta: float = 1.0, threshold: float = 20.0,
             name: str | None = None) -> Box:
    """log(1 + exp(beta a)) / beta, and a itself where beta a > threshold (the two
    differ by less than exp(-threshold) / beta there), as ``torch.nn.functional.softplus``;
    d a = sigmoid(beta a), or 1 beyond the threshold. Built on the stable primitive
    ``af.softplus`` (no overflow at any beta a)."""
    beta = float(beta)
    if beta == 0:
        raise ValueError("softplus: beta must not be 0 (it divides the result)")
    a = as_box(a)
    scaled = ops.Mul(a, beta, name="beta a") if beta != 1 else a
    smooth = ops.Softplus(scaled, name="softplus(beta a)")
    if beta != 1:
        smooth = ops.Div(smooth, beta, name="softplus(beta a) / beta")
    return ops.Where(ops.Greater(scaled, threshold, name="beta a > threshold"), a, smooth,
                     name=name or "softplus")


__all__ = ["gelu", "silu", "mish", "elu", "selu", "celu", "softsign", "hardsigmoid",
           "prelu", "threshold", "tanhshrink", "softplus", "SELU_ALPHA", "SELU_SCALE"]
