"""Time one training step of autograd_flow against a hand-written numpy step (the
strict floor: preallocated buffers, products into them, in-place ops) and, when
installed, PyTorch CPU,
HIPS autograd and JAX-jit, all in this one process. Prints a markdown table.

autograd_flow runs three ways: the default (``FlowGraph(loss)``: a compiled plan after
the first steps of each input signature), the interpreter (``compile=False``: one
Python call per box, the reference) and ``jit=True`` (runs of elementwise boxes in
numba, when the ``jit`` extra is installed).

Every autograd_flow step is the user's path: ``af.optim`` drives the graph
(``optimizer.step(graph, feed)``), as ``autograd-flow train`` does.

Workloads (median over many steps after warm-up):
  W1  one SGD step of a 64-128-128-10 tanh MLP (float32): mean softmax cross-entropy
      + 1e-4 * sum of squared weights, bprop, update with learning rate 0.1;
      batch sizes 1, 32 and 256; the base is the strict numpy floor (``floor.py``)
  W2  the same for a 784-1024-1024-10 relu MLP at batch 512 (also peak memory)
  W3  a chain of 200 elementwise boxes (x * c, + c, tanh) on a length-16 vector,
      then sum; fprop + bprop, reported per box; the base a hand-written numpy loop
  W4  Karpathy's min-char-rnn (float64; 25 unrolled steps, hidden 100, clipping,
      Adagrad), ported as a user would (``min_char_rnn.py``); the base his own step

Usage: python benchmarks/bench_step.py [--quick] [--repeat N]
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial

import numpy as np

import autograd_flow as af

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import min_char_rnn  # noqa: E402
from floor import FloorMLP  # noqa: E402

DTYPE = np.float32
LR, L2 = 0.1, 1e-4


def glorot(rng: np.random.Generator, sizes: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Weights U[-b, b], b = sqrt(6) / sqrt(H_k + H_(k-1)); biases 0 (lecture)."""
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(6.0) / np.sqrt(fan_in + fan_out)
        layers.append((rng.uniform(-bound, bound, (fan_out, fan_in)).astype(DTYPE),
                       np.zeros(fan_out, DTYPE)))
    return layers


def data(rng: np.random.Generator, batch: int, n_in: int, n_out: int):
    return rng.standard_normal((batch, n_in)).astype(DTYPE), rng.integers(0, n_out, batch)


# ----------------------------------------------------------------------------- engines
def flow_step(layers, activation: str, X, Y, **options) -> Callable[[], None]:
    """autograd_flow on the user's path: the graph built once (``options`` for
    FlowGraph), then ``af.optim.SGD(...).step(graph, feed)`` per step (fprop, bprop,
    update), as ``autograd-flow train`` runs it."""
    x, y = af.Input("x"), af.Input("y")
    params = [(af.Parameter(W.copy(), name=f"W{k}"), af.Parameter(b.copy(), name=f"b{k}"))
              for k, (W, b) in enumerate(layers, 1)]
    act = {"tanh": af.tanh, "relu": af.relu}[activation]
    h = x
    for k, (W, b) in enumerate(params):
        a = af.linear(h, W, b)
        h = act(a) if k < len(params) - 1 else a
    loss = af.softmax_cross_entropy(h, y) + L2 * af.l2_penalty([W for W, _ in params])
    graph = af.FlowGraph(loss, **options)
    optimizer = af.optim.SGD([p for layer in params for p in layer], lr=LR)
    feed = {x: X, y: Y}

    def step() -> None:
        optimizer.step(graph, feed)

    return step


def numpy_step(layers, activation: str, X, Y) -> Callable[[], None]:
    """The strict numpy floor (``floor.py``): as fast as plain numpy goes."""
    return FloorMLP(layers, activation, X, Y, LR, L2).step


def torch_step(layers, activation: str, X, Y) -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None
    params = []
    for W, b in layers:
        params += [torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)]
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    act = torch.tanh if activation == "tanh" else torch.relu

    def step() -> None:
        h = Xt
        for k in range(0, len(params), 2):
            h = torch.nn.functional.linear(h, params[k], params[k + 1])
            if k < len(params) - 2:
                h = act(h)
        loss = torch.nn.functional.cross_entropy(h, Yt) + L2 * sum(
            (p * p).sum() for p in params[::2])
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None

    return step


def autograd_step(layers, activation: str, X, Y) -> Callable[[], None] | None:
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        return None
    params = [p.copy() for layer in layers for p in layer]
    rows = np.arange(len(X))

    def loss(ps):
        h = X
        for k in range(0, len(ps), 2):
            h = anp.dot(h, ps[k].T) + ps[k + 1]
            if k < len(ps) - 2:
                h = anp.tanh(h) if activation == "tanh" else anp.maximum(h, 0)
        h = h - anp.max(h, axis=1, keepdims=True)
        logp = h - anp.log(anp.sum(anp.exp(h), axis=1, keepdims=True))
        return -anp.mean(logp[rows, Y]) + L2 * sum(anp.sum(W * W) for W in ps[::2])

    gradient = autograd.grad(loss)

    def step() -> None:
        for p, g in zip(params, gradient(params)):
            p -= LR * g

    return step


