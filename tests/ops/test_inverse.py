"""det, slogdet, inv, solve, pinv and matrix_rank through the one table checker; their
closed forms (Giles 2008), numpy's calls on boxes, and the singular cases."""
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
    torch_shifted,
)
from .table import Case, parametrize

L = af.linalg


def _negated(a):
    return -shifted(a)


def _well_posed(a, shape, split):
    """a + 4 I, I the identity read in a's shape (its first ``split`` axes by the others)."""
    rows = int(np.prod(shape[:split]))
    return a + 4.0 * np.eye(rows, dtype=np.float32).reshape(shape)  # float32 keeps float32


def _tensorinv(shape, ind, library=None):
    def build(a):
        conditioned = _well_posed(a, shape, ind)
        if library is None:
            return af.linalg.tensorinv(conditioned, ind=ind)
        return library.linalg.tensorinv(conditioned, ind=ind)
    build.__name__ = f"tensorinv,ind={ind}"
    return build


def _tensorsolve(shape, axes, library=None):
    moved = shape if axes is None else tuple(
        [s for k, s in enumerate(shape) if k not in axes] + [shape[k] for k in axes])

    def build(a, b):
        if axes is not None:  # the identity in the shape a has after its axes move back
            order = [k for k in range(len(shape)) if k not in axes] + list(axes)
            eye = np.moveaxis(np.eye(6, dtype=np.float32).reshape(moved), range(len(shape)),
                              order)
        else:
            eye = np.eye(6, dtype=np.float32).reshape(shape)
        conditioned = a + 4.0 * eye
        if library is None:
            return af.linalg.tensorsolve(conditioned, b, axes=axes)
        return library.linalg.tensorsolve(conditioned, b, axes=axes)
    build.__name__ = f"tensorsolve,axes={axes}"
    return build


TABLE: list[Case] = [
    *[row("det", lambda a: L.det(shifted(a)), lambda a: np.linalg.det(shifted(a)), (s,))
      for s in [(3, 3), (2, 3, 3), (1, 1), (0, 0)]],
    row("det_negative", lambda a: L.det(_negated(a)), lambda a: np.linalg.det(_negated(a)),
        ((3, 3),)),
    *[row("slogdet_sign", lambda a, f=f: L.slogdet(f(a)).sign,
          lambda a, f=f: np.linalg.slogdet(f(a))[0], (s,))
      for f, s in [(shifted, (3, 3)), (shifted, (2, 3, 3)), (_negated, (3, 3))]],
    *[row("slogdet_logabsdet", lambda a, f=f: L.slogdet(f(a)).logabsdet,
          lambda a, f=f: np.linalg.slogdet(f(a))[1], (s,))
      for f, s in [(shifted, (3, 3)), (shifted, (2, 3, 3)), (_negated, (3, 3)),
                   (positive_definite, (4, 4))]],
    *[row("inv", lambda a: L.inv(shifted(a)), lambda a: np.linalg.inv(shifted(a)), (s,))
      for s in [(3, 3), (2, 3, 3), (1, 1), (0, 0)]],
    *[row("solve", lambda a, b: L.solve(shifted(a), b),
          lambda a, b: np.linalg.solve(shifted(a), b), (a, b))
      for a, b in [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)),
                   ((3, 3), (2, 3, 2)), ((2, 3, 3), (2, 3, 1)), ((1, 3, 3), (2, 3, 4))]],
    *[Case(L.pinv, (s,), np.linalg.pinv) for s in [(4, 3), (2, 5), (2, 4, 3), (3, 3)]],
    row("pinv_hermitian", lambda a: L.pinv(shifted(a), hermitian=True),
        lambda a: np.linalg.pinv(shifted(a), hermitian=True), ((3, 3),)),
    # rank 2 whatever the factors: the derivative along perturbations keeping the rank
    row("pinv_rank2", lambda a, b: L.pinv(a @ b), lambda a, b: np.linalg.pinv(a @ b),
        ((4, 2), (2, 3)), rtol=1e-10),
    *[Case(L.matrix_rank, (s,), np.linalg.matrix_rank) for s in [(3, 3), (4, 2), (2, 3, 3)]],
    row("matrix_rank2", lambda a, b: L.matrix_rank(a @ b), lambda a, b: np.linalg.matrix_rank(
        a @ b), ((4, 2), (2, 3))),
    *[Case(ops.Columns, (g, ref(r)), lambda g, r: g[..., None] if r.ndim == 1 else g)
      for g, r in [((3,), (3,)), ((2, 3), (3,)), ((3, 2), (3, 2))]],
    Case(ops.Columns, ((3, 1), ref((3,))), lambda g, r: g[..., 0], kwargs={"back": True},
         reference_kwargs={}),
    *[Case(_tensorinv(shape, ind), (shape,), _tensorinv(shape, ind, np), kwargs={})
      for shape, ind in [((4, 3, 6, 2), 2), ((2, 2, 3, 12, 1), 3), ((6, 2, 3), 1)]],
    *[Case(_tensorsolve(shape, axes), (shape, b), _tensorsolve(shape, axes, np))
      for shape, b, axes in [((2, 3, 6), (2, 3), None), ((6, 2, 3), (2, 3), (0,)),
                             ((2, 3, 1, 6), (1, 6), (0, 1))]],
]


