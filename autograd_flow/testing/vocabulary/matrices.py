"""numpy.linalg for random graphs: determinants, inverses, solutions, decompositions and
least squares on matrices made from the drawn box ``a`` (its last two axes; entries
|a| <= 2, the ``bound`` of their declarations), and cross products of a's 2- or
3-vectors.

Each matrix is made well away from where its function has no derivative, so that
finite differences are accurate: S = a a^T / 4 + I is positive definite with
eigenvalues in [1, 10]; S + diag(0, 30, 60) has eigenvalues at least 21 apart (Weyl);
a / 4 + diag(10, 6, 2) (rectangular) has singular values at least 1 apart and at
least 0.5 (a / 4 moves them by at most 1.5). Their eigenvectors and singular vectors
lie close to the axes, and are drawn with the sign of their diagonal entry divided out
(the sign numpy picks is any).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from ...core.box import Box
from ...ops import (
    Cholesky,
    Cross,
    Det,
    Eigh,
    Eigvalsh,
    Inv,
    LogAbsDet,
    MatrixRank,
    Pinv,
    Qr,
    SignDet,
    Solve,
    Svd,
    Svdvals,
)
from ...ops import surface as N
from ...ops.plumbing import astype_like
from ..builder import Builder, Recipe


def _positive_definite(b: Builder, a: Box) -> Any:
    """a a^T / 4 + I over a's last two axes: eigenvalues in [1, 10]."""
    rows = np.shape(a.value)[-2]
    return a @ N.swapaxes(a, -1, -2) * 0.25 + np.eye(rows, dtype=b.dtype)


def _separated(b: Builder, a: Box) -> Any:
    """A symmetric matrix with eigenvalues at least 21 apart, the i-th eigenvector
    close to the i-th axis."""
    rows = np.shape(a.value)[-2]
    return _positive_definite(b, a) + np.diag(30.0 * np.arange(rows)).astype(b.dtype)


def _full_rank(b: Builder, a: Box) -> Any:
    """a / 4 + diag(..., 6, 2) (descending): singular values at least 0.5 and 1 apart,
    the i-th singular vectors close to the i-th axes."""
    rows, cols = np.shape(a.value)[-2:]
    spread = np.zeros((rows, cols))
    k = min(rows, cols)
    spread[range(k), range(k)] = 2.0 + 4.0 * np.arange(k)[::-1]
    return a * 0.25 + spread.astype(b.dtype)


def _sign_fixed(vectors: Any, axis: int) -> Any:
    """Vectors (columns for axis -2, rows for axis -1) times the sign of their entry on
    the diagonal (the axis each is close to): the same vectors whichever sign numpy
    picked."""
    signs = N.sign(N.diagonal(vectors, axis1=-2, axis2=-1))
    return vectors * (signs[..., None, :] if axis == -2 else signs[..., :, None])


def _on_square(op: Any) -> Recipe:
    def make(b: Builder, a: Box) -> Box:
        return op(_positive_definite(b, a))
    return make


def _solve(b: Builder, a: Box) -> Box:
    """A x = rhs for a drawn right-hand side: one vector, or columns, batched or not."""
    rows = np.shape(a.value)[-2]
    shape = b.draw(st.sampled_from([(rows,), (rows, 1), (rows, 2),
                                    np.shape(a.value)[:-2] + (rows, 2)]))
    return Solve(_positive_definite(b, a), b.operand(shape))


def _eigh(b: Builder, a: Box) -> Box:
    matrix = _separated(b, a)
    if b.boolean():
        return Eigh(matrix, UPLO=b.draw(st.sampled_from(["L", "U"])), part=0)
    return _sign_fixed(Eigh(matrix, part=1), -2)


def _svd(b: Builder, a: Box) -> Box:
    part = b.draw(st.integers(0, 2))
    factor = Svd(_full_rank(b, a), full_matrices=False, part=part)
    return factor if part == 1 else _sign_fixed(factor, -2 if part == 0 else -1)


def _qr(b: Builder, a: Box) -> Box:
    return Qr(_full_rank(b, a), part=b.draw(st.integers(0, 1)))


def _tall(b: Builder, a: Box) -> tuple[Any, int] | None:
    """A full-rank matrix made from a (one matrix) with more rows than columns (from a
    transposed if it is wide) and its count of rows, or None for a square a."""
    if np.ndim(a.value) != 2 or len(set(np.shape(a.value))) == 1:
        return None
    rows, cols = np.shape(a.value)
    if rows > cols:
        return _full_rank(b, a), rows
    return N.transpose(_full_rank(b, a)), cols


def _lstsq(b: Builder, a: Box) -> Box | None:
    tall = _tall(b, a)
    if tall is None:
        return None
    matrix, rows = tall
    rhs = b.operand(b.draw(st.sampled_from([(rows,), (rows, 2)])))
    return N.linalg.lstsq(matrix, rhs)[0]


def _lstsq_residuals(b: Builder, a: Box) -> Box | None:
    tall = _tall(b, a)
    if tall is None:
        return None
    matrix, rows = tall
    return N.linalg.lstsq(matrix, b.operand((rows,)))[1]


def _matrix_rank(b: Builder, a: Box) -> Box:
    """The rank in a's dtype (a random graph keeps floating values only)."""
    matrix = _full_rank(b, a)
    return astype_like(MatrixRank(matrix), matrix)


def _cross(b: Builder, a: Box) -> Box | None:
    """a x other along an axis of a with 2 or 3 entries (other of a's shape)."""
    shape = np.shape(a.value)
    axes = [k - len(shape) for k, side in enumerate(shape) if side in (2, 3)]
    if not axes:
        return None
    axis = b.draw(st.sampled_from(axes))
    other = b.operand(shape)
    return Cross(a, other, axis=axis) if b.boolean() else Cross(other, a, axis=axis)


#: How a random graph draws the matrix functions, by the op's name.
RECIPES: dict[str, Recipe] = {
    "linalg.det": _on_square(Det),
    "slogdet_sign": _on_square(SignDet),
    "slogdet_logabsdet": _on_square(LogAbsDet),
    "linalg.inv": _on_square(Inv),
    "linalg.solve": _solve,
    "linalg.pinv": lambda b, a: Pinv(_full_rank(b, a)),
    "linalg.matrix_rank": _matrix_rank,
    "linalg.cholesky": _on_square(Cholesky),
    "eigh_part": _eigh,
    "linalg.eigvalsh": lambda b, a: Eigvalsh(_separated(b, a)),
    "svd_part": _svd,
    "linalg.svdvals": lambda b, a: Svdvals(_full_rank(b, a)),
    "qr_part": _qr,
    "lstsq_x": _lstsq,
    "lstsq_residuals": _lstsq_residuals,
    "cross": _cross,
}
