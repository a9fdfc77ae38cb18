"""Table rows of matrix functions: inputs made well-conditioned from standard normal
entries by the row itself (a shift of the diagonal, or A A^T + n I for a positive
definite matrix), so that float64 central differences are accurate; the gradient
reaching the standard normal entries is the function's own."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_flow as af

from .table import Aux, Case


def _value(a: Any) -> Any:
    return a.value if isinstance(a, af.Box) else a


def shifted(a: Any, amount: float = 3.0) -> Any:
    """a + amount * I (in a's dtype): a well-conditioned matrix, for boxes and arrays."""
    value = _value(a)
    return a + (amount * np.eye(np.shape(value)[-1])).astype(np.result_type(value))


def positive_definite(a: Any) -> Any:
    """a a^T + n I (in a's dtype): a symmetric positive definite matrix."""
    value = _value(a)
    n = np.shape(value)[-1]
    return a @ np.swapaxes(a, -1, -2) + (n * np.eye(n)).astype(np.result_type(value))


def row(name: str, build: Callable[..., Any], reference: Callable[..., Any],
        inputs: tuple[Any, ...], **options: Any) -> Case:
    """A Case whose id starts with ``name`` (a row built by a lambda)."""
    build.__name__ = name
    return Case(build, inputs, reference, **options)


def ref(shape: tuple[int, ...]) -> Aux:
    """A non-differentiable array of zeros of ``shape`` (a shape reference)."""
    return Aux(lambda rng: np.zeros(shape), f"ref{shape}")
