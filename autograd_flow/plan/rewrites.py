"""Rewrites: patterns of primitive boxes that a plan runs as one formula with an identity
that needs fewer numpy calls (and less memory), written so that it gives the numbers
the primitives give, bit for bit. Each states the pattern it matches and the identity
it uses; tests/plan compares each with the primitives it replaces. The formulas are
traced like a box's own (:mod:`.trace`), so they get the plan's buffers.

The boxes inside a pattern get their values when first read (pictures and inspection
still see every box).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from .. import ops
from ..core.box import Box, Leaf
from ..core.order import Schedule
from .trace import Traced, Tracer


@dataclass
class Match:
    """A pattern found in a graph: its output box, the boxes inside it (computed on
    first access), and the boxes it reads from outside, in the rewrite's order."""

    rewrite: Rewrite
    output: Box
    inner: list[Box]
    inputs: list[Box]
    settings: dict[str, Any] = field(default_factory=dict)


class Rewrite:
    """Finds its pattern ending at a box (``match``) and gives its formulas."""

    def match(self, box: Box) -> Match | None:
        raise NotImplementedError

    def fprop(self, tracer: Tracer, m: Match, inputs: list[Traced]) -> Traced:
        raise NotImplementedError

    def bprop(self, tracer: Tracer, m: Match, grad: Traced,
              inputs: list[Traced]) -> list[Traced | None]:
        raise NotImplementedError


def _axis_is_last(box: Box, ndim: int) -> bool:
    axis = getattr(box, "axis", None)
    axis = axis[0] if isinstance(axis, tuple) and len(axis) == 1 else axis
    return isinstance(axis, (int, np.integer)) and axis % ndim == ndim - 1


def _labels_fit(dtype: np.dtype, classes: int, labels: Any) -> bool:
    """Labels of the traced integer type (in either byte order) in [0, C): seen as
    unsigned integers of their width and byte order, negative labels are larger than any
    C, so one reduction checks both ends."""
    kind = labels.dtype
    return kind.newbyteorder("=") == dtype and np.maximum.reduce(
        labels.view(kind.str.replace("i", "u"))) < classes


def _subtract_at(d: Any, rows: np.ndarray, labels: Any, scale: Any) -> Any:
    """d[rows, labels] -= scale, in place (each row once), and d."""
    d[rows, labels] -= scale
    return d


class Linear(Rewrite):
    """Pattern: MatMul(h, Transpose(W)) (+ b), h and W 2-D, b of shape (out,) (what
    ``af.linear`` builds). Identity: a = h W^T (+ b) and d h = d a W, d W = (d a)^T h
    (an outer product for one row: BLAS is slow with an inner dimension of 1), d b =
    the sum of d a's rows (lecture: grad W = (grad a) h^T, grad b = grad a, grad h =
    W^T grad a): the products the primitives compute, without the views of W^T and of
    its gradient. A W that is not a leaf gets its gradient laid out as the primitives
    lay it out (its gradient flows on, where sums follow the layout)."""

    def match(self, box):
        bias = None
        product = box
        if type(box) is ops.Add:
            product, bias = box.inputs
        if type(product) is not ops.MatMul:
            return None
        h, transposed = product.inputs
        if type(transposed) is not ops.Transpose or transposed.axes not in (None, (1, 0)):
            return None
        W = transposed.inputs[0]
        values = [np.asarray(v.value) for v in (h, W, product)]
        if any(v.ndim != 2 or v.dtype.kind != "f" for v in values):
            return None
        if bias is None:
            return Match(self, box, [transposed], [h, W])
        b = np.asarray(bias.value)
        if b.shape != values[2].shape[-1:] or np.result_type(values[2], b) != values[2].dtype:
            return None
        return Match(self, box, [transposed, product], [h, W, bias])

    def fprop(self, tracer, m, inputs):
        a = np.matmul(inputs[0], inputs[1].T)
        return a + inputs[2] if len(inputs) == 3 else a

    def bprop(self, tracer, m, grad, inputs):
        h, W = inputs[0], inputs[1]
        if h.shape[0] != 1:
            grad_W = np.matmul(grad.T, h)
        elif isinstance(m.inputs[1], Leaf):
            grad_W = grad.T * h
        else:
            grad_W = (h.T * grad).T
        grads = [np.matmul(grad, W), grad_W]
        if len(inputs) == 3:
            grads.append(np.add.reduce(grad, axis=0))
        return grads


