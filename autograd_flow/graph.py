"""FlowGraph: the scheduler that runs boxes' fprop in topological order and their
bprop in reverse, only along paths that reach a parameter.

The order and the two run plans (flat lists of bound methods and input tuples) are
computed once; a step then costs one Python call per box in each direction.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from . import plan as plan_module
from .box import Box, Constant, Input, Leaf, Parameter, _refuse_complex
from .broadcast import unbroadcast
from .errors import (
    BoxError,
    CycleError,
    FeedError,
    FlowGraphError,
    NonFiniteError,
    describe,
    describe_array,
    one_per_input,
)

_BUILTIN_PREFIX = __name__.rsplit(".", 1)[0] + "."
#: Plans kept per graph, the least recently used evicted first (the last partial batch
#: and an evaluation set get plans of their own).
MAX_PLANS = 8


def _is_builtin(box: Box) -> bool:
    return type(box).__module__.startswith(_BUILTIN_PREFIX)


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


def _arity_slots(inputs: tuple[Box, ...]) -> tuple[Any, Any, Any]:
    """(first, second, inputs) as the run loops read them: one input -> (a, None, None),
    two -> (a, b, None), any other count -> (None, (), inputs)."""
    if len(inputs) == 1:
        return inputs[0], None, None
    if len(inputs) == 2:
        return inputs[0], inputs[1], None
    return None, (), inputs


def _checked_bprop(box: Box) -> Any:
    """Wrap a user box's bprop: always a tuple of arrays (or None), one per input, with
    a clear error when the count is wrong."""
    bprop = box.bprop

    def call(grad: Any, *values: Any) -> tuple[Any, ...]:
        result = one_per_input(bprop(grad, *values), box)
        grads = tuple(None if g is None else np.asarray(g) for g in result)
        for position, (raw, grad) in enumerate(zip(result, grads)):
            if grad is not None and grad.dtype.kind not in "biufc":
                shown = " ".join(repr(raw).split())[:60]
                raise BoxError(f"{describe(box)}: bprop returned {type(raw).__name__} "
                               f"{shown} for input #{position}, not numbers; return a "
                               "numpy array of the input's shape (or None for no gradient).")
        return grads

    return call


def _checked_fprop(box: Box) -> Any:
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


class FlowGraph:
    """A static flow graph over ``outputs``: build once, fprop/bprop many times.

    ``wrt`` lists the boxes whose gradients :meth:`bprop` returns (default: every
    :class:`Parameter` reachable from the outputs; Inputs may be listed too).
    With ``check_finite=True`` a NaN or Inf raises NonFiniteError naming the first box
    that produced it. With ``compile=True`` (the default) the graph runs compiled plans (see
    :meth:`fprop` and :mod:`autograd_flow.plan`), except with ``check_finite=True`` (which
    checks box by box) or past ``plan.MAX_BOXES`` boxes; ``jit=True`` also runs chains of
    elementwise boxes in numba (the ``jit`` extra: without numba it raises ImportError).
    """

    def __init__(self, outputs: Box | Sequence[Box], wrt: Iterable[Box] | None = None,
                 check_finite: bool = False, compile: bool = True,  # noqa: A002
                 jit: bool = False) -> None:
        if isinstance(wrt, Box):
            raise TypeError(f"FlowGraph's second argument is wrt, the boxes to differentiate "
                            f"with respect to, not {describe(wrt)}: give several outputs as a "
                            "list, FlowGraph([a, b]), and wrt as a list, wrt=[W].")
        if isinstance(outputs, Box):
            self.outputs: tuple[Box, ...] = (outputs,)
        elif isinstance(outputs, (list, tuple)) and outputs and all(
                isinstance(o, Box) for o in outputs):
            self.outputs = tuple(outputs)
        else:
            raise TypeError(f"FlowGraph needs a box or a list of boxes as outputs, got "
                            f"{type(outputs).__name__} {outputs!r:.60}")
        self.order: list[Box] = topological_order(self.outputs)
        self.inputs: list[Input] = [b for b in self.order if isinstance(b, Input)]
        self.parameters: list[Parameter] = [b for b in self.order if isinstance(b, Parameter)]
        self.wrt: tuple[Box, ...] = tuple(self.parameters if wrt is None else wrt)
        self.check_finite = check_finite
        members = set(map(id, self.order))
        for box in self.wrt:
            if isinstance(box, Constant):
                raise FlowGraphError(f"{describe(box)} is a Constant: it has no gradient to "
                                     "ask for in wrt (make it a Parameter or an Input).")
            if id(box) not in members:
                raise FlowGraphError(f"{describe(box)} was asked for in wrt but the outputs "
                                     "do not depend on it.")
        self._wrt_inputs = [box for box in self.wrt if isinstance(box, Input)]
        self._input_ids = set(map(id, self.inputs))
        self._leaves_fed = [b for b in self.order if isinstance(b, (Input, Parameter))]
        self._by_name: dict[str, Input | None] = {}
        for box in self.inputs:  # a name used twice can only be fed by box
            self._by_name[box.name] = None if box.name in self._by_name else box
        self._fprop_plan = []
        for box in self._planned(self.order):
            fprop = box.fprop if _is_builtin(box) else _checked_fprop(box)
            self._fprop_plan.append((box, fprop, *_arity_slots(box.inputs)))
        self._plan_bprop()
        self.compile = compile and not check_finite and \
            len(self._fprop_plan) <= plan_module.MAX_BOXES
        if jit and not plan_module.jit.available():
            raise ImportError('FlowGraph(jit=True) compiles elementwise chains with numba, '
                              'which is not installed: pip install "autograd_flow[jit]"')
        self.jit = jit and self.compile
        self._plans: OrderedDict[tuple, plan_module.Plan | None] = OrderedDict()
        self._seen: dict[tuple, int] = {}
        self._active: plan_module.Plan | None = None
        #: graphs derived from this one, built once (gradient and HVP graphs: gradients.py)
        self._derived: dict[tuple, Any] = {}
        #: what ran the last fprop and bprop: "plan" (generated code) or "interpreter"
        self.ran: dict[str, str] = {"fprop": "", "bprop": ""}

    def _planned(self, boxes: Iterable[Box]) -> Iterator[Box]:
        """The boxes that get a step of their own: all but the leaves."""
        return (b for b in boxes if not isinstance(b, Leaf))

    def _plan_bprop(self) -> None:
        """Keep only boxes that lie between the first output and a box of ``wrt``."""
        needs = self._needs = set(map(id, self.wrt))
        for box in self.order:
            if any(id(i) in needs for i in box.inputs):
                needs.add(id(box))
        reaches = {id(self.outputs[0])}
        for box in reversed(self.order):
            if id(box) in reaches:
                reaches.update(map(id, box.inputs))
        self._grad_boxes = [b for b in self.order if id(b) in needs and id(b) in reaches]
        # entries: (box, bprop, first, second, inputs, targets); targets lists the
        # (position, input) pairs that want a gradient; position -1: bprop returned
        # the single input's gradient itself rather than a tuple
        grad_ids = set(map(id, self._grad_boxes))
        self._reset = self._grad_boxes + [b for b in self.wrt if id(b) not in grad_ids]
        self._bprop_plan = []
        for box in self._planned(reversed(self._grad_boxes)):
            wanted = tuple(id(i) in needs for i in box.inputs)
            bprop = box.bprop if _is_builtin(box) else _checked_bprop(box)
            bare = _is_builtin(box) and len(box.inputs) == 1
            targets = tuple((-1 if bare else k, source)
                            for k, (source, want) in enumerate(zip(box.inputs, wanted)) if want)
            self._bprop_plan.append((box, bprop, *_arity_slots(box.inputs), targets))

    @property
    def skipped(self) -> list[Box]:
        """Boxes whose bprop is never called: no parameter (no box of ``wrt``) is
        reached through them from the first output."""
        called = {id(entry[0]) for entry in self._bprop_plan}
        return [b for b in self._planned(self.order) if id(b) not in called]

    @property
    def bprop_order(self) -> list[Box]:
        """The boxes whose bprop runs, in the order it runs them."""
        return [entry[0] for entry in self._bprop_plan]

    def fprop(self, feed: Mapping[Any, Any] | None = None) -> Any:
        """Feed the Inputs (by box or by name), compute every box in order, and return
        the first output's value (a tuple of the outputs' values when there are several).

        The first time the graph is fed arrays of given shapes and dtypes (a signature),
        the interpreter runs it; the second time, the graph compiles a plan for that
        signature (see :meth:`source`) that runs from then on, with the same values and
        gradients (bit for bit where no rewrite applies)."""
        self._feed(feed or {})
        key = None
        if self.compile:
            key = self._signature()
            plan = self._plans.get(key)
            if plan is not None:
                self._plans.move_to_end(key)
                for box in self.inputs:  # a fed array the step would write over: a copy
                    if plan.shares_memory(box.value):
                        box.value = box.value.copy()
                try:
                    values = plan.fprop()
                except Exception:  # the interpreter runs the step (and names any error)
                    pass
                else:
                    self._active = plan
                    self.ran["fprop"] = "plan"
                    return self._handed(values)
        self._active = None
        self.ran["fprop"] = "interpreter"
        values = self._interpret()
        if key is not None:
            self._learn(key, retire=plan is not None)
        return self._handed(values)

    def _interpret(self) -> Any:
        """The reference: one Python call per box, in topological order."""
        try:
            for box, fprop, first, second, inputs in self._fprop_plan:
                if second is None:
                    box.value = fprop(first.value)
                elif inputs is None:
                    box.value = fprop(first.value, second.value)
                else:
                    box.value = fprop(*[i.value for i in inputs])
        except FlowGraphError:
            raise
        except Exception as error:
            raise self._error(box, "fprop", error) from (None if _is_builtin(box) else error)
        if self.check_finite:
            self._check_finite(self.order, "value")
        if len(self.outputs) == 1:
            return self.outputs[0].value
        return tuple(o.value for o in self.outputs)

    @staticmethod
    def _handed(values: Any) -> Any:
        """Outputs as handed to the user: a view (of a Parameter, say) is copied, so a
        later step or an optimizer never changes an array the user holds."""
        if isinstance(values, tuple):
            return tuple(FlowGraph._handed(v) for v in values)
        if isinstance(values, np.ndarray) and values.base is not None:
            return values.copy()
        return values

    def _signature(self) -> tuple:
        """What a plan is made for: the shapes, dtypes and memory layouts of the fed
        Inputs and of the Parameters (a sum adds in memory order, so the layout decides
        the last bit)."""
        try:
            return tuple([(b.value.shape, b.value.dtype, b.value.strides)
                          for b in self._leaves_fed])
        except AttributeError:  # a Python number as a value
            return tuple([(np.shape(b.value), np.result_type(b.value),
                           getattr(b.value, "strides", None)) for b in self._leaves_fed])

    def _learn(self, key: tuple, retire: bool = False) -> None:
        """Count an interpreted step of a signature; compile its plan at the second.
        ``retire``: the signature's plan failed where the interpreter ran (a shape that
        follows the data): the signature stays interpreted, so no step runs twice."""
        if retire:
            self._plans[key] = None
            return
        count = self._seen[key] = self._seen.get(key, 0) + 1
        if len(self._seen) > 4 * MAX_PLANS:  # a bounded memory of signatures, oldest out
            del self._seen[next(iter(self._seen))]
        if count < 2 or key in self._plans:
            return
        try:
            plan: plan_module.Plan | None = plan_module.compile_plan(self)
        except Exception:  # a graph the compiler does not cover stays interpreted
            plan = None
        self._plans[key] = plan
        while len(self._plans) > MAX_PLANS:
            self._plans.popitem(last=False)

    def source(self) -> str:
        """The Python code of the plan this graph runs for the arrays it was last fed:
        "the backprop your graph runs, as code" (fprop then bprop, one line or a few per
        box, with the names of the boxes). Needs a prior fprop."""
        if any(b.value is None for b in self._leaves_fed) or any(
                "value" in b.__dict__ and b.value is None for b in self.order):
            raise FlowGraphError("source() shows the plan for the arrays last fed: call "
                                 "fprop first.")
        plan = self._plans.get(self._signature()) if self.compile else None
        if plan is None:
            if self._active is None:
                self._interpret()  # values of every box for the shapes
            plan = plan_module.compile_plan(self)
        return plan.source

    # -- what the plan compiler reads -------------------------------------------------
    @property
    def needs(self) -> set[int]:
        """ids of the boxes that lie on a path to a box of wrt (they get gradients)."""
        return self._needs

    def bprop_steps(self) -> list[tuple[Box, tuple[tuple[int, Box], ...]]]:
        """(box, ((position, input), ...)) in the order bprop runs the boxes, with the
        inputs that want a gradient (position -1: the box's only input)."""
        return [(entry[0], entry[-1]) for entry in self._bprop_plan]

    def reset_boxes(self) -> list[Box]:
        """The boxes whose ``.grad`` a bprop sets (or clears)."""
        return list(self._reset)

    @staticmethod
    def checked_fprop(box: Box) -> Any:
        """A user box's fprop, checked as the interpreter checks it."""
        return _checked_fprop(box)

    @staticmethod
    def checked_bprop(box: Box) -> Any:
        """A user box's bprop, checked as the interpreter checks it."""
        return _checked_bprop(box)

    def bprop(self, seed: Any = None) -> dict[Box, np.ndarray]:
        """Backpropagate from the first output (seeded with ``seed``, or 1 for a scalar
        output) and return ``{box: gradient}`` for each box of ``wrt``; sets ``.grad``."""
        output = self.outputs[0]
        if output.value is None:
            raise FlowGraphError(f"{describe(output)} has no value: call fprop before bprop.")
        if seed is None:
            value = output.value
            if isinstance(value, np.generic):  # the usual scalar loss
                seed = value.dtype.type(1)
            elif np.size(value) == 1:
                seed = np.ones_like(value)
            else:
                raise FlowGraphError(
                    f"bprop needs a scalar output to differentiate, but {describe(output)} "
                    f"has shape {np.shape(value)}; reduce it (e.g. .sum() or .mean()) "
                    "or pass bprop(seed=...) with an array of that shape.")
        elif np.shape(seed) != np.shape(output.value):
            raise FlowGraphError(f"bprop seed of shape {np.shape(seed)} does not match "
                                 f"{describe(output)} of shape {np.shape(output.value)}.")
        else:
            seed = np.asarray(seed)
        plan = self._active
        if plan is not None:
            try:
                grads = plan.bprop(seed)
            except Exception:  # the interpreter runs the step (and names any error)
                pass
            else:
                self.ran["bprop"] = "plan"
                return self._no_gradient_for_integers(dict(zip(self.wrt, grads)))
        self.ran["bprop"] = "interpreter"
        for box in self._reset:
            box.grad = None
        output.grad = seed
        try:
            for box, bprop, first, second, inputs, targets in self._bprop_plan:
                grad = box.grad
                if grad is None:
                    continue
                if second is None:
                    grads = bprop(grad, first.value)
                elif inputs is None:
                    grads = bprop(grad, first.value, second.value)
                else:
                    grads = bprop(grad, *[i.value for i in inputs])
                for position, source in targets:
                    source_grad = grads if position < 0 else grads[position]
                    if source_grad is None:
                        continue
                    if source_grad.shape != source.value.shape:
                        source_grad = self._unbroadcast(box, source, source_grad)
                    previous = source.grad
                    source.grad = source_grad if previous is None else previous + source_grad
        except FlowGraphError:
            raise
        except Exception as error:
            raise self._error(box, "bprop", error) from (None if _is_builtin(box) else error)
        if self.check_finite:
            self._check_finite_grads()
        result = {}
        returned: set[int] = set()
        for box in self.wrt:
            grad = box.grad
            if grad is None:
                grad = box.grad = np.zeros_like(box.value)
            elif not grad.flags.writeable or id(grad) in returned:
                grad = box.grad = np.array(grad)
            returned.add(id(grad))
            result[box] = grad
        return self._no_gradient_for_integers(result)

    def _no_gradient_for_integers(self, result: dict[Box, Any]) -> dict[Box, Any]:
        """An Input of ``wrt`` fed integers or booleans has no gradient (numpy's promotion
        makes it a constant, as it would be for HIPS autograd or JAX): its entry is zeros
        of its own dtype, whatever its consumers' bprops sent back."""
        for box in self._wrt_inputs:
            if box.value.dtype.kind in "biu":
                result[box] = box.grad = np.zeros_like(box.value)
        return result

    def _feed(self, feed: Mapping[Any, Any]) -> None:
        fed = set()
        for key, value in feed.items():
            box = self.input_for(key)
            if box is None:
                raise FeedError(self._unknown_feed(key))
            if id(box) in fed:
                raise FeedError(f"{describe(box)} is fed twice (by box and by name): "
                                "give it one value.")
            if not isinstance(value, np.ndarray):
                value = np.asarray(value)
            _refuse_complex(value, f"the feed of {describe(box)}", FeedError)
            if box.shape is not None or box.dtype is not None:
                self._check_input(box, value)
            box.value = value
            fed.add(id(box))
        if len(fed) != len(self.inputs):
            missing = ", ".join(f"{b.name!r} (created at {b.created_at})"
                                for b in self.inputs if id(b) not in fed)
            raise FeedError(f"missing feed for input {missing}: pass a value for every Input "
                            "as {input_box: array} or {'name': array}.")

    def input_for(self, key: Any) -> Input | None:
        """The Input of this graph that a feed key names (the box, or its name), or None."""
        box = self._by_name.get(key) if isinstance(key, str) else key
        return box if id(box) in self._input_ids else None

    def _unknown_feed(self, key: Any) -> str:
        known = ", ".join(repr(b.name) for b in self.inputs) or "none"
        if isinstance(key, str) and key in self._by_name:
            return (f"the name {key!r} belongs to several Inputs of this graph: "
                    "feed them by box instead.")
        what = repr(key) if isinstance(key, str) else describe(key) if isinstance(key, Box) \
            else repr(key)
        return f"feed key {what} is not an Input of this graph (its Inputs: {known})."

    @staticmethod
    def _check_input(box: Input, value: np.ndarray) -> None:
        shape_ok = box.shape is None or (
            len(box.shape) == value.ndim
            and all(s is None or s == v for s, v in zip(box.shape, value.shape)))
        dtype_ok = box.dtype is None or value.dtype == box.dtype
        if not (shape_ok and dtype_ok):
            expected = f"shape {box.shape}" if box.shape is not None else "any shape"
            if box.dtype is not None:
                expected += f" and dtype {box.dtype}"
            raise FeedError(f"{describe(box)} expects {expected} (None = any size) but was "
                            f"fed {describe_array(value)}.")

    def _unbroadcast(self, box: Box, source: Box, grad: np.ndarray) -> np.ndarray:
        try:
            return unbroadcast(grad, source.value.shape)
        except ValueError:
            raise BoxError(
                f"{describe(box)}: bprop returned a gradient of shape {grad.shape} for its "
                f"input {describe(source)} of shape {source.value.shape}; a gradient must "
                "have its input's shape (or a shape that input broadcast to).") from None

    def _error(self, box: Box, phase: str, error: Exception) -> BoxError:
        inputs = "; ".join(f"{describe(i)}: {describe_array(i.value)}" for i in box.inputs)
        hint = ("check the shapes where the box is created" if phase == "fprop"
                else "check the box's bprop formula")
        return BoxError(f"{describe(box)} failed in {phase}: {type(error).__name__}: "
                        f"{error}. Inputs: {inputs or 'none'}. Hint: {hint}.")

    def _check_finite_grads(self) -> None:
        """Name the box whose bprop first turned finite gradients into NaN/Inf."""
        bad = {id(b) for b in self._grad_boxes
               if b.grad is not None and not np.isfinite(b.grad).all()}
        for box in self.bprop_order:
            sources = [i for i in box.inputs if id(i) in bad]
            if sources and id(box) not in bad:
                raise NonFiniteError(f"{describe(box)} produced a non-finite gradient (NaN or "
                                     f"Inf) for its input {describe(sources[0])}.")
        self._check_finite(reversed(self._grad_boxes), "grad")

    @staticmethod
    def _check_finite(boxes: Iterable[Box], attribute: str) -> None:
        for box in boxes:
            value = getattr(box, attribute)
            if value is None or isinstance(value, (int, float)):
                continue
            array = np.asarray(value)
            if array.dtype.kind in "fc" and not np.isfinite(array).all():
                what = "value" if attribute == "value" else "gradient"
                inputs = "; ".join(f"{describe(i)}: {describe_array(i.value)}"
                                   for i in box.inputs)
                raise NonFiniteError(f"{describe(box)} produced a non-finite {what} "
                                     f"(NaN or Inf) of shape {array.shape}. Inputs: "
                                     f"{inputs or 'none'}.")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        """Draw the graph inline in Jupyter (needs autograd_flow.viz)."""
        from .viz import to_dot  # drawing is optional: the core does not need it

        return to_dot(self)._repr_mimebundle_(include=include, exclude=exclude)

    def __repr__(self) -> str:
        names = ", ".join(o.name for o in self.outputs)
        return (f"FlowGraph(outputs=[{names}], boxes={len(self.order)}, "
                f"parameters={len(self.parameters)})")

