"""Determinants, inverses and solutions of linear systems, with numpy.linalg's rules
(matrices in the last two axes, batched over the others): ``det``, ``slogdet``,
``inv``, ``solve``, ``pinv`` and ``matrix_rank``, in ``af.linalg`` (``lstsq`` is with
the decompositions), and ``tensorinv`` and ``tensorsolve``, inv and solve of arrays
read as matrices (composites).

The derivatives are those of Giles 2008, "Collected matrix derivative results for
forward and reverse mode algorithmic differentiation" (section numbers below), and of
Golub & Pereyra 1973, "The differentiation of pseudo-inverses and nonlinear least
squares problems" (eq. 4.12) for the pseudo-inverse. Each is written with numpy calls
that build boxes on boxes, so second derivatives come from the same formula.

Singular matrices: ``det`` and ``slogdet`` take them (0 and (0, -inf)), but their
gradient, which needs A^{-1}, is a clear error there; ``inv`` and ``solve`` of a
singular matrix are clear errors. ``pinv`` takes any matrix; its gradient is the
derivative along perturbations that keep the rank (where pinv is continuous).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np

from ..core.box import Box, as_box
from ..errors import BoxError, describe
from .plumbing import on_boxes
from .registry import function, primitive
from .shape import Reshape, Transpose


def transposed(x: Any) -> Any:
    """The matrices of x transposed (its last two axes swapped), on arrays and boxes."""
    return np.swapaxes(x, -1, -2)


def owner(box: Any) -> Any:
    """The box a bprop runs for: the box itself, or the box behind its twin when
    :func:`autograd_flow.grad` runs the bprop on boxes (for messages)."""
    return getattr(box, "_box", box)


def square_matrices(box: Box, a: Any) -> None:
    """A BoxError naming ``box`` unless ``a`` holds square matrices in its last two axes."""
    shape = np.shape(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise BoxError(f"{describe(box)}: takes square matrices in the last two axes "
                       f"(shape (..., n, n)), got shape {shape}.")


def matrices(box: Box, a: Any) -> None:
    """A BoxError naming ``box`` unless ``a`` has at least two axes (a stack of matrices)."""
    if np.ndim(a) < 2:
        raise BoxError(f"{describe(box)}: takes matrices (at least two axes, the last two "
                       f"a matrix's rows and columns), got shape {np.shape(a)}.")


@contextmanager
def linalg_errors(box: Box, problem: str) -> Iterator[None]:
    """numpy's LinAlgError inside as a BoxError naming ``box`` and the problem."""
    try:
        yield
    except np.linalg.LinAlgError as error:
        raise BoxError(f"{describe(owner(box))}: {problem} (numpy: {error}).") from None


@primitive()
class Columns(Box):
    """y = g as a stack of matrices: g[..., None] (one column) where ref is 1-D (a
    vector, as numpy's solve reads b), else g itself; with ``back``, the inverse
    (g[..., 0] where ref is 1-D);   d g = d y put back the same way"""

    linear_in = (0,)

    def __init__(self, g: Any, ref: Any, back: bool = False, name: str | None = None) -> None:
        self.back = back
        super().__init__(g, ref, name=name)

    def fprop(self, g, ref):
        if np.ndim(ref) != 1:
            return g
        return g[..., 0] if self.back else g[..., None]

    def bprop(self, grad, g, ref):
        return np.reshape(grad, np.shape(g)), None


def columns(g: Any, ref: Any, back: bool = False) -> Any:
    """g as a stack of matrices where ref (solve's b) is a vector (see :class:`Columns`)."""
    if on_boxes(g, ref):
        return Columns(g, ref, back=back)
    if np.ndim(ref) != 1:
        return g
    return g[..., 0] if back else g[..., None]


def inverse(a: Any, box: Box, what: str) -> Any:
    """A^{-1} for the gradient ``what`` of ``box``: an Inv box on boxes; on arrays a
    BoxError naming the box where A is singular."""
    if on_boxes(a):
        return Inv(a)
    with linalg_errors(box, f"{what} needs the inverse of the matrix, which is singular"):
        return np.linalg.inv(a)


@primitive("linalg.det", numpy=np.linalg.det, dims=(2, 3), bound=2.0)
class Det(Box):
    """y = det(A) of the matrices in A's last two axes;   d A = d y * y * A^{-T}
    (Giles 2008, 2.2.2). At a singular A, where d A is the adjugate, the gradient is a
    clear error (it needs A^{-1})."""

    def fprop(self, a):
        square_matrices(self, a)
        return np.linalg.det(a)

    def bprop(self, grad, a):
        scale = np.expand_dims(grad * self.value, (-2, -1))
        return scale * transposed(inverse(a, self, "the gradient of det"))


