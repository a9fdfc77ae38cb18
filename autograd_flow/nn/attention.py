"""Scaled dot-product attention (Vaswani et al. 2017) as a composite, and a single
attention head with its query, key and value projections."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..core.box import Box, Input, Parameter, as_box
from ..core.scope import composite, scope
from . import functions as F
from .layer import Layer, float_dtype, glorot_uniform, positive_int


@composite("attention")
def attention(q: Any, k: Any, v: Any, mask: Any = None, scale: float | None = None,
              name: str | None = None) -> Box:
    """softmax(q k^T / sqrt(d)) v, as ``torch.nn.functional.scaled_dot_product_attention``:

        scores[..., i, j] = sum_c q[..., i, c] k[..., j, c] / sqrt(d)
        y[..., i, :] = sum_j softmax_j(scores[..., i, :]) v[..., j, :]

    ``q`` has shape (..., L_q, d), ``k`` (..., L_k, d), ``v`` (..., L_k, d_v); leading axes
    broadcast. ``scale`` replaces 1 / sqrt(d) (d read from q when the graph runs).
    ``mask``: booleans broadcasting to (..., L_q, L_k), True where query i may attend to
    key j (PyTorch's boolean attn_mask), e.g. ``np.tril(np.ones((L, L), bool))`` for
    causal attention; masked scores become -inf, so they get weight 0 and no gradient.
    A query whose keys are all masked gets NaN, as in PyTorch.
    """
    q, k, v = as_box(q), as_box(k), as_box(v)
    label = name or "attention"
    for box, what in ((q, "q"), (k, "k"), (v, "v")):
        if isinstance(box, Input) and box.shape is not None and len(box.shape) < 2:
            raise ValueError(f"attention '{label}': {what} ({box.name!r}) has shape "
                             f"{box.shape}; it needs at least 2 axes (..., length, features)")
    if mask is not None:
        mask = as_box(mask)
        kind = getattr(mask.value, "dtype", None) if mask.value is not None else None
        if kind is not None and kind != np.bool_:
            raise ValueError(f"attention '{label}': the mask must hold booleans (True = "
                             f"attend), got {kind}; for an additive mask add it to the "
                             "scores yourself")
    scores: Box = ops.MatMul(q, ops.SwapAxes(k, -1, -2, name="k^T"),
                             name=f"{label}: q k^T, q (..., Lq, d), k (..., Lk, d)")
    if scale is None:
        first_row = ops.GetItem(q, (Ellipsis, slice(0, 1), slice(None)), name="q[..., :1, :]")
        width = ops.Sum(ops.Add(ops.ZerosLike(first_row), 1), axis=-1, keepdims=True, name="d")
        scores = ops.Div(scores, ops.Sqrt(width), name="q k^T / sqrt(d)")
    else:
        scores = ops.Mul(scores, float(scale), name="q k^T * scale")
    if mask is not None:
        scores = ops.Where(mask, scores, -np.inf, name="masked scores")
    weights = F.softmax(scores, axis=-1, name="attention weights")
    return ops.MatMul(weights, v, name=label)


class AttentionHead(Layer):
    """One head of scaled dot-product attention with its projections (no biases):

        q = x W_q^T,  k = c W_k^T,  v = c W_v^T,  y = attention(q, k, v, mask)

    where c = x (self-attention) or the ``context`` given to the call (cross-attention).
    W_q and W_k have shape (d_head, d_model), W_v (d_value, d_model) (d_value = d_head by
    default), each drawn from U[-b, b], b = sqrt(6 / (d_model + d_out)) (Glorot). Inputs
    have shape (..., L, d_model); the output (..., L, d_value).
    """

    def __init__(self, d_model: int, d_head: int, d_value: int | None = None, seed: int = 0,
                 dtype: Any = np.float64, name: str = "attention") -> None:
        who = f"AttentionHead '{name}'"
        d_model = positive_int(d_model, "d_model", who)
        d_head = positive_int(d_head, "d_head", who)
        d_value = d_head if d_value is None else positive_int(d_value, "d_value", who)
        dtype = float_dtype(dtype, who)
        rng = np.random.default_rng(seed)
        self.name, self.d_model = name, d_model
        self.W_q, self.W_k, self.W_v = (
            Parameter(glorot_uniform((d_out, d_model), d_model, d_out, rng, dtype),
                      name=f"{name}.{label}")
            for label, d_out in (("W_q", d_head), ("W_k", d_head), ("W_v", d_value)))

    def __call__(self, x: Any, mask: Any = None, context: Any = None) -> Box:
        """Attention of the positions of ``x`` (..., L, d_model) over those of ``context``
        (default: x itself); ``mask`` as :func:`attention`'s."""
        x = as_box(x)
        context = x if context is None else as_box(context)
        for box, what in ((x, "x"), (context, "context")):
            if isinstance(box, Input) and box.shape is not None and (
                    len(box.shape) < 2 or box.shape[-1] not in (None, self.d_model)):
                raise ValueError(f"AttentionHead '{self.name}': {what} ({box.name!r}) has "
                                 f"shape {box.shape}; it must be (..., length, d_model="
                                 f"{self.d_model})")
        with scope("attention_head", self.name):
            width = f"(..., L, d_model={self.d_model})"
            q = F.linear(x, self.W_q, name=f"{self.name}: q = x W_q^T, x {width}")
            k = F.linear(context, self.W_k, name=f"{self.name}: k = c W_k^T, c {width}")
            v = F.linear(context, self.W_v, name=f"{self.name}: v = c W_v^T, c {width}")
            return attention(q, k, v, mask=mask, name=self.name)

    def __repr__(self) -> str:
        d_head, d_value = self.W_q.value.shape[0], self.W_v.value.shape[0]
        return (f"AttentionHead(d_model={self.d_model}, d_head={d_head}, d_value={d_value}, "
                f"name={self.name!r})")
