"""Training the lecture's way: empirical risk minimization with SGD and early stopping.

The objective of one mini-batch B is (lecture, empirical risk minimization)

    1/|B| sum_{t in B} l(f(x^(t)), y^(t)) + lambda_1 Omega_1(theta) + lambda_2 Omega_2(theta)

with l the softmax cross-entropy and Omega_1 = sum |W|, Omega_2 = sum W**2 on the weights
only (never the biases). Each epoch visits the training examples once in an order
shuffled by a seeded generator; after each epoch the validation error decides early
stopping ("stop when the validation error increases, with some look ahead") and the best
parameters are restored at the end. The flow graph is built once and reused for every
step and every evaluation. With a run folder, a checkpoint is written atomically after
every epoch and ``resume=True`` continues bit for bit where it stopped.
"""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from . import functions as F
from .box import Box, Input
from .data import Splits
from .errors import NonFiniteError
from .graph import FlowGraph
from .io import Model, ModelFileError, read_archive, save_model, write_archive, write_json
from .nn import ACTIVATIONS, MLP
from .optim.sgd import SGD, check_schedule

CHECKPOINT = "checkpoint.npz"
MODEL = "model.npz"
METRICS = "metrics.json"
CHECKPOINT_FORMAT = "autograd_flow.checkpoint"
DTYPES = ("float32", "float64")


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run (see the module doc for the objective).

    ``hidden``: sizes H_1..H_L of the hidden layers; ``lr``: alpha; ``momentum``: beta;
    ``decay``: None, "inverse" or "power" with ``decay_rate`` delta after ``warmup``
    updates; ``batch_size`` 1 is per-example SGD; ``epochs``: the most epochs;
    ``l1``/``l2``: lambda of each penalty; ``patience``: epochs without a better
    validation error before stopping; ``dtype``: "float32" or "float64"; ``fuse``: run
    the composites fused (same values and gradients, faster; see FlowGraph).
    The defaults are those of ``autograd-flow train`` (2.22% test error on digits).
    """

    hidden: tuple[int, ...] = (100,)
    activation: str = "tanh"
    lr: float = 0.1
    momentum: float = 0.9
    decay: str | None = None
    decay_rate: float = 0.0
    warmup: int = 0
    batch_size: int = 32
    epochs: int = 100
    l1: float = 0.0
    l2: float = 1e-4
    patience: int = 20
    seed: int = 0
    dtype: str = "float32"
    fuse: bool = False

    def __post_init__(self) -> None:
        self.hidden = tuple(int(h) for h in self.hidden)
        if any(h < 1 for h in self.hidden):
            raise ValueError(f"hidden layer sizes must be >= 1, got {self.hidden}")
        for name in ("batch_size", "epochs", "patience"):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {getattr(self, name)}")
        for name in ("l1", "l2"):
            if not (getattr(self, name) >= 0 and math.isfinite(getattr(self, name))):
                raise ValueError(f"{name} (a penalty weight lambda) must be >= 0, "
                                 f"got {getattr(self, name)}")
        self.dtype = np.dtype(self.dtype).name
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        check_schedule(self.lr, self.momentum, self.decay, self.decay_rate, self.warmup)
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}: choose one of "
                             f"{', '.join(ACTIVATIONS)}")


@dataclass
class Objective:
    """The training graph: inputs ``x``, ``y``; ``logits`` a^(L+1); ``data_loss`` the mean
    cross-entropy; ``loss`` = data_loss + penalties; ``graph`` = FlowGraph([loss, logits])."""

    x: Input
    y: Input
    logits: Box
    data_loss: Box
    loss: Box
    graph: FlowGraph


def objective(mlp: MLP, l1: float = 0.0, l2: float = 0.0, fuse: bool = False) -> Objective:
    """Mean softmax cross-entropy + l1 * sum|W| + l2 * sum W**2 over ``mlp.weights``
    (lecture: regularization only on weights, not on biases)."""
    x, y = Input("x"), Input("y")
    logits = mlp(x)
    data_loss = F.softmax_cross_entropy(logits, y, name="cross_entropy")
    loss = data_loss
    if l1:
        loss = loss + l1 * F.l1_penalty(mlp.weights)
    if l2:
        loss = loss + l2 * F.l2_penalty(mlp.weights)
    if loss is not data_loss:
        loss.name = "loss"
    return Objective(x, y, logits, data_loss, loss, FlowGraph([loss, logits], fuse=fuse))


@dataclass
class TrainResult:
    """What :func:`train` returns: the model with the best validation parameters and
    the per-epoch ``history`` (dicts: epoch, train_loss, train_error, valid_loss,
    valid_error, lr). ``stopped`` is "early" or "epochs"."""

    config: TrainConfig
    model: Model
    history: list[dict[str, float]]
    best_epoch: int
    train_error: float
    valid_error: float
    test_error: float | None
    stopped: str
    seconds: float = 0.0
    run_dir: Path | None = None
    objective: Objective | None = field(default=None, repr=False)


@dataclass
class _State:
    """Everything that changes from epoch to epoch (saved in checkpoints)."""

    rng: np.random.Generator
    epoch: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    best_score: tuple[float, float] = (math.inf, math.inf)
    best_values: list[np.ndarray] | None = None
    bad_epochs: int = 0


def train(config: TrainConfig, splits: Splits, *, run_dir: str | Path | None = None,
          progress: bool = False, resume: bool = False,
          evaluate_test: bool = True) -> TrainResult:
    """Train an MLP on ``splits`` with ``config`` (deterministic given ``config.seed``).

    With ``run_dir``: a checkpoint after every epoch, then ``model.npz`` and
    ``metrics.json``; ``resume=True`` continues from the checkpoint there. A NaN or Inf
    loss raises :class:`~autograd_flow.NonFiniteError` naming the epoch and step; the
    last good checkpoint stays on disk.
    """
    started = time.perf_counter()
    dtype = np.dtype(config.dtype)
    run_dir = None if run_dir is None else Path(run_dir)
    if resume and run_dir is None:
        raise ValueError("resume=True needs the run folder (run_dir) to resume from")
    X_train, y_train = splits.X_train.astype(dtype), splits.y_train
    X_valid, y_valid = splits.X_valid.astype(dtype), splits.y_valid
    mlp = MLP([splits.n_features, *config.hidden, splits.n_classes], config.activation,
              seed=config.seed, dtype=dtype)
    obj = objective(mlp, config.l1, config.l2, fuse=config.fuse)
    optimizer = SGD(mlp.parameters, config.lr, config.momentum, config.decay,
                    config.decay_rate, config.warmup)
    state = _State(rng=np.random.default_rng([config.seed, 1]))
    checkpoint = None if run_dir is None else run_dir / CHECKPOINT
    fingerprint = _fingerprint(splits)
    if resume:
        _load_checkpoint(checkpoint, config, fingerprint, mlp, optimizer, state)

    stopped = "early" if state.bad_epochs >= config.patience else "epochs"
    with tqdm(total=config.epochs, initial=min(state.epoch, config.epochs), unit="epoch",
              desc=f"train {splits.name}", disable=not progress, leave=False) as bar:
        first = config.epochs + 1 if stopped == "early" else state.epoch + 1
        for epoch in range(first, config.epochs + 1):
            lr = optimizer.learning_rate()
            with np.errstate(all="ignore"):  # non-finite values are reported instead
                _run_epoch(obj, optimizer, X_train, y_train, config.batch_size, state.rng,
                           epoch, checkpoint)
                row = _evaluate_epoch(obj, optimizer, (X_train, y_train), (X_valid, y_valid),
                                      epoch, checkpoint)
            state.history.append({"epoch": epoch, **row, "lr": lr})
            score = (row["valid_error"], row["valid_loss"])  # ties go to the lower loss
            if score < state.best_score:
                state.best_score, state.best_epoch, state.best_values = \
                    score, epoch, mlp.get_values()
                state.bad_epochs = 0
            else:
                state.bad_epochs += 1
            state.epoch = epoch
            if checkpoint is not None:
                _save_checkpoint(checkpoint, config, fingerprint, mlp, optimizer, state)
            bar.update(1)
            bar.set_postfix(loss=f"{row['train_loss']:.4f}",
                            valid_error=f"{row['valid_error']:.2%}")
            if state.bad_epochs >= config.patience:
                stopped = "early"
                break
    if state.best_values is not None:
        mlp.set_values(state.best_values)
    _, train_error = evaluate(obj, X_train, y_train)
    _, valid_error = evaluate(obj, X_valid, y_valid)
    test_error = (evaluate(obj, splits.X_test.astype(dtype), splits.y_test)[1]
                  if evaluate_test else None)
    info = {"dataset": splits.name, "seed": splits.seed, "n_samples": splits.n_samples,
            "label_column": splits.label_column,
            "valid_fraction": splits.valid_fraction, "test_fraction": splits.test_fraction,
            "config": asdict(config)}
    model = Model(mlp, splits.mean, splits.std, splits.classes, splits.feature_names, info)
    result = TrainResult(config, model, state.history, state.best_epoch, train_error,
                         valid_error, test_error, stopped, time.perf_counter() - started,
                         run_dir, obj)
    if run_dir is not None:
        save_model(run_dir / MODEL, model)
        write_json(run_dir / METRICS, metrics(result, splits))
    return result


def evaluate(obj: Objective, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, error rate) of the current parameters on (X, y), through the
    objective's prebuilt graph."""
    obj.graph.fprop({obj.x: X, obj.y: y})
    error = float(np.mean(np.argmax(obj.logits.value, axis=1) != y))
    return float(obj.data_loss.value), error


