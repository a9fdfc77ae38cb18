"""af.grad, af.hvp and af.jvp: gradients as flow graphs of boxes, their numbers against
bprop and finite differences, second derivatives, custom boxes, and bad input."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_flow as af


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _mlp(rng, dtype=np.float64):
    """A one-hidden-layer tanh MLP with softmax cross-entropy and an L2 penalty."""
    x, y = af.Input("x"), af.Input("y")
    W1 = af.Parameter(rng.standard_normal((5, 3)).astype(dtype), name="W1")
    b1 = af.Parameter(np.zeros(5, dtype), name="b1")
    W2 = af.Parameter(rng.standard_normal((2, 5)).astype(dtype), name="W2")
    b2 = af.Parameter(np.zeros(2, dtype), name="b2")
    h = af.tanh(af.linear(x, W1, b1), name="h")
    loss = af.softmax_cross_entropy(af.linear(h, W2, b2), y) + 1e-3 * af.l2_penalty([W1, W2])
    feed = {x: rng.standard_normal((4, 3)).astype(dtype), y: rng.integers(0, 2, 4)}
    return loss, [W1, b1, W2, b2], feed


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_grad_boxes_evaluate_to_exactly_what_bprop_gives(dtype) -> None:
    loss, params, feed = _mlp(_rng(1), dtype)
    graph = af.FlowGraph(loss)
    graph.fprop(feed)
    numeric = graph.bprop()
    boxes = af.grad(loss, params)
    assert all(isinstance(b, af.Box) for b in boxes)
    values = af.FlowGraph(boxes).fprop(feed)
    for p, value in zip(params, values):
        assert value.dtype == dtype
        np.testing.assert_array_equal(value, numeric[p])


def test_one_wrt_gives_one_box_and_a_sequence_a_list() -> None:
    x = af.Parameter(np.array(2.0), name="x")
    assert isinstance(af.grad(x ** 3, x), af.Box)
    assert isinstance(af.grad(x ** 3, [x]), list)


def test_grad_of_grad_gives_the_derivatives_of_x_cubed() -> None:
    x = af.Parameter(np.array(2.0), name="x")
    dy = af.grad(x ** 3, x)
    d2y = af.grad(dy, x)
    d3y = af.grad(d2y, x)
    assert af.FlowGraph([dy, d2y, d3y]).fprop() == (12.0, 12.0, 6.0)


def test_grad_boxes_belong_to_bprop_scopes_tied_to_their_forward_box() -> None:
    x = af.Parameter(np.array([0.5, -1.0]), name="x")
    h = af.tanh(x, name="h")
    dx = af.grad(h.sum(), x)
    scopes = [s for box in af.FlowGraph(dx).order for s in box.scopes if s.kind == "bprop"]
    assert scopes and {s.of.name for s in scopes} >= {"h"}
    assert all(s.name == f"d {s.of.name}" for s in scopes)


def test_second_derivatives_of_an_mlp_equal_differences_of_the_gradient() -> None:
    loss, params, feed = _mlp(_rng(2))
    rng = _rng(3)
    directions = [rng.standard_normal(p.value.shape) for p in params]
    grads = af.grad(loss, params)
    total = sum((af.sum(g * d) for g, d in zip(grads, directions)), start=af.Constant(0.0))
    af.gradcheck(total, feed, wrt=params, rtol=1e-6, atol=1e-8)


def test_hvp_equals_the_closed_form_of_a_quadratic() -> None:
    rng = _rng(4)
    A = rng.standard_normal((4, 4))
    u = af.Parameter(rng.standard_normal(4), name="u")
    loss = (u * (af.Constant(A) @ u)).sum()  # u' A u: H = A + A'
    v = rng.standard_normal(4)
    (hv,) = af.hvp(af.FlowGraph(loss), [v])
    np.testing.assert_allclose(hv, (A + A.T) @ v, rtol=1e-12)


def test_hvp_equals_differences_of_the_gradient_and_reuses_its_boxes() -> None:
    loss, params, feed = _mlp(_rng(5))
    graph = af.FlowGraph(loss)
    rng = _rng(6)
    vectors = [rng.standard_normal(p.value.shape) for p in params]
    first = af.hvp(graph, vectors, feed)
    built = dict(graph.derived)
    second = af.hvp(graph, vectors, feed)
    assert graph.derived == built  # the same boxes ran again
    step = 1e-6

    def gradient(t: float) -> list[np.ndarray]:
        saved = [p.value for p in params]
        for p, v in zip(params, vectors):
            p.value = p.value + t * v
        graph.fprop(feed)
        grads = [g.copy() for g in graph.bprop().values()]
        for p, value in zip(params, saved):
            p.value = value
        return grads

    plus, minus = gradient(step), gradient(-step)
    for hv, again, a, b in zip(first, second, plus, minus):
        np.testing.assert_array_equal(hv, again)
        np.testing.assert_allclose(hv, (a - b) / (2 * step), rtol=1e-6, atol=1e-8)


def test_jvp_is_the_directional_derivative_of_every_output() -> None:
    rng = _rng(7)
    W = af.Parameter(rng.standard_normal((3, 2)), name="W")
    x = af.Input("x")
    out1 = af.tanh(x @ W.T)
    out2 = (out1 * out1).sum()
    X = rng.standard_normal((4, 2))
    tangent = rng.standard_normal((3, 2))
    graph = af.FlowGraph([out1, out2])
    j1, j2 = af.jvp(graph, [tangent], {x: X})
    step = 1e-6
    W.value = W.value + step * tangent
    plus = graph.fprop({x: X})
    W.value = W.value - 2 * step * tangent
    minus = graph.fprop({x: X})
    W.value = W.value + step * tangent
    np.testing.assert_allclose(j1, (plus[0] - minus[0]) / (2 * step), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(j2, (plus[1] - minus[1]) / (2 * step), rtol=1e-7)
    # on a scalar output, J v = <grad, v>
    loss_graph = af.FlowGraph(out2)
    loss_graph.fprop({x: X})
    assert af.jvp(loss_graph, [tangent], {x: X}) == pytest.approx(
        np.sum(loss_graph.bprop()[W] * tangent), rel=1e-12)


# custom boxes

class Cube(af.Box):
    """y = a**3, with its one bprop (it runs on arrays and on boxes)."""

    def fprop(self, a):
        return a ** 3

    def bprop(self, grad, a):
        return 3 * a ** 2 * grad


class BoxedCube(Cube):
    """y = a**3, with its gradient as boxes in a second method (still accepted)."""

    def bprop_boxes(self, grad, a):
        return 3 * a ** 2 * grad


class ArrayCube(Cube):
    """y = a**3, with a bprop that works on arrays only."""

    def bprop(self, grad, a):
        return 3 * np.asarray(a) ** 2 * grad


class CachingCube(Cube):
    """y = a**3; its bprop reads the square its fprop kept (run-time state)."""

    def fprop(self, a):
        self.square = a * a
        return self.square * a

    def bprop(self, grad, a):
        return 3 * self.square * grad


class InputReadingCube(Cube):
    """y = a**3; its bprop reads its input box's array instead of its argument."""

    def bprop(self, grad, a):
        return 3 * self.inputs[0].value ** 2 * grad


