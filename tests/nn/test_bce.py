"""binary_cross_entropy_with_logits: torch's documented formula, torch itself (when
installed), gradients (finite differences and the closed form), stability, errors."""
import numpy as np
import pytest

import autograd_flow as af

RNG = np.random.default_rng(3)


def run(loss, feed=None, wrt=None):
    graph = af.FlowGraph(loss, wrt=wrt)
    value = graph.fprop(feed or {})
    return value, graph.bprop() if np.size(value) == 1 else None


def torch_formula(a, t, reduction="mean", weight=None, pos_weight=None):
    """torch.nn.BCEWithLogitsLoss's documented loss, l = -w [p t log sigmoid(a) +
    (1 - t) log(1 - sigmoid(a))], written out in numpy (float64, moderate logits)."""
    sigmoid = 1 / (1 + np.exp(-a))
    w = 1.0 if weight is None else weight
    p = 1.0 if pos_weight is None else pos_weight
    losses = -w * (p * t * np.log(sigmoid) + (1 - t) * np.log(1 - sigmoid))
    return {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]


OPTIONS = [
    {},
    {"reduction": "sum"},
    {"reduction": "none"},
    {"weight": RNG.uniform(0.1, 2, (5, 3))},
    {"weight": RNG.uniform(0.1, 2, 3)},
    {"pos_weight": RNG.uniform(0.1, 4, 3)},
    {"weight": RNG.uniform(0.1, 2, (5, 1)), "pos_weight": RNG.uniform(0.1, 4, 3),
     "reduction": "sum"},
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(o) or "default")
def test_matches_the_documented_formula(options):
    a = RNG.standard_normal((5, 3)) * 3
    t = RNG.uniform(0, 1, (5, 3))
    t[0] = [0, 1, 1]  # hard labels too
    loss = af.binary_cross_entropy_with_logits(af.Input("a"), af.Input("t"), **options)
    value = af.FlowGraph(loss).fprop({"a": a, "t": t})
    np.testing.assert_allclose(value, torch_formula(a, t, **options), rtol=1e-12)


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(o) or "default")
def test_matches_torch(options):
    torch = pytest.importorskip("torch")
    a = RNG.standard_normal((5, 3)) * 20  # saturated sigmoids too
    t = (RNG.uniform(0, 1, (5, 3)) > 0.5).astype(float)
    t[1] = [0.2, 0.5, 0.9]
    logits = af.Parameter(a, name="a")
    loss = af.binary_cross_entropy_with_logits(logits, af.Constant(t), **options)
    graph = af.FlowGraph(loss)
    value = graph.fprop()
    torch_a = torch.tensor(a, requires_grad=True)
    torch_options = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                     for k, v in options.items()}
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch_a, torch.tensor(t), **torch_options)
    np.testing.assert_allclose(value, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    if expected.ndim == 0:
        expected.backward()
        np.testing.assert_allclose(graph.bprop()[logits], torch_a.grad.numpy(), rtol=1e-12,
                                   atol=1e-15)


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(o) or "default")
def test_gradcheck(options):
    a, t = af.Input("a"), af.Input("t")
    weight = af.Parameter(np.asarray(options["weight"]), name="w") \
        if "weight" in options else None
    loss = af.binary_cross_entropy_with_logits(a, t, **dict(options, weight=weight))
    graph = af.FlowGraph(loss, wrt=[a, t] + ([weight] if weight is not None else []))
    af.gradcheck(graph, {a: RNG.standard_normal((5, 3)) * 3, t: RNG.uniform(0, 1, (5, 3))})


def test_gradient_is_sigmoid_minus_target_scaled():
    a, t = RNG.standard_normal((6, 4)) * 4, RNG.uniform(0, 1, (6, 4))
    w = RNG.uniform(0.5, 2, (6, 4))
    logits = af.Parameter(a, name="a")
    sigmoid = 1 / (1 + np.exp(-a))
    _, grads = run(af.binary_cross_entropy_with_logits(logits, t))
    np.testing.assert_allclose(grads[logits], (sigmoid - t) / a.size, rtol=1e-12)
    _, grads = run(af.binary_cross_entropy_with_logits(logits, t, weight=w, reduction="sum"))
    np.testing.assert_allclose(grads[logits], w * (sigmoid - t), rtol=1e-12)
    p = RNG.uniform(0.5, 3, 4)
    _, grads = run(af.binary_cross_entropy_with_logits(logits, t, pos_weight=p, reduction="sum"))
    np.testing.assert_allclose(grads[logits], (1 - t) * sigmoid - p * t * (1 - sigmoid),
                               rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_for_large_logits(dtype):
    a = np.array([1e4, -1e4, 50.0, -50.0, 1e4, -1e4], dtype)
    t = np.array([1.0, 0.0, 1.0, 0.0, 0.0, 1.0], dtype)
    logits = af.Parameter(a, name="a")
    loss = af.binary_cross_entropy_with_logits(logits, t, reduction="none")
    graph = af.FlowGraph(loss)
    losses = graph.fprop()
    assert losses.dtype == dtype
    # right answers: log(1 + e^-50) = 1.9e-22 for the confident, right ones; 1e4 for wrong
    expected = np.array([0.0, 0.0, np.exp(-50.0), np.exp(-50.0), 1e4, 1e4])
    np.testing.assert_allclose(losses, expected, rtol=1e-6)
    grads = graph.bprop(np.ones(6, dtype))[logits]
    assert grads.dtype == dtype and np.all(np.isfinite(grads))
    np.testing.assert_allclose(grads, [0, 0, -np.exp(-50.0), np.exp(-50.0), 1, -1], atol=1e-20)


def test_errors_and_scope():
    with pytest.raises(ValueError, match="unknown reduction 'avg'.*'mean', 'sum', 'none'"):
        af.binary_cross_entropy_with_logits(af.Input("a"), af.Input("t"), reduction="avg")
    a, t = af.Input("a"), af.Input("t")
    loss = af.binary_cross_entropy_with_logits(a, t)
    assert loss.name == "binary_cross_entropy"
    assert loss.scopes[0].kind == "binary_cross_entropy_with_logits"
    with pytest.raises(af.BoxError, match=r"\(4, 3\).*\(4, 2\)|\(4, 2\).*\(4, 3\)"):
        af.FlowGraph(loss).fprop({a: np.zeros((4, 3)), t: np.zeros((4, 2))})
