"""The activations of af.nn (gelu, silu, mish, elu, selu, celu, softsign, hardsigmoid,
prelu, threshold, tanhshrink, softplus with beta and threshold):
the op table's seven checks against their docstrings' formulas written in numpy, the
docstrings' derivatives, torch (when installed) in float64 and float32, and the
extremes where a careless formula overflows."""
from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.nn.activations import SELU_ALPHA, SELU_SCALE

from ..ops.table import Case, parametrize

HAS_ERF = importlib.util.find_spec("scipy") is not None  # af.erf computes with SciPy
needs_erf = pytest.mark.skipif(not HAS_ERF, reason="gelu's exact form needs af.erf (SciPy)")


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _erf(a):
    return np.vectorize(math.erf, otypes=[float])(a)


# the docstrings' formulas, in numpy
FORMULAS = {
    "gelu": lambda a: 0.5 * a * (1 + _erf(a / np.sqrt(2))),
    "gelu_tanh": lambda a: 0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a**3))),
    "silu": lambda a: a * _sigmoid(a),
    "mish": lambda a: a * np.tanh(np.log1p(np.exp(a))),
    "elu": lambda a, alpha=1.0: np.where(a > 0, a, alpha * (np.exp(a) - 1)),
    "selu": lambda a: SELU_SCALE * np.where(a > 0, a, SELU_ALPHA * (np.exp(a) - 1)),
    "celu": lambda a, alpha=1.0: np.where(a > 0, a, alpha * (np.exp(a / alpha) - 1)),
    "softsign": lambda a: a / (1 + np.abs(a)),
    "hardsigmoid": lambda a: np.minimum(np.maximum(a + 3, 0), 6) / 6,
    "tanhshrink": lambda a: a - np.tanh(a),
    "threshold": lambda a, threshold, value: np.where(a > threshold, a, value),
    "softplus": lambda a, beta=1.0, threshold=20.0: np.where(
        beta * a > threshold, a, np.log1p(np.exp(beta * a)) / beta),
}


def _prelu(a, w):  # one slope, or one per channel (axis 1)
    w = np.reshape(w, ()) if np.size(w) == 1 else np.reshape(w, (-1,) + (1,) * (a.ndim - 2))
    return np.where(a > 0, a, w * a)


def _gelu_tanh(a, name=None):
    return af.gelu(a, approximate="tanh", name=name)


_gelu_tanh.__name__ = "gelu_tanh"


def _rows(box, formula, domain="real", **kwargs):
    return [Case(box, (shape,), formula, domain=domain, kwargs=kwargs)
            for shape in [(5,), (2, 3), (), (0, 2)]]


TABLE: list[Case] = [
    *_rows(_gelu_tanh, FORMULAS["gelu_tanh"]),
    *(_rows(af.gelu, FORMULAS["gelu"]) if HAS_ERF else []),
    *_rows(af.silu, FORMULAS["silu"]),
    *_rows(af.mish, FORMULAS["mish"]),
    *_rows(af.elu, FORMULAS["elu"], "kinkfree"),
    *_rows(af.elu, FORMULAS["elu"], "kinkfree", alpha=0.3)[:2],
    *_rows(af.selu, FORMULAS["selu"], "kinkfree"),
    *_rows(af.celu, FORMULAS["celu"], "kinkfree"),
    *_rows(af.celu, FORMULAS["celu"], "kinkfree", alpha=2.5)[:2],
    *_rows(af.softsign, FORMULAS["softsign"], "kinkfree"),
    *_rows(af.hardsigmoid, FORMULAS["hardsigmoid"]),
    *_rows(af.nn.tanhshrink, FORMULAS["tanhshrink"]),
    # the threshold's jump away from the drawn entries (kinkfree: |a| >= 0.01)
    *_rows(af.nn.threshold, FORMULAS["threshold"], "kinkfree", threshold=0.0, value=-0.5),
    *_rows(af.nn.softplus, FORMULAS["softplus"]),
    *_rows(af.nn.softplus, FORMULAS["softplus"], "kinkfree", beta=3.0, threshold=0.0),
    *[Case(af.nn.prelu, shapes, _prelu, domain="kinkfree")
      for shapes in [((5,), ()), ((), (1,)), ((2, 3), (3,)), ((2, 3, 4), (3,)),
                     ((2, 3, 4), (1,)), ((0, 2), (2,))]],
]


@parametrize(TABLE)
def test_activation(case: Case, check) -> None:
    check(case)


def _gradient(function, a, **kwargs):
    x = af.Parameter(a, name="a")
    graph = af.FlowGraph(af.sum(function(x, **kwargs)), wrt=[x])
    graph.fprop()
    return graph.bprop()[x]


A = np.array([-30.0, -4.0, -1.5, -0.3, 0.0, 0.2, 1.0, 2.9, 3.5, 40.0])

