"""Apply a saved model (a model file, or the run folder of train or of search: its
best model) to data: a .csv or .npz file, or the name of a built-in data set (then its
test split, as made when the model was trained). Prints a summary: how many examples,
and when the data has labels the error rate (classification) or the mean squared error
and R^2 (regression). Predictions, in the data's own labels, go to --out as CSV (with
one probability per class for a classifier; a file that exists is replaced only with
--overwrite, and never a file of a run), or to standard output with --print."""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ..data import NAMES, DataError, csv_columns, load_dataset, read_dataset
from ..data import targets as read_targets
from ..io import SEARCH_MODEL, load_model, model_file
from ..learn.files import atomic_file
from ..learn.model import Model
from ..learn.objective import class_codes, r_squared
from ..learn.runfolder import note
from .output import add_overwrite_argument, check_output


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``autograd-flow predict``."""
    parser.add_argument("model", type=Path,
                        help="a model file, or the run folder of train (its model.npz) or "
                             "of search (its best_model.npz)")
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
    model = load_model(path)
    summary: TextIO = sys.stderr if args.print_predictions else sys.stdout
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


def _predictions(model: Model, X: np.ndarray,
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
    header = ["prediction", *(f"p_{c}" for c in model.classes.tolist())]
    rows = [[label, *(f"{p:.6g}" for p in row)] for label, row in zip(predicted.tolist(), proba)]
    return header, rows, predicted


def _score(model: Model, predicted: np.ndarray, labels: np.ndarray, source: str) -> str:
    """The error rate, or MSE and R^2, of the predictions against the data's labels."""
    if model.task == "regression":
        target = read_targets(labels, source).reshape(predicted.shape)
        mse = float(np.mean((predicted - target) ** 2))
        r2 = r_squared(predicted, target)
        return f"on {source}: MSE {mse:.4g} (RMSE {mse ** 0.5:.4g}), R^2 {r2:.3f}"
    wrong = int(np.sum(class_codes(predicted, model.classes) != _codes(labels, model, source)))
    return (f"error rate on {source}: {wrong / len(labels):.2%} ({wrong} of {len(labels)} "
            "wrong)")


def _read(data: str, model: Model, label_column: str | None
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
    if label_column is None and data.lower().endswith(".csv"):
        columns = csv_columns(data)
        if len(columns) == model.n_features + 1:
            saved = info.get("label_column")
            label_column = saved if saved in columns else str(len(columns) - 1)
    table = read_dataset(data, label_column=label_column, require_labels=False)
    if table.X.shape[1] != model.n_features:
        raise DataError(f"{data} has {table.X.shape[1]} feature columns but the model takes "
                        f"{model.n_features}; choose the label column with --label-column")
    return table.X, table.labels, data


def _codes(labels: np.ndarray, model: Model, source: str) -> np.ndarray:
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
