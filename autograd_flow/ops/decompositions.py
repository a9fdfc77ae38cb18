"""Matrix decompositions with numpy.linalg's rules (matrices in the last two axes,
batched over the others): ``cholesky``, ``qr``, ``svd`` / ``svdvals``, ``eigh`` /
``eigvalsh``, and ``lstsq`` (whose gradient is the pseudo-inverse's), in ``af.linalg``.

A decomposition with several results (numpy's named tuple) is one box per result,
each computing the decomposition; a box's bprop is its result's share of the
derivative (computing the other factors again), and the shares add up to the whole.
The formulas: Murray 2016, "Differentiation of the Cholesky decomposition"; Giles
2008, "Collected matrix derivative results ..." (3.1) and Seeger et al. 2017,
"Auto-differentiating linear algebra", for eigh; Townsend 2016, "Differentiating the
singular value decomposition", and Seeger et al. 2017 for svd; Walter & Lehmann 2018,
"Algorithmic differentiation of linear algebra functions with application in optimum
experimental design", and Liao et al. 2019, "Differentiable programming tensor
networks", for qr (wide matrices included).

Where the derivative does not exist the gradient is a clear error, never NaN:

- eigh's eigenvectors where two eigenvalues are equal (to rounding): the eigenvectors
  of a repeated eigenvalue are any basis of its eigenspace;
- svd's U or Vh where two singular values are equal, or one is 0 (its singular
  vectors flip as A passes through it);
- the columns of U and Vh (svd with full_matrices=True) or of Q (qr, mode="complete")
  past min(m, n), an arbitrary basis, when a gradient reaches them;
- qr where A's first min(m, n) columns are dependent (R has a 0 on its diagonal, to
  within rounding);
- cholesky of a matrix that is not positive definite (its value is one already).

Eigenvalues and singular values alone (eigvalsh, svdvals, svd's S) have a gradient
everywhere: U diag(d w) U^T for the eigenvectors numpy returns, which at repeated
values is exact for a function symmetric in them (a sum, a log-determinant) and one
of the one-sided derivatives otherwise. Their second derivatives go through the
eigenvectors (singular vectors), so at repeated values they are the error above.

cholesky and eigh read one triangle of A, as numpy does, and their gradient is the
derivative of what numpy computes: it lies in that triangle (see
:func:`.inverse.symmetric_reading`). For a symmetric A built from other boxes (K = X
X^T + s I) the gradients reaching those boxes are the usual symmetric ones.
"""
from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np

from ..core.box import Box, as_box
from ..core.scope import composite
from ..errors import BoxError, describe
from .inverse import (
    MatrixRank,
    Pinv,
    columns,
    linalg_errors,
    lower_half,
    matrices,
    owner,
    pinv_adjoint,
    square_matrices,
    symmetric_reading,
    transposed,
)
from .matrix_parts import _beyond, inverse_gaps, invertible, leading, tall_only, trailing
from .plumbing import on_boxes
from .reduce import Sum
from .registry import function, primitive
from .shape import Reshape

# -- the decompositions ---------------------------------------------------------------

@primitive("linalg.cholesky", numpy=np.linalg.cholesky, dims=(2, 3), bound=2.0)
class Cholesky(Box):
    """L = cholesky(A): A = L L^T, L lower triangular, from A's lower triangle (upper=True:
    U = L^T from the upper one, A = U^T U);   d A = Phi(S + S^T), S = L^{-T} Phi(L^T d L)
    L^{-1}, Phi(X) the lower triangle of X with its diagonal halved (Murray 2016, eq. 10,
    as numpy reads one triangle: d A lies in it)"""

    def __init__(self, a: Any, *, upper: bool = False, name: str | None = None) -> None:
        self.upper = bool(upper)
        super().__init__(a, name=name)

    def fprop(self, a):
        square_matrices(self, a)
        with linalg_errors(self, "the matrix is not symmetric positive definite, so it has "
                                 "no Cholesky factor"):
            return np.linalg.cholesky(a, upper=self.upper)

    def bprop(self, grad, a):
        lower, grad = (transposed(self.value), transposed(grad)) if self.upper else (
            self.value, grad)
        lower_t = transposed(lower)
        phi = lower_half(lower_t @ grad)
        s = transposed(np.linalg.solve(lower_t, transposed(np.linalg.solve(lower_t, phi))))
        grad_a = lower_half(s + transposed(s))
        return transposed(grad_a) if self.upper else grad_a