def _run_epoch(obj: Objective, optimizer: SGD, X: np.ndarray, y: np.ndarray,
               batch_size: int, rng: np.random.Generator, epoch: int,
               checkpoint: Path | None) -> None:
    """One pass over the training set in a shuffled order, one update per mini-batch."""
    order = rng.permutation(len(X))
    graph, x_box, y_box = obj.graph, obj.x, obj.y
    steps = math.ceil(len(X) / batch_size)
    for step, start in enumerate(range(0, len(X), batch_size), start=1):
        batch = order[start:start + batch_size]
        loss = graph.fprop({x_box: X[batch], y_box: y[batch]})[0]
        if not np.isfinite(loss):
            raise NonFiniteError(_diverged(
                f"the loss became {float(loss)} at epoch {epoch}, step {step} of {steps} "
                f"(update {optimizer.t + 1})", epoch, optimizer, checkpoint))
        optimizer.step(graph.bprop())


def _evaluate_epoch(obj: Objective, optimizer: SGD, train_set: tuple, valid_set: tuple,
                    epoch: int, checkpoint: Path | None) -> dict[str, float]:
    """Loss and error on the training and validation sets after an epoch, or a
    NonFiniteError when a parameter or a loss is NaN or Inf."""
    broken = [p.name for p in optimizer.params if not np.isfinite(p.value).all()]
    if broken:
        raise NonFiniteError(_diverged(f"during epoch {epoch} the parameter(s) "
                                       f"{', '.join(broken)} became NaN or Inf",
                                       epoch, optimizer, checkpoint))
    train_loss, train_error = evaluate(obj, *train_set)
    valid_loss, valid_error = evaluate(obj, *valid_set)
    if not math.isfinite(train_loss) or not math.isfinite(valid_loss):
        raise NonFiniteError(_diverged(f"after epoch {epoch} the training loss is "
                                       f"{train_loss} and the validation loss {valid_loss}",
                                       epoch, optimizer, checkpoint))
    return {"train_loss": train_loss, "train_error": train_error,
            "valid_loss": valid_loss, "valid_error": valid_error}


