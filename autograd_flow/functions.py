"""Functions that build boxes: one per primitive, and the composites of the lecture.

Composites (``linear``, ``softmax``, ``log_softmax``, ``softmax_cross_entropy``,
``l1_penalty``, ``l2_penalty``) only wire primitive boxes together; they define no
bprop of their own. Each records its :class:`~autograd_flow.box.Scope` so a drawing
can show it collapsed.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import fused, ops
from .box import Box, as_box, composite

Axis = int | Sequence[int] | None


def exp(a: Any, name: str | None = None) -> Box:
    """exp(a), elementwise."""
    return ops.Exp(a, name=name)


def log(a: Any, name: str | None = None) -> Box:
    """Natural logarithm, elementwise (a > 0)."""
    return ops.Log(a, name=name)


def tanh(a: Any, name: str | None = None) -> Box:
    """tanh(a), elementwise; derivative 1 - tanh(a)^2."""
    return ops.Tanh(a, name=name)


def sigmoid(a: Any, name: str | None = None) -> Box:
    """1 / (1 + exp(-a)), elementwise; derivative g(a)(1 - g(a))."""
    return ops.Sigmoid(a, name=name)


def relu(a: Any, name: str | None = None) -> Box:
    """max(0, a), elementwise; subgradient 0 at a = 0."""
    return ops.Relu(a, name=name)


def identity(a: Any, name: str | None = None) -> Box:
    """a itself (the linear activation)."""
    return ops.Identity(a, name=name)


def square(a: Any, name: str | None = None) -> Box:
    """a**2, elementwise."""
    return ops.Square(a, name=name)


def abs(a: Any, name: str | None = None) -> Box:  # noqa: A001 (the math's name)
    """|a|, elementwise; subgradient sign(a), 0 at a = 0."""
    return ops.Abs(a, name=name)


def maximum(a: Any, b: Any, name: str | None = None) -> Box:
    """max(a, b), elementwise with broadcasting; at ties each side gets half the gradient."""
    return ops.Maximum(a, b, name=name)


def sum(a: Any, axis: Axis = None, keepdims: bool = False,  # noqa: A001
        name: str | None = None) -> Box:
    """Sum over ``axis`` (all axes by default)."""
    return ops.Sum(a, axis=axis, keepdims=keepdims, name=name)


def mean(a: Any, axis: Axis = None, keepdims: bool = False, name: str | None = None) -> Box:
    """Mean over ``axis`` (all axes by default)."""
    return ops.Mean(a, axis=axis, keepdims=keepdims, name=name)


def matmul(a: Any, b: Any, name: str | None = None) -> Box:
    """a @ b (numpy's matmul rules)."""
    return ops.MatMul(a, b, name=name)


def logsumexp(a: Any, axis: Axis = -1, keepdims: bool = False, name: str | None = None) -> Box:
    """log sum exp(a) over ``axis``, computed without overflow."""
    return ops.LogSumExp(a, axis=axis, keepdims=keepdims, name=name)


def pick(a: Any, labels: Any, name: str | None = None) -> Box:
    """Row n's entry at column labels[n] of an (N, C) box; labels are checked."""
    return ops.Pick(a, labels, name=name)


def reshape(a: Any, shape: Sequence[int], name: str | None = None) -> Box:
    """a with a new shape."""
    return ops.Reshape(a, shape=shape, name=name)


def transpose(a: Any, axes: Sequence[int] | None = None, name: str | None = None) -> Box:
    """a with permuted axes (reversed by default)."""
    return ops.Transpose(a, axes=axes, name=name)


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
