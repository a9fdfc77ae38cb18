"""SGD: the lecture's momentum and decay formulas, step by step, against hand-computed
numbers; in-place updates; checkpoints of the optimizer state."""
import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.optim import SGD


def run(optimizer, parameter, grads):
    values = []
    for grad in grads:
        optimizer.step({parameter: np.asarray(grad, dtype=parameter.value.dtype)})
        values.append(parameter.value.copy())
    return values


def test_plain_sgd_is_theta_minus_alpha_grad():
    p = af.Parameter(np.array([1.0, -2.0]))
    assert np.allclose(run(SGD([p], lr=0.1), p, [[1.0, 2.0]])[0], [0.9, -2.2])


def test_momentum_step_by_step():
    # bar_1 = g1 = (1, 2)               theta = (1, -2) - 0.1 (1, 2)    = (0.9, -2.2)
    # bar_2 = g2 + 0.5 bar_1 = (1, 0)   theta = (0.9, -2.2) - 0.1 (1, 0) = (0.8, -2.2)
    # bar_3 = g3 + 0.5 bar_2 = (-0.5, 0) theta = (0.8, -2.2) + (0.05, 0) = (0.85, -2.2)
    p = af.Parameter(np.array([1.0, -2.0]))
    values = run(SGD([p], lr=0.1, momentum=0.5), p, [[1, 2], [0.5, -1], [-1, 0]])
    np.testing.assert_allclose(values, [[0.9, -2.2], [0.8, -2.2], [0.85, -2.2]], rtol=1e-12)


def test_inverse_decay_after_a_constant_warmup():
    # alpha_t = 0.1 for t <= 2, then 0.1 / (1 + 0.5 t') with t' = 1, 2: 0.0666.., 0.05
    p = af.Parameter(np.array([0.0]))
    optimizer = SGD([p], lr=0.1, decay="inverse", decay_rate=0.5, warmup=2)
    assert [optimizer.learning_rate(t) for t in (1, 2, 3, 4)] == pytest.approx(
        [0.1, 0.1, 0.1 / 1.5, 0.05])
    values = run(optimizer, p, [[1.0]] * 4)
    np.testing.assert_allclose(np.ravel(values), [-0.1, -0.2, -0.26666666666666666,
                                                  -0.31666666666666665], rtol=1e-12)
    assert SGD([p], lr=0.1, decay="inverse", decay_rate=0.5).learning_rate(1) == \
        pytest.approx(0.1 / 1.5)  # without warm-up, the lecture's alpha_1 = alpha/(1+delta)


def test_power_decay():
    # alpha_t = 0.1 / t**0.75 after one warm-up update: 0.1, 0.1, 0.1/2**0.75, 0.1/3**0.75
    p = af.Parameter(np.array([0.0]))
    optimizer = SGD([p], lr=0.1, decay="power", decay_rate=0.75, warmup=1)
    assert [optimizer.learning_rate(t) for t in (1, 2, 3, 4)] == pytest.approx(
        [0.1, 0.1, 0.05946035575013606, 0.04386913376508308], rel=1e-12)


def test_momentum_with_decay():
    # grad 1 each time, beta 0.5, alpha_t = 0.1/(1 + t): bar = 1, 1.5, 1.75;
    # theta = -0.05, -0.05 - 1.5/30 = -0.1, -0.1 - 1.75 * 0.025 = -0.14375
    p = af.Parameter(np.array([0.0]))
    optimizer = SGD([p], lr=0.1, momentum=0.5, decay="inverse", decay_rate=1.0)
    np.testing.assert_allclose(np.ravel(run(optimizer, p, [[1.0]] * 3)),
                               [-0.05, -0.1, -0.14375], rtol=1e-12)


def test_updates_in_place_and_keeps_float32():
    p = af.Parameter(np.ones((3, 2), dtype=np.float32))
    array = p.value
    optimizer = SGD([p], lr=0.5, momentum=0.9)
    run(optimizer, p, [np.ones((3, 2))] * 2)
    assert p.value is array and p.value.dtype == np.float32
    np.testing.assert_allclose(p.value, 1 - 0.5 - 0.5 * 1.9)


