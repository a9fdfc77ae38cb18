"""The engine's own property suite, built on af.testing: every primitive and composite
against finite differences and the bprop properties, on drawn inputs and on random
flow graphs; invariants of the scheduler; and what it does with a custom box's
gradient of the broadcast shape."""
import inspect

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd_flow as af
import autograd_flow.testing as aft
from autograd_flow import ops
from autograd_flow.testing import strategies as S

COMPOSITES = ["linear", "softmax", "log_softmax", "softmax_cross_entropy", "l1_penalty",
              "l2_penalty", "gelu", "silu", "mish", "elu", "selu", "celu", "softsign",
              "hardsigmoid", "l1_loss", "smooth_l1_loss", "huber_loss"]


def test_every_primitive_and_composite_is_drawn_by_the_strategies():
    """Every primitive but stop_gradient (whose gradient is 0 by design, not the
    derivative of its value, so finite differences cannot check it)."""
    assert set(S.PRIMITIVE_OPS) == set(ops.PRIMITIVES) - {ops.StopGradient}
    boxes = {cls for _, cls in inspect.getmembers(ops, inspect.isclass)
             if issubclass(cls, af.Box)}
    assert boxes == set(ops.PRIMITIVES) | set(ops.PLUMBING)
    assert set(S.PRIMITIVE_OPS.values()) | set(COMPOSITES) == set(S.BUILTIN_OPS)
    assert all(callable(getattr(af, name)) for name in COMPOSITES)


@pytest.mark.parametrize("name", list(S.BUILTIN_OPS))
def test_each_builtin_op_has_every_gradient_property(name):
    @given(S.flow_graphs([name], max_boxes=2))
    def check(random):
        assume(name in random.ops)  # (a max with ties is not drawn: kinks)
        aft.check_graph(random.output, random.feed)

    check()


@given(S.flow_graphs())
def test_random_graphs_have_every_gradient_property(random):
    aft.check_graph(random.output, random.feed)


@given(S.flow_graphs(dtype=np.float32))
def test_float32_stays_float32_end_to_end(random):
    graph = af.FlowGraph(random.output)
    graph.fprop(random.feed)
    graph.bprop()
    for box in graph.order:
        if isinstance(box.value, np.ndarray) and box.value.dtype.kind == "f":
            assert box.value.dtype == np.float32, box
        if box.grad is not None:
            assert box.grad.dtype == np.float32, box


@given(S.flow_graphs())
def test_bprop_is_linear_in_a_non_scalar_seed(random):
    order = af.FlowGraph(random.output).order
    widest = max(order, key=lambda b: np.size(b.value))
    if isinstance(widest, af.core.Leaf):
        widest = random.output
    aft.assert_bprop_linear(widest, random.feed)


SMOOTH = ["add", "sub", "mul", "div", "sum", "mean", "square", "tanh", "sigmoid", "exp",
          "matmul", "logsumexp", "linear", "softmax", "log_softmax", "softmax_cross_entropy",
          "l2_penalty"]


@given(S.flow_graphs(SMOOTH, max_boxes=3))
def test_hessian_of_smooth_graphs_is_symmetric_and_agrees_with_af_hessian(random):
    aft.assert_hessian_symmetric(random.output, random.feed, rtol=1e-3, atol=1e-4)
    parameters = af.FlowGraph(random.output).parameters
    if parameters:
        engine = af.hessian(random.output, feed=random.feed)
        ours = aft.assertions._unsymmetrized_hessian(random.output, random.feed,
                                                     wrt=parameters)
        np.testing.assert_allclose(engine, ours, rtol=1e-3, atol=1e-4)


COMPOSITES_AND_FRIENDS = ["linear", "softmax_cross_entropy", "l1_penalty", "l2_penalty",
                          "add", "mul", "tanh", "sum", "matmul", "log_softmax"]


@given(S.flow_graphs(COMPOSITES_AND_FRIENDS))
def test_compiled_plans_give_the_interpreters_numbers_on_the_lectures_composites(random):
    """The plan's rewrites (linear, softmax cross-entropy) and templates against the
    interpreter running every primitive box: bit for bit."""
    floats = [x for x, v in random.feed.items() if v.dtype.kind == "f"]
    wrt = af.FlowGraph(random.output).parameters + floats
    results = []
    for compile in (False, True):
        graph = af.FlowGraph(random.output, compile=compile, wrt=wrt)
        for _ in range(3):
            value = graph.fprop(random.feed)
            grads = {b.name: np.array(g) for b, g in graph.bprop().items()}
        results.append((value, grads, graph.ran["bprop"]))
    (value, grads, _), (compiled_value, compiled_grads, ran) = results
    assert ran == "plan"
    np.testing.assert_array_equal(compiled_value, value)
    for name, grad in grads.items():
        np.testing.assert_array_equal(compiled_grads[name], grad)