def _check_uplo(uplo: Any) -> Literal["L", "U"]:
    if uplo not in ("L", "U", "l", "u"):
        raise ValueError(f"UPLO must be 'L' or 'U' (the triangle of A to read), got {uplo!r}.")
    return "L" if uplo in ("L", "l") else "U"


_RESULTS = ("eigenvalues", "eigenvectors")
_SVD_RESULTS = ("U", "S", "Vh")


@primitive(op="eigh_part", dims=(2, 3), bound=2.0)
class Eigh(Box):
    """w (part 0, ascending) and U (part 1, the eigenvectors as columns) of the symmetric
    matrix read from A's UPLO triangle: A = U diag(w) U^T;   d A = G + G^T read into
    that triangle, G = U (diag(d w) + F o (U^T d U)) U^T, F_ij = 1 / (w_j - w_i)
    (Giles 2008, 3.1; Seeger et al. 2017). The eigenvectors' gradient is a clear error
    where eigenvalues repeat."""

    def __init__(self, a: Any, UPLO: str = "L", part: int = 0,  # noqa: N803 (numpy's)
                 name: str | None = None) -> None:
        self.UPLO, self.part = _check_uplo(UPLO), part
        super().__init__(a, name=name)

    def fprop(self, a):
        square_matrices(self, a)
        return np.linalg.eigh(a, UPLO=self.UPLO)[self.part]

    def factor(self, a: Any, part: int) -> Any:
        """The decomposition's result ``part``: its own value, or computed again."""
        if part == self.part:
            return self.value
        if on_boxes(a):
            return Eigh(a, self.UPLO, part, name=f"{_RESULTS[part]} of {self.name}")
        return np.linalg.eigh(a, self.UPLO)[part]

    def bprop(self, grad, a):
        vectors = self.factor(a, 1)
        vectors_t = transposed(vectors)
        if self.part == 0:
            general = (vectors * np.expand_dims(grad, -2)) @ vectors_t
        else:
            gaps = inverse_gaps(self.factor(a, 0), f"{describe(owner(self))}: the gradient "
                                                   "through the eigenvectors")
            general = vectors @ (gaps * (vectors_t @ grad)) @ vectors_t
        return symmetric_reading(general, self.UPLO)


@primitive("linalg.eigvalsh", numpy=np.linalg.eigvalsh, dims=(2, 3), bound=2.0)
class Eigvalsh(Eigh):
    """w, the eigenvalues (ascending) of the symmetric matrix read from A's UPLO
    triangle (np.linalg.eigvalsh);   d A = U diag(d w) U^T read into that triangle
    (Giles 2008, 3.1), at repeated eigenvalues for the eigenvectors numpy returns"""

    def __init__(self, a: Any, UPLO: str = "L", name: str | None = None) -> None:  # noqa: N803
        super().__init__(a, UPLO, 0, name=name)

    def fprop(self, a):
        square_matrices(self, a)
        return np.linalg.eigvalsh(a, UPLO=self.UPLO)


class EighResult(NamedTuple):
    """What ``af.linalg.eigh`` returns, as numpy's: two boxes."""

    eigenvalues: Box
    eigenvectors: Box


@function("linalg.eigh", box=Eigh, numpy=np.linalg.eigh, graphs=False)
def eigh(a: Any, UPLO: str = "L", name: str | None = None) -> EighResult:  # noqa: N803
    """The eigenvalues (ascending) and eigenvectors of the symmetric matrix read from
    A's UPLO triangle, as ``np.linalg.eigh``: two Eigh boxes."""
    a, label = as_box(a), name or "eigh"
    return EighResult(Eigh(a, UPLO, 0, name=f"{label}.eigenvalues"),
                      Eigh(a, UPLO, 1, name=f"{label}.eigenvectors"))


