"""The page's "in Python" panel: the network and training of the current settings
written as a short script against the public API, to run outside the browser on the
page's own points (the same split and standardization)."""
from __future__ import annotations

from .datasets import CsvTable
from .settings import Settings


def python_code(settings: Settings, csv: CsvTable | None = None, epochs: int = 100) -> str:
    """A runnable script that builds the same MLP and loss, trains it with the same SGD
    options on the page's training points and reports the validation error."""
    regression = settings.task == "regression"
    outputs = "1" if regression else "int(y.max()) + 1"
    fed = repr(settings.features)
    lines = ["import numpy as np", "import autograd_flow as af",
             "from autograd_flow.playground.datasets import features, "
             + ("from_csv, parse_csv" if settings.dataset == "csv" else "synthetic"), ""]
    lines += _data_lines(settings, csv)
    lines += [
        f"X, y = features(data.X_train, {fed}), data.y_train   # what the network is fed",
        "",
        f"mlp = af.nn.MLP([{len(settings.features)}, "
        f"{''.join(f'{h}, ' for h in settings.hidden)}{outputs}], "
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
        f"predicted = af.FlowGraph(mlp(x)).fprop({{x: features(data.X_valid, {fed})}})",
    ]
    lines += (['print(f"validation mean squared error: '
               '{np.mean((predicted - data.y_valid) ** 2):.4f}")'] if regression else
              ['print(f"validation error: '
               '{np.mean(predicted.argmax(axis=1) != data.y_valid):.1%}")'])
    return "\n".join(lines) + "\n"


def _data_lines(settings: Settings, csv: CsvTable | None) -> list[str]:
    where = f"seed={settings.seed}, ratio={settings.ratio}"
    if settings.dataset == "csv":
        filename = csv.filename if csv is not None else "my.csv"
        return [f"with open({filename!r}, encoding='utf-8') as file:   # the label: the last "
                "column",
                f"    data = from_csv(parse_csv(file.read(), {filename!r}), {where})"]
    return [f'data = synthetic("{settings.dataset}", noise={settings.noise:g}, {where})'
            "   # the page's points"]


def _loss(settings: Settings) -> str:
    terms = ["af.mean_squared_error(mlp(x), labels)" if settings.task == "regression" else
             "af.softmax_cross_entropy(mlp(x), labels)"]
    terms += [f"{weight:g} * af.{name}_penalty(mlp.weights)"
              for name, weight in (("l1", settings.l1), ("l2", settings.l2)) if weight]
    return " + ".join(terms)


def _sgd(settings: Settings) -> str:
    options = [f"lr={settings.lr:g}", f"momentum={settings.momentum:g}"]
    if settings.decay != "none":
        options += [f'decay="{settings.decay}"', f"decay_rate={settings.decay_rate:g}"]
    return ", ".join(options)