# the docstrings' derivatives
DERIVATIVES = [
    (af.silu, {}, lambda a: _sigmoid(a) * (1 + a * (1 - _sigmoid(a)))),
    (af.elu, {"alpha": 0.7}, lambda a: np.where(a > 0, 1, 0.7 * np.exp(a))),
    (af.selu, {}, lambda a: SELU_SCALE * np.where(a > 0, 1, SELU_ALPHA * np.exp(a))),
    (af.celu, {"alpha": 2.0}, lambda a: np.where(a > 0, 1, np.exp(a / 2.0))),
    (af.softsign, {}, lambda a: 1 / (1 + np.abs(a)) ** 2),
    (af.hardsigmoid, {}, lambda a: np.where((a > -3) & (a < 3), 1 / 6, 0)),
    (af.nn.tanhshrink, {}, lambda a: np.tanh(a) ** 2),
    (af.nn.threshold, {"threshold": 0.2, "value": 7.0}, lambda a: np.where(a > 0.2, 1, 0)),
    (af.nn.softplus, {"beta": 2.0, "threshold": 3.0},
     lambda a: np.where(2 * a > 3, 1, _sigmoid(2 * a))),
    (af.nn.prelu, {"weight": 0.25}, lambda a: np.where(a > 0, 1, 0.25)),
]


@pytest.mark.parametrize("function, kwargs, derivative", DERIVATIVES,
                         ids=[f.__name__ for f, _, _ in DERIVATIVES])
def test_gradient_is_the_docstrings_derivative(function, kwargs, derivative):
    # atol: expm1's gradient is computed as expm1(a) + 1, exact to 1e-16 absolute only
    np.testing.assert_allclose(_gradient(function, A, **kwargs), derivative(A), rtol=1e-14,
                               atol=1e-16)


@pytest.mark.parametrize("function", [af.elu, af.selu, af.celu, af.mish, af.silu,
                                      _gelu_tanh, af.softsign, af.nn.tanhshrink,
                                      lambda x: af.nn.softplus(x, beta=0.5, threshold=30)])
def test_extreme_inputs_give_finite_values_and_gradients(function):
    a = np.array([-800.0, -50.0, 50.0, 800.0])
    x = af.Parameter(a, name="a")
    graph = af.FlowGraph(af.sum(function(x)), wrt=[x])
    assert np.isfinite(graph.fprop())
    assert np.all(np.isfinite(graph.bprop()[x]))


def test_elu_at_zero_takes_the_left_gradient_as_torch():
    for function, expected in [(lambda x: af.elu(x, alpha=0.5), 0.5), (af.celu, 1.0),
                               (af.selu, SELU_SCALE * SELU_ALPHA)]:
        np.testing.assert_allclose(_gradient(function, np.zeros(1)), [expected], rtol=1e-15)


