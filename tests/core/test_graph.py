"""The FlowGraph scheduler: ordering, summing shared gradients, deep chains, several
outputs, pruning, feeds, reuse, wrt, dtype, and the operators that build boxes."""
from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _line() -> int:
    """The caller's line number (a box's created_at names it)."""
    return sys._getframe(1).f_lineno


class Counting(af.Box):
    """y = 2 a, counting its fprop and bprop calls."""

    def __init__(self, a, name=None):
        self.fprops = 0
        self.bprops = 0
        super().__init__(a, name=name)

    def fprop(self, a):
        self.fprops += 1
        return 2 * a

    def bprop(self, grad, a):
        self.bprops += 1
        return 2 * grad


def test_diamond_sums_the_gradients_of_a_shared_box() -> None:
    """b = a + a; c = b * b: dc/da = 2 b * 2 = 8 a."""
    a = af.Parameter(np.array([1.0, -2.0, 3.0]), name="a")
    b = a + a
    c = b * b
    graph = af.FlowGraph(c.sum())
    graph.fprop()
    grads = graph.bprop()
    np.testing.assert_array_equal(grads[a], 8 * a.value)
    np.testing.assert_array_equal(b.grad, 2 * b.value)


def test_a_box_read_by_several_boxes_sums_every_path() -> None:
    rng = _rng(1)
    a = af.Parameter(rng.standard_normal(4), name="a")
    x = rng.standard_normal(4)
    t = af.tanh(a)
    loss = (t * x).sum() + (t ** 2).sum() + af.exp(t).mean()
    graph = af.FlowGraph(loss)
    graph.fprop()
    th = np.tanh(a.value)
    expected = (x + 2 * th + np.exp(th) / 4) * (1 - th ** 2)
    np.testing.assert_allclose(graph.bprop()[a], expected, rtol=1e-13)


def test_order_puts_every_box_once_after_its_inputs() -> None:
    x = af.Input("x")
    W = af.Parameter(np.ones((2, 2)), name="W")
    h = af.tanh(x @ W)
    loss = (h * h + h).sum() + af.l2_penalty([W])
    graph = af.FlowGraph(loss)
    position = {id(b): i for i, b in enumerate(graph.order)}
    assert len(position) == len(graph.order)
    assert all(position[id(i)] < position[id(b)] for b in graph.order for i in b.inputs)
    assert graph.order[-1] is loss
    assert graph.parameters == [W]
    assert graph.inputs == [x]


@pytest.mark.slow
def test_a_chain_of_100000_boxes_needs_no_recursion() -> None:
    start = time.perf_counter()
    x = af.Parameter(np.array([0.5, -1.0]), name="x")
    box = x
    for _ in range(50_000):
        box = af.identity(box * 1.0)
    graph = af.FlowGraph(box.sum())
    assert len(graph.order) > 100_000
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop()[x], [1.0, 1.0])
    np.testing.assert_array_equal(box.value, x.value)
    assert time.perf_counter() - start < 60


def test_several_outputs_return_a_tuple_and_seed_the_first() -> None:
    x = af.Input("x")
    W = af.Parameter(np.array([1.0, 2.0]), name="W")
    V = af.Parameter(np.array([3.0]), name="V")
    loss = (x * W).sum()
    side = Counting(x * V)
    graph = af.FlowGraph([loss, side])
    values = graph.fprop({x: np.array([2.0, 5.0])})
    assert isinstance(values, tuple) and len(values) == 2
    assert values[0] == 12.0
    np.testing.assert_array_equal(values[1], [12.0, 30.0])
    grads = graph.bprop()
    np.testing.assert_array_equal(grads[W], [2.0, 5.0])
    np.testing.assert_array_equal(grads[V], [0.0])
    assert side.bprops == 0
    assert side in graph.skipped


