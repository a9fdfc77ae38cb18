"""Linear algebra primitives (matmul, dot, outer, tensordot, einsum) through the one
table checker, and einsum's subscripts: numpy's forms and clear errors."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops

from .matrices import agrees_with_torch, row, shifted, torch_module, torch_shifted
from .table import Case, parametrize

L = af.linalg


def _einsum(*arrays: Any, subscripts: str, optimize: Any = False) -> Any:
    return np.einsum(subscripts, *arrays, optimize=optimize)


def _cross(a: Any, b: Any, **axes: Any) -> Any:
    with warnings.catch_warnings():  # numpy 2 deprecates 2-vectors (af.cross takes them)
        warnings.simplefilter("ignore", DeprecationWarning)
        return np.cross(a, b, **axes)


def _tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    return np.tensordot(a, b, axes)


#: (subscripts, operand shapes): every form numpy takes
EINSUMS: list[tuple[str, tuple[tuple[int, ...], ...]]] = [
    ("ij,jk->ik", ((2, 3), (3, 4))),
    ("ij,jk", ((2, 3), (3, 4))),  # implicit output
    ("ii->i", ((3, 3),)),  # a diagonal
    ("ii", ((3, 3),)),  # a trace
    ("ij->", ((2, 3),)),
    ("ij", ((2, 3),)),
    ("ji", ((2, 3),)),  # implicit output in ASCII order: a transpose
    ("ijk->kji", ((2, 3, 4),)),
    ("iij->j", ((2, 2, 3),)),
    ("iji->ij", ((2, 3, 2),)),  # a diagonal over axes that are not neighbours
    ("iij->ji", ((2, 2, 3),)),
    ("ii,i->i", ((3, 3), (3,))),
    ("i,i", ((3,), (3,))),
    ("i,i->i", ((1,), (3,))),  # length 1 broadcasts against 3
    ("ij,j->i", ((2, 3), (1,))),  # ... also inside a sum
    ("ij,ij->ij", ((2, 3), (2, 3))),
    ("ij,ij->", ((2, 3), (2, 3))),
    ("i,j->ij", ((2,), (3,))),
    ("bij,bjk->bik", ((4, 2, 3), (4, 3, 2))),
    ("...ij,...jk->...ik", ((5, 2, 3), (3, 4))),
    ("...ij,...jk->...ik", ((2, 1, 2, 3), (5, 3, 4))),
    ("...ij,...jk", ((2, 1, 2, 3), (5, 3, 4))),  # implicit output with '...'
    ("...i,...i->...", ((2, 3), (3,))),
    ("i...->...", ((2, 3, 4),)),
    ("i...i", ((3, 2, 3),)),
    ("...", ((2, 3),)),
    ("ij,jk,kl->il", ((2, 3), (3, 4), (4, 2))),
    ("ij,ik,il->jkl", ((3, 2), (3, 2), (3, 1))),
    ("Ab,bC->CA", ((2, 3), (3, 4))),
    (",i->i", ((), (3,))),
    ("->", ((),)),
    (",", ((), ())),
    ("ij,jk->ik", ((0, 3), (3, 2))),  # empty result
    ("ij,jk->ik", ((2, 0), (0, 3))),  # a sum over no entries
    ("i i, i -> i", ((2, 2), (2,))),  # spaces, as numpy allows
]

TABLE: list[Case] = [
    *[Case(ops.MatMul, s, np.matmul) for s in [
        ((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
        ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)),
        ((1, 2, 3), (5, 3, 4)), ((3,), (5, 3, 4)), ((5, 2, 3), (3,)),
        ((1, 3), (3, 4)), ((1, 3), (5, 3, 4))]],  # one row: the outer-product branch
    *[Case(ops.Dot, s, np.dot) for s in [
        ((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 4)), ((), (2, 3)),
        ((2, 3), ()), ((), ()), ((2, 3, 4), (5, 4, 2)), ((2, 3, 4), (4,)), ((4,), (2, 4, 3)),
        ((0, 3), (3, 2)), ((2, 0), (0, 3))]],
    *[Case(ops.Vdot, s, np.vdot) for s in [
        ((3,), (3,)), ((2, 3), (2, 3)), ((2, 3), (6,)), ((), ()), ((0,), (0,))]],
    Case(lambda W: ops.Vdot(W, W), ((2, 3),), lambda a: np.vdot(a, a)),  # the L2 penalty
    *[Case(ops.Outer, s, np.outer) for s in [
        ((3,), (4,)), ((2, 2), (3,)), ((), (3,)), ((0,), (3,)), ((2, 1, 2), (1, 2))]],
    *[Case(ops.TensorDot, s, _tensordot, kwargs=k) for s, k in [
        (((2, 3, 4), (3, 4, 5)), {}),
        (((2, 3), (3, 4)), {"axes": 1}),
        (((2, 3), (4,)), {"axes": 0}),
        (((), (2,)), {"axes": 0}),
        (((2, 3, 4), (4, 3, 2)), {"axes": ([1, 0], [1, 2])}),
        (((3, 4), (4, 3)), {"axes": ([0, 1], [1, 0])}),
        (((2, 3), (3, 4)), {"axes": (1, 0)}),
        (((2, 3), (4, 3)), {"axes": ([-1], [-1])}),
        (((0, 3), (3, 2)), {"axes": 1}),
    ]],
    *[Case(ops.Einsum, shapes, _einsum, kwargs={"subscripts": s}) for s, shapes in EINSUMS],
    *[Case(af.cross, s, _cross, kwargs=k) for s, k in [
        (((3,), (3,)), {}), (((2, 3), (3,)), {}), (((4, 2), (2,)), {}), (((2,), (2, 3)), {}),
        (((3, 2), (2, 3)), {"axisa": 0}), (((3, 4), (4, 3)), {"axisa": 0, "axisc": 0}),
        (((2, 3, 2), (2, 3)), {"axis": 1})]],
    *[Case(L.cross, s, np.linalg.cross, kwargs=k) for s, k in [
        (((3,), (3,)), {}), (((2, 3), (5, 1, 3)), {}), (((3, 2), (3, 2)), {"axis": 0})]],
    *[Case(L.vecdot, s, np.linalg.vecdot, kwargs=k) for s, k in [
        (((3,), (3,)), {}), (((2, 3), (3,)), {}), (((3, 2), (3, 1)), {"axis": 0})]],
    *[Case(lambda *arrays: L.multi_dot(arrays), s, lambda *arrays: np.linalg.multi_dot(arrays))
      for s in [((2, 3), (3, 4)), ((3,), (3, 4), (4, 2), (2,)), ((2, 3), (3, 3), (3, 1))]],
    *[row("matrix_power", lambda a, n=n: L.matrix_power(shifted(a), n),
          lambda a, n=n: np.linalg.matrix_power(shifted(a), n), (s,))
      for s, n in [((3, 3), 0), ((3, 3), 1), ((3, 3), 3), ((2, 3, 3), 6), ((3, 3), -2)]],
    *[Case(f, (s,), reference, kwargs=k) for f, reference in [
        (L.trace, np.linalg.trace), (L.diagonal, np.linalg.diagonal)]
      for s, k in [((3, 3), {}), ((2, 3, 4), {"offset": 1})]],
    Case(L.matrix_transpose, ((2, 3, 4),), np.linalg.matrix_transpose),
    *[Case(ops.Einsum, shapes, _einsum, kwargs={"subscripts": s, "optimize": o})
      for s, shapes, o in [("ij,jk,kl->il", ((2, 3), (3, 4), (4, 2)), "greedy"),
                           ("bij,bjk->bik", ((4, 2, 3), (4, 3, 2)), True),
                           ("ij,jk,kl->il", ((2, 3), (3, 4), (4, 2)),
                            ["einsum_path", (1, 2), (0, 1)])]],
]


@parametrize(TABLE)
def test_linalg(case: Case, check) -> None:
    check(case)


def test_dot_follows_numpy_and_is_a_box_method() -> None:
    a = af.Parameter(np.arange(6.0).reshape(2, 3), name="a")
    b = af.Parameter(np.arange(3.0), name="b")
    np.testing.assert_array_equal(af.FlowGraph(a.dot(b)).fprop(), a.value.dot(b.value))
    np.testing.assert_array_equal(af.FlowGraph(af.dot(b, b)).fprop(), 5.0)


def test_products_take_their_inputs_by_keyword_and_through_numpy() -> None:
    """np.dot(a, b) on boxes reaches af.dot as dot(a, b=b) (numpy's keyword names, from
    its signature): the inputs of a box without its own __init__ take keywords too
    (HIPS autograd's test_dot, test_outer and test_kron crashed on Box.__init__)."""
    a = af.Parameter(np.arange(6.0).reshape(2, 3), name="a")
    b = af.Parameter(np.arange(3.0) + 1, name="b")
    for numpy_function, af_function, operands in ((np.dot, af.dot, (a, b)),
                                                    (np.outer, af.outer, (b, b)),
                                                    (np.kron, af.kron, (a, b))):
        expected = numpy_function(*(box.value for box in operands))
        for box in (numpy_function(*operands), af_function(a=operands[0], b=operands[1])):
            np.testing.assert_array_equal(af.FlowGraph(box).fprop(), expected)
    assert af.dot(a, b=b, name="product").name == "product"
    with pytest.raises(TypeError, match="multiple values for argument 'a'"):
        af.dot(a, a=b)


def test_dot_with_a_python_number_keeps_float32() -> None:
    x = af.Parameter(np.ones((2, 3), np.float32), name="x")
    graph = af.FlowGraph(af.dot(x, 2.0).sum())
    assert graph.fprop() == 12.0 and graph.fprop().dtype == np.float32
    assert graph.bprop()[x].dtype == np.float32


def test_einsum_of_one_operand_twice_sums_both_gradients() -> None:
    x = af.Parameter(np.array([1.0, 2.0, 3.0]), name="x")
    graph = af.FlowGraph(af.einsum("i,i", x, x))
    assert graph.fprop() == 14.0
    np.testing.assert_array_equal(graph.bprop()[x], [2.0, 4.0, 6.0])
    v = np.array([1.0, -2.0, 0.5])
    np.testing.assert_array_equal(af.hvp(af.einsum("i,i", x, x), [v])[0], 2 * v)


def test_a_trace_and_a_diagonal_put_their_gradient_on_the_diagonal() -> None:
    A = af.Parameter(np.arange(9.0).reshape(3, 3), name="A")
    graph = af.FlowGraph(af.einsum("ii", A))
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop()[A], np.eye(3))
    weights = np.array([1.0, 10.0, 100.0])
    graph = af.FlowGraph((af.einsum("ii->i", A) * weights).sum())
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop()[A], np.diag(weights))


