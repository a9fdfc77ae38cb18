"""The playground's 2-D data: a synthetic set drawn with the chosen noise, or the user's
CSV file with two feature columns; split into training and validation points (the
training share chosen on the page) and standardized with the training points'
statistics (as ``autograd-flow train`` does). The network is fed :func:`features` of
the two coordinates (x1, x2, x1², x2², x1·x2, sin x1, sin x2, as chosen).
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import DataError, encode_labels, make_spirals, make_xor, read_csv, standardization

N_POINTS = 600            # points drawn for a synthetic set
RATIO = 70                # the default percentage of the points that train
MAX_CSV_POINTS = 3000     # a larger CSV is subsampled (the page says so)
MAX_CLASSES = 10          # the page has ten class colours
# The page has no label-column control (the command line's --label-column): say its rule.
LABEL_RULE = "the playground takes the label from the last column: move it there"


@dataclass
class PlaneData:
    """Standardized 2-D points split into train and valid, with integer labels 0..K-1
    (classification) or, for regression (``classes`` empty), a number in [-1, 1] each
    as a column (N, 1).

    ``extent``: the plane drawn is [-extent, extent]^2 (in standardized units);
    ``feature_names``: the two axes; ``note``: a remark for the page (e.g. subsampling).
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray
    classes: list[str]
    feature_names: list[str]
    extent: float
    note: str = ""

    @property
    def n_classes(self) -> int:
        """K, the number of classes (0 for regression)."""
        return len(self.classes)

    @property
    def task(self) -> str:
        """"classification" or "regression"."""
        return "classification" if self.classes else "regression"

    @property
    def n_outputs(self) -> int:
        """The network's outputs: a score per class, or the one number predicted."""
        return self.n_classes or 1


@dataclass
class CsvTable:
    """An uploaded CSV file, parsed: raw features (two columns) and integer labels."""

    filename: str
    X: np.ndarray
    y: np.ndarray
    classes: list[str]
    feature_names: list[str]


def synthetic(name: str, noise: float, seed: int, ratio: int = RATIO) -> PlaneData:
    """moons, circles, spirals (3 arms), xor or gauss (two Gaussian blobs) with
    ``noise`` (the standard deviation of Gaussian noise: on the points, on the spirals'
    angle, added to the blobs' spread); or the regression sets plane (the value rises
    along x1 + x2) and bumps (six Gaussian bumps, up and down), with noise on the
    value. ``ratio``: the percentage of the points that train."""
    rng = np.random.default_rng([seed, 11])
    if name == "spirals":
        X, y = make_spirals(N_POINTS, n_arms=3, noise=noise, seed=seed)
    elif name == "xor":
        X, y = make_xor(N_POINTS, noise=noise, seed=seed)
    elif name in ("moons", "circles"):
        from sklearn.datasets import make_circles, make_moons

        X, y = (make_moons(N_POINTS, noise=noise, random_state=seed) if name == "moons" else
                make_circles(N_POINTS, noise=noise, factor=0.5, random_state=seed))
    elif name == "gauss":
        y = rng.integers(0, 2, N_POINTS)
        X = rng.normal(0.0, 0.4 + 2 * noise, (N_POINTS, 2)) + np.where(y[:, None], -1.0, 1.0)
    elif name in ("plane", "bumps"):
        X = rng.uniform(-1, 1, (N_POINTS, 2))
        value = (X[:, 0] + X[:, 1]) / 2 if name == "plane" else bumps(X)
        target = np.clip(value + rng.normal(0, noise, N_POINTS), -1, 1)
        return plane(name, X, target[:, None], [], ["x1", "x2"], seed, ratio)
    else:
        raise DataError(f"unknown synthetic data set {name!r}: use moons, circles, spirals, "
                        "xor, gauss, plane or bumps")
    classes = [str(k) for k in range(int(y.max()) + 1)]
    return plane(name, X, y.astype(np.int64), classes, ["x1", "x2"], seed, ratio)


BUMPS = ((-0.6, 0.4, 1), (0.0, 0.4, -1), (0.6, 0.4, 1),
         (-0.6, -0.4, -1), (0.0, -0.4, 1), (0.6, -0.4, -1))  # centre x1, x2 and sign


