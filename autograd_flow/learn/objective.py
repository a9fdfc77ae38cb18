"""The training objective as a flow graph, and what it is fed.

``objective(mlp, l1, l2, task=...)`` wires the MLP's output into the mean softmax
cross-entropy (classification) or the mean squared error of the standardized targets
(regression), plus the L1/L2 penalties on the weights only; ``prepare(splits)``
standardizes the features (and regression targets) with the training statistics and
turns class labels into codes; ``evaluate`` gives the loss and error of the current
parameters through the same prebuilt graph.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.box import Box, Input
from ..core.graph import FlowGraph
from ..data import DataError, Splits, standardization
from ..nn import MLP
from ..nn import functions as F


@dataclass
class Objective:
    """The training graph: inputs ``x``, ``y``; ``output`` a^(L+1) (the logits, or the
    standardized prediction); ``data_loss`` the mean cross-entropy or mean squared
    error; ``loss`` = data_loss + penalties; ``graph`` = FlowGraph([loss, output]);
    ``task``; ``target_scale``: regression only, the variance of each target, which
    turns a standardized squared error back into the target's units."""

    x: Input
    y: Input
    output: Box
    data_loss: Box
    loss: Box
    graph: FlowGraph
    task: str = "classification"
    target_scale: np.ndarray | None = None


def objective(mlp: MLP, l1: float = 0.0, l2: float = 0.0,
              task: str = "classification", jit: bool = False) -> Objective:
    """Mean softmax cross-entropy (or mean squared error for ``task="regression"``) +
    l1 * sum|W| + l2 * sum W**2 over ``mlp.weights`` (lecture: regularization only on
    weights, not on biases). ``jit``: the graph compiles its whole training step
    (``FlowGraph(jit=True)``, the ``jit`` extra)."""
    x, y = Input("x"), Input("y")
    output = mlp(x)
    if task == "regression":
        data_loss = F.mean_squared_error(output, y, name="squared_error")
    else:
        data_loss = F.softmax_cross_entropy(output, y, name="cross_entropy")
    loss = data_loss
    if l1:
        loss = loss + l1 * F.l1_penalty(mlp.weights)
    if l2:
        loss = loss + l2 * F.l2_penalty(mlp.weights)
    if loss is not data_loss:
        loss.name = "loss"
    return Objective(x, y, output, data_loss, loss, FlowGraph([loss, output], jit=jit),
                     task)


@dataclass
class Prepared:
    """What the network is fed: features standardized with the training statistics, and
    targets as class codes 0..C-1 (classification) or standardized (regression)."""

    mean: np.ndarray
    std: np.ndarray
    target_mean: np.ndarray
    target_std: np.ndarray
    sets: dict[str, tuple[np.ndarray, np.ndarray]]


def prepare(splits: Splits, dtype: Any = np.float64) -> Prepared:
    """Standardize the splits' features (and regression targets) with training
    statistics and encode class labels as codes; arrays in ``dtype``."""
    mean, std = standardization(splits.X_train)
    target_mean, target_std = np.zeros(1), np.ones(1)
    regression = splits.task == "regression"
    if regression:
        target_mean, target_std = standardization(_columns(splits.y_train, splits.n_outputs))
    sets = {}
    for name in ("train", "valid", "test"):
        X, y = getattr(splits, f"X_{name}"), getattr(splits, f"y_{name}")
        with np.errstate(over="ignore", invalid="ignore"):
            features = ((np.asarray(X, np.float64) - mean) / std).astype(dtype)
        _check_standardized(features, X, mean, std, name, splits)
        if regression:
            target = ((_columns(y, splits.n_outputs) - target_mean) / target_std).astype(dtype)
        else:
            target = class_codes(y, splits.classes)
        sets[name] = (features, target)
    return Prepared(mean, std, target_mean, target_std, sets)


def _check_standardized(features: np.ndarray, X: Any, mean: np.ndarray, std: np.ndarray,
                        split: str, splits: Splits) -> None:
    """Raise DataError when a standardized feature is not finite in the network's dtype
    (a value far outside the training range), naming the split, row and column."""
    bad = ~np.isfinite(features)
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        name = (splits.feature_names[column] if column < len(splits.feature_names)
                else f"x{column + 1}")
        raise DataError(f"{splits.name}: the {split} split's example {row}, feature {name!r} "
                        f"is {float(np.asarray(X)[row, column]):g}, which standardized with "
                        f"the training mean {mean[column]:g} and std {std[column]:g} is too "
                        f"large for {features.dtype} ({int(bad.sum())} such value(s)): "
                        "rescale the data, or train in float64 (--dtype float64)")


def _columns(y: Any, n_outputs: int) -> np.ndarray:
    """Targets as float64 columns (N, n_outputs)."""
    return np.asarray(y, np.float64).reshape(len(y), n_outputs)


def class_codes(labels: Any, classes: Any) -> np.ndarray:
    """The index in ``classes`` of each label (an error names a label not among them)."""
    index = {c: k for k, c in enumerate(np.asarray(classes).tolist())}
    try:
        return np.array([index[v] for v in np.asarray(labels).tolist()], dtype=np.int64)
    except KeyError as error:
        raise ValueError(f"label {error.args[0]!r} is not one of the classes "
                         f"{np.asarray(classes).tolist()}") from None


def evaluate(obj: Objective, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The data loss and error of the current parameters on the fed arrays (X, y), through
    the objective's prebuilt graph: {"loss", "error"} with the error rate, or for
    regression the mean squared error in the target's units and "r2" (R^2, 1 - SSE/SST
    with the mean of these targets). NaN for an empty set."""
    if len(y) == 0:
        nan = {"loss": math.nan, "error": math.nan}
        return nan if obj.task == "classification" else {**nan, "r2": math.nan}
    obj.graph.fprop({obj.x: X, obj.y: y})
    loss = float(obj.data_loss.value)
    output = np.asarray(obj.output.value, dtype=np.float64)
    if obj.task == "classification":
        return {"loss": loss, "error": float(np.mean(np.argmax(output, axis=1) != y))}
    target = np.asarray(y, dtype=np.float64)
    squared = np.mean((output - target) ** 2, axis=0)
    scale = np.ones_like(squared) if obj.target_scale is None else obj.target_scale
    return {"loss": loss, "error": float(np.mean(squared * scale)),
            "r2": r_squared(output, target)}


def r_squared(prediction: np.ndarray, target: np.ndarray) -> float:
    """R^2 = 1 - SSE/SST of each target column (SST about these targets' mean), averaged
    over the columns (scikit-learn's r2_score); the same in any units."""
    prediction = np.asarray(prediction, dtype=np.float64).reshape(np.shape(target))
    target = np.asarray(target, dtype=np.float64)
    squared = np.sum((prediction - target) ** 2, axis=0)
    spread = np.sum((target - target.mean(axis=0)) ** 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.mean(1 - squared / spread))
