"""cholesky, eigh, eigvalsh, svd, svdvals, qr and lstsq through the one table checker
(each result of a decomposition on its own, wide and tall matrices, batches, numpy's
options); closed forms of their gradients; and where a gradient does not exist, a clear
error."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops

from .matrices import (
    agrees_with_torch,
    gradient_of,
    positive_definite,
    ref,
    row,
    shifted,
    torch_module,
    torch_positive_definite,
)
from .table import Case, parametrize

L = af.linalg


def _gaps(w, about="", squares=False):
    values = w * w if squares else w
    gaps = values[..., None, :] - values[..., :, None]
    off = ~np.eye(np.shape(w)[-1], dtype=bool)
    return np.where(off, 1 / np.where(off, gaps, 1), 0)


def _leading(g, r, axis, refuse=None):
    k = min(r.shape[-2:])
    return g[..., :k] if axis == -1 else g[..., :k, :]


def _trailing(g, r, axis):
    k = min(r.shape[-2:])
    return g[..., k:] if axis == -1 else g[..., k:, :]


def _tall_only(g, r):
    return g if r.shape[-2] > r.shape[-1] else np.zeros_like(g)


def _part(function, index):
    return lambda *arrays, **kwargs: function(*arrays, **kwargs)[index]


EIGH_INPUTS = [(positive_definite, (3, 3), "L"), (shifted, (3, 3), "L"), (shifted, (3, 3), "U"),
               (positive_definite, (2, 3, 3), "U"), (shifted, (1, 1), "L")]

TABLE: list[Case] = [
    *[row("cholesky", lambda a, f=f, upper=u: L.cholesky(f(a), upper=upper),
          lambda a, f=f, upper=u: np.linalg.cholesky(f(a), upper=upper), (s,))
      for f, s, u in [(positive_definite, (3, 3), False), (positive_definite, (2, 3, 3), False),
                      (positive_definite, (3, 3), True), (lambda a: shifted(a, 4.0), (3, 3),
                                                          False),
                      (lambda a: shifted(a, 4.0), (3, 3), True), (shifted, (1, 1), False)]],
    *[row(f"eigh_{label}", lambda a, f=f, k=k, u=u: L.eigh(f(a), UPLO=u)[k],
          lambda a, f=f, k=k, u=u: np.linalg.eigh(f(a), UPLO=u)[k], (s,))
      for k, label in [(0, "eigenvalues"), (1, "eigenvectors")] for f, s, u in EIGH_INPUTS],
    *[row("eigvalsh", lambda a, f=f, u=u: L.eigvalsh(f(a), UPLO=u),
          lambda a, f=f, u=u: np.linalg.eigvalsh(f(a), UPLO=u), (s,)) for f, s, u in EIGH_INPUTS],
    *[row(f"svd_{label}", lambda a, k=k, full=full: L.svd(a, full_matrices=full)[k],
          lambda a, k=k, full=full: np.linalg.svd(a, full_matrices=full)[k], (s,))
      for k, label in enumerate(("U", "S", "Vh"))
      for s, full in [((4, 3), False), ((3, 5), False), ((2, 3, 3), True), ((3, 3), False)]],
    row("svd_S_full", lambda a: L.svd(a).S, lambda a: np.linalg.svd(a)[1], ((4, 3),)),
    *[row(f"svd_hermitian_{label}", lambda a, k=k: L.svd(shifted(a), hermitian=True)[k],
          lambda a, k=k: np.linalg.svd(shifted(a), hermitian=True)[k], ((3, 3),))
      for k, label in enumerate(("U", "S", "Vh"))],
    *[Case(L.svdvals, (s,), np.linalg.svdvals) for s in [(4, 3), (2, 3, 5), (3, 3)]],
    row("svdvals_hermitian", lambda a: L.svd(shifted(a), compute_uv=False, hermitian=True),
        lambda a: np.linalg.svd(shifted(a), compute_uv=False, hermitian=True), ((3, 3),)),
    *[row(f"qr_{label}", lambda a, k=k, mode=mode: L.qr(a, mode=mode)[k],
          lambda a, k=k, mode=mode: np.linalg.qr(a, mode=mode)[k], (s,))
      for k, label in [(0, "Q"), (1, "R")]
      for s, mode in [((4, 3), "reduced"), ((3, 5), "reduced"), ((2, 3, 3), "reduced"),
                      ((2, 4), "complete"), ((3, 3), "complete")]],
    row("qr_R_complete", lambda a: L.qr(a, mode="complete").R,
        lambda a: np.linalg.qr(a, mode="complete")[1], ((4, 3),)),
    *[row("qr_r", lambda a: L.qr(a, mode="r"), lambda a: np.linalg.qr(a, mode="r"), (s,))
      for s in [(4, 3), (3, 5)]],
    *[row(f"lstsq_{label}", lambda a, b, k=k: L.lstsq(a, b)[k],
          lambda a, b, k=k: np.linalg.lstsq(a, b)[k], (a, b), rtol=1e-10)
      for k, label in [(0, "x"), (1, "residuals")]
      for a, b in [((5, 3), (5,)), ((5, 3), (5, 2)), ((3, 5), (3,)), ((3, 3), (3, 2))]],
    *[Case(ops.InverseGaps, (s,), _gaps, "distinct", kwargs=k)
      for s, k in [((3,), {"about": "gaps"}), ((2, 4), {"about": "gaps"}),
                   ((3,), {"about": "gaps", "squares": True})]],
    *[Case(box, (g, ref(r)), reference, kwargs={"axis": axis})
      for box, reference in [(ops.Leading, _leading), (ops.Trailing, _trailing)]
      for g, r, axis in [((4, 4), (4, 3), -1), ((2, 3), (2, 3), -1), ((5, 3), (3, 5), -2)]],
    *[Case(ops.TallOnly, (g, ref(r)), _tall_only) for g, r in [((4, 3), (4, 3)),
                                                               ((3, 3), (3, 3))]],
    *[Case(lambda r: ops.Invertible(r, about="r"), (s,), lambda r: r) for s in [(3, 3),
                                                                                 (2, 2, 2)]],
]


@parametrize(TABLE)
def test_decompositions(case: Case, check) -> None:
    check(case)


X = np.array([[1.0, 0.5], [-0.3, 2.0], [0.7, -1.2]])


def test_half_the_log_determinant_through_cholesky_has_gradient_k_inverse_x() -> None:
    """sum(log diag(cholesky(K))) = log det(K) / 2, K = X X^T + I: d X = K^{-1} X."""
    x = af.Parameter(X, name="x")
    factor = L.cholesky(x @ x.T + np.eye(3))
    half_log_det = af.sum(af.log(af.diagonal(factor, axis1=-2, axis2=-1)))
    k = X @ X.T + np.eye(3)
    assert af.FlowGraph(half_log_det).fprop() == pytest.approx(np.log(np.linalg.det(k)) / 2)
    np.testing.assert_allclose(gradient_of(half_log_det, x), np.linalg.solve(k, X), rtol=1e-12)


def test_cholesky_and_eigh_put_their_gradient_in_the_triangle_numpy_reads() -> None:
    a = af.Parameter(X @ X.T + np.eye(3), name="a")
    for upper, box in [(False, L.cholesky(a)), (True, L.cholesky(a, upper=True)),
                       (False, L.eigh(a).eigenvectors), (True, L.eigvalsh(a, UPLO="U"))]:
        seed = np.arange(9.0).reshape(3, 3)[-1] if upper and box.name == "eigvalsh" else \
            np.arange(9.0).reshape(3, 3)
        grad = gradient_of(box, a, seed)
        other = np.tril(grad, -1) if upper else np.triu(grad, 1)
        assert np.all(other == 0) and np.any(grad != 0)


def test_the_gradients_of_the_eigenvalues_and_singular_values_are_outer_products() -> None:
    a = af.Parameter(X @ X.T + np.eye(3), name="a")
    w, u = np.linalg.eigh(a.value)
    top = u[:, -1:] @ u[:, -1:].T  # d w_max = u u^T, read into the lower triangle
    np.testing.assert_allclose(gradient_of(L.eigvalsh(a)[-1], a), np.tril(2 * top) - np.diag(
        np.diag(top)), rtol=1e-12, atol=1e-15)
    b = af.Parameter(X, name="b")
    u, s, vh = np.linalg.svd(X, full_matrices=False)
    np.testing.assert_allclose(gradient_of(af.sum(L.svdvals(b)), b), u @ vh, rtol=1e-12)


def test_at_repeated_eigenvalues_eigvalsh_has_the_gradient_of_a_symmetric_function() -> None:
    """trace = sum of eigenvalues, so its gradient is I even where they repeat; the same
    for the singular values' sum of an orthogonal matrix. The second derivative goes
    through the eigenvectors, which have none there: a clear error, not a number."""
    a = af.Parameter(np.eye(3), name="a")
    total = af.sum(L.eigvalsh(a))
    np.testing.assert_allclose(gradient_of(total, a), np.eye(3), atol=1e-15)
    np.testing.assert_allclose(gradient_of(af.sum(L.svdvals(a)), a), np.eye(3), atol=1e-15)
    with pytest.raises(af.BoxError, match=r"Eigh 'eigenvectors of eigvalsh' .*: the gradient "
                                          "through the eigenvectors does not exist where two "
                                          "eigenvalues are equal"):
        af.hessian(total, [a])


def _bprop_error(box: af.Box, wrt: af.Box) -> str:
    graph = af.FlowGraph(box, wrt=[wrt])
    graph.fprop()
    with pytest.raises(af.BoxError) as first:
        graph.bprop(np.ones(np.shape(graph.fprop())))
    with pytest.raises(af.BoxError) as second:  # the gradient as boxes, evaluated
        af.FlowGraph(af.grad(box, wrt, seed=np.ones(np.shape(graph.fprop())))).fprop()
    assert str(first.value) == str(second.value)
    return str(first.value)


def test_the_eigenvectors_of_a_repeated_eigenvalue_have_nogradient_of() -> None:
    a = af.Parameter(np.diag([2.0, 1.0, 2.0]), name="a")
    message = _bprop_error(L.eigh(a).eigenvectors, a)
    assert message.startswith("Eigh 'eigh.eigenvectors' (created at test_decompositions.py:")
    assert ("the gradient through the eigenvectors does not exist where two eigenvalues are "
            "equal: eigenvalues 1 and 2 are 2 and 2, equal to within rounding") in message
    batch = af.Parameter(np.stack([np.diag([1.0, 2.0]), np.eye(2)]), name="batch")
    assert "eigenvalues 0 and 1 of matrix (1,) are 1 and 1" in _bprop_error(
        L.eigh(batch).eigenvectors, batch)


def test_singular_vectors_of_a_repeated_or_zero_singular_value_have_nogradient_of() -> None:
    a = af.Parameter(np.diag([1.0, 3.0, 1.0]), name="a")
    assert ("Svd 'svd.U' (created at test_decompositions.py:" in _bprop_error(L.svd(a).U, a))
    assert "singular values 1 and 2 are 1 and 1" in _bprop_error(L.svd(a).Vh, a)
    b = af.Parameter(np.diag([1.0, 3.0, 0.0]), name="b")
    assert ("does not exist where a singular value is 0: singular value 2 is 0"
            in _bprop_error(L.svd(b).U, b))
    np.testing.assert_allclose(gradient_of(L.svd(b).S, b, np.ones(3)), np.eye(3))


def test_columns_past_min_m_n_are_refused_only_when_a_gradient_reaches_them() -> None:
    a = af.Parameter(X, name="a")  # 3 x 2: U is 3 x 3, Q is 3 x 3 with full matrices
    message = _bprop_error(L.svd(a).U, a)
    assert "svd's singular vectors past min(m, n) are an arbitrary basis" in message
    assert "use full_matrices=False" in message
    assert "use mode='reduced'" in _bprop_error(L.qr(a, mode="complete").Q, a)
    # the first two columns are the reduced decomposition's: their gradient is defined
    full = gradient_of(af.sum(L.svd(a).U[:, :2] * X), a)
    reduced = gradient_of(af.sum(L.svd(a, full_matrices=False).U * X), a)
    np.testing.assert_allclose(full, reduced, rtol=1e-12)


def test_qr_of_dependent_columns_and_cholesky_of_an_indefinite_matrix_are_clear() -> None:
    a = af.Parameter(np.array([[1.0, 2.0], [2.0, 4.0]]), name="a")
    assert ("the gradient of qr does not exist where R is singular: R's diagonal entry 1 is"
            in _bprop_error(L.qr(a).Q, a))
    with pytest.raises(af.BoxError, match=r"Cholesky 'cholesky' .*: the matrix is not "
                                          "symmetric positive definite"):
        af.FlowGraph(L.cholesky(a)).fprop()


def test_numpys_calls_on_boxes_return_its_named_tuples_of_boxes() -> None:
    a = af.Parameter(X @ X.T + np.eye(3), name="a")
    w, u = np.linalg.eigh(a)
    q, r = np.linalg.qr(a)
    u2, s, vh = np.linalg.svd(a)
    assert isinstance(np.linalg.eigh(a).eigenvectors, ops.Eigh)
    assert isinstance(np.linalg.cholesky(a), ops.Cholesky)
    assert isinstance(np.linalg.svd(a, compute_uv=False), ops.Svdvals)
    values = af.FlowGraph([w, u, q, r, u2, s, vh, np.linalg.lstsq(a, np.ones(3))[0]]).fprop()
    expected = [*np.linalg.eigh(a.value), *np.linalg.qr(a.value), *np.linalg.svd(a.value),
                np.linalg.lstsq(a.value, np.ones(3))[0]]
    for got, want in zip(values, expected):
        np.testing.assert_allclose(got, want, rtol=1e-10)
    with pytest.raises(af.BoxError, match="mode='raw' gives LAPACK's Householder"):
        np.linalg.qr(a, mode="raw")
    with pytest.raises(ValueError, match="UPLO must be 'L' or 'U'"):
        np.linalg.eigh(a, UPLO="X")


def test_lstsq_returns_numpys_four_results() -> None:
    a = af.Parameter(X, name="a")
    b = af.Parameter(np.array([1.0, 2.0, 0.5]), name="b")
    got = af.FlowGraph(list(L.lstsq(a, b))).fprop()
    expected = np.linalg.lstsq(X, b.value)
    for value, want in zip(got, expected):
        np.testing.assert_allclose(value, want, rtol=1e-12)
        assert np.shape(value) == np.shape(want)
    with pytest.raises(af.BoxError, match=r"Lstsq 'lstsq' .*: lstsq takes one matrix A "
                                          r"\(2-D, as numpy's\), got shape \(2, 3, 2\)"):
        af.FlowGraph(L.lstsq(np.ones((2, 3, 2)), np.ones(3)).residuals).fprop()


T = torch_module


def _squared(x):
    """Squared entries: the same whichever sign each singular vector or eigenvector has
    (numpy's and torch's LAPACK calls may pick different ones)."""
    return x * x


@pytest.mark.parametrize(("build", "build_torch", "shapes"), [
    (lambda x: L.cholesky(positive_definite(x)),
     lambda x: T().linalg.cholesky(torch_positive_definite(x)), ((2, 3, 3),)),
    (lambda x: L.eigh(positive_definite(x))[0],
     lambda x: T().linalg.eigh(torch_positive_definite(x))[0], ((2, 3, 3),)),
    (lambda x: _squared(L.eigh(positive_definite(x))[1]),
     lambda x: _squared(T().linalg.eigh(torch_positive_definite(x))[1]), ((3, 3),)),
    (lambda x: L.eigvalsh(positive_definite(x)),
     lambda x: T().linalg.eigvalsh(torch_positive_definite(x)), ((3, 3),)),
    (lambda x: _squared(L.svd(x, full_matrices=False)[0]),
     lambda x: _squared(T().linalg.svd(x, full_matrices=False)[0]), ((4, 3),)),
    (lambda x: L.svd(x, full_matrices=False)[1],
     lambda x: T().linalg.svd(x, full_matrices=False)[1], ((2, 3, 5),)),
    (lambda x: _squared(L.svd(x, full_matrices=False)[2]),
     lambda x: _squared(T().linalg.svd(x, full_matrices=False)[2]), ((3, 5),)),
    (L.svdvals, lambda x: T().linalg.svdvals(x), ((4, 3),)),
    (lambda x: L.qr(x)[0], lambda x: T().linalg.qr(x)[0], ((4, 3),)),
    (lambda x: L.qr(x)[1], lambda x: T().linalg.qr(x)[1], ((2, 3, 3),)),
    (lambda x: L.qr(x)[1], lambda x: T().linalg.qr(x)[1], ((3, 5),)),
    (lambda a, b: L.lstsq(a, b)[0], lambda a, b: T().linalg.lstsq(a, b).solution,
     ((5, 3), (5, 2))),
], ids=["cholesky", "eigh_eigenvalues", "eigh_eigenvectors", "eigvalsh", "svd_U", "svd_S",
        "svd_Vh", "svdvals", "qr_Q", "qr_R", "qr_R_wide", "lstsq"])
def test_values_gradients_and_hessian_vector_products_agree_with_torch(
        build, build_torch, shapes) -> None:
    agrees_with_torch(build, build_torch, shapes)
