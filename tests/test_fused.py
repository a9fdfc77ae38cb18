"""FlowGraph(fuse=True) gives the same values and gradients as the primitive boxes."""
import numpy as np
import pytest

import autograd_flow as af

RNG = np.random.default_rng(7)


def run(output, feed, fuse, wrt=None):
    graph = af.FlowGraph(output, wrt=wrt, fuse=fuse)
    value = graph.fprop(feed)
    grads = {box: np.array(g) for box, g in graph.bprop().items()}
    return graph, value, grads


def assert_same(output, feed, wrt=None, fused_kinds=1, rtol=1e-12):
    plain, value, grads = run(output, feed, fuse=False, wrt=wrt)
    fused, fused_value, fused_grads = run(output, feed, fuse=True, wrt=wrt)
    assert len(fused._fusions) == fused_kinds
    assert len(fused._fprop_plan) < len(plain._fprop_plan) or fused_kinds == 0
    assert np.asarray(fused_value).dtype == np.asarray(value).dtype
    np.testing.assert_allclose(fused_value, value, rtol=rtol, atol=rtol)
    for box, grad in grads.items():
        assert fused_grads[box].dtype == grad.dtype
        assert fused_grads[box].shape == grad.shape
        np.testing.assert_allclose(fused_grads[box], grad, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("h_shape", [(5, 4), (4,), (2, 3, 4)])
@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear(h_shape, with_bias, dtype):
    h = af.Input("h")
    W = af.Parameter(RNG.standard_normal((3, 4)).astype(dtype), name="W")
    b = af.Parameter(RNG.standard_normal(3).astype(dtype), name="b") if with_bias else None
    out = af.linear(h, W, b)
    loss = (af.tanh(out) * RNG.standard_normal(h_shape[:-1] + (3,))).sum()
    feed = {h: RNG.standard_normal(h_shape).astype(dtype)}
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    assert_same(loss, feed, wrt=[W, h] + ([b] if b is not None else []), rtol=tolerance)


def test_linear_with_broadcast_bias_shape():
    h, W = af.Input("h"), af.Parameter(RNG.standard_normal((3, 4)), name="W")
    b = af.Parameter(RNG.standard_normal((1, 3)), name="b")
    loss = af.square(af.linear(h, W, b)).sum()
    assert_same(loss, {h: RNG.standard_normal((5, 4))})


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_cross_entropy(dtype):
    logits = af.Parameter(RNG.standard_normal((6, 4)).astype(dtype) * 5, name="logits")
    y = af.Input("y")
    loss = af.softmax_cross_entropy(logits, y)
    assert_same(loss, {y: RNG.integers(0, 4, 6)},
                rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_softmax_cross_entropy_closed_form_gradient():
    a = RNG.standard_normal((5, 3))
    labels = np.array([0, 2, 1, 1, 0])
    logits = af.Parameter(a, name="a")
    graph = af.FlowGraph(af.softmax_cross_entropy(logits, af.Constant(labels)), fuse=True)
    graph.fprop()
    grad = graph.bprop()[logits]
    f = np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(grad, -(np.eye(3)[labels] - f) / 5, atol=1e-14)


def test_softmax_cross_entropy_checks_labels_when_fused():
    logits, y = af.Parameter(np.zeros((2, 3))), af.Input("y")
    graph = af.FlowGraph(af.softmax_cross_entropy(logits, y), fuse=True)
    with pytest.raises(af.LabelError, match="cross_entropy"):
        graph.fprop({y: np.array([0, -1])})


def test_whole_mlp_loss_matches_and_passes_gradcheck():
    x, y = af.Input("x"), af.Input("y")
    W1, b1 = af.Parameter(RNG.standard_normal((5, 4)), name="W1"), af.Parameter(np.zeros(5))
    W2, b2 = af.Parameter(RNG.standard_normal((3, 5)), name="W2"), af.Parameter(np.zeros(3))
    logits = af.linear(af.tanh(af.linear(x, W1, b1)), W2, b2)
    loss = (af.softmax_cross_entropy(logits, y) + 1e-2 * af.l2_penalty([W1, W2])
            + 1e-3 * af.l1_penalty([W1, W2]))
    feed = {x: RNG.standard_normal((7, 4)), y: RNG.integers(0, 3, 7)}
    assert_same(loss, feed, fused_kinds=3)
    af.gradcheck(af.FlowGraph(loss, fuse=True), feed)


def test_inner_boxes_keep_no_value_in_a_fused_run():
    logits, y = af.Parameter(RNG.standard_normal((2, 3))), af.Input("y")
    loss = af.softmax_cross_entropy(logits, y)
    lse = loss.fusion.boxes[0]
    graph = af.FlowGraph(loss, fuse=True)
    graph.fprop({y: np.array([0, 1])})
    assert lse.value is None and lse not in graph.bprop_order and lse not in graph.skipped


def test_no_fusion_when_an_inner_box_is_used_outside():
    h, W = af.Input("h"), af.Parameter(RNG.standard_normal((3, 4)), name="W")
    out = af.linear(h, W, af.Parameter(np.zeros(3)))
    product = out.inputs[0]  # h @ W^T, inside the composite
    loss = (out * out).sum() + product.sum()
    assert_same(loss, {h: RNG.standard_normal((2, 4))}, fused_kinds=0)


def test_no_fusion_when_an_inner_box_is_an_output_or_in_wrt():
    logits, y = af.Parameter(RNG.standard_normal((2, 3))), af.Input("y")
    loss = af.softmax_cross_entropy(logits, y)
    log_probs = loss.fusion.boxes[1]
    assert af.FlowGraph([loss, log_probs], fuse=True)._fusions == {}
    assert af.FlowGraph(loss, wrt=[logits, log_probs], fuse=True)._fusions == {}


def test_fused_gradients_skip_inputs_that_need_none():
    x, W = af.Input("x"), af.Parameter(RNG.standard_normal((3, 4)), name="W")
    graph = af.FlowGraph(af.linear(x, W).sum(), fuse=True)
    graph.fprop({x: RNG.standard_normal((2, 4))})
    graph.bprop()
    assert x.grad is None and W.grad.shape == (3, 4)


def test_a_shape_error_in_a_fused_composite_names_its_real_inputs():
    x, W = af.Input("x"), af.Parameter(np.zeros((3, 4)), name="W")
    graph = af.FlowGraph(af.linear(x, W, af.Parameter(np.zeros(3), name="b")).sum(), fuse=True)
    with pytest.raises(af.BoxError, match=r"fused as Linear.*'x'.*\(2, 5\).*'W'.*\(3, 4\)"):
        graph.fprop({x: np.zeros((2, 5))})
