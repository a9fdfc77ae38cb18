"""The lecture's MLP: initialization, structure, dtype, and gradients."""
import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.nn import MLP, init_bound


def test_weights_are_uniform_in_the_lectures_bound_and_biases_are_zero():
    mlp = MLP([64, 100, 50, 10], seed=3)
    assert [W.value.shape for W in mlp.weights] == [(100, 64), (50, 100), (10, 50)]
    for W, b, (fan_in, fan_out) in zip(mlp.weights, mlp.biases, [(64, 100), (100, 50),
                                                                  (50, 10)]):
        bound = np.sqrt(6) / np.sqrt(fan_in + fan_out)
        assert init_bound(fan_out, fan_in) == pytest.approx(bound)
        assert np.abs(W.value).max() <= bound
        assert np.abs(W.value).max() > 0.95 * bound  # spread over the whole range
        assert abs(W.value.mean()) < 0.1 * bound     # centred on 0
        assert np.all(b.value == 0) and b.value.shape == (fan_out,)


def test_parameters_are_in_layer_order_and_seeded():
    mlp = MLP([3, 4, 2], seed=1)
    assert [p.name for p in mlp.parameters] == ["W1", "b1", "W2", "b2"]
    assert np.array_equal(MLP([3, 4, 2], seed=1).weights[0].value, mlp.weights[0].value)
    assert not np.array_equal(MLP([3, 4, 2], seed=2).weights[0].value, mlp.weights[0].value)


@pytest.mark.parametrize("activation, g", [("tanh", np.tanh),
                                           ("sigmoid", lambda a: 1 / (1 + np.exp(-a))),
                                           ("relu", lambda a: np.maximum(a, 0)),
                                           ("linear", lambda a: a)])
def test_forward_matches_numpy(activation, g):
    rng = np.random.default_rng(0)
    mlp = MLP([3, 5, 4, 2], activation=activation)
    for b in mlp.biases:
        b.value[...] = rng.standard_normal(b.value.shape)
    X = rng.standard_normal((6, 3))
    x = af.Input("x")
    logits = af.FlowGraph(mlp(x)).fprop({x: X})
    h = X
    for k, (W, b) in enumerate(zip(mlp.weights, mlp.biases)):
        a = h @ W.value.T + b.value
        h = g(a) if k < 2 else a
    np.testing.assert_allclose(logits, h, rtol=1e-12)


def test_layers_are_scoped_and_the_output_is_the_pre_activation():
    mlp = MLP([3, 4, 4, 2])
    out = mlp(af.Input("x"))
    assert out.name == "a3"
    assert ("layer", "output") in [(s.kind, s.name) for s in out.scopes]
    graph = af.FlowGraph(out)
    layer_of = {id(box): [s.name for s in box.scopes if s.kind == "layer"]
                for box in graph.order}
    assert {name for names in layer_of.values() for name in names} == {
        "layer1", "layer2", "output"}
    activations = [box for box in graph.order if type(box).__name__ == "Tanh"]
    assert [layer_of[id(box)] for box in activations] == [["layer1"], ["layer2"]]


def test_float32_end_to_end():
    mlp = MLP([4, 6, 3], dtype=np.float32)
    x, y = af.Input("x"), af.Input("y")
    graph = af.FlowGraph(af.softmax_cross_entropy(mlp(x), y))
    loss = graph.fprop({x: np.ones((2, 4), np.float32), y: np.array([0, 2])})
    assert loss.dtype == np.float32
    assert all(g.dtype == np.float32 for g in graph.bprop().values())


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_gradients_match_finite_differences(activation):
    rng = np.random.default_rng(1)
    mlp = MLP([3, 4, 3], activation=activation, seed=2)
    x, y = af.Input("x"), af.Input("y")
    graph = af.FlowGraph(af.softmax_cross_entropy(mlp(x), y))
    report = af.gradcheck(graph, {x: rng.standard_normal((5, 3)), y: rng.integers(0, 3, 5)},
                          raise_on_failure=False)
    assert report.ok, report


@pytest.mark.parametrize("kwargs, message", [
    ({"sizes": [3]}, "n_in, hidden..., n_out"),
    ({"sizes": [3, 0, 2]}, ">= 1"),
    ({"sizes": [3, 2], "activation": "softplus"}, "unknown activation"),
    ({"sizes": [3, 2], "dtype": np.int32}, "float dtype"),
])
def test_bad_arguments_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLP(**kwargs)


def test_set_values_checks_shapes():
    mlp = MLP([2, 3, 2])
    values = mlp.get_values()
    values[0] = np.zeros((2, 2))
    with pytest.raises(ValueError, match="W1"):
        mlp.set_values(values)