def test_boxes_leading_to_no_parameter_are_pruned() -> None:
    x = af.Input("x")
    W = af.Parameter(np.array([[1.0, 2.0], [3.0, 4.0]]), name="W")
    features = Counting(af.exp(x), name="features")  # depends on the Input only
    weighted = Counting(features @ W, name="weighted")
    loss = weighted.sum()
    graph = af.FlowGraph(loss)
    for _ in range(3):
        graph.fprop({x: np.zeros((1, 2))})
        graph.bprop()
    assert (features.fprops, features.bprops) == (3, 0)
    assert (weighted.fprops, weighted.bprops) == (3, 3)
    assert features in graph.skipped and features.inputs[0] in graph.skipped
    assert graph.bprop_order == [loss, weighted, weighted.inputs[0]]
    assert not set(map(id, graph.skipped)) & set(map(id, graph.bprop_order))


def test_wrt_an_input_unprunes_its_path() -> None:
    x = af.Input("x")
    features = Counting(af.exp(x), name="features")
    loss = (features * 3.0).sum()
    graph = af.FlowGraph(loss, wrt=[x])
    X = np.array([[0.0, 1.0]])
    graph.fprop({x: X})
    grads = graph.bprop()
    assert features.bprops == 1
    assert list(grads) == [x]
    np.testing.assert_allclose(grads[x], 6.0 * np.exp(X), rtol=1e-15)


def test_feed_by_box_and_by_name_agree() -> None:
    x, y = af.Input("x"), af.Input("y")
    W = af.Parameter(_rng(2).standard_normal((3, 2)), name="W")
    graph = af.FlowGraph(af.softmax_cross_entropy(x @ W, y))
    X, Y = _rng(3).standard_normal((4, 3)), np.array([0, 1, 1, 0])
    by_box = graph.fprop({x: X, y: Y})
    grad_by_box = graph.bprop()[W].copy()
    by_name = graph.fprop({"x": X, "y": Y})
    assert by_box == by_name
    np.testing.assert_array_equal(graph.bprop()[W], grad_by_box)
    assert graph.fprop({x: X, "y": Y}) == by_box


def test_the_same_graph_runs_new_feeds_and_batch_sizes() -> None:
    rng = _rng(4)
    x = af.Input("x")
    W = af.Parameter(rng.standard_normal((2, 3)), name="W")
    b = af.Parameter(rng.standard_normal(2), name="b")
    graph = af.FlowGraph(af.tanh(af.linear(x, W, b)).mean())
    order = list(graph.order)
    for batch in (1, 7, 3, 64):
        X = rng.standard_normal((batch, 3))
        h = np.tanh(X @ W.value.T + b.value)
        np.testing.assert_allclose(graph.fprop({x: X}), h.mean(), rtol=1e-14)
        grads = graph.bprop()
        G = (1 - h ** 2) / h.size
        np.testing.assert_allclose(grads[W], G.T @ X, rtol=1e-12)
        np.testing.assert_allclose(grads[b], G.sum(0), rtol=1e-12)
    assert graph.order == order


def test_bprop_twice_does_not_accumulate_and_sets_grad() -> None:
    W = af.Parameter(np.array([1.0, 2.0]), name="W")
    graph = af.FlowGraph((W * W).sum())
    graph.fprop()
    first = graph.bprop()[W].copy()
    second = graph.bprop()
    np.testing.assert_array_equal(second[W], first)
    assert W.grad is second[W]
    assert W.grad.shape == W.value.shape


def test_explicit_seed_for_a_non_scalar_output() -> None:
    W = af.Parameter(np.array([1.0, 2.0, 3.0]), name="W")
    graph = af.FlowGraph(W * W)
    graph.fprop()
    seed = np.array([1.0, 0.0, -1.0])
    np.testing.assert_array_equal(graph.bprop(seed=seed)[W], [2.0, 0.0, -6.0])


def test_a_seed_may_be_a_list() -> None:
    W = af.Parameter(np.array([1.0, 2.0]), name="W")
    graph = af.FlowGraph(-(W * 3.0))
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop(seed=[1.0, -1.0])[W], [-3.0, 3.0])


def test_a_parameter_the_first_output_does_not_reach_gets_zeros() -> None:
    W, V = af.Parameter(np.ones(2), name="W"), af.Parameter(np.ones(2), name="V")
    graph = af.FlowGraph([W.sum(), (V * 5.0).sum()])
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop()[V], [0.0, 0.0])


