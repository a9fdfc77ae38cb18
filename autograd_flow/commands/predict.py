"""Apply a saved model (model.npz, or a run folder holding one) to data: a .csv or .npz
file, or the name of a built-in data set (then its test split, as made when the model
was trained). Predictions go to --out as CSV (prediction and one probability per class)
or to standard output; when the data has labels, the error rate is printed too."""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

from ..data import NAMES, DataError, csv_columns, load_dataset, read_dataset
from ..io import Model, load_model


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help="model.npz, or a run folder holding one")
    parser.add_argument("data", help="a .csv / .npz file, or a built-in data set name "
                                     f"({', '.join(NAMES)}, spirals:K)")
    parser.add_argument("--label-column", default=None, metavar="NAME|INDEX",
                        help="CSV label column (default: the model's label column when the "
                             "file has one more column than the model has features)"
                             "%(default).0s")
    parser.add_argument("--out", type=Path, default=None, metavar="CSV",
                        help="write the predictions here (default: standard output)"
                             "%(default).0s")


def run(args: argparse.Namespace) -> int:
    path = args.model / "model.npz" if args.model.is_dir() else args.model
    model = load_model(path)
    X, labels, source = _read(args.data, model, args.label_column)
    proba = model.predict_proba(X)
    predicted = np.argmax(proba, axis=1)
    rows = [[model.classes[c], *(f"{p:.6g}" for p in row)] for c, row in zip(predicted, proba)]
    header = ["prediction", *(f"p_{c}" for c in model.classes)]
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", newline="") as file:
            csv.writer(file).writerows([header, *rows])
        summary = sys.stdout
        print(f"{len(rows)} predictions written to {args.out}")
    else:
        csv.writer(sys.stdout).writerows([header, *rows])
        summary = sys.stderr
    if labels is not None:
        wrong = int(np.sum(predicted != _codes(labels, model, source)))
        print(f"error rate on {source}: {wrong / len(labels):.2%} ({wrong} of {len(labels)} "
              "wrong)", file=summary)
    return 0


def _read(data: str, model: Model, label_column: str | None
          ) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Raw features, labels (or None) and a description of what was read."""
    info = model.info
    if data in NAMES or data.startswith("spirals:"):
        splits = load_dataset(data, seed=info.get("seed", 0), n_samples=info.get("n_samples"),
                              valid_fraction=info.get("valid_fraction", 0.2),
                              test_fraction=info.get("test_fraction", 0.2))
        X = splits.X_test * splits.std + splits.mean
        return X, np.array(splits.classes)[splits.y_test], f"the {data} test split"
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
    """The model's class index of each label (numeric labels compared as numbers)."""
    index = {name: c for c, name in enumerate(model.classes)}
    codes = np.empty(len(labels), dtype=np.int64)
    for row, label in enumerate(labels):
        key = str(label).strip()
        if key not in index:
            try:
                key = str(int(float(key))) if float(key) == int(float(key)) else key
            except (ValueError, OverflowError):
                pass
        if key not in index:
            raise DataError(f"{source}, example {row}: label {label!r} is not one of the "
                            f"model's classes ({', '.join(model.classes)})")
        codes[row] = index[key]
    return codes
