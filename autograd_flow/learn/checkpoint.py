"""Training checkpoints: everything a run needs to continue bit for bit, in one archive
(:func:`autograd_flow.learn.files.write_archive`, written atomically after every epoch).

A checkpoint holds the parameters, the optimizer's state (its update count and every
buffer: SGD's momentum, Adam's moving averages, ...), the best epoch's parameters, the
shuffling generator's state, the history and the early-stopping counters, with the
settings and a fingerprint of the data, so a resume with other settings or other data
is refused with a message that says what differs.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import OtherRunError
from ..nn import MLP
from ..optim.base import Optimizer
from .files import ModelFileError, read_archive, write_archive

CHECKPOINT_FORMAT = "autograd_flow.learn.checkpoint"
CHECKPOINT_VERSION = 2  # 2: raw data fingerprint, any optimizer's buffers


@dataclass
class TrainingState:
    """Everything that changes from epoch to epoch (saved in checkpoints)."""

    rng: np.random.Generator
    epoch: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int = 0
    best_score: tuple[float, float] = (math.inf, math.inf)
    best_values: list[np.ndarray] | None = None
    bad_epochs: int = 0


def fingerprint(*arrays: np.ndarray) -> str:
    """A short hash of the arrays' bytes (the training and validation data)."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def save_checkpoint(path: Path, config: Any, data: str, mlp: MLP, optimizer: Optimizer,
                    state: TrainingState) -> None:
    """Write the checkpoint of ``state`` (after an epoch) to ``path`` atomically."""
    names = [p.name for p in mlp.parameters]
    arrays = {f"param/{p.name}": p.value for p in mlp.parameters}
    optimizer_state = optimizer.state_dict()
    for buffer in optimizer.buffers:
        arrays.update({f"{buffer}/{n}": v for n, v in zip(names, optimizer_state[buffer])})
    if state.best_values is not None:
        arrays.update({f"best/{n}": v for n, v in zip(names, state.best_values)})
    meta = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
            "config": asdict(config), "data": data, "epoch": state.epoch,
            "history": state.history, "best_epoch": state.best_epoch,
            "best_score": list(state.best_score), "bad_epochs": state.bad_epochs,
            "optimizer_t": optimizer.t, "rng": state.rng.bit_generator.state}
    write_archive(path, arrays, meta)


