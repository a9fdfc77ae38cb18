"""Adaptive optimizers beyond the lecture: Adam and RMSprop, with the same updates as
``torch.optim.Adam`` and ``torch.optim.RMSprop`` (no weight decay: penalties belong in
the loss, as the lecture's Omega), the same ``step(grads=None)`` as SGD and its
learning-rate schedule (alpha_t, see :class:`~autograd_flow.optim.base.Optimizer`).

Adam, update t (g the gradient):

    m <- beta1 m + (1 - beta1) g          v <- beta2 v + (1 - beta2) g**2
    theta <- theta - alpha_t / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

RMSprop (``alpha`` is torch's name for the smoothing constant of the squares):

    s <- alpha s + (1 - alpha) g**2       (centered: also a <- alpha a + (1 - alpha) g
                                           and s - a**2 in place of s below)
    d = g / (sqrt(s) + eps)               (momentum mu: b <- mu b + d, d = b)
    theta <- theta - alpha_t d
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from ..core.box import Parameter
from ..plan.fused import Update
from .base import Optimizer, check_fraction


def _check_eps(eps: float) -> None:
    if not (eps >= 0 and np.isfinite(eps)):
        raise ValueError(f"eps must be a finite number >= 0, got {eps}")


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) on ``params``: ``lr`` alpha, ``betas`` (beta1, beta2)
    the decay rates of the moving averages of the gradient and its square, each in
    [0, 1); ``eps`` added to the denominator; ``decay``, ``decay_rate``, ``warmup``,
    ``decay_steps`` as in :class:`~autograd_flow.optim.SGD`."""

    buffers = ("exp_avg", "exp_avg_sq")

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: Sequence[float] = (0.9, 0.999), eps: float = 1e-8, *,
                 decay: str | None = None, decay_rate: float = 0.0, warmup: int = 0,
                 decay_steps: int = 0) -> None:
        if len(betas) != 2:
            raise ValueError(f"betas must be (beta1, beta2), got {betas!r}")
        check_fraction("beta1", betas[0])
        check_fraction("beta2", betas[1])
        _check_eps(eps)
        super().__init__(params, lr, decay, decay_rate, warmup, decay_steps)
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = float(eps)

    def update(self, index: int, p: Parameter, grad: np.ndarray, lr: float) -> None:
        """theta <- theta - lr / (1 - beta1**t) * m / (sqrt(v / (1 - beta2**t)) + eps)."""
        beta1, beta2 = self.betas
        m, v = self.state["exp_avg"][index], self.state["exp_avg_sq"][index]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        step_size = lr / (1 - beta1 ** self.t)
        denominator = np.sqrt(v) / np.sqrt(1 - beta2 ** self.t) + self.eps
        p.value -= (step_size * m / denominator).astype(p.value.dtype, copy=False)

    def whole_step_update(self, alpha: float) -> Update | None:
        """The same update, run inside a ``jit=True`` graph's compiled step (None for a
        subclass with an update of its own: that runs as written)."""
        if type(self).update is not Adam.update:
            return None
        beta1, beta2 = self.betas
        t = self.t + 1
        return Update("adam", self.params, [self.state["exp_avg"], self.state["exp_avg_sq"]],
                      (alpha / (1 - beta1 ** t), beta1, 1 - beta1, beta2, 1 - beta2,
                       math.sqrt(1 - beta2 ** t), self.eps), self.key)

    def __repr__(self) -> str:
        return (f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps}"
                f"{self._schedule_repr()}, t={self.t})")


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e) on ``params``: ``lr`` alpha_t's alpha, ``alpha``
    the smoothing constant of the mean square (torch's name), ``eps``, ``momentum``
    in [0, 1), ``centered`` (divide by an estimate of the gradient's variance instead
    of its second moment); ``decay``, ``decay_rate``, ``warmup``, ``decay_steps`` as in
    SGD."""

    buffers = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, momentum: float = 0.0, centered: bool = False, *,
                 decay: str | None = None, decay_rate: float = 0.0, warmup: int = 0,
                 decay_steps: int = 0) -> None:
        check_fraction("alpha (the smoothing constant)", alpha, closed=True)
        check_fraction("momentum", momentum)
        _check_eps(eps)
        super().__init__(params, lr, decay, decay_rate, warmup, decay_steps)
        self.alpha = float(alpha)
        self.eps = float(eps)
        self.momentum = float(momentum)
        self.centered = bool(centered)

    def update(self, index: int, p: Parameter, grad: np.ndarray, lr: float) -> None:
        """theta <- theta - lr * g / (sqrt(mean square) + eps), with momentum if any."""
        square_avg = self.state["square_avg"][index]
        square_avg *= self.alpha
        square_avg += (1 - self.alpha) * grad * grad
        if self.centered:
            grad_avg = self.state["grad_avg"][index]
            grad_avg *= self.alpha
            grad_avg += (1 - self.alpha) * grad
            denominator = np.sqrt(square_avg - grad_avg * grad_avg) + self.eps
        else:
            denominator = np.sqrt(square_avg) + self.eps
        direction = grad / denominator
        if self.momentum:
            buffer = self.state["momentum_buffer"][index]
            buffer *= self.momentum
            buffer += direction
            direction = buffer
        p.value -= (lr * direction).astype(p.value.dtype, copy=False)

    def __repr__(self) -> str:
        return (f"RMSprop(lr={self.lr}, alpha={self.alpha}, eps={self.eps}, "
                f"momentum={self.momentum}, centered={self.centered}"
                f"{self._schedule_repr()}, t={self.t})")
