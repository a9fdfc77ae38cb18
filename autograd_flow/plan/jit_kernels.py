"""The two numba kernels behind ``FlowGraph(..., jit=True)``: a small machine that runs
a run of elementwise boxes from a table of op codes (see :mod:`.jit`). They are the same
for every graph, so numba compiles them once per dtype and caches the machine code.

``table`` holds one row per entry-array: the values of the run's boxes, then its inputs
from outside, then its constants; box k reads rows ``first[k]`` and ``second[k]`` and
writes row ``out[k]``. ``grads`` is laid out like ``table``. Each box is one loop over
the entries (independent entries keep the CPU busy; one entry through a whole run would
wait on each result in turn)."""
from __future__ import annotations

import math

import numba

# op codes, in the order of autograd_flow.plan.jit.OPS
ADD, SUB, MUL, DIV, NEG, IDENTITY, SQUARE, TANH, EXP, LOG, RELU, SIGMOID = range(12)


@numba.njit(cache=True)
def forward(opcodes, first, second, out, table, unit):  # pragma: no cover (numba)
    one = unit[0]
    zero = one - one
    n = table.shape[1]
    for k in range(opcodes.shape[0]):
        op = opcodes[k]
        a, b, y = table[first[k]], table[second[k]], table[out[k]]
        if op == ADD:
            for i in range(n):
                y[i] = a[i] + b[i]
        elif op == SUB:
            for i in range(n):
                y[i] = a[i] - b[i]
        elif op == MUL:
            for i in range(n):
                y[i] = a[i] * b[i]
        elif op == DIV:
            for i in range(n):
                y[i] = a[i] / b[i]
        elif op == NEG:
            for i in range(n):
                y[i] = -a[i]
        elif op == IDENTITY:
            for i in range(n):
                y[i] = a[i]
        elif op == SQUARE:
            for i in range(n):
                y[i] = a[i] * a[i]
        elif op == TANH:
            for i in range(n):
                y[i] = math.tanh(a[i])
        elif op == EXP:
            for i in range(n):
                y[i] = math.exp(a[i])
        elif op == LOG:
            for i in range(n):
                y[i] = math.log(a[i])
        elif op == RELU:  # np.maximum(a, 0): NaN stays NaN
            for i in range(n):
                y[i] = a[i] if (a[i] > zero or a[i] != a[i]) else zero
        elif op == SIGMOID:  # the Sigmoid box's stable formula
            for i in range(n):
                e = math.exp(-abs(a[i]))
                y[i] = (one if a[i] >= zero else e) / (one + e)


@numba.njit(cache=True)
def backward(opcodes, first, second, out, table, grads, unit):  # pragma: no cover
    one = unit[0]
    zero = one - one
    n = table.shape[1]
    for k in range(opcodes.shape[0] - 1, -1, -1):
        op = opcodes[k]
        a, b, y = table[first[k]], table[second[k]], table[out[k]]
        g, ga, gb = grads[out[k]], grads[first[k]], grads[second[k]]
        if op == ADD:
            for i in range(n):
                ga[i] += g[i]
                gb[i] += g[i]
        elif op == SUB:
            for i in range(n):
                ga[i] += g[i]
                gb[i] += -g[i]
        elif op == MUL:
            for i in range(n):
                ga[i] += g[i] * b[i]
                gb[i] += g[i] * a[i]
        elif op == DIV:
            for i in range(n):
                d = g[i] / b[i]
                ga[i] += d
                gb[i] += -d * y[i]
        elif op == NEG:
            for i in range(n):
                ga[i] += -g[i]
        elif op == IDENTITY:
            for i in range(n):
                ga[i] += g[i]
        elif op == SQUARE:
            for i in range(n):
                ga[i] += (one + one) * a[i] * g[i]
        elif op == TANH:
            for i in range(n):
                ga[i] += g[i] * (one - y[i] * y[i])
        elif op == EXP:
            for i in range(n):
                ga[i] += g[i] * y[i]
        elif op == LOG:
            for i in range(n):
                ga[i] += g[i] / a[i]
        elif op == RELU:
            for i in range(n):
                ga[i] += g[i] * (one if a[i] > zero else zero)
        elif op == SIGMOID:
            for i in range(n):
                ga[i] += g[i] * y[i] * (one - y[i])