@primitive(op="svd_part", dims=(2, 3), bound=2.0)
class Svd(Box):
    """U (part 0), S (part 1, descending) and Vh (part 2) of A = U diag(S) Vh
    (full_matrices as numpy's; hermitian=True: A read from its lower triangle);
    d A = U [(F o (J - J^T)) S + diag(d S) + S (F o (K - K^T))] V^T
    + (I - U U^T) d U S^{-1} V^T + U S^{-1} d V^T (I - V V^T),  J = U^T d U,
    K = V^T d V, F_ij = 1 / (s_j**2 - s_i**2), over the first min(m, n) columns
    (Townsend 2016; Seeger et al. 2017). U's and Vh's gradients are clear errors where
    singular values repeat or are 0."""

    def __init__(self, a: Any, full_matrices: bool = True, hermitian: bool = False,
                 part: int = 0, name: str | None = None) -> None:
        self.full_matrices, self.hermitian, self.part = bool(full_matrices), bool(hermitian), part
        super().__init__(a, name=name)

    def fprop(self, a):
        matrices(self, a)
        return np.linalg.svd(a, self.full_matrices, True, self.hermitian)[self.part]

    def factor(self, a: Any, part: int) -> Any:
        """The decomposition's result ``part``, reduced to min(m, n) singular vectors."""
        if part == self.part:
            value = self.value
        elif on_boxes(a):
            value = Svd(a, self.full_matrices, self.hermitian, part,
                        name=f"{_SVD_RESULTS[part]} of {self.name}")
        else:
            value = np.linalg.svd(a, self.full_matrices, True, self.hermitian)[part]
        return leading(value, a, -1 if part == 0 else -2) if self.full_matrices and part != 1 \
            else value

    def bprop(self, grad, a):
        u, vh = self.factor(a, 0), self.factor(a, 2)
        if self.part == 1:
            general = (u * np.expand_dims(grad, -2)) @ vh
        else:
            s = self.factor(a, 1)
            gaps = inverse_gaps(s, f"{describe(owner(self))}: the gradient through the "
                                   "singular vectors", squares=True)
            rows = np.expand_dims(s, -2)
            refuse = f"{describe(owner(self))}: " + _beyond(
                "svd's singular vectors", "full_matrices=False")
            if self.part == 0:
                grad_u = leading(grad, a, -1, refuse) if self.full_matrices else grad
                inner = transposed(u) @ grad_u
                general = (u @ ((gaps * (inner - transposed(inner))) * rows)
                           + tall_only((grad_u - u @ inner) / rows, u)) @ vh
            else:
                v = transposed(vh)
                grad_v = transposed(leading(grad, a, -2, refuse) if self.full_matrices else grad)
                inner = transposed(v) @ grad_v
                general = u @ (np.expand_dims(s, -1) * (gaps * (inner - transposed(inner))) @ vh
                               + transposed(tall_only((grad_v - v @ inner) / rows, v)))
        return symmetric_reading(general, "L") if self.hermitian else general


@primitive("linalg.svdvals", numpy=np.linalg.svdvals, dims=(2, 3), bound=2.0)
class Svdvals(Box):
    """s, the singular values of A, descending (np.linalg.svdvals; hermitian as svd's);
    d A = U diag(d s) V^T (Seeger et al. 2017), at repeated or zero singular values for
    the singular vectors numpy returns"""

    def __init__(self, x: Any, hermitian: bool = False, name: str | None = None) -> None:
        self.hermitian = bool(hermitian)
        super().__init__(x, name=name)

    def fprop(self, a):
        matrices(self, a)
        return np.linalg.svd(a, compute_uv=False, hermitian=self.hermitian)

    def bprop(self, grad, a):
        u: Any
        vh: Any
        if on_boxes(a):
            u, vh = (Svd(a, False, self.hermitian, part,
                         name=f"{_SVD_RESULTS[part]} of {self.name}") for part in (0, 2))
        else:
            u, _, vh = np.linalg.svd(a, False, True, self.hermitian)
        general = (u * np.expand_dims(grad, -2)) @ vh
        return symmetric_reading(general, "L") if self.hermitian else general


