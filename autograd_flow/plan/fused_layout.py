"""Where the whole step (:mod:`.fused`) keeps each value of a traced step: which calls
it writes at all, which elementwise calls share one loop nest, and which values live in
memory (the arena of their dtype, or a Parameter's new gradient array) rather than in a
register of a loop."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .memory import Memory
from .step import Step
from .trace import Node
from .writer import Writer


class Unsupported(Exception):
    """The step has a call the whole-step compile does not write."""


#: ufunc -> scalar expression of its arguments
UFUNCS: dict[Any, str] = {
    np.add: "({0} + {1})", np.subtract: "({0} - {1})", np.multiply: "({0} * {1})",
    np.true_divide: "({0} / {1})", np.negative: "(-{0})", np.positive: "(+{0})",
    np.square: "({0} * {0})", np.power: "({0} ** {1})", np.absolute: "abs({0})",
    np.tanh: "np.tanh({0})", np.exp: "np.exp({0})", np.log: "np.log({0})",
    np.sqrt: "np.sqrt({0})", np.sin: "np.sin({0})", np.cos: "np.cos({0})",
    np.log1p: "np.log1p({0})", np.expm1: "np.expm1({0})", np.sign: "np.sign({0})",
    np.maximum: "_max({0}, {1})", np.minimum: "_min({0}, {1})",
    np.greater: "({0} > {1})", np.greater_equal: "({0} >= {1})", np.less: "({0} < {1})",
    np.less_equal: "({0} <= {1})", np.equal: "({0} == {1})", np.not_equal: "({0} != {1})",
}
#: reductions: (scalar update of acc by x, the start value)
REDUCE = {np.add: ("acc + x", "0"), np.multiply: ("acc * x", "1"),
           np.maximum: ("_max(acc, x)", "-np.inf"), np.minimum: ("_min(acc, x)", "np.inf")}
REDUCING = {np.sum: np.add, np.prod: np.multiply, np.max: np.maximum, np.amax: np.maximum,
             np.min: np.minimum, np.amin: np.minimum}
#: functions that give a view of their first argument, written as numba writes them
VIEWS = {np.transpose, np.reshape, np.expand_dims, np.squeeze, np.swapaxes}


@dataclass
class Layout:
    """Where the function keeps each value: ``slots`` node index -> (dtype str, offset,
    shape) in the arena of that dtype, ``sizes`` dtype str -> arena length; the
    arguments it takes (``leaves``: boxes whose values are passed, ``constants``: arrays
    of the formulas, ``grads``: wrt boxes whose new gradient array is passed)."""

    slots: dict[int, tuple[str, int, tuple[int, ...]]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    leaves: list[Any] = field(default_factory=list)
    constants: list[Any] = field(default_factory=list)
    grads: list[Any] = field(default_factory=list)
    checks: list[tuple[Any, list[Any]]] = field(default_factory=list)
    #: a view's value for the user: node index -> (function, argument nodes, key)
    views: dict[int, Node] = field(default_factory=dict)

    def store(self, node: Node, grad_of: Any = None) -> None:
        """Keep ``node``'s value: in the new gradient array of ``grad_of`` (a box of
        wrt) when given, else in the arena of its dtype."""
        value = np.asarray(node.value)
        if grad_of is not None:
            self.slots[node.index] = ("G", len(self.grads), value.shape)
            self.grads.append(grad_of)
            return
        kind = value.dtype.str
        offset = self.sizes.get(kind, 0)
        self.slots[node.index] = (kind, offset, value.shape)
        self.sizes[kind] = offset + max(value.size, 1)


def is_view(node: Node) -> bool:
    if node.kind == "func" and node.fn in VIEWS:
        return not of_scalar(node)
    return node.kind == "getitem" and basic(node.args[1])


def basic(key: Any) -> bool:
    parts = key if isinstance(key, tuple) else (key,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis
               for p in parts)


#: functions computed entry by entry: their scalar expression of the arguments' entries
FUNCS = {np.astype: "{0}", np.broadcast_to: "{0}", np.zeros_like: "0", np.ones_like: "1",
          np.full_like: "{1}"}


def of_scalar(node: Node) -> bool:
    """A reshape (or another view) of a number: an array filled with it."""
    source = node.args[0] if node.args else None
    return scalar(source.value if isinstance(source, Node) else source)


def elementwise(node: Node) -> bool:
    """A call computed entry by entry (a view of a number counts: an array of it)."""
    if node.kind == "ufunc":
        return node.fn in UFUNCS and not node.errstate
    if node.kind != "func":
        return False
    if node.fn is np.where:
        return len(node.args) == 3
    if node.fn in VIEWS:
        return of_scalar(node)
    return node.fn in FUNCS and not node.kwargs.get("dtype") \
        and node.kwargs.get("subok") is not False


def scalar(value: Any) -> bool:
    return np.ndim(value) == 0


class Storage:
    """The storage of a traced step's values (see the module doc)."""

    def __init__(self, step: Step, update: str) -> None:
        self.step, self.update = step, update
        self.nodes = step.tracer.nodes
        self.memory = Memory(step, Writer(), False)
        self.live = self.memory.live
        self.layout = Layout()
        self.names: dict[int, str] = {}
        self.lines: list[str] = []
        self.group: set[int] = set()  # the nodes of the loop nest being written

    # -- what must be kept -------------------------------------------------------------
    def plan(self) -> None:
        """Decide each live node's kind of storage; Unsupported for a call not written."""
        step, layout = self.step, self.layout
        visible: set[int] = set()
        for box in step.schedule.computed:
            traced = step.values.get(id(box))
            if traced is not None:
                visible.add(traced.node.index)
        for traced in step.grads.values():
            if traced is not None:
                visible.add(traced.node.index)
        grad_of: dict[int, list[Any]] = {}
        for box in step.schedule.wrt:
            traced = step.grads.get(id(box))
            if traced is not None:
                grad_of.setdefault(traced.node.index, []).append(box)
        readers: dict[int, set[int]] = {}
        for node in self.nodes:
            if node.index in self.live:
                for source in node.inputs:
                    readers.setdefault(source.index, set()).add(node.index)
        self.groups = self._groups()
        group_of = {i: k for k, g in enumerate(self.groups) for i in g}
        for node in self.nodes:
            if node.index not in self.live and not node.effect:
                continue
            kind = node.kind
            if kind == "leaf":
                layout.leaves.append(node.box)
                self.names[node.index] = f"L{len(layout.leaves) - 1}"
            elif kind in ("const", "seed"):
                self._constant(node)
            elif kind == "check":
                if not all(a.kind in ("leaf", "const") for a in node.inputs):
                    raise Unsupported("a check of a computed value")
                layout.checks.append((node.fn, list(node.args)))
            elif kind in ("call", "item") or node.errstate:
                raise Unsupported(f"{node.kind} {node.hint}")
            elif is_view(node):
                if node.index in visible:
                    layout.views[node.index] = node
                    visible.update(a.index for a in node.inputs)
            elif scalar(node.value):
                if node.index in visible:
                    layout.store(node)
            elif kind == "inplace":
                target = node.args[0]
                if target.index not in layout.slots:
                    raise Unsupported("an in-place step on a value not stored")
                layout.slots[node.index] = layout.slots[target.index]
            else:
                inside = node.index in group_of and all(
                    group_of.get(r) == group_of[node.index] for r in readers.get(node.index, ()))
                if not inside or node.index in visible:
                    owners = grad_of.get(node.index, [])
                    layout.store(node, owners[0] if len(owners) == 1 else None)
        self.visible = visible

    def _constant(self, node: Node) -> None:
        value = node.value
        if scalar(value) and not isinstance(value, np.ndarray):
            dtype = np.result_type(value)
            if node.kind == "seed":
                dtype = np.asarray(value).dtype
            self.names[node.index] = f"np.{dtype.name}({value!r})" if isinstance(
                value, np.generic) or node.kind == "seed" else repr(value)
            return
        self.layout.constants.append(np.ascontiguousarray(value))
        self.names[node.index] = f"C{len(self.layout.constants) - 1}"

    def _groups(self) -> list[list[int]]:
        """Consecutive live elementwise calls with one non-scalar result shape."""
        groups: list[list[int]] = []
        current: list[int] = []
        shape: Any = None
        for node in self.nodes:
            if node.index not in self.live or node.kind in ("leaf", "const", "seed"):
                continue
            fits = elementwise(node) and not scalar(node.value)
            if fits and current and np.shape(node.value) == shape:
                current.append(node.index)
                continue
            if current:
                groups.append(current)
            current = [node.index] if fits else []
            shape = np.shape(node.value) if fits else None
        if current:
            groups.append(current)
        return groups

    # -- reading values ----------------------------------------------------------------