def bumps(X: np.ndarray, width: float = 0.25) -> np.ndarray:
    """The bumps data set's value at points X of [-1, 1]^2: Gaussian bumps of height
    +-1 (TensorFlow Playground's "multi Gaussian"), clipped to [-1, 1]."""
    value = sum(sign * np.exp(-((X[:, 0] - a) ** 2 + (X[:, 1] - b) ** 2) / (2 * width ** 2))
                for a, b, sign in BUMPS)
    return np.clip(value, -1, 1)


def features(X: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """The columns the network is fed, one per name of settings.FEATURES, computed from
    the standardized coordinates x1, x2 (the rows of X)."""
    x1, x2 = X[:, 0], X[:, 1]
    columns = {"x1": x1, "x2": x2, "x1sq": x1 ** 2, "x2sq": x2 ** 2, "x1x2": x1 * x2,
               "sinx1": np.sin(x1), "sinx2": np.sin(x2)}
    return np.column_stack([columns[name] for name in names])


def parse_csv(text: str, filename: str = "upload.csv") -> CsvTable:
    """Parse an uploaded CSV (two numeric feature columns and a label column, the last;
    an optional header row) with :func:`autograd_flow.data.read_csv`. Raises DataError
    naming the file, line and column of the first problem."""
    name = Path(filename).name or "upload.csv"
    handle, path = tempfile.mkstemp(suffix=".csv", prefix="playground-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        try:
            table = read_csv(path)
        except DataError as error:
            raise DataError(str(error).replace(path, name).replace(
                "choose it with --label-column", LABEL_RULE)) from None
    finally:
        os.unlink(path)
    if table.X.shape[1] != 2:
        raise DataError(f"{name} has {table.X.shape[1]} feature column(s) "
                        f"({', '.join(table.feature_names)}) besides the label column "
                        f"{table.label_name!r}: the playground draws a plane, so it needs "
                        "exactly two feature columns and the label in the last column")
    labels = table.labels
    if labels is None:  # read_csv(require_labels=True) always gives labels
        raise DataError(f"{name} has no label column")
    if len(np.unique(labels)) < 2:  # (encode_labels says so with numpy's repr)
        raise DataError(f"{name}: every example has the label {str(labels[0])!r}; a "
                        "classifier needs at least two classes")
    y, classes = encode_labels(labels, name)
    if len(classes) > MAX_CLASSES:
        raise DataError(f"{name} has {len(classes)} classes; the playground shows at most "
                        f"{MAX_CLASSES} (use 'autograd-flow train --dataset {name}')")
    if len(y) < 10:
        raise DataError(f"{name} has {len(y)} rows: the playground needs at least 10 to "
                        "split them into training and validation points")
    return CsvTable(name, table.X, y, [str(c) for c in classes], table.feature_names)


def from_csv(table: CsvTable, seed: int, ratio: int = RATIO) -> PlaneData:
    """The uploaded table as plane data (a random subset of MAX_CSV_POINTS rows when it
    has more)."""
    X, y, note = table.X, table.y, ""
    if len(y) > MAX_CSV_POINTS:
        keep = np.sort(np.random.default_rng(seed).permutation(len(y))[:MAX_CSV_POINTS])
        X, y = X[keep], y[keep]
        note = f"a random {MAX_CSV_POINTS} of the file's {len(table.y)} rows"
    data = plane(table.filename, X, y, table.classes, table.feature_names, seed, ratio)
    data.note = note
    return data


def plane(name: str, X: np.ndarray, y: np.ndarray, classes: list[str],
          feature_names: list[str], seed: int, ratio: int = RATIO) -> PlaneData:
    """Shuffle, keep ``ratio`` percent as training points and the rest (at least one
    each) as validation points, standardize with the training points' mean and standard
    deviation, and frame the plane around them."""
    order = np.random.default_rng([seed, 7]).permutation(len(y))
    n_valid = min(max(1, round((100 - ratio) / 100 * len(y))), len(y) - 1)
    train, valid = order[n_valid:], order[:n_valid]
    mean, std = standardization(X[train])  # data.py's: a constant column, huge values
    X = (X - mean) / std
    extent = float(np.ceil(np.percentile(np.abs(X), 99.5) * 1.15 * 2) / 2)
    return PlaneData(name, X[train], y[train], X[valid], y[valid], list(classes),
                     list(feature_names), max(extent, 1.0))
