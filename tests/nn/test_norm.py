"""BatchNorm: batch statistics in training, running statistics at evaluation, updated
once per step by end_step(); against numpy formulas and torch (when installed)."""
import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.nn import BatchNorm

RNG = np.random.default_rng(5)


def numpy_batch_norm(x, mean, var, gamma, beta, eps=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return ((x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
            * gamma.reshape(shape) + beta.reshape(shape))


def batch_axes(x):
    return (0,) + tuple(range(2, x.ndim))


def randomized(layer):
    """Weight and bias away from their initial 1 and 0, so they take part."""
    layer.weight.value[:] = RNG.uniform(0.5, 2, layer.num_features)
    layer.bias.value[:] = RNG.standard_normal(layer.num_features)
    return layer


@pytest.mark.parametrize("shape", [(8, 3), (6, 3, 5), (4, 3, 5, 4)])
def test_training_uses_batch_statistics(shape):
    layer = randomized(BatchNorm(3))
    X = RNG.standard_normal(shape) * 3 + 1
    x = af.Input("x")
    value = af.FlowGraph(layer(x)).fprop({x: X})
    axes = batch_axes(X)
    expected = numpy_batch_norm(X, X.mean(axis=axes), X.var(axis=axes), layer.weight.value,
                                layer.bias.value)
    np.testing.assert_allclose(value, expected, atol=1e-12)


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 4)])
@pytest.mark.parametrize("training", [True, False])
def test_gradcheck(shape, training):
    layer = randomized(BatchNorm(3))
    layer.running_mean.value[:] = RNG.standard_normal(3)
    layer.running_var.value[:] = RNG.uniform(0.5, 2, 3)
    x = af.Input("x")
    out = layer.train(training)(x)
    projection = RNG.standard_normal(shape)  # a plain sum would have zero gradient in x
    graph = af.FlowGraph((out * projection).sum(), wrt=[x, layer.weight, layer.bias])
    af.gradcheck(graph, {x: RNG.standard_normal(shape)})


def test_running_statistics_follow_the_momentum_rule_and_evaluation_uses_them():
    layer = randomized(BatchNorm(3, momentum=0.2))
    x = af.Input("x")
    train_graph = af.FlowGraph(layer.train()(x).sum())
    eval_graph = af.FlowGraph(layer.eval()(x))
    mean, var = np.zeros(3), np.ones(3)
    for _ in range(4):
        X = RNG.standard_normal((10, 3, 2, 2)) * 2 + 3
        train_graph.fprop({x: X})
        layer.end_step()
        n = X.size // 3
        mean = 0.8 * mean + 0.2 * X.mean(axis=(0, 2, 3))
        var = 0.8 * var + 0.2 * X.var(axis=(0, 2, 3)) * n / (n - 1)
    np.testing.assert_allclose(layer.running_mean.value, mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var.value, var, rtol=1e-12)
    assert layer.num_batches_tracked == 4
    X = RNG.standard_normal((5, 3, 2, 2))
    np.testing.assert_allclose(eval_graph.fprop({x: X}),
                               numpy_batch_norm(X, mean, var, layer.weight.value,
                                                layer.bias.value), atol=1e-12)