def test_einsum_takes_numpys_sublist_form() -> None:
    a = af.Parameter(np.arange(6.0).reshape(2, 3), name="a")
    b = af.Parameter(np.arange(12.0).reshape(3, 4), name="b")
    for arguments, expected in [
            ((a, [0, 1], b, [1, 2], [0, 2]), a.value @ b.value),
            ((a, [0, 1], b, [1, 2]), a.value @ b.value),
            ((a, [Ellipsis, 1], [1, Ellipsis]), a.value.T),
            ((a, [30, 2]), a.value.T)]:  # implicit output: 'C' (2) before 'e' (30)
        np.testing.assert_array_equal(af.FlowGraph(af.einsum(*arguments)).fprop(), expected)
    with pytest.raises(af.BoxError, match=r"integers in \[0, 52\)"):
        af.einsum(a, [0, 60])


def _fprop_error(box: af.Box) -> str:
    with pytest.raises(af.BoxError) as error:
        af.FlowGraph(box).fprop()
    return str(error.value)


def test_einsum_subscripts_that_do_not_match_the_operands_are_clear_errors() -> None:
    a = af.Parameter(np.zeros((2, 3)), name="a")
    b = af.Parameter(np.zeros((4, 5)), name="b")
    message = _fprop_error(af.einsum("ij,jk->ik", a, b))
    assert message.startswith("Einsum 'einsum' (created at test_linalg.py:")
    assert ("the subscripts 'ij,jk->ik' do not fit operands of shapes (2, 3), (4, 5): the "
            "index 'j' has length 3 in operand 0 (shape (2, 3)) but 4 in operand 1 (shape "
            "(4, 5)).") in message
    assert ("operand 0 has shape (2, 3) (2 axes) but its subscripts 'ijk' need 3 axes"
            in _fprop_error(af.einsum("ijk->k", a)))
    assert ("operand 0 has shape (2, 3) (2 axes) but its subscripts 'ijk...' need at least 3"
            in _fprop_error(af.einsum("ijk...->k", a)))
    assert ("the index 'i' repeats in operand 0 (subscripts 'ii', shape (2, 3)) over axes of "
            "lengths 2 and 3") in _fprop_error(af.einsum("ii", a))
    assert "the output 'i' has no '...'" in _fprop_error(af.einsum("...i->i", a))
    with pytest.raises(af.BoxError, match=r"Einsum \(created at test_linalg.py:\d+\): the "
                                          r"subscripts 'ij,jk' name 2 operand\(s\) but the "
                                          r"einsum has 1"):
        af.einsum("ij,jk", a)
    for subscripts, reason in [("ij->ii", "the output 'ii' repeats 'i'"),
                               ("ij->k", "names 'k', which no operand"),
                               ("i1", "hold '1'"), ("i..j", "hold '.'"),
                               ("ij->i->j", "hold '->'")]:
        with pytest.raises(af.BoxError, match=reason):
            af.einsum(subscripts, a)
    with pytest.raises(af.BoxError, match="subscripts must be a string"):
        ops.Einsum(a, subscripts=None)


