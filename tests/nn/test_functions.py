"""The functions that build boxes and the lecture's composites: closed forms checked
explicitly (softmax cross-entropy, penalties, linear), numerical stability, and the
rule that composites are wired from primitive boxes only."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _softmax(a: np.ndarray) -> np.ndarray:
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


FUNCTIONS: list[tuple[Callable[..., af.Box], int, type]] = [
    (af.exp, 1, ops.Exp), (af.log, 1, ops.Log), (af.tanh, 1, ops.Tanh),
    (af.sigmoid, 1, ops.Sigmoid), (af.relu, 1, ops.Relu), (af.identity, 1, ops.Identity),
    (af.square, 1, ops.Square), (af.abs, 1, ops.Abs), (af.sum, 1, ops.Sum),
    (af.mean, 1, ops.Mean), (af.logsumexp, 1, ops.LogSumExp),
    (af.maximum, 2, ops.Maximum), (af.matmul, 2, ops.MatMul),
    (lambda a: af.reshape(a, (-1,)), 1, ops.Reshape), (af.transpose, 1, ops.Transpose),
]


@pytest.mark.parametrize(("function", "arity", "cls"), FUNCTIONS,
                         ids=[c.__name__ for _, _, c in FUNCTIONS])
def test_function_builds_its_primitive_and_takes_a_name(function, arity, cls) -> None:
    inputs = [af.Parameter(np.ones((2, 2))) for _ in range(arity)]
    box = function(*inputs)
    assert type(box) is cls
    assert box.inputs == tuple(inputs)
    if function.__name__ != "<lambda>":
        assert function(*inputs, name="mine").name == "mine"


def test_reshape_takes_an_int_shape_like_numpy() -> None:
    a = af.Parameter(np.ones((2, 3)))
    assert af.FlowGraph(af.reshape(a, -1)).fprop().shape == (6,)


# softmax cross-entropy (lecture: l(f(x), y) = -log f(x)_y, gradient at the output
# pre-activation -(e(y) - f(x)))

@pytest.mark.parametrize("batch", [1, 5])
def test_softmax_cross_entropy_gradient_is_minus_e_y_minus_f_x(batch: int) -> None:
    rng = _rng(1)
    classes = 4
    logits_value = rng.standard_normal((batch, classes))
    labels_value = rng.integers(0, classes, size=batch)
    logits = af.Parameter(logits_value, name="a")
    labels = af.Input("y")
    graph = af.FlowGraph(af.softmax_cross_entropy(logits, labels))
    loss = graph.fprop({labels: labels_value})
    grad = graph.bprop()[logits]

    f_x = _softmax(logits_value)
    e_y = np.eye(classes)[labels_value]
    np.testing.assert_allclose(loss, -np.mean(np.log(f_x[np.arange(batch), labels_value])),
                               rtol=1e-13)
    np.testing.assert_allclose(grad, -(e_y - f_x) / batch, rtol=1e-12, atol=1e-15)


def test_softmax_cross_entropy_gradient_through_a_linear_layer_is_the_outer_product() -> None:
    """Lecture: grad W = (grad a) h^T with grad a = -(e(y) - f(x)), for one example."""
    rng = _rng(2)
    h = rng.standard_normal(3)
    W = af.Parameter(rng.standard_normal((4, 3)), name="W")
    b = af.Parameter(rng.standard_normal(4), name="b")
    graph = af.FlowGraph(af.softmax_cross_entropy(af.linear(h[None, :], W, b), np.array([2])))
    graph.fprop()
    grads = graph.bprop()
    grad_a = -(np.eye(4)[2] - _softmax(W.value @ h + b.value))
    np.testing.assert_allclose(grads[W], np.outer(grad_a, h), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads[b], grad_a, rtol=1e-12, atol=1e-15)


# penalties (lecture: Omega = sum_k ||W^(k)||_F^2 with gradient 2W; L1 with sign(W))

def test_l2_penalty_value_and_gradient_two_w() -> None:
    rng = _rng(3)
    W1 = af.Parameter(rng.standard_normal((3, 2)), name="W1")
    W2 = af.Parameter(rng.standard_normal((2, 4)), name="W2")
    graph = af.FlowGraph(af.l2_penalty([W1, W2]))
    value = graph.fprop()
    grads = graph.bprop()
    np.testing.assert_allclose(value, np.sum(W1.value ** 2) + np.sum(W2.value ** 2),
                               rtol=1e-14)
    np.testing.assert_allclose(grads[W1], 2 * W1.value, rtol=1e-15)
    np.testing.assert_allclose(grads[W2], 2 * W2.value, rtol=1e-15)


def test_l1_penalty_value_and_gradient_sign_w() -> None:
    rng = _rng(4)
    W1 = af.Parameter(np.array([[1.5, -2.0], [0.0, 0.25]]), name="W1")
    W2 = af.Parameter(rng.standard_normal(5), name="W2")
    graph = af.FlowGraph(af.l1_penalty([W1, W2]))
    value = graph.fprop()
    grads = graph.bprop()
    np.testing.assert_allclose(value, 3.75 + np.abs(W2.value).sum(), rtol=1e-14)
    np.testing.assert_array_equal(grads[W1], [[1.0, -1.0], [0.0, 1.0]])
    np.testing.assert_array_equal(grads[W2], np.sign(W2.value))


def test_penalties_take_a_single_box_and_refuse_an_empty_list() -> None:
    W = af.Parameter(np.array([1.0, -2.0]), name="W")
    assert af.FlowGraph(af.l2_penalty(W)).fprop() == 5.0
    assert af.FlowGraph(af.l1_penalty(W, name="omega")).fprop() == 3.0
    assert af.l1_penalty(W, name="omega").name == "omega"
    with pytest.raises(ValueError, match="at least one weight"):
        af.l2_penalty([])


# linear (lecture: a = b + W h; grad W = (grad a) h^T, grad b = grad a, grad h = W^T grad a)

def test_linear_value_and_the_lecture_gradients_batched() -> None:
    rng = _rng(5)
    H = rng.standard_normal((6, 3))
    h = af.Input("h")
    W = af.Parameter(rng.standard_normal((4, 3)), name="W")
    b = af.Parameter(rng.standard_normal(4), name="b")
    graph = af.FlowGraph(af.linear(h, W, b), wrt=[h, W, b])
    value = graph.fprop({h: H})
    np.testing.assert_allclose(value, H @ W.value.T + b.value, rtol=1e-14)
    G = rng.standard_normal((6, 4))  # grad a, one row per example
    grads = graph.bprop(seed=G)
    np.testing.assert_allclose(grads[W], sum(np.outer(G[n], H[n]) for n in range(6)),
                               rtol=1e-12)
    np.testing.assert_allclose(grads[b], G.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(grads[h], (W.value.T @ G.T).T, rtol=1e-12)


def test_linear_single_example_and_without_bias() -> None:
    rng = _rng(6)
    h_value = rng.standard_normal(3)
    W = af.Parameter(rng.standard_normal((2, 3)), name="W")
    h = af.Input("h")
    graph = af.FlowGraph(af.linear(h, W), wrt=[h, W])
    np.testing.assert_allclose(graph.fprop({h: h_value}), W.value @ h_value, rtol=1e-14)
    grad_a = rng.standard_normal(2)
    grads = graph.bprop(seed=grad_a)
    np.testing.assert_allclose(grads[W], np.outer(grad_a, h_value), rtol=1e-14)
    np.testing.assert_allclose(grads[h], W.value.T @ grad_a, rtol=1e-14)


def test_linear_without_bias_keeps_its_name() -> None:
    W = af.Parameter(np.ones((2, 3)), name="W")
    assert af.linear(af.Input("h"), W, name="layer").name == "layer"


# softmax, log_softmax, logsumexp

@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_and_log_softmax_values(axis: int) -> None:
    a = _rng(7).standard_normal((3, 4))
    box = af.Parameter(a)
    soft = af.FlowGraph(af.softmax(box, axis=axis)).fprop()
    log_soft = af.FlowGraph(af.log_softmax(box, axis=axis)).fprop()
    expected = np.exp(a) / np.exp(a).sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(soft, expected, rtol=1e-13)
    np.testing.assert_allclose(soft.sum(axis=axis), 1.0, rtol=1e-14)
    np.testing.assert_allclose(log_soft, np.log(expected), rtol=1e-13)


HUGE = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4]])


def test_stable_for_huge_logits_without_nan_or_overflow() -> None:
    a = af.Parameter(HUGE, name="a")
    lse, log_soft, soft = af.logsumexp(a), af.log_softmax(a), af.softmax(a)
    loss = af.softmax_cross_entropy(a, np.array([0, 1, 2])) + lse.sum() + soft.sum() \
        + log_soft.sum()
    graph = af.FlowGraph([loss, lse, log_soft, soft], check_finite=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        graph.fprop()
        grads = graph.bprop()
    third = np.log(3)
    np.testing.assert_allclose(lse.value, [1e4, -1e4 + third, 1e4 + third], rtol=1e-15)
    # a - logsumexp(a) loses the digits below 1e4 * machine eps, not more
    np.testing.assert_allclose(log_soft.value, [[0, -1e4, -2e4], [-third] * 3, [-third] * 3],
                               rtol=1e-15, atol=1e-11)
    np.testing.assert_allclose(soft.value, [[1, 0, 0], [1 / 3] * 3, [1 / 3] * 3], rtol=1e-11)
    assert np.isfinite(grads[a]).all()


def test_softmax_cross_entropy_of_a_confident_right_answer_is_zero() -> None:
    logits = af.Parameter(np.array([[1e4, 0.0], [0.0, 1e4]]))
    graph = af.FlowGraph(af.softmax_cross_entropy(logits, np.array([0, 1])))
    assert graph.fprop() == 0.0
    np.testing.assert_array_equal(graph.bprop()[logits], np.zeros((2, 2)))


# Composites: built from primitives only, each recording its scope, gradients checked.

def _boxes(output: af.Box) -> list[af.Box]:
    return af.FlowGraph(output).order


COMPOSITES: dict[str, Callable[[list[af.Box]], af.Box]] = {
    "linear": lambda p: af.linear(p[0], p[1], p[2]),
    "softmax": lambda p: af.softmax(p[3]),
    "log_softmax": lambda p: af.log_softmax(p[3], axis=0),
    "softmax_cross_entropy": lambda p: af.softmax_cross_entropy(p[3], np.array([0, 2, 1, 2])),
    "l1_penalty": lambda p: af.l1_penalty([p[1], p[3]]),
    "l2_penalty": lambda p: af.l2_penalty([p[1], p[3]]),
}


def _composite_parameters() -> list[af.Box]:
    rng = _rng(8)
    return [af.Parameter(rng.standard_normal(shape), name=f"p{i}")
            for i, shape in enumerate([(4, 3), (2, 3), (2,), (4, 3)])]


@pytest.mark.parametrize("kind", COMPOSITES)
def test_composite_is_built_from_primitives_inside_its_scope(kind: str) -> None:
    out = COMPOSITES[kind](_composite_parameters())
    inner = [b for b in _boxes(out) if not isinstance(b, (af.Parameter, af.Constant))]
    assert inner
    assert all(type(b) in ops.PRIMITIVES for b in inner)
    assert all(any(s.kind == kind for s in b.scopes) for b in inner)


@pytest.mark.parametrize("kind", COMPOSITES)
def test_composite_gradients_match_central_differences(kind: str) -> None:
    af.gradcheck(COMPOSITES[kind](_composite_parameters()), {}, rtol=1e-6, atol=1e-9)


def test_scope_blocks_nest_and_are_recorded() -> None:
    x = af.Input("x")
    with af.scope("layer", "hidden1") as outer:
        a = af.tanh(x)
        with af.scope("block"):
            b = af.exp(a)
    c = af.log(b)
    assert a.scopes == (outer,)
    assert [(s.kind, s.name) for s in b.scopes] == [("layer", "hidden1"), ("block", "block")]
    assert c.scopes == ()


# mean squared error (the regression loss): closed form value and gradient

@pytest.mark.parametrize(("reduction", "scale"), [("mean", 1 / 6), ("sum", 1.0)])
def test_mean_squared_error_value_and_gradient_are_the_closed_form(reduction, scale) -> None:
    rng = _rng(3)
    prediction_value, target = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    prediction = af.Parameter(prediction_value, name="f")
    loss = af.mean_squared_error(prediction, target, reduction=reduction)
    graph = af.FlowGraph(loss)
    np.testing.assert_allclose(graph.fprop(), scale * np.sum((prediction_value - target) ** 2))
    np.testing.assert_allclose(graph.bprop()[prediction],
                               2 * scale * (prediction_value - target))
    af.gradcheck(graph)


def test_mean_squared_error_without_reduction_keeps_every_entry() -> None:
    prediction = af.Parameter(np.array([1.0, 2.0, 4.0]))
    losses = af.FlowGraph(af.mean_squared_error(prediction, np.ones(3), reduction="none"))
    np.testing.assert_array_equal(losses.fprop(), [0.0, 1.0, 9.0])


def test_mean_squared_error_names_a_reduction_typo() -> None:
    with pytest.raises(ValueError, match="unknown reduction 'average'.*'mean', 'sum', 'none'"):
        af.mean_squared_error(af.Parameter(np.ones(2)), np.ones(2), reduction="average")


# Issue 15, bug 2: float32 log_softmax / softmax / cross-entropy keep their digits at
# large logits: (a - max) - log sum exp(a - max).

@pytest.mark.parametrize("scale", [1e4, 1e7])
def test_float32_log_softmax_is_exact_at_large_logits(scale) -> None:
    x = af.Input("x")
    logits = np.array([[scale, scale, scale, scale], [scale, scale - 1, scale - 2, scale]],
                      np.float32)
    exact = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    exact -= np.log(np.exp(exact).sum(axis=1, keepdims=True))
    log_probs = af.FlowGraph(af.log_softmax(x)).fprop({x: logits})
    assert log_probs.dtype == np.float32
    np.testing.assert_allclose(log_probs, exact, rtol=1e-6)
    np.testing.assert_allclose(af.FlowGraph(af.softmax(x)).fprop({x: logits}), np.exp(exact),
                               rtol=1e-6)


def test_float32_cross_entropy_is_exact_at_large_logits_interpreted_and_compiled() -> None:
    """Logits all 1e4: loss log 4 = 1.3862944 and gradient 0.25 - 1[y] (the issue)."""
    logits = af.Parameter(np.full((1, 4), 1e4, np.float32), name="a")
    labels = af.Input("y")
    for compile in (False, True):
        graph = af.FlowGraph(af.softmax_cross_entropy(logits, labels), compile=compile)
        for _ in range(3):  # the third step runs the compiled plan
            loss = graph.fprop({labels: np.array([2])})
            grad = graph.bprop()[logits]
        assert graph.ran["fprop"] == ("plan" if compile else "interpreter")
        assert loss == pytest.approx(1.3862944, rel=1e-7)
        np.testing.assert_allclose(grad, [[0.25, 0.25, -0.75, 0.25]], rtol=1e-6)


# softmax_cross_entropy's options, against torch.nn.functional.cross_entropy's
# definitions written out in numpy

def _log_softmax(a: np.ndarray) -> np.ndarray:
    shifted = a - a.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _torch_cross_entropy(logits, labels, reduction="mean", weight=None, ignore_index=None,
                         label_smoothing=0.0, probabilities=False):
    """torch's documented formula, written out: l_n = -sum_c w_c t_nc log p_nc."""
    log_p = _log_softmax(logits)
    classes = logits.shape[1]
    w = np.ones(classes) if weight is None else np.asarray(weight, float)
    if probabilities:
        targets = (1 - label_smoothing) * labels + label_smoothing / classes
        losses = -(targets * w * log_p).sum(axis=1)
        return {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]
    kept = np.ones(len(labels), bool) if ignore_index is None else labels != ignore_index
    safe = np.where(kept, labels, 0)
    nll = -log_p[np.arange(len(labels)), safe] * w[safe] * kept
    smooth = -(log_p * w).sum(axis=1) / classes * kept
    losses = (1 - label_smoothing) * nll + label_smoothing * smooth
    if reduction == "mean":
        return losses.sum() / (w[safe] * kept).sum()
    return {"sum": losses.sum(), "none": losses}[reduction]


