"""Regression losses as composites of primitive boxes, as ``torch.nn.functional``
defines them: ``l1_loss``, ``smooth_l1_loss`` and ``huber_loss``, each a function of the
``af`` namespace too (``af.l1_loss``), and ``mse_loss`` (of ``af.nn``: the lecture's
:func:`autograd_flow.nn.functions.mean_squared_error` under torch's name).

``target`` broadcasts against ``prediction`` as in numpy, so give it the prediction's
shape; ``reduction`` is "mean" (over every entry, the default), "sum" or "none" (the
per-entry losses). The target gets a gradient too (minus the prediction's).
"""
from __future__ import annotations

from typing import Any

from .. import ops
from ..core.box import Box
from ..core.scope import composite
from ..ops.registry import function
from .functions import check_reduction, mean_squared_error, reduce_loss


@function("l1_loss")
@composite("l1_loss")
def l1_loss(prediction: Any, target: Any, reduction: str = "mean",
            name: str | None = None) -> Box:
    """The absolute error |f(x) - y| per entry, as ``torch.nn.functional.l1_loss``;
    d f(x) = sign(f(x) - y) (0 where they are equal) / n for the mean."""
    check_reduction(reduction, "l1_loss")
    out = reduce_loss(ops.Abs(ops.Sub(prediction, target, name="f(x) - y")), reduction)
    out.name = name or "l1_loss"
    return out


@function("smooth_l1_loss")
@composite("smooth_l1_loss")
def smooth_l1_loss(prediction: Any, target: Any, reduction: str = "mean", beta: float = 1.0,
                   name: str | None = None) -> Box:
    """As ``torch.nn.functional.smooth_l1_loss``, with z = |f(x) - y| per entry:

        l = 0.5 z^2 / beta  where z < beta,   z - 0.5 beta  elsewhere

    (the l1 loss for ``beta=0``): quadratic near 0, linear beyond beta, so the gradient
    (f(x) - y) / beta inside is bounded by 1 in magnitude.
    """
    check_reduction(reduction, "smooth_l1_loss")
    beta = float(beta)
    if not beta >= 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta!r}")
    if beta == 0:
        return l1_loss(prediction, target, reduction, name=name or "smooth_l1_loss")
    z = ops.Abs(ops.Sub(prediction, target, name="f(x) - y"), name="z = |f(x) - y|")
    inside = ops.Less(z, beta, name="z < beta")
    quadratic = ops.Div(ops.Mul(0.5, ops.Square(z)), beta, name="0.5 z^2 / beta")
    linear = ops.Sub(z, 0.5 * beta, name="z - 0.5 beta")
    out = reduce_loss(ops.Where(inside, quadratic, linear), reduction)
    out.name = name or "smooth_l1_loss"
    return out


@function("huber_loss")
@composite("huber_loss")
def huber_loss(prediction: Any, target: Any, reduction: str = "mean", delta: float = 1.0,
               name: str | None = None) -> Box:
    """Huber's loss (1964), as ``torch.nn.functional.huber_loss``, with z = |f(x) - y|:

        l = 0.5 z^2  where z < delta,   delta (z - 0.5 delta)  elsewhere

    that is delta * smooth_l1_loss with beta = delta: the squared error near 0, an l1
    loss of slope delta beyond it.
    """
    check_reduction(reduction, "huber_loss")
    delta = float(delta)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta!r}")
    z = ops.Abs(ops.Sub(prediction, target, name="f(x) - y"), name="z = |f(x) - y|")
    inside = ops.Less(z, delta, name="z < delta")
    quadratic = ops.Mul(0.5, ops.Square(z), name="0.5 z^2")
    linear = ops.Mul(delta, ops.Sub(z, 0.5 * delta), name="delta (z - 0.5 delta)")
    out = reduce_loss(ops.Where(inside, quadratic, linear), reduction)
    out.name = name or "huber_loss"
    return out


def mse_loss(prediction: Any, target: Any, reduction: str = "mean",
             name: str | None = None) -> Box:
    """The squared error (f(x) - y)^2 per entry, as ``torch.nn.functional.mse_loss``:
    :func:`~autograd_flow.nn.functions.mean_squared_error` (``af.mean_squared_error``),
    named "mse_loss";  d f(x) = 2 (f(x) - y) / n for the mean."""
    return mean_squared_error(prediction, target, reduction, name=name or "mse_loss")


__all__ = ["l1_loss", "smooth_l1_loss", "huber_loss", "mse_loss"]
