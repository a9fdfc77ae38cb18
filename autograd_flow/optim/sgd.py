"""Stochastic gradient descent the lecture's way: momentum and learning-rate decay.

One call of :meth:`SGD.step` is one update t = 1, 2, ...:

    bar_grad_t = grad_t + beta * bar_grad_(t-1)        (momentum; bar_grad_0 = 0)
    theta     <- theta - alpha_t * bar_grad_t

with alpha_t = alpha for the first ``warmup`` updates, then, counting t from the end of
the warm-up, alpha / (1 + delta t) ("inverse") or alpha / t**delta ("power",
0.5 < delta <= 1). Works on the Parameters of any flow graph.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..box import Parameter
from .base import trainable

DECAYS = (None, "inverse", "power")


def check_schedule(lr: float, momentum: float = 0.0, decay: str | None = None,
                   decay_rate: float = 0.0, warmup: int = 0) -> None:
    """Raise ValueError, saying what is allowed, unless these are valid SGD options."""
    if not lr > 0 or not np.isfinite(lr):
        raise ValueError(f"the learning rate must be a positive number, got {lr}")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum (beta) must be in [0, 1), got {momentum}")
    if decay not in DECAYS:
        raise ValueError(f"unknown decay {decay!r}: choose None, 'inverse' or 'power'")
    if decay == "inverse" and not decay_rate >= 0:
        raise ValueError(f"the inverse decay alpha/(1 + delta t) needs delta >= 0, "
                         f"got {decay_rate}")
    if decay == "power" and not 0.5 < decay_rate <= 1:
        raise ValueError(f"the power decay alpha/t**delta needs 0.5 < delta <= 1 (so "
                         f"that SGD converges), got delta = {decay_rate}")
    if int(warmup) != warmup or warmup < 0:
        raise ValueError(f"warmup must be a whole number of updates >= 0, got {warmup}")


class SGD:
    """Update Parameters in place from their gradients (per-example or mini-batch).

    ``params``: the Parameters to train; ``lr``: alpha; ``momentum``: beta in [0, 1);
    ``decay``: None, "inverse" (alpha/(1 + delta t)) or "power" (alpha/t**delta);
    ``decay_rate``: delta; ``warmup``: updates made at the constant alpha first.
    """

    def __init__(self, params: Iterable[Parameter], lr: float, momentum: float = 0.0,
                 decay: str | None = None, decay_rate: float = 0.0, warmup: int = 0) -> None:
        self.params: list[Parameter] = trainable(params, "SGD")
        check_schedule(lr, momentum, decay, decay_rate, warmup)
        self.lr = float(lr)
        self.momentum = float(momentum)
        self.decay = decay
        self.decay_rate = float(decay_rate)
        self.warmup = int(warmup)
        self.t = 0  # updates made so far
        self._velocity = [np.zeros_like(p.value) for p in self.params]
        self._scratch = [np.empty_like(p.value) for p in self.params]

    def learning_rate(self, t: int | None = None) -> float:
        """alpha_t for update t (1-based; default: the next update)."""
        t = self.t + 1 if t is None else t
        decayed = t - self.warmup  # count of updates after the warm-up
        if self.decay is None or decayed <= 0:
            return self.lr
        if self.decay == "inverse":
            return self.lr / (1.0 + self.decay_rate * decayed)
        return self.lr / decayed ** self.decay_rate

    def step(self, grads: Mapping[Parameter, np.ndarray] | None = None) -> None:
        """One update from ``grads`` ({Parameter: gradient}, as returned by
        ``FlowGraph.bprop()``; default: each Parameter's ``.grad``)."""
        alpha = self.learning_rate()
        beta = self.momentum
        for p, velocity, scratch in zip(self.params, self._velocity, self._scratch):
            grad = self._grad(p, grads)
            if beta:
                np.multiply(velocity, beta, out=velocity)
                np.add(velocity, grad, out=velocity)
                grad = velocity
            np.multiply(grad, alpha, out=scratch)
            np.subtract(p.value, scratch, out=p.value)
        self.t += 1

    @staticmethod
    def _grad(p: Parameter, grads: Mapping[Parameter, np.ndarray] | None) -> Any:
        grad = p.grad if grads is None else grads.get(p)
        if grad is None:
            raise ValueError(f"no gradient for Parameter '{p.name}' (created at "
                             f"{p.created_at}): run graph.bprop() on a graph that "
                             "depends on it before optimizer.step()")
        if np.shape(grad) != p.value.shape:
            raise ValueError(f"gradient of shape {np.shape(grad)} for Parameter '{p.name}' "
                             f"of shape {p.value.shape}")
        return grad

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state (update count and momentum buffers), for checkpoints."""
        return {"t": self.t, "velocity": [v.copy() for v in self._velocity]}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state from :meth:`state_dict` (shapes must match the Parameters)."""
        velocity = list(state["velocity"])
        if len(velocity) != len(self.params):
            raise ValueError(f"optimizer state has {len(velocity)} momentum buffers for "
                             f"{len(self.params)} Parameters")
        for p, mine, saved in zip(self.params, self._velocity, velocity):
            if np.shape(saved) != mine.shape:
                raise ValueError(f"momentum buffer of shape {np.shape(saved)} does not fit "
                                 f"Parameter '{p.name}' of shape {mine.shape}")
            mine[...] = saved
        self.t = int(state["t"])

    def __repr__(self) -> str:
        return (f"SGD(lr={self.lr}, momentum={self.momentum}, decay={self.decay!r}, "
                f"decay_rate={self.decay_rate}, warmup={self.warmup}, t={self.t})")
