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
from . import jit
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

    def __post_init__(self) -> None:
        self._owners = frozenset(map(id, self.written))

    def shares_memory(self, value: Any) -> bool:
        """Whether ``value`` lies in memory the plan writes during a step (the
        ``.value`` of a box fed back as the next step's input, say): the step would
        overwrite its own input before bprop reads it."""
        if not self.written or not isinstance(value, np.ndarray):
            return False
        owner = value
        while isinstance(owner, np.ndarray) and owner.base is not None:
            owner = owner.base
        if isinstance(owner, np.ndarray):
            return id(owner) in self._owners
        return any(np.may_share_memory(value, array) for array in self.written)


FRESH = "fresh"  # a new array each step, made by numpy
#: Arrays smaller than this are made anew each step: numpy allocates small arrays
#: faster than a call reads an ``out=`` argument.
MIN_BUFFER = 512
#: ufuncs of an operator, written as the operator where they have no ``out=`` (the same
#: call, without looking up numpy's function)
_OPERATORS = {np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/",
              np.matmul: "@", np.power: "**"}

#: ufuncs computed entry by entry, whose ``out`` may be one of their inputs
_ELEMENTWISE_IN_PLACE = frozenset(u for u in vars(np).values()
                                  if isinstance(u, np.ufunc) and u is not np.matmul)


#: numpy reductions and the ufunc whose reduce they call on an ndarray (with axis and
#: keepdims only: the same call, without numpy's dispatch in Python)
_REDUCTIONS = {np.sum: "add", np.prod: "multiply"}


def _first(node: Node) -> Any:
    source = node.args[0]
    return source.value if isinstance(source, Node) else source


