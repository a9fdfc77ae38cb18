"""Rewrites: patterns of primitive boxes that a plan runs as one step, with an identity
that needs fewer numpy calls (and less memory), written so that it gives the numbers
the primitives give, bit for bit. Each states the pattern it matches and the identity
it uses; tests/test_plan.py compares each with the primitives it replaces.
The boxes inside a pattern get their values when first read (pictures and inspection
still see every box).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import ops
from ..core.box import Box, Leaf
from .templates import _contiguous, _float, _kind, _made, _result, _scratch
from .writer import Grad, Writer


@dataclass
class Match:
    """A pattern found in a graph: its output box, the boxes inside it (computed on
    first access), and the boxes it reads from outside, in the rewrite's order."""

    rewrite: Rewrite
    output: Box
    inner: list[Box]
    inputs: list[Box]
    settings: dict[str, Any] = field(default_factory=dict)


def _axis_is_last(box: Box, ndim: int) -> bool:
    axis = getattr(box, "axis", None)
    axis = axis[0] if isinstance(axis, tuple) and len(axis) == 1 else axis
    return isinstance(axis, (int, np.integer)) and axis % ndim == ndim - 1


class Rewrite:
    """Finds its pattern ending at a box (``match``) and writes its code."""

    def match(self, box: Box) -> Match | None:
        raise NotImplementedError

    def fprop(self, w: Writer, m: Match, out: str, args: list[str], buffered: bool,
              shape: tuple[int, ...], dtype: Any) -> None:
        raise NotImplementedError

    def bprop(self, w: Writer, m: Match, out: str, args: list[str], g: Grad, gdtype: Any,
              wanted: tuple[bool, ...], fresh: tuple[bool, ...], shapes: list[Any],
              dtypes: list[Any]) -> list[tuple[Grad, Any] | None]:
        raise NotImplementedError


class Linear(Rewrite):
    """Pattern: MatMul(h, Transpose(W)) (+ b), h and W 2-D, b of shape (out,) (what
    ``af.linear`` builds). Identity: a = h W^T (+ b) in one gemm and one in-place add;
    d h = d a W,  d W = (d a)^T h,  d b = sum of the rows of d a, without the views of
    W^T and its gradient (lecture: grad W = (grad a) h^T, grad b = grad a,
    grad h = W^T grad a)."""

    def match(self, box):
        bias = None
        product = box
        if type(box) is ops.Add:
            product, bias = box.inputs
            if type(product) is not ops.MatMul:
                return None
        if type(product) is not ops.MatMul:
            return None
        h, transposed = product.inputs
        if type(transposed) is not ops.Transpose or transposed.axes not in (None, (1, 0)):
            return None
        W = transposed.inputs[0]
        values = [np.asarray(v.value) for v in (h, W, product)]
        if any(v.ndim != 2 or not _float(v.dtype) for v in values):
            return None
        if bias is not None:
            b = np.asarray(bias.value)
            if b.shape != values[2].shape[-1:] or np.result_type(values[2], b) != values[2].dtype:
                return None
            return Match(self, box, [transposed, product], [h, W, bias])
        return Match(self, box, [transposed], [h, W])

    def fprop(self, w, m, out, args, buffered, shape, dtype):
        h, W = args[0], args[1]
        target = f", out={w.buffer(shape, dtype, out + '_buf')}" if buffered else ""
        w.line(f"{out} = np.matmul({h}, {W}.T{target})")
        if len(args) == 3:
            w.line(f"np.add({out}, {args[2]}, out={out})")

    def bprop(self, w, m, out, args, g, gdtype, wanted, fresh, shapes, dtypes):
        grads: list[tuple[Grad, Any] | None] = [None] * len(args)
        h, W = args[0], args[1]
        if wanted[0]:
            dtype = _result(gdtype, dtypes[1])
            name = w.identifier(f"d_{h}")
            target = _scratch(w, shapes[0], dtype, name + "_buf", fresh[0])
            w.line(f"{name} = np.matmul({g.name}, {W}{target})")
            grads[0] = (_made(name, target), dtype)
        if wanted[1]:
            dtype = _result(gdtype, dtypes[0])
            name = w.identifier(f"d_{W}_from_{out}")
            if shapes[0][0] == 1 and isinstance(m.inputs[1], Leaf):
                # an outer product (BLAS is slow with an inner dimension 1), C-ordered:
                # the interpreter's is the transpose of a C-ordered one, but a leaf's
                # gradient only gets summed elementwise, where the layout does not count
                target = _scratch(w, shapes[1], dtype, name + "_buf", fresh[1])
                w.line(f"{name} = np.multiply({g.name}.T, {h}{target})")
                grads[1] = (_made(name, target), dtype)
            elif shapes[0][0] == 1:  # the outer product laid out as the interpreter's
                target = _scratch(w, shapes[1][::-1], dtype, name + "_buf", fresh[1], g.c,
                                  _contiguous(m.inputs[0].value))
                w.line(f"{name} = np.multiply({h}.T, {g.name}{target}).T")
                grads[1] = (Grad(name, _kind(target)), dtype)
            else:
                target = _scratch(w, shapes[1], dtype, name + "_buf", fresh[1])
                w.line(f"{name} = np.matmul({g.name}.T, {h}{target})")
                grads[1] = (_made(name, target), dtype)
        if len(args) == 3 and wanted[2]:
            name = w.identifier(f"d_{args[2]}")
            w.line(f"{name} = np.add.reduce({g.name}, axis=0)")
            grads[2] = (Grad(name, "fresh", c=True), gdtype)
        return grads


