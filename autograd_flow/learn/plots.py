"""Pictures of a training run: learning curves and, for 2-D data, decision regions.

Figures are made with matplotlib's object API (``matplotlib.figure.Figure``), which
renders with Agg and never opens a window, so it works on servers and in tests. Text
from the data (the data set's name, column names, class labels) is drawn as written:
a ``$`` in it is no formula, and characters the font lacks (CJK, emoji) are drawn
with matplotlib's fallback font without a warning per character.
"""
from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .files import save_figure
from .model import Model


@contextmanager
def _data_text() -> Iterator[None]:
    """Silence matplotlib's "Glyph ... missing from font(s)" while a figure is made and
    saved: it draws such a character with its Last Resort font (a box naming its block)
    and warns once per character, five lines for a CSV with CJK column names."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")
        yield


def learning_curves(history: Sequence[Mapping[str, Any]], path: str | Path | None = None,
                    best_epoch: int | None = None, title: str | None = None,
                    task: str = "classification") -> Figure:
    """Train and valid loss (left, on a log axis) and error rate in percent (right; R^2
    for regression) per epoch; the best epoch is marked. Saved as PNG (or by the suffix
    of ``path``) when ``path`` is given."""
    if not history:
        raise ValueError("no epochs in the history: nothing to plot")
    with _data_text():
        return _learning_curves(history, path, best_epoch, title, task)


def _learning_curves(history: Sequence[Mapping[str, Any]], path: str | Path | None,
                     best_epoch: int | None, title: str | None, task: str) -> Figure:
    epochs = [h["epoch"] for h in history]
    figure = Figure(figsize=(10, 4), layout="constrained")
    loss_axes, error_axes = figure.subplots(1, 2)
    regression = task == "regression"
    panels = ((loss_axes, "loss", "mean squared error (standardized target)" if regression
               else "mean cross-entropy"),
              (error_axes, "r2" if regression else "error",
               "R² (1 - SSE/SST)" if regression else "error rate"))
    for axes, key, label in panels:
        for split, style in (("train", "-"), ("valid", "--")):
            values = [h.get(f"{split}_{key}", float("nan")) for h in history]
            if key == "error":
                values = [100 * v for v in values]
            axes.plot(epochs, values, style, label=split)
        if best_epoch:
            axes.axvline(best_epoch, color="grey", linestyle=":",
                         label=f"best epoch ({best_epoch})")
        axes.set_xlabel("epoch")
        axes.set_ylabel(label)
        axes.legend()
        axes.grid(alpha=0.3, which="both")
    loss_axes.set_yscale("log")
    if not regression:
        error_axes.yaxis.set_major_formatter(lambda value, _: f"{value:g}%")
    if title:
        figure.suptitle(title, parse_math=False)
    if path is not None:
        save_figure(figure, path, dpi=100)
    return figure


def decision_regions(model: Model, X: np.ndarray, y: np.ndarray,
                     path: str | Path | None = None, resolution: int = 300,
                     title: str | None = None) -> Figure:
    """The class the model predicts at each point of the plane (2-D data only), with the
    examples (raw features ``X``, their labels ``y`` as in the data) drawn on top, as in
    the lecture's demo."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or model.n_features != 2:
        raise ValueError(f"decision regions need 2-D data and a 2-feature model, got data "
                         f"of shape {X.shape} and a model of {model.n_features} features")
    with _data_text():
        return _decision_regions(model, X, y, path, resolution, title)


def _decision_regions(model: Model, X: np.ndarray, y: np.ndarray, path: str | Path | None,
                      resolution: int, title: str | None) -> Figure:
    low, high = X.min(axis=0), X.max(axis=0)
    margin = 0.1 * (high - low) + 1e-9
    grid_x, grid_y = np.meshgrid(np.linspace(low[0] - margin[0], high[0] + margin[0], resolution),
                                 np.linspace(low[1] - margin[1], high[1] + margin[1], resolution))
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    predicted = np.argmax(model.predict_proba(points), axis=1)  # class index
    n_classes = len(model.classes)
    colors = [f"C{c % 10}" for c in range(n_classes)]
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap(colors)
    figure = Figure(figsize=(6, 5.5), layout="constrained")
    axes = figure.subplots()
    axes.contourf(grid_x, grid_y, predicted.reshape(grid_x.shape),
                  levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.3)
    for c in range(n_classes):
        mine = np.asarray(y) == model.classes[c]
        axes.scatter(X[mine, 0], X[mine, 1], s=12, color=colors[c], edgecolors="k",
                     linewidths=0.3, label=f"class {model.classes[c]}")
    axes.set_xlabel(model.feature_names[0], parse_math=False)
    axes.set_ylabel(model.feature_names[1], parse_math=False)
    for label in axes.legend(loc="best", fontsize="small").get_texts():
        label.set_parse_math(False)
    axes.set_title(title or "decision regions", parse_math=False)
    if path is not None:
        save_figure(figure, path, dpi=100)
    return figure