def test_momentum_none_is_a_cumulative_average():
    layer = BatchNorm(2, momentum=None)
    x = af.Input("x")
    graph = af.FlowGraph(layer(x))
    batches = [RNG.standard_normal((6, 2)) + k for k in range(3)]
    for X in batches:
        graph.fprop({x: X})
        layer.end_step()
    np.testing.assert_allclose(layer.running_mean.value,
                               np.mean([X.mean(axis=0) for X in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var.value,
                               np.mean([X.var(axis=0, ddof=1) for X in batches], axis=0),
                               rtol=1e-12)


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("shape", [(8, 4), (5, 4, 3, 3)])
def test_matches_torch_step_for_step(momentum, shape):
    torch = pytest.importorskip("torch")
    ours = randomized(BatchNorm(4, momentum=momentum, eps=1e-3))
    theirs = (torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d)(
        4, momentum=momentum, eps=1e-3).double()
    with torch.no_grad():
        theirs.weight[:] = torch.tensor(ours.weight.value)
        theirs.bias[:] = torch.tensor(ours.bias.value)
    x = af.Input("x")
    train_graph = af.FlowGraph(ours.train()(x), wrt=[x, ours.weight, ours.bias])
    eval_graph = af.FlowGraph(ours.eval()(x))
    for _ in range(3):
        X = RNG.standard_normal(shape) * 2 + 1
        seed = RNG.standard_normal(shape)
        value = train_graph.fprop({x: X})
        grads = train_graph.bprop(seed)
        ours.end_step()
        tx = torch.tensor(X, requires_grad=True)
        expected = theirs.train()(tx)
        expected.backward(torch.tensor(seed))
        np.testing.assert_allclose(value, expected.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(grads[x], tx.grad.numpy(), atol=1e-11)
        np.testing.assert_allclose(grads[ours.weight], theirs.weight.grad.numpy(), atol=1e-11)
        np.testing.assert_allclose(grads[ours.bias], theirs.bias.grad.numpy(), atol=1e-11)
        theirs.zero_grad()
        np.testing.assert_allclose(ours.running_mean.value, theirs.running_mean.numpy(),
                                   rtol=1e-12)
        np.testing.assert_allclose(ours.running_var.value, theirs.running_var.numpy(),
                                   rtol=1e-12)
    X = RNG.standard_normal(shape)
    np.testing.assert_allclose(eval_graph.fprop({x: X}),
                               theirs.eval()(torch.tensor(X)).detach().numpy(), atol=1e-12)


def test_modes_build_different_boxes_over_the_same_parameters():
    layer = BatchNorm(3, name="bn")
    x = af.Input("x")
    train_boxes = af.FlowGraph(layer.train()(x)).order
    eval_boxes = af.FlowGraph(layer.eval()(x)).order
    names = {b.name for b in eval_boxes}
    assert "bn.running_mean" in names and "batch mean" not in names
    assert "batch mean" in {b.name for b in train_boxes}
    assert {p.name for p in layer.parameters} == {"bn.weight", "bn.bias"}
    assert all(s.kind == "batchnorm" and s.name == "bn"
               for b in train_boxes if b.scopes for s in b.scopes[:1])
    assert BatchNorm(3, affine=False).parameters == []


def test_float32_is_kept():
    layer = BatchNorm(2, dtype=np.float32)
    x = af.Input("x")
    graph = af.FlowGraph(layer(x).sum())
    assert graph.fprop({x: np.ones((4, 2), np.float32)}).dtype == np.float32
    assert all(g.dtype == np.float32 for g in graph.bprop().values())
    layer.end_step()
    assert layer.running_var.value.dtype == np.float32


def test_misuse_is_explained():
    with pytest.raises(ValueError, match="num_features must be an integer >= 1"):
        BatchNorm(0)
    with pytest.raises(ValueError, match="momentum must lie in"):
        BatchNorm(3, momentum=1.5)
    with pytest.raises(ValueError, match=r"BatchNorm 'bn' normalizes 3 channels .* \(None, 4\)"):
        BatchNorm(3, name="bn")(af.Input("x", shape=(None, 4)))
    layer = BatchNorm(3, name="bn")
    x = af.Input("x")
    graph = af.FlowGraph(layer(x))
    with pytest.raises(RuntimeError, match="bn.*run the training graph's fprop"):
        layer.end_step()
    graph.fprop({x: np.ones((1, 3))})
    with pytest.raises(ValueError, match="more than one value per channel"):
        layer.end_step()
    graph.fprop({x: RNG.standard_normal((4, 3))})
    layer.end_step()
    with pytest.raises(RuntimeError, match="found no batch statistics computed since"):
        layer.end_step()  # twice for one fprop
    with pytest.raises(af.BoxError, match=r"bn: x \(N, 3, \.\.\.\).*\(4, 5\)"):
        graph.fprop({x: np.ones((4, 5))})
    with pytest.raises(af.BoxError, match=r"bn: x - mean, x \(N, 3, \.\.\.\).*\(4, 6\)"):
        graph.fprop({x: np.ones((4, 6))})  # 24 values do make rows of 3
    eval_graph = af.FlowGraph(layer.eval()(x))
    with pytest.raises(af.BoxError, match=r"bn: x - running mean, x \(N, 3, \.\.\.\).*\(4, 6\)"):
        eval_graph.fprop({x: np.ones((4, 6))})


def test_statistics_kept_in_a_reused_buffer_count_as_new():
    """A run plan may write a box's value into the same array every step: new values in
    it are a new step's statistics, the same values are not."""
    layer = BatchNorm(2, momentum=0.5)
    x = af.Input("x")
    graph = af.FlowGraph(layer(x))
    graph.fprop({x: np.array([[0.0, 1.0], [2.0, 3.0]])})
    layer.end_step()
    mean, var, _ = layer._batches[0]
    buffer = mean.value
    buffer[...] = [10.0, 20.0]  # the next step's mean, written in place
    var.value = np.array([2.0, 2.0])
    layer.end_step()
    np.testing.assert_allclose(layer.running_mean.value, 0.25 * np.array([1.0, 2.0])
                               + 0.5 * np.array([10.0, 20.0]))
    with pytest.raises(RuntimeError, match="no batch statistics computed since"):
        layer.end_step()