def test_tensordot_axes_are_checked() -> None:
    a = af.Parameter(np.zeros((2, 3)), name="a")
    b = af.Parameter(np.zeros((4, 3)), name="b")
    assert ("axis 1 of a (shape (2, 3)) has length 3 but the axis 0 of b it is summed with "
            "(shape (4, 3)) has length 4") in _fprop_error(af.tensordot(a, b, 1))
    assert "axis 2 of b is out of range" in _fprop_error(af.tensordot(a, b, ([1], [2])))
    assert "cannot sum over the last 3 axes" in _fprop_error(af.tensordot(a, b, 3))
    for axes, reason in [(-1, "a count >= 0"), (([0, 1], [0]), "one length"),
                         ("abc", "a count >= 0 or a pair"), ("ab", "integers"),
                         (([0.5], [1]), "integers")]:
        with pytest.raises(af.BoxError, match=reason):
            af.tensordot(a, b, axes)


def test_vdot_of_different_sizes_names_the_shapes() -> None:
    import autograd_flow as af
    x = af.Input("x")
    graph = af.FlowGraph(af.vdot(x, af.Constant(np.ones(3))))
    with pytest.raises(af.BoxError, match=r"Vdot.*same size.*\(2,\) and \(3,\)"):
        graph.fprop({x: np.ones(2)})


