"""One step of a graph, traced: :func:`trace_step` runs one fprop and one bprop of the
schedule the way the interpreter runs them (the same order, each box's own formula,
gradients summed in the same order and summed back where numpy broadcast), on the
arrays of the last interpreted fprop, with :mod:`.trace` recording every numpy call.
:mod:`.compiler` then writes the recorded step as code.

A box the tracer cannot record (a user's box, a formula that reads its values in
Python) is called as it is, its result checked at each step; a pattern of
:mod:`.rewrites` runs as its one formula.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.box import Box, Leaf, opaque
from ..core.broadcast import unbroadcast
from ..core.interpreter import checked_bprop, checked_fprop
from ..core.order import Schedule
from ..core.twin import Twin
from ..errors import one_per_input
from .rewrites import Match, find_rewrites
from .trace import Traced, Tracer


@dataclass
class Step:
    """One traced step: the tape, each box's value and final gradient as traced
    values, the seed, the boxes whose value the plan leaves to be computed when read,
    where each box's calls start on the tape (for the code's comments), and how many of
    the tape's nodes belong to fprop."""

    schedule: Schedule
    tracer: Tracer
    values: dict[int, Traced]
    grads: dict[int, Traced | None]
    seed: Traced
    lazy: list[Box]
    comments: dict[int, list[str]] = field(default_factory=dict)
    fprop_end: int = 0
    #: bprop traced too (not when a user's box in it was not observed)
    with_bprop: bool = True


class Unobserved(Exception):
    """A user's box in bprop whose result no interpreted bprop of this signature kept:
    the plan runs fprop, and the interpreter bprop."""




def _comment(step: Step, box: Box, what: str = "") -> None:
    inputs = ", ".join(i.name for i in box.inputs)
    step.comments.setdefault(len(step.tracer.nodes), []).append(
        f"# {box.name} = {type(box).__name__}({inputs}){what}   [{box.created_at}]")


#: what :func:`_formula` returns for a formula the tracer could not record
UNRECORDED: Any = object()


def _formula(tracer: Tracer, run: Callable[[], Any]) -> Any:
    """``run()`` recorded, or UNRECORDED when it did something a plan cannot replay, or
    failed on traced arrays where it ran on the interpreter's (its partial recording
    dropped: the plan calls the box's method instead)."""
    start = len(tracer.nodes)
    try:
        return tracer.formula(run)
    except Exception:  # noqa: BLE001 (NotRecorded, or numpy's wrapping of it)
        del tracer.nodes[start:]
        return UNRECORDED


def _named(traced: Traced, name: str) -> Traced:
    """The node named for a role (a box's value, a gradient) unless it has one."""
    if not traced.node.named:
        traced.node.hint, traced.node.named = name, True
    return traced


def _fprop(step: Step, box: Box, match: Match | None) -> Traced:
    return _named(_traced_fprop(step, box, match), box.name)


def _traced_fprop(step: Step, box: Box, match: Match | None) -> Traced:
    tracer = step.tracer
    tracer.label = box.name
    inputs = [step.values[id(i)] for i in (match.inputs if match else box.inputs)]
    if match is not None:
        _comment(step, box, f": {type(match.rewrite).__name__} of "
                            f"{', '.join(i.name for i in match.inputs)}")
        return tracer.wrap(tracer.formula(lambda: match.rewrite.fprop(tracer, match, inputs)))
    _comment(step, box)
    if opaque(box):  # its value from the interpreter: a user's code runs no extra time
        method = box.fprop if box.primitive else checked_fprop(box)
        return tracer.call(method, tuple(inputs), box, "fprop", box.value, checked=True)
    if not getattr(box, "data_dependent_shape", False):
        value = _formula(tracer, lambda: box.fprop(*inputs))
        if value is not UNRECORDED:
            return tracer.wrap(value)
    return tracer.call(box.fprop, tuple(inputs), box, "fprop", checked=True)