# our function and options, torch.nn.functional's name and options, and the float64
# tolerance of torch's gradient: its celu and hardsigmoid gradients use a constant
# rounded to float32 (1 / alpha, 1 / 6), ours are exact (see the derivatives above)
TORCH = [
    (af.gelu, {"approximate": "tanh"}, "gelu", {"approximate": "tanh"}, 1e-13),
    (af.gelu, {}, "gelu", {}, 1e-13),
    (af.silu, {}, "silu", {}, 1e-13),
    (af.mish, {}, "mish", {}, 1e-13),
    (af.elu, {}, "elu", {}, 1e-13),
    (af.elu, {"alpha": 0.4}, "elu", {"alpha": 0.4}, 1e-13),
    (af.selu, {}, "selu", {}, 1e-13),
    (af.celu, {"alpha": 1.7}, "celu", {"alpha": 1.7}, 1e-7),
    (af.softsign, {}, "softsign", {}, 1e-13),
    (af.hardsigmoid, {}, "hardsigmoid", {}, 1e-7),
    (af.nn.tanhshrink, {}, "tanhshrink", {}, 1e-13),
    (af.nn.threshold, {"threshold": 0.5, "value": -2.0}, "threshold",
     {"threshold": 0.5, "value": -2.0}, 1e-13),
    (af.nn.softplus, {}, "softplus", {}, 1e-13),
    (af.nn.softplus, {"beta": 3.0, "threshold": 2.0}, "softplus",
     {"beta": 3.0, "threshold": 2.0}, 1e-13),
    (af.nn.softplus, {"beta": 0.5}, "softplus", {"beta": 0.5}, 1e-13),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("ours, options, theirs, torch_options, grad_rtol", TORCH,
                         ids=[f"{t}-{'-'.join(map(str, o.values())) or 'default'}"
                              for _, _, t, o, _ in TORCH])
def test_matches_torch(ours, options, theirs, torch_options, grad_rtol, dtype):
    torch = pytest.importorskip("torch")
    if ours is af.gelu and not options and not HAS_ERF:
        pytest.skip("gelu's exact form needs af.erf (SciPy)")
    rng = np.random.default_rng(7)
    a = np.concatenate([rng.standard_normal(40) * 3, [0.0, -3.0, 3.0, 25.0, -25.0]])
    a = a.astype(dtype)
    seed = rng.standard_normal(a.shape).astype(dtype)
    x = af.Parameter(a, name="a")
    graph = af.FlowGraph(ours(x, **options), wrt=[x])
    value = graph.fprop()
    grad = graph.bprop(seed)[x]
    tx = torch.tensor(a, requires_grad=True)
    expected = getattr(torch.nn.functional, theirs)(tx, **torch_options)
    expected.backward(torch.tensor(seed))
    assert value.dtype == dtype and grad.dtype == dtype
    # atol: 1 + tanh(.) cancels for gelu at a << 0; expm1's gradient (y + 1) for elu
    rtol, atol = (1e-13, 1e-13) if dtype == np.float64 else (2e-6, 1e-6)
    np.testing.assert_allclose(value, expected.detach().numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(grad, tx.grad.numpy(), rtol=max(rtol, grad_rtol), atol=atol)


def test_gelu_tanh_is_close_to_the_exact_form():
    a = np.linspace(-6, 6, 241)
    x = af.Parameter(a)
    assert np.max(np.abs(af.FlowGraph(_gelu_tanh(x)).fprop() - FORMULAS["gelu"](a))) < 5e-4


@needs_erf
def test_gelu_exact_is_the_default_and_gradchecks():
    a = np.random.default_rng(2).standard_normal(9) * 2
    x = af.Parameter(a)
    np.testing.assert_allclose(af.FlowGraph(af.gelu(x)).fprop(), FORMULAS["gelu"](a),
                               rtol=1e-14)
    af.gradcheck(af.FlowGraph(af.gelu(x), wrt=[x]), {})


def test_composites_name_and_scope_their_boxes():
    x = af.Input("x")
    out = af.silu(x, name="act")
    assert out.name == "act"
    inner = [b for b in af.FlowGraph(out).order if b is not x]
    assert all(b.scopes and b.scopes[0].kind == "silu" for b in inner)
    assert af.elu(x).name == "elu" and af.hardsigmoid(x).name == "hardsigmoid"


@pytest.mark.parametrize("call, message", [
    (lambda x: af.gelu(x, approximate="sigmoid"), "approximate must be 'none' .* or 'tanh'"),
    (lambda x: af.celu(x, alpha=0), "alpha must not be 0"),
    (lambda x: af.nn.softplus(x, beta=0), "beta must not be 0"),
    (lambda x: af.nn.prelu(x, np.ones((2, 2))), r"prelu: weight has shape \(2, 2\)"),
    (lambda x: af.nn.prelu(af.Input("x", shape=(4, 3)), np.ones(2)), "one per channel"),
    (lambda x: af.nn.prelu(af.Input("x", shape=(4,)), np.ones(4)), "one per channel"),
])
def test_bad_options_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call(af.Input("x"))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("a_shape, w_shape", [((6, 4, 3), (4,)), ((6, 4), (1,)), ((7,), ()),
                                              ((3, 5), (5,))])
def test_prelu_matches_torch(a_shape, w_shape, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    a = rng.standard_normal(a_shape).astype(dtype)
    w = rng.uniform(-0.5, 0.5, w_shape).astype(dtype)
    x, slope = af.Parameter(a, name="a"), af.Parameter(w, name="w")
    graph = af.FlowGraph(af.nn.prelu(x, slope), wrt=[x, slope])
    value = graph.fprop()
    seed = rng.standard_normal(value.shape).astype(dtype)
    grads = graph.bprop(seed)
    tx, tw = torch.tensor(a, requires_grad=True), torch.tensor(w, requires_grad=True)
    expected = torch.nn.functional.prelu(tx, tw)
    expected.backward(torch.tensor(seed))
    rtol = 1e-13 if dtype == np.float64 else 1e-5
    assert value.dtype == dtype and grads[slope].dtype == dtype
    np.testing.assert_allclose(value, expected.detach().numpy(), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(grads[x], tx.grad.numpy(), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(grads[slope], tw.grad.numpy(), rtol=rtol, atol=rtol)


def test_prelu_at_zero_takes_the_slope_as_torch():
    a = af.Parameter(np.zeros((2, 3)), name="a")
    w = af.Parameter(np.array([0.1, 0.2, 0.3]), name="w")
    graph = af.FlowGraph(af.sum(af.nn.prelu(a, w)), wrt=[a, w])
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop()[a], [[0.1, 0.2, 0.3]] * 2)


def test_nn_softplus_is_the_primitive_at_beta_1_below_the_threshold():
    a = np.linspace(-30, 19, 50)
    np.testing.assert_array_equal(af.FlowGraph(af.nn.softplus(a)).fprop(),
                                  af.FlowGraph(af.softplus(a)).fprop())
