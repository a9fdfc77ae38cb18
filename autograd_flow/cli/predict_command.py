"""Apply a saved model (a model file, or the run folder of train or of search: its
best model) or a graph file (af.save; a run of train writes model_graph.npz) to data: a
.csv or .npz file, or the name of a built-in data set (then its test split, as made when
the model was trained). Prints a summary: how many examples, and when the data has
labels the error rate (classification) or the mean squared error and R^2 (regression).
Predictions, in the data's own labels, go to --out as CSV (with one probability per
class for a classifier; a file that exists is replaced only with --overwrite, and never
a file of a run), or to standard output with --print.

A graph file is fed the examples' features on its one Input (as rows: shape (N,
features), in the dtype the Input declares) and its first output is the prediction:
the class scores (N, classes), whose largest is the predicted class, or the targets.
Its task and class labels come from the file's info (train writes them); without them
an output of two or more columns is read as the scores of classes 0, 1, ..."""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ..data import NAMES, DataError, csv_columns, load_dataset, read_dataset
from ..data import targets as read_targets
from ..errors import describe
from ..io import SEARCH_MODEL, load_model, model_file
from ..learn.files import atomic_file
from ..learn.graphfile import is_graph_file
from ..learn.graphfile import read as read_graph
from ..learn.model import TASKS, Model
from ..learn.objective import class_codes, r_squared
from ..learn.runfolder import note
from .output import add_overwrite_argument, check_output


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``autograd-flow predict``."""
    parser.add_argument("model", type=Path,
                        help="a model file, a graph file (af.save), or the run folder of "
                             "train (its model.npz) or of search (its best_model.npz)")
    parser.add_argument("data", help="a .csv / .npz file, or a built-in data set name "
                                     f"({', '.join(NAMES)}, spirals:K): its test split")
    parser.add_argument("--label-column", default=None, metavar="NAME|INDEX",
                        help="CSV label column (default: the model's label column when the "
                             "file has one more column than the model has features)")
    parser.add_argument("--out", type=Path, default=None, metavar="CSV",
                        help="write the predictions (and class probabilities) here as CSV, "
                             "in a folder that exists")
    add_overwrite_argument(parser, "--out")
    parser.add_argument("--print", action="store_true", dest="print_predictions",
                        help="print the predictions as CSV on standard output (the summary "
                             "then goes to standard error)")


def run(args: argparse.Namespace) -> int:
    """Run ``autograd-flow predict``; returns the exit status."""
    path = model_file(args.model)
    if args.out is not None:
        check_output(args.out, "--out", args.overwrite, reads=(path, Path(args.data)))
    summary: TextIO = sys.stderr if args.print_predictions else sys.stdout
    model: Model | GraphModel = GraphModel(path, summary) if is_graph_file(path) \
        else load_model(path)
    if path.name == SEARCH_MODEL and path != args.model:
        note([f"{args.model} is the folder of a search: using its best configuration's "
              f"model, {path}"], summary)
    X, labels, source = _read(args.data, model, args.label_column)
    header, rows, predicted = _predictions(model, X, source)
    if args.out is not None:  # atomically: a failure keeps what the file held
        with atomic_file(args.out, "w", exclusive=not args.overwrite, newline="") as file:
            csv.writer(file).writerows([header, *rows])
    if args.print_predictions:
        csv.writer(sys.stdout).writerows([header, *rows])
    written = f"; written to {args.out}" if args.out is not None else ""
    print(f"{len(rows)} predictions for {source}{written}", file=summary)
    if labels is not None:
        print(_score(model, predicted, labels, source), file=summary)
    elif args.out is None and not args.print_predictions:
        print("the data has no labels to score; see the predictions with --out FILE or "
              "--print", file=summary)
    return 0


class GraphModel:
    """A graph file as predict applies it, with a Model's interface: ``task``,
    ``classes``, ``info``, ``n_features`` (None: any), ``outputs``, ``predict_proba``
    (the output as it is: probabilities or scores, by ``probabilities``) and
    ``predict``."""

    def __init__(self, path: Path, summary: TextIO) -> None:
        saved = read_graph(path)
        self.graph, self.path, self.summary = saved.graph, path, summary
        info = saved.info
        if len(self.graph.inputs) != 1:
            names = ", ".join(repr(box.name) for box in self.graph.inputs)
            raise ValueError(f"the graph in {path} takes the inputs {names}; predict feeds one "
                             "(the examples' features): save the graph of the prediction "
                             "alone, without the labels or the loss")
        self.x = self.graph.inputs[0]
        shape = self.x.shape
        if shape is not None and (len(shape) != 2 or shape[1] is None):
            raise ValueError(f"the graph in {path} takes {describe(self.x)} of shape "
                             f"{shape}; predict feeds rows of features, (N, features): build "
                             "the graph on rows (x.reshape(-1, ...) inside it)")
        self.n_features: int | None = None if shape is None else shape[1]
        training = info.get("training")
        self.info: dict[str, Any] = training if isinstance(training, dict) else {}
        task = info.get("task")
        if task is not None and task not in TASKS:
            raise ValueError(f"the graph file {path} names the task {task!r:.40}; predict "
                             f"knows {' and '.join(TASKS)}")
        self.task: str | None = task
        self.probabilities = info.get("outputs") == "probabilities"
        classes = info.get("classes")
        if classes is not None and not (isinstance(classes, list) and all(
                isinstance(c, (str, int, float)) and not isinstance(c, bool) for c in classes)):
            raise ValueError(f"the graph file {path} has classes {classes!r:.60}, not a list "
                             "of labels")
        self.classes = np.asarray(classes if classes is not None else [])

    def outputs(self, X: np.ndarray) -> np.ndarray:
        """The first output for the rows ``X`` (the task and classes settled on it)."""
        dtype = self.x.dtype if self.x.dtype is not None else np.float64
        value = self.graph.fprop({self.x: np.asarray(X).astype(dtype)})
        return self._settle(np.asarray(value[0] if isinstance(value, tuple) else value), len(X))

    def _settle(self, output: np.ndarray, rows: int) -> np.ndarray:
        if output.ndim not in (1, 2) or len(output) != rows:
            raise ValueError(f"the graph in {self.path} gives an output of shape "
                             f"{output.shape} for {rows} examples; predict needs one row per "
                             "example: (N,) or (N, outputs)")
        columns = 1 if output.ndim == 1 else output.shape[1]
        if self.task is None:
            self.task = "classification" if columns >= 2 else "regression"
            what = (f"the scores of {columns} classes 0-{columns - 1} (the largest is the "
                    "prediction)" if self.task == "classification" else "the targets")
            note([f"{self.path} names no task: its output, {columns} per example, is read "
                  f"as {what}"], self.summary)
        if self.task == "classification":
            if not self.classes.size:
                self.classes = np.arange(columns)
            if output.ndim != 2 or columns != len(self.classes):
                raise ValueError(f"the graph in {self.path} gives {columns} output(s) per "
                                 f"example for {len(self.classes)} classes")
        return output.reshape(rows, -1) if self.task == "regression" else output

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """The class probabilities (or scores) of the rows ``X``."""
        return self.outputs(X)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The predicted class labels, or the targets, of the rows ``X``."""
        output = self.outputs(X)
        if self.task == "classification":
            return self.classes[np.argmax(output, axis=1)]
        return output[:, 0] if output.shape[1] == 1 else output


