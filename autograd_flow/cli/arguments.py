"""The option parsing that the sub-commands of the ``autograd-flow`` command line (see
:mod:`autograd_flow.cli`) share: option types, the data options of ``train`` and
``search`` (:func:`add_data_arguments`), the optimizer options, and helpers for the
settings a run saves."""
from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..data import TASKS


def layer_sizes(text: str) -> tuple[int, ...]:
    """``--hidden 100,50`` -> (100, 50): hidden layer sizes ("none" or "": no hidden
    layer; 0 is refused, since a layer of no units is a mistake, not a way to say none)."""
    if text.strip().lower() in ("", "none"):
        return ()
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give hidden sizes as comma-separated integers, e.g. 100,100") from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"{text!r}: every hidden size must be >= 1 (write "
                                         "'none' for no hidden layer)")
    return sizes


def non_negative(text: str) -> float:
    """An argparse type: a finite number >= 0 (a penalty weight, a tolerance)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text!r}: give a finite number >= 0")
    return value


def count(minimum: int = 1, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``minimum`` (and <= ``maximum``), e.g.
    ``--epochs``, ``--n-samples``, ``--trials``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and <= {maximum}" if maximum is not None else ""
            raise argparse.ArgumentTypeError(f"{text!r}: give a whole number >= {minimum}"
                                             f"{upper}")
        return value

    return parse


SEED = count(0, 2 ** 32 - 1)  # what numpy's generators and scikit-learn's splits take

#: the destinations of the options of :func:`add_data_arguments`, in their order
DATA_OPTIONS = ("dataset", "task", "label_column", "n_samples", "valid_fraction",
                "test_fraction")


@dataclass(frozen=True)
class DataHelp:
    """What a command's --help says of each data option: ``train`` and ``search`` word
    them for their own use; the options themselves (names, types, defaults, checks) are
    declared once, by :func:`add_data_arguments`."""

    dataset: str
    task: str
    label_column: str
    n_samples: str
    valid_fraction: str
    test_fraction: str
    n_samples_metavar: str | None = None  # None: argparse's own, N_SAMPLES


def add_data_arguments(parser: argparse.ArgumentParser,
                       texts: DataHelp) -> argparse._ArgumentGroup:
    """The "data" group of ``train`` and ``search``: --dataset (--data), --task,
    --label-column, --n-samples, --valid-fraction and --test-fraction (their
    destinations: :data:`DATA_OPTIONS`), described by ``texts``; returns the group."""
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", "--data", default=None, metavar="NAME|PATH",
                      help=texts.dataset)
    data.add_argument("--task", default=None, choices=TASKS, help=texts.task)
    data.add_argument("--label-column", default=None, metavar="NAME|INDEX",
                      help=texts.label_column)
    data.add_argument("--n-samples", type=count(), default=None,
                      metavar=texts.n_samples_metavar, help=texts.n_samples)
    data.add_argument("--valid-fraction", type=float, default=0.2,
                      help=texts.valid_fraction)
    data.add_argument("--test-fraction", type=float, default=0.2, help=texts.test_fraction)
    return data


def is_data_file(dataset: str) -> bool:
    """A .csv or .npz path rather than a built-in data set's name."""
    return dataset.lower().endswith((".csv", ".npz"))


def default_dataset(task: str | None) -> str:
    """The data set of train and search when --dataset is not given: digits, or diabetes
    for --task regression."""
    return "diabetes" if task == "regression" else "digits"


def dataset_setting(dataset: str) -> str:
    """The data set as a run saves it: a file as an absolute path, so --resume works
    from any folder."""
    return str(Path(dataset).resolve()) if is_data_file(dataset) else dataset


def default_run_dir(dataset: str, prefix: str = "") -> Path:
    """runs/<prefix><dataset>-<date>-<time> (made with
    :func:`autograd_flow.learn.runfolder.new_run_dir`, which adds -2, -3, ... when two runs
    start in the same second)."""
    stem = Path(dataset).stem if is_data_file(dataset) else dataset.replace(":", "")
    return Path("runs") / f"{prefix}{stem}-{time.strftime('%Y%m%d-%H%M%S')}"


def saved_penalty(model: Any, name: str, default: float = 0.0) -> float:
    """The penalty weight ``name`` ("l1", "l2") a saved model was trained with (its
    ``info["config"]``), or ``default`` when it does not say; a value that is not a
    number >= 0 is an error naming the model."""
    config = model.info.get("config")
    value = config.get(name, default) if isinstance(config, dict) else default
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not (math.isfinite(value) and value >= 0):
        raise ValueError(f"the model's training settings give {name} = {value!r}, not a "
                         f"number >= 0: give --{name}")
    return float(value)


def mark_origin(graph: Any, command: str) -> None:
    """Name the command as the place where the boxes of ``graph`` were made: the library
    built them, so each box's own record would point at the console script
    ("autograd-flow:6"), which tells a reader of a tooltip or an error nothing."""
    for box in graph.order:
        box.created_at = f"autograd-flow {command} (autograd_flow.learn.objective)"


def add_optimizer_arguments(group: Any, defaults: Any) -> None:
    """--optimizer, --lr, --momentum, --betas, --eps, --rmsprop-alpha (train's options)."""
    from ..optim.registry import (
        DEFAULT_LR,
        DEFAULT_MOMENTUM,
        DEFAULT_OPTIMIZER,
        OPTIMIZERS,
        TAKE_MOMENTUM,
    )

    group.add_argument("--optimizer", default=None, choices=OPTIMIZERS,
                       help="sgd (the lecture's, with momentum), adam, rmsprop or adagrad "
                            "(default: "
                            + ", ".join(f"{o} for {task}" for task, o in
                                        DEFAULT_OPTIMIZER.items())
                            + ": sgd at its default lr diverges on a squared error)")
    group.add_argument("--lr", type=float, default=None,
                       help="learning rate alpha (default: " + ", ".join(
                           f"{DEFAULT_LR[o]:g} for {o}" for o in OPTIMIZERS) + ")")
    group.add_argument("--momentum", type=float, default=None,
                       help="beta in bar_grad_t = grad_t + beta * bar_grad_(t-1) for sgd, "
                            "momentum for rmsprop, none for the others (default: "
                            + ", ".join(f"{DEFAULT_MOMENTUM[o]:g} for {o}"
                                        for o in TAKE_MOMENTUM) + ")")
    group.add_argument("--betas", type=_pair, default=defaults.betas, metavar="B1,B2",
                       help="adam: decay rates of the averages of the gradient and its "
                            "square")
    group.add_argument("--eps", type=float, default=defaults.eps,
                       help="adam, rmsprop and adagrad: added to the denominator")
    group.add_argument("--rmsprop-alpha", type=float, default=defaults.rmsprop_alpha,
                       help="rmsprop: smoothing constant of the mean square")


def _pair(text: str) -> tuple[float, float]:
    try:
        first, second = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give two numbers, e.g. 0.9,0.999") \
            from None
    return first, second