def test_no_stale_gradient_from_another_graph() -> None:
    W, V = af.Parameter(np.ones(2), name="W"), af.Parameter(np.ones(2), name="V")
    earlier = af.FlowGraph((V * 3.0).sum())
    earlier.fprop()
    earlier.bprop()
    graph = af.FlowGraph([W.sum(), (V * 5.0).sum()])
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop()[V], [0.0, 0.0])


def test_gradients_of_different_parameters_are_different_arrays() -> None:
    a, b = af.Parameter(np.ones(2), name="a"), af.Parameter(np.ones(2), name="b")
    graph = af.FlowGraph(((a + b) * np.array([1.0, 2.0])).sum())
    graph.fprop()
    grads = graph.bprop()
    grads[a] *= 0.0  # e.g. an optimizer clipping or scaling a's gradient in place
    np.testing.assert_array_equal(grads[b], [1.0, 2.0])


# dtype: float32 end to end

def _float32_network():
    rng = _rng(5)
    x, y = af.Input("x"), af.Input("y")
    W1 = af.Parameter(rng.standard_normal((5, 4)).astype(np.float32), name="W1")
    b1 = af.Parameter(np.zeros(5, np.float32), name="b1")
    W2 = af.Parameter(rng.standard_normal((3, 5)).astype(np.float32), name="W2")
    h = af.tanh(af.linear(x, W1, b1))
    h = 0.5 * af.sigmoid(h) + af.relu(h) / 3 - 1 + h ** 2 * 0.25 + af.abs(h) \
        + af.maximum(h, 0.1) + af.exp(-h) + af.log(af.square(h) + 1) - 2.0 / (h * h + 1)
    logits = af.linear(h, W2)
    loss = af.softmax_cross_entropy(logits, y) + 1e-3 * af.l2_penalty([W1, W2]) \
        + 1e-4 * af.l1_penalty([W1, W2]) + 0.1 * af.logsumexp(logits).mean() \
        + af.softmax(logits).T.reshape(-1).sum() / 7
    feed = {x: rng.standard_normal((6, 4)).astype(np.float32), y: rng.integers(0, 3, 6)}
    return af.FlowGraph(loss), feed


def test_float32_feed_and_parameters_stay_float32_end_to_end() -> None:
    graph, feed = _float32_network()
    value = graph.fprop(feed)
    grads = graph.bprop()
    assert value.dtype == np.float32
    for box in graph.order:
        if isinstance(box, af.Constant) or box.name == "y":
            continue
        assert np.asarray(box.value).dtype == np.float32, box
        if box.grad is not None:
            assert np.asarray(box.grad).dtype == np.float32, box
    assert all(g.dtype == np.float32 for g in grads.values())


def test_python_numbers_stay_python_numbers() -> None:
    x = af.Input("x")
    for box in (x + 1, 2 * x, x / 3, 1.5 - x, x ** 2):
        constants = [i for i in box.inputs if isinstance(i, af.Constant)]
        assert all(type(c.value) in (int, float) for c in constants)
    assert isinstance((x ** 2).exponent, int)


def test_numpy_scalars_do_not_promote_a_float32_graph() -> None:
    x = af.Input("x")
    scale = np.sqrt(0.25)  # np.float64, as numpy code naturally produces
    graph = af.FlowGraph((x * scale).sum())
    assert graph.fprop({x: np.ones(2, np.float32)}).dtype == np.float32


def test_float64_is_the_default_for_parameters() -> None:
    assert af.Parameter([1, 2]).value.dtype == np.float64
    assert af.Parameter(np.ones(2, np.float32)).value.dtype == np.float32


# operators with numbers and arrays on either side