@given(S.arrays(), st.sampled_from(["sum", "mean"]))
def test_gradient_of_sum_is_ones_and_of_mean_is_one_over_n(value, reduction):
    x = af.Parameter(value, name="x")
    graph = af.FlowGraph(getattr(af, reduction)(x))
    graph.fprop()
    grads = graph.bprop()
    expected = 1.0 if reduction == "sum" else 1.0 / value.size
    assert np.array_equal(grads[x], np.full(value.shape, expected))


@given(S.flow_graphs(), st.integers(2, 4))
def test_gradients_of_a_shared_box_are_summed(random, uses):
    floats = [x for x, v in random.feed.items() if v.dtype.kind == "f"]
    single = af.FlowGraph(random.output, wrt=af.FlowGraph(random.output).parameters + floats)
    total = random.output
    for _ in range(uses - 1):
        total = total + random.output  # the same box read ``uses`` times
    shared = af.FlowGraph(total, wrt=single.wrt)
    single.fprop(random.feed)
    once = {b: np.array(g) for b, g in single.bprop().items()}
    shared.fprop(random.feed)
    for box, grad in shared.bprop().items():
        np.testing.assert_allclose(grad, uses * once[box], rtol=1e-12, atol=1e-12)


def test_diamond_sums_both_paths():
    a = af.Parameter(np.array([0.5, -2.0]), name="a")
    b = a + a
    c = af.sum(b * b)  # c = sum 4 a^2, dc/da = 8 a
    graph = af.FlowGraph(c)
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop()[a], 8 * a.value)


@given(st.data())
def test_softmax_cross_entropy_matches_the_lecture(data):
    """-log f(x)_y averaged over the batch, and its gradient -(e(y) - f(x)) / N."""
    rows, classes = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    logits = data.draw(S.arrays(np.float64, (rows, classes),
                                elements=S.floats(max_magnitude=30.0)))
    labels = data.draw(S.labels(rows, classes))
    a = af.Parameter(logits, name="a")
    graph = af.FlowGraph(af.softmax_cross_entropy(a, af.Constant(labels)))
    value = graph.fprop()
    f = np.exp(logits - logits.max(axis=1, keepdims=True))
    f /= f.sum(axis=1, keepdims=True)
    onehot = np.eye(classes)[labels]
    np.testing.assert_allclose(value, np.mean(-np.log(f[np.arange(rows), labels])),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(graph.bprop()[a], -(onehot - f) / rows, rtol=1e-10, atol=1e-12)


# --- the engine's rule for a custom box's gradient of the broadcast shape ---------

class UnreducedAdd(af.Box):
    """y = a + b; bprop returns d y for both inputs, of the broadcast shape."""

    def fprop(self, a, b):
        return a + b

    def bprop(self, grad, a, b):
        return grad, grad


@given(S.mutually_broadcastable_shapes(2).flatmap(
    lambda shapes: st.tuples(*[S.arrays(np.float64, s) for s in shapes.input_shapes])))
def test_broadcast_shaped_gradient_is_summed_back_to_the_input(values):
    """Like PyTorch: a gradient whose shape is the broadcast shape is summed back with
    af.unbroadcast over the axes the input was broadcast along."""
    a, b = (af.Parameter(v, name=n) for v, n in zip(values, "ab"))
    weights = np.random.default_rng(0).standard_normal(np.broadcast_shapes(*map(np.shape,
                                                                                values)))
    loss = af.sum(UnreducedAdd(a, b) * weights)
    aft.assert_gradients_match(loss)
    graph = af.FlowGraph(loss)
    graph.fprop()
    grads = graph.bprop()
    np.testing.assert_allclose(grads[a], af.unbroadcast(weights, a.value.shape))
    np.testing.assert_allclose(grads[b], af.unbroadcast(weights, b.value.shape))
    assert grads[a].shape == a.value.shape and grads[b].shape == b.value.shape


class WrongShape(af.Box):
    """y = sum of a over axis 0; bprop returns a gradient of a fixed (wrong) shape."""

    def __init__(self, a, grad_shape, name=None):
        self.grad_shape = grad_shape
        super().__init__(a, name=name)

    def fprop(self, a):
        return a.sum(axis=0)

    def bprop(self, grad, a):
        return np.ones(self.grad_shape)


@pytest.mark.parametrize("grad_shape", [(3, 2), (3,), (4,), (2, 3, 1)])
def test_gradient_of_a_shape_broadcasting_cannot_give_is_a_box_error(grad_shape):
    a = af.Parameter(np.ones((2, 3)), name="a")
    graph = af.FlowGraph(af.sum(WrongShape(a, grad_shape, name="weird")))
    graph.fprop()
    with pytest.raises(af.BoxError) as caught:
        graph.bprop()
    message = str(caught.value)
    assert "WrongShape 'weird'" in message and "test_properties.py" in message
    assert f"shape {grad_shape}" in message and "of shape (2, 3)" in message
