"""Where the whole step (:mod:`.fused`) keeps each value of a traced step: which calls
it writes at all, which elementwise calls share one loop nest, and which values live in
memory (the arena of their dtype, or a Parameter's new gradient array) rather than in a
register of a loop."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .memory import Memory
from .rewrites import _labels_fit as labels_fit
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
    #: the update's Parameters passed on their own (the others are leaves of the step)
    passed: list[int] = field(default_factory=list)
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


@dataclass
class Update:
    """An optimizer's update, as the whole step runs it after bprop: ``kind`` ("sgd",
    "momentum", "adam"), its Parameters, its state buffers (a list of arrays per
    buffer, one per Parameter) and this step's numbers (``scalars``, see
    :data:`UPDATES`)."""

    kind: str
    params: list[Any]
    buffers: list[list[np.ndarray]]
    scalars: tuple[float, ...]
    #: the Parameters' identities (what a compiled update is kept under)
    key: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        self.key = self.key or tuple(map(id, self.params))


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

    def __init__(self, step: Step, update: Update | None) -> None:
        self.step, self.update = step, update
        self.nodes = step.tracer.nodes
        self.memory = Memory(step, Writer(), False)
        self.live = self.memory.live
        self.layout = Layout()
        self.names: dict[int, str] = {}
        self.lines: list[str] = []
        self.group: set[int] = set()  # the nodes of the loop nest being written
        #: gradient node -> the optimizer's Parameter (its number) updated in its loop nest
        self.updated_in: dict[int, int] = {}
        #: how the code names each Parameter of the update: its leaf's argument when the
        #: step reads it (one array passed once: LLVM vectorises loops over arrays it
        #: knows apart), else an argument of its own
        self.params: list[str] = []
        #: the output whose value is checked to be finite before any update (-1: none)
        self.check_finite = -1

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
        self.readers = readers
        self.groups = self._groups(readers)
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
                if getattr(node.fn, "func", None) is labels_fit:
                    continue  # the step's gathers and scatters check each label's range
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

    def _groups(self, readers: dict[int, set[int]]) -> list[list[int]]:
        """Loop nests: consecutive live elementwise calls of one non-scalar shape; then a
        call whose every reader is in a later nest of its shape moves into that nest
        (its value is computed where it is read, in a register), until none moves. A
        nest is written where its last call is."""
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
        moved = True
        while moved:
            moved = False
            where = {i: k for k, g in enumerate(groups) for i in g}
            for k, group in enumerate(groups):
                shape = np.shape(self.nodes[group[0]].value)
                for i in group:
                    for source in self.nodes[i].inputs:
                        j = source.index
                        if where.get(j, k) != k and np.shape(source.value) == shape \
                                and readers.get(j) and readers[j] <= set(group):
                            groups[where[j]].remove(j)
                            group.append(j)
                            moved = True
                            break
                    if moved:
                        break
                if moved:
                    groups = [sorted(g) for g in groups if g]
                    break
        return groups

    def updates_in_loops(self) -> dict[int, int]:
        """The Parameters whose update can be written in the loop nest that makes their
        gradient (gradient node -> number of the Parameter in the update): every other
        read of the Parameter comes before that nest is written, or is in the nest
        before its gradient at the same entry (never through a view); the Parameters
        of the first one's dtype only."""
        if self.update is None:
            return {}
        nest = {i: g for g in self.groups for i in g}

        def written_at(i: int) -> int:
            return nest[i][-1] if i in nest else i

        leaves = {id(n.box): n.index for n in self.nodes
                  if n.kind == "leaf" and n.index in self.live}
        dtype = self.update.params[0].value.dtype
        # gradients copied out after the body (views, shared): they must read Parameters
        # as they were, so a Parameter one of them reads is updated after them
        copied = {t.node.index for b in self.step.schedule.wrt
                  if (t := self.step.grads.get(id(b))) is not None
                  and not any(g is b for g in self.layout.grads)}
        found: dict[int, int] = {}
        for k, p in enumerate(self.update.params):
            traced = self.step.grads.get(id(p))
            if traced is None or p.value.dtype != dtype or traced.node.index not in nest:
                continue
            grad = traced.node.index
            slot = self.layout.slots.get(grad)
            if slot is None or slot[0] != "G" or self.layout.grads[slot[1]] is not p:
                continue
            if id(p) in leaves and (not self._read_before(leaves[id(p)], grad, nest,
                                                           written_at)
                                    or self._reaches(leaves[id(p)], copied)):
                continue
            found[grad] = k
        return found

    def _reaches(self, leaf: int, targets: set[int]) -> bool:
        """Whether ``leaf`` or a view of it (through views only) is among ``targets``."""
        stack = [leaf]
        while stack:
            i = stack.pop()
            if i in targets:
                return True
            stack += [r for r in self.readers.get(i, ()) if is_view(self.nodes[r])]
        return False

    def _read_before(self, leaf: int, grad: int, nest: dict[int, list[int]],
                     written_at: Any) -> bool:
        """Every read of ``leaf`` is written before the nest of ``grad``, or is in it
        before ``grad`` (directly: at the same entry)."""
        for reader in self.readers.get(leaf, ()):
            if written_at(reader) < written_at(grad):
                continue
            if nest.get(reader) is nest[grad] and reader < grad \
                    and not is_view(self.nodes[reader]):
                continue
            return False
        return True
