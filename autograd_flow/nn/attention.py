"""Scaled dot-product attention (Vaswani et al. 2017) as a composite, with a boolean or
an additive float mask, and a single attention head with its query, key and value
projections."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..core.box import Box, Input, Leaf, Parameter, as_box
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
    ``mask`` broadcasts to (..., L_q, L_k), as PyTorch's attn_mask:

    - booleans: True where query i may attend to key j, e.g.
      ``np.tril(np.ones((L, L), bool))`` for causal attention; masked scores become
      -inf, so they get weight 0 and no gradient;
    - floats: added to the scores (0 to attend, -inf not to, or a bias such as ALiBi's),
      converted to the scores' dtype (PyTorch asks them to match), so float32 stays
      float32; a mask that is a box gets the gradient of the scores.

    Its dtype is read when the graph is built: from its value, an Input's declared
    dtype, an ``af.astype`` box or a comparison box. A query whose scores are all -inf
    (every key masked) gets weight 0 on every key, so output 0 and no gradient, as
    PyTorch's (``_safe_softmax``, PyTorch 2.5 and later).
    """
    q, k, v = as_box(q), as_box(k), as_box(v)
    label = name or "attention"
    for box, what in ((q, "q"), (k, "k"), (v, "v")):
        if isinstance(box, Input) and box.shape is not None and len(box.shape) < 2:
            raise ValueError(f"attention '{label}': {what} ({box.name!r}) has shape "
                             f"{box.shape}; it needs at least 2 axes (..., length, features)")
    mask = None if mask is None else as_box(mask)
    kind = None if mask is None else _mask_kind(mask, f"attention '{label}'")
    scores: Box = ops.MatMul(q, ops.SwapAxes(k, -1, -2, name="k^T"),
                             name=f"{label}: q k^T, q (..., Lq, d), k (..., Lk, d)")
    if scale is None:
        first_row = ops.GetItem(q, (Ellipsis, slice(0, 1), slice(None)), name="q[..., :1, :]")
        width = ops.Sum(ops.Add(ops.ZerosLike(first_row), 1), axis=-1, keepdims=True, name="d")
        scores = ops.Div(scores, ops.Sqrt(width), name="q k^T / sqrt(d)")
    else:
        scores = ops.Mul(scores, float(scale), name="q k^T * scale")
    if kind is None:
        weights = F.softmax(scores, axis=-1, name="attention weights")
    else:
        scores = (ops.Where(mask, scores, -np.inf, name="masked scores") if kind == "b" else
                  ops.Add(scores, ops.AstypeLike(mask, scores, name="mask"),
                          name="scores + mask"))
        weights = _safe_softmax(scores)
    return ops.MatMul(weights, v, name=label)


def _safe_softmax(scores: Box) -> Box:
    """softmax along the last axis, and 0 on a row whose scores are all -inf (where the
    softmax is 0 / 0): the row's scores are replaced by 0 before the softmax, so neither
    the value nor the gradient sees a NaN."""
    peak = ops.Max(scores, axis=-1, keepdims=True, initial=-np.inf, name="max score")
    closed = ops.Equal(peak, -np.inf, name="every key masked")
    open_scores = ops.Where(closed, 0.0, scores, name="scores of rows with a key")
    return ops.Where(closed, 0.0, F.softmax(open_scores, axis=-1),
                     name="attention weights")


_COMPARISONS = (ops.Greater, ops.GreaterEqual, ops.Less, ops.LessEqual, ops.Equal,
                ops.NotEqual)


def _mask_kind(mask: Box, who: str) -> str:
    """The kind of the mask's dtype, "b" (booleans) or "f" (floats), as far as it is
    known when the graph is built; a ValueError saying what to do otherwise."""
    if isinstance(mask, _COMPARISONS):
        return "b"
    if isinstance(mask, ops.Astype):
        dtype: np.dtype | None = np.dtype(mask.new_dtype)
    elif isinstance(mask, Input):
        dtype = mask.dtype
    elif isinstance(mask, Leaf) and mask.value is not None:
        dtype = np.asarray(mask.value).dtype
    else:
        dtype = None
    if dtype is None:
        where = (f"the Input {mask.name!r} declares no dtype" if isinstance(mask, Input) else
                 f"the {type(mask).__name__} box {mask.name!r} makes it")
        raise ValueError(f"{who}: the mask's dtype decides what it means (booleans: True = "
                         f"attend; floats: added to the scores) and {where}: declare it, "
                         "af.Input('mask', dtype=bool) or a float dtype, or convert the mask "
                         "with af.astype(mask, bool) or af.astype(mask, float)")
    if dtype.kind not in "bf":
        raise ValueError(f"{who}: the mask must hold booleans (True = attend) or floats "
                         f"(added to the scores), got {dtype}")
    return dtype.kind


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
