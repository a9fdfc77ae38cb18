"""Training the lecture's way: empirical risk minimization with SGD and early stopping.

The objective of one mini-batch B is (lecture, empirical risk minimization)

    1/|B| sum_{t in B} l(f(x^(t)), y^(t)) + lambda_1 Omega_1(theta) + lambda_2 Omega_2(theta)

with l the softmax cross-entropy (classification) or the squared error of the
standardized target (regression), and Omega_1 = sum |W|, Omega_2 = sum W**2 on the
weights only (never the biases). Features are standardized with the training split's
statistics, inside the model (so it takes raw features). Each epoch visits the
training examples once in an order shuffled by a seeded generator; after each epoch
the validation error (the error rate, or the mean squared error) decides early
stopping ("stop when the validation error increases, with some look ahead") and the
best parameters are restored at the end. The flow graph is built once and reused for
every step and every evaluation. With a run folder, a checkpoint is written atomically
after every epoch and ``resume=True`` continues bit for bit where it stopped.
"""
from __future__ import annotations

import csv
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Splits
from ..errors import NonFiniteError
from ..extras import progress_bar
from ..io import RUN_MODEL, save_model
from ..nn import ACTIVATIONS, MLP
from ..optim import Optimizer
from ..optim.base import check_fraction, check_schedule
from ..optim.registry import (
    DEFAULT_LR,
    DEFAULT_MOMENTUM,
    OPTIMIZER_BUFFERS,
    OPTIMIZERS,
    TAKE_MOMENTUM,
    make_optimizer,
)
from .checkpoint import TrainingState, fingerprint, load_checkpoint, save_checkpoint
from .files import atomic_file, write_json
from .memory import check_fits, describe_sizes, mlp_bytes
from .model import Model
from .objective import Objective, evaluate, objective, prepare

