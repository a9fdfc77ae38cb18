"""The page's "in Python" panel: the network and training of the current settings
written as a short script against the public API, to run outside the browser."""
from __future__ import annotations

from .datasets import N_POINTS, CsvTable
from .settings import Settings


def python_code(settings: Settings, csv: CsvTable | None = None, epochs: int = 100) -> str:
    """A runnable script that builds the same MLP and loss and trains it with the same
    SGD options on the same kind of data (all points; the page also holds some out)."""
    lines = ["import numpy as np", "import autograd_flow as af"]
    lines += _data_lines(settings, csv)
    lines += [
        "X = (X - X.mean(axis=0)) / X.std(axis=0)      # standardize the two features",
        "",
        f"mlp = af.nn.MLP([2, {''.join(f'{h}, ' for h in settings.hidden)}int(y.max()) + 1], "
        f'activation="{settings.activation}", seed={settings.seed})',
        'x, labels = af.Input("x"), af.Input("y")',
        f"loss = {_loss(settings)}",
        "graph = af.FlowGraph(loss)                   # the flow graph the page draws",
        f"sgd = af.optim.SGD(mlp.parameters, {_sgd(settings)})",
        "",
        f"rng = np.random.default_rng({settings.seed})",
        f"for epoch in range({epochs}):",
        "    order = rng.permutation(len(X))",
        f"    for start in range(0, len(X), {settings.batch_size}):",
        f"        batch = order[start:start + {settings.batch_size}]",
        "        graph.fprop({x: X[batch], labels: y[batch]})",
        "        sgd.step(graph.bprop())                # bprop: the gradients of the loss",
        "",
        "scores = af.FlowGraph(mlp(x)).fprop({x: X})",
        'print(f"training error: {np.mean(scores.argmax(axis=1) != y):.1%}")',
    ]
    return "\n".join(lines) + "\n"


def _data_lines(settings: Settings, csv: CsvTable | None) -> list[str]:
    name, noise, seed = settings.dataset, settings.noise, settings.seed
    if name == "csv":
        filename = csv.filename if csv is not None else "my.csv"
        return ["from autograd_flow.data import encode_labels, read_csv", "",
                f"table = read_csv({filename!r})                 # the label is the last "
                "column",
                "X, (y, classes) = table.X, encode_labels(table.labels)"]
    if name == "spirals":
        return ["from autograd_flow.data import make_spirals", "",
                f"X, y = make_spirals({N_POINTS}, n_arms=3, noise={noise:g}, seed={seed})"]
    if name == "xor":
        return ["from autograd_flow.data import make_xor", "",
                f"X, y = make_xor({N_POINTS}, noise={noise:g}, seed={seed})"]
    extra = ", factor=0.5" if name == "circles" else ""
    return [f"from sklearn.datasets import make_{name}", "",
            f"X, y = make_{name}({N_POINTS}, noise={noise:g}{extra}, random_state={seed})"]


def _loss(settings: Settings) -> str:
    terms = ["af.softmax_cross_entropy(mlp(x), labels)"]
    terms += [f"{weight:g} * af.{name}_penalty(mlp.weights)"
              for name, weight in (("l1", settings.l1), ("l2", settings.l2)) if weight]
    return " + ".join(terms)


def _sgd(settings: Settings) -> str:
    options = [f"lr={settings.lr:g}", f"momentum={settings.momentum:g}"]
    if settings.decay != "none":
        options += [f'decay="{settings.decay}"', f"decay_rate={settings.decay_rate:g}"]
    return ", ".join(options)
