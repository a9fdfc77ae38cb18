"""The interpreter: one Python call per box, fprop in order and bprop in reverse. It is
the reference every faster path (a compiled plan) is tested against, and what runs a
graph's first steps.

Boxes declared by :mod:`autograd_flow.ops` (``primitive``) run as they are; a user's box
runs through :func:`checked_fprop` / :func:`checked_bprop`, which turn what it returned
into arrays and name the box when that is not possible.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..errors import (
    BoxError,
    FlowGraphError,
    NonFiniteError,
    describe,
    describe_array,
    one_per_input,
)
from .box import Box, opaque
from .broadcast import unbroadcast
from .order import Schedule


def checked_fprop(box: Box) -> Any:
    """A user box's fprop: its result as an array, or a BoxError naming the box."""
    fprop = box.fprop

    def call(*values: Any) -> Any:
        result = fprop(*values)
        value = result if isinstance(result, (np.ndarray, np.generic)) else np.asarray(result)
        if value.dtype.kind not in "biufc":
            raise BoxError(f"{describe(box)}: fprop returned {type(result).__name__} "
                           f"{result!r:.60}, not numbers; compute the value with numpy "
                           "from the input values (fprop must not build boxes).")
        return value

    return call


def checked_bprop(box: Box) -> Any:
    """A user box's bprop: always a tuple of arrays (or None), one per input, with a
    clear error when the count or the kind of a gradient is wrong."""
    bprop = box.bprop

    def call(grad: Any, *values: Any) -> tuple[Any, ...]:
        result = one_per_input(bprop(grad, *values), box)
        grads = tuple(None if g is None else np.asarray(g) for g in result)
        for position, (raw, g) in enumerate(zip(result, grads)):
            if g is not None and g.dtype.kind not in "biufc":
                shown = " ".join(repr(raw).split())[:60]
                raise BoxError(f"{describe(box)}: bprop returned {type(raw).__name__} "
                               f"{shown} for input #{position}, not numbers; return a "
                               "numpy array of the input's shape (or None for no gradient).")
        return grads

    return call


def _slots(inputs: tuple[Box, ...]) -> tuple[Any, Any, Any]:
    """(first, second, inputs) as the run loops read them: one input -> (a, None, None),
    two -> (a, b, None), any other count -> (None, (), inputs)."""
    if len(inputs) == 1:
        return inputs[0], None, None
    if len(inputs) == 2:
        return inputs[0], inputs[1], None
    return None, (), inputs


def _only(part: Any, position: int) -> Any:
    """The bprop of a box of two inputs of which one needs a gradient: the box's
    ``bprop_input`` for that one alone (a recurrent net's ``Wxh @ x_t`` with a one-hot
    ``x_t`` then costs one product, not two)."""
    if position == 0:
        return lambda grad, a, b: (part(0, grad, a, b), None)
    return lambda grad, a, b: (None, part(1, grad, a, b))