def _bprop(step: Step, box: Box, grad: Traced, targets: tuple[tuple[int, Box], ...],
           match: Match | None, observed: dict[int, Any] | None) -> list[Traced | None]:
    """The box's contribution for each target (position, input)."""
    tracer = step.tracer
    tracer.label = f"d_{box.name}"
    if match is not None:
        _comment(step, box, f": {type(match.rewrite).__name__} (bprop)")
        inputs = [step.values[id(i)] for i in match.inputs]
        made = tracer.formula(lambda: match.rewrite.bprop(tracer, match, grad, inputs))
        return [None if made[k] is None else _named(tracer.wrap(made[k]),
                                                     f"d_{source.name}_from_{box.name}")
                for k, source in targets]
    _comment(step, box, "   (bprop)")
    inputs = [step.values[id(i)] for i in box.inputs]
    if opaque(box):  # what it returned in the interpreter's bprop, kept for this
        if observed is None or id(box) not in observed:
            raise Unobserved
        method = box.bprop if box.primitive else checked_bprop(box)
        called = tracer.call(method, (grad, *inputs), box, "bprop", observed[id(box)])
    else:
        twin = Twin(box, step.values[id(box)])
        bprop: Any = type(box).bprop  # run on the twin: its value the traced one
        result = _formula(tracer, lambda: bprop(twin, grad, *inputs))
        if result is not UNRECORDED:
            grads = one_per_input(result, box)
            return [None if grads[k] is None else tracer.wrap(grads[k]) for k, _ in targets]
        called = tracer.call(box.bprop, (grad, *inputs), box, "bprop")
    bare = box.primitive and len(box.inputs) == 1
    return [tracer.item(called, None if bare else k, f"d_{source.name}_from_{box.name}")
            for k, source in targets]


def trace_step(schedule: Schedule, observed: dict[int, Any] | None = None) -> Step:
    """One fprop and one bprop of ``schedule``, traced on its boxes' current values;
    ``observed``: what each user's box returned in the interpreter's bprop of this step
    (without it, a bprop through a user's box is not traced)."""
    tracer = Tracer()
    rewrites = find_rewrites(schedule)
    inner = {id(b): m for m in rewrites.values() for b in m.inner}
    step = Step(schedule, tracer, {}, {}, tracer.seed(np.ones(0)), [])
    for box in schedule.order:
        if isinstance(box, Leaf):
            step.values[id(box)] = tracer.leaf(box)
        elif id(box) in inner:
            step.lazy.append(box)
        else:
            step.values[id(box)] = _fprop(step, box, rewrites.get(id(box)))
    step.fprop_end = len(tracer.nodes)
    try:
        _trace_bprop(step, rewrites, inner, observed)
    except Unobserved:
        del tracer.nodes[step.fprop_end:]
        step.with_bprop = False
        step.grads = {}
    return step


def _trace_bprop(step: Step, rewrites: dict[int, Match], inner: dict[int, Match],
                 observed: dict[int, Any] | None) -> None:
    schedule = step.schedule
    output = schedule.outputs[0]
    value = np.asarray(output.value)
    step.seed.node.value = (value.dtype.type(1) if isinstance(output.value, np.generic)
                            else np.ones_like(value))
    grads: dict[int, Traced | None] = {id(output): step.seed}
    # where the interpreter adds a rewrite's gradient for an input: at the step of the
    # input's last consumer inside the pattern (so sums keep the interpreter's order)
    pending: dict[int, list[tuple[Box, Traced]]] = {}
    for entry in schedule.steps:
        box = entry.box
        for source, waiting in pending.pop(id(box), []):
            _add(step, grads, box, source, waiting)
        arrived = grads.get(id(box))
        if arrived is None or id(box) in inner:
            continue
        grad: Traced = arrived
        match = rewrites.get(id(box))
        if match is not None:
            targets = tuple((k, i) for k, i in enumerate(match.inputs)
                            if id(i) in schedule.needs)
            made = _bprop(step, box, grad, targets, match, observed)
            for (_, source), contribution in zip(targets, made):
                if contribution is not None:
                    consumer = _consumer(match, source)
                    pending.setdefault(id(consumer), []).append((source, contribution))
            for source, waiting in pending.pop(id(box), []):
                _add(step, grads, box, source, waiting)
            continue
        made = _bprop(step, box, grad, entry.targets, None, observed)
        for (_, source), contribution in zip(entry.targets, made):
            if contribution is not None:
                _add(step, grads, box, source, contribution)
    step.grads = {id(b): grads.get(id(b)) for b in schedule.reset}


def _consumer(match: Match, source: Box) -> Box:
    """The box of the pattern that reads ``source`` and comes last in topological order
    (the first whose bprop reaches it)."""
    boxes = [*match.inner, match.output]
    return [b for b in boxes if any(i is source for i in b.inputs)][-1]


def _add(step: Step, grads: dict[int, Traced | None], box: Box, source: Box,
         contribution: Traced) -> None:
    """Sum a contribution into the source's gradient, as the interpreter does (summed
    back to the source's shape first when numpy broadcast it)."""
    if contribution.shape != np.shape(source.value):
        contribution = step.tracer.wrap(
            step.tracer.formula(lambda: unbroadcast(contribution, np.shape(source.value))))
    previous = grads.get(id(source))
    total = contribution if previous is None else previous + contribution
    grads[id(source)] = _named(total, f"d_{source.name}")