def _diverged(what: str, epoch: int, optimizer: SGD, checkpoint: Path | None) -> str:
    if checkpoint is not None and checkpoint.exists():
        kept = f"the last good checkpoint (epoch {epoch - 1}) is kept at {checkpoint}"
    elif checkpoint is not None:
        kept = "no epoch finished, so there is no checkpoint to keep"
    else:
        kept = "no run folder was given, so nothing was saved"
    return (f"training diverged: {what}. Lower the learning rate (lr={optimizer.lr}) or "
            f"the momentum (beta={optimizer.momentum}); {kept}.")


def _fingerprint(splits: Splits) -> str:
    digest = hashlib.sha256()
    for array in (splits.X_train, splits.y_train, splits.X_valid, splits.y_valid):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def _save_checkpoint(path: Path, config: TrainConfig, fingerprint: str, mlp: MLP,
                     optimizer: SGD, state: _State) -> None:
    arrays = {f"param/{p.name}": p.value for p in mlp.parameters}
    arrays.update({f"velocity/{p.name}": v for p, v in
                   zip(mlp.parameters, optimizer.state_dict()["velocity"])})
    if state.best_values is not None:
        arrays.update({f"best/{p.name}": v for p, v in zip(mlp.parameters, state.best_values)})
    meta = {"format": CHECKPOINT_FORMAT, "config": asdict(config), "data": fingerprint,
            "epoch": state.epoch, "history": state.history, "best_epoch": state.best_epoch,
            "best_score": list(state.best_score), "bad_epochs": state.bad_epochs,
            "optimizer_t": optimizer.t, "rng": state.rng.bit_generator.state}
    write_archive(path, arrays, meta)