ARRAY = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
OPERATORS: dict[str, tuple[Callable, Callable]] = {
    "box + 2": (lambda a: a + 2, lambda a: a + 2),
    "2 + box": (lambda a: 2 + a, lambda a: 2 + a),
    "box - array": (lambda a: a - ARRAY[0], lambda a: a - ARRAY[0]),
    "array - box": (lambda a: ARRAY - a, lambda a: ARRAY - a),
    "ndarray + box": (lambda a: ARRAY + a, lambda a: ARRAY + a),
    "box * 3": (lambda a: a * 3, lambda a: a * 3),
    "array * box": (lambda a: ARRAY[:, :1] * a, lambda a: ARRAY[:, :1] * a),
    "box / 4": (lambda a: a / 4, lambda a: a / 4),
    "4 / box": (lambda a: 4 / (a + 3), lambda a: 4 / (a + 3)),
    "box @ array": (lambda a: a @ ARRAY.T, lambda a: a @ ARRAY.T),
    "array @ box": (lambda a: ARRAY.T @ a, lambda a: ARRAY.T @ a),
    "box @ box.T": (lambda a: a @ a.T, lambda a: a @ a.T),
    "box ** 3": (lambda a: a ** 3, lambda a: a ** 3),
    "box ** 0.5": (lambda a: (a + 3) ** 0.5, lambda a: (a + 3) ** 0.5),
    "-box": (lambda a: -a, lambda a: -a),
    "box.T": (lambda a: a.T, lambda a: a.T),
    "box.sum()": (lambda a: a.sum(), lambda a: a.sum()),
    "box.sum(axis=0)": (lambda a: a.sum(axis=0), lambda a: a.sum(axis=0)),
    "box.sum(1, keepdims)": (lambda a: a.sum(1, keepdims=True),
                             lambda a: a.sum(1, keepdims=True)),
    "box.mean()": (lambda a: a.mean(), lambda a: a.mean()),
    "box.mean(axis=1)": (lambda a: a.mean(axis=1), lambda a: a.mean(axis=1)),
    "box.reshape(3, 2)": (lambda a: a.reshape(3, 2), lambda a: a.reshape(3, 2)),
    "box.reshape((-1,))": (lambda a: a.reshape((-1,)), lambda a: a.reshape((-1,))),
    "mixed": (lambda a: (1 - a * 2) / (a * a + 1) + ARRAY ** 2 @ a.T @ a,
              lambda a: (1 - a * 2) / (a * a + 1) + ARRAY ** 2 @ a.T @ a),
}


@pytest.mark.parametrize("expression", OPERATORS)
def test_operator_value_and_gradient(expression: str) -> None:
    build, reference = OPERATORS[expression]
    value = _rng(6).standard_normal((2, 3))
    a = af.Parameter(value, name="a")
    box = build(a)
    assert isinstance(box, af.Box)
    np.testing.assert_allclose(af.FlowGraph(box).fprop(), reference(value), rtol=1e-14)
    af.gradcheck(box, {}, rtol=1e-6, atol=1e-9)


def test_numbers_and_arrays_become_constants_on_either_side() -> None:
    a = af.Parameter(np.ones(3), name="a")
    for box, position in ((a + 2, 1), (2 + a, 0), (np.ones(3) * a, 0), (a - np.ones(3), 1)):
        assert isinstance(box.inputs[position], af.Constant)
        assert box.inputs[1 - position] is a
    assert type(np.ones(3) + a) is ops.Add
    assert type(np.ones((3, 3)) @ a) is ops.MatMul


def test_names_and_creation_sites() -> None:
    x = af.Input("x")
    W = af.Parameter(np.ones(2))
    box, line = af.tanh(x * W, name="h"), _line()
    assert (box.name, W.name, box.inputs[0].name) == ("h", "parameter", "mul")
    assert box.created_at == box.inputs[0].created_at == f"test_graph.py:{line}"
    assert repr(box) == "Tanh('h')"


def test_an_integer_or_boolean_input_in_wrt_gets_no_gradient() -> None:
    """Issue 15: integer and boolean inputs follow numpy's promotion and get no gradient
    (zeros of their dtype), in the interpreter and in the compiled plan alike; floats fed
    to the same Input get theirs."""
    x = af.Input("x")
    w = af.Parameter(np.array([1.0, 2.0]), name="w")
    graph = af.FlowGraph((x * w).sum(), wrt=[x, w])
    for values in (np.array([1, 2]), np.array([True, False])):
        for _ in range(3):  # interpreted, then compiled
            graph.fprop({x: values})
            grads = graph.bprop()
            assert grads[x].dtype == values.dtype and not grads[x].any()
            assert x.grad is grads[x]
            np.testing.assert_array_equal(grads[w], values.astype(float))
        assert graph.ran == {"fprop": "plan", "bprop": "plan"}
    graph.fprop({x: np.array([1.0, 2.0])})
    np.testing.assert_array_equal(graph.bprop()[x], [1.0, 2.0])
