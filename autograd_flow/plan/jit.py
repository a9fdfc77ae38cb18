"""Runs of elementwise calls done by numba (``FlowGraph(..., jit=True)``, the ``jit``
extra).

A plan is a tape of numpy calls (:mod:`.trace`). A run is a stretch of that tape, in
fprop or in bprop, of consecutive elementwise ufunc calls (add, multiply, tanh, exp,
...) on arrays of one shape and float dtype: :mod:`.jit_kernels` runs it in one call
that writes every result into a row of one table (so every box keeps its value), where
numpy would make one call per ufunc, each paying Python's and numpy's cost for a small
array. The calls are the formulas' own, derivatives included: the kernel knows ufuncs,
not boxes.

The kernel is the same for every graph: numba compiles it the first time it runs with a
dtype (seconds) and caches the machine code (``__pycache__`` beside the module, or
numba's user cache when the package folder is read-only), so later processes load it
in milliseconds. The math library is LLVM's, not numpy's: tanh, exp and log may
differ from numpy's in the last bit, so jit plans are not bit for bit the interpreter
(tests/plan/test_jit.py states the tolerance).
"""
from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .trace import Node

#: Runs shorter than this stay numpy calls (a kernel call costs about a microsecond).
MIN_CALLS = 4

#: the ufuncs the kernel runs, op code = position (see .jit_kernels)
UFUNCS = (np.add, np.subtract, np.multiply, np.true_divide, np.negative, np.tanh, np.exp,
          np.log, np.absolute, np.sqrt, np.maximum, np.minimum)


def available() -> bool:
    """Whether numba is installed."""
    return importlib.util.find_spec("numba") is not None


def _scalar(value: Any) -> bool:
    """A number (or 0-d array) a run reads as a row of that number."""
    return np.ndim(value) == 0


def _fits(node: Node, shape: tuple[int, ...], dtype: np.dtype) -> bool:
    """A ufunc call of the kernel's, whose result has the run's shape and dtype and
    whose array inputs have its shape (numbers are rows of one value)."""
    if node.kind != "ufunc" or node.fn not in UFUNCS or node.errstate:
        return False
    value = node.value
    if not isinstance(value, np.ndarray) or value.shape != shape or value.dtype != dtype:
        return False
    for arg in node.args:
        arg_value = arg.value if isinstance(arg, Node) else arg
        if not (_scalar(arg_value) or np.shape(arg_value) == shape):
            return False
    return True


def runs(nodes: Sequence[Node], live: set[int]) -> list[list[Node]]:
    """Maximal runs of kernel calls among the live nodes of a tape section, each at
    least :data:`MIN_CALLS` long, on float arrays of one shape and dtype."""
    found: list[list[Node]] = []
    current: list[Node] = []
    for node in nodes:
        if node.index not in live or node.kind in ("leaf", "const", "seed"):
            continue
        value = node.value
        kind = isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.ndim > 0
        if kind and current and _fits(node, current[0].value.shape, current[0].value.dtype):
            current.append(node)
            continue
        if len(current) >= MIN_CALLS:
            found.append(current)
        current = [node] if kind and _fits(node, value.shape, value.dtype) else []
    if len(current) >= MIN_CALLS:
        found.append(current)
    return found


class Run:
    """One run as the kernel sees it: op codes and the rows each call reads and writes in
    a table shared by the plan's runs of one shape and dtype (:func:`build`). A call's
    result is a row (a view shaped like it, read as its value); an input from outside
    the plan's runs is copied into its row at each call (a 0-d one fills it), and a
    number's row is filled once. A run reads an earlier run's results in place."""

    def __init__(self, nodes: list[Node], table: np.ndarray, rows: dict[Any, int],
                 inputs: list[Node], slots: list[list[int]]) -> None:
        from . import jit_kernels  # numba is imported only when jit is asked for

        self.kernel: Callable[..., None] = jit_kernels.run
        self.nodes, self.table, self.inputs = nodes, table, inputs
        shape = nodes[0].value.shape
        self.rows = [table[rows[("node", n.index)]].reshape(shape) for n in nodes]
        self._targets = [table[rows[("node", n.index)]] if _scalar(n.value)
                         else table[rows[("node", n.index)]].reshape(shape)
                         for n in inputs]
        self.opcodes = np.array([UFUNCS.index(n.fn) for n in nodes], np.int64)
        self.first = np.array([mine[0] for mine in slots], np.int64)
        self.second = np.array([mine[-1] for mine in slots], np.int64)
        self.out = np.array([rows[("node", n.index)] for n in nodes], np.int64)

    def __call__(self, *inputs: Any) -> None:
        """Every call's result, from the inputs from outside (in ``self.inputs`` order)."""
        for target, value in zip(self._targets, inputs):
            np.copyto(target, value)
        self.kernel(self.opcodes, self.first, self.second, self.out, self.table)


def build(found: list[list[Node]]) -> list[Run]:
    """The runs of a plan (in tape order), one table per shape and dtype: a backward run
    reads the forward run's results from their rows, with no copy."""
    groups: dict[Any, list[list[Node]]] = {}
    for nodes in found:
        groups.setdefault((nodes[0].value.shape, nodes[0].value.dtype.str), []).append(nodes)
    built: dict[int, Run] = {}
    for group in groups.values():
        rows: dict[Any, int] = {}  # the runs' results first, then inputs and numbers
        for nodes in group:
            rows.update((("node", n.index), len(rows)) for n in nodes)
        computed = len(rows)
        numbers: list[tuple[int, Any]] = []
        wiring = []
        for nodes in group:
            inputs: list[Node] = []  # copied in at each call, in this order
            slots = []
            for node in nodes:
                mine = []
                for arg in node.args:
                    if isinstance(arg, Node) and arg.kind == "const":
                        arg = arg.value  # a number written into the code: a row filled once
                    key = ("node", arg.index) if isinstance(arg, Node) \
                        else ("number", type(arg).__name__, arg)
                    if key not in rows:
                        rows[key] = len(rows)
                        if not isinstance(arg, Node):
                            numbers.append((rows[key], arg))
                    if isinstance(arg, Node) and rows[key] >= computed \
                            and all(arg is not n for n in inputs):
                        inputs.append(arg)  # from outside the runs: each run copies it in
                    mine.append(rows[key])
                slots.append(mine)
            wiring.append((nodes, inputs, slots))
        shape, dtype = group[0][0].value.shape, group[0][0].value.dtype
        table = np.empty((len(rows), int(np.prod(shape))), dtype)
        for row, number in numbers:
            table[row] = number
        for nodes, inputs, slots in wiring:
            built[nodes[0].index] = Run(nodes, table, rows, inputs, slots)
    return [built[nodes[0].index] for nodes in found]

