"""The composites of the lecture: functions that only wire primitive boxes together
(``linear``, ``softmax``, ``log_softmax``, ``softmax_cross_entropy``,
``mean_squared_error``, ``binary_cross_entropy_with_logits``, ``l1_penalty``,
``l2_penalty``). They define no bprop of their own. Each records its
:class:`~autograd_flow.core.scope.Scope` so a drawing can show it collapsed, and each
is a function of the ``af`` namespace, declared with :func:`autograd_flow.ops.function`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import ops
from ..core.box import Box, as_box
from ..core.scope import composite
from ..ops.registry import function


@function("linear", dims=(1, 2), common=True)
@composite("linear")
def linear(h: Any, W: Any, b: Any = None, name: str | None = None) -> Box:
    """Pre-activation a = b + W h (lecture), batched over rows of h: h @ W.T + b.

    ``W`` has shape (out, in) as in the lecture; ``h`` has shape (N, in) or (in,).
    """
    h, W = as_box(h), as_box(W)
    transposed = ops.Transpose(W, name="W^T")
    a = ops.MatMul(h, transposed, name=(name or "W h") if b is None else "W h")
    if b is None:
        return a
    return ops.Add(a, b, name=name or "b + W h")


@function("log_softmax", dims=(1, 3), common=True)
@composite("log_softmax")
def log_softmax(a: Any, axis: int = -1, name: str | None = None) -> Box:
    """log softmax(a) = (a - m) - log sum exp(a - m) along ``axis``, with m = max(a) held
    constant (the value does not depend on m, so neither do its derivatives): every
    digit kept at large |a|, float32 included."""
    peak = ops.StopGradient(ops.Max(a, axis=axis, keepdims=True, initial=-np.inf), name="max")
    shifted = ops.Sub(a, peak, name="a - max")
    return ops.Sub(shifted, ops.LogSumExp(shifted, axis=axis, keepdims=True),
                   name=name or "log_softmax")


@function("softmax", dims=(1, 3), common=True)
@composite("softmax")
def softmax(a: Any, axis: int = -1, name: str | None = None) -> Box:
    """softmax(a)_c = exp(a_c) / sum_c' exp(a_c') (the lecture's output o(a))."""
    return ops.Exp(log_softmax(a, axis=axis), name=name or "softmax")


@function("softmax_cross_entropy", dims=(2, 2), common=True)
@composite("softmax_cross_entropy")
def softmax_cross_entropy(logits: Any, labels: Any, *, reduction: str = "mean",
                          weight: Any = None, ignore_index: int | None = None,
                          label_smoothing: float = 0.0, probabilities: bool = False,
                          name: str | None = None) -> Box:
    """Mean over the batch of -log softmax(logits)[label]: the lecture's l(f(x), y) =
    -log f(x)_y, whose gradient at the logits is -(e(y) - f(x)) / N.

    ``logits`` has shape (N, C); ``labels`` are integers in [0, C), shape (N,), or, with
    ``probabilities=True``, class probabilities of shape (N, C). The options mean what
    they mean in ``torch.nn.functional.cross_entropy``:

    - ``reduction``: "mean" (over examples; with ``weight`` or ``ignore_index``, divided
      by the summed weights of the examples kept), "sum" or "none" (one loss per example);
    - ``weight``: a weight per class (C,), multiplying each example's loss;
    - ``ignore_index``: examples with this label add nothing (not with probabilities);
    - ``label_smoothing`` eps in [0, 1]: the target is (1 - eps) e(y) + eps / C.
    """
    check_reduction(reduction, "softmax_cross_entropy")
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"softmax_cross_entropy: label_smoothing must lie in [0, 1], got "
                         f"{label_smoothing}")
    if probabilities and ignore_index is not None:
        raise ValueError("softmax_cross_entropy: ignore_index applies to class labels, not "
                         "to probabilities=True")
    log_probs = log_softmax(logits)
    if probabilities:
        return _probability_cross_entropy(log_probs, labels, reduction, weight,
                                          label_smoothing, name)
    if reduction == "mean" and weight is None and ignore_index is None \
            and not label_smoothing:
        return _mean_cross_entropy(log_probs, labels, name)
    kept = None if ignore_index is None else ops.NotEqual(labels, ignore_index, name="kept")
    safe = labels if kept is None else ops.Where(kept, labels, 0, name="labels")
    losses: Box = ops.Neg(ops.Pick(log_probs, safe, name="log f(x)_y"))
    factor: Box | None = None if weight is None else ops.Pick(
        ops.BroadcastLike(weight, log_probs), safe, name="weight[y]")
    if kept is not None:  # as the losses' dtype: a sum of booleans is int64, which promotes
        kept_weight = ops.AstypeLike(kept, losses, name="kept")
        factor = kept_weight if factor is None else ops.Mul(factor, kept_weight)
    if factor is not None:
        losses = ops.Mul(losses, factor)
    if label_smoothing:
        weighted = log_probs if weight is None else ops.Mul(log_probs, weight)
        losses = _smoothed(losses, weighted, label_smoothing, kept)
    if reduction == "mean" and factor is not None:
        out: Box = ops.Div(ops.Sum(losses), ops.Sum(factor, name="kept weight"))
    else:
        out = reduce_loss(losses, reduction)
    out.name = name or "cross_entropy"
    return out