def read_checkpoint(path: Path, config: Any, data: str, shapes: Mapping[str, tuple],
                    buffers: Sequence[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The (arrays, meta) of the checkpoint at ``path``, every entry checked: made with
    ``config`` (but for its epochs) on the data of fingerprint ``data``; the parameters
    (``shapes``: {name: shape}), the optimizer's ``buffers`` and the best epoch's
    parameters present with those shapes and finite; the counters, history, scores and
    generator state of the right types. Nothing is changed: a resume checks its
    checkpoint with this before it writes anything."""
    if not path.exists():
        raise ModelFileError(f"cannot resume: there is no checkpoint {path} (the run never "
                             "finished an epoch: start it again with --overwrite)")

    def expected(meta: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        """The arrays the checkpoint should hold (its format checked first)."""
        if meta.get("format") != CHECKPOINT_FORMAT:
            raise ModelFileError(f"{path} is not an autograd_flow checkpoint")
        if meta.get("version") != CHECKPOINT_VERSION:
            raise ModelFileError(f"{path} was written by another version of autograd_flow "
                                 f"(checkpoint version {meta.get('version', 1)}, this one "
                                 f"reads {CHECKPOINT_VERSION}): start a new run")
        return {f"{group}/{name}": tuple(shape) for group in ("param", *buffers, "best")
                for name, shape in shapes.items()}

    arrays, meta = read_archive(path, "checkpoint", expected)
    try:
        _check_same_run(path, config, data, meta)
        _check_counters(meta)
        np.random.default_rng().bit_generator.state = meta["rng"]  # raises if malformed
        groups = ["param", *buffers] + (["best"] if meta["best_epoch"] else [])
        for group in groups:
            for name, shape in shapes.items():
                value = arrays[f"{group}/{name}"]
                if value.shape != tuple(shape) or value.dtype.kind != "f":
                    raise ValueError(f"{group}/{name} has shape {value.shape} dtype "
                                     f"{value.dtype}, not {tuple(shape)} floats")
                if not np.isfinite(value).all():
                    raise ValueError(f"{group}/{name} holds NaN or infinite values")
    except OtherRunError:
        raise
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as error:
        raise ModelFileError(f"checkpoint {path} is inconsistent or tampered with: "
                             f"{type(error).__name__}: {error}") from None
    return arrays, meta


def _check_counters(meta: Mapping[str, Any]) -> None:
    """The epoch counters, history and best score of a checkpoint's metadata."""
    epoch = _count(meta, "epoch")
    for name in ("best_epoch", "bad_epochs"):
        if _count(meta, name) > epoch:
            raise ValueError(f"{name} ({meta[name]}) is past the last epoch ({epoch})")
    _count(meta, "optimizer_t")
    history = meta["history"]
    if not isinstance(history, list) or len(history) != epoch:
        raise ValueError(f"history must list the {epoch} epochs run, got "
                         f"{type(history).__name__} of {len(history)} entries"
                         if isinstance(history, list) else
                         f"history must be a list, got {type(history).__name__}")
    for number, row in enumerate(history, start=1):
        if not (isinstance(row, dict) and row.get("epoch") == number and all(
                _is_number(v) for v in row.values())):
            raise ValueError(f"history entry {number} is not the numbers of epoch {number}")
    score = meta["best_score"]
    if not (isinstance(score, list) and len(score) == 2 and all(map(_is_number, score))):
        raise ValueError(f"best_score must be two numbers, got {score!r}")
    if not isinstance(meta["data"], str):
        raise ValueError(f"data must be a fingerprint text, got {meta['data']!r}")


def _count(meta: Mapping[str, Any], name: str) -> int:
    value = meta[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def load_checkpoint(path: Path, config: Any, data: str, mlp: MLP, optimizer: Optimizer,
                    state: TrainingState) -> None:
    """Restore the parameters, ``optimizer`` and ``state`` from the checkpoint at
    ``path``, after checking it (:func:`read_checkpoint`)."""
    names = [p.name for p in mlp.parameters]
    arrays, meta = read_checkpoint(path, config, data, {p.name: p.value.shape
                                                        for p in mlp.parameters},
                                   optimizer.buffers)
    mlp.set_values([arrays[f"param/{n}"] for n in names])
    optimizer.load_state_dict({"t": meta["optimizer_t"], **{
        buffer: [arrays[f"{buffer}/{n}"] for n in names] for buffer in optimizer.buffers}})
    if meta["best_epoch"]:
        state.best_values = [arrays[f"best/{n}"].copy() for n in names]
    state.rng.bit_generator.state = meta["rng"]
    state.epoch = meta["epoch"]
    state.history = list(meta["history"])
    state.best_epoch = meta["best_epoch"]
    state.best_score = (float(meta["best_score"][0]), float(meta["best_score"][1]))
    state.bad_epochs = meta["bad_epochs"]


def _check_same_run(path: Path, config: Any, data: str, meta: dict[str, Any]) -> None:
    if not isinstance(meta["config"], dict):
        raise ValueError(f"config must be an object, got {meta['config']!r}")
    saved = dict(meta["config"])
    for name, value in asdict(config).items():  # JSON turned tuples into lists
        if isinstance(value, tuple) and isinstance(saved.get(name), list):
            saved[name] = tuple(saved[name])
    changed = [f"{k}: {saved.get(k)!r} -> {v!r}" for k, v in asdict(config).items()
               if k != "epochs" and saved.get(k) != v]
    if changed:
        raise OtherRunError(f"cannot resume from {path}: the run was made with other "
                            f"settings ({'; '.join(changed)}); only --epochs may change "
                            "on resume")
    if meta["data"] != data:
        raise OtherRunError(f"cannot resume from {path}: the data (or its split) differs "
                            "from the run's; use the same data set, seed and label column")
