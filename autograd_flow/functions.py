"""The composites of the lecture: functions that only wire primitive boxes together
(``linear``, ``softmax``, ``log_softmax``, ``softmax_cross_entropy``,
``mean_squared_error``, ``l1_penalty``, ``l2_penalty``). They define no bprop of their
own. Each records its :class:`~autograd_flow.box.Scope` so a drawing can show it
collapsed. (The function of each primitive box is in :mod:`autograd_flow.numpy_api`.)
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import fused, ops
from .box import Box, as_box, composite


@composite("linear")
def linear(h: Any, W: Any, b: Any = None, name: str | None = None) -> Box:
    """Pre-activation a = b + W h (lecture), batched over rows of h: h @ W.T + b.

    ``W`` has shape (out, in) as in the lecture; ``h`` has shape (N, in) or (in,).
    """
    h, W = as_box(h), as_box(W)
    transposed = ops.Transpose(W, name="W^T")
    a = ops.MatMul(h, transposed, name=(name or "W h") if b is None else "W h")
    if b is None:
        a.fusion = fused.Linear((h, W), (transposed, a))
        return a
    out = ops.Add(a, b, name=name or "b + W h")
    out.fusion = fused.Linear((h, W, out.inputs[1]), (transposed, a, out))
    return out


@composite("log_softmax")
def log_softmax(a: Any, axis: int = -1, name: str | None = None) -> Box:
    """log softmax(a) = a - logsumexp(a): stable for large |a|."""
    return ops.Sub(a, ops.LogSumExp(a, axis=axis, keepdims=True), name=name or "log_softmax")


@composite("softmax")
def softmax(a: Any, axis: int = -1, name: str | None = None) -> Box:
    """softmax(a)_c = exp(a_c) / sum_c' exp(a_c') (the lecture's output o(a))."""
    return ops.Exp(log_softmax(a, axis=axis), name=name or "softmax")


@composite("softmax_cross_entropy")
def softmax_cross_entropy(logits: Any, labels: Any, name: str | None = None) -> Box:
    """Mean over the batch of -log softmax(logits)[label]: the lecture's l(f(x), y) =
    -log f(x)_y, whose gradient at the logits is -(e(y) - f(x)) / N.

    ``logits`` has shape (N, C); ``labels`` are integers in [0, C), shape (N,).
    """
    log_probs = log_softmax(logits)
    picked = ops.Pick(log_probs, labels, name="log f(x)_y")
    mean_picked = ops.Mean(picked)
    out = ops.Neg(mean_picked, name=name or "cross_entropy")
    logits_box, lse = log_probs.inputs
    out.fusion = fused.SoftmaxCrossEntropy((logits_box, picked.inputs[1]),
                                           (lse, log_probs, picked, mean_picked, out))
    return out


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


@composite("l1_penalty")
def l1_penalty(weights: Sequence[Any], name: str | None = None) -> Box:
    """Omega = sum_k sum_ij |W^(k)_ij|; gradient sign(W) (lecture, L1 regularization)."""
    return _penalty(weights, ops.Abs, fused.AbsNorm, name or "l1")


@composite("l2_penalty")
def l2_penalty(weights: Sequence[Any], name: str | None = None) -> Box:
    """Omega = sum_k ||W^(k)||_F^2; gradient 2 W (lecture, L2 regularization)."""
    return _penalty(weights, ops.Square, fused.SquaredNorm, name or "l2")


def _penalty(weights: Any, term: type[Box], fusion: type[fused.Fusion], name: str) -> Box:
    """sum over the weights of Sum(term(W)), as a chain of Adds, with its fusion."""
    weights = _as_list(weights)
    terms = [term(W) for W in weights]
    sums = [ops.Sum(t) for t in terms]
    total, adds = _total(sums, name)
    total.fusion = fusion(weights, terms + sums + adds)
    return total


def _as_list(weights: Any) -> list[Box]:
    boxes = [as_box(W) for W in ([weights] if isinstance(weights, Box) else weights)]
    if not boxes:
        raise ValueError("a penalty needs at least one weight")
    return boxes


def _total(terms: list[Box], name: str) -> tuple[Box, list[Box]]:
    """Sum of the terms as a chain of Add boxes; returns the total and the Adds."""
    total, adds = terms[0], []
    for term in terms[1:]:
        total = ops.Add(total, term)
        adds.append(total)
    total.name = name
    return total, adds