@primitive(op="slogdet_sign", dims=(2, 3), bound=2.0)
class SignDet(Box):
    """y = the sign of det(A): -1, 0 or 1 (numpy's slogdet, first result);   no
    gradient (piecewise constant)"""

    def fprop(self, a):
        square_matrices(self, a)
        return np.linalg.slogdet(a)[0]

    def bprop(self, grad, a):
        return None


@primitive(op="slogdet_logabsdet", dims=(2, 3), bound=2.0)
class LogAbsDet(Box):
    """y = log |det(A)| (numpy's slogdet, second result; -inf for a singular A);
    d A = d y * A^{-T} (Giles 2008, 2.2.2), a clear error at a singular A"""

    def fprop(self, a):
        square_matrices(self, a)
        return np.linalg.slogdet(a)[1]

    def bprop(self, grad, a):
        return np.expand_dims(grad, (-2, -1)) * transposed(
            inverse(a, self, "the gradient of slogdet"))


class SlogdetResult(NamedTuple):
    """What ``af.linalg.slogdet`` returns, as numpy's: two boxes."""

    sign: Box
    logabsdet: Box


@function("linalg.slogdet", box=LogAbsDet, numpy=np.linalg.slogdet, graphs=False)
def slogdet(a: Any, name: str | None = None) -> SlogdetResult:
    """The sign and the log of the absolute value of det(A), as ``np.linalg.slogdet``:
    a SignDet box (no gradient) and a LogAbsDet box (d A = d logabsdet * A^{-T})."""
    a = as_box(a)
    return SlogdetResult(SignDet(a, name=f"{name or 'slogdet'}.sign"),
                         LogAbsDet(a, name=name or "logabsdet"))


@primitive("linalg.inv", numpy=np.linalg.inv, dims=(2, 3), bound=2.0)
class Inv(Box):
    """Y = A^{-1} of the matrices in A's last two axes;   d A = -Y^T d Y Y^T
    (Giles 2008, 2.2.3); a singular A is a clear error"""

    def fprop(self, a):
        square_matrices(self, a)
        with linalg_errors(self, "the matrix is singular: it has no inverse"):
            return np.linalg.inv(a)

    def bprop(self, grad, a):
        inverse_t = transposed(self.value)
        return -(inverse_t @ grad @ inverse_t)


@primitive("linalg.solve", numpy=np.linalg.solve, dims=(2, 3), bound=2.0)
class Solve(Box):
    """x = A^{-1} b, the solution of A x = b (b one vector when it is 1-D, else a stack
    of matrices, as numpy 2 reads it; batch axes broadcast);
    d b = A^{-T} d x,  d A = -(d b) x^T  (Giles 2008, 2.3.1); a singular A is a clear
    error"""

    def __init__(self, a: Any, b: Any, name: str | None = None) -> None:
        super().__init__(a, b, name=name)

    def fprop(self, a, b):
        square_matrices(self, a)
        rows = np.shape(b)[0] if np.ndim(b) == 1 else (
            np.shape(b)[-2] if np.ndim(b) >= 2 else None)
        if rows != np.shape(a)[-1]:
            raise BoxError(f"{describe(self)}: b must have as many rows as A (shape "
                           f"{np.shape(a)}): a vector of {np.shape(a)[-1]} entries or "
                           f"matrices of {np.shape(a)[-1]} rows, got shape {np.shape(b)}.")
        with linalg_errors(self, "the matrix A is singular: A x = b has no unique solution"):
            return np.linalg.solve(a, b)

    def bprop(self, grad, a, b):
        grad_b = np.linalg.solve(transposed(a), columns(grad, b))
        grad_a = -(grad_b @ transposed(columns(self.value, b)))
        return grad_a, columns(grad_b, b, back=True)


@function("linalg.tensorinv", box=Inv, numpy=np.linalg.tensorinv, graphs=False)
def tensorinv(a: Any, ind: int = 2, name: str | None = None) -> Box:
    """The inverse of a read as a matrix of its first ``ind`` axes by the others, as
    ``np.linalg.tensorinv`` (shape a.shape[ind:] + a.shape[:ind]): an Inv box between
    two reshapes; it needs a's shape before a run."""
    shape = np.shape(a)
    if not isinstance(ind, (int, np.integer)) or isinstance(ind, bool) or ind <= 0:
        raise ValueError(f"tensorinv: ind must be a positive integer, not {ind!r}")
    rows = int(np.prod(shape[:ind]))
    if rows != int(np.prod(shape[ind:])):
        raise BoxError(f"tensorinv: a of shape {shape} read as a matrix of its first {ind} "
                       f"axes by the others is not square ({rows} rows, "
                       f"{int(np.prod(shape[ind:]))} columns)")
    inverse = Inv(Reshape(a, shape=(rows, rows)), name=name or "tensorinv")
    return Reshape(inverse, shape=shape[ind:] + shape[:ind])