def _shape_and_dtype(value: Any) -> tuple[tuple[int, ...], np.dtype]:
    return np.shape(value), np.result_type(value)


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
        outputs = [step.values[id(o)].node for o in self.schedule.outputs]
        self.returned = {n.index for n in outputs}
        wrt = [step.grads.get(id(b)) for b in self.schedule.wrt]
        self.returned |= {t.node.index for t in wrt if t is not None}
        self.roots = self._roots()
        self.live = self._live()
        self.last_use, self.root_of, self.external = self._lifetimes()
        self.in_run: dict[int, jit.Run] = {}  # node index -> the numba run computing it
        self.run_end: dict[int, jit.Run] = {}  # last node of a run -> the run
        if jit_runs:
            self._runs()
        self.lender: dict[int, Node | None] = {}
        self.storage = self._storage()

    def _runs(self) -> None:
        """Stretches of elementwise calls done by one numba call each: their results are
        rows of the run's table, which the code reads under bound names."""
        end = self.step.fprop_end
        for section in (self.nodes[:end], self.nodes[end:]):
            for nodes in jit.runs(section, self.live):
                run = jit.Run(nodes)
                self.w.written.append(run.table)
                self.run_end[nodes[-1].index] = run
                for node, row in zip(nodes, run.rows):
                    self.in_run[node.index] = run
                    self.names[node.index] = self.w.bind(row, (node.hint or "t") + "_row")

    # -- what the code needs ----------------------------------------------------------
    def _roots(self) -> set[int]:
        """Nodes whose values leave the step: boxes' values and gradients, the outputs,
        and the checks."""
        step = self.step
        roots = {t.node.index for k, t in step.values.items()}
        roots |= {t.node.index for t in step.grads.values() if t is not None}
        roots |= {n.index for n in self.nodes if n.effect}
        return roots

    def _live(self) -> set[int]:
        live: set[int] = set()
        work = list(self.roots)
        while work:
            index = work.pop()
            if index in live:
                continue
            live.add(index)
            work.extend(n.index for n in self.nodes[index].inputs)
        return live

    def _lifetimes(self) -> tuple[dict[int, int], dict[int, int], set[int]]:
        """For each node: the last node that reads it (views followed to the array they
        view), the node whose memory it is, and the memories that outlive the step."""
        root_of: dict[int, int] = {}
        for node in self.nodes:
            root_of[node.index] = node.index
            if node.kind == "inplace":
                root_of[node.index] = root_of[node.args[0].index]
            elif node.kind in ("func", "getitem") and isinstance(node.value, np.ndarray):
                for source in node.inputs:
                    if isinstance(source.value, np.ndarray) and np.may_share_memory(
                            node.value, source.value):
                        root_of[node.index] = root_of[source.index]
        last_use: dict[int, int] = {}
        for node in self.nodes:
            if node.index in self.live:
                for source in node.inputs:
                    root = root_of[source.index]
                    last_use[root] = max(last_use.get(root, -1), node.index)
        external = {root_of[i] for i in self.roots | self.returned}
        shared = {root_of[source.index] for node in self.nodes[self.step.fprop_end:]
                  for source in node.inputs if source.index < self.step.fprop_end}
        return last_use, root_of, external | shared

    # -- names -------------------------------------------------------------------------
    def name(self, node: Node) -> str:
        if self.in_bprop and node.index < self.step.fprop_end and node.kind not in (
                "seed", "const") and node.index not in self.in_run:
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

    # -- buffers -----------------------------------------------------------------------
    def _storage(self) -> dict[int, Any]:
        """Where each ufunc's result lives: a buffer's name, FRESH (a new array each step,
        as numpy makes it), or BORROWED from an input that nothing reads afterwards
        (``out=`` that input: an in-place step). A gradient handed to the user is fresh,
        and so is the chain of temporaries it is summed into, which then needs no copy."""
        fresh_chain: set[int] = set()
        work = [n for n in self.nodes if n.index in self.returned]
        while work:
            node = work.pop()
            lender = self._lender(node)
            if lender is not None and lender.index not in fresh_chain:
                fresh_chain.add(lender.index)
                work.append(lender)
        storage: dict[int, Any] = {}
        for node in self.nodes:
            if node.index not in self.live or not self._writable(node):
                continue
            lender = self._lender(node)
            wants_fresh = node.index in self.returned or node.index in fresh_chain
            if lender is not None and (not wants_fresh or storage[lender.index] is FRESH):
                storage[node.index] = storage[lender.index]  # the lender's memory
                self.lender[node.index] = lender
            elif wants_fresh:
                storage[node.index] = FRESH
            else:
                value = node.value
                storage[node.index] = self.w.buffer(value.shape, value.dtype,
                                                    self.name_of(node) + "_buf")
        return storage

    def _writable(self, node: Node) -> bool:
        """A ufunc's result numpy makes C-ordered (so a C-ordered buffer holds it as the
        interpreter's array is laid out, and sums over it add in the same order), and
        not a row of a numba run."""
        value = node.value
        return node.kind in ("ufunc", "reduce") and node.index not in self.in_run \
            and isinstance(value, np.ndarray) \
            and value.size >= MIN_BUFFER and value.flags.c_contiguous \
            and value.dtype.kind in "biuf"

    def _lender(self, node: Node) -> Node | None:
        """An input whose memory ``node`` may write into: an elementwise call's
        temporary of the same shape and dtype, which nothing reads after it, outside the
        values and gradients boxes keep and the fprop values bprop reads."""
        if node.kind != "ufunc" or node.fn not in _ELEMENTWISE_IN_PLACE \
                or not self._writable(node):
            return None
        for source in node.inputs:
            if (self._writable(source) and self.root_of[source.index] == source.index
                    and source.index not in self.external
                    and self.last_use.get(source.index) == node.index
                    and source.value.shape == node.value.shape
                    and source.value.dtype == node.value.dtype):
                return source
        return None

    def out(self, node: Node) -> str:
        """``, out=<memory>`` for a ufunc whose result lives in an input's memory or in
        a buffer of the plan's ("" for a new array)."""
        lender = self.lender.get(node.index)
        if lender is not None:
            return f", out={self.name(lender)}"
        where = self.storage.get(node.index)
        return "" if where is None or where is FRESH else f", out={where}"

    # -- code --------------------------------------------------------------------------
    def line(self, node: Node) -> None:
        """The code of one node."""
        w, kind = self.w, node.kind
        run = self.run_end.get(node.index)
        if run is not None:
            first, last = run.nodes[0], run.nodes[-1]
            w.line(f"# {len(run.nodes)} calls from {first.hint} to {last.hint}: one numba "
                   "call (jit)")
            inputs = ", ".join(self.name(n) for n in run.inputs)
            w.line(f"{w.bind(run, last.hint + '_run')}({inputs})")
            return
        if node.index not in self.live or kind in ("seed", "const") \
                or node.index in self.in_run:
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
            if isinstance(part, slice):
                text.append(":".join("" if b is None else repr(b)
                                     for b in (part.start, part.stop, part.step)).rstrip(":")
                            or ":")
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
                where = self.storage.get(node.index)
                fresh = node.kind in ("ufunc", "reduce", "func") \
                    and node.index not in self.in_run \
                    and (where is None or where is FRESH) \
                    and node.index not in handed and self.root_of[node.index] == node.index
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
    compiler = _Compiler(trace_step(schedule, observed), jit_runs)
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
    return Plan(source, fprop, bprop, tuple(compiler.w.written))