class SVDResult(NamedTuple):
    """What ``af.linalg.svd`` returns, as numpy's: three boxes."""

    U: Box
    S: Box
    Vh: Box


@function("linalg.svd", box=Svd, numpy=np.linalg.svd, graphs=False)
def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False,
        name: str | None = None) -> SVDResult | Box:
    """A = U diag(S) Vh, as ``np.linalg.svd``: three Svd boxes (U, S, Vh), or with
    compute_uv=False one Svdvals box."""
    if not compute_uv:
        return Svdvals(a, hermitian=hermitian, name=name)
    a, label = as_box(a), name or "svd"
    return SVDResult(*(Svd(a, full_matrices, hermitian, part, name=f"{label}.{result}")
                       for part, result in enumerate(_SVD_RESULTS)))


_QR_MODES = ("reduced", "complete", "r")


@primitive(op="qr_part", dims=(2, 3), bound=2.0)
class Qr(Box):
    """Q (part 0) and R (part 1) of A = Q R, Q with orthonormal columns, R upper
    triangular (mode "reduced": Q (m, k), R (k, n), k = min(m, n); "complete": Q (m, m),
    R (m, n); "r": R alone);  with A = [X | Y], R = [R1 | R2] split after k columns:
    d X = (d Q + Y d R2^T + Q copyltu(M)) R1^{-T}, d Y = Q d R2,
    M = R1 d R1^T - (d Q + Y d R2^T)^T Q, copyltu(M) = M's lower triangle mirrored
    (Walter & Lehmann 2018; Liao et al. 2019). A clear error where R1 is singular."""

    def __init__(self, a: Any, mode: str = "reduced", part: int = 0,
                 name: str | None = None) -> None:
        if mode not in _QR_MODES:
            raise BoxError(f"qr: mode must be one of {', '.join(map(repr, _QR_MODES))}, got "
                           f"{mode!r} (mode='raw' gives LAPACK's Householder reflectors, "
                           "which have no box form).")
        self.mode: Any = mode
        self.part = 1 if mode == "r" else part
        super().__init__(a, name=name)

    def fprop(self, a):
        matrices(self, a)
        result = np.linalg.qr(a, self.mode)
        return result if self.mode == "r" else result[self.part]

    def factor(self, a: Any, part: int) -> Any:
        """The reduced decomposition's result ``part``."""
        if part == self.part and self.mode == "reduced":
            return self.value
        return Qr(a, "reduced", part) if on_boxes(a) else np.linalg.qr(a)[part]

    def bprop(self, grad, a):
        q, r = self.factor(a, 0), self.factor(a, 1)
        if self.part == 0:
            refuse = f"{describe(owner(self))}: " + _beyond(
                "the columns of qr's Q", "mode='reduced'")
            grad_q = leading(grad, a, -1, refuse) if self.mode == "complete" else grad
            return self.adjoint(a, q, r, grad_q, np.zeros_like(r))
        grad_r = leading(grad, a, -2) if self.mode == "complete" else grad
        return self.adjoint(a, q, r, np.zeros_like(q), grad_r)

    def adjoint(self, a: Any, q: Any, r: Any, grad_q: Any, grad_r: Any) -> Any:
        """d A from d Q and d R of the reduced decomposition (the class's formula)."""
        grad_r2 = trailing(grad_r, a, -1)
        grad_q = grad_q + trailing(a, a, -1) @ transposed(grad_r2)
        r1 = invertible(leading(r, a, -1), f"{describe(owner(self))}: the gradient of qr "
                                              "does not exist where R is singular")
        m = r1 @ transposed(leading(grad_r, a, -1)) - transposed(grad_q) @ q
        copied = np.tril(m) + transposed(np.tril(m, -1))
        grad_x = transposed(np.linalg.solve(r1, transposed(grad_q + q @ copied)))
        return np.concatenate([grad_x, q @ grad_r2], axis=-1)


class QRResult(NamedTuple):
    """What ``af.linalg.qr`` returns, as numpy's: two boxes."""

    Q: Box
    R: Box


