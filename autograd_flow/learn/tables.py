"""Data tables from files: a CSV file (numeric features, one label column, an optional
header) or an NPZ file (arrays ``X`` and ``y``), read into a :class:`Table` of raw
features and labels. Every problem is a :class:`DataError` that says what and where
(file, line, column); NPZ files are read without pickles.
"""
from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError
from .files import CORRUPT_ERRORS, check_npz

LARGEST_EXACT_INTEGER = 2 ** 53  # the whole numbers a float64 holds exactly


@dataclass
class Table:
    """Raw features and labels as read from a data set, before any split."""

    X: np.ndarray
    labels: np.ndarray | None
    feature_names: list[str]
    label_name: str | None
    source: str


def as_number(text: str) -> float | None:
    """The number ``text`` reads as, or None."""
    try:
        return float(text)
    except ValueError:
        return None


def csv_columns(path: str | Path) -> list[str]:
    """The column names of a CSV file ("column 0", "column 1", ... without a header)."""
    return _csv_rows(Path(path))[0]


def _csv_rows(path: Path) -> tuple[list[str], bool, list[tuple[int, list[str]]]]:
    """(column names, has a header, [(line number, cells)] of the data rows)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            rows = [(reader.line_num, row) for row in reader
                    if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"cannot read the CSV file {path}: {error}") from None
    if not rows:
        raise DataError(f"the CSV file {path} is empty")
    first = rows[0][1]
    second = rows[1][1] if len(rows) > 1 else first
    has_header = all(as_number(c) is None for c in first) or any(
        as_number(a) is None and as_number(b) is not None for a, b in zip(first, second))
    names = [c.strip() for c in first] if has_header else [
        f"column {i}" for i in range(len(first))]
    data = rows[1:] if has_header else rows
    if not data:
        raise DataError(f"the CSV file {path} has a header but no data rows")
    for line, row in data:
        if len(row) != len(names):
            raise DataError(f"{path}, line {line}: {len(row)} values where the "
                            f"{'header' if has_header else 'first row'} has {len(names)}")
    return names, has_header, data


def read_csv(path: str | Path, label_column: str | int | None = None, *,
             require_labels: bool = True) -> Table:
    """Read a CSV file: one row per example, numeric features, one label column
    (``label_column`` by header name or 0-based index, negative from the end; default the
    last column). The first row is a header when it has text where data rows have numbers.
    With ``require_labels=False`` and no ``label_column``, every column is a feature."""
    path = Path(path)
    names, has_header, data = _csv_rows(path)
    width = len(names)
    label = None
    if label_column is not None or require_labels:
        label = _column_index(path, names, has_header, label_column)
    features = [i for i in range(width) if i != label]
    if not features:
        raise DataError(f"{path} has no feature columns besides the label column")
    try:
        X = np.array([[row[i] for i in features] for _, row in data], dtype=np.float64)
    except ValueError:  # find the first cell that is not a number, to say where it is
        for line, row in data:
            for i in features:
                cell = row[i].strip()
                if as_number(cell) is None:
                    what = "an empty cell" if not cell else f"the non-numeric value {cell!r}"
                    raise DataError(f"{path}, line {line}, column {names[i]!r}: {what}; "
                                    "features must be numbers (is this the label column? "
                                    "choose it with --label-column)") from None
        raise
    table = Table(X, None, [names[i] for i in features],
                  None if label is None else names[label], str(path))
    if label is not None:
        table.labels = np.array([row[label].strip() for _, row in data])
        empty = np.flatnonzero(table.labels == "")
        if empty.size:
            raise DataError(f"{path}, line {data[empty[0]][0]}: the label "
                            f"({names[label]!r}) is empty")
    _check_finite(table, lambda r: f"line {data[r][0]}")
    return table


def _column_index(path: Path, names: list[str], has_header: bool,
                  label_column: str | int | None) -> int:
    if label_column is None:
        return len(names) - 1
    if isinstance(label_column, str) and label_column in names:
        return names.index(label_column)
    try:
        index = int(label_column)
    except ValueError:
        available = ", ".join(repr(n) for n in names) if has_header else "none (no header row)"
        raise DataError(f"{path} has no column named {label_column!r}; its column names: "
                        f"{available}. Give the label column by name or 0-based index.") \
            from None
    if not -len(names) <= index < len(names):
        raise DataError(f"{path} has {len(names)} columns, so label column index {index} "
                        f"does not exist (use 0..{len(names) - 1}, or -1 for the last)")
    return index % len(names)


def read_npz(path: str | Path, *, require_labels: bool = True) -> Table:
    """Read a ``.npz`` file with a 2-D numeric array ``X`` and a 1-D array ``y`` of
    labels (``y`` may be absent when ``require_labels`` is False). No pickles: the
    archive is checked before numpy reads it (:func:`autograd_flow.learn.files.check_npz`)."""
    path = Path(path)
    shapes = check_npz(path, f"the NPZ file {path}", DataError,
                       " (a CSV file? give it the .csv suffix)")
    if "X" not in shapes or (require_labels and "y" not in shapes):
        raise DataError(f"{path} must hold arrays named 'X' (features) and 'y' "
                        f"(labels); it holds {', '.join(shapes) or 'nothing'}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            X = npz["X"]
            labels = npz["y"] if "y" in shapes else None
    except (OSError, ValueError, *CORRUPT_ERRORS) as error:
        raise DataError(f"cannot read the NPZ file {path}: it is truncated or corrupted "
                        f"({type(error).__name__})") from None
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        raise DataError(f"{path}: 'X' must be a 2-D numeric array (examples x features), "
                        f"got shape {X.shape} dtype {X.dtype}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise DataError(f"{path}: 'X' has shape {X.shape}: there are no "
                        f"{'examples (rows)' if X.shape[0] == 0 else 'features (columns)'}")
    if labels is not None:
        if labels.ndim != 1 or len(labels) != len(X):
            raise DataError(f"{path}: 'y' must be 1-D with one label per row of X "
                            f"({len(X)}), got shape {labels.shape}")
        if labels.dtype.kind not in "biufUS":
            raise DataError(f"{path}: 'y' must hold numbers or text, got dtype {labels.dtype}")
        if labels.dtype.kind == "f" and not np.isfinite(labels).all():
            row = int(np.flatnonzero(~np.isfinite(labels))[0])
            raise DataError(f"{path}: y[{row}] is {labels[row]}: labels must be finite")
        labels = _whole_numbers_as_ints(labels)
    table = Table(X.astype(np.float64), labels,
                  [f"x{i + 1}" for i in range(X.shape[1])], "y", str(path))
    _check_finite(table, lambda r: f"row {r} of X")
    return table


def _whole_numbers_as_ints(labels: np.ndarray) -> np.ndarray:
    """Float labels that are all whole numbers (1.0, 2.0) that an int64 holds exactly
    (|y| <= 2**53) as ints; others unchanged."""
    if labels.dtype.kind == "f" and np.all(labels == np.round(labels)) and \
            np.all(np.abs(labels) <= LARGEST_EXACT_INTEGER):
        return labels.astype(np.int64)
    return labels


def _check_finite(table: Table, where: Callable[[int], str]) -> None:
    bad = ~np.isfinite(table.X)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(f"{table.source}, {where(r)}, column {table.feature_names[c]!r}: "
                        f"{table.X[r, c]} (NaN or infinite); {int(bad.sum())} such value(s) "
                        "in all. Remove or impute them first.")
