"""The lecture's own algorithm, timed: per-example SGD (batch 1) of a one-hidden-layer
tanh MLP on scikit-learn's digits, epochs per second and test error, for
autograd_flow (the user's path: FlowGraph + af.optim.SGD; default, and ``jit=True``
when the extra is installed), the strict numpy floor (``floor.py``), scikit-learn's
``MLPClassifier`` (solver "sgd", batch_size=1) and, when installed, PyTorch and JAX-jit.

Same data split, same Glorot initialisation (but for scikit-learn, which makes its
own), same order of examples (one permutation per epoch from one seed), float64;
mean softmax cross-entropy + L2 * sum of squared weights, learning rate LR.

Usage: python benchmarks/bench_digits.py [--epochs N] [--hidden H]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable

import numpy as np

import autograd_flow as af

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from floor import FloorMLP  # noqa: E402

LR, L2 = 0.01, 1e-4
Trainer = Callable[[np.ndarray, np.ndarray, list[np.ndarray]], Callable[[np.ndarray], np.ndarray]]


def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pixels scaled to [0, 1]; 1347 training and 450 test examples (a fixed split)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return tuple(train_test_split(X / 16.0, y, test_size=0.25, random_state=0))


def glorot(rng: np.random.Generator, sizes: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """U[-b, b], b = sqrt(6) / sqrt(H_k + H_(k-1)); zero biases (lecture)."""
    return [(rng.uniform(-1, 1, (o, i)) * np.sqrt(6.0 / (i + o)), np.zeros(o))
            for i, o in zip(sizes[:-1], sizes[1:])]


def orders(n: int, epochs: int) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.permutation(n) for _ in range(epochs)]


def predict_mlp(layers: list[tuple[np.ndarray, np.ndarray]], X: np.ndarray) -> np.ndarray:
    h = X
    for k, (W, b) in enumerate(layers):
        h = h @ W.T + b
        if k < len(layers) - 1:
            h = np.tanh(h)
    return h.argmax(axis=1)


def train_flow(layers, X, y, epochs: list[np.ndarray], **options) -> Callable:
    x, label = af.Input("x"), af.Input("y")
    params = [(af.Parameter(W.copy()), af.Parameter(b.copy())) for W, b in layers]
    h = x
    for k, (W, b) in enumerate(params):
        h = af.linear(h, W, b)
        if k < len(params) - 1:
            h = af.tanh(h)
    loss = af.softmax_cross_entropy(h, label) + L2 * af.l2_penalty([W for W, _ in params])
    graph = af.FlowGraph(loss, **options)
    optimizer = af.optim.SGD([p for layer in params for p in layer], lr=LR)
    for order in epochs:
        for i in order:
            optimizer.step(graph, {x: X[i:i + 1], label: y[i:i + 1]})
    trained = [(W.value, b.value) for W, b in params]
    return lambda Xt: predict_mlp(trained, Xt)


def train_floor(layers, X, y, epochs: list[np.ndarray]) -> Callable:
    floor = FloorMLP(layers, "tanh", X[:1], y[:1], LR, L2)
    for order in epochs:
        for i in order:
            floor.X, floor.Y = X[i:i + 1], y[i:i + 1]
            floor.step()
    trained = list(zip(floor.Ws, floor.bs))
    return lambda Xt: predict_mlp(trained, Xt)


def train_sklearn(layers, X, y, epochs: list[np.ndarray]) -> Callable:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(hidden_layer_sizes=(len(layers[0][0]),), activation="tanh",
                          solver="sgd", batch_size=1, learning_rate_init=LR, momentum=0.0,
                          alpha=2 * L2, max_iter=len(epochs), tol=0.0,
                          n_iter_no_change=len(epochs) + 1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return model.predict


def train_torch(layers, X, y, epochs: list[np.ndarray]) -> Callable | None:
    try:
        import torch
    except ImportError:
        return None
    params = [torch.tensor(p, requires_grad=True) for layer in layers for p in layer]
    optimizer = torch.optim.SGD(params, lr=LR)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    for order in epochs:
        for i in order:
            h = Xt[i:i + 1]
            for k in range(0, len(params), 2):
                h = torch.nn.functional.linear(h, params[k], params[k + 1])
                if k < len(params) - 2:
                    h = torch.tanh(h)
            loss = torch.nn.functional.cross_entropy(h, yt[i:i + 1]) + L2 * sum(
                (W * W).sum() for W in params[::2])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    trained = [(params[k].detach().numpy(), params[k + 1].detach().numpy())
               for k in range(0, len(params), 2)]
    return lambda Xt: predict_mlp(trained, Xt)


def train_jax(layers, X, y, epochs: list[np.ndarray]) -> Callable | None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    state = [jnp.asarray(p) for layer in layers for p in layer]

    def loss(ps, x, label):
        h = x
        for k in range(0, len(ps), 2):
            h = h @ ps[k].T + ps[k + 1]
            if k < len(ps) - 2:
                h = jnp.tanh(h)
        logp = jax.nn.log_softmax(h)
        return -jnp.mean(logp[jnp.arange(len(label)), label]) + L2 * sum(
            jnp.sum(W * W) for W in ps[::2])

    @jax.jit
    def update(ps, x, label):
        return [p - LR * g for p, g in zip(ps, jax.grad(loss)(ps, x, label))]

    Xj, yj = jnp.asarray(X), jnp.asarray(y)
    for order in epochs:
        for i in order:
            state = update(state, Xj[i:i + 1], yj[i:i + 1])
    state[0].block_until_ready()
    trained = [(np.asarray(state[k]), np.asarray(state[k + 1]))
               for k in range(0, len(state), 2)]
    return lambda Xt: predict_mlp(trained, Xt)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--no-peers", action="store_true", help="autograd_flow and numpy only")
    args = parser.parse_args(argv)
    X, Xt, y, yt = digits()
    layers = glorot(np.random.default_rng(0), [X.shape[1], args.hidden, 10])
    epochs = orders(len(X), args.epochs)
    engines: dict[str, Callable] = {
        "numpy floor": train_floor, "autograd_flow (default)": train_flow}
    if af.plan.jit.available():
        engines["autograd_flow jit=True"] = lambda *a: train_flow(*a, jit=True)
    if not args.no_peers:
        engines.update({"scikit-learn MLPClassifier": train_sklearn, "PyTorch": train_torch,
                        "JAX jit": train_jax})
    print(f"Per-example SGD on digits: {len(X)} training / {len(Xt)} test examples, "
          f"64-{args.hidden}-10 tanh, lr {LR}, L2 {L2}, {args.epochs} epochs, float64\n")
    print("| engine | epochs per second | test error | first epoch, compiling (s) |")
    print("|---|---|---|---|")
    for name, train in engines.items():
        # a first run of one epoch compiles (jit, JAX; numba keeps its code on disk), as
        # the first epoch of a long run would; the timed run is the whole training
        start = time.perf_counter()
        if train(layers, X, y, epochs[:1]) is None:
            continue
        first = time.perf_counter() - start
        start = time.perf_counter()
        predict = train(layers, X, y, epochs)
        seconds = time.perf_counter() - start
        error = np.mean(predict(Xt) != yt) * 100
        print(f"| {name} | {args.epochs / seconds:.1f} | {error:.2f}% | {first:.2f} |")


if __name__ == "__main__":
    main()
