"""A user's own boxes (DESIGN section 4): Cube trains inside a graph and passes
af.gradcheck; two-input boxes return a tuple; None means "no gradient for this input"."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import autograd_flow as af


class Cube(af.Box):
    """y = a**3"""

    def fprop(self, a):
        return a ** 3

    def bprop(self, grad, a):
        return 3 * a ** 2 * grad


class WeightedProduct(af.Box):
    """y = a * b**2;   d a = d y * b**2,  d b = d y * 2 a b"""

    def fprop(self, a, b):
        return a * b ** 2

    def bprop(self, grad, a, b):
        return grad * b ** 2, grad * 2 * a * b


class Masked(af.Box):
    """y = a * mask for an integer mask that gets no gradient."""

    def fprop(self, a, mask):
        return a * mask

    def bprop(self, grad, a, mask):
        return grad * mask, None


class Softplus(af.Box):
    """y = log(1 + exp(a));   d a = d y * (1 - exp(-y)) (uses self.value)"""

    def fprop(self, a):
        return np.logaddexp(0, a)

    def bprop(self, grad, a):
        return grad * (1 - np.exp(-self.value))


class Total(af.Box):
    """y = the sum of any number of inputs (fprop takes *values)."""

    def fprop(self, *values):
        return sum(values)

    def bprop(self, grad, *values):
        return tuple(grad for _ in values)


def test_cube_trains_with_hand_written_sgd() -> None:
    """Fit w so that cube(x w) matches targets made with w* = 0.8."""
    rng = np.random.default_rng(0)
    x, t = af.Input("x"), af.Input("t")
    w = af.Parameter(np.array([0.5]), name="w")
    loss = af.mean(af.square(Cube(x * w, name="cube") - t))
    graph = af.FlowGraph(loss)
    X = rng.uniform(-1.5, 1.5, (32, 1))
    feed = {x: X, t: (0.8 * X) ** 3}
    losses = []
    for _ in range(50):
        losses.append(float(graph.fprop(feed)))
        grads = graph.bprop()
        w.value -= 0.05 * grads[w]
    assert all(later < earlier for earlier, later in zip(losses, losses[1:10]))
    assert losses[-1] < 1e-6 * losses[0]
    assert w.value[0] == pytest.approx(0.8, abs=1e-4)


def test_cube_passes_gradcheck_in_a_graph() -> None:
    rng = np.random.default_rng(1)
    x = af.Input("x")
    W = af.Parameter(rng.standard_normal((3, 2)), name="W")
    loss = af.tanh(Cube(x @ W, name="cube")).sum()
    report = af.gradcheck(loss, {x: rng.standard_normal((4, 3))})
    assert report.ok and len(report.entries) == 6 + 12


def test_cube_gradient_is_three_a_squared() -> None:
    a = af.Parameter(np.array([-2.0, 0.5, 3.0]), name="a")
    graph = af.FlowGraph(Cube(a).sum())
    assert graph.fprop() == -8 + 0.125 + 27
    np.testing.assert_array_equal(graph.bprop()[a], 3 * a.value ** 2)


def test_two_inputs_return_a_tuple_and_broadcast_is_summed_back() -> None:
    rng = np.random.default_rng(2)
    a = af.Parameter(rng.standard_normal((4, 3)), name="a")
    b = af.Parameter(rng.standard_normal(3), name="b")
    box = WeightedProduct(a, b, name="wp")
    graph = af.FlowGraph(box.sum())
    graph.fprop()
    grads = graph.bprop()
    assert grads[b].shape == (3,)
    np.testing.assert_allclose(grads[b], (2 * a.value * b.value).sum(axis=0), rtol=1e-14)
    af.gradcheck(box, {})


def test_none_for_an_input_that_needs_no_gradient() -> None:
    a = af.Parameter(np.array([1.0, 2.0, 3.0]), name="a")
    mask = af.Input("mask")
    graph = af.FlowGraph(Masked(a, mask).sum(), wrt=[a, mask])
    graph.fprop({mask: np.array([1, 0, 1])})
    grads = graph.bprop()
    np.testing.assert_array_equal(grads[a], [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(grads[mask], [0, 0, 0])  # None: nothing flowed back
    af.gradcheck(Masked(a, np.array([1, 0, 1])), {})


def test_bprop_may_use_self_value() -> None:
    a = af.Parameter(np.array([-30.0, -1.0, 0.0, 2.0, 40.0]), name="a")
    box = Softplus(a)
    af.gradcheck(box, {})
    graph = af.FlowGraph(box.sum())
    graph.fprop()
    np.testing.assert_allclose(graph.bprop()[a], 1 / (1 + np.exp(-a.value)), rtol=1e-12,
                               atol=1e-15)


def test_variadic_fprop_takes_any_number_of_inputs() -> None:
    p = [af.Parameter(np.full(2, float(i)), name=f"p{i}") for i in range(4)]
    box = Total(*p, name="total")
    graph = af.FlowGraph(box.sum())
    assert graph.fprop() == 12.0
    grads = graph.bprop()
    assert all(grads[q].tolist() == [1.0, 1.0] for q in p)
    af.gradcheck(Total(p[0], p[1] * p[2], af.tanh(p[3])), {})


def test_custom_box_records_the_user_line_and_takes_numbers() -> None:
    box, line = WeightedProduct(2.0, np.ones(3), name="consts"), sys._getframe().f_lineno
    assert box.created_at == f"test_custom_box.py:{line}"
    assert all(isinstance(i, af.Constant) for i in box.inputs)
    assert af.FlowGraph(box).fprop().tolist() == [2.0, 2.0, 2.0]


def test_custom_box_gradients_may_be_python_numbers() -> None:
    class Half(af.Box):
        def fprop(self, a):
            return a / 2

        def bprop(self, grad, a):
            return 0.5 * float(grad)

    a = af.Parameter(np.array(3.0), name="a")
    graph = af.FlowGraph(Half(a))
    graph.fprop()
    assert graph.bprop()[a] == 0.5