def test_numpys_linalg_products_on_boxes_are_the_af_functions() -> None:
    a = af.Parameter(np.arange(6.0).reshape(2, 3), name="a")
    b = af.Parameter(np.arange(3.0), name="b")
    for box, expected in [(np.linalg.matmul(a, b), a.value @ b.value),
                          (np.linalg.outer(b, b), np.outer(b.value, b.value)),
                          (np.linalg.tensordot(a, b, axes=1), a.value @ b.value),
                          (np.linalg.vecdot(a, b), a.value @ b.value),
                          (np.vecdot(a, b), a.value @ b.value),
                          (np.linalg.multi_dot([b, a.T, a, b]), b.value @ a.value.T @ a.value
                           @ b.value),
                          (np.linalg.matrix_power(a.T @ a, 2), np.linalg.matrix_power(
                              a.value.T @ a.value, 2)),
                          (np.linalg.cross(b, b + 1), np.cross(b.value, b.value + 1))]:
        assert isinstance(box, af.Box)
        np.testing.assert_allclose(af.FlowGraph(box).fprop(), expected, rtol=1e-14)
    assert af.linalg.matmul is af.matmul and af.vecdot is af.linalg.vecdot


def test_cross_of_vectors_that_are_not_2_or_3_long_is_a_clear_error() -> None:
    x = af.Input("x")
    with pytest.raises(af.BoxError, match=r"Cross 'cross' .*: cross takes vectors of 2 or 3 "
                                          r"entries along axisa -1, got a of shape \(2, 4\)"):
        af.FlowGraph(af.cross(x, np.ones(3))).fprop({x: np.ones((2, 4))})


def test_matrix_power_takes_integer_exponents_and_multi_dot_two_arrays() -> None:
    a = af.Parameter(np.eye(2), name="a")
    with pytest.raises(TypeError, match="the exponent must be an integer, got 0.5"):
        L.matrix_power(a, 0.5)
    with pytest.raises(ValueError, match="multi_dot takes at least two arrays, got 1"):
        L.multi_dot([a])
    identity = L.matrix_power(a, 0)
    graph = af.FlowGraph(af.sum(identity * 3), wrt=[a])
    assert graph.fprop() == 6.0
    np.testing.assert_array_equal(graph.bprop()[a], np.zeros((2, 2)))


@pytest.mark.parametrize(("build", "build_torch", "shapes"), [
    (lambda a, b: L.cross(a, b), lambda a, b: torch_module().linalg.cross(a, b),
     ((2, 3), (2, 3))),
    (lambda a, b: L.vecdot(a, b, axis=0), lambda a, b: torch_module().linalg.vecdot(a, b, dim=0),
     ((3, 2), (3, 2))),
    (lambda a, b, c: L.multi_dot([a, b, c]),
     lambda a, b, c: torch_module().linalg.multi_dot([a, b, c]), ((2, 3), (3, 4), (4, 2))),
    (lambda a: L.matrix_power(shifted(a), 5),
     lambda a: torch_module().linalg.matrix_power(torch_shifted(a), 5), ((2, 3, 3),)),
    (lambda a: L.matrix_power(shifted(a), -2),
     lambda a: torch_module().linalg.matrix_power(torch_shifted(a), -2), ((3, 3),)),
], ids=["cross", "vecdot", "multi_dot", "matrix_power", "matrix_power_negative"])
def test_values_gradients_and_hessian_vector_products_agree_with_torch(
        build, build_torch, shapes) -> None:
    agrees_with_torch(build, build_torch, shapes)
