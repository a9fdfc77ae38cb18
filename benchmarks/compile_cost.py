"""What the whole-step compile (``FlowGraph(jit=True)`` under ``af.optim.SGD``) costs: W1
of bench_step.py at batch 1 and 32, each run twice in a new process with an empty numba
cache folder (``AUTOGRAD_FLOW_CACHE``), then once more with that folder kept. Prints the
time of the third step (the one that compiles, or loads the machine code) and of the
whole process to it, imports included.

Usage: python benchmarks/compile_cost.py
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

PROGRAM = """
import sys, time
start = time.perf_counter()
import numpy as np
sys.path.insert(0, {here!r})
import bench_step as bs
rng = np.random.default_rng(0)
layers = bs.glorot(rng, [64, 128, 128, 10])
X, Y = bs.data(rng, {batch}, 64, 10)
step = bs.flow_step(layers, "tanh", X, Y, jit=True)
step(); step()
third = time.perf_counter()
step()
done = time.perf_counter()
print(f"{{done - third:.2f}} {{done - start:.2f}}")
"""


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    print("| W1 batch | cache | third step (s) | process to the third step (s) |")
    print("|---|---|---|---|")
    for batch in (1, 32):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "AUTOGRAD_FLOW_CACHE": cache}
            for label in ("empty", "kept"):
                out = subprocess.run([sys.executable, "-c", PROGRAM.format(here=here,
                                                                           batch=batch)],
                                     env=env, check=True, capture_output=True, text=True)
                third, total = out.stdout.split()
                print(f"| {batch} | {label} | {third} | {total} |")


if __name__ == "__main__":
    main()