@pytest.mark.parametrize("cls", [Cube, BoxedCube, ArrayCube, CachingCube, InputReadingCube])
def test_a_custom_box_works_to_first_order(cls) -> None:
    x = af.Parameter(np.array([1.0, -2.0]), name="x")
    graph = af.FlowGraph(af.tanh(cls(x)).sum())
    graph.fprop()  # a cached square, if any, is there before af.grad
    dx = af.grad(graph.outputs[0], x)
    value = af.FlowGraph(dx).fprop()
    np.testing.assert_allclose(value, 3 * x.value ** 2 * (1 - np.tanh(x.value ** 3) ** 2))


@pytest.mark.parametrize("cls", [Cube, BoxedCube])
def test_a_custom_box_whose_bprop_runs_on_boxes_has_second_derivatives(cls) -> None:
    x = af.Parameter(np.array([1.0, -2.0]), name="x")
    H = af.hessian(cls(x).sum(), [x])
    np.testing.assert_allclose(H, np.diag(6 * x.value), rtol=1e-14)


@pytest.mark.parametrize("cls", [ArrayCube, CachingCube, InputReadingCube])
def test_a_second_derivative_through_an_array_only_bprop_is_an_error_naming_the_box(cls):
    """Never a silently wrong number: a bprop that converts its arguments to arrays,
    reads what its fprop stored, or reads its inputs' arrays has no second derivative."""
    x = af.Parameter(np.array([1.0, -2.0]), name="x")
    graph = af.FlowGraph(cls(x, name="cube").sum())
    graph.fprop()
    with pytest.raises(af.BoxError, match=rf"{cls.__name__} 'cube' \(created at "
                                          r"test_grad.py:\d+\) needs its bprop to run on "
                                          r"boxes, and it works on arrays only"):
        af.hvp(graph, [np.ones(2)])


