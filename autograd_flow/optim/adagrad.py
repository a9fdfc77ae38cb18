"""Adagrad (Duchi, Hazan & Singer, 2011), the optimizer of Karpathy's min-char-rnn, with
the update of ``torch.optim.Adagrad`` step for step. Update t (g the gradient):

    g <- g + weight_decay theta                      (if weight_decay)
    alpha'_t = alpha_t / (1 + (t - 1) lr_decay)
    G <- G + g**2                                    (G_0 = initial_accumulator_value)
    theta <- theta - alpha'_t g / (sqrt(G) + eps)

alpha_t is the learning rate of the optimizers' schedule (constant unless ``decay`` is
given, see :class:`~autograd_flow.optim.base.Optimizer`); ``lr_decay`` is torch's own
decay, which Adagrad applies on top of it.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..core.box import Parameter
from .base import Optimizer


class Adagrad(Optimizer):
    """Adagrad on ``params``: ``lr`` alpha; ``lr_decay`` (>= 0) divides it by
    1 + (t - 1) lr_decay; ``weight_decay`` (>= 0) adds weight_decay * theta to the
    gradient (an L2 penalty of weight_decay / 2); ``initial_accumulator_value`` (>= 0)
    starts the sum of squared gradients; ``eps`` is added to its square root. The
    defaults are torch's. ``decay``, ``decay_rate``, ``warmup``, ``decay_steps`` as in
    :class:`~autograd_flow.optim.SGD`."""

    buffers = ("sum",)

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, decay: str | None = None, decay_rate: float = 0.0,
                 warmup: int = 0, decay_steps: int = 0) -> None:
        for name, value in (("lr_decay", lr_decay), ("weight_decay", weight_decay),
                            ("initial_accumulator_value", initial_accumulator_value),
                            ("eps", eps)):
            if not (value >= 0 and np.isfinite(value)):
                raise ValueError(f"Adagrad's {name} must be a finite number >= 0, got {value}")
        super().__init__(params, lr, decay, decay_rate, warmup, decay_steps)
        self.lr_decay = float(lr_decay)
        self.weight_decay = float(weight_decay)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.eps = float(eps)
        for accumulator in self.state["sum"]:
            accumulator[...] = self.initial_accumulator_value

    def update(self, index: int, p: Parameter, grad: np.ndarray, lr: float) -> None:
        """theta <- theta - lr / (1 + (t - 1) lr_decay) * g / (sqrt(G) + eps)."""
        if self.weight_decay:
            grad = grad + self.weight_decay * p.value
        accumulator = self.state["sum"][index]
        accumulator += grad * grad
        step_size = lr / (1.0 + (self.t - 1) * self.lr_decay)
        p.value -= (step_size * grad / (np.sqrt(accumulator) + self.eps)).astype(
            p.value.dtype, copy=False)

    def __repr__(self) -> str:
        return (f"Adagrad(lr={self.lr}, lr_decay={self.lr_decay}, weight_decay="
                f"{self.weight_decay}, initial_accumulator_value="
                f"{self.initial_accumulator_value}, eps={self.eps}"
                f"{self._schedule_repr()}, t={self.t})")
