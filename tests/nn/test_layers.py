"""What the layers share: Layer (parameters, modes, end_step), Linear, Sequential; a
small CNN built from them (compiled plans give the interpreter's numbers, gradients as
boxes agree, the picture collapses each layer)."""
import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.nn import (
    MLP,
    AttentionHead,
    BatchNorm,
    Conv2d,
    Dropout,
    Layer,
    Linear,
    Sequential,
    max_pool2d,
)

RNG = np.random.default_rng(17)


def small_cnn(seed=0):
    return Sequential(
        Conv2d(1, 4, 3, padding=1, seed=seed, name="conv1"), BatchNorm(4, name="bn1"), af.relu,
        lambda h: max_pool2d(h, 2, name="pool1"),
        Conv2d(4, 6, 3, padding=1, seed=seed + 1, name="conv2"), af.relu,
        lambda h: max_pool2d(h, 2, name="pool2"),
        lambda h: h.reshape(-1, 6 * 2 * 2), Dropout(0.25, seed=seed, name="drop"),
        Linear(24, 10, seed=seed, name="out"))


def digits_batch(n=12):
    return RNG.standard_normal((n, 1, 8, 8)), RNG.integers(0, 10, n)


def test_parameters_modes_and_end_step_reach_every_layer():
    net = small_cnn()
    names = [p.name for p in net.parameters]
    assert names == ["conv1.W", "conv1.b", "bn1.weight", "bn1.bias", "conv2.W", "conv2.b",
                     "out.W", "out.b"]
    shared = Linear(3, 3, name="shared")
    assert [p.name for p in Sequential(shared, af.tanh, shared).parameters] == [
        "shared.W", "shared.b"]
    net.eval()
    assert not any(layer.training for layer in net.layers())
    net.train()
    assert all(layer.training for layer in net.layers())
    x, y = af.Input("x"), af.Input("y")
    graph = af.FlowGraph(af.softmax_cross_entropy(net(x), y))
    graph.fprop(dict(zip((x, y), digits_batch())))
    bn, drop = net.steps[1], net.steps[8]
    net.end_step()
    assert bn.num_batches_tracked == 1 and drop.step == 1


def test_linear_layer():
    layer = Linear(5, 3, seed=2, name="lin")
    bound = np.sqrt(6 / 8)
    assert layer.W.value.shape == (3, 5) and np.abs(layer.W.value).max() <= bound
    assert np.all(layer.b.value == 0)
    X = RNG.standard_normal((4, 5))
    x = af.Input("x")
    np.testing.assert_allclose(af.FlowGraph(layer(x)).fprop({x: X}), X @ layer.W.value.T)
    assert Linear(5, 3, bias=False).b is None and len(Linear(5, 3, bias=False).parameters) == 1
    with pytest.raises(ValueError, match="Linear 'linear': out_features must be an integer"):
        Linear(5, 0)


def test_sequential_checks_its_steps_and_values_round_trip():
    with pytest.raises(TypeError, match="step 1 is int 3, not a layer or a function"):
        Sequential(Linear(2, 2), 3)
    net = small_cnn()
    assert [b.name for b in net.buffers] == ["bn1.running_mean", "bn1.running_var"]
    values = net.get_values()  # parameters, then running statistics
    assert len(values) == len(net.parameters) + 2
    for p in net.parameters + net.buffers:
        p.value += 1
    net.set_values(values)
    assert all(np.array_equal(p.value, v)
               for p, v in zip(net.parameters + net.buffers, values))
    with pytest.raises(ValueError, match="conv1.W"):
        net.set_values([np.zeros(2)] + values[1:])
    assert isinstance(MLP([2, 3, 2]), Layer)  # the MLP is a layer too
    assert repr(Sequential(Linear(2, 2), af.relu)).startswith("Sequential(Linear(2, 2")


