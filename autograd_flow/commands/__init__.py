"""Sub-commands of the ``autograd-flow`` command line (see :mod:`autograd_flow.cli`),
and the option parsing they share."""
from __future__ import annotations

import argparse
import time
from pathlib import Path


def layer_sizes(text: str) -> tuple[int, ...]:
    """``--hidden 100,50`` -> (100, 50): hidden layer sizes ("" or 0: no hidden layer)."""
    if text.strip().lower() in ("", "none", "0"):
        return ()
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give hidden sizes as comma-separated integers, e.g. 100,100") from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"{text!r}: every hidden size must be >= 1")
    return sizes


def is_data_file(dataset: str) -> bool:
    """A .csv or .npz path rather than a built-in data set's name."""
    return dataset.lower().endswith((".csv", ".npz"))


def dataset_setting(dataset: str) -> str:
    """The data set as a run saves it: a file as an absolute path, so --resume works
    from any folder."""
    return str(Path(dataset).resolve()) if is_data_file(dataset) else dataset


def default_run_dir(dataset: str, prefix: str = "") -> Path:
    """runs/<prefix><dataset>-<date>-<time>."""
    stem = Path(dataset).stem if is_data_file(dataset) else dataset.replace(":", "")
    return Path("runs") / f"{prefix}{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
