"""Data sets with no download, split into train / valid / test (lecture, model selection).

``load_dataset(name_or_path)`` accepts "digits" (scikit-learn's bundled 8x8 digits),
the synthetic 2-D sets "moons", "circles", "spirals" (3 arms; "spirals:K" for K arms),
"xor", "diabetes" (scikit-learn's bundled regression set), or the path of a ``.csv`` file (a
label column, the other columns numeric features, optional header row) or a ``.npz``
file (arrays ``X`` and ``y``).

The splits hold the data as it is: raw features and the data's own labels (or float
targets for regression). Standardizing is the model's job:
:func:`autograd_flow.learn.training.train` computes the training split's mean and
standard deviation (:func:`standardization`) and the model applies them to every input,
so ``model.predict(splits.X_test)`` is right.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .learn.memory import check_fits
from .learn.tables import (
    LARGEST_EXACT_INTEGER,
    DataError,
    Table,
    as_number,
    csv_columns,
    read_csv,
    read_npz,
)

__all__ = ["DataError", "Table", "Splits", "load_dataset", "read_dataset", "read_csv",
           "read_npz", "csv_columns", "standardization", "encode_labels", "targets",
           "split_indices", "make_spirals", "natural_task", "check_seed", "NAMES", "TASKS"]

SYNTHETIC = ("moons", "circles", "spirals", "xor")
REGRESSION = ("diabetes",)
NAMES = ("digits",) + SYNTHETIC + REGRESSION
TASKS = ("classification", "regression")
DEFAULT_SYNTHETIC_SAMPLES = 1000
_BYTES_PER_POINT = 200  # a synthetic point while it is drawn and split: ~12 float64 copies


@dataclass
class Splits:
    """Train / valid / test splits as in the data: raw float features, and the data's own
    labels (classification: ints, strings, ... as read; ``classes`` lists them sorted) or
    float targets (regression). Standardizing is left to the model (see module doc)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str
    task: str = "classification"
    classes: np.ndarray = field(default_factory=lambda: np.array([]))
    feature_names: list[str] = field(default_factory=list)
    label_column: str | None = None
    seed: int = 0
    n_samples: int | None = None
    valid_fraction: float = 0.2
    test_fraction: float = 0.2

    @property
    def n_features(self) -> int:
        """Features per example."""
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        """Classes of a classification task (0 for regression)."""
        return len(self.classes)

    @property
    def n_outputs(self) -> int:
        """Outputs of a model of this data: one per class, or one per target."""
        if self.task == "classification":
            return self.n_classes
        return 1 if self.y_train.ndim == 1 else int(self.y_train.shape[1])

    def summary(self) -> str:
        """One line: the name, the split sizes, and the classes or the target."""
        what = (f"{self.n_classes} classes" if self.task == "classification"
                else f"regression of {self.label_column or 'the target'}")
        return (f"{self.name}: {len(self.y_train)} train / {len(self.y_valid)} valid / "
                f"{len(self.y_test)} test examples, {self.n_features} features, {what}")