class Interpreter:
    """Runs a :class:`Schedule` box by box (flat lists of bound methods, made once)."""

    def __init__(self, schedule: Schedule, check_finite: bool = False) -> None:
        self.schedule = schedule
        self.check_finite = check_finite
        self._fprop = [(box, box.fprop if box.primitive else checked_fprop(box),
                        *_slots(box.inputs)) for box in schedule.computed]
        # targets: (position, input); position -1 when a primitive of one input returns
        # its gradient bare rather than in a tuple
        self._bprop = []
        for step in schedule.steps:
            box = step.box
            bare = box.primitive and len(box.inputs) == 1
            targets = tuple((-1 if bare else k, source) for k, source in step.targets)
            bprop = box.bprop if box.primitive else checked_bprop(box)
            wanted = {k for k, _ in step.targets}
            part = getattr(box, "bprop_input", None)
            if box.primitive and part is not None and len(wanted) == 1 and len(box.inputs) == 2:
                bprop = _only(part, wanted.pop())
            self._bprop.append((box, bprop, *_slots(box.inputs), targets))

    def fprop(self) -> Any:
        """Every box's value in order; the first output's value (a tuple for several)."""
        try:
            for box, fprop, first, second, inputs in self._fprop:
                if second is None:
                    box.value = fprop(first.value)
                elif inputs is None:
                    box.value = fprop(first.value, second.value)
                else:
                    box.value = fprop(*[i.value for i in inputs])
        except FlowGraphError:
            raise
        except Exception as error:
            raise failed(box, "fprop", error) from (None if box.primitive else error)
        if self.check_finite:
            check_finite(self.schedule.order, "value")
        outputs = self.schedule.outputs
        if len(outputs) == 1:
            return outputs[0].value
        return tuple(o.value for o in outputs)

    def bprop(self, seed: Any, observed: dict[int, Any] | None = None) -> None:
        """Every gradient from ``seed`` at the first output back to the boxes of wrt
        (``.grad`` of each box of the schedule's reset list; None where none arrived).
        With ``observed``, what each box running a user's code returned is kept there
        (by id of the box), for a plan to be compiled from this step."""
        for box in self.schedule.reset:
            box.grad = None
        self.schedule.outputs[0].grad = seed
        try:
            for box, bprop, first, second, inputs, targets in self._bprop:
                grad = box.grad
                if grad is None:
                    continue
                if second is None:
                    grads = bprop(grad, first.value)
                elif inputs is None:
                    grads = bprop(grad, first.value, second.value)
                else:
                    grads = bprop(grad, *[i.value for i in inputs])
                if observed is not None and opaque(box):
                    observed[id(box)] = grads
                for position, source in targets:
                    source_grad = grads if position < 0 else grads[position]
                    if source_grad is None:
                        continue
                    if source_grad.shape != source.value.shape:
                        source_grad = summed_back(box, source, source_grad)
                    previous = source.grad
                    source.grad = source_grad if previous is None else previous + source_grad
        except FlowGraphError:
            raise
        except Exception as error:
            raise failed(box, "bprop", error) from (None if box.primitive else error)
        if self.check_finite:
            self._check_finite_grads()

    def _check_finite_grads(self) -> None:
        """Name the box whose bprop first turned finite gradients into NaN/Inf."""
        boxes = [step.box for step in self.schedule.steps]
        graded = [b for b in self.schedule.reset if b.grad is not None]
        bad = {id(b) for b in graded if not np.isfinite(b.grad).all()}
        for box in boxes:
            sources = [i for i in box.inputs if id(i) in bad]
            if sources and id(box) not in bad:
                raise NonFiniteError(f"{describe(box)} produced a non-finite gradient (NaN or "
                                     f"Inf) for its input {describe(sources[0])}.")
        check_finite(reversed(self.schedule.reset), "grad")


def summed_back(box: Box, source: Box, grad: np.ndarray) -> np.ndarray:
    """A gradient of the broadcast shape summed back to its input's shape."""
    try:
        return unbroadcast(grad, source.value.shape)
    except ValueError:
        raise BoxError(
            f"{describe(box)}: bprop returned a gradient of shape {grad.shape} for its "
            f"input {describe(source)} of shape {source.value.shape}; a gradient must "
            "have its input's shape (or a shape that input broadcast to).") from None


def failed(box: Box, phase: str, error: Exception) -> BoxError:
    """The error of a box whose fprop or bprop raised: its name, its inputs' shapes and
    dtypes, and where to look."""
    inputs = "; ".join(f"{describe(i)}: {describe_array(i.value)}" for i in box.inputs)
    hint = ("check the shapes where the box is created" if phase == "fprop"
            else "check the box's bprop formula")
    return BoxError(f"{describe(box)} failed in {phase}: {type(error).__name__}: "
                    f"{error}. Inputs: {inputs or 'none'}. Hint: {hint}.")


def check_finite(boxes: Iterable[Box], attribute: str) -> None:
    """Raise NonFiniteError naming the first box whose value (or gradient) has a NaN or Inf."""
    for box in boxes:
        value = getattr(box, attribute)
        if value is None or isinstance(value, (int, float)):
            continue
        array = np.asarray(value)
        if array.dtype.kind in "fc" and not np.isfinite(array).all():
            what = "value" if attribute == "value" else "gradient"
            inputs = "; ".join(f"{describe(i)}: {describe_array(i.value)}" for i in box.inputs)
            raise NonFiniteError(f"{describe(box)} produced a non-finite {what} "
                                 f"(NaN or Inf) of shape {array.shape}. Inputs: "
                                 f"{inputs or 'none'}.")