def _predictions(model: Model | GraphModel, X: np.ndarray,
                 source: str) -> tuple[list[str], list[list[Any]], np.ndarray]:
    """(CSV header, CSV rows, predictions) of ``model`` on the raw features ``X``; an
    error when an output is not finite (features far outside the training range)."""
    with np.errstate(all="ignore"):
        outputs = model.outputs(X)
    bad = ~np.isfinite(outputs).all(axis=1)
    if bad.any():
        raise ValueError(f"the model's outputs are NaN or infinite for {int(bad.sum())} of "
                         f"{len(X)} examples of {source} (the first: example "
                         f"{int(np.flatnonzero(bad)[0])}): their features are far outside the "
                         "range the model was trained on")
    if model.task == "regression":
        predicted = model.predict(X)
        values = predicted.reshape(len(X), -1)
        names = ["prediction"] if values.shape[1] == 1 else [
            f"prediction_{k}" for k in range(values.shape[1])]
        return names, [[f"{v:.6g}" for v in row] for row in values], predicted
    proba = model.predict_proba(X)
    predicted = model.classes[np.argmax(proba, axis=1)]
    column = "score" if isinstance(model, GraphModel) and not model.probabilities else "p"
    header = ["prediction", *(f"{column}_{c}" for c in model.classes.tolist())]
    rows = [[label, *(f"{p:.6g}" for p in row)] for label, row in zip(predicted.tolist(), proba)]
    return header, rows, predicted


