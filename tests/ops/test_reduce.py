"""Reductions through the one table checker, and numpy's axis rules: negative axes,
tuples, keepdims, 0-d arrays, empty axes."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops

from .table import Aux, Case, parametrize


def _logsumexp(a: np.ndarray, axis: Any = -1, keepdims: bool = False) -> np.ndarray:
    return np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))


def _numpy_0d(function):
    """numpy's rule for an integer axis on a 0-d array (np.sum accepts 0 and -1,
    np.mean does not): every reduction of autograd_flow accepts them."""
    def reference(a, axis=None, **kwargs):
        if np.ndim(a) == 0 and axis in (0, -1):
            axis = None
        return function(a, axis=axis, **kwargs)
    return reference


def _where(function):
    """function(a, mask, **kwargs) -> function(a, where=mask, **kwargs): the mask as an
    input of the row (a Constant), for af and numpy alike."""
    def call(a, mask, **kwargs):
        return function(a, where=mask, **kwargs)
    call.__name__ = f"{getattr(function, '__name__', 'reduce')}_where"
    return call


def _mask(shape):
    """A mask of ``shape`` leaving out one entry in three (every slice the rows reduce
    keeps some: a mean of nothing is nan)."""
    return Aux(lambda rng: np.arange(np.prod(shape)).reshape(shape) % 3 != 1, "mask")


#: where= on each reduction, numpy's where= the reference: masks of the input's shape
#: and broadcasting ones, over several axes
WHERE = [
    *[Case(_where(f), ((2, 3, 4), _mask(m)), _where(r), domain, kwargs=k)
      for f, r, domain in [(af.sum, np.sum, "real"), (af.mean, np.mean, "real"),
                           (af.prod, np.prod, "nonzero"), (af.var, np.var, "real"),
                           (af.std, np.std, "real")]
      for m, k in [((2, 3, 4), {}), ((2, 3, 4), {"axis": 1}), ((3, 1), {"axis": (0, 1)}),
                   ((4,), {"axis": -1, "keepdims": True})]],
    *[Case(_where(f), ((2, 3, 4), _mask(m)), _where(r), "distinct", kwargs=k)
      for f, r, initial in [(af.max, np.max, -3.0), (af.min, np.min, 3.0)]
      for m, k in [((2, 3, 4), {"axis": 1, "initial": initial}),
                   ((4,), {"initial": initial})]],
    Case(_where(af.var), ((3, 5), _mask((3, 5))), _where(np.var), kwargs={"axis": 1, "ddof": 1}),
    Case(_where(af.sum), ((3,), _mask((3,))), _where(np.sum), kwargs={"initial": 1.5}),
]

AXES = [{}, {"axis": 0}, {"axis": -1}, {"axis": (0, 2)}, {"axis": 1, "keepdims": True},
        {"axis": None, "keepdims": True}, {"axis": [-1, 0]}, {"axis": ()}]

TABLE: list[Case] = [
    *[Case(ops.Sum, ((2, 3, 4),), np.sum, kwargs=k) for k in AXES],
    *[Case(ops.Sum, ((),), _numpy_0d(np.sum), kwargs=k) for k in [{}, {"axis": 0},
                                                                   {"axis": -1}]],
    Case(ops.Sum, ((0, 3),), np.sum, kwargs={"axis": 0}),
    *[Case(ops.Mean, ((2, 3, 4),), np.mean, kwargs=k) for k in AXES[:-1]],
    *[Case(ops.Mean, ((),), _numpy_0d(np.mean), kwargs=k) for k in [{"axis": 0},
                                                                    {"axis": -1}]],
    *[Case(ops.LogSumExp, (s,), _logsumexp, kwargs=k)
      for s, k in [((3,), {}), ((2, 3), {}), ((2, 3), {"axis": 0}),
                   ((2, 3, 4), {"axis": (0, 2)}), ((2, 3), {"axis": None}),
                   ((2, 3), {"axis": -1, "keepdims": True}),
                   ((2, 3), {"axis": None, "keepdims": True})]],
    *[Case(ops.LogSumExp, ((),), _numpy_0d(_logsumexp), kwargs=k)
      for k in [{"axis": 0}, {"axis": -1}]],
    *[Case(box, ((2, 3, 4),), reference, "distinct", kwargs=k)
      for box, reference in [(ops.Max, np.max), (ops.Min, np.min)] for k in AXES[:-1]],
    *[Case(box, ((),), _numpy_0d(reference), kwargs={"axis": -1})
      for box, reference in [(ops.Max, np.max), (ops.Min, np.min)]],
    *[Case(box, ((0, 3),), reference, kwargs={"axis": 0, "initial": 1.5})
      for box, reference in [(ops.Max, np.max), (ops.Min, np.min)]],
    *[Case(ops.Prod, ((2, 3, 4),), np.prod, "nonzero", kwargs=k) for k in AXES],
    Case(ops.Prod, ((),), _numpy_0d(np.prod), kwargs={"axis": 0}),
    Case(ops.Prod, ((0, 2),), np.prod, kwargs={"axis": 0}),
    *[Case(box, (s,), reference, kwargs={"axis": k}) for box, reference in
      [(ops.Cumsum, np.cumsum), (ops.Cumprod, np.cumprod)]
      for s, k in [((5,), 0), ((2, 3, 4), 1), ((2, 3, 4), -1), ((3, 2), 0), ((), 0),
                   ((0, 3), 1)]],
    *[Case(ops.Cumsum, ((2, 3, 4),), lambda a, axis: np.flip(np.cumsum(
        np.flip(a, axis), axis), axis), kwargs={"axis": k, "reverse": True},
        reference_kwargs={"axis": k}) for k in (0, -1)],
    *[Case(function, ((2, 3),), reference, kwargs={"axis": None})
      for function, reference in [(af.cumsum, np.cumsum), (af.cumprod, np.cumprod)]],
]


@parametrize(TABLE)
def test_reduce(case: Case, check) -> None:
    check(case)


@parametrize(WHERE)
def test_reduce_where(case: Case, check) -> None:
    check(case)


@pytest.mark.parametrize("reduce", [af.sum, af.mean, af.logsumexp])
@pytest.mark.parametrize("axis", [0, -1])
def test_a_0d_array_reduced_over_axis_0_or_minus_1(reduce, axis) -> None:
    """Issue 15, bug 1: numpy accepts an integer axis 0 / -1 on a 0-d array."""
    x = af.Parameter(np.array(1.5))
    graph = af.FlowGraph(reduce(x, axis=axis))
    value = graph.fprop()
    assert np.shape(value) == ()
    assert graph.bprop()[x] == pytest.approx(1.0)


def test_reducing_a_0d_array_over_axis_1_is_numpys_axis_error() -> None:
    x = af.Parameter(np.array(1.5), name="x")
    with pytest.raises(af.BoxError, match="axis 1 is out of bounds"):
        af.FlowGraph(af.sum(x, axis=1)).fprop()


def test_reductions_over_an_empty_axis_follow_numpy() -> None:
    """Issue 15, bug 3: no crash; logsumexp of nothing is -inf, a sum 0, a softmax of
    shape (5, 0) is empty."""
    x = af.Input("x")
    empty = np.zeros((5, 0))
    value = af.FlowGraph(af.logsumexp(x)).fprop({x: empty})
    np.testing.assert_array_equal(value, np.full(5, -np.inf))
    assert af.FlowGraph(af.logsumexp(x, axis=None)).fprop({x: np.zeros(0)}) == -np.inf
    assert af.FlowGraph(af.softmax(x)).fprop({x: empty}).shape == (5, 0)
    assert af.FlowGraph(af.log_softmax(x, axis=0)).fprop({x: empty}).shape == (5, 0)
    np.testing.assert_array_equal(af.FlowGraph(af.sum(x, axis=1)).fprop({x: empty}),
                                  np.zeros(5))


def test_mean_over_an_empty_axis_is_nan_and_its_gradient_has_no_entries() -> None:
    x = af.Parameter(np.zeros((0, 3)), name="x")
    graph = af.FlowGraph(af.mean(x, axis=0).sum())
    assert np.isnan(graph.fprop())
    assert graph.bprop()[x].shape == (0, 3)


def test_reduction_gradients_are_writable_arrays() -> None:
    """Sum/Mean bprop broadcast a view; the gradients handed to users can be updated in place."""
    w = af.Parameter(np.ones((2, 3)), name="w")
    graph = af.FlowGraph(w.mean())
    graph.fprop()
    grad = graph.bprop()[w]
    grad *= 2  # would raise "assignment destination is read-only" on a broadcast view
    np.testing.assert_allclose(w.grad, np.full((2, 3), 1 / 3))


def test_max_and_min_share_the_gradient_among_ties() -> None:
    x = af.Parameter(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]), name="x")
    for reduce, expected in [(af.max, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]]),
                             (af.min, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]])]:
        graph = af.FlowGraph(reduce(x, axis=1).sum())
        graph.fprop()
        np.testing.assert_allclose(graph.bprop()[x], expected)
        boxed = af.FlowGraph(af.grad(reduce(x, axis=1).sum(), x)).fprop()
        np.testing.assert_allclose(boxed, expected)


def test_max_with_an_initial_above_every_entry_has_no_gradient() -> None:
    x = af.Parameter(np.array([1.0, 2.0]), name="x")
    graph = af.FlowGraph(af.max(x, initial=5.0))
    assert graph.fprop() == 5.0
    np.testing.assert_array_equal(graph.bprop()[x], [0.0, 0.0])


def test_max_of_an_empty_axis_asks_for_initial() -> None:
    x = af.Input("x")
    with pytest.raises(af.BoxError, match=r"Max 'max'.*empty axis.*\(0, 3\).*initial="):
        af.FlowGraph(af.max(x, axis=0)).fprop({x: np.zeros((0, 3))})


@pytest.mark.parametrize("reduce", [af.max, af.min])
def test_max_and_min_of_an_empty_batch_over_a_full_axis_are_empty(reduce) -> None:
    """numpy's rule: only an empty *reduced* axis has no value; (0, 3) over axis 1 is (0,)
    (a max-pool of an empty batch, say)."""
    x = af.Parameter(np.zeros((0, 3)), name="x")
    graph = af.FlowGraph(reduce(x, axis=1).sum())
    assert graph.fprop() == 0.0
    assert graph.bprop()[x].shape == (0, 3)
    assert af.FlowGraph(reduce(x, axis=-1, keepdims=True)).fprop().shape == (0, 1)


def test_max_pool_of_an_empty_batch_is_empty() -> None:
    x = af.Input("x")
    pooled = af.FlowGraph(af.nn.max_pool2d(x, 2)).fprop({x: np.zeros((0, 1, 4, 4))})
    assert pooled.shape == (0, 1, 2, 2)


@pytest.mark.parametrize("axis", [0, -1, None])
def test_var_and_std_of_a_0d_array_reduce_like_sum(axis) -> None:
    """Issue 15, bug 1 for the composites: a 0-d array over axis 0 / -1 has variance 0
    (as np.sum accepts those axes; np.var itself raises AxisError there)."""
    x = af.Parameter(np.array(1.5), name="x")
    graph = af.FlowGraph(af.var(x, axis=axis))
    assert graph.fprop() == 0.0
    assert graph.bprop()[x] == 0.0
    assert af.FlowGraph(af.std(x, axis=axis)).fprop() == 0.0


@pytest.mark.parametrize(("values", "expected"), [
    ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),
    ([2.0, 0.0, 4.0], [0.0, 8.0, 0.0]),     # one zero: the product of the rest there
    ([0.0, 3.0, 0.0], [0.0, 0.0, 0.0]),     # two zeros: every partial product has a zero
])
def test_prod_gradient_is_the_product_of_the_others_even_at_zeros(values, expected) -> None:
    x = af.Parameter(np.array(values), name="x")
    graph = af.FlowGraph(af.prod(x))
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop()[x], expected)
    np.testing.assert_array_equal(af.FlowGraph(af.grad(af.prod(x), x)).fprop(), expected)
    af.gradcheck(graph)


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 0.0, 5.0], [0.0, 1.5, -2.0],
                                    [1.5, -2.0, 0.0], [1.0, 2.0, 3.0]])
def test_cumprod_gradient_is_exact_at_zeros(values) -> None:
    """d a_j = sum_(k >= j) d y_k prod_(i <= k, i != j) a_i, computed the slow way."""
    a = np.array(values)
    seed = np.arange(1.0, len(a) + 1)
    expected = [sum(seed[k] * np.prod([a[i] for i in range(k + 1) if i != j])
                    for k in range(j, len(a))) for j in range(len(a))]
    x = af.Parameter(a, name="x")
    graph = af.FlowGraph(af.cumprod(x))
    graph.fprop()
    np.testing.assert_allclose(graph.bprop(seed)[x], expected, rtol=1e-15)
    boxed = af.FlowGraph(af.grad(af.cumprod(x), x, seed=seed)).fprop()
    np.testing.assert_array_equal(boxed, graph.bprop(seed)[x])


def _prod_gradient(a: np.ndarray, axis: Any) -> np.ndarray:
    """d prod(a, axis) / d a (every slice's entries times the product of the others),
    the slow exact way: one product per entry, with the entry itself replaced by 1."""
    grad = np.empty_like(a)
    for index in np.ndindex(a.shape):
        others = a.copy()
        others[index] = 1.0
        grad[index] = np.prod(others, axis=axis, keepdims=True)[
            tuple(0 if k in _axes(axis, a.ndim) else i for k, i in enumerate(index))]
    return grad


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    return tuple(k % ndim for k in (axis if isinstance(axis, tuple) else (axis,)))


def _cumprod_gradient(a: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """d sum(seed * cumprod(a)) / d a for a vector, the slow exact way."""
    return np.array([sum(seed[k] * np.prod([a[i] for i in range(k + 1) if i != j])
                         for k in range(j, len(a))) for j in range(len(a))])


def _central(gradient, a: np.ndarray, v: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """H v by central differences of an exact gradient, extrapolated (Richardson) so
    that the error is of order step**4."""
    def difference(h: float) -> np.ndarray:
        return (gradient(a + h * v) - gradient(a - h * v)) / (2 * h)
    return (4 * difference(step / 2) - difference(step)) / 3


PROD_ZEROS = [
    ([2.0, 1.5, 0.0, 0.0], [1.0, -0.5, 0.25, 1.766], None),  # issue 20: H v [2] = 5.298
    ([1.3, 0.0, 2.1, -0.7], [0.3, 1.7, -0.4, 2.2], None),     # one zero
    ([0.0, 0.0, 0.0, 2.0], [0.5, -1.0, 2.0, 0.3], None),      # three zeros: H = 0
    ([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]], [[1.0, 2.0, -1.0], [0.5, 0.25, 2.0]], 1),
    ([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]], [[1.0, 2.0, -1.0], [0.5, 0.25, 2.0]], 0),
    ([[0.0, 1.5, -2.0], [1.2, 0.0, 3.0]], [[1.0, 2.0, -1.0], [0.5, 0.25, 2.0]], (0, 1)),
]


@pytest.mark.parametrize(("values", "vector", "axis"), PROD_ZEROS)
def test_prod_hessian_vector_product_is_exact_at_zeros(values, vector, axis) -> None:
    """Issue 20: H v through prod was 0 where two entries of a slice are 0 (the
    gradient's formula was constant there); now it is the central difference of the
    exact gradient (a polynomial, so the differences are exact to rounding)."""
    a, v = np.array(values), np.array(vector)
    x = af.Parameter(a, name="x")
    seed = np.linspace(0.5, 1.5, np.size(np.prod(a, axis=axis)))
    total = af.sum(af.prod(x, axis=axis) * seed.reshape(np.shape(np.prod(a, axis=axis))))
    hv = af.hvp(total, [v])[0]
    expected = _central(lambda b: _prod_gradient(b, axis) * seed.reshape(
        np.shape(np.prod(b, axis=axis, keepdims=True))), a, v)
    np.testing.assert_allclose(hv, expected, rtol=1e-9, atol=1e-9)


def test_prod_hessian_vector_product_of_the_issue() -> None:
    x = af.Parameter(np.array([2.0, 1.5, 0.0, 0.0]), name="x")
    hv = af.hvp(af.prod(x), [np.array([1.0, -0.5, 0.25, 1.766])])[0]
    np.testing.assert_allclose(hv, [0.0, 0.0, 5.298, 0.75], rtol=1e-12)


CUMPROD_ZEROS = [[2.0, 0.0, 3.0, 0.0, 5.0], [0.0, 1.5, -2.0], [1.5, -2.0, 0.0],
                 [0.0, 0.0, 0.0, 2.0], [0.0, 2.0, 0.0, 0.0], [1.0, 2.0, 3.0]]


@pytest.mark.parametrize("values", CUMPROD_ZEROS)
def test_cumprod_hessian_vector_product_is_exact_at_zeros(values) -> None:
    a = np.array(values)
    seed = np.arange(1.0, len(a) + 1)
    v = np.linspace(-1.0, 1.3, len(a))
    x = af.Parameter(a, name="x")
    hv = af.hvp(af.sum(af.cumprod(x) * seed), [v])[0]
    expected = _central(lambda b: _cumprod_gradient(b, seed), a, v)
    np.testing.assert_allclose(hv, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(("values", "vector", "axis"), PROD_ZEROS)
def test_prod_hessian_vector_product_is_torchs(values, vector, axis) -> None:
    torch = pytest.importorskip("torch")
    a, v = np.array(values), np.array(vector)
    t = torch.tensor(a, requires_grad=True)
    if axis is None:
        product = t.prod()
    elif isinstance(axis, int):
        product = t.prod(dim=axis)
    else:  # (0, 1) of a matrix
        product = t.prod(dim=1).prod(dim=0)
    grad, = torch.autograd.grad(product.sum(), t, create_graph=True)
    expected, = torch.autograd.grad(grad, t, torch.tensor(v))
    x = af.Parameter(a, name="x")
    hv = af.hvp(af.sum(af.prod(x, axis=axis)), [v])[0]
    np.testing.assert_allclose(hv, expected.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("values", CUMPROD_ZEROS)
def test_cumprod_hessian_vector_product_is_torchs(values) -> None:
    torch = pytest.importorskip("torch")
    a = np.array(values)
    seed, v = np.arange(1.0, len(a) + 1), np.linspace(-1.0, 1.3, len(a))
    t = torch.tensor(a, requires_grad=True)
    grad, = torch.autograd.grad(torch.cumprod(t, 0), t, torch.tensor(seed), create_graph=True)
    expected, = torch.autograd.grad(grad, t, torch.tensor(v))
    x = af.Parameter(a, name="x")
    hv = af.hvp(af.sum(af.cumprod(x) * seed), [v])[0]
    np.testing.assert_allclose(hv, expected.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("axis", [(0,), (-1,), [0]])
def test_logsumexp_of_a_0d_array_over_a_tuple_of_axis_0_is_scipys(axis) -> None:
    """Issue 20: torch's and scipy's logsumexp take dim (0,) on a 0-d array; ours raised
    AxisError. A one-axis tuple means that axis, on arrays of any rank."""
    scipy_special = pytest.importorskip("scipy.special")
    x = af.Parameter(np.array(1.5), name="x")
    graph = af.FlowGraph(af.logsumexp(x, axis=axis))
    assert graph.fprop() == scipy_special.logsumexp(1.5, axis=tuple(axis))
    assert graph.bprop()[x] == 1.0
    matrix = af.Parameter(np.arange(6.0).reshape(2, 3), name="m")
    np.testing.assert_allclose(af.FlowGraph(af.logsumexp(matrix, axis=axis)).fprop(),
                               scipy_special.logsumexp(matrix.value, axis=tuple(axis)))


@pytest.mark.parametrize("reduce", [af.max, af.min])
def test_max_and_min_of_integers_with_an_infinite_initial_are_floats(reduce) -> None:
    """numpy cannot put -inf in an integer array (OverflowError): the integers promote,
    as np.maximum(ints, -inf) does."""
    x = af.Input("x")
    initial = -np.inf if reduce is af.max else np.inf
    ints = np.array([[3, -1, 2], [0, 5, 1]])
    value = af.FlowGraph(reduce(x, axis=1, initial=initial)).fprop({x: ints})
    assert value.dtype == np.float64
    np.testing.assert_array_equal(value, (np.max if reduce is af.max else np.min)(
        ints.astype(float), axis=1, initial=initial))


def test_a_list_of_boxes_is_stacked_as_numpy_stacks_a_list_of_arrays() -> None:
    """Issue 20: af.mean([x, x + 2]) did not stack the boxes."""
    x = af.Parameter(np.array([1.0, 2.0]), name="x")
    out = af.mean([x, x + 2], axis=0)
    graph = af.FlowGraph(af.sum(out))
    assert isinstance(out.inputs[0], ops.Stack)
    np.testing.assert_array_equal(af.FlowGraph(out).fprop(), np.mean([[1, 2], [3, 4]],
                                                                       axis=0))
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop()[x], [1.0, 1.0])
    nested = af.FlowGraph(af.sum([[x[0], 1.0], (2.0, x[1])])).fprop()
    assert nested == 6.0
    assert af.FlowGraph(af.max((x, x * 3))).fprop() == 6.0


def test_where_takes_a_mask_computed_in_the_graph_and_gives_left_out_entries_no_gradient(
        ) -> None:
    x = af.Parameter(np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, np.nan]]), name="x")
    positive = (x > 0) * (x > -np.inf)  # NaN > -inf is False
    for function, reference in [(af.sum, np.sum), (af.mean, np.mean), (af.prod, np.prod)]:
        out = function(x, axis=1, where=positive)
        graph = af.FlowGraph(af.sum(out))
        mask = np.array([[True, False, True], [False, True, False]])
        assert graph.fprop() == np.sum(reference(x.value, axis=1, where=mask))
        grad = graph.bprop()[x]
        assert np.all(grad[~mask] == 0) and np.isfinite(grad).all()


def test_where_false_everywhere_gives_numpys_empty_results() -> None:
    x = af.Parameter(np.ones((2, 3)), name="x")
    assert af.FlowGraph(af.sum(x, where=False)).fprop() == 0.0
    assert af.FlowGraph(af.prod(x, where=False)).fprop() == 1.0
    assert af.FlowGraph(af.max(x, where=False, initial=-1.0)).fprop() == -1.0
    with np.errstate(invalid="ignore"):
        assert np.isnan(af.FlowGraph(af.mean(x, where=False)).fprop())


def test_a_mask_that_does_not_broadcast_to_the_input_is_refused() -> None:
    x = af.Input("x")
    with pytest.raises(af.BoxError, match=r"BroadcastLike 'where'"):
        af.FlowGraph(af.sum(x, where=np.ones((4, 3), bool))).fprop({x: np.ones((2, 3))})


@pytest.mark.parametrize("reduce", [af.max, af.min])
def test_max_and_min_with_where_need_initial_as_in_numpy(reduce) -> None:
    x = af.Parameter(np.ones(3), name="x")
    with pytest.raises(ValueError, match=r"where=.*needs initial=.*numpy's rule"):
        reduce(x, where=np.array([True, False, True]))


@pytest.mark.parametrize("call", [
    lambda x, out: np.sum(x, out=out), lambda x, out: x.mean(0, None, out),
    lambda x, out: np.max(x, 0, out), lambda x, out: af.prod(x, out=out),
    lambda x, out: np.var(x, out=out), lambda x, out: x.std(out=out)])
def test_out_is_none_or_refused_by_name(call) -> None:
    """Issue 20: numpy's out= on a box. None (numpy's default) is accepted; an array has
    nothing to receive (the box's value is computed when the graph runs)."""
    x = af.Parameter(np.arange(1.0, 7.0).reshape(2, 3), name="x")
    assert isinstance(call(x, None), af.Box)
    with pytest.raises(TypeError, match=r"out=.*computed when its graph runs.*use the box"):
        call(x, np.zeros(3))


def test_box_methods_take_ndarrays_positional_arguments() -> None:
    """box.sum(axis, dtype, out, keepdims), box.max(axis, out, keepdims), ... as ndarray's."""
    value = np.arange(1.0, 7.0).reshape(2, 3)
    x = af.Parameter(value, name="x")
    for method, args in [("sum", (1, None, None, True)), ("mean", (0, None, None, True)),
                         ("prod", (1, None, None, False, 2.0)), ("max", (0, None, True)),
                         ("min", (1, None, False, -1.0)), ("var", (1, None, None, 1, True)),
                         ("std", (0, None, None, 0, True))]:
        got = af.FlowGraph(getattr(x, method)(*args)).fprop()
        np.testing.assert_allclose(got, getattr(value, method)(*args), rtol=1e-15)


def test_dtype_converts_before_reducing_as_numpy() -> None:
    x = af.Input("x")
    ints = np.array([[1, 2], [3, 4]])
    for function, reference in [(af.sum, np.sum), (af.mean, np.mean), (af.prod, np.prod),
                                (af.var, np.var)]:
        value = af.FlowGraph(function(x, axis=0, dtype=np.float32)).fprop({x: ints})
        expected = reference(ints, axis=0, dtype=np.float32)
        assert value.dtype == expected.dtype == np.float32
        np.testing.assert_array_equal(value, expected)
    w = af.Parameter(np.array([1.0, 2.0]), name="w")
    graph = af.FlowGraph(np.sum(w, dtype=np.float32))
    assert graph.fprop().dtype == np.float32
    assert graph.bprop()[w].dtype == np.float64  # converted back to the parameter's
