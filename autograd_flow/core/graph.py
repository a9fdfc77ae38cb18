"""FlowGraph: the scheduler that runs boxes' fprop in topological order and their bprop
in reverse, only along paths that reach a parameter.

A graph is its :class:`~.order.Schedule` (computed once), a feeder for its Inputs, the
interpreter, and, when compiling, a runner of compiled plans from
:mod:`autograd_flow.plan`, which registers itself here when imported (the core does not
import the layers above it).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from ..errors import ConcurrentUseError, FlowGraphError, describe
from .box import Box, Constant, Input, Parameter
from .feed import Feeder
from .interpreter import Interpreter
from .order import Schedule, schedule


class Runner(Protocol):
    """What a compiler gives a graph (see :mod:`autograd_flow.plan`): it runs a step with
    generated code or declines, and the interpreter runs it instead."""

    #: whether the graph compiles at all (a compiler may leave a huge graph interpreted)
    enabled: bool

    def fprop(self) -> Any:
        """The outputs' values, or :data:`NOT_RUN` when the interpreter must run the step."""

    def interpreted(self) -> None:
        """The interpreter ran this step's fprop (a compiler counts signatures)."""

    def observing(self) -> bool:
        """Whether the interpreter's coming bprop should keep what users' boxes return
        (a plan is compiled from this step)."""

    def interpreted_bprop(self, observed: dict[int, Any]) -> None:
        """The interpreter ran this step's bprop; ``observed``: what users' boxes returned."""

    def bprop(self, seed: Any) -> tuple[Any, ...] | None:
        """The gradients of wrt after a fprop it ran, or None (the interpreter runs it)."""

    def source(self) -> str:
        """The code of the plan for the arrays last fed."""

    def whole_step(self, update: Any) -> Any:
        """Run fprop, bprop and an optimizer's ``update`` as one compiled call
        (``jit=True``): the first output's value, or :data:`NOT_RUN`."""


#: What a Runner's fprop returns when it did not run the step.
NOT_RUN: Any = object()

_COMPILER: list[Callable[[Schedule, bool], Runner]] = []


def register_compiler(factory: Callable[[Schedule, bool], Runner]) -> None:
    """How graphs compile (``factory(schedule, jit)``): set once, by autograd_flow.plan."""
    _COMPILER[:] = [factory]


def _compiler() -> Callable[[Schedule, bool], Runner]:
    if not _COMPILER:
        raise FlowGraphError("no compiler is registered: import autograd_flow (which loads "
                             "autograd_flow.plan), not autograd_flow.core alone.")
    return _COMPILER[0]


class Guard:
    """One step at a time for every graph over the same boxes. A box holds the value
    (and gradient) of the step that last ran through it, so two threads running graphs
    that share boxes (one graph, or a graph and the gradient and Hessian graphs derived
    from it) would read each other's values: the second to enter is refused instead.
    Graphs sharing an Input or a Parameter share one guard (the guards of their leaves
    are merged, a union-find: ``parent`` points towards the guard in charge)."""

    __slots__ = ("lock", "parent", "owner", "stepper")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.parent: Guard | None = None
        #: the thread inside a step now, and the thread whose fprop ran last (its bprop
        #: may follow; another thread's may not)
        self.owner: int | None = None
        self.stepper: int | None = None

    def root(self) -> Guard:
        """The guard in charge of this one's boxes."""
        guard = self
        while guard.parent is not None:
            guard = guard.parent
        return guard

    def enter(self, phase: str, graph: FlowGraph) -> Guard | None:
        """The guard in charge, held by the calling thread until :meth:`leave` (None
        for a step inside a step of the same thread, which holds it already); a
        ConcurrentUseError when another thread is inside a step, or (for bprop) when
        another thread ran the fprop that bprop would differentiate."""
        guard = self.root()
        me = threading.get_ident()
        if guard.owner == me:
            return None
        if not guard.lock.acquire(blocking=False):
            raise ConcurrentUseError(
                f"{phase} of {graph!r} while another thread is running a step of it (or "
                "of a graph sharing its Inputs or Parameters): its boxes hold one step's "
                "values. Give each thread its own graph (copy.deepcopy(graph)) or hold a "
                "lock around each fprop and bprop.")
        if phase == "bprop" and guard.stepper not in (None, me):
            guard.lock.release()
            raise ConcurrentUseError(
                f"bprop of {graph!r}: the last fprop of its boxes ran in another thread "
                "and overwrote this thread's step. Give each thread its own graph "
                "(copy.deepcopy(graph)) or hold a lock around each fprop and bprop pair.")
        guard.owner = guard.stepper = me
        return guard

    def leave(self) -> None:
        """The step is over: another thread may enter."""
        self.owner = None
        self.lock.release()


