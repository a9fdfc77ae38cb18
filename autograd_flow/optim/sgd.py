"""Stochastic gradient descent the lecture's way: momentum and learning-rate decay.

One call of :meth:`SGD.step` is one update t = 1, 2, ...:

    bar_grad_t = grad_t + beta * bar_grad_(t-1)        (momentum; bar_grad_0 = 0)
    theta     <- theta - alpha_t * bar_grad_t

with alpha_t = alpha for the first ``warmup`` updates, then, counting t from the end of
the warm-up, alpha / (1 + delta t) ("inverse") or alpha / t**delta ("power",
0.5 < delta <= 1), or a decay to ``decay_rate`` * alpha over ``decay_steps`` updates
("linear", "step", "cosine": see :func:`~autograd_flow.optim.base.scheduled`). Works
on the Parameters of any flow graph; the same updates as
``torch.optim.SGD(params, lr, momentum)``.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..core.box import Parameter
from ..plan.fused import Update
from .base import Optimizer, check_fraction


class SGD(Optimizer):
    """Update Parameters in place from their gradients (per-example or mini-batch).

    ``params``: the Parameters to train; ``lr``: alpha; ``momentum``: beta in [0, 1);
    ``decay``: None, "inverse" (alpha/(1 + delta t)) or "power" (alpha/t**delta), or
    "linear", "step", "cosine"; ``decay_rate``: delta (the lecture's decays) or the
    factor alpha is multiplied by over ``decay_steps`` updates (the others); ``warmup``:
    updates made at the constant alpha first.
    """

    buffers = ("velocity",)

    def __init__(self, params: Iterable[Parameter], lr: float, momentum: float = 0.0,
                 decay: str | None = None, decay_rate: float = 0.0, warmup: int = 0,
                 decay_steps: int = 0) -> None:
        check_fraction("momentum (beta)", momentum)
        super().__init__(params, lr, decay, decay_rate, warmup, decay_steps)
        self.momentum = float(momentum)
        self._scratch = [np.empty_like(p.value) for p in self.params]

    def update(self, index: int, p: Parameter, grad: np.ndarray, lr: float) -> None:
        """theta <- theta - alpha_t * (grad + beta * bar_grad)."""
        if self.momentum:
            velocity = self.state["velocity"][index]
            np.multiply(velocity, self.momentum, out=velocity)
            np.add(velocity, grad, out=velocity)
            grad = velocity
        scratch = self._scratch[index]
        np.multiply(grad, lr, out=scratch)
        np.subtract(p.value, scratch, out=p.value)

    def whole_step_update(self, alpha: float) -> Update | None:
        """The same update, run inside a ``jit=True`` graph's compiled step (None for a
        subclass with an update of its own: that runs as written)."""
        if type(self).update is not SGD.update:
            return None
        if self.momentum:
            return Update("momentum", self.params, [self.state["velocity"]],
                          (alpha, self.momentum), self.key)
        return Update("sgd", self.params, [], (alpha,), self.key)

    def __repr__(self) -> str:
        return (f"SGD(lr={self.lr}, momentum={self.momentum}{self._schedule_repr()}, "
                f"t={self.t})")
