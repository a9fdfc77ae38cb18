"""Newton's method with Levenberg-Marquardt damping, for models with few parameters
(the exact Hessian, from the gradient graph differentiated again; see
:class:`~autograd_flow.optim.NewtonCG` for many parameters).

The lecture's update minimizes the second-order Taylor expansion of the loss:

    theta <- theta - (H + lambda I)^-1 grad,   H = d**2 loss / d theta**2

with lambda = 0 the pure Newton step. The damping lambda keeps a step sane where the
Hessian is not positive definite (non-convex losses) or the quadratic model is poor:
a step is accepted only if it decreases the loss, and then lambda shrinks (towards
Newton's quadratic convergence); when H + lambda I has no Cholesky factor (not positive
definite) or the step does not decrease the loss, lambda grows (towards a short
gradient-descent step, -grad / lambda) and the step is tried again.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..autodiff.hessian import MAX_PARAMETERS, check_size, flatten, hessian, unflatten
from ..core.box import Box, Parameter
from ..core.graph import FlowGraph
from .base import check_damping, differentiating, move, trainable

_ROUNDOFF = 4 * float(np.finfo(np.float64).eps)


class Newton:
    """Damped Newton steps on ``params`` (the Parameters of any flow graph).

    ``damping``: the initial lambda (0 gives the lecture's pure Newton step while H is
    positive definite); ``increase`` / ``decrease``: the factors applied to lambda after
    a rejected / accepted step; ``max_tries``: rejected tries before a step gives up
    and leaves the parameters where they are; ``max_parameters``: the largest entry
    count accepted (the Hessian is n x n and costs 2 n gradient evaluations), raising
    TooManyParametersError above it.

    Use::

        newton = af.optim.Newton(graph.parameters, damping=1e-3)
        for _ in range(10):
            loss = newton.step(graph, {"x": X, "y": Y})   # full-batch loss after the step

    After a step: ``damping`` is the current lambda, ``gradient_norm`` the norm of the
    gradient at the start of the step, ``accepted`` whether the parameters moved and
    ``t`` the number of accepted steps.
    """

    def __init__(self, params: Iterable[Parameter], damping: float = 1e-3, *,
                 increase: float = 10.0, decrease: float = 0.1, max_tries: int = 40,
                 max_parameters: int | None = MAX_PARAMETERS) -> None:
        self.params: list[Parameter] = trainable(params, "Newton")
        check_damping(damping, increase, decrease)
        self.size = check_size(self.params, max_parameters, "Newton")
        self.max_parameters = max_parameters
        self.damping = float(damping)
        self.increase = float(increase)
        self.decrease = float(decrease)
        self.max_tries = int(max_tries)
        self.gradient_norm = float("nan")
        self.accepted = False
        self.t = 0
        self._graphs: dict[int, FlowGraph] = {}

    def step(self, graph: FlowGraph | Box, feed: Mapping[Any, Any] | None = None) -> float:
        """One damped Newton step on the loss (the graph's first output) for ``feed``;
        returns the loss after the step (the loss before it if no try was accepted).
        A try is accepted when the loss does not increase beyond round-off, so steps
        near the optimum, where the loss no longer tells better from worse, still
        drive the gradient to zero."""
        differentiate = differentiating(self._graphs, graph, self.params)
        loss = float(differentiate.fprop(feed))
        grads = differentiate.bprop()
        grad = flatten([grads[p] for p in self.params])
        self.gradient_norm = float(np.linalg.norm(grad))
        H = hessian(differentiate, self.params, feed, max_parameters=self.max_parameters)
        start = [p.value.copy() for p in self.params]
        self.accepted = False
        for _ in range(self.max_tries):
            direction = self._solve(H, grad)
            if direction is not None:
                move(self.params, start, unflatten(direction, self.params))
                trial = float(differentiate.fprop(feed))
                if np.isfinite(trial) and trial <= loss + _ROUNDOFF * abs(loss):
                    self.accepted = True
                    self.t += 1
                    self.damping *= self.decrease
                    return trial
            self._grow(H)
        move(self.params, start)
        differentiate.fprop(feed)
        return loss

    def _solve(self, H: np.ndarray, grad: np.ndarray) -> np.ndarray | None:
        """-(H + lambda I)^-1 grad, or None when H + lambda I is not positive definite."""
        try:
            factor = np.linalg.cholesky(H + self.damping * np.eye(len(H)))
        except np.linalg.LinAlgError:
            return None
        return -np.linalg.solve(factor.T, np.linalg.solve(factor, grad))

    def _grow(self, H: np.ndarray) -> None:
        """Increase lambda (from a scale of H's diagonal when it is still 0)."""
        scale = max(float(np.max(np.abs(np.diag(H)), initial=0.0)), 1.0)
        self.damping = max(self.damping * self.increase, 1e-10 * scale)

    def __repr__(self) -> str:
        return f"Newton(damping={self.damping:g}, size={self.size}, t={self.t})"
