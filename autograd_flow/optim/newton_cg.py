"""Truncated Newton ("Hessian-free", Martens 2010): the lecture's Newton step without
the Hessian matrix, so it works past "few parameters".

Each step minimizes the damped quadratic model of the loss around theta,

    q(d) = loss + grad . d + 1/2 d . (H + lambda I) d,

by conjugate gradient, which needs only products (H + lambda I) v: Hessian-vector
products from the gradient graph differentiated again (:func:`autograd_flow.hvp`), a
few gradients' cost each. CG stops when the relative residual is small, after
``max_cg_iterations``, or at a direction of negative curvature (H is not positive
definite away from a minimum). Levenberg-Marquardt adapts lambda from the reduction
ratio rho = (actual decrease) / (decrease the model predicted): lambda grows by
``increase`` when rho < 1/4 and shrinks by ``decrease`` when rho > 3/4. A step that
does not lower the loss is halved (backtracking) and, when no halving helps, refused
with a larger lambda. CG starts from the previous step's direction (times
``warm_start``), as Martens does.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..autodiff.directional import hvp_graph
from ..autodiff.hessian import flatten, unflatten
from ..core.box import Box, Parameter
from ..core.graph import FlowGraph
from .base import check_damping, differentiating, move, trainable


class NewtonCG:
    """Hessian-free Newton steps on ``params`` (the Parameters of any flow graph).

    ``damping``: the initial lambda; ``max_cg_iterations`` and ``cg_tolerance`` (the
    relative residual |r| / |grad| at which CG stops) bound each step's work;
    ``increase`` / ``decrease``: the Levenberg-Marquardt factors; ``max_backtracks``:
    halvings tried when a step raises the loss; ``warm_start``: the fraction of the
    previous direction CG starts from (0: from zero).

    Use::

        solver = af.optim.NewtonCG(graph.parameters, damping=1.0)
        for _ in range(20):
            loss = solver.step(graph, feed)            # full-batch loss after the step
        solver.step(graph, feed, curvature_feed=batch)  # H v on a subset (Martens)

    After a step: ``damping`` (lambda), ``gradient_norm`` (at the start), ``cg_iterations``,
    ``rho`` (the reduction ratio), ``accepted`` and ``t`` (accepted steps).
    """

    def __init__(self, params: Iterable[Parameter], damping: float = 1.0, *,
                 max_cg_iterations: int = 50, cg_tolerance: float = 5e-4,
                 increase: float = 1.5, decrease: float = 2 / 3, max_backtracks: int = 8,
                 warm_start: float = 0.95) -> None:
        self.params: list[Parameter] = trainable(params, "NewtonCG")
        check_damping(damping, increase, decrease)
        if int(max_cg_iterations) < 1 or not cg_tolerance > 0:
            raise ValueError("need max_cg_iterations >= 1 and cg_tolerance > 0, got "
                             f"{max_cg_iterations} and {cg_tolerance}")
        if not 0 <= warm_start <= 1:
            raise ValueError(f"warm_start must lie in [0, 1], got {warm_start}")
        self.damping = float(damping)
        self.max_cg_iterations = int(max_cg_iterations)
        self.cg_tolerance = float(cg_tolerance)
        self.increase, self.decrease = float(increase), float(decrease)
        self.max_backtracks = int(max_backtracks)
        self.warm_start = float(warm_start)
        self.gradient_norm = float("nan")
        self.cg_iterations = 0
        self.rho = float("nan")
        self.accepted = False
        self.t = 0
        self._previous: np.ndarray | None = None
        self._graphs: dict[int, FlowGraph] = {}

    def step(self, graph: FlowGraph | Box, feed: Mapping[Any, Any] | None = None,
             curvature_feed: Mapping[Any, Any] | None = None) -> float:
        """One truncated Newton step on the loss (the graph's first output) for ``feed``
        (Hessian-vector products on ``curvature_feed``, default ``feed``); returns the
        loss after the step (before it, if the step was refused)."""
        differentiate = differentiating(self._graphs, graph, self.params)
        loss = float(differentiate.fprop(feed))
        grads = differentiate.bprop()
        gradient = flatten([grads[p] for p in self.params])
        self.gradient_norm = float(np.linalg.norm(gradient))
        products = hvp_graph(differentiate, differentiate.outputs[0], self.params)
        curvature = feed if curvature_feed is None else curvature_feed

        def curvature_times(v: np.ndarray) -> np.ndarray:
            return flatten(products.run(unflatten(v, self.params), curvature))

        direction, curved = self._conjugate_gradient(curvature_times, gradient)
        start = [p.value.copy() for p in self.params]
        scale = 1.0
        self.accepted = False
        for _ in range(self.max_backtracks + 1):
            move(self.params, start, unflatten(scale * direction, self.params))
            trial = float(differentiate.fprop(feed))
            predicted = scale * gradient @ direction + 0.5 * scale ** 2 * curved
            if np.isfinite(trial) and trial < loss:
                self.rho = (trial - loss) / predicted if predicted < 0 else 0.0
                self._adapt()
                self.accepted = True
                self.t += 1
                self._previous = scale * direction
                return trial
            scale *= 0.5
        self.rho = float("-inf")
        self.damping = max(self.damping * self.increase ** 4, 1e-8)
        self._previous = None
        move(self.params, start)
        differentiate.fprop(feed)
        return loss

    def _conjugate_gradient(self, curvature_times: Any, gradient: np.ndarray
                            ) -> tuple[np.ndarray, float]:
        """d approximately solving (H + lambda I) d = -grad, and d . H d (undamped), by
        CG from the warm start; stops early at negative curvature."""
        x = np.zeros_like(gradient) if self._previous is None or self.warm_start == 0 \
            else self.warm_start * self._previous
        Hx = curvature_times(x) if x.any() else np.zeros_like(x)
        residual = -gradient - (Hx + self.damping * x)
        p = residual.copy()
        rr = residual @ residual
        target = (self.cg_tolerance * self.gradient_norm) ** 2
        self.cg_iterations = 0
        for _ in range(self.max_cg_iterations):
            if rr <= target:
                break
            Hp = curvature_times(p)
            pAp = p @ Hp + self.damping * (p @ p)
            self.cg_iterations += 1
            if pAp <= 0:  # negative curvature: keep what we have (or go downhill)
                if not x.any():
                    x, Hx = p, Hp
                break
            alpha = rr / pAp
            x = x + alpha * p
            Hx = Hx + alpha * Hp
            residual = residual - alpha * (Hp + self.damping * p)
            rr_next = residual @ residual
            p = residual + (rr_next / rr) * p
            rr = rr_next
        return x, float(x @ Hx)

    def _adapt(self) -> None:
        """Levenberg-Marquardt: trust the model more when it predicted well."""
        if self.rho < 0.25:
            self.damping *= self.increase
        elif self.rho > 0.75:
            self.damping *= self.decrease

    def __repr__(self) -> str:
        return (f"NewtonCG(damping={self.damping:g}, t={self.t}, "
                f"cg_iterations={self.cg_iterations})")