CROSS_ENTROPY_OPTIONS = [
    {"reduction": "sum"}, {"reduction": "none"}, {"weight": [0.2, 1.0, 3.0, 0.5]},
    {"ignore_index": 1}, {"label_smoothing": 0.1},
    {"weight": [0.2, 1.0, 3.0, 0.5], "ignore_index": 3, "label_smoothing": 0.2},
    {"weight": [0.2, 1.0, 3.0, 0.5], "reduction": "sum", "ignore_index": 0},
    {"probabilities": True}, {"probabilities": True, "label_smoothing": 0.3},
    {"probabilities": True, "weight": [0.2, 1.0, 3.0, 0.5], "reduction": "none"},
]


@pytest.mark.parametrize("options", CROSS_ENTROPY_OPTIONS, ids=str)
def test_cross_entropy_options_follow_torchs_definitions(options) -> None:
    rng = _rng(7)
    logits_value = rng.standard_normal((6, 4))
    if options.get("probabilities"):
        target_value = rng.dirichlet(np.ones(4), size=6)
    else:
        target_value = np.array([0, 1, 2, 3, 1, 3])
    logits = af.Parameter(logits_value, name="a")
    target = af.Input("y")
    loss = af.softmax_cross_entropy(logits, target, **options)
    graph = af.FlowGraph(loss)
    np.testing.assert_allclose(graph.fprop({target: target_value}),
                               _torch_cross_entropy(logits_value, target_value, **options),
                               rtol=1e-12)
    total = loss if options.get("reduction") != "none" else loss.sum()
    af.gradcheck(total, {target: target_value}, wrt=[logits])


