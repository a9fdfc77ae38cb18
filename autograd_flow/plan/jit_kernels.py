"""The numba kernel behind ``FlowGraph(..., jit=True)``: a small machine that runs a
run of elementwise numpy calls of a plan from a table of op codes (see :mod:`.jit`).
It knows ufuncs, not boxes: the calls are those of the boxes' own formulas, fprop and
bprop alike, so no derivative is written here. The same kernel serves every graph, so
numba compiles it once per dtype and caches the machine code.

``table`` holds one row per array: the run's results, then its inputs from outside,
then its constants; call k reads rows ``first[k]`` and ``second[k]`` and writes row
``out[k]``. Each call is one loop over the entries (independent entries keep the CPU
busy; one entry through a whole run would wait on each result in turn)."""
from __future__ import annotations

import math

import numba

# op codes, in the order of autograd_flow.plan.jit.UFUNCS
ADD, SUB, MUL, DIV, NEG, TANH, EXP, LOG, ABS, SQRT, MAXIMUM, MINIMUM = range(12)


@numba.njit(cache=True)
def run(opcodes, first, second, out, table):  # pragma: no cover (numba)
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
        elif op == TANH:
            for i in range(n):
                y[i] = math.tanh(a[i])
        elif op == EXP:
            for i in range(n):
                y[i] = math.exp(a[i])
        elif op == LOG:
            for i in range(n):
                y[i] = math.log(a[i])
        elif op == ABS:
            for i in range(n):
                y[i] = abs(a[i])
        elif op == SQRT:
            for i in range(n):
                y[i] = math.sqrt(a[i])
        elif op == MAXIMUM:  # np.maximum: NaN wins
            for i in range(n):
                y[i] = a[i] if (a[i] >= b[i] or a[i] != a[i]) else b[i]
        elif op == MINIMUM:  # np.minimum: NaN wins
            for i in range(n):
                y[i] = a[i] if (a[i] <= b[i] or a[i] != a[i]) else b[i]
