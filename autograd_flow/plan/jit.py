"""Elementwise chains run by numba (``FlowGraph(..., jit=True)``, the ``jit`` extra).

A run of elementwise boxes of one shape and float dtype (x * c, + c, tanh, ...), next to
each other in topological order, is run by two numba kernels (:mod:`.jit_kernels`)
from a table of op codes: the forward one computes every box of the run into the rows
of one array (so every box keeps its value), the backward one takes the gradients that
arrive from outside the run and gives the gradients of the run's inputs (the boxes
inside the run keep no ``.grad``). One call instead of one numpy call per box: the
Python and numpy cost per call of a small array disappears.

The kernels are the same for every graph: numba compiles them the first time they run
with a dtype (seconds) and caches the machine code (``__pycache__`` beside the module,
or numba's user cache when the package folder is read-only), so later processes load
them in milliseconds. The math library is LLVM's, not numpy's: tanh, exp and log may
differ from numpy's in the last bit, so jit plans are not bit for bit the interpreter
(tests/test_jit.py states the tolerance).
"""
from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import ops
from ..core.box import Box, Constant, Leaf

#: Runs shorter than this stay numpy calls (a kernel call costs about a microsecond).
MIN_BOXES = 4

OPS = (ops.Add, ops.Sub, ops.Mul, ops.Div, ops.Neg, ops.Identity, ops.Square, ops.Tanh,
       ops.Exp, ops.Log, ops.Relu, ops.Sigmoid)  # op code = position (see .jit_kernels)


def available() -> bool:
    """Whether numba is installed."""
    return importlib.util.find_spec("numba") is not None


def _number(box: Box) -> bool:
    return isinstance(box, Constant) and type(box.value) in (int, float)


def _fits(box: Box, shape: tuple[int, ...], dtype: Any) -> bool:
    value = np.asarray(box.value)
    return value.shape == shape and value.dtype == dtype


def runs(order: Sequence[Box], skip: set[int]) -> list[list[Box]]:
    """Maximal runs of jittable boxes (elementwise, one float shape and dtype, inputs of
    that shape or Python numbers), contiguous among the non-leaf boxes of ``order``."""
    found: list[list[Box]] = []
    current: list[Box] = []
    shape, dtype = None, None
    for box in order:
        if isinstance(box, Leaf):
            continue
        value = np.asarray(box.value)
        ok = (type(box) in OPS and id(box) not in skip and value.dtype.kind == "f"
              and value.ndim > 0)
        if ok:
            ok = all(_number(i) or _fits(i, value.shape, value.dtype) for i in box.inputs)
        if ok and current and (value.shape, value.dtype) == (shape, dtype):
            current.append(box)
            continue
        if len(current) >= MIN_BOXES:
            found.append(current)
        current = [box] if ok else []
        shape, dtype = (value.shape, value.dtype) if ok else (None, None)
    if len(current) >= MIN_BOXES:
        found.append(current)
    return found


class Run:
    """One run as the kernels see it: a table whose rows are the boxes' values (views
    shaped like the boxes, so box.value can be a row), the run's inputs from outside
    (copied in each step) and its constants; op codes and rows per box."""

    def __init__(self, boxes: list[Box], incoming: list[Box], wanted: set[int]) -> None:
        from . import jit_kernels  # numba is imported only when jit is asked for

        self.kernels = jit_kernels
        self.boxes, self.incoming = boxes, incoming
        value = np.asarray(boxes[0].value)
        self.shape, dtype, size = value.shape, value.dtype, value.size
        row = {id(b): k for k, b in enumerate(boxes)}
        self.inputs: list[Box] = []
        constants: dict[float, int] = {}
        for box in boxes:
            for i in box.inputs:
                if id(i) in row:
                    continue
                if _number(i):
                    constants.setdefault(float(i.value), -1)
                else:
                    row[id(i)] = len(boxes) + len(self.inputs)
                    self.inputs.append(i)
        for k, constant in enumerate(constants):
            constants[constant] = len(boxes) + len(self.inputs) + k
        self.table = np.empty((len(boxes) + len(self.inputs) + len(constants), size), dtype)
        for constant, k in constants.items():
            self.table[k] = constant
        self.grads = np.empty_like(self.table)
        self.unit = np.ones(1, dtype)
        self.opcodes = np.array([OPS.index(type(b)) for b in boxes], np.int64)
        slots = [[row[id(i)] if id(i) in row else constants[float(i.value)]
                  for i in b.inputs] for b in boxes]
        self.first = np.array([s[0] for s in slots], np.int64)
        self.second = np.array([s[-1] for s in slots], np.int64)
        self.out = np.arange(len(boxes), dtype=np.int64)
        self.values = [self.table[k].reshape(self.shape) for k in range(len(boxes))]
        self.input_rows = [self.table[row[id(i)]].reshape(self.shape) for i in self.inputs]
        self.arriving = [self.grads[row[id(b)]].reshape(self.shape) for b in incoming]
        self.sources = [i for i in self.inputs if id(i) in wanted]
        self.source_rows = [self.grads[row[id(i)]].reshape(self.shape) for i in self.sources]

    def fprop(self, *inputs: Any) -> None:
        """Every box's value from the inputs from outside (in ``self.inputs`` order)."""
        for target, value in zip(self.input_rows, inputs):
            np.copyto(target, value)
        self.kernels.forward(self.opcodes, self.first, self.second, self.out, self.table,
                             self.unit)

    def bprop(self, *arriving: Any) -> list[np.ndarray]:
        """The gradients of ``self.sources`` (new arrays) from the gradients arriving at
        ``self.incoming`` (None: none arrived)."""
        self.grads.fill(0)
        for target, grad in zip(self.arriving, arriving):
            if grad is not None:
                np.copyto(target, grad)
        self.kernels.backward(self.opcodes, self.first, self.second, self.out, self.table,
                              self.grads, self.unit)
        return [row.copy() for row in self.source_rows]
