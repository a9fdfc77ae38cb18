"""Gradient clipping before an optimizer's step, as ``torch.nn.utils.clip_grad_norm_``
and ``clip_grad_value_`` do it: both change the Parameters' ``.grad`` in place (the
arrays ``FlowGraph.bprop()`` returned are those same arrays), so ``step()`` and
``step(grads)`` both see the clipped gradients.

    total = || (||g_1||_p, ..., ||g_n||_p) ||_p        (p = norm_type; inf: the max |g|)
    g_k <- g_k * min(1, max_norm / (total + 1e-6))
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..core.box import Parameter


def _gradients(params: Parameter | Iterable[Parameter], what: str) -> list[Parameter]:
    """The Parameters of ``params`` (one Parameter, or several) that have a gradient;
    an error when none has (bprop has not run)."""
    params = [params] if isinstance(params, Parameter) else list(params)
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"{what} clips the gradients of Parameters, got {p!r}")
    having = [p for p in params if p.grad is not None]
    if not having:
        raise ValueError(f"{what}: none of the {len(params)} Parameters has a gradient; run "
                         "graph.bprop() first")
    for p in having:
        if not p.grad.flags.writeable:  # clipped in place, so give it an array of its own
            p.grad = np.array(p.grad)
    return having


def clip_grad_norm(params: Parameter | Iterable[Parameter], max_norm: float,
                   norm_type: float = 2.0, error_if_nonfinite: bool = False) -> float:
    """Scale the gradients (``.grad``) of ``params`` in place so that their total
    ``norm_type``-norm (as if they were one vector; ``float("inf")``: the largest
    entry) is at most ``max_norm``; returns the total norm before clipping. Parameters
    without a gradient are skipped. A NaN or infinite total norm is an error with
    ``error_if_nonfinite``; otherwise, as in torch, it makes the gradients NaN."""
    if not max_norm >= 0:
        raise ValueError(f"clip_grad_norm: max_norm must be a number >= 0, got {max_norm}")
    having = _gradients(params, "clip_grad_norm")
    norms = [np.linalg.norm(np.ravel(p.grad), norm_type) for p in having]
    total = float(np.linalg.norm(np.array(norms, dtype=np.float64), norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise ValueError(f"clip_grad_norm: the total {norm_type:g}-norm of the gradients is "
                         f"{total}: the loss or a gradient is not finite")
    coefficient = min(max_norm / (total + 1e-6), 1.0)
    for p in having:
        np.multiply(p.grad, coefficient, out=p.grad, casting="unsafe")
    return total


def clip_grad_value(params: Parameter | Iterable[Parameter], clip_value: float) -> None:
    """Clip every gradient entry (``.grad``) of ``params`` into [-clip_value,
    clip_value] in place (min-char-rnn's ``np.clip(dparam, -5, 5, out=dparam)``).
    Parameters without a gradient are skipped."""
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value: clip_value must be a number >= 0, got "
                         f"{clip_value}")
    for p in _gradients(params, "clip_grad_value"):
        np.clip(p.grad, -clip_value, clip_value, out=p.grad)