# bad input

def test_grad_of_a_non_scalar_output_says_to_reduce_it_or_seed_it() -> None:
    x = af.Parameter(np.ones(3), name="x")
    y = af.tanh(x, name="y")
    dx = af.grad(y, x)
    with pytest.raises(af.BoxError, match=r"scalar output.*'y'.*shape \(3,\).*seed="):
        af.FlowGraph(dx).fprop()
    seeded = af.grad(y, x, seed=np.full(3, 2.0))
    np.testing.assert_allclose(af.FlowGraph(seeded).fprop(), 2 * (1 - np.tanh(1.0) ** 2))
    wrong = af.grad(y, x, seed=np.ones(2))
    with pytest.raises(af.BoxError, match=r"seed has shape \(2,\).*shape \(3,\)"):
        af.FlowGraph(wrong).fprop()


def test_grad_refuses_a_wrt_outside_the_graph_a_constant_and_a_non_box() -> None:
    x = af.Parameter(np.ones(2), name="x")
    other = af.Parameter(np.ones(2), name="other")
    c = af.Constant(np.ones(2), name="c")
    loss = (x * c).sum()
    with pytest.raises(af.FlowGraphError, match="'other'.*not in the graph"):
        af.grad(loss, other)
    with pytest.raises(af.FlowGraphError, match="'c'.*Constant"):
        af.grad(loss, [x, c])
    with pytest.raises(TypeError, match="not a box"):
        af.grad(loss, [x, np.ones(2)])
    with pytest.raises(TypeError, match="differentiates a box"):
        af.grad(np.ones(2), x)


def test_a_wrt_reached_only_through_a_comparison_gets_zeros() -> None:
    x = af.Parameter(np.array([1.0, -1.0]), name="x")
    dx = af.grad((x > 0).sum() * 1.0, x)
    np.testing.assert_array_equal(af.FlowGraph(dx).fprop(), [0.0, 0.0])


def test_hvp_names_vectors_of_the_wrong_shape_or_count() -> None:
    loss, params, feed = _mlp(_rng(8))
    graph = af.FlowGraph(loss)
    good = [np.zeros(p.value.shape) for p in params]
    with pytest.raises(ValueError, match=r"vector for Parameter 'W1'.*\(3, 5\).*\(5, 3\)"):
        af.hvp(graph, [np.zeros((3, 5))] + good[1:], feed)
    with pytest.raises(ValueError, match="3 vectors for 4 parameters"):
        af.hvp(graph, good[:3], feed)


def test_hessian_refuses_integer_parameters() -> None:
    p = af.Parameter(np.ones(2), name="p")
    p.value = np.array([1, 2])
    with pytest.raises(TypeError, match="'p'.*int64.*floating-point"):
        af.hessian((p * 1.0).sum(), [p])


def test_hvp_and_jvp_of_functions_without_curvature_or_dependence_are_zeros() -> None:
    w = af.Parameter(np.array([1.0, 2.0]), name="w")
    c = af.Parameter(np.array([3.0]), name="c")
    linear = af.FlowGraph((w * 3.0).sum() + c.sum() * 0.0)
    hv = af.hvp(linear, [np.ones(2), np.ones(1)])
    np.testing.assert_array_equal(hv[0], [0.0, 0.0])
    np.testing.assert_array_equal(hv[1], [0.0])
    constant_output = af.FlowGraph(af.stop_gradient(w).sum())
    assert af.jvp(constant_output, [np.ones(2)], wrt=[w]) == 0.0