@parametrize(TABLE)
def test_inverse(case: Case, check) -> None:
    check(case)


A = np.array([[2.0, 1.0, 0.5], [-1.0, 3.0, 1.0], [0.5, 0.0, 4.0]])


def test_the_gradient_of_det_is_the_cofactor_matrix() -> None:
    a = af.Parameter(np.array([[2.0, 3.0], [5.0, 7.0]]), name="a")
    np.testing.assert_allclose(gradient_of(L.det(a), a), [[7.0, -5.0], [-3.0, 2.0]], rtol=1e-14)


def test_the_second_derivative_of_log_det_is_minus_a_inverse_twice() -> None:
    """d^2 log|det A| [V] = -A^{-T} V^T A^{-T} (Giles 2008, 2.2.2 and 2.2.3)."""
    a = af.Parameter(A, name="a")
    v = np.arange(9.0).reshape(3, 3) / 10
    inverse = np.linalg.inv(A)
    (hvp,) = af.hvp(L.slogdet(a).logabsdet, [v])
    np.testing.assert_allclose(hvp, -(inverse @ v @ inverse).T, rtol=1e-12)


def test_the_gradients_of_inv_and_solve_are_gileses_closed_forms() -> None:
    a, b = af.Parameter(A, name="a"), af.Parameter(np.array([1.0, 2.0, 3.0]), name="b")
    seed = np.arange(9.0).reshape(3, 3)
    inverse = np.linalg.inv(A)
    np.testing.assert_allclose(gradient_of(L.inv(a), a, seed), -inverse.T @ seed @ inverse.T,
                               rtol=1e-12)
    x = np.linalg.solve(A, b.value)
    graph = af.FlowGraph(L.solve(a, b), wrt=[a, b])
    graph.fprop()
    grads = graph.bprop(np.ones(3))
    grad_b = np.linalg.solve(A.T, np.ones(3))
    np.testing.assert_allclose(grads[b], grad_b, rtol=1e-12)
    np.testing.assert_allclose(grads[a], -np.outer(grad_b, x), rtol=1e-12)


def test_numpys_linalg_calls_on_boxes_build_the_same_boxes() -> None:
    a = af.Parameter(A, name="a")
    b = af.Parameter(np.ones((3, 2)), name="b")
    assert isinstance(np.linalg.det(a), ops.Det)
    assert isinstance(np.linalg.inv(a), ops.Inv)
    assert isinstance(np.linalg.solve(a, b), ops.Solve)
    assert isinstance(np.linalg.pinv(a, rtol=1e-10), ops.Pinv)
    sign, logabsdet = np.linalg.slogdet(a)
    values = af.FlowGraph([sign, logabsdet, np.linalg.matrix_rank(a)]).fprop()
    assert values[0] == 1.0 and values[2] == 3
    np.testing.assert_allclose(values[1], np.log(np.linalg.det(A)), rtol=1e-14)
    with pytest.raises(TypeError, match="hermitian"):
        af.linalg.det(a, hermitian=True)


def test_af_linalg_is_a_module_as_numpys() -> None:
    import autograd_flow.linalg as linalg
    from autograd_flow.linalg import det

    assert linalg is af.linalg and det is af.linalg.det
    assert "det" in af.linalg.__all__ and "linalg" in af.__all__
    assert det.__module__ == "autograd_flow.linalg" and det.__name__ == "det"


