"""The plans of one graph, one per signature (the shapes, dtypes and memory layouts of
its fed Inputs and its Parameters): the second time a signature is interpreted, its
plan is compiled; from the third, the plan runs. A plan that fails where the interpreter
runs retires its signature, so no step runs twice. This is the Runner a FlowGraph
gets from :mod:`autograd_flow.plan` (see :mod:`autograd_flow.core.graph`)."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from ..core.box import opaque
from ..core.graph import NOT_RUN
from ..core.order import Schedule
from . import jit
from .compiler import Plan, compile_plan
from .fused import Update

#: Graphs with more boxes than this run in the interpreter (the generated source of a
#: chain of 100,000 boxes would take Python longer to compile than to interpret).
MAX_BOXES = 5000
#: Plans kept per graph, the least recently used evicted first (the last partial batch
#: and an evaluation set get plans of their own).
MAX_PLANS = 8


class PlanCache:
    """Compiled plans of one graph's schedule, by signature (least recently used out)."""

    def __init__(self, schedule: Schedule, jit_runs: bool = False) -> None:
        if jit_runs and not jit.available():
            raise ImportError('FlowGraph(jit=True) compiles elementwise chains with numba, '
                              'which is not installed: pip install "autograd_flow[jit]"')
        self.schedule = schedule
        self.jit = jit_runs
        self.enabled = len(schedule.computed) <= MAX_BOXES
        self.plans: OrderedDict[tuple, Plan | None] = OrderedDict()
        self.seen: dict[tuple, int] = {}
        self.active: Plan | None = None
        self._key: tuple = ()
        #: a user's box in the bprop: a plan is compiled after an interpreted bprop,
        #: from what that box returned there (its code never runs an extra time)
        self.observe = any(opaque(step.box) for step in schedule.steps)
        self.pending: tuple | None = None  # the signature waiting for that bprop
        #: whole steps (jit): by signature and update; None where the compile declined
        self.whole: dict[tuple, Any] = {}
    def signature(self) -> tuple:
        """What a plan is made for: the shapes, dtypes and memory layouts of the fed
        Inputs and of the Parameters (a sum adds in memory order, so the layout decides
        the last bit)."""
        try:
            return tuple([(b.value.shape, b.value.dtype, b.value.strides)
                          for b in self.schedule.fed])
        except AttributeError:  # a Python number as a value
            return tuple([(np.shape(b.value), np.result_type(b.value),
                           getattr(b.value, "strides", None)) for b in self.schedule.fed])

    def fprop(self) -> Any:
        """The outputs' values by the signature's plan, or NOT_RUN."""
        self.active = None
        if not self.enabled:
            return NOT_RUN
        key = self._key = self.signature()
        plan = self.plans.get(key)
        if plan is None:
            return NOT_RUN
        self.plans.move_to_end(key)
        for box in self.schedule.inputs:  # a fed array the step would write over: a copy
            if plan.shares_memory(box.value):
                box.value = box.value.copy()
        try:
            values = plan.fprop()
        except Exception:  # the interpreter runs the step (and names any error)
            return NOT_RUN
        self.active = plan
        return values

    def interpreted(self) -> None:
        """Count an interpreted step of a signature; compile its plan at the second
        (after that step's bprop, when a user's box has a bprop to observe). A
        signature whose plan failed where the interpreter ran (a shape that follows the
        data) stays interpreted, so no step runs twice."""
        if not self.enabled:
            return
        key = self._key
        if key in self.plans:  # its plan failed this step
            self.plans[key] = None
            return
        count = self.seen[key] = self.seen.get(key, 0) + 1
        if len(self.seen) > 4 * MAX_PLANS:  # a bounded memory of signatures, oldest out
            del self.seen[next(iter(self.seen))]
        if count < 2:
            return
        if self.observe and self.pending != key:
            self.pending = key
            return
        self._compile(key, None)  # (no bprop came: a plan of fprop only)

    def observing(self) -> bool:
        return self.pending is not None and self.pending == self._key and self.active is None

    def interpreted_bprop(self, observed: dict[int, Any]) -> None:
        if self.pending == self._key:
            self._compile(self._key, observed)

    def _compile(self, key: tuple, observed: dict[int, Any] | None) -> None:
        self.pending = None
        try:
            plan: Plan | None = compile_plan(self.schedule, self.jit, observed)
        except Exception:  # a graph the compiler does not cover stays interpreted
            plan = None
        self.plans[key] = plan
        while len(self.plans) > MAX_PLANS:
            self.plans.popitem(last=False)

    def bprop(self, seed: Any) -> tuple[Any, ...] | None:
        """The gradients of wrt by the plan that ran the last fprop, or None."""
        if self.active is None:
            return None
        try:
            return self.active.bprop(seed)
        except Exception:  # the interpreter runs the step (and names any error)
            return None

    def whole_step(self, update: Update) -> Any:
        """One training step (fprop, bprop and ``update``) as one compiled call, for the
        signature of the arrays fed: the first output's value, or NOT_RUN (no plan for
        the signature yet, or a step the whole-step compile does not cover)."""
        if not (self.jit and self.enabled):
            return NOT_RUN
        key = self.signature()
        plan = self.plans.get(key)
        if plan is None or plan.traced is None:
            return NOT_RUN
        from .fused_run import WholeStep  # numba is imported only when jit is asked for

        which = (key, update.kind, update.key)
        whole = self.whole.get(which, NOT_RUN)
        if whole is NOT_RUN:
            try:
                whole = WholeStep(plan.traced, update)
            except Exception:  # a step it does not cover (or numba refused): the plan runs
                whole = None
            self.whole[which] = whole
            while len(self.whole) > MAX_PLANS:
                del self.whole[next(iter(self.whole))]
        if whole is None:
            return NOT_RUN
        self.active = None
        try:
            value = whole.run(update)
        except Exception:  # the interpreter runs the step (and names any error)
            self.whole[which] = None
            return NOT_RUN
        return NOT_RUN if value is None else value

    def source(self) -> str:
        """The code of the plan for the arrays last fed (compiled now if there is none)."""
        key = self.signature()
        plan = self.plans.get(key) if self.enabled else None
        if plan is None:
            plan = compile_plan(self.schedule, False, None)
        wholes = [w for (signature, *_), w in self.whole.items()
                  if signature == key and w is not None]
        return "\n\n".join([plan.source, *(
            "# the whole step an optimizer runs (jit=True), one numba call:\n" + w.source
            for w in wholes)])
