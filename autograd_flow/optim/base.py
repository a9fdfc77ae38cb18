"""What every optimizer shares: the parameters it trains, the learning-rate schedule
(a constant warm-up, then the lecture's alpha / (1 + delta t) or alpha / t**delta, or a
linear, step or cosine decay over ``decay_steps`` updates), the step counter, the
gradient lookup, and its state as named per-parameter buffers."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..core.box import Box, Parameter
from ..core.graph import NOT_RUN, FlowGraph
from ..plan.fused import Update

DECAYS = (None, "inverse", "power")  # the lecture's, which need no horizon
#: every schedule: the lecture's decays, and those that reach ``decay_rate`` * alpha
#: after ``decay_steps`` updates as torch's LinearLR, StepLR and CosineAnnealingLR do
SCHEDULES = (*DECAYS, "linear", "step", "cosine")
Gradients = Mapping[Any, Any]  # {Parameter: gradient}, as FlowGraph.bprop() returns


def trainable(params: Iterable[Parameter], optimizer: str) -> list[Parameter]:
    """``params`` as a list, refused with a clear error when empty, when an item is not
    a Parameter, or when a Parameter is listed twice (it would be updated twice)."""
    params = list(params)
    if not params:
        raise ValueError(f"{optimizer} needs at least one Parameter to train")
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"{optimizer} trains Parameters, got {p!r}")
    if len(set(map(id, params))) != len(params):
        raise ValueError(f"{optimizer} was given the same Parameter twice")
    return params


def check_schedule(lr: float, decay: str | None = None, decay_rate: float = 0.0,
                   warmup: int = 0, decay_steps: int = 0) -> None:
    """Raise ValueError, saying what is allowed, unless these are a valid learning rate
    and decay schedule."""
    if not lr > 0 or not np.isfinite(lr):
        raise ValueError(f"the learning rate must be a positive number, got {lr}")
    if decay not in SCHEDULES:
        raise ValueError(f"unknown decay {decay!r}: choose None, "
                         + ", ".join(repr(name) for name in SCHEDULES[1:]))
    if decay in ("linear", "step", "cosine"):
        if int(decay_steps) != decay_steps or decay_steps < 1:
            raise ValueError(f"the {decay} decay needs decay_steps, the updates over which "
                             f"it multiplies alpha by decay_rate (>= 1), got {decay_steps}")
        step = decay == "step"  # a factor 0 every T updates would stop training
        if not (0 < decay_rate <= 1 if step else 0 <= decay_rate <= 1):
            what = "(0, 1]" if step else "[0, 1]"
            raise ValueError(f"the {decay} decay needs decay_rate, the factor alpha is "
                             f"multiplied by over decay_steps updates, in {what}, got "
                             f"{decay_rate}")
    if decay == "inverse" and not decay_rate >= 0:
        raise ValueError(f"the inverse decay alpha/(1 + delta t) needs delta >= 0, "
                         f"got {decay_rate}")
    if decay == "power" and not 0.5 < decay_rate <= 1:
        raise ValueError(f"the power decay alpha/t**delta needs 0.5 < delta <= 1 (so "
                         f"that SGD converges), got delta = {decay_rate}")
    if int(warmup) != warmup or warmup < 0:
        raise ValueError(f"warmup must be a whole number of updates >= 0, got {warmup}")


def scheduled(lr: float, decay: str | None, decay_rate: float, decay_steps: int,
              t: int) -> float:
    """alpha_t for the t-th update after the warm-up (t = 1, 2, ...; alpha for t <= 0).
    The lecture's decays count from t; the others, as torch's schedulers, from the
    s = t - 1 updates made so far, and stay at decay_rate * alpha (the linear and
    cosine decays) once s reaches decay_steps T:

        inverse  alpha / (1 + delta t)              power   alpha / t**delta
        linear   alpha (1 - (1 - r) min(s, T) / T)  step    alpha r**floor(s / T)
        cosine   alpha (r + (1 - r) (1 + cos(pi min(s, T) / T)) / 2)
    """
    if decay is None or t <= 0:
        return lr
    if decay == "inverse":
        return lr / (1.0 + decay_rate * t)
    if decay == "power":
        return lr / t ** decay_rate
    s, r = t - 1, decay_rate
    if decay == "step":
        return lr * r ** (s // decay_steps)
    done = min(s, decay_steps) / decay_steps
    if decay == "linear":
        return lr * (1.0 - (1.0 - r) * done)
    return lr * (r + (1.0 - r) * (1.0 + math.cos(math.pi * done)) / 2.0)


def differentiating(cache: dict[int, FlowGraph], target: FlowGraph | Box,
                    params: Sequence[Parameter]) -> FlowGraph:
    """The FlowGraph of ``target``'s (first) output with respect to ``params``, built once
    per output and kept in ``cache`` (its plans and gradient boxes are then reused)."""
    output = target.outputs[0] if isinstance(target, FlowGraph) else target
    if id(output) not in cache:
        cache[id(output)] = FlowGraph(output, wrt=params)
    return cache[id(output)]


def move(params: Sequence[Parameter], start: Sequence[np.ndarray],
         steps: Sequence[np.ndarray] | None = None) -> None:
    """Set each parameter to its ``start`` value plus its step (in place; to ``start``
    alone when ``steps`` is None): how Newton and NewtonCG try a step and take it back."""
    if steps is None:
        for p, value in zip(params, start):
            p.value[...] = value
        return
    for p, value, step in zip(params, start, steps):
        p.value[...] = value + step


def check_damping(damping: float, increase: float, decrease: float) -> None:
    """Raise ValueError unless these are a Levenberg-Marquardt damping lambda >= 0 and the
    factors that grow (> 1) and shrink (in (0, 1)) it (Newton's and NewtonCG's)."""
    if not (damping >= 0 and np.isfinite(damping)):
        raise ValueError(f"damping (lambda) must be a finite number >= 0, got {damping}")
    if not (increase > 1 and 0 < decrease < 1):
        raise ValueError(f"need increase > 1 and 0 < decrease < 1, got increase="
                         f"{increase}, decrease={decrease}")


def check_fraction(name: str, value: float, *, closed: bool = False) -> None:
    """Raise ValueError unless 0 <= value < 1 (value <= 1 when ``closed``)."""
    if not (0 <= value <= 1 if closed else 0 <= value < 1):
        raise ValueError(f"{name} must be in [0, {'1]' if closed else '1)'}, got {value}")


class Optimizer:
    """Base of the optimizers: ``step(grads=None)`` makes update t = 1, 2, ... with the
    learning rate :meth:`learning_rate` and :meth:`update` per Parameter.

    Subclasses name their per-parameter state in ``buffers`` (e.g. ("velocity",));
    each buffer starts at zeros of the parameter's shape and dtype, and
    :meth:`state_dict` / :meth:`load_state_dict` save and restore all of them.
    """

    buffers: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Parameter], lr: float, decay: str | None = None,
                 decay_rate: float = 0.0, warmup: int = 0, decay_steps: int = 0) -> None:
        self.params: list[Parameter] = trainable(params, type(self).__name__)
        check_schedule(lr, decay, decay_rate, warmup, decay_steps)
        self.lr = float(lr)
        self.decay = decay
        self.decay_rate = float(decay_rate)
        self.warmup = int(warmup)
        self.decay_steps = int(decay_steps)
        self.t = 0  # updates made so far
        self.key = tuple(map(id, self.params))  # (a jit graph's compiled update is kept by it)
        self.state: dict[str, list[np.ndarray]] = {
            name: [np.zeros_like(p.value) for p in self.params] for name in self.buffers}

    def learning_rate(self, t: int | None = None) -> float:
        """alpha_t for update t (1-based; default: the next update): alpha for the
        first ``warmup`` updates, then the decay (:func:`scheduled`) with t counted from
        the end of the warm-up."""
        t = self.t + 1 if t is None else t
        return scheduled(self.lr, self.decay, self.decay_rate, self.decay_steps,
                         t - self.warmup)

    def step(self, grads: Gradients | FlowGraph | Box | None = None,
             feed: Mapping[Any, Any] | None = None) -> float | None:
        """One update from ``grads`` ({Parameter: gradient}, as returned by
        ``FlowGraph.bprop()``; default: each Parameter's ``.grad``).

        Or, the way every optimizer takes it (Newton's included): ``step(graph, feed)``
        runs the graph's fprop and bprop on ``feed`` and updates from those gradients;
        it returns the loss (the graph's first output) before the update. A loss that is
        NaN or infinite makes no update: it is returned, for the caller to stop on."""
        loss = None
        if isinstance(grads, (FlowGraph, Box)):
            graph = self._graph(grads)
            update = self.whole_step_update(self.learning_rate()) if graph.jit else None
            if update is not None:  # jit=True: fprop, bprop and update in one call
                value = graph.train_step(feed, update)
                if value is not NOT_RUN:
                    self.t += 1
                    return float(value if np.ndim(value) == 0 else np.sum(value))
            values = graph.fprop(feed)
            loss = float(np.sum(values[0] if len(graph.outputs) > 1 else values))
            if not math.isfinite(loss):
                return loss  # no update from it (a jit graph's compiled step makes none)
            grads = graph.bprop()
        elif feed is not None:
            raise TypeError(f"{type(self).__name__}.step(graph, feed) takes a FlowGraph or a "
                            "box first when it is given a feed")
        alpha = self.learning_rate()
        gradients = [self._grad(p, grads) for p in self.params]  # all checked first
        self.t += 1
        for index, (p, grad) in enumerate(zip(self.params, gradients)):
            self.update(index, p, grad, alpha)
        return loss

    def whole_step_update(self, alpha: float) -> Update | None:
        """This optimizer's next update (learning rate ``alpha``) as a ``jit=True`` graph
        runs it inside its compiled step, or None (the update runs here, in numpy)."""
        return None

    def _graph(self, target: FlowGraph | Box) -> FlowGraph:
        """The graph a step runs: a FlowGraph as given; for a box, one built once that
        differentiates with respect to this optimizer's Parameters."""
        if isinstance(target, FlowGraph):
            return target
        return differentiating(self.__dict__.setdefault("_graphs", {}), target, self.params)

    def update(self, index: int, p: Parameter, grad: np.ndarray, lr: float) -> None:
        """Update ``p`` (the ``index``-th Parameter) in place; ``self.t`` is this
        update's number."""
        raise NotImplementedError

    @staticmethod
    def _grad(p: Parameter, grads: Gradients | None) -> np.ndarray:
        grad = p.grad if grads is None else grads.get(p)
        if grad is None:
            raise ValueError(f"no gradient for Parameter '{p.name}' (created at "
                             f"{p.created_at}): run graph.bprop() on a graph that "
                             "depends on it before optimizer.step()")
        if np.shape(grad) != p.value.shape:
            raise ValueError(f"gradient of shape {np.shape(grad)} for Parameter '{p.name}' "
                             f"of shape {p.value.shape}")
        return np.asarray(grad)

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state: the update count ``t`` and a copy of each buffer (a
        list of arrays, one per Parameter), for checkpoints."""
        return {"t": self.t, **{name: [v.copy() for v in values]
                                for name, values in self.state.items()}}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state from :meth:`state_dict` (shapes must match the Parameters)."""
        for name, mine in self.state.items():
            if name not in state:
                raise ValueError(f"{type(self).__name__} state has no {name!r} buffers "
                                 f"(it has {', '.join(k for k in state if k != 't')})")
            saved = list(state[name])
            if len(saved) != len(self.params):
                raise ValueError(f"optimizer state has {len(saved)} {name} buffers for "
                                 f"{len(self.params)} Parameters")
            for p, buffer, value in zip(self.params, mine, saved):
                if np.shape(value) != buffer.shape:
                    raise ValueError(f"{name} buffer of shape {np.shape(value)} does not "
                                     f"fit Parameter '{p.name}' of shape {buffer.shape}")
        for name, mine in self.state.items():
            for buffer, value in zip(mine, state[name]):
                buffer[...] = value
        self.t = int(state["t"])

    def _schedule_repr(self) -> str:
        if self.decay is None:
            return ""
        steps = f", decay_steps={self.decay_steps}" if self.decay not in DECAYS else ""
        return (f", decay={self.decay!r}, decay_rate={self.decay_rate}{steps}, "
                f"warmup={self.warmup}")