CHECKPOINT = "checkpoint.npz"
MODEL = RUN_MODEL  # model.npz
METRICS = "metrics.json"
HISTORY = "history.csv"
DTYPES = ("float32", "float64")


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run (see the module doc for the objective).

    ``hidden``: sizes H_1..H_L of the hidden layers; ``optimizer``: "sgd", "adam",
    "rmsprop" or "adagrad"; ``lr``: alpha (default 0.1 for SGD, 0.001 for Adam and
    RMSprop, 0.01 for Adagrad); ``momentum``: beta of SGD (default 0.9) or RMSprop's
    momentum (default 0; Adam and Adagrad have none); ``betas``, ``eps``: Adam's (eps
    also RMSprop's and Adagrad's); ``rmsprop_alpha``: RMSprop's smoothing constant;
    ``decay``: None, "inverse" or "power" with ``decay_rate`` delta, or "linear", "step"
    or "cosine" to ``decay_rate`` * alpha over ``decay_steps`` updates, after ``warmup``
    updates (any optimizer); ``batch_size`` 1 is per-example SGD;
    ``epochs``: the most epochs; ``l1``/``l2``: lambda of each penalty; ``patience``:
    epochs without a better validation error before stopping; ``dtype``: "float32" or
    "float64".
    The defaults are those of ``autograd-flow train`` (2.22% test error on digits); for
    regression the command line and ``MLPRegressor`` choose Adam instead of SGD (see
    ``DEFAULT_OPTIMIZER``): give ``optimizer="adam"`` here too.
    """

    hidden: tuple[int, ...] = (100,)
    activation: str = "tanh"
    optimizer: str = "sgd"
    lr: float | None = None
    momentum: float | None = None
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    rmsprop_alpha: float = 0.99
    decay: str | None = None
    decay_rate: float = 0.0
    warmup: int = 0
    decay_steps: int = 0
    batch_size: int = 32
    epochs: int = 100
    l1: float = 0.0
    l2: float = 1e-4
    patience: int = 20
    seed: int = 0
    dtype: str = "float32"

    def __post_init__(self) -> None:
        try:
            sizes = None if isinstance(self.hidden, (str, bytes)) else list(self.hidden)
        except TypeError:  # not a sequence
            sizes = None
        if sizes is None or not all(_whole(h) and h >= 1 for h in sizes):
            raise ValueError(f"hidden must be a list of layer sizes (whole numbers >= 1), got "
                             f"{self.hidden!r}")
        self.hidden = tuple(int(h) for h in sizes)
        for name in ("batch_size", "epochs", "patience"):
            if not _whole(getattr(self, name)) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {getattr(self, name)}")
        if not _whole(self.seed) or not 0 <= self.seed < 2 ** 32:
            raise ValueError(f"seed must be a whole number from 0 to {2 ** 32 - 1}, got "
                             f"{self.seed!r}")
        for name in ("l1", "l2"):
            if not (getattr(self, name) >= 0 and math.isfinite(getattr(self, name))):
                raise ValueError(f"{name} (a penalty weight lambda) must be >= 0, "
                                 f"got {getattr(self, name)}")
        self.dtype = np.dtype(self.dtype).name
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}: choose one of "
                             f"{', '.join(ACTIVATIONS)}")
        self._check_optimizer()

    def _check_optimizer(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}: choose one of "
                             f"{', '.join(OPTIMIZERS)}")
        if self.optimizer not in TAKE_MOMENTUM and self.momentum:
            why = " (its beta1, betas[0], averages the gradients)" \
                if self.optimizer == "adam" else ""
            raise ValueError(f"{self.optimizer.capitalize()} takes no momentum{why}: leave "
                             "momentum unset or use sgd or rmsprop")
        self.lr = DEFAULT_LR[self.optimizer] if self.lr is None else float(self.lr)
        self.momentum = (DEFAULT_MOMENTUM[self.optimizer] if self.momentum is None
                         else float(self.momentum))
        check_schedule(self.lr, self.decay, self.decay_rate, self.warmup, self.decay_steps)
        check_fraction("momentum (beta)", self.momentum)
        self.betas = (float(self.betas[0]), float(self.betas[1]))
        check_fraction("betas[0] (beta1)", self.betas[0])
        check_fraction("betas[1] (beta2)", self.betas[1])
        check_fraction("rmsprop_alpha", self.rmsprop_alpha, closed=True)
        if not (self.eps >= 0 and math.isfinite(self.eps)):
            raise ValueError(f"eps must be a finite number >= 0, got {self.eps}")


def _whole(value: Any) -> bool:
    """Whether ``value`` is a whole number (an int, or a float such as 3.0; not a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return False
    return math.isfinite(value) and int(value) == value


def check_training_memory(config: TrainConfig, splits: Splits) -> None:
    """Raise :class:`~autograd_flow.learn.memory.TooLargeError` when training the MLP of
    ``config`` on ``splits`` cannot fit in memory (checked before anything is built):
    its parameters with their gradients, optimizer state and best copy, and the
    values of every unit for the largest split (evaluated at once) and a mini-batch."""
    sizes = [splits.n_features, *config.hidden, splits.n_outputs]
    itemsize = np.dtype(config.dtype).itemsize
    buffers = len(OPTIMIZER_BUFFERS[config.optimizer])
    rows = max(len(splits.y_train), len(splits.y_valid), len(splits.y_test))
    needed = (mlp_bytes(sizes, itemsize, copies=4 + buffers)
              + mlp_bytes(sizes, itemsize, rows=rows, copies=0, row_copies=4)
              + mlp_bytes(sizes, itemsize, rows=config.batch_size, copies=0, row_copies=8))
    check_fits(needed, f"training {describe_sizes(sizes)} in {config.dtype} on {rows:,} "
               "examples", "use smaller hidden layers (--hidden) or less data (--n-samples)")


def training_fingerprint(splits: Splits) -> str:
    """The fingerprint of the training and validation data a checkpoint records."""
    return fingerprint(splits.X_train, splits.y_train, splits.X_valid, splits.y_valid)


def optimizer_of(config: TrainConfig, params: Sequence[Any]) -> Optimizer:
    """The optimizer ``config`` describes, on ``params``."""
    return make_optimizer(config.optimizer, params, lr=float(config.lr or 0.0),
                          momentum=float(config.momentum or 0.0), decay=config.decay,
                          decay_rate=config.decay_rate, warmup=config.warmup,
                          decay_steps=config.decay_steps, betas=config.betas, eps=config.eps,
                          rmsprop_alpha=config.rmsprop_alpha)


@dataclass
class TrainResult:
    """What :func:`train` returns: the model with the best validation parameters and
    the per-epoch ``history`` (dicts: epoch, train_loss, train_error, valid_loss,
    valid_error, [train_r2, valid_r2,] lr). The error is the error rate, or for
    regression the mean squared error in the target's units (``r2`` then holds R^2 per
    split). ``stopped`` is "early" or "epochs"."""

    config: TrainConfig
    model: Model
    history: list[dict[str, Any]]
    best_epoch: int
    train_error: float
    valid_error: float
    test_error: float | None
    stopped: str
    seconds: float = 0.0
    run_dir: Path | None = None
    objective: Objective | None = field(default=None, repr=False)
    task: str = "classification"
    r2: dict[str, float | None] = field(default_factory=dict)


def train(config: TrainConfig, splits: Splits, *, run_dir: str | Path | None = None,
          progress: bool = False, resume: bool = False,
          evaluate_test: bool = True, jit: bool = False) -> TrainResult:
    """Train an MLP on ``splits`` with ``config`` (deterministic given ``config.seed``).

    The splits hold raw features: the model standardizes them itself, so
    ``result.model.predict(splits.X_test)`` gives the test predictions. A split without
    validation examples trains for every epoch and keeps the last. With ``run_dir``: a
    checkpoint after every epoch, then ``model.npz``, ``metrics.json`` and
    ``history.csv``; ``resume=True`` continues from the checkpoint there. A NaN or Inf
    loss raises :class:`~autograd_flow.NonFiniteError` naming the epoch and step; the
    last good checkpoint stays on disk. ``jit=True``: each update is one compiled call
    (fprop, bprop and the update; the ``jit`` extra), with the same numbers to float
    rounding.
    """
    started = time.perf_counter()
    dtype = np.dtype(config.dtype)
    run_dir = None if run_dir is None else Path(run_dir)
    if resume and run_dir is None:
        raise ValueError("resume=True needs the run folder (run_dir) to resume from")
    check_training_memory(config, splits)
    data = prepare(splits, dtype)
    train_set, valid_set = data.sets["train"], data.sets["valid"]
    mlp = MLP([splits.n_features, *config.hidden, splits.n_outputs], config.activation,
              seed=config.seed, dtype=dtype)
    obj = objective(mlp, config.l1, config.l2, task=splits.task, jit=jit)
    if splits.task == "regression":
        obj.target_scale = data.target_std ** 2
    optimizer = optimizer_of(config, mlp.parameters)
    state = TrainingState(rng=np.random.default_rng([config.seed, 1]))
    checkpoint = None if run_dir is None else run_dir / CHECKPOINT
    data_id = training_fingerprint(splits)
    if checkpoint is not None and resume:
        load_checkpoint(checkpoint, config, data_id, mlp, optimizer, state)

    stopped = "early" if state.bad_epochs >= config.patience else "epochs"
    validating = len(valid_set[1]) > 0
    with progress_bar(total=config.epochs, initial=min(state.epoch, config.epochs),
                      unit="epoch", desc=f"train {splits.name}", disable=not progress,
                      leave=False) as bar:
        first = config.epochs + 1 if stopped == "early" else state.epoch + 1
        for epoch in range(first, config.epochs + 1):
            lr = optimizer.learning_rate()
            with np.errstate(all="ignore"):  # non-finite values are reported instead
                _run_epoch(obj, optimizer, train_set, config.batch_size, state.rng,
                           epoch, checkpoint)
                row = _evaluate_epoch(obj, optimizer, train_set, valid_set, epoch,
                                      checkpoint)
            state.history.append({"epoch": epoch, **row, "lr": lr})
            score = (row["valid_error"], row["valid_loss"])  # ties go to the lower loss
            if not validating:  # nothing to choose with: keep the last epoch
                state.best_epoch, state.best_values = epoch, None
            elif score < state.best_score:
                state.best_score, state.best_epoch, state.best_values = \
                    score, epoch, mlp.get_values()
                state.bad_epochs = 0
            else:
                state.bad_epochs += 1
            state.epoch = epoch
            if checkpoint is not None:
                save_checkpoint(checkpoint, config, data_id, mlp, optimizer, state)
            bar.update(1)
            shown = row["valid_error"] if validating else row["train_error"]
            bar.set_postfix(loss=f"{row['train_loss']:.4g}", error=_format_error(
                shown, splits.task))
            if state.bad_epochs >= config.patience:
                stopped = "early"
                break
    if state.best_values is not None:
        mlp.set_values(state.best_values)
    scores = {name: evaluate(obj, *data.sets[name]) for name in ("train", "valid", "test")
              if name != "test" or evaluate_test}
    info = {"dataset": splits.name, "task": splits.task, "seed": splits.seed,
            "n_samples": splits.n_samples, "label_column": splits.label_column,
            "valid_fraction": splits.valid_fraction, "test_fraction": splits.test_fraction,
            "config": asdict(config)}
    model = Model(mlp, data.mean, data.std, splits.classes if splits.task ==
                  "classification" else None, splits.feature_names, info, task=splits.task,
                  target_mean=data.target_mean, target_std=data.target_std,
                  single_target=np.ndim(splits.y_train) == 1)
    result = TrainResult(
        config, model, state.history, state.best_epoch, scores["train"]["error"],
        scores["valid"]["error"], scores["test"]["error"] if "test" in scores else None,
        stopped, time.perf_counter() - started, run_dir, obj, splits.task,
        {name: scores[name].get("r2") for name in scores} if splits.task == "regression"
        else {})
    if run_dir is not None:
        save_model(run_dir / MODEL, model)
        write_json(run_dir / METRICS, metrics(result, splits))
        write_history(run_dir / HISTORY, result.history)
    return result


def _run_epoch(obj: Objective, optimizer: Optimizer, train_set: tuple[np.ndarray, np.ndarray],
               batch_size: int, rng: np.random.Generator, epoch: int,
               checkpoint: Path | None) -> None:
    """One pass over the training set in a shuffled order, one update per mini-batch."""
    X, y = train_set
    order = rng.permutation(len(X))
    graph, x_box, y_box = obj.graph, obj.x, obj.y
    steps = math.ceil(len(X) / batch_size)
    for step, start in enumerate(range(0, len(X), batch_size), start=1):
        batch = order[start:start + batch_size]
        # fprop, bprop and the update (none from a NaN or infinite loss): one compiled call
        # on a jit graph
        loss = optimizer.step(graph, {x_box: X[batch], y_box: y[batch]})
        assert loss is not None  # (step(graph, feed) returns the loss)
        if not np.isfinite(loss):
            raise _diverged(
                f"the loss became {float(loss)} at epoch {epoch}, step {step} of {steps} "
                f"(update {optimizer.t + 1})", epoch, optimizer, checkpoint)


def _evaluate_epoch(obj: Objective, optimizer: Optimizer, train_set: tuple, valid_set: tuple,
                    epoch: int, checkpoint: Path | None) -> dict[str, float]:
    """Loss and error on the training and validation sets after an epoch, or a
    NonFiniteError when a parameter or a loss is NaN or Inf."""
    broken = [p.name for p in optimizer.params if not np.isfinite(p.value).all()]
    if broken:
        raise _diverged(f"during epoch {epoch} the parameter(s) {', '.join(broken)} "
                        "became NaN or Inf", epoch, optimizer, checkpoint)
    row = {}
    for name, arrays in (("train", train_set), ("valid", valid_set)):
        for key, value in evaluate(obj, *arrays).items():
            row[f"{name}_{key}"] = value
    losses = (row["train_loss"], row["valid_loss"] if len(valid_set[1]) else 0.0)
    if not all(math.isfinite(v) for v in losses):
        raise _diverged(f"after epoch {epoch} the training loss is {losses[0]} and the "
                        f"validation loss {losses[1]}", epoch, optimizer, checkpoint)
    order = ["train_loss", "train_error", "valid_loss", "valid_error"]
    return {k: row[k] for k in order + sorted(set(row) - set(order))}


def _diverged(what: str, epoch: int, optimizer: Optimizer,
              checkpoint: Path | None) -> NonFiniteError:
    """The error of a diverged run: its message, and as attributes ``reason`` (where,
    and what to lower) and ``kept`` (what its run folder keeps; empty without one, as
    for a search's trial, whose results its search records)."""
    if checkpoint is not None and checkpoint.exists():
        kept = f"the last good checkpoint (epoch {epoch - 1}) is kept at {checkpoint}"
    elif checkpoint is not None:
        kept = "no epoch finished, so there is no checkpoint to keep"
    else:
        kept = ""
    momentum = getattr(optimizer, "momentum", 0.0)
    lower = f" or the momentum ({momentum})" if momentum else ""
    reason = f"training diverged: {what}. Lower the learning rate (lr={optimizer.lr}){lower}"
    error = NonFiniteError(f"{reason}; {kept}." if kept else f"{reason}.")
    error.reason, error.kept = reason, kept  # type: ignore[attr-defined]
    return error


def _format_error(error: float, task: str) -> str:
    return f"{error:.2%}" if task == "classification" else f"{error:.4g}"


def write_history(path: str | Path, history: Sequence[dict[str, Any]]) -> Path:
    """The per-epoch history as CSV (one row per epoch, errors as in ``history``)."""
    path = Path(path)
    columns = list(dict.fromkeys(key for row in history for key in row))
    with atomic_file(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns or ["epoch"])
        writer.writeheader()
        writer.writerows(history)
    return path


def metrics(result: TrainResult, splits: Splits) -> dict[str, Any]:
    """The JSON summary of a run (written to ``metrics.json``)."""
    errors = {"train": result.train_error, "valid": result.valid_error,
              "test": result.test_error}
    summary: dict[str, Any] = {
        "dataset": splits.name, "task": splits.task, "n_features": splits.n_features,
        "n_classes": splits.n_classes,
        "n_examples": {"train": len(splits.y_train), "valid": len(splits.y_valid),
                       "test": len(splits.y_test)},
        "sizes": list(result.model.mlp.sizes), "config": asdict(result.config),
        "best_epoch": result.best_epoch, "epochs_run": len(result.history),
        "stopped": result.stopped, "seconds": round(result.seconds, 3),
        "error": errors,
    }
    if splits.task == "classification":
        summary["accuracy"] = {k: None if v is None else 1 - v for k, v in errors.items()}
    else:
        summary["mse"] = errors
        summary["r2"] = result.r2
    summary["history"] = result.history
    return summary