@function("linalg.tensorsolve", box=Solve, numpy=np.linalg.tensorsolve, graphs=False)
def tensorsolve(a: Any, b: Any, axes: Any = None, name: str | None = None) -> Box:
    """x with tensordot(a, x, x.ndim) = b, as ``np.linalg.tensorsolve`` (``axes``: the
    axes of a moved to its end first): a Solve box of a read as a square matrix; it
    needs the shapes of a and b before a run."""
    if axes is not None:
        order = [k for k in range(np.ndim(a)) if k not in [j % np.ndim(a) for j in axes]]
        a = Transpose(a, axes=tuple(order) + tuple(j % np.ndim(a) for j in axes))
    shape_a, shape_b = np.shape(a), np.shape(b)
    unknown = shape_a[len(shape_b):]
    rows = int(np.prod(shape_b))
    if rows != int(np.prod(unknown)):
        raise BoxError(f"tensorsolve: a of shape {shape_a} read as a matrix of b's shape "
                       f"{shape_b} by the rest is not square ({rows} rows, "
                       f"{int(np.prod(unknown))} columns)")
    x = Solve(Reshape(a, shape=(rows, rows)), Reshape(b, shape=(rows,)),
              name=name or "tensorsolve")
    return Reshape(x, shape=unknown)


@primitive("linalg.pinv", numpy=np.linalg.pinv, dims=(2, 3), bound=2.0)
class Pinv(Box):
    """X = A^+, the pseudo-inverse (numpy's cut-off: singular values at most
    rtol * the largest count as 0; with hermitian=True A is read from its lower
    triangle, as numpy's eigh reads it);
    d A = -X^T d X X^T + (I - A X) d X^T X X^T + X^T X d X^T (I - X A)
    (Golub & Pereyra 1973, 4.12): the derivative along perturbations that keep A's rank
    (across a change of rank pinv jumps)"""

    def __init__(self, a: Any, rcond: Any = None, hermitian: bool = False, *,
                 rtol: Any = None, name: str | None = None) -> None:
        # rtol None: numpy's default cut-off (rcond's); a graph file keeps it as None
        self.rcond, self.hermitian, self.rtol = rcond, bool(hermitian), rtol
        super().__init__(a, name=name)

    def fprop(self, a):
        matrices(self, a)
        if self.rtol is None:
            return np.linalg.pinv(a, self.rcond, self.hermitian)
        return np.linalg.pinv(a, self.rcond, self.hermitian, rtol=self.rtol)

    def bprop(self, grad, a):
        if not self.hermitian:
            return pinv_adjoint(a, self.value, grad)
        symmetric = np.tril(a) + transposed(np.tril(a, -1))  # the matrix numpy reads
        return symmetric_reading(pinv_adjoint(symmetric, self.value, grad), "L")


def pinv_adjoint(a: Any, x: Any, grad: Any) -> Any:
    """d A from d X for X = pinv(A): Pinv's formula (Golub & Pereyra 1973, 4.12)."""
    x_t, grad_t = transposed(x), transposed(grad)
    left = grad_t @ (x @ x_t)  # d X^T X X^T
    right = (x_t @ x) @ grad_t  # X^T X d X^T
    return -(x_t @ grad @ x_t) + left - a @ (x @ left) + right - (right @ x) @ a


def lower_half(x: Any) -> Any:
    """Phi(X): the lower triangle of X with its diagonal halved (Murray 2016)."""
    return 0.5 * (np.tril(x) + np.tril(x, -1))


def symmetric_reading(grad: Any, uplo: str) -> Any:
    """The gradient of a function of the symmetric matrix that numpy reads from A's
    lower (``uplo`` "L") or upper ("U") triangle, from the gradient ``grad`` of the
    function of a general matrix: an entry below the diagonal stands for two of the
    symmetric matrix, so it gets grad_ij + grad_ji; the diagonal grad_ii; the other
    triangle, which numpy never reads, 0."""
    both = grad + transposed(grad)
    return lower_half(both) if uplo.upper() == "L" else transposed(lower_half(transposed(both)))


@primitive("linalg.matrix_rank", numpy=np.linalg.matrix_rank, dims=(2, 3), bound=2.0)
class MatrixRank(Box):
    """y = the rank of A (numpy's: the singular values above tol, or above rtol * the
    largest);   no gradient (an integer)"""

    def __init__(self, A: Any, tol: Any = None, hermitian: bool = False, *,  # noqa: N803
                 rtol: Any = None, name: str | None = None) -> None:
        self.tol, self.hermitian, self.rtol = tol, bool(hermitian), rtol
        super().__init__(A, name=name)

    def fprop(self, a):
        return np.linalg.matrix_rank(a, self.tol, self.hermitian, rtol=self.rtol)

    def bprop(self, grad, a):
        return None