_MERGING = threading.Lock()


def guard_of(leaves: Sequence[Box]) -> Guard:
    """The guard of a graph over ``leaves`` (its Inputs and Parameters): theirs, merged
    into one, or a new one, noted on each leaf."""
    with _MERGING:
        roots = []
        for leaf in leaves:
            guard = leaf.__dict__.get("_guard")
            if guard is not None and guard.root() not in roots:
                roots.append(guard.root())
        root = roots[0] if roots else Guard()
        for other in roots[1:]:
            other.parent = root
        for leaf in leaves:
            leaf.__dict__["_guard"] = root
        return root


class FlowGraph:
    """A static flow graph over ``outputs``: build once, fprop/bprop many times.

    ``wrt`` lists the boxes whose gradients :meth:`bprop` returns (default: every
    :class:`Parameter` reachable from the outputs; Inputs may be listed too).
    With ``check_finite=True`` a NaN or Inf raises NonFiniteError naming the first box
    that produced it. With ``compile=True`` (the default) the graph runs compiled plans
    (see :meth:`fprop` and :mod:`autograd_flow.plan`), except with ``check_finite=True``
    (which checks box by box) or past ``plan.MAX_BOXES`` boxes; ``jit=True`` also runs
    chains of elementwise boxes in numba (the ``jit`` extra: without numba it raises
    ImportError).

    A graph runs one step at a time: its boxes hold the values of the step that ran
    last. Running it (or a graph sharing its Inputs or Parameters, such as the ones
    :func:`~autograd_flow.hvp` derives) from a second thread while a first is inside
    fprop or bprop, or calling bprop after another thread's fprop, raises
    :class:`~autograd_flow.errors.ConcurrentUseError`. Give each thread its own graph
    (``copy.deepcopy(graph)`` copies the boxes too), or hold a lock around each step.
    A graph pickles and deep-copies (its boxes with it; its plans are compiled again).
    """

    def __init__(self, outputs: Box | Sequence[Box], wrt: Iterable[Box] | None = None,
                 check_finite: bool = False, compile: bool = True,  # noqa: A002
                 jit: bool = False) -> None:
        if isinstance(wrt, Box):
            raise TypeError(f"FlowGraph's second argument is wrt, the boxes to differentiate "
                            f"with respect to, not {describe(wrt)}: give several outputs as a "
                            "list, FlowGraph([a, b]), and wrt as a list, wrt=[W].")
        if isinstance(outputs, Box):
            outputs = (outputs,)
        elif not (isinstance(outputs, (list, tuple)) and outputs
                  and all(isinstance(o, Box) for o in outputs)):
            raise TypeError(f"FlowGraph needs a box or a list of boxes as outputs, got "
                            f"{type(outputs).__name__} {outputs!r:.60}")
        self.schedule = schedule(tuple(outputs), None if wrt is None else list(wrt))
        self.outputs: tuple[Box, ...] = self.schedule.outputs
        self.order: list[Box] = self.schedule.order
        self.inputs: list[Input] = self.schedule.inputs
        self.parameters: list[Parameter] = [b for b in self.order if isinstance(b, Parameter)]
        self.wrt: tuple[Box, ...] = self.schedule.wrt
        self.check_finite = check_finite
        self._options = {"check_finite": check_finite, "compile": compile, "jit": jit}
        members = set(map(id, self.order))
        for box in self.wrt:
            if isinstance(box, Constant):
                raise FlowGraphError(f"{describe(box)} is a Constant: it has no gradient to "
                                     "ask for in wrt (make it a Parameter or an Input).")
            if id(box) not in members:
                raise FlowGraphError(f"{describe(box)} was asked for in wrt but the outputs "
                                     "do not depend on it.")
        self._wrt_inputs = [box for box in self.wrt if isinstance(box, Input)]
        self._feeder = Feeder(self.inputs)
        self._interpreter = Interpreter(self.schedule, check_finite)
        runner = _compiler()(self.schedule, jit) if compile and not check_finite else None
        self._runner: Runner | None = runner if runner is not None and runner.enabled else None
        self.compile = self._runner is not None
        self.jit = jit and self.compile
        self._ran_plan = False
        #: graphs derived from this one, built once (gradient and HVP graphs, optimizers)
        self.derived: dict[tuple, Any] = {}
        #: what ran the last fprop and bprop: "plan" (generated code) or "interpreter"
        self.ran: dict[str, str] = {"fprop": "", "bprop": ""}
        self._guard = guard_of(self.schedule.fed)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (and deep-copied) as its outputs, wrt and options: the boxes travel
        with their values, and the copy builds its schedule, feeder and plans anew."""
        return (_rebuilt, (self.outputs, self.wrt, self._options))

    @property
    def skipped(self) -> list[Box]:
        """Boxes whose bprop is never called: no parameter (no box of ``wrt``) is
        reached through them from the first output."""
        called = {id(step.box) for step in self.schedule.steps}
        return [b for b in self.schedule.computed if id(b) not in called]

    @property
    def bprop_order(self) -> list[Box]:
        """The boxes whose bprop runs, in the order it runs them."""
        return [step.box for step in self.schedule.steps]

    def fprop(self, feed: Mapping[Any, Any] | None = None) -> Any:
        """Feed the Inputs (by box or by name), compute every box in order, and return
        the first output's value (a tuple of the outputs' values when there are several).

        The first two times the graph is fed arrays of given shapes and dtypes (a
        signature), the interpreter runs it; then the graph compiles a plan for that
        signature (see :meth:`source`), which runs from the third time on, with the same
        values and gradients (bit for bit)."""
        guard = self._guard.enter("fprop", self)
        try:
            return self._fprop(feed)
        finally:
            if guard is not None:
                guard.leave()

    def _fprop(self, feed: Mapping[Any, Any] | None) -> Any:
        self._feeder.feed(feed or {})
        runner = self._runner
        if runner is not None:
            values = runner.fprop()
            if values is not NOT_RUN:
                self._ran_plan = True
                self.ran["fprop"] = "plan"
                return handed(values)
        self._ran_plan = False
        self.ran["fprop"] = "interpreter"
        values = self._interpreter.fprop()
        if runner is not None:
            runner.interpreted()
        return handed(values)

    def bprop(self, seed: Any = None) -> dict[Box, np.ndarray]:
        """Backpropagate from the first output (seeded with ``seed``, or 1 for a scalar
        output) and return ``{box: gradient}`` for each box of ``wrt``; sets ``.grad``."""
        guard = self._guard.enter("bprop", self)
        try:
            return self._bprop(seed)
        finally:
            if guard is not None:
                guard.leave()

    def _bprop(self, seed: Any) -> dict[Box, np.ndarray]:
        seed = self._seed(seed)
        if self._ran_plan and self._runner is not None:
            grads = self._runner.bprop(seed)
            if grads is not None:
                self.ran["bprop"] = "plan"
                return self._no_gradient_for_integers(dict(zip(self.wrt, grads)))
        self.ran["bprop"] = "interpreter"
        runner = self._runner
        observed: dict[int, Any] | None = {} if runner is not None and runner.observing() \
            else None
        self._interpreter.bprop(seed, observed)
        if runner is not None and observed is not None:
            runner.interpreted_bprop(observed)
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

    def train_step(self, feed: Mapping[Any, Any] | None, update: Any) -> Any:
        """One training step as one compiled call (``jit=True``; an optimizer's
        ``step(graph, feed)`` calls this with its ``update``): feed, fprop, bprop (every
        box's ``.value`` and ``.grad`` set) and the update of the Parameters, returning
        the first output's value; or :data:`NOT_RUN` when the graph has no such call for
        these arrays yet (the caller then runs fprop, bprop and its update itself)."""
        if not self.jit or self._runner is None:
            return NOT_RUN
        guard = self._guard.enter("fprop", self)
        try:
            self._feeder.feed(feed or {})
            value = self._runner.whole_step(update)
            if value is not NOT_RUN:
                self._ran_plan = False  # a later bprop() runs the interpreter's
                self.ran = {"fprop": "jit", "bprop": "jit"}
            return value
        finally:
            if guard is not None:
                guard.leave()

    def _seed(self, seed: Any) -> Any:
        """The gradient bprop starts from: 1 for a scalar output, or ``seed`` checked."""
        output = self.outputs[0]
        if output.value is None:
            raise FlowGraphError(f"{describe(output)} has no value: call fprop before bprop.")
        if seed is not None:
            if np.shape(seed) != np.shape(output.value):
                raise FlowGraphError(f"bprop seed of shape {np.shape(seed)} does not match "
                                     f"{describe(output)} of shape {np.shape(output.value)}.")
            return np.asarray(seed)
        value = output.value
        if isinstance(value, np.generic):  # the usual scalar loss
            return value.dtype.type(1)
        if np.size(value) == 1:
            return np.ones_like(value)
        raise FlowGraphError(
            f"bprop needs a scalar output to differentiate, but {describe(output)} "
            f"has shape {np.shape(value)}; reduce it (e.g. .sum() or .mean()) "
            "or pass bprop(seed=...) with an array of that shape.")

    def _no_gradient_for_integers(self, result: dict[Box, Any]) -> dict[Box, Any]:
        """An Input of ``wrt`` fed integers or booleans has no gradient (numpy's promotion
        makes it a constant, as it would be for HIPS autograd or JAX): its entry is zeros
        of its own dtype, whatever its consumers' bprops sent back."""
        for box in self._wrt_inputs:
            if box.value.dtype.kind in "biu":
                result[box] = box.grad = np.zeros_like(box.value)
        return result

    def source(self) -> str:
        """The Python code of the plan this graph runs for the arrays it was last fed:
        "the backprop your graph runs, as code" (fprop then bprop, one line or a few per
        box, with the names of the boxes). Needs a prior fprop. With ``jit=True``, the
        numba source of the whole step an optimizer ran follows, when there is one."""
        if any(b.value is None for b in self.schedule.fed) or any(
                "value" in b.__dict__ and b.value is None for b in self.order):
            raise FlowGraphError("source() shows the plan for the arrays last fed: call "
                                 "fprop first.")
        runner = self._runner or _compiler()(self.schedule, False)
        return runner.source()

    def input_for(self, key: Any) -> Input | None:
        """The Input of this graph that a feed key names (the box, or its name), or None."""
        return self._feeder.input_for(key)

    def __repr__(self) -> str:
        names = ", ".join(o.name for o in self.outputs)
        return (f"FlowGraph(outputs=[{names}], boxes={len(self.order)}, "
                f"parameters={len(self.parameters)})")


def _rebuilt(outputs: tuple[Box, ...], wrt: tuple[Box, ...], options: dict[str, Any]
             ) -> FlowGraph:
    """A graph as :meth:`FlowGraph.__reduce__` saved it."""
    return FlowGraph(outputs, wrt=wrt, **options)


def handed(values: Any) -> Any:
    """Outputs as handed to the user: a view (of a Parameter, say) is copied, so a later
    step or an optimizer never changes an array the user holds."""
    if isinstance(values, tuple):
        return tuple(handed(v) for v in values)
    if isinstance(values, np.ndarray) and values.base is not None:
        return values.copy()
    return values