class SoftmaxCrossEntropy(Rewrite):
    """Pattern: Neg(Mean(Pick(log_softmax(a), y))) with a 2-D, log_softmax(a) =
    (a - m) - LogSumExp(a - m) over the last axis, m = StopGradient(Max(a)) (what
    ``af.softmax_cross_entropy`` builds). Identity: with z = a - m and L = log sum exp z,
    the loss is mean(L - z_y) and d a = (exp(z - L) - onehot(y)) d l / N, in the
    primitives' own operations (so their numbers) without the N x C log-probabilities,
    the scatter of the pick and the unbroadcast of the log-sum-exp (lecture: the gradient
    at the output pre-activation is -(e(y) - f(x))). Labels of another dtype or outside
    [0, C) leave the step to the interpreter, which names the problem."""

    def match(self, box):
        if type(box) is not ops.Neg:
            return None
        mean = box.inputs[0]
        if type(mean) is not ops.Mean or mean.axis is not None:
            return None
        picked = mean.inputs[0]
        if type(picked) is not ops.Pick:
            return None
        log_probs, labels = picked.inputs
        if type(log_probs) is not ops.Sub:
            return None
        shifted, lse = log_probs.inputs
        if type(shifted) is not ops.Sub or type(lse) is not ops.LogSumExp \
                or lse.inputs[0] is not shifted or not lse.keepdims:
            return None
        a, peak = shifted.inputs
        if type(peak) is not ops.StopGradient or type(peak.inputs[0]) is not ops.Max:
            return None
        top = peak.inputs[0]
        value = np.asarray(a.value)
        if top.inputs[0] is not a or value.ndim != 2 or value.dtype.kind != "f" \
                or not value.flags.c_contiguous \
                or not top.keepdims or top.initial != -np.inf or 0 in value.shape \
                or not _axis_is_last(top, 2) or not _axis_is_last(lse, 2) \
                or np.asarray(labels.value).dtype.kind not in "iu":
            return None
        return Match(self, box, [top, peak, shifted, lse, log_probs, picked, mean], [a, labels])

    def fprop(self, tracer, m, inputs):
        a, labels = inputs
        n, classes = a.shape
        dtype = labels.dtype
        tracer.check(partial(_labels_fit, dtype, classes), labels, hint="labels_fit")
        rows = m.settings["rows"] = np.arange(n)
        z = m.settings["z"] = a - np.maximum.reduce(a, axis=1, keepdims=True)
        lse = m.settings["lse"] = np.log(np.add.reduce(np.exp(z), axis=1, keepdims=True))
        return np.add.reduce(lse[:, 0] - z[rows, labels]) / n

    def bprop(self, tracer, m, grad, inputs):
        a, labels = inputs
        scale = grad / a.shape[0]
        d = scale * np.exp(m.settings["z"] - m.settings["lse"])
        return [tracer.inplace(_subtract_at, d, m.settings["rows"], labels, scale), None]


REWRITES: tuple[Rewrite, ...] = (SoftmaxCrossEntropy(), Linear())


def find_rewrites(schedule: Schedule) -> dict[int, Match]:
    """Non-overlapping matches, the inner boxes of each read only inside it and neither
    an output nor asked for in wrt; keyed by id of the pattern's output."""
    consumers: dict[int, list[Box]] = {}
    for box in schedule.order:
        for source in box.inputs:
            consumers.setdefault(id(source), []).append(box)
    protected = set(map(id, schedule.outputs)) | set(map(id, schedule.wrt))
    taken: set[int] = set()
    found: dict[int, Match] = {}
    for box in reversed(schedule.order):
        if isinstance(box, Leaf) or id(box) in taken:
            continue
        for rewrite in REWRITES:
            match = rewrite.match(box)
            if match is None:
                continue
            inner = {id(b) for b in match.inner}
            allowed = inner | {id(box)}
            if inner & (protected | taken) or any(
                    id(c) not in allowed for i in inner for c in consumers.get(i, ())):
                continue
            found[id(box)] = match
            taken |= allowed
            break
    return found
