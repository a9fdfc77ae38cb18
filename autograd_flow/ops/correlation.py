"""Covariance and correlation matrices, as ``np.cov`` and ``np.corrcoef``: composites of
primitives (centering, a matrix product, a division), so their gradients and second
derivatives need no formula of their own."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.box import Box, user_site
from ..core.scope import composite
from ..errors import BoxError, describe
from .arithmetic import Add, Clip, Div, Maximum, Mul, Sub
from .elementwise import Sqrt
from .join import Concatenate
from .linalg import MatMul
from .matrix import Diagonal
from .plumbing import ZerosLike, astype_like
from .reduce import Mean, Sum
from .registry import function, primitive
from .shape import Reshape, Squeeze, Transpose


@primitive()
class Variables(Box):
    """y = an array as np.cov reads it: 2-D, one variable per row and one observation per
    column (np.array(a, ndmin=2); when not rowvar, transposed: m unless it is 1-D, y
    unless it has one row, numpy's rules);   d a = d y laid back in a's shape"""

    linear_in = (0,)

    def __init__(self, a: Any, rowvar: bool = True, argument: str = "m",
                 name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.rowvar, self.argument = bool(rowvar), argument

    def _transposed(self, a: Any) -> bool:
        if np.ndim(a) > 2:
            raise BoxError(f"{describe(self)}: {self.argument} has more than 2 axes (shape "
                           f"{np.shape(a)}); cov takes variables by observations.")
        if self.rowvar:
            return False
        if self.argument == "m":
            return np.ndim(a) != 1
        return np.shape(np.atleast_2d(a))[0] != 1

    def fprop(self, a):
        rows = np.atleast_2d(a)
        return np.transpose(rows) if self._transposed(a) else rows

    def bprop(self, grad, a):
        return np.reshape(np.transpose(grad) if self._transposed(a) else grad, np.shape(a))


def _weights(fweights: Any, aweights: Any) -> tuple[np.ndarray | None, float | None]:
    """np.cov's weights checked: their product w, and sum(w * aweights) (None without
    aweights)."""
    where = f"cov (called at {user_site()})"
    w = None
    for label, weights in (("fweights", fweights), ("aweights", aweights)):
        if weights is None:
            continue
        weights = np.asarray(weights, dtype=np.float64)
        if weights.ndim != 1:
            raise BoxError(f"{where}: {label} must be 1-D (one per observation), got shape "
                           f"{weights.shape}.")
        if label == "fweights" and not np.all(weights == np.round(weights)):
            raise BoxError(f"{where}: fweights must be integers (frequencies).")
        if np.any(weights < 0):
            raise BoxError(f"{where}: {label} cannot be negative.")
        w = weights if w is None else w * weights
    products = None if aweights is None or w is None else float(np.sum(w * aweights))
    return w, products


@composite("cov")
def _covariance(m: Any, y: Any, rowvar: bool, bias: bool, ddof: int | None, fweights: Any,
                aweights: Any) -> Box:
    """np.cov before its final squeeze: always 2-D (variables by variables)."""
    if ddof is not None and ddof != int(ddof):
        raise BoxError(f"cov (called at {user_site()}): ddof must be an integer, got {ddof!r}.")
    ddof = (0 if bias else 1) if ddof is None else int(ddof)
    X: Box = Variables(m, rowvar, name="variables")
    if y is not None:
        X = Concatenate(X, Variables(y, rowvar, argument="y", name="variables"), axis=0)
    w, products = _weights(fweights, aweights)
    if w is None:
        centered = Sub(X, Mean(X, axis=1, keepdims=True), name="centered")
        count = Sum(Add(ZerosLike(X), 1), axis=1, keepdims=True, name="observations")
        fact: Any = Maximum(Sub(count, ddof), 0)  # numpy: no degrees of freedom -> 0
        product = MatMul(centered, Transpose(centered))
    else:
        total = float(np.sum(w))
        weights = astype_like(w, X)  # (float32 stays float32)
        centered = Sub(X, Div(Sum(Mul(X, weights), axis=1, keepdims=True), total),
                       name="centered")
        fact = total if ddof == 0 else (total - ddof if products is None
                                        else total - ddof * products / total)
        fact = max(fact, 0.0)
        product = MatMul(centered, Transpose(Mul(centered, weights)))
    return Mul(product, Div(1, fact) if isinstance(fact, Box) else _reciprocal(fact),
               name="cov")


def _reciprocal(value: float) -> float:
    with np.errstate(divide="ignore"):
        return float(np.true_divide(1, value))


@function("cov", numpy=np.cov, graphs=False)
def cov(m: Any, y: Any = None, rowvar: bool = True, bias: bool = False,
        ddof: int | None = None, fweights: Any = None, aweights: Any = None,
        name: str | None = None) -> Box:
    """The covariance matrix of the variables in ``m`` (rows; columns when not
    ``rowvar``) and ``y``, as ``np.cov``: centered products over n - ddof (ddof 1, or
    0 with ``bias``), observations weighted by ``fweights`` (counts) and ``aweights``;
    squeezed (one variable gives a 0-d variance). The weights are arrays, not boxes."""
    return Squeeze(_covariance(m, y, rowvar, bias, ddof, fweights, aweights),
                   name=name or "cov")


@function("corrcoef", numpy=np.corrcoef, graphs=False)
@composite("corrcoef")
def corrcoef(x: Any, y: Any = None, rowvar: bool = True, name: str | None = None) -> Box:
    """The correlation coefficients of the variables in ``x`` and ``y``, as
    ``np.corrcoef``: cov(i, j) / sqrt(cov(i, i) cov(j, j)), clipped to [-1, 1];
    squeezed (one variable gives 1.0)."""
    c = _covariance(x, y, rowvar, False, None, None, None)
    deviations = Sqrt(Diagonal(c), name="deviations")
    c = Div(Div(c, Reshape(deviations, shape=(-1, 1))), deviations)
    return Squeeze(Clip(c, -1, 1), name=name or "corrcoef")