def _mean_cross_entropy(log_probs: Box, labels: Any, name: str | None) -> Box:
    """The lecture's loss: the mean of -log f(x)_y (a compiled plan runs it as one step,
    :class:`autograd_flow.plan.rewrites.SoftmaxCrossEntropy`)."""
    picked = ops.Pick(log_probs, labels, name="log f(x)_y")
    return ops.Neg(ops.Mean(picked), name=name or "cross_entropy")


def _probability_cross_entropy(log_probs: Box, targets: Any, reduction: str, weight: Any,
                               label_smoothing: float, name: str | None) -> Box:
    """-sum_c t_c w_c log f(x)_c per example, t smoothed to (1 - eps) t + eps / C."""
    weighted = log_probs if weight is None else ops.Mul(log_probs, weight)
    losses: Box = ops.Neg(ops.Sum(ops.Mul(targets, weighted), axis=-1))
    if label_smoothing:
        losses = _smoothed(losses, weighted, label_smoothing)
    out = reduce_loss(losses, reduction)
    out.name = name or "cross_entropy"
    return out


def _smoothed(losses: Box, weighted: Box, eps: float, kept: Box | None = None) -> Box:
    """The losses against targets smoothed to (1 - eps) t + eps / C: (1 - eps) losses +
    eps * (-mean_c w_c log f(x)_c), from ``weighted`` = w log f(x) (times ``kept``, the
    examples not ignored)."""
    smooth: Box = ops.Neg(ops.Mean(weighted, axis=-1), name="smoothing")
    if kept is not None:
        smooth = ops.Mul(smooth, kept)
    return ops.Add(ops.Mul(1 - eps, losses), ops.Mul(eps, smooth))


REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str, who: str) -> None:
    """Raise ValueError unless ``reduction`` is "mean", "sum" or "none"."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{who}: unknown reduction {reduction!r}; choose one of "
                         f"{', '.join(map(repr, REDUCTIONS))}.")


def reduce_loss(losses: Box, reduction: str) -> Box:
    """Per-entry losses reduced as ``reduction`` says: "mean" (every loss's default),
    "sum", or "none" (the per-entry losses themselves)."""
    if reduction == "mean":
        return ops.Mean(losses)
    if reduction == "sum":
        return ops.Sum(losses)
    return losses


@function("mean_squared_error", graphs=False)
@composite("mean_squared_error")
def mean_squared_error(prediction: Any, target: Any, reduction: str = "mean",
                       name: str | None = None) -> Box:
    """The squared error (f(x) - y)^2 per entry, averaged over every entry by default
    (``reduction="sum"`` adds them up, ``"none"`` keeps them); d f(x) = 2 (f(x) - y) / n.

    ``target`` broadcasts against ``prediction`` as in numpy, so give it the
    prediction's shape: a target of shape (N,) against a prediction of shape (N, 1)
    would broadcast to (N, N).
    """
    check_reduction(reduction, "mean_squared_error")
    errors = ops.Square(ops.Sub(prediction, target, name="f(x) - y"))
    out = reduce_loss(errors, reduction)
    out.name = name or "squared_error"
    return out


@function("l1_penalty", domain="kinkfree", common=True)
@composite("l1_penalty")
def l1_penalty(weights: Sequence[Any], name: str | None = None) -> Box:
    """Omega = sum_k sum_ij |W^(k)_ij|; gradient sign(W) (lecture, L1 regularization)."""
    return _penalty([ops.Sum(ops.Abs(W)) for W in _as_list(weights)], name or "l1")


@function("l2_penalty", common=True)
@composite("l2_penalty")
def l2_penalty(weights: Sequence[Any], name: str | None = None) -> Box:
    """Omega = sum_k ||W^(k)||_F^2 = sum_k W^(k) . W^(k); gradient 2 W (lecture, L2
    regularization)."""
    return _penalty([ops.Vdot(W, W, name="W . W") for W in _as_list(weights)], name or "l2")


def _penalty(terms: list[Box], name: str) -> Box:
    """The sum of the terms as a chain of Add boxes, named ``name``."""
    total = terms[0]
    for term in terms[1:]:
        total = ops.Add(total, term)
    total.name = name
    return total


def _as_list(weights: Any) -> list[Box]:
    boxes = [as_box(W) for W in ([weights] if isinstance(weights, Box) else weights)]
    if not boxes:
        raise ValueError("a penalty needs at least one weight")
    return boxes


@function("binary_cross_entropy_with_logits", graphs=False)
@composite("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(logits: Any, targets: Any, reduction: str = "mean",
                                     weight: Any = None, pos_weight: Any = None,
                                     name: str | None = None) -> Box:
    """Binary cross-entropy of the probabilities sigmoid(a) against targets t in [0, 1],
    as ``torch.nn.functional.binary_cross_entropy_with_logits``:

        l = -w [p t log sigmoid(a) + (1 - t) log(1 - sigmoid(a))]
          = w [p t softplus(-a) + (1 - t) softplus(a)]

    computed in the second form, so exact for large |a| (float32 included) where
    sigmoid(a) rounds to 0 or 1. d a = w [(1 - t) sigmoid(a) - p t (1 - sigmoid(a))],
    which is w (sigmoid(a) - t) without ``pos_weight``.

    ``targets`` has the logits' shape (hard 0/1 labels or probabilities); ``weight`` (w)
    broadcasts to it, ``pos_weight`` (p, the weight of the positive term) broadcasts
    along the last axis (one per class); ``reduction`` "mean" (over every entry), "sum"
    or "none".
    """
    check_reduction(reduction, "binary_cross_entropy_with_logits")
    logits, targets = as_box(logits), as_box(targets)
    positive: Box = ops.Mul(targets, ops.Softplus(ops.Neg(logits)), name="t softplus(-a)")
    if pos_weight is not None:
        positive = ops.Mul(positive, pos_weight, name="p t softplus(-a)")
    negative = ops.Mul(ops.Sub(1, targets, name="1 - t"), ops.Softplus(logits),
                       name="(1 - t) softplus(a)")
    losses: Box = ops.Add(positive, negative)
    if weight is not None:
        losses = ops.Mul(losses, weight, name="weighted")
    out = reduce_loss(losses, reduction)
    out.name = name or "binary_cross_entropy"
    return out