def standardization(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) of each column of ``X`` (the training features); a constant column
    (e.g. a blank pixel) gets std 1, so it stays 0 once standardized. Each column is
    scaled by its largest magnitude first, so values up to the largest float (1e300)
    give a finite mean and std instead of an overflow (squares of 1e300 are infinite)."""
    X = np.asarray(X, dtype=np.float64)
    if not len(X):
        raise DataError("cannot standardize features of no examples")
    scale = np.max(np.abs(X), axis=0)
    scale[(scale == 0) | ~np.isfinite(scale)] = 1.0
    scaled = X / scale
    mean = scaled.mean(axis=0) * scale
    std = scaled.std(axis=0) * scale
    std[std == 0] = 1.0
    return mean, std


def check_seed(seed: int) -> None:
    """Raise DataError unless ``seed`` is a whole number in [0, 2**32 - 1] (what the
    generators and scikit-learn's splits take)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) \
            or not 0 <= seed < 2 ** 32:
        raise DataError(f"the seed must be a whole number from 0 to {2 ** 32 - 1}, "
                        f"got {seed!r}")


def make_spirals(n_samples: int = DEFAULT_SYNTHETIC_SAMPLES, n_arms: int = 3,
                 noise: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """K interleaved spiral arms in 2-D (the lecture's training demo): arm k has radius
    r in [0, 1] and angle 4 r + 2 pi k / K (plus Gaussian noise on the angle)."""
    if n_arms < 2:
        raise DataError(f"spirals need at least 2 arms, got {n_arms}")
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % n_arms
    r = rng.uniform(0.05, 1.0, n_samples)
    angle = 4.0 * r + 2 * np.pi * y / n_arms + noise * rng.standard_normal(n_samples)
    X = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    return X, y


def make_xor(n_samples: int = DEFAULT_SYNTHETIC_SAMPLES, noise: float = 0.1,
             seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """XOR in 2-D: points uniform in [-1, 1]^2, class 1 where x1 * x2 > 0 (the first and
    third quadrants), then Gaussian noise of standard deviation ``noise`` on the points.
    No line separates the classes; one hidden layer of two units can."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n_samples, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return X + noise * rng.standard_normal(X.shape), y


def natural_task(name_or_path: str) -> str:
    """The task a data set is made for: "regression" for diabetes, else "classification"."""
    return "regression" if str(name_or_path) in REGRESSION else "classification"


def load_dataset(name_or_path: str = "digits", *, task: str | None = None, seed: int = 0,
                 label_column: str | int | None = None, n_samples: int | None = None,
                 valid_fraction: float = 0.2, test_fraction: float = 0.2) -> Splits:
    """Load a data set and split it into train / valid / test with ``seed`` (stratified by
    class for classification, when every class allows it).

    ``task``: "classification" or "regression" (default: the data set's own, see
    :func:`natural_task`; a file's label column is read as classes unless
    ``task="regression"``). ``n_samples``: how many points a synthetic set draws
    (default 1000); for the other sets, a random subset of that size (default: all rows;
    more rows than the set has is an error).
    """
    task = natural_task(name_or_path) if task is None else task
    if task not in TASKS:
        raise DataError(f"unknown task {task!r}: choose classification or regression")
    check_seed(seed)
    if not all(isinstance(f, (int, float, np.number)) and not isinstance(f, bool)
               for f in (valid_fraction, test_fraction)) or not (
            0 < valid_fraction < 1 and 0 < test_fraction < 1
            and valid_fraction + test_fraction < 1):
        raise DataError(f"valid_fraction ({valid_fraction}) and test_fraction "
                        f"({test_fraction}) must be in (0, 1) and sum to less than 1")
    table = read_dataset(name_or_path, seed=seed, label_column=label_column,
                         n_samples=n_samples)
    if table.labels is None:
        raise DataError(f"{table.source} has no labels to train on")
    if task == "classification":
        codes, classes = encode_labels(table.labels, table.source)
        if len(classes) > max(20, 0.2 * len(codes)):
            raise DataError(f"{table.source}: {len(classes)} distinct labels for "
                            f"{len(codes)} examples is not a classification task (fewer "
                            "than 5 examples per class): for a numeric target use "
                            "task='regression' (--task regression)")
        labels: np.ndarray = classes[codes]
        strata: np.ndarray | None = codes
    else:
        labels, classes, strata = targets(table.labels, table.source), np.array([]), None
    X = table.X
    if len(X) == 0 or X.shape[1] == 0:
        raise DataError(f"{table.source} has {len(X)} examples of {X.shape[1]} features: "
                        "nothing to train on")
    if n_samples is not None and not _is_synthetic(name_or_path) and n_samples > len(X):
        raise DataError(f"{table.source} has {len(X):,} examples, fewer than the "
                        f"{n_samples:,} asked for with n_samples (--n-samples): ask for at "
                        f"most {len(X):,}, or leave it out to use them all")
    if n_samples is not None and not _is_synthetic(name_or_path) and n_samples < len(X):
        keep = np.sort(np.random.default_rng(seed).permutation(len(X))[:n_samples])
        X, labels = X[keep], labels[keep]
        strata = None if strata is None else strata[keep]
    train, valid, test = split_indices(len(X), strata, seed=seed,
                                       valid_fraction=valid_fraction,
                                       test_fraction=test_fraction, source=table.source)
    return Splits(
        X_train=X[train], y_train=labels[train], X_valid=X[valid], y_valid=labels[valid],
        X_test=X[test], y_test=labels[test], name=_display_name(name_or_path), task=task,
        classes=classes, feature_names=table.feature_names, label_column=table.label_name,
        seed=seed, n_samples=n_samples, valid_fraction=valid_fraction,
        test_fraction=test_fraction)


def read_dataset(name_or_path: str, *, seed: int = 0, label_column: str | int | None = None,
                 n_samples: int | None = None, require_labels: bool = True) -> Table:
    """The raw (unsplit, unstandardized) table of a named data set or a file."""
    name = str(name_or_path)
    if n_samples is not None and (isinstance(n_samples, bool) or not isinstance(
            n_samples, (int, np.integer)) or n_samples < 1):
        raise DataError(f"n_samples must be a whole number >= 1, got {n_samples!r}")
    if label_column is not None and not name.lower().endswith(".csv"):
        raise DataError(f"a label column ({label_column!r}) can only be chosen in a CSV "
                        f"file, not in {name!r}")
    if name == "digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        return Table(digits.data.astype(np.float64), digits.target.astype(np.int64),
                     [f"pixel{i}" for i in range(64)], "digit", "digits")
    if name == "diabetes":
        from sklearn.datasets import load_diabetes

        diabetes = load_diabetes(scaled=False)
        return Table(diabetes.data.astype(np.float64), diabetes.target.astype(np.float64),
                     list(diabetes.feature_names), "progression", "diabetes")
    if _is_synthetic(name):
        n_points = n_samples or DEFAULT_SYNTHETIC_SAMPLES
        check_fits(n_points * _BYTES_PER_POINT, f"{n_points:,} points of {name}",
                   "ask for fewer with n_samples (--n-samples)")
        X, y = _synthetic(name, n_points, seed)
        return Table(X, y.astype(np.int64), ["x1", "x2"], "class", name)
    path = Path(name)
    if path.suffix.lower() == ".csv":
        return read_csv(path, label_column, require_labels=require_labels)
    if path.suffix.lower() == ".npz":
        return read_npz(path, require_labels=require_labels)
    raise DataError(f"unknown data set {name!r}: use one of {', '.join(NAMES)} "
                    "(spirals:K for K arms), or the path of a .csv or .npz file")


def _is_synthetic(name: str) -> bool:
    return name in SYNTHETIC or name.startswith("spirals:")


def _display_name(name: str) -> str:
    return Path(name).stem if Path(name).suffix.lower() in (".csv", ".npz") else name


def _synthetic(name: str, n_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_circles, make_moons

    if name == "moons":
        return make_moons(n_samples, noise=0.2, random_state=seed)
    if name == "circles":
        return make_circles(n_samples, noise=0.1, factor=0.5, random_state=seed)
    if name == "xor":
        return make_xor(n_samples, seed=seed)
    arms = name.partition(":")[2] or "3"
    if not arms.isdigit():
        raise DataError(f"{name!r}: write spirals:K with K the number of arms, e.g. spirals:4")
    return make_spirals(n_samples, n_arms=int(arms), seed=seed)


def encode_labels(labels: np.ndarray, source: str = "the data") -> tuple[np.ndarray, np.ndarray]:
    """Class codes 0..C-1 of ``labels`` and the classes: (codes, classes) with
    ``classes[codes]`` the labels. Classes are sorted: numbers by value, text
    alphabetically, and text that reads as whole numbers by value, written canonically
    ("10.0" is the class "10"). At least two classes are needed."""
    labels = np.asarray(labels)
    if labels.dtype.kind == "f":
        if not (np.isfinite(labels).all() and np.all(labels == np.round(labels))):
            raise DataError(f"{source}: the labels are not whole numbers (e.g. "
                            f"{labels[~(labels == np.round(labels))][:1]}): classification "
                            "needs class labels (use the regression task for a number)")
        _check_label_size(labels, source)
        labels = labels.astype(np.int64)
    if labels.dtype.kind in "USO":
        text = np.char.strip(labels.astype(str))
        names, codes = np.unique(text, return_inverse=True)
        numbers = [as_number(n) for n in names]
        if all(v is not None for v in numbers):
            if not all(v is not None and math.isfinite(v) and v == round(v) for v in numbers):
                raise DataError(f"{source}: the labels are not whole numbers "
                                f"(e.g. {names[0]!r}): classification needs class labels "
                                "(use the regression task for a number)")
            _check_label_size(np.array(numbers, dtype=np.float64), source)
            values, codes = np.unique(np.array(numbers, dtype=np.int64)[codes],
                                      return_inverse=True)
            names = values.astype(str)
        classes: np.ndarray = names
    else:
        classes, codes = np.unique(labels, return_inverse=True)
    if len(classes) < 2:
        raise DataError(f"{source}: every example has the label {classes[0]!r}; a classifier "
                        "needs at least two classes")
    return codes.astype(np.int64).reshape(-1), classes


def _check_label_size(values: np.ndarray, source: str) -> None:
    """Whole-number class labels must fit an int64 exactly (|label| <= 2**53)."""
    large = np.abs(values) > LARGEST_EXACT_INTEGER
    if large.any():
        raise DataError(f"{source}: the label {values[large][0]:g} is too large for a class "
                        f"label (whole numbers up to 2**53 are): for a numeric target use "
                        "the regression task (--task regression)")


def targets(labels: np.ndarray, source: str = "the data") -> np.ndarray:
    """The regression targets as float64 (text must read as numbers)."""
    labels = np.asarray(labels)
    if labels.dtype.kind in "biuf":
        return labels.astype(np.float64)
    values = [as_number(str(v)) for v in labels]
    bad = next((i for i, v in enumerate(values) if v is None or not math.isfinite(v)), None)
    if bad is not None:
        raise DataError(f"{source}, example {bad}: the target {str(labels[bad])!r} is not a "
                        "finite number (regression needs numeric targets)")
    return np.array(values, dtype=np.float64)


def split_indices(n: int, strata: np.ndarray | None, *, seed: int, valid_fraction: float,
                  test_fraction: float, source: str = "the data"
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shuffled row indices of (train, valid, test), stratified by ``strata`` (class
    codes) when every class allows it."""
    n_test = math.ceil(test_fraction * n)
    n_valid = math.ceil(valid_fraction * n)
    if n - n_test - n_valid < 1 or n_test < 1 or n_valid < 1:
        raise DataError(f"{source} has {n} examples: too few for a train / valid / test "
                        f"split with valid_fraction={valid_fraction} and "
                        f"test_fraction={test_fraction} (each split needs at least one)")
    rest, test = split_rows(np.arange(n), strata, n_test, seed)
    train, valid = split_rows(rest, None if strata is None else strata[rest], n_valid, seed + 1)
    return train, valid, test


def split_rows(index: np.ndarray, strata: np.ndarray | None, size: int,
               seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``index`` shuffled into (the rest, ``size`` held out), stratified by ``strata``
    when every class allows it (scikit-learn's train_test_split)."""
    from sklearn.model_selection import train_test_split

    parts: list[np.ndarray]
    try:
        parts = train_test_split(index, test_size=size, random_state=seed, stratify=strata)
    except ValueError:  # a class too small to stratify: fall back to a plain shuffle
        parts = train_test_split(index, test_size=size, random_state=seed)
    return parts[0], parts[1]