def test_the_cnn_gradchecks():
    net = small_cnn(seed=3)
    x, y = af.Input("x"), af.Input("y")
    graph = af.FlowGraph(af.softmax_cross_entropy(net(x), y))
    X, Y = digits_batch(5)
    af.gradcheck(graph, {x: X, y: Y}, max_entries=20)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_plans_give_the_interpreters_numbers_on_the_layers(dtype):
    """The CNN (its linear layer and the cross-entropy rewritten), an attention head
    (batched 3-D projections: no rewrite, the primitives' own code, and its -inf mask
    as a constant), a Linear: bit for bit."""
    cases = []
    net = small_cnn(seed=1)
    for p in net.parameters:
        p.value = p.value.astype(dtype)
    x, y = af.Input("x"), af.Input("y")
    X, Y = digits_batch()
    cases.append((af.softmax_cross_entropy(net(x), y), {x: X.astype(dtype), y: Y},
                  {"Linear", "SoftmaxCrossEntropy"}))
    head = AttentionHead(6, 4, seed=1, dtype=dtype)
    s = af.Input("s")
    cases.append(((af.tanh(head(s, mask=np.tril(np.ones((5, 5), bool)))) ** 2).sum(),
                  {s: RNG.standard_normal((2, 5, 6)).astype(dtype)}, set()))
    lin = Linear(6, 3, dtype=dtype)
    cases.append((af.l2_penalty([lin.W]) + af.tanh(lin(s)).sum(),
                  {s: RNG.standard_normal((4, 6)).astype(dtype)}, {"Linear"}))
    for loss, feed, rewrites in cases:
        plain = af.FlowGraph(loss, wrt=[b for b in feed if feed[b].dtype.kind == "f"]
                             + af.FlowGraph(loss).parameters, compile=False)
        compiled = af.FlowGraph(loss, wrt=plain.wrt)
        for _ in range(3):
            value, compiled_value = plain.fprop(feed), compiled.fprop(feed)
            grads = {box: g.copy() for box, g in plain.bprop().items()}
            compiled_grads = compiled.bprop()
        assert compiled.ran == {"fprop": "plan", "bprop": "plan"}
        found = {type(m.rewrite).__name__ for m in af.plan.find_rewrites(compiled).values()}
        assert rewrites <= found
        assert np.asarray(compiled_value).dtype == np.asarray(value).dtype == dtype
        np.testing.assert_array_equal(compiled_value, value)
        for box, grad in compiled_grads.items():
            assert grad.dtype == dtype
            np.testing.assert_array_equal(grad, grads[box])


def test_gradients_as_boxes_agree_with_bprop():
    net = small_cnn(seed=2)
    x, y = af.Input("x"), af.Input("y")
    loss = af.softmax_cross_entropy(net(x), y)
    feed = dict(zip((x, y), digits_batch(4)))
    graph = af.FlowGraph(loss)
    graph.fprop(feed)
    expected = graph.bprop()
    boxes = af.grad(loss, net.parameters)
    values = af.FlowGraph(boxes).fprop(feed)
    for p, value in zip(net.parameters, values):
        np.testing.assert_allclose(value, expected[p], rtol=1e-10, atol=1e-12)


def test_the_picture_collapses_each_layer():
    pytest.importorskip("graphviz")
    net = small_cnn()
    x, y = af.Input("x"), af.Input("y")
    graph = af.FlowGraph(af.softmax_cross_entropy(net(x), y))
    source = af.viz.to_dot(graph, collapse=True).source
    for name, kind in [("conv1", "conv2d"), ("bn1", "batchnorm"), ("pool1", "max_pool2d"),
                       ("conv2", "conv2d"), ("drop", "dropout"), ("out", "linear")]:
        assert f"<B>{name}</B>" in source and kind in source
    assert "x[0, 0]" not in source and "window [0, 0]" not in source  # inside the nodes
    assert "x[0, 0]" in af.viz.to_dot(graph, collapse=False).source
    assert source.count("shape=box3d") == 8  # 7 layers and the loss