def _fprop_error(box: af.Box) -> str:
    with pytest.raises(af.BoxError) as error:
        af.FlowGraph(box).fprop()
    return str(error.value)


def _bprop_error(box: af.Box, wrt: af.Box) -> str:
    graph = af.FlowGraph(box, wrt=[wrt])
    graph.fprop()
    with pytest.raises(af.BoxError) as error:
        graph.bprop()
    return str(error.value)


SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])


def test_det_and_slogdet_take_a_singular_matrix_but_refuse_itsgradient_of() -> None:
    a = af.Parameter(SINGULAR, name="a")
    assert af.FlowGraph(L.det(a)).fprop() == 0.0
    sign, logabsdet = L.slogdet(a)
    assert af.FlowGraph([sign, logabsdet]).fprop() == (0.0, -np.inf)
    message = _bprop_error(L.det(a), a)
    assert message.startswith("Det 'det' (created at test_inverse.py:")
    assert "the gradient of det needs the inverse of the matrix, which is singular" in message
    assert "the gradient of slogdet needs the inverse" in _bprop_error(logabsdet, a)
    with pytest.raises(af.BoxError, match=r"Inv 'inv' .*the matrix is singular"):
        af.FlowGraph(af.grad(L.det(a), a)).fprop()


def test_inv_and_solve_of_a_singular_matrix_are_clear_errors() -> None:
    a = af.Parameter(SINGULAR, name="a")
    assert "Inv 'inv' (created at test_inverse.py:" in _fprop_error(L.inv(a))
    assert "the matrix is singular: it has no inverse" in _fprop_error(L.inv(a))
    assert "A x = b has no unique solution" in _fprop_error(L.solve(a, np.ones(2)))


@pytest.mark.parametrize(("build", "shape", "message"), [
    (L.det, (2, 3), r"Det 'det' .*: takes square matrices in the last two axes \(shape "
                    r"\(\.\.\., n, n\)\), got shape \(2, 3\)"),
    (L.inv, (3,), r"Inv 'inv' .*square matrices.*got shape \(3,\)"),
    (lambda a: L.solve(a, np.ones(3)), (2, 2),
     r"Solve 'solve' .*: b must have as many rows as A \(shape \(2, 2\)\): a vector of 2 "
     r"entries or matrices of 2 rows, got shape \(3,\)"),
    (lambda a: L.solve(a, np.ones((3, 1))), (2, 2), r"got shape \(3, 1\)"),
    (L.pinv, (3,), r"Pinv 'pinv' .*: takes matrices \(at least two axes"),
])
def test_a_shape_numpy_refuses_is_a_clear_error(build, shape, message) -> None:
    x = af.Input("x")
    with pytest.raises(af.BoxError, match=message):
        af.FlowGraph(build(x)).fprop({x: np.ones(shape)})


T = torch_module


@pytest.mark.parametrize(("build", "build_torch", "shapes"), [
    (lambda x: L.det(shifted(x)), lambda x: T().linalg.det(torch_shifted(x)), ((3, 3),)),
    (lambda x: L.det(shifted(x)), lambda x: T().linalg.det(torch_shifted(x)), ((2, 3, 3),)),
    (lambda x: L.slogdet(shifted(x))[1], lambda x: T().linalg.slogdet(torch_shifted(x))[1],
     ((2, 3, 3),)),
    (lambda x: L.inv(shifted(x)), lambda x: T().linalg.inv(torch_shifted(x)), ((2, 3, 3),)),
    (lambda a, b: L.solve(shifted(a), b),
     lambda a, b: T().linalg.solve(torch_shifted(a), b), ((3, 3), (3,))),
    (lambda a, b: L.solve(shifted(a), b),
     lambda a, b: T().linalg.solve(torch_shifted(a), b), ((2, 3, 3), (2, 3, 2))),
    (L.pinv, lambda x: T().linalg.pinv(x), ((3, 4),)),
    (L.pinv, lambda x: T().linalg.pinv(x), ((2, 4, 2),)),
], ids=["det", "det_batched", "slogdet", "inv", "solve_vector", "solve_batched", "pinv_wide",
        "pinv_tall"])
def test_values_gradients_and_hessian_vector_products_agree_with_torch(
        build, build_torch, shapes) -> None:
    agrees_with_torch(build, build_torch, shapes)
