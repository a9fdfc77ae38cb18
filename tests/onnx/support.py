"""What the ONNX tests share: running a model file in onnxruntime and comparing with
fprop at the tolerance of its dtype (float32 rtol 1e-5, float64 rtol 1e-12)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")

#: ops onnxruntime runs in float32 only (no float64 kernel): a float64 model holding one
#: is valid ONNX that onnxruntime cannot run
FLOAT32_ONLY = {"Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh",
                "Conv", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Mean", "Erf",
                "Det"}


def run(path: Path, feed: dict[str, Any]) -> list[np.ndarray]:
    """The model's outputs in onnxruntime for ``feed`` (input name -> array)."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {name: np.asarray(value) for name, value in feed.items()})


def tolerance(dtype: Any) -> float:
    return 1e-5 if np.dtype(dtype) == np.float32 else 1e-12


def assert_close(got: Any, expected: Any, dtype: Any) -> None:
    """Same shape and dtype, and values within the dtype's tolerance (relative, and
    absolute for entries near 0)."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    tol = tolerance(dtype)
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)
