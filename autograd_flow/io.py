"""Models on disk: :func:`save_model` writes a trained :class:`~autograd_flow.learn.model.Model`
(architecture, parameters, standardization, task, classes) as one archive of numeric
arrays and JSON (:mod:`autograd_flow.learn.files`), and :func:`load_model` reads it back
without running any code, checking every entry before use: the architecture's types
and sizes, each array's declared size against the architecture before any array is
unpacked (a small file can unpack to gigabytes), each array's shape and dtype, finite
parameters and statistics, a positive standard deviation. A file that fails a check
raises :class:`ModelFileError` naming the file and the entry.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .learn.files import ModelFileError, one_line, read_archive, write_archive
from .learn.model import TASKS, Model
from .nn import ACTIVATIONS, MLP

__all__ = ["save_model", "load_model", "model_file", "Model", "ModelFileError",
           "read_archive", "write_archive", "MODEL_FORMAT", "FORMAT_VERSION"]

MODEL_FORMAT = "autograd_flow.learn.model"
FORMAT_VERSION = 2  # 2: the task, regression targets' statistics, classes as in the data
READABLE_VERSIONS = (1, 2)
RUN_MODEL = "model.npz"  # the model in a run folder of autograd-flow train
SEARCH_MODEL = "best_model.npz"  # the best configuration's, in one of autograd-flow search


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


def model_file(path: str | Path) -> Path:
    """The model file ``path`` names: the file ``path``, or in the run folder ``path`` its
    model.npz (a run of ``autograd-flow train``) or best_model.npz (a search's)."""
    path = Path(path)
    if not path.is_dir():
        return path
    for name in (RUN_MODEL, SEARCH_MODEL):
        if (path / name).exists():
            return path / name
    raise ModelFileError(f"{path} is a folder without a {RUN_MODEL} (a run of 'autograd-flow "
                         f"train') or {SEARCH_MODEL} (a search's): give a model file, or the "
                         "folder of such a run")


def load_model(path: str | Path) -> Model:
    """Read a model written by :func:`save_model` (no code runs; see module doc), from
    the file ``path`` or the run folder ``path`` (:func:`model_file`). Every entry is
    checked before use: the architecture's types and sizes, each array's shape and
    dtype, finite parameters and statistics, a positive standard deviation."""
    path = model_file(path)
    arrays, meta = read_archive(path, "model", lambda meta: _model_arrays(path, meta))
    try:
        sizes, activation, dtype, task = _architecture(meta)
        values = _parameter_arrays(arrays, sizes)
        n_in, n_out = sizes[0], sizes[-1]
        statistics = {name: _statistic(arrays, name, n, positive=name.endswith("std"))
                      for name, n in (("mean", n_in), ("std", n_in), ("target_mean", n_out),
                                      ("target_std", n_out))}
        classes = meta.get("classes")
        if not isinstance(classes, list) or not all(
                isinstance(c, (str, int, float)) and not isinstance(c, bool) for c in classes):
            raise ValueError(f"classes must be a list of labels, got {classes!r}")
        names = meta.get("feature_names")
        if names is not None and not (isinstance(names, list) and len(names) == n_in
                                      and all(isinstance(n, str) for n in names)):
            raise ValueError(f"feature_names must be {n_in} names, got {names!r}")
        info = meta.get("info")
        if info is not None and not isinstance(info, dict):
            raise ValueError(f"info must be an object, got {info!r}")
        mlp = MLP(sizes, activation, dtype=dtype)
        for p, value in zip(mlp.parameters, values):
            p.value[...] = value
        return Model(mlp, statistics["mean"], statistics["std"], classes or None, names, info,
                     task=task, target_mean=statistics["target_mean"],
                     target_std=statistics["target_std"],
                     single_target=meta.get("single_target", True) is not False)
    except (KeyError, ValueError, TypeError) as error:
        raise _tampered(path, error) from None


def _tampered(path: Path, error: Exception) -> ModelFileError:
    return ModelFileError(f"model file {path} is inconsistent or tampered with: "
                          f"{type(error).__name__}: {one_line(error)}")


def _model_arrays(path: Path, meta: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
    """The arrays a model file with the metadata ``meta`` holds and their shapes, from
    its architecture (its format and version are checked first)."""
    if meta.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"{path} is not an autograd_flow model (format "
                             f"{meta.get('format')!r}); was it a checkpoint?")
    if meta.get("version") not in READABLE_VERSIONS:
        raise ModelFileError(f"{path} has model format version {meta.get('version')!r}; "
                             f"this autograd_flow reads versions "
                             f"{', '.join(map(str, READABLE_VERSIONS))}")
    try:
        sizes = _architecture(meta)[0]
    except ValueError as error:
        raise _tampered(path, error) from None
    n_in, n_out = sizes[0], sizes[-1]
    return {**parameter_shapes(sizes), "mean": (n_in,), "std": (n_in,),
            "target_mean": (n_out,), "target_std": (n_out,)}


def parameter_shapes(sizes: Sequence[int]) -> dict[str, tuple[int, ...]]:
    """{name: shape} of the parameters of ``MLP(sizes)``: W1 (H1, n_in), b1 (H1,), ..."""
    shapes: dict[str, tuple[int, ...]] = {}
    for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        shapes.update({f"W{k}": (fan_out, fan_in), f"b{k}": (fan_out,)})
    return shapes


def _architecture(meta: Mapping[str, Any]) -> tuple[list[int], str, str, str]:
    """(sizes, activation, dtype, task) of a model's metadata, each checked."""
    sizes = meta.get("sizes")
    if not (isinstance(sizes, list) and len(sizes) >= 2 and all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes)):
        raise ValueError(f"sizes must be a list of at least two whole numbers >= 1, got "
                         f"{sizes!r}")
    activation, dtype = meta.get("activation"), meta.get("dtype")
    task = meta.get("task", "classification")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    if task not in TASKS:
        raise ValueError(f"task must be classification or regression, got {task!r}")
    return sizes, activation, dtype, task


def _parameter_arrays(arrays: Mapping[str, np.ndarray], sizes: list[int]) -> list[np.ndarray]:
    """W1, b1, W2, ... of the architecture ``sizes``: present, of the right shapes, real
    floats and finite."""
    values = []
    for name, shape in parameter_shapes(sizes).items():
        value = arrays[name]
        if value.shape != shape or value.dtype.kind != "f":
            raise ValueError(f"array {name} has shape {value.shape} dtype {value.dtype}, "
                             f"the architecture needs {shape} floats")
        if not np.isfinite(value).all():
            raise ValueError(f"array {name} holds {int(np.sum(~np.isfinite(value)))} NaN "
                             "or infinite value(s): its predictions would be NaN")
        values.append(value)
    return values


def _statistic(arrays: Mapping[str, np.ndarray], name: str, size: int,
               positive: bool) -> np.ndarray:
    """A standardization statistic of ``size`` entries (a version 1 file has no target
    statistics: 0 and 1): finite, and > 0 for a standard deviation."""
    if name not in arrays and name.startswith("target_"):
        return np.full(size, 1.0 if positive else 0.0)
    value = arrays[name]
    if value.dtype.kind not in "fiu" or value.size not in (1, size):
        raise ValueError(f"array {name} has shape {value.shape} dtype {value.dtype}, the "
                         f"model needs {size} numbers")
    value = np.broadcast_to(value.astype(np.float64).reshape(-1), (size,))
    if not np.isfinite(value).all() or (positive and not (value > 0).all()):
        what = "finite and > 0" if positive else "finite"
        raise ValueError(f"array {name} must be {what}, got {value[:8].tolist()}")
    return value
