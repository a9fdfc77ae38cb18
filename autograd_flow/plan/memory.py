"""Where each value of a traced step lives. From the tape alone (:mod:`.trace`): which
calls the code needs at all (the others are left out), which arrays outlive the step
(boxes' values and gradients, what bprop reads of fprop, what is handed to the user),
which stretches of calls one numba kernel runs (``jit=True``), and for each ufunc's
result a buffer of the plan's (``out=``), a new array each step, or the memory of an
input that nothing reads afterwards (an in-place step).

Buffers hold only what numpy itself makes C-ordered, so every array of the plan is
laid out as the interpreter's is and every sum adds in the same order: the plan's
numbers are the interpreter's, bit for bit.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import jit
from .step import Step
from .trace import Node
from .writer import Writer

FRESH = "fresh"  # a new array each step, made by numpy
#: Arrays smaller than this are made anew each step: numpy allocates small arrays
#: faster than a call reads an ``out=`` argument.
MIN_BUFFER = 512
#: ufuncs computed entry by entry, whose ``out`` may be one of their inputs
_ELEMENTWISE_IN_PLACE = frozenset(u for u in vars(np).values()
                                  if isinstance(u, np.ufunc) and u is not np.matmul)




class Memory:
    """The lifetimes and storage of a traced step's values (see the module doc)."""

    def __init__(self, step: Step, w: Writer, jit_runs: bool) -> None:
        self.step, self.w = step, w
        self.nodes = step.tracer.nodes
        schedule = step.schedule
        outputs = [step.values[id(o)].node for o in schedule.outputs]
        #: nodes handed to the user: the outputs, the gradients of wrt
        self.returned = {n.index for n in outputs}
        wrt = [step.grads.get(id(b)) for b in schedule.wrt]
        self.returned |= {t.node.index for t in wrt if t is not None}
        self.roots = self._roots()
        self.live = self._live()
        self.last_use, self.root_of, self.external = self._lifetimes()
        self.in_run: dict[int, jit.Run] = {}  # node index -> the numba run computing it
        self.run_end: dict[int, jit.Run] = {}  # last node of a run -> the run
        self.rows: dict[int, str] = {}  # a run's node -> the bound name of its row
        if jit_runs:
            self._runs()
        self.lender: dict[int, Node] = {}
        self.storage = self._storage()

    def _runs(self) -> None:
        """Stretches of elementwise calls done by one numba call each: their results are
        rows of the run's table, which the code reads under bound names."""
        end = self.step.fprop_end
        found = [nodes for section in (self.nodes[:end], self.nodes[end:])
                 for nodes in jit.runs(section, self.live)]
        for run in jit.build(found):
            if all(run.table is not t for t in self.w.written):
                self.w.written.append(run.table)
            self.run_end[run.nodes[-1].index] = run
            for node, row in zip(run.nodes, run.rows):
                self.in_run[node.index] = run
                self.rows[node.index] = self.w.bind(row, (node.hint or "t") + "_row")

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
            elif node.kind in ("func", "getitem", "call", "item") \
                    and isinstance(node.value, np.ndarray):
                sources = node.inputs  # (a box's method may hand back a view of its input)
                if node.kind == "item":
                    sources = sources + sources[0].inputs
                for source in sources:
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
        owner: dict[int, int] = {}  # node -> the node that first wrote its buffer
        for node in self.nodes:
            if node.index not in self.live or not self._writable(node):
                continue
            lender = self._lender(node)
            wants_fresh = node.index in self.returned or node.index in fresh_chain
            if lender is not None and (not wants_fresh or storage[lender.index] is FRESH):
                storage[node.index] = storage[lender.index]  # the lender's memory
                self.lender[node.index] = lender
                if lender.index in owner:  # (a lender's memory is a buffer or FRESH)
                    owner[node.index] = owner[lender.index]
            elif wants_fresh:
                storage[node.index] = FRESH
            else:
                storage[node.index] = "buffer"  # named below, once every lifetime is known
                owner[node.index] = node.index
        names = self._buffers(owner)
        storage.update((index, names[first]) for index, first in owner.items())
        return storage

    def _buffers(self, owner: dict[int, int]) -> dict[int, str]:
        """A buffer for each first writer in ``owner``. A memory that leaves the step
        (a box's value or gradient, what bprop reads) has its own; temporaries share
        slots: one whose last read is past gives its slot to a later one (the smallest
        that fits, else the largest, grown), so the plan holds about as much as the
        interpreter has alive at its peak, not the sum of every temporary."""
        run_end = {n.index: run.nodes[-1].index for run in self.run_end.values()
                   for n in run.nodes}  # a run reads its inputs when its kernel runs
        writers: dict[int, list[int]] = {}
        for index, first in owner.items():
            writers.setdefault(first, []).append(index)
        readers: dict[int, int] = {}
        for node in self.nodes:
            if node.index in self.live:
                at = run_end.get(node.index, node.index)
                for source in node.inputs:
                    root = self.root_of[source.index]
                    readers[root] = max(readers.get(root, -1), at)
        slots: list[int] = []  # bytes of each slot
        free: list[int] = []
        busy: list[tuple[int, int]] = []  # (last read, slot)
        placed: dict[int, int] = {}
        for first, chain in writers.items():
            value = self.nodes[first].value
            if any(i in self.external for i in chain):
                continue
            for end, slot in [b for b in busy if b[0] < first]:
                busy.remove((end, slot))
                free.append(slot)
            fits = [k for k in free if slots[k] >= value.nbytes]
            if fits or free:
                slot = min(fits, key=slots.__getitem__) if fits \
                    else max(free, key=slots.__getitem__)
                free.remove(slot)
                slots[slot] = max(slots[slot], value.nbytes)
            else:
                slot = len(slots)
                slots.append(value.nbytes)
            placed[first] = slot
            busy.append((max(readers.get(i, i) for i in chain), slot))
        arrays = [np.empty(size, np.uint8) for size in slots]
        self.w.written.extend(arrays)
        names = {}
        for first in writers:
            value = self.nodes[first].value
            hint = (self.nodes[first].hint or "t") + "_buf"
            if first in placed:
                view = arrays[placed[first]][:value.nbytes].view(value.dtype)
                names[first] = self.w.bind(view.reshape(value.shape), hint)
            else:
                names[first] = self.w.buffer(value.shape, value.dtype, hint)
        return names

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