def _score(model: Model | GraphModel, predicted: np.ndarray, labels: np.ndarray,
           source: str) -> str:
    """The error rate, or MSE and R^2, of the predictions against the data's labels."""
    if model.task == "regression":
        target = read_targets(labels, source).reshape(predicted.shape)
        mse = float(np.mean((predicted - target) ** 2))
        r2 = r_squared(predicted, target)
        return f"on {source}: MSE {mse:.4g} (RMSE {mse ** 0.5:.4g}), R^2 {r2:.3f}"
    wrong = int(np.sum(class_codes(predicted, model.classes) != _codes(labels, model, source)))
    return (f"error rate on {source}: {wrong / len(labels):.2%} ({wrong} of {len(labels)} "
            "wrong)")


def _read(data: str, model: Model | GraphModel, label_column: str | None
          ) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Raw features, labels (or None) and a description of what was read."""
    info = model.info
    if data in NAMES or data.startswith("spirals:"):
        if label_column is not None:
            raise DataError(f"--label-column chooses a column of a CSV file; the built-in "
                            f"data set {data} has its own labels")
        splits = load_dataset(data, task=model.task, seed=info.get("seed", 0),
                              n_samples=info.get("n_samples"),
                              valid_fraction=info.get("valid_fraction", 0.2),
                              test_fraction=info.get("test_fraction", 0.2))
        return splits.X_test, splits.y_test, f"the {data} test split"
    n_features = model.n_features
    if label_column is None and data.lower().endswith(".csv") and n_features is not None:
        columns = csv_columns(data)
        if len(columns) == n_features + 1:
            saved = info.get("label_column")
            label_column = saved if saved in columns else str(len(columns) - 1)
    table = read_dataset(data, label_column=label_column, require_labels=False)
    if n_features is not None and table.X.shape[1] != n_features:
        raise DataError(f"{data} has {table.X.shape[1]} feature columns but the model takes "
                        f"{model.n_features}; choose the label column with --label-column")
    return table.X, table.labels, data


def _codes(labels: np.ndarray, model: Model | GraphModel, source: str) -> np.ndarray:
    """The model's class index of each label (numeric text compared as numbers: "1.0"
    is the class 1)."""
    known = model.classes.tolist()
    index = {_key(c): k for k, c in enumerate(known)}
    codes = np.empty(len(labels), dtype=np.int64)
    for row, label in enumerate(np.asarray(labels).tolist()):
        if _key(label) not in index:
            raise DataError(f"{source}, example {row}: label {label!r} is not one of the "
                            f"model's classes ({', '.join(map(str, known))})")
        codes[row] = index[_key(label)]
    return codes


def _key(label: Any) -> str:
    """A label as text, whole numbers written as integers ("1.0" and 1 are "1")."""
    text = str(label).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text