@function("linalg.qr", box=Qr, numpy=np.linalg.qr, graphs=False)
def qr(a: Any, mode: str = "reduced", name: str | None = None) -> QRResult | Box:
    """A = Q R, as ``np.linalg.qr``: two Qr boxes (Q, R), or with mode="r" R's alone."""
    if mode == "r":
        return Qr(a, "r", name=name)
    a, label = as_box(a), name or "qr"
    return QRResult(Qr(a, mode, 0, name=f"{label}.Q"), Qr(a, mode, 1, name=f"{label}.R"))


# -- least squares, through the pseudo-inverse ---------------------------------------

def _single_matrix(box: Box, a: Any) -> None:
    if np.ndim(a) != 2:
        raise BoxError(f"{describe(box)}: lstsq takes one matrix A (2-D, as numpy's), got "
                       f"shape {np.shape(a)}.")


@primitive(op="lstsq_x", dims=(2, 2), bound=2.0)
class Lstsq(Box):
    """x = the least-squares solution of least norm of A x = b (np.linalg.lstsq's first
    result: A one matrix, b a vector or matrices' columns; singular values at most
    rcond times the largest count as 0), x = A^+ b;   d b = A^{+T} d x, d A = pinv's
    adjoint of d A^+ = d x b^T (Golub & Pereyra 1973)"""

    def __init__(self, a: Any, b: Any, rcond: Any = None, name: str | None = None) -> None:
        self.rcond = rcond
        super().__init__(a, b, name=name)

    def fprop(self, a, b):
        _single_matrix(self, a)
        return np.linalg.lstsq(a, b, self.rcond)[0]

    def bprop(self, grad, a, b):
        inverse = Pinv(a, rtol=self.rcond) if on_boxes(a) else np.linalg.pinv(a, rtol=self.rcond)
        grad_inverse = columns(grad, b) @ transposed(columns(b, b))
        return pinv_adjoint(a, inverse, grad_inverse), transposed(inverse) @ grad


@primitive(op="lstsq_residuals", dims=(2, 2), bound=2.0)
class LstsqResiduals(Box):
    """y = the squared residuals ``squares`` where A (m, n) has rank n and m > n, else
    an empty array (numpy's lstsq);   d squares = d y where kept"""

    linear_in = (0,)

    def __init__(self, squares: Any, a: Any, rcond: Any = None, name: str | None = None) -> None:
        self.rcond = rcond
        super().__init__(squares, a, name=name)

    def kept(self, a: Any) -> bool:
        _single_matrix(self, a)
        rows, cols = np.shape(a)
        rcond = np.finfo(np.result_type(a, 1.0)).eps * max(rows, cols) \
            if self.rcond is None else self.rcond
        return rows > cols and np.linalg.matrix_rank(a, rtol=rcond) == cols

    def fprop(self, squares, a):
        return squares if self.kept(a) else squares[:0]

    def bprop(self, grad, squares, a):
        return (grad if self.kept(a) else np.zeros_like(squares)), None


class LstsqResult(NamedTuple):
    """What ``af.linalg.lstsq`` returns, as numpy's: four boxes."""

    x: Box
    residuals: Box
    rank: Box
    s: Box


@function("linalg.lstsq", box=Lstsq, numpy=np.linalg.lstsq, graphs=False)
@composite("lstsq")
def lstsq(a: Any, b: Any, rcond: Any = None, name: str | None = None) -> LstsqResult:
    """The least-squares solution of A x = b, as ``np.linalg.lstsq``: x (a Lstsq box,
    the solution of least norm), the squared residuals sum((b - A x)**2) per column
    (empty unless A has full column rank and more rows than columns), A's rank and its
    singular values."""
    a, b = as_box(a), as_box(b)
    x = Lstsq(a, b, rcond, name=name or "lstsq")
    residual = b - a @ x
    squares = Reshape(Sum(residual * residual, axis=0), (-1,), name="squares")
    return LstsqResult(x, LstsqResiduals(squares, a, rcond, name="residuals"),
                       MatrixRank(a, rtol=rcond, name="rank"), Svdvals(a, name="s"))