def test_defaults_to_each_parameters_grad_and_trains_any_graph():
    w = af.Parameter(np.array([0.0]), name="w")
    graph = af.FlowGraph(af.square(w - 3.0).sum())
    optimizer = SGD([w], lr=0.1, momentum=0.5)
    for _ in range(100):
        graph.fprop()
        graph.bprop()
        optimizer.step()
    assert w.value[0] == pytest.approx(3.0, abs=1e-6)


def test_state_dict_resumes_identically():
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((6, 4))
    a, b = af.Parameter(np.zeros(4)), af.Parameter(np.zeros(4))
    first = SGD([a], lr=0.1, momentum=0.9, decay="power", decay_rate=0.6, warmup=1)
    run(first, a, grads[:3])
    state = first.state_dict()
    b.value[...] = a.value
    second = SGD([b], lr=0.1, momentum=0.9, decay="power", decay_rate=0.6, warmup=1)
    second.load_state_dict(state)
    run(first, a, grads[3:])
    run(second, b, grads[3:])
    assert second.t == first.t == 6
    assert np.array_equal(a.value, b.value)


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": 0.0}, "learning rate"),
    ({"lr": 0.1, "momentum": 1.0}, r"\[0, 1\)"),
    ({"lr": 0.1, "decay": "exponential"}, "unknown decay .* 'linear', 'step', 'cosine'"),
    ({"lr": 0.1, "decay": "power", "decay_rate": 0.5}, "0.5 < delta <= 1"),
    ({"lr": 0.1, "decay": "power", "decay_rate": 1.5}, "0.5 < delta <= 1"),
    ({"lr": 0.1, "decay": "inverse", "decay_rate": -1.0}, "delta >= 0"),
    ({"lr": 0.1, "warmup": -1}, "warmup"),
])
def test_bad_options_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SGD([af.Parameter(np.zeros(2))], **kwargs)


def test_missing_or_misshapen_gradient_is_explained():
    p = af.Parameter(np.zeros(2), name="w")
    optimizer = SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="no gradient for Parameter 'w'"):
        optimizer.step({})
    with pytest.raises(ValueError, match="shape"):
        optimizer.step({p: np.zeros(3)})


# One convention for every optimizer: step(graph, feed), as Newton's

@pytest.mark.parametrize("make", [lambda p: af.optim.SGD(p, lr=0.1, momentum=0.9),
                                  lambda p: af.optim.Adam(p, lr=0.01),
                                  lambda p: af.optim.RMSprop(p, lr=0.01)])
def test_every_optimizer_steps_from_a_graph_and_its_feed(make) -> None:
    rng = np.random.default_rng(5)
    x = af.Input("x")
    w = af.Parameter(rng.standard_normal(3), name="w")
    loss = af.square(x @ w - 1.0).mean()
    feed = {x: rng.standard_normal((8, 3))}
    by_graph, by_grads = make([w]), make([af.Parameter(w.value.copy(), name="v")])
    v = by_grads.params[0]
    other = af.square(x @ v - 1.0).mean()
    graph, other_graph = af.FlowGraph(loss), af.FlowGraph(other)
    for _ in range(5):
        expected = float(graph.fprop(feed))  # the loss before the update
        assert by_graph.step(graph, feed) == expected
        other_graph.fprop(feed)
        by_grads.step(other_graph.bprop())
    np.testing.assert_array_equal(w.value, v.value)  # the same updates either way
    expected = float(graph.fprop(feed))
    assert by_graph.step(loss, feed) == expected  # a box: its graph is built once
    with pytest.raises(TypeError, match=r"step\(graph, feed\)"):
        by_graph.step({w: np.zeros(3)}, feed)
    several = af.FlowGraph([loss, x @ w])  # the loss first, then other outputs to watch
    expected = float(several.fprop(feed)[0])
    assert by_graph.step(several, feed) == expected