def _load_checkpoint(path: Path, config: TrainConfig, fingerprint: str, mlp: MLP,
                     optimizer: SGD, state: _State) -> None:
    if not path.exists():
        raise ModelFileError(f"cannot resume: there is no checkpoint {path} (start the run "
                             "without --resume)")
    arrays, meta = read_archive(path, "checkpoint")
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise ModelFileError(f"{path} is not an autograd_flow checkpoint")
    try:
        _check_same_run(path, config, fingerprint, meta)
        names = [p.name for p in mlp.parameters]
        mlp.set_values([arrays[f"param/{n}"] for n in names])
        optimizer.load_state_dict({"t": meta["optimizer_t"],
                                   "velocity": [arrays[f"velocity/{n}"] for n in names]})
        if meta["best_epoch"]:
            state.best_values = [arrays[f"best/{n}"].copy() for n in names]
        state.rng.bit_generator.state = meta["rng"]
        state.epoch = int(meta["epoch"])
        state.history = list(meta["history"])
        state.best_epoch = int(meta["best_epoch"])
        state.best_score = tuple(meta["best_score"])
        state.bad_epochs = int(meta["bad_epochs"])
    except (KeyError, ValueError, TypeError, AttributeError) as error:
        if isinstance(error, _OtherRun):
            raise
        raise ModelFileError(f"checkpoint {path} is inconsistent or tampered with: "
                             f"{type(error).__name__}: {error}") from None


class _OtherRun(ValueError):
    """The checkpoint belongs to a run with other settings or other data."""


def _check_same_run(path: Path, config: TrainConfig, fingerprint: str, meta: dict) -> None:
    saved = {**meta["config"], "hidden": tuple(meta["config"]["hidden"])}
    changed = [f"{k}: {saved.get(k)!r} -> {v!r}" for k, v in asdict(config).items()
               if k != "epochs" and saved.get(k) != v]
    if changed:
        raise _OtherRun(f"cannot resume from {path}: the run was made with other settings "
                        f"({'; '.join(changed)}); only --epochs may change on resume")
    if meta["data"] != fingerprint:
        raise _OtherRun(f"cannot resume from {path}: the data (or its split) differs from "
                        "the run's; use the same data set, seed and label column")


def metrics(result: TrainResult, splits: Splits) -> dict[str, Any]:
    """The JSON summary of a run (written to ``metrics.json``)."""
    errors = {"train": result.train_error, "valid": result.valid_error,
              "test": result.test_error}
    return {
        "dataset": splits.name, "n_features": splits.n_features,
        "n_classes": splits.n_classes,
        "n_examples": {"train": len(splits.y_train), "valid": len(splits.y_valid),
                       "test": len(splits.y_test)},
        "sizes": list(result.model.mlp.sizes), "config": asdict(result.config),
        "best_epoch": result.best_epoch, "epochs_run": len(result.history),
        "stopped": result.stopped, "seconds": round(result.seconds, 3),
        "error": errors,
        "accuracy": {k: None if v is None else 1 - v for k, v in errors.items()},
        "history": result.history,
    }