def jax_step(layers, activation: str, X, Y) -> Callable[[], None] | None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    state = [jnp.asarray(p) for layer in layers for p in layer]

    def loss(ps, X, Y):
        h = X
        for k in range(0, len(ps), 2):
            h = h @ ps[k].T + ps[k + 1]
            if k < len(ps) - 2:
                h = jnp.tanh(h) if activation == "tanh" else jnp.maximum(h, 0)
        logp = jax.nn.log_softmax(h)
        return -jnp.mean(logp[jnp.arange(len(Y)), Y]) + L2 * sum(jnp.sum(W * W) for W in ps[::2])

    @jax.jit
    def update(ps, X, Y):
        return [p - LR * g for p, g in zip(ps, jax.grad(loss)(ps, X, Y))]

    Xj, Yj = jnp.asarray(X), jnp.asarray(Y)

    def step() -> None:
        state[:] = update(state, Xj, Yj)
        state[0].block_until_ready()

    return step


# -------------------------------------------------------------------------------- W3
def flow_chain(boxes: int, vector: np.ndarray, **options) -> Callable[[], None]:
    x = af.Parameter(vector.copy(), name="x")
    h = x
    for _k in range(boxes // 3):
        h = af.tanh(h * 0.9 + 0.1)
    graph = af.FlowGraph(h.sum(), **options)

    def step() -> None:
        graph.fprop()
        graph.bprop()

    return step


def numpy_chain(boxes: int, vector: np.ndarray) -> Callable[[], None]:
    count = boxes // 3
    hs = np.empty((count + 1, len(vector)), DTYPE)

    def step() -> None:
        hs[0] = vector
        for k in range(count):
            hs[k + 1] = np.tanh(hs[k] * 0.9 + 0.1)
        grad = np.ones_like(vector)
        for k in range(count, 0, -1):
            grad = grad * (1 - hs[k] * hs[k]) * 0.9

    return step


def torch_chain(boxes: int, vector: np.ndarray) -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None
    x = torch.tensor(vector, requires_grad=True)

    def step() -> None:
        h = x
        for _ in range(boxes // 3):
            h = torch.tanh(h * 0.9 + 0.1)
        h.sum().backward()
        x.grad = None

    return step


def autograd_chain(boxes: int, vector: np.ndarray) -> Callable[[], None] | None:
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        return None

    def f(v):
        for _ in range(boxes // 3):
            v = anp.tanh(v * 0.9 + 0.1)
        return anp.sum(v)

    gradient = autograd.grad(f)
    return lambda: gradient(vector)


def jax_chain(boxes: int, vector: np.ndarray) -> Callable[[], None] | None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None

    def f(v):
        for _ in range(boxes // 3):
            v = jnp.tanh(v * 0.9 + 0.1)
        return jnp.sum(v)

    gradient = jax.jit(jax.grad(f))
    v = jnp.asarray(vector)
    return lambda: gradient(v).block_until_ready()


# ---------------------------------------------------------------------------- timing
def median_us(step: Callable[[], None], repeat: int, warmup: int) -> float:
    for _ in range(warmup):
        step()
    gc.collect()
    gc.disable()
    try:
        times = []
        for _ in range(repeat):
            start = time.perf_counter_ns()
            step()
            times.append(time.perf_counter_ns() - start)
    finally:
        gc.enable()
    return statistics.median(times) / 1000


PEERS = (("PyTorch", torch_step, torch_chain), ("HIPS autograd", autograd_step, autograd_chain),
         ("JAX jit", jax_step, jax_chain))
JIT = af.plan.jit.available()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    parser.add_argument("--repeat", type=int, default=None, help="timed steps per row")
    parser.add_argument("--no-peers", action="store_true",
                        help="only autograd_flow and the hand-written numpy step")
    args = parser.parse_args(argv)
    peers = () if args.no_peers else PEERS
    rng = np.random.default_rng(0)
    rows = []
    cases = [("W1 batch 1", [64, 128, 128, 10], "tanh", 1, 3000),
             ("W1 batch 32", [64, 128, 128, 10], "tanh", 32, 2000),
             ("W1 batch 256", [64, 128, 128, 10], "tanh", 256, 500),
             ("W2 batch 512", [784, 1024, 1024, 10], "relu", 512, 30)]
    for label, sizes, activation, batch, repeat in cases:
        repeat = args.repeat or (max(3, repeat // 20) if args.quick else repeat)
        layers = glorot(rng, sizes)
        X, Y = data(rng, batch, sizes[0], sizes[-1])
        steps = {"numpy": numpy_step(layers, activation, X, Y),
                 "autograd_flow": flow_step(layers, activation, X, Y),
                 "interpreter": flow_step(layers, activation, X, Y, compile=False)}
        if JIT:
            steps["jit"] = flow_step(layers, activation, X, Y, jit=True)
        for name, make, _ in peers:
            step = make(layers, activation, X, Y)
            if step is not None:
                steps[name] = step
        row = {"workload": label, **timed(steps, repeat)}
        if label.startswith("W2"):
            row["memory"] = {
                "autograd_flow": peak_mib(partial(flow_step, layers, activation, X, Y)),
                "interpreter": peak_mib(partial(flow_step, layers, activation, X, Y,
                                                compile=False)),
                "numpy": peak_mib(partial(numpy_step, layers, activation, X, Y))}
        rows.append(row)
    vector = rng.standard_normal(16).astype(DTYPE)
    repeat = args.repeat or (100 if args.quick else 3000)
    steps = {"numpy": numpy_chain(200, vector), "autograd_flow": flow_chain(200, vector),
             "interpreter": flow_chain(200, vector, compile=False)}
    if JIT:
        steps["jit"] = flow_chain(200, vector, jit=True)
    for name, _, make in peers:
        step = make(200, vector)
        if step is not None:
            steps[name] = step
    rows.append({"workload": "W3 200 boxes", **timed(steps, repeat)})
    rows.append(w4_row(args))
    print_table(rows)


def w4_row(args: argparse.Namespace) -> dict:
    """W4: min-char-rnn, Karpathy's own numpy step as the base (``min_char_rnn.py``)."""
    data = min_char_rnn.text()

    def fresh() -> min_char_rnn.Windows:  # each engine walks the same windows from the start
        return min_char_rnn.Windows(data, 40)

    start = min_char_rnn.weights(fresh().vocab)
    steps = {"numpy": min_char_rnn.karpathy_step(start, fresh()),
             "autograd_flow": min_char_rnn.flow_step(start, fresh()),
             "interpreter": min_char_rnn.flow_step(start, fresh(), compile=False)}
    if JIT:
        steps["jit"] = min_char_rnn.flow_step(start, fresh(), jit=True)
    repeat = args.repeat or (20 if args.quick else 400)
    return {"workload": "W4 min-char-rnn", **timed(steps, repeat)}


def timed(steps: dict[str, Callable[[], None]], repeat: int) -> dict[str, float]:
    """Median microseconds per step of each engine, interleaved in rounds so that a
    change in machine load touches every engine alike."""
    for step in steps.values():
        for _ in range(repeat // 5 + 2):
            step()
    samples: dict[str, list[float]] = {name: [] for name in steps}
    rounds = 5
    for _ in range(rounds):
        for name, step in steps.items():
            samples[name].append(median_us(step, max(1, repeat // rounds), 0))
    return {name: statistics.median(values) for name, values in samples.items()}


def peak_mib(build_and_step: Callable[[], Callable[[], None]]) -> float:
    """Peak bytes numpy holds in steady training: everything built and allocated (weights,
    buffers, a compiled plan) plus the most any of two steps adds, measured after three
    warm-up steps; tracemalloc sees numpy's allocations."""
    gc.collect()
    tracemalloc.start()
    step = build_and_step()
    for _ in range(3):
        step()
    tracemalloc.reset_peak()
    step()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def print_table(rows: list[dict]) -> None:
    peers = [name for name, _, _ in PEERS if any(name in r for r in rows)]
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, numpy {np.__version__}; median microseconds "
          "per step (ratio to the hand-written numpy step: the strict floor for W1/W2, "
          "a plain loop for W3, Karpathy's own step for W4)\n")
    columns = [("autograd_flow", "autograd_flow (default)"),
               ("interpreter", "interpreter (compile=False)")]
    if any("jit" in r for r in rows):
        columns.append(("jit", "jit=True"))
    columns += [(name, name) for name in peers]
    header = ["workload", "numpy (hand-written)"] + [title for _, title in columns]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        cells = [r["workload"], f"{r['numpy']:.1f}"]
        for name, _ in columns:
            cells.append(f"{r[name]:.1f} ({r[name] / r['numpy']:.2f}x)" if name in r else "-")
        print("| " + " | ".join(cells) + " |")
    for r in rows:
        if "memory" in r:
            m = r["memory"]
            print(f"\n{r['workload']} peak numpy memory in steady training: hand-written "
                  f"{m['numpy']:.1f} MiB, autograd_flow {m['autograd_flow']:.1f} MiB "
                  f"({m['autograd_flow'] / m['numpy']:.2f}x), interpreter "
                  f"{m['interpreter']:.1f} MiB ({m['interpreter'] / m['numpy']:.2f}x)")
        if "PyTorch" in r and r["workload"].startswith("W2"):
            print(f"{r['workload']}: autograd_flow {r['autograd_flow'] / r['PyTorch']:.2f}x "
                  "PyTorch's time")
        if r["workload"].startswith("W3"):
            line = (f"W3: {r['autograd_flow'] / 200:.2f} microseconds per box (fprop + "
                    f"bprop), interpreter {r['interpreter'] / 200:.2f}")
            if "jit" in r:
                line += f", jit=True {r['jit'] / 200:.3f}"
            print(line)


if __name__ == "__main__":
    main()