class SoftmaxCrossEntropy(Rewrite):
    """Pattern: Neg(Mean(Pick(log_softmax(a), y))) with a 2-D, log_softmax(a) =
    (a - m) - LogSumExp(a - m) over the last axis, m = StopGradient(Max(a)) (what
    ``af.softmax_cross_entropy`` builds). Identity: with z = a - m and L = log sum exp z,
    the loss is mean(L - z_y) and d a = (exp(z - L) - onehot(y)) d l / N, in the
    primitives' own operations (so their numbers) without the N x C log-probabilities,
    the scatter of the pick and the unbroadcast of the log-sum-exp (lecture: the gradient
    at the output pre-activation is -(e(y) - f(x)))."""

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
        if top.inputs[0] is not a or value.ndim != 2 or not _float(value.dtype) \
                or not value.flags.c_contiguous \
                or not top.keepdims or top.initial != -np.inf or len(value) == 0 \
                or not _axis_is_last(top, 2) or not _axis_is_last(lse, 2) \
                or np.asarray(labels.value).dtype.kind not in "iu":
            return None
        return Match(self, box, [top, peak, shifted, lse, log_probs, picked, mean], [a, labels])

    def fprop(self, w, m, out, args, buffered, shape, dtype):
        a, labels = args
        n, classes = np.shape(m.inputs[0].value)
        adtype = np.asarray(m.inputs[0].value).dtype
        rows = m.settings["rows"] = w.bind(np.arange(n), "rows")
        z = m.settings["z"] = w.buffer((n, classes), adtype, f"{out}_z")
        lse = m.settings["lse"] = w.identifier(f"{out}_lse")
        self.check_labels(w, m, labels, classes)
        w.line(f"np.subtract({a}, np.maximum.reduce({a}, axis=1, keepdims=True), out={z})")
        w.line(f"{lse} = np.log(np.add.reduce(np.exp({z}), axis=1, keepdims=True))")
        w.line(f"{out} = np.add.reduce({lse}[:, 0] - {z}[{rows}, {labels}]) / {n}")

    @staticmethod
    def check_labels(w: Writer, m: Match, labels: str, classes: int) -> None:
        """Labels of another dtype or outside [0, C) leave the step to the interpreter,
        which names the problem (``ops.shape.check_labels``). Their shape is the plan's:
        the interpreter checked it when the plan was made. Seen as unsigned integers of
        their width, negative labels are larger than any C: one reduction checks both
        ends."""
        value = np.asarray(m.inputs[1].value)
        unsigned = w.bind(np.dtype(f"u{value.dtype.itemsize}"), "unsigned")
        if not isinstance(m.inputs[1], Leaf):  # a Leaf's dtype is in the plan's signature
            w.line(f"if {labels}.dtype != {w.bind(value.dtype, 'label_dtype')}:")
            w.line("    raise Fallback")
        w.line(f"if np.maximum.reduce({labels}.view({unsigned})) >= {classes}:")
        w.line("    raise Fallback")

    def bprop(self, w, m, out, args, g, gdtype, wanted, fresh, shapes, dtypes):
        if not wanted[0]:
            return [None, None]
        n, rows = shapes[0][0], m.settings["rows"]
        name, scale = w.identifier(f"d_{args[0]}"), w.identifier(f"{out}_scale")
        w.line(f"{scale} = {g.name} / {n}")
        w.line(f"{name} = np.multiply({scale}, np.exp({m.settings['z']} - "
               f"{m.settings['lse']}))")
        w.line(f"{name}[{rows}, {args[1]}] -= {scale}")
        return [(Grad(name, "fresh", c=True), _result(gdtype, dtypes[0])), None]


REWRITES: tuple[Rewrite, ...] = (SoftmaxCrossEntropy(), Linear())
