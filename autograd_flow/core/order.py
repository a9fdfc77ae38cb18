"""The order a flow graph runs in: every box after its inputs (fprop), and the boxes
whose bprop runs, in reverse, from the first output to the boxes of ``wrt``.

:class:`Schedule` is what a run reads (the interpreter, and a compiled plan): computed
once per graph, never changed.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..errors import CycleError, FlowGraphError, describe
from .box import Box, Input, Leaf, Parameter


def topological_order(outputs: Sequence[Box]) -> list[Box]:
    """Every box the outputs depend on, each after its inputs (iterative depth-first
    search, so a chain of any depth works). Raises CycleError on a cycle."""
    done: set[int] = set()
    visiting: set[int] = set()
    order: list[Box] = []
    for output in outputs:
        if id(output) in done:
            continue
        visiting.add(id(output))
        stack: list[tuple[Box, int]] = [(output, 0)]
        while stack:
            box, position = stack[-1]
            if position < len(box.inputs):
                stack[-1] = (box, position + 1)
                child = box.inputs[position]
                if not isinstance(child, Box):
                    raise FlowGraphError(f"{describe(box)} has an input that is not a box: "
                                         f"{child!r}")
                if id(child) in visiting:
                    raise CycleError(f"{describe(child)} depends on itself through "
                                     f"{describe(box)}: a flow graph must be acyclic.")
                if id(child) not in done:
                    visiting.add(id(child))
                    stack.append((child, 0))
            else:
                stack.pop()
                visiting.discard(id(box))
                done.add(id(box))
                order.append(box)
    return order


def needs(order: Iterable[Box], wrt: Iterable[Box]) -> set[int]:
    """ids of the boxes that lie on a path to a box of ``wrt`` (those that get gradients),
    ``order`` being topological."""
    found = set(map(id, wrt))
    for box in order:
        if any(id(i) in found for i in box.inputs):
            found.add(id(box))
    return found


def reaches(order: Sequence[Box], output: Box) -> set[int]:
    """ids of the boxes ``output`` depends on (itself included)."""
    found = {id(output)}
    for box in reversed(order):
        if id(box) in found:
            found.update(map(id, box.inputs))
    return found


@dataclass(frozen=True)
class Step:
    """One bprop call: ``box`` sends gradients to ``targets``, the (position, input)
    pairs that want one, in input order."""

    box: Box
    targets: tuple[tuple[int, Box], ...]


@dataclass(frozen=True)
class Schedule:
    """Everything a run needs to know about a graph, computed once.

    ``order``: every box, each after its inputs. ``steps``: the bprop calls, in the
    order they run (only boxes between the first output and a box of ``wrt``; within a
    box, only the inputs that lead to ``wrt``). ``reset``: the boxes whose ``.grad`` a
    bprop sets or clears. ``fed``: the Inputs and Parameters, whose arrays make a run's
    signature."""

    order: list[Box]
    outputs: tuple[Box, ...]
    wrt: tuple[Box, ...]
    needs: frozenset[int]
    steps: list[Step]
    reset: list[Box]
    inputs: list[Input] = field(default_factory=list)
    fed: list[Box] = field(default_factory=list)

    @property
    def computed(self) -> list[Box]:
        """The boxes that get a fprop call of their own: all but the leaves."""
        return [b for b in self.order if not isinstance(b, Leaf)]


def schedule(outputs: tuple[Box, ...], wrt: Sequence[Box] | None) -> Schedule:
    """The schedule of a graph over ``outputs`` differentiated with respect to ``wrt``
    (default: every Parameter the outputs depend on)."""
    order = topological_order(outputs)
    parameters = [b for b in order if isinstance(b, Parameter)]
    chosen = tuple(parameters if wrt is None else wrt)
    needed = needs(order, chosen)
    reached = reaches(order, outputs[0])
    between = [b for b in order if id(b) in needed and id(b) in reached]
    steps = []
    for box in reversed(between):
        if isinstance(box, Leaf):
            continue
        targets = tuple((k, source) for k, source in enumerate(box.inputs)
                        if id(source) in needed)
        steps.append(Step(box, targets))
    ids = set(map(id, between))
    reset = between + [b for b in chosen if id(b) not in ids]
    return Schedule(order, outputs, chosen, frozenset(needed), steps, reset,
                    inputs=[b for b in order if isinstance(b, Input)],
                    fed=[b for b in order if isinstance(b, (Input, Parameter))])
