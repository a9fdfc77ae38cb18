"""Compiling a graph for one input signature into straight-line Python.

:func:`compile_plan` traces one step (:mod:`.step`) and writes the tape as one
function pair::

    def fprop():      # every box in topological order, a few numpy calls each
    def bprop(seed):  # the recorded bprop formulas, only the calls some gradient needs

So the plan compiles what each primitive's formula says: there is no second copy of a
derivative. What the code adds is bookkeeping that keeps the interpreter's numbers:

- a ufunc's result goes into a buffer of the plan's (``out=``) where the interpreter's
  array is C-ordered (so every later sum adds in the same order), it is not handed to
  the user, and no later step reads it; a temporary that nothing reads afterwards
  lends its buffer to the next elementwise call (``np.multiply(t, g, out=t)``);
- calls whose results no value or gradient needs are left out (the gradient of an
  input nobody differentiates, say);
- a box's own method called as it is has its result checked at each step (its shape and
  dtype, or that it is None): when the data make it differ from the traced step, the
  plan raises :class:`~.writer.Fallback` and the interpreter runs the step.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.box import Box
from ..core.order import Schedule
from .memory import FRESH, Memory
from .step import Step, trace_step
from .trace import Node
from .writer import Fallback, Writer, literal


@dataclass
class Plan:
    """The generated code of one signature: ``fprop()`` returns the outputs' values,
    ``bprop(seed)`` the gradients of ``wrt`` (a tuple, in order); ``source`` is the
    Python code itself."""

    source: str
    fprop: Callable[[], Any]
    bprop: Callable[[Any], tuple[Any, ...]]
    #: the arrays the plan writes into every step (its buffers)
    written: tuple[np.ndarray, ...] = ()
    #: the traced step it was written from (kept for the whole-step compile, jit=True)
    traced: Step | None = None

    def __post_init__(self) -> None:
        self._owners = frozenset(map(id, self.written))

    def shares_memory(self, value: Any) -> bool:
        """Whether ``value`` lies in memory the plan writes during a step (the
        ``.value`` of a box fed back as the next step's input, say): the step would
        overwrite its own input before bprop reads it."""
        return shares_memory(value, self.written, self._owners)


def shares_memory(value: Any, written: tuple[np.ndarray, ...], owners: frozenset[int]) -> bool:
    """Whether ``value`` lies in the memory of one of the arrays ``written`` (whose ids
    are ``owners``): by the array that owns its memory, else by numpy's bounds test."""
    if not written or not isinstance(value, np.ndarray):
        return False
    owner = value
    while isinstance(owner, np.ndarray) and owner.base is not None:
        owner = owner.base
    if isinstance(owner, np.ndarray):
        return id(owner) in owners
    return any(np.may_share_memory(value, array) for array in written)


#: ufuncs of an operator, written as the operator where they have no ``out=`` (the same
#: call, without looking up numpy's function)
_OPERATORS = {np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/",
              np.matmul: "@", np.power: "**"}

#: numpy reductions and the ufunc whose reduce they call on an ndarray (with axis and
#: keepdims only: the same call, without numpy's dispatch in Python)
_REDUCTIONS = {np.sum: "add", np.prod: "multiply"}


def _first(node: Node) -> Any:
    source = node.args[0]
    return source.value if isinstance(source, Node) else source


def _shape_and_dtype(value: Any) -> tuple[tuple[int, ...], np.dtype]:
    return np.shape(value), np.result_type(value)


#: A gradient of at least this many bytes is let go at the start of bprop (as the
#: interpreter lets every one go) so the step never holds the last one and the new one.
FREE_FIRST = 1 << 16


class _Compiler:
    def __init__(self, step: Step, jit_runs: bool = False) -> None:
        self.step = step
        self.schedule: Schedule = step.schedule
        self.nodes = step.tracer.nodes
        self.w = Writer()
        self.names: dict[int, str] = {}
        self.bound: dict[int, str] = {id(b): self.w.bind(b, b.name + "_box")
                                      for b in self.schedule.order}
        self.in_bprop = False
        self.shared: set[str] = set()  # variables fprop sets and bprop reads
        self.memory = memory = Memory(step, self.w, jit_runs)
        self.names.update(memory.rows)  # a numba run's results: rows of its table

    # -- names -------------------------------------------------------------------------
    def name(self, node: Node) -> str:
        if self.in_bprop and node.index < self.step.fprop_end and node.kind not in (
                "seed", "const") and node.index not in self.memory.in_run:
            self.shared.add(self.name_of(node))
        return self.name_of(node)

    def name_of(self, node: Node) -> str:
        if node.index not in self.names:
            if node.kind == "seed":
                self.names[node.index] = "seed"
            elif node.kind == "const":
                self.names[node.index] = literal(node.value) or self.w.bind(node.value, "constant")
            else:
                self.names[node.index] = self.w.identifier(node.hint or f"t{node.index}")
        return self.names[node.index]

    def expression(self, value: Any) -> str:
        """An argument as code: a node's name, a literal, or a name bound to it."""
        if isinstance(value, Node):
            return self.name(value)
        if isinstance(value, tuple):
            items = [self.expression(v) for v in value]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if isinstance(value, list):
            return "[" + ", ".join(self.expression(v) for v in value) + "]"
        text = literal(value)
        return text if text is not None else self.w.bind(value, "setting")

    def function(self, fn: Any) -> str:
        """How the code names a numpy function or ufunc."""
        name = getattr(fn, "__name__", "")
        if getattr(np, name, None) is fn:
            return f"np.{name}"
        return self.w.bind(fn, name or "function")

    def out(self, node: Node) -> str:
        """``, out=<memory>`` for a ufunc whose result lives in an input's memory or in
        a buffer of the plan's ("" for a new array)."""
        lender = self.memory.lender.get(node.index)
        if lender is not None:
            return f", out={self.name(lender)}"
        where = self.memory.storage.get(node.index)
        return "" if where is None or where is FRESH else f", out={where}"

    # -- code --------------------------------------------------------------------------
    def line(self, node: Node) -> None:
        """The code of one node."""
        w, kind = self.w, node.kind
        run = self.memory.run_end.get(node.index)
        if run is not None:
            first, last = run.nodes[0], run.nodes[-1]
            w.line(f"# {len(run.nodes)} calls from {first.hint} to {last.hint}: one numba "
                   "call (jit)")
            inputs = ", ".join(self.name(n) for n in run.inputs)
            w.line(f"{w.bind(run, last.hint + '_run')}({inputs})")
            return
        if node.index not in self.memory.live or kind in ("seed", "const") \
                or node.index in self.memory.in_run:
            return
        target = self.name(node)
        if kind == "leaf":
            w.line(f"{target} = {self.bound[id(node.box)]}.value")
            return
        args = ", ".join(self.expression(a) for a in node.args)
        kwargs = "".join(f", {k}={self.expression(v)}" for k, v in node.kwargs.items())
        if kind == "ufunc":
            out = self.out(node)
            if not out and node.fn in _OPERATORS and len(node.args) == 2:
                left, right = (self.expression(a) for a in node.args)
                code = f"{left} {_OPERATORS[node.fn]} {right}"
            elif not out and node.fn is np.negative:
                code = f"-{self.expression(node.args[0])}"
            else:
                code = f"{self.function(node.fn)}({args}{out})"
        elif kind == "reduce":
            code = f"{self.function(node.fn)}.reduce({args}{kwargs}{self.out(node)})"
        elif kind == "func" and node.fn in _REDUCTIONS and isinstance(
                _first(node), np.ndarray) and set(node.kwargs) <= {"axis", "keepdims"} \
                and len(node.args) == 1:
            code = f"np.{_REDUCTIONS[node.fn]}.reduce({args}{kwargs})"  # what np.sum calls
        elif kind == "func" and self._transposed(node):
            code = f"{self.expression(node.args[0])}.T"  # the same view, without dispatch
        elif kind == "func" and node.fn is np.reshape and isinstance(_first(node), np.ndarray):
            shape = ", ".join(self.expression(a) for a in node.args[1:])
            code = f"{self.expression(node.args[0])}.reshape({shape}{kwargs})"
        elif kind == "func":
            code = f"{self.function(node.fn)}({args}{kwargs})"
        elif kind == "getitem":
            code = f"{self.expression(node.args[0])}[{self._key(node.args[1])}]"
        elif kind in ("call", "inplace"):
            code = f"{w.bind(node.fn, getattr(node.fn, '__name__', node.hint))}({args})"
        elif kind == "check":
            w.line(f"if not {w.bind(node.fn, node.hint)}({args}):")
            w.line("    raise Fallback")
            return
        else:  # item
            result = self.expression(node.args[0])
            code = result if node.fn is None else f"{result}[{node.fn}]"
        if node.errstate:
            settings = ", ".join(f"{k}={v!r}" for k, v in node.errstate.items())
            w.line(f"with np.errstate({settings}):")
            w.indent += 1
            w.line(f"{target} = {code}")
            w.indent -= 1
        else:
            w.line(f"{target} = {code}")
        if node.checked:
            self._check(node, target)

    @staticmethod
    def _transposed(node: Node) -> bool:
        """A transpose of all axes (np.transpose without axes, np.swapaxes of a matrix's
        two axes) of an array: ``.T`` gives the same view."""
        source = _first(node)
        if not isinstance(source, np.ndarray):
            return False
        if node.fn is np.transpose:
            return len(node.args) == 1 and node.kwargs.get("axes") is None or (
                len(node.args) == 2 and node.args[1] is None)
        return node.fn is np.swapaxes and source.ndim == 2 and not node.kwargs \
            and {a % 2 for a in node.args[1:]} == {0, 1}

    def _key(self, key: Any) -> str:
        if isinstance(key, tuple) and not key:
            return "()"
        parts = key if isinstance(key, tuple) else (key,)
        text = []
        for part in parts:
            if isinstance(part, slice):  # start:stop, and :step when there is one
                text.append(":".join("" if b is None else repr(b) for b in (part.start, part.stop))
                            + ("" if part.step is None else f":{part.step!r}"))
            elif part is Ellipsis:
                text.append("...")
            else:
                text.append(self.expression(part))
        return ", ".join(text) + ("," if len(parts) == 1 and isinstance(key, tuple) else "")

    def _check(self, node: Node, target: str) -> None:
        """A box's own method returned what the traced step saw, or the step falls back."""
        if node.value is None:
            self.w.line(f"if {target} is not None:")
        else:
            self.w.line(f"if {self._differs(target, node.value)}:")
        self.w.line("    raise Fallback")

    def _differs(self, target: str, value: Any) -> str:
        """A test that ``target`` is None or has another shape or dtype than ``value``."""
        shape, dtype = _shape_and_dtype(value)
        return (f"{target} is None or {target}.shape != {shape!r} or {target}.dtype != "
                f"{self.w.bind(dtype, 'dtype')}")

    def section(self, start: int, stop: int) -> None:
        """The code of the nodes in [start, stop), with each box's comment."""
        for node in self.nodes[start:stop]:
            for comment in self.step.comments.get(node.index, ()):
                self.w.line(comment)
            self.line(node)
            box = self._value_of.get(node.index)
            for b in box or ():
                self.w.line(f"{self.bound[id(b)]}.value = {self.name(node)}")

    def fprop(self) -> list[str]:
        w = self.w
        w.lines, w.indent = [], 1
        # the box whose value a node is, assigned right after the node's line
        self._value_of: dict[int, list[Box]] = {}
        for box in self.schedule.computed:
            traced = self.step.values.get(id(box))
            if traced is not None:
                self._value_of.setdefault(traced.node.index, []).append(box)
        if self.step.lazy:  # values inside rewrites: computed from their inputs when read
            lazy = w.bind(tuple(b.__dict__ for b in self.step.lazy), "lazy")
            w.line(f"for attributes in {lazy}:")
            w.line("    attributes.pop('value', None)")
        self.section(0, self.step.fprop_end)
        outputs = [self.name(self.step.values[id(o)].node) for o in self.schedule.outputs]
        w.line(f"return {outputs[0] if len(outputs) == 1 else '(' + ', '.join(outputs) + ',)'}")
        return w.lines

    def bprop(self) -> list[str]:
        w = self.w
        w.lines, w.indent = [], 1
        self.in_bprop = True
        self._value_of = {}
        if not self.step.with_bprop:
            w.line("raise Fallback  # a user's box in bprop: the interpreter runs it")
            return w.lines
        seed = self.step.seed.node.value
        contiguous = " or not seed.flags.c_contiguous" if np.ndim(seed) else ""
        w.line(f"if {self._differs('seed', seed)}{contiguous}:")
        w.line("    raise Fallback  # another seed than the traced one")
        for box in self.schedule.wrt:  # as the interpreter: large gradients go first
            traced = self.step.grads.get(id(box))
            if traced is not None and np.asarray(traced.node.value).nbytes >= FREE_FIRST:
                w.line(f"{self.bound[id(box)]}.grad = None  # (memory for the new one)")
        self.section(self.step.fprop_end, len(self.nodes))
        self.finish()
        return w.lines

    def finish(self) -> None:
        """Set every box's ``.grad`` and return the gradients of wrt, copied where the
        plan would otherwise hand out an array it writes again (or twice the same)."""
        w, grads = self.w, self.step.grads
        wrt = {id(b) for b in self.schedule.wrt}
        for box in self.schedule.reset:
            if id(box) in wrt:
                continue
            traced = grads.get(id(box))
            w.line(f"{self.bound[id(box)]}.grad = "
                   f"{'None' if traced is None else self.name(traced.node)}")
        returned, handed = [], set()
        for box in self.schedule.wrt:
            traced = grads.get(id(box))
            value = f"{self.bound[id(box)]}.value"
            if traced is None:
                name = w.identifier(f"d_{box.name}_out")
                w.line(f"{name} = np.zeros_like({value})")
            else:
                node = traced.node
                where = self.memory.storage.get(node.index)
                fresh = node.kind in ("ufunc", "reduce", "func") \
                    and node.index not in self.memory.in_run \
                    and (where is None or where is FRESH) \
                    and node.index not in handed \
                    and self.memory.root_of[node.index] == node.index
                name = self.name(node)
                if not fresh:
                    name = w.identifier(f"d_{box.name}_out")
                    w.line(f"{name} = np.array({self.name(node)})")
                handed.add(node.index)
            w.line(f"{self.bound[id(box)]}.grad = {name}")
            returned.append(name)
        w.line(f"return ({', '.join(returned)}{',' if returned else ''})")


def compile_plan(schedule: Schedule, jit_runs: bool = False,
                 observed: dict[int, Any] | None = None) -> Plan:
    """The plan of ``schedule`` for the shapes and dtypes of its boxes' current values
    (set by the interpreter's last fprop); ``observed``: what users' boxes returned in
    the interpreter's bprop of that step (without it, a bprop through a user's box is
    left to the interpreter)."""
    step = trace_step(schedule, observed)
    compiler = _Compiler(step, jit_runs)
    fprop_lines = compiler.fprop()
    bprop_lines = compiler.bprop()
    shared = sorted(compiler.shared)
    declare = f"    nonlocal {', '.join(shared)}" if shared else ""
    source = "\n".join([
        "def make():",
        *(f"    {name} = None" for name in shared),
        "",
        "    def fprop():",
        declare and "    " + declare,
        *("    " + line for line in fprop_lines),
        "",
        "    def bprop(seed):",
        *("    " + line for line in bprop_lines),
        "",
        "    return fprop, bprop",
    ])
    namespace = dict(compiler.w.namespace)
    namespace["Fallback"] = Fallback
    exec(compile(source, f"<plan of {schedule.outputs[0].name}>", "exec"), namespace)  # noqa: S102
    fprop, bprop = namespace["make"]()
    return Plan(source, fprop, bprop, tuple(compiler.w.written), step if jit_runs else None)