@pytest.mark.parametrize("options", CROSS_ENTROPY_OPTIONS, ids=str)
def test_cross_entropy_options_equal_torch_when_installed(options) -> None:
    torch = pytest.importorskip("torch")
    rng = _rng(8)
    logits_value = rng.standard_normal((6, 4))
    probabilities = options.get("probabilities", False)
    target_value = rng.dirichlet(np.ones(4), size=6) if probabilities else \
        np.array([0, 1, 2, 3, 1, 3])
    torch_options = {k: v for k, v in options.items() if k != "probabilities"}
    if "weight" in torch_options:
        torch_options["weight"] = torch.tensor(torch_options["weight"], dtype=torch.float64)
    logits_t = torch.tensor(logits_value, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(logits_t, torch.tensor(target_value),
                                                 **torch_options)
    expected.sum().backward()
    logits = af.Parameter(logits_value, name="a")
    loss = af.softmax_cross_entropy(logits, af.Constant(target_value), **options)
    graph = af.FlowGraph(loss.sum())
    np.testing.assert_allclose(af.FlowGraph(loss).fprop(), expected.detach().numpy(),
                               rtol=1e-12)
    graph.fprop()
    np.testing.assert_allclose(graph.bprop()[logits], logits_t.grad.numpy(), rtol=1e-10,
                               atol=1e-15)


def test_cross_entropy_option_errors_say_what_is_allowed() -> None:
    logits = af.Parameter(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="unknown reduction 'avg'"):
        af.softmax_cross_entropy(logits, np.array([0, 1]), reduction="avg")
    with pytest.raises(ValueError, match=r"label_smoothing must lie in \[0, 1\]"):
        af.softmax_cross_entropy(logits, np.array([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="ignore_index applies to class labels"):
        af.softmax_cross_entropy(logits, np.eye(3)[:2], probabilities=True, ignore_index=0)


# var and std: numpy's two-pass formula, as composites

@pytest.mark.parametrize("kwargs", [{}, {"axis": 0}, {"axis": -1, "ddof": 1},
                                    {"axis": (0, 2), "keepdims": True}, {"ddof": 2}])
def test_var_and_std_equal_numpy_and_their_gradients_check(kwargs) -> None:
    rng = _rng(9)
    value = rng.standard_normal((3, 4, 2))
    x = af.Parameter(value, name="x")
    for function, reference in [(af.var, np.var), (af.std, np.std)]:
        box = function(x, **kwargs)
        np.testing.assert_allclose(af.FlowGraph(box).fprop(), reference(value, **kwargs),
                                   rtol=1e-14)
        af.gradcheck(box.sum() if np.ndim(reference(value, **kwargs)) else box, {})


# diff: slices and a subtraction, as np.diff

@pytest.mark.parametrize("kwargs", [{}, {"n": 2}, {"axis": 0}, {"n": 3, "axis": 1},
                                    {"axis": -2, "prepend": 0.5},
                                    {"n": 2, "append": np.ones((3, 4, 1))},
                                    {"prepend": -1.0, "append": 2.0, "axis": 0}, {"n": 0}])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_diff_equals_numpy_and_its_gradient_checks(kwargs, dtype) -> None:
    value = _rng(10).standard_normal((3, 4, 5)).astype(dtype)
    x = af.Parameter(value, name="x")
    box = af.diff(x, **kwargs)
    result = af.FlowGraph(box).fprop()
    expected = np.diff(value, **kwargs)
    joined = [v for v in (kwargs.get("prepend"), kwargs.get("append")) if np.ndim(v)]
    assert result.dtype == np.result_type(value, *joined)  # a number joined does not promote
    np.testing.assert_allclose(result, expected, rtol=1e-6 if dtype == np.float32 else 0)
    af.gradcheck(box.sum() * 1.0 + (box * box).sum(), {})


def test_diff_of_a_box_prepended_differentiates_both() -> None:
    a = af.Parameter(np.array([1.0, 4.0, 9.0]), name="a")
    start = af.Parameter(np.array([0.0]), name="start")
    graph = af.FlowGraph((af.diff(a, prepend=start) ** 2).sum())
    assert graph.fprop() == 1.0 + 9.0 + 25.0
    grads = graph.bprop()
    np.testing.assert_array_equal(grads[start], [-2.0])         # d/ds (a0 - s)^2
    np.testing.assert_array_equal(grads[a], [2 - 6, 6 - 10, 10])
    af.gradcheck(graph)


def test_diff_refuses_a_negative_order() -> None:
    with pytest.raises(ValueError, match="order n must be an integer >= 0, got -1"):
        af.diff(af.Parameter(np.zeros(3)), n=-1)


@pytest.mark.parametrize(("method", "function"), [
    (lambda b: b.max(axis=1), lambda a: a.max(axis=1)),
    (lambda b: b.min(), lambda a: a.min()),
    (lambda b: b.prod(axis=0, keepdims=True), lambda a: a.prod(axis=0, keepdims=True)),
    (lambda b: b.cumsum(axis=1), lambda a: a.cumsum(axis=1)),
    (lambda b: b.cumprod(), lambda a: a.cumprod()),
    (lambda b: b.var(ddof=1), lambda a: a.var(ddof=1)),
    (lambda b: b.std(axis=0), lambda a: a.std(axis=0)),
    (lambda b: +b, lambda a: +a),
])
def test_box_methods_are_ndarrays(method, function) -> None:
    value = _rng(11).standard_normal((3, 4))
    box = af.Parameter(value, name="a")
    np.testing.assert_allclose(af.FlowGraph(method(box)).fprop(), function(value), rtol=1e-14)
    af.gradcheck(af.sum(method(box)), {})


@pytest.mark.parametrize("options", CROSS_ENTROPY_OPTIONS, ids=str)
@pytest.mark.parametrize("compile", [False, True])
def test_cross_entropy_keeps_float32_with_every_option(options, compile) -> None:
    """Issue 20: with ignore_index the mean divided by a sum of booleans (int64), which
    made the float32 loss and gradient float64. Every option, interpreted and compiled,
    and the gradient as boxes."""
    rng = _rng(10)
    logits = af.Parameter(rng.standard_normal((6, 4)).astype(np.float32), name="a")
    if options.get("probabilities"):
        target = rng.dirichlet(np.ones(4), size=6).astype(np.float32)
    else:
        target = np.array([0, 1, 2, 3, 1, 3])
    options = {k: np.array(v, np.float32) if k == "weight" else v for k, v in options.items()}
    loss = af.sum(af.softmax_cross_entropy(logits, af.Constant(target), **options))
    graph = af.FlowGraph(loss, compile=compile)
    for _ in range(3):
        assert np.result_type(graph.fprop()) == np.float32
        assert graph.bprop()[logits].dtype == np.float32
    assert np.result_type(af.FlowGraph(af.grad(loss, logits)).fprop()) == np.float32


@pytest.mark.parametrize("function", [af.softmax, af.log_softmax])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_softmax_of_integers_promotes_to_floats(function, dtype) -> None:
    """Issue 20: the max with initial=-inf overflowed on integers. int64 and int32 give
    float64 as np.exp does (8-bit integers and booleans too, where np.exp would give
    float16)."""
    x = af.Input("x")
    values = np.array([[0, 1, 2], [3, 1, 1]]).astype(dtype)
    result = af.FlowGraph(function(x)).fprop({x: values})
    expected = af.FlowGraph(function(x)).fprop({x: values.astype(np.float64)})
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize(("value", "kwargs"), [
    (np.array(2.0), {}), (np.array(2.0), {"axis": 0}), (np.ones((3, 1)), {"axis": 1}),
    (np.full((2, 3), 1.5), {"axis": 1}), (np.array([[1.0, 2.0], [3.0, 3.0]]), {"axis": 1})])
def test_std_has_gradient_zero_where_the_variance_is_zero(value, kwargs) -> None:
    """Issue 20: std over a single entry (or equal ones) had NaN gradients (0 * inf);
    HIPS autograd and torch give 0, and elsewhere the gradient is unchanged."""
    x = af.Parameter(value, name="x")
    out = af.sum(af.std(x, **kwargs))
    graph = af.FlowGraph(out)
    graph.fprop()
    grad = graph.bprop()[x]
    boxed = af.FlowGraph(af.grad(out, x)).fprop()
    np.testing.assert_array_equal(boxed, grad)
    assert np.isfinite(grad).all()
    kept = np.std(value, axis=kwargs.get("axis") if value.ndim else None, keepdims=True)
    np.testing.assert_array_equal(grad[np.broadcast_to(kept == 0, value.shape)], 0.0)
    torch = pytest.importorskip("torch")
    t = torch.tensor(value, requires_grad=True)
    dims = {"dim": kwargs["axis"]} if kwargs.get("axis") is not None and value.ndim else {}
    torch.std(t, correction=0, **dims).sum().backward()
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-12)
