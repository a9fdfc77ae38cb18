"""Models and checkpoints on disk: one ``.npz`` file of plain numeric arrays plus a JSON
document stored in it (the array ``__meta__``, a unicode string).

Files are read with ``allow_pickle=False``, so loading never runs code; a file that
carries a pickle, or that is truncated or tampered with, raises :class:`ModelFileError`
naming the file. Writes are atomic: a temporary file in the same folder, then
``os.replace``, so a crash never leaves half a file behind.
"""
from __future__ import annotations

import json
import os
import secrets
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .model import Model
from .nn import MLP

META = "__meta__"
MODEL_FORMAT = "autograd_flow.model"
FORMAT_VERSION = 2  # 2: the task, regression targets' statistics, classes as in the data
READABLE_VERSIONS = (1, 2)


# what the zip and npy readers raise on a truncated or damaged file
CORRUPT_ERRORS = (EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error,
                  NotImplementedError)


class ModelFileError(ValueError):
    """A model or checkpoint file that cannot be loaded safely (message names the file)."""


def write_archive(path: str | Path, arrays: Mapping[str, np.ndarray],
                  meta: Mapping[str, Any]) -> Path:
    """Write ``arrays`` and the JSON ``meta`` to ``path`` atomically."""
    path = Path(path)
    if META in arrays:
        raise ValueError(f"{META!r} is reserved for the JSON metadata")
    path.parent.mkdir(parents=True, exist_ok=True)
    content: dict[str, Any] = {name: np.asarray(a) for name, a in arrays.items()}
    content[META] = np.array(json.dumps(meta))
    temporary = _temporary_name(path)
    try:
        with open(temporary, "xb") as file:
            np.savez(file, **content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_run_settings(run_dir: Path | None, name: str) -> dict:
    """The settings a run saved as JSON in its folder, for ``--resume``."""
    if run_dir is None:
        raise ValueError("--resume needs --out, the run folder to continue")
    path = Path(run_dir) / name
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot resume {run_dir}: cannot read {path} ({error})") from None


def write_json(path: str | Path, content: Any) -> None:
    """Write JSON atomically (temporary file in the same folder, then os.replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_name(path)
    try:
        with open(temporary, "x") as file:
            json.dump(content, file, indent=2)
            file.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def carries_pickle(path: Path, error: ValueError) -> bool:
    """Whether ``np.load(path, allow_pickle=False)`` failed with ``error`` because the file
    holds a pickle (an object array in the archive, or a pickle stream instead of one)."""
    if "object arrays" in str(error).lower():
        return True
    try:
        with open(path, "rb") as file:
            return "pickle" in str(error).lower() and file.read(1) == b"\x80"
    except OSError:
        return False


def _temporary_name(path: Path) -> Path:
    """A fresh name next to ``path`` (same folder, so os.replace is atomic)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def read_archive(path: str | Path, kind: str = "file") -> tuple[dict[str, np.ndarray], dict]:
    """Read a file written by :func:`write_archive`: (arrays, meta). ``kind`` names the file
    in messages ("model", "checkpoint")."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except FileNotFoundError:
        raise ModelFileError(f"{kind} file {path} does not exist") from None
    except ValueError as error:
        if carries_pickle(path, error):
            raise ModelFileError(
                f"refusing to load {kind} file {path}: it carries a pickle (Python objects "
                "whose loading can run code); autograd_flow files hold only numeric arrays "
                "and JSON, so this file was not written by autograd_flow or was tampered "
                "with") from None
        detail = "not an .npz archive" if "pickle" in str(error).lower() else str(error)
        raise ModelFileError(f"cannot read {kind} file {path}: it is truncated or "
                             f"corrupted ({detail})") from None
    except CORRUPT_ERRORS as error:
        raise ModelFileError(f"cannot read {kind} file {path}: it is truncated or corrupted "
                             f"({type(error).__name__}: {error})") from None
    except OSError as error:
        raise ModelFileError(f"cannot read {kind} file {path}: {error}") from None
    if META not in arrays:
        raise ModelFileError(f"{path} is not an autograd_flow {kind} file: it has no "
                             f"{META!r} entry (arrays: {', '.join(arrays) or 'none'})")
    try:
        meta = json.loads(str(arrays.pop(META)))
    except ValueError as error:
        raise ModelFileError(f"{kind} file {path}: its JSON metadata is damaged "
                             f"({error})") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{kind} file {path}: its JSON metadata is not an object")
    return arrays, meta


def save_model(path: str | Path, model: Model) -> Path:
    """Write ``model`` (architecture, parameters, preprocessing, task, classes) to ``path``."""
    mlp = model.mlp
    arrays = {p.name: p.value for p in mlp.parameters}
    arrays.update(mean=model.mean, std=model.std, target_mean=model.target_mean,
                  target_std=model.target_std)
    meta = {"format": MODEL_FORMAT, "version": FORMAT_VERSION, "sizes": list(mlp.sizes),
            "activation": mlp.activation, "dtype": mlp.dtype.name, "task": model.task,
            "classes": model.classes.tolist(), "single_target": model.single_target,
            "feature_names": model.feature_names, "info": model.info}
    return write_archive(path, arrays, meta)


def load_model(path: str | Path) -> Model:
    """Read a model written by :func:`save_model` (no code runs; see module doc)."""
    arrays, meta = read_archive(path, "model")
    if meta.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"{path} is not an autograd_flow model (format "
                             f"{meta.get('format')!r}); was it a checkpoint?")
    if meta.get("version") not in READABLE_VERSIONS:
        raise ModelFileError(f"{path} has model format version {meta.get('version')!r}; "
                             f"this autograd_flow reads versions "
                             f"{', '.join(map(str, READABLE_VERSIONS))}")
    try:
        mlp = MLP(meta["sizes"], meta["activation"], dtype=meta["dtype"])
        for p in mlp.parameters:
            value = arrays[p.name]
            if value.shape != p.value.shape or value.dtype.kind != "f":
                raise ValueError(f"array {p.name} has shape {value.shape} dtype {value.dtype}, "
                                 f"the architecture needs {p.value.shape} floats")
            p.value[...] = value
        task = meta.get("task", "classification")
        return Model(mlp, arrays["mean"], arrays["std"], meta["classes"] or None,
                     meta.get("feature_names"), meta.get("info"), task=task,
                     target_mean=arrays.get("target_mean", 0.0),
                     target_std=arrays.get("target_std", 1.0),
                     single_target=bool(meta.get("single_target", True)))
    except (KeyError, ValueError, TypeError) as error:
        raise ModelFileError(f"model file {path} is inconsistent or tampered with: "
                             f"{type(error).__name__}: {error}") from None
