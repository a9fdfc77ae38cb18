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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import functions as F
from .box import Input
from .graph import FlowGraph
from .nn import MLP

META = "__meta__"
MODEL_FORMAT = "autograd_flow.model"
FORMAT_VERSION = 1


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
    content = {name: np.asarray(a) for name, a in arrays.items()}
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


class Model:
    """A trained MLP with its preprocessing: ``predict(X)`` takes raw features.

    Features are standardized with the training statistics (``mean``, ``std``) and fed
    to one prebuilt flow graph of the logits a^(L+1) and the softmax output f(x).
    """

    def __init__(self, mlp: MLP, mean: np.ndarray, std: np.ndarray,
                 classes: Sequence[str] | None = None,
                 feature_names: Sequence[str] | None = None,
                 info: Mapping[str, Any] | None = None) -> None:
        n_in, n_out = mlp.sizes[0], mlp.sizes[-1]
        self.mlp = mlp
        self.mean = np.asarray(mean, dtype=np.float64).reshape(n_in)
        self.std = np.asarray(std, dtype=np.float64).reshape(n_in)
        self.classes = [str(c) for c in (classes if classes is not None else range(n_out))]
        if len(self.classes) != n_out:
            raise ValueError(f"{len(self.classes)} class names for {n_out} outputs")
        self.feature_names = list(feature_names or [f"x{i + 1}" for i in range(n_in)])
        self.info = dict(info or {})
        self._graph: FlowGraph | None = None

    @property
    def n_features(self) -> int:
        """How many input features the model takes."""
        return self.mlp.sizes[0]

    def _run(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"the model takes {self.n_features} features per example, "
                             f"got an array of shape {X.shape}")
        if self._graph is None:
            x = Input("x")
            logits = self.mlp(x)
            self._graph = FlowGraph([F.softmax(logits, name="f(x)"), logits], wrt=())
        feed = ((X - self.mean) / self.std).astype(self.mlp.dtype)
        return self._graph.fprop({"x": feed})

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """f(x) = softmax(a^(L+1)(x)) for each row of the raw features ``X``: (N, C)."""
        return self._run(X)[0]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The class index argmax_c f(x)_c of each row of ``X`` (index into ``classes``)."""
        return np.argmax(self._run(X)[1], axis=1)

    def __repr__(self) -> str:
        return f"Model({self.mlp!r}, classes={self.classes})"


def save_model(path: str | Path, model: Model) -> Path:
    """Write ``model`` (architecture, parameters, preprocessing, class names) to ``path``."""
    mlp = model.mlp
    arrays = {p.name: p.value for p in mlp.parameters}
    arrays.update(mean=model.mean, std=model.std)
    meta = {"format": MODEL_FORMAT, "version": FORMAT_VERSION, "sizes": list(mlp.sizes),
            "activation": mlp.activation, "dtype": mlp.dtype.name,
            "classes": model.classes, "feature_names": model.feature_names,
            "info": model.info}
    return write_archive(path, arrays, meta)


def load_model(path: str | Path) -> Model:
    """Read a model written by :func:`save_model` (no code runs; see module doc)."""
    arrays, meta = read_archive(path, "model")
    if meta.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"{path} is not an autograd_flow model (format "
                             f"{meta.get('format')!r}); was it a checkpoint?")
    if meta.get("version") != FORMAT_VERSION:
        raise ModelFileError(f"{path} has model format version {meta.get('version')!r}; "
                             f"this autograd_flow reads version {FORMAT_VERSION}")
    try:
        mlp = MLP(meta["sizes"], meta["activation"], dtype=meta["dtype"])
        for p in mlp.parameters:
            value = arrays[p.name]
            if value.shape != p.value.shape or value.dtype.kind != "f":
                raise ValueError(f"array {p.name} has shape {value.shape} dtype {value.dtype}, "
                                 f"the architecture needs {p.value.shape} floats")
            p.value[...] = value
        return Model(mlp, arrays["mean"], arrays["std"], meta["classes"],
                     meta.get("feature_names"), meta.get("info"))
    except (KeyError, ValueError, TypeError) as error:
        raise ModelFileError(f"model file {path} is inconsistent or tampered with: "
                             f"{type(error).__name__}: {error}") from None
