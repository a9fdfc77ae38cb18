"""layer_norm, rms_norm, group_norm and their layers: the op table's seven checks
against their docstrings' formulas written in numpy, torch (when installed) in float64
and float32, PyTorch's default eps, the layers, and misuse."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import nn
from autograd_flow.nn.example_norm import machine_epsilon

from ..ops.table import Case, parametrize
from .torch_check import matches_torch

RNG = np.random.default_rng(21)


def numpy_layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    axes = tuple(range(-len(normalized_shape), 0))
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    return y * (1 if weight is None else weight) + (0 if bias is None else bias)


def numpy_rms_norm(x, normalized_shape, weight=None, eps=None):
    axes = tuple(range(-len(normalized_shape), 0))
    eps = np.finfo(x.dtype).eps if eps is None else eps
    y = x / np.sqrt(np.mean(x**2, axis=axes, keepdims=True) + eps)
    return y * (1 if weight is None else weight)


def numpy_group_norm(x, groups, weight=None, bias=None, eps=1e-5):
    N, C = x.shape[:2]
    grouped = x.reshape(N, groups, -1)
    mean, var = grouped.mean(axis=-1, keepdims=True), grouped.var(axis=-1, keepdims=True)
    y = ((grouped - mean) / np.sqrt(var + eps)).reshape(x.shape)
    per_channel = (C,) + (1,) * (x.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(per_channel)
    return y if bias is None else y + bias.reshape(per_channel)


# table rows: x, weight and bias are all Parameters (gradients for each)
def layer_norm_affine(x, weight, bias, normalized_shape):
    return nn.layer_norm(x, normalized_shape, weight, bias)


def rms_norm_affine(x, weight, normalized_shape):
    return nn.rms_norm(x, normalized_shape, weight)


def group_norm_affine(x, weight, bias, groups):
    return nn.group_norm(x, groups, weight, bias)


def _layer_norm_reference(x, weight, bias, normalized_shape):
    return numpy_layer_norm(x, normalized_shape, weight, bias)


def _rms_norm_reference(x, weight, normalized_shape):
    return numpy_rms_norm(x, normalized_shape, weight)


def _group_norm_reference(x, weight, bias, groups):
    return numpy_group_norm(x, groups, weight, bias)


TABLE: list[Case] = [
    *[Case(layer_norm_affine, (x, s, s), _layer_norm_reference,
           kwargs={"normalized_shape": s})
      for x, s in [((4, 3), (3,)), ((2, 3, 4), (3, 4)), ((5,), (5,))]],
    Case(nn.layer_norm, ((3, 5),), numpy_layer_norm, kwargs={"normalized_shape": (5,)}),
    *[Case(rms_norm_affine, (x, s), _rms_norm_reference, kwargs={"normalized_shape": s})
      for x, s in [((4, 3), (3,)), ((2, 3, 4), (3, 4))]],
    Case(nn.rms_norm, ((3, 5),), numpy_rms_norm, kwargs={"normalized_shape": (5,)}),
    *[Case(group_norm_affine, (x, (x[1],), (x[1],)), _group_norm_reference,
           kwargs={"groups": g})
      for x, g in [((2, 4, 3, 2), 2), ((3, 6), 3), ((2, 4, 5), 4), ((2, 3, 2, 2), 1)]],
]


@parametrize(TABLE)
def test_normalization(case: Case, check) -> None:
    check(case)


def _torch_case(kind, x_shape, dtype):
    """Our output box, its Parameters, and the same through torch.nn.functional."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    X = (RNG.standard_normal(x_shape) * 2 + 1).astype(dtype)
    if kind == "layer_norm":
        shape = x_shape[1:]
        arrays = [X, RNG.uniform(0.5, 2, shape).astype(dtype),
                  RNG.standard_normal(shape).astype(dtype)]
        ours = lambda x, w, b: nn.layer_norm(x, shape, w, b)  # noqa: E731
        theirs = lambda x, w, b: F.layer_norm(x, shape, w, b)  # noqa: E731
    elif kind == "rms_norm":
        shape = x_shape[-1:]
        arrays = [X, RNG.uniform(0.5, 2, shape).astype(dtype)]
        ours = lambda x, w: nn.rms_norm(x, shape, w)  # noqa: E731
        theirs = lambda x, w: F.rms_norm(x, shape, w)  # noqa: E731
    else:
        C = x_shape[1]
        arrays = [X, RNG.uniform(0.5, 2, C).astype(dtype), RNG.standard_normal(C).astype(dtype)]
        ours = lambda x, w, b: nn.group_norm(x, 2, w, b)  # noqa: E731
        theirs = lambda x, w, b: F.group_norm(x, 2, w, b)  # noqa: E731
    return arrays, ours, theirs


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("kind, x_shape", [
    ("layer_norm", (4, 6)), ("layer_norm", (2, 3, 4, 5)), ("rms_norm", (5, 7)),
    ("rms_norm", (2, 3, 4)), ("group_norm", (3, 4, 5, 6)), ("group_norm", (2, 6, 7)),
    ("group_norm", (5, 8))])
def test_matches_torch(kind, x_shape, dtype, rtol):
    arrays, ours, theirs = _torch_case(kind, x_shape, dtype)
    matches_torch(ours, theirs, arrays, dtype, rtol, RNG)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_rms_norms_default_eps_is_the_machine_epsilon_of_the_inputs_dtype(dtype):
    x = af.Input("x")
    value = af.FlowGraph(machine_epsilon(x)).fprop({x: np.ones((2, 3), dtype)})
    assert value.dtype == dtype and np.all(value == np.finfo(dtype).eps)
    tiny = np.full((1, 4), 1e-4, np.float32)  # mean(x^2) = 1e-8: eps shows
    graph = af.FlowGraph(nn.rms_norm(x, 4))
    np.testing.assert_allclose(graph.fprop({x: tiny}),
                               tiny / np.sqrt(1e-8 + np.finfo(np.float32).eps), rtol=1e-6)


@pytest.mark.parametrize("layer, x_shape, parameters", [
    (lambda **o: nn.LayerNorm((3, 4), **o), (2, 3, 4), {"weight": (3, 4), "bias": (3, 4)}),
    (lambda **o: nn.LayerNorm(4, bias=False, **o), (2, 4), {"weight": (4,)}),
    (lambda **o: nn.RMSNorm(4, **o), (5, 4), {"weight": (4,)}),
    (lambda **o: nn.GroupNorm(2, 4, **o), (3, 4, 2, 2), {"weight": (4,), "bias": (4,)}),
])
def test_layers_hold_their_parameters_and_match_the_functions(layer, x_shape, parameters):
    made = layer(name="n")
    assert {p.name: p.value.shape for p in made.parameters} == {
        f"n.{k}": v for k, v in parameters.items()}
    assert all(np.all(p.value == (1 if p.name == "n.weight" else 0)) for p in made.parameters)
    for p in made.parameters:
        p.value[...] = RNG.standard_normal(p.value.shape)
    X = RNG.standard_normal(x_shape)
    x = af.Input("x")
    out = made(x)
    assert out.name == "n" and "n" in repr(made)
    graph = af.FlowGraph(af.sum(out * RNG.standard_normal(x_shape)), wrt=[x] + made.parameters)
    af.gradcheck(graph, {x: X})
    values = {p.name.split(".")[1]: p.value for p in made.parameters}
    if isinstance(made, nn.LayerNorm):
        expected = numpy_layer_norm(X, made.normalized_shape, **values)
    elif isinstance(made, nn.RMSNorm):
        expected = numpy_rms_norm(X, made.normalized_shape, **values)
    else:
        expected = numpy_group_norm(X, 2, **values)
    np.testing.assert_allclose(af.FlowGraph(out).fprop({x: X}), expected, rtol=1e-12,
                               atol=1e-12)


def test_layers_without_affine_parameters():
    assert nn.LayerNorm(3, elementwise_affine=False).parameters == []
    assert nn.RMSNorm(3, elementwise_affine=False).parameters == []
    assert nn.GroupNorm(1, 3, affine=False).parameters == []
    X = RNG.standard_normal((2, 3, 4, 2))
    x = af.Input("x")
    np.testing.assert_allclose(af.FlowGraph(nn.GroupNorm(3, 3, affine=False)(x)).fprop({x: X}),
                               numpy_group_norm(X, 3), atol=1e-12)


def test_statistics_are_per_example_and_scoped():
    layer = nn.LayerNorm(4, name="ln")
    x = af.Input("x")
    out = layer(x)
    X = RNG.standard_normal((3, 4))
    first = af.FlowGraph(out).fprop({x: X})[0]
    np.testing.assert_array_equal(af.FlowGraph(out).fprop({x: X[:1]})[0], first)
    assert all(b.scopes[0].kind == "layer_norm" and b.scopes[0].name == "ln"
               for b in af.FlowGraph(out).order if b.scopes)


@pytest.mark.parametrize("call, message", [
    (lambda x: nn.layer_norm(x, 0), "normalized_shape must be an integer >= 1"),
    (lambda x: nn.layer_norm(x, (3, "a")), "normalized_shape must be"),
    (lambda x: nn.layer_norm(x, 3, weight=np.ones(4)), r"weight must have shape \(3,\), got "
                                                       r"\(4,\)"),
    (lambda x: nn.layer_norm(af.Input("x", shape=(None, 5)), 3),
     r"x \('x'\) has shape \(None, 5\); its last axes must be normalized_shape \(3,\)"),
    (lambda x: nn.rms_norm(x, (2, 3), weight=np.ones(3)), r"weight must have shape \(2, 3\)"),
    (lambda x: nn.group_norm(x, 2), "the number of channels of x is unknown .* num_channels"),
    (lambda x: nn.group_norm(x, 3, num_channels=4), "4 channels do not split into 3 groups"),
    (lambda x: nn.group_norm(x, 2, np.ones(4), num_channels=6), r"disagree: \[4, 6\]"),
    (lambda x: nn.group_norm(x, 0, np.ones(4)), "num_groups must be an integer >= 1"),
    (lambda x: nn.GroupNorm(3, 4), "num_channels 4 must be a multiple of num_groups 3"),
    (lambda x: nn.LayerNorm(3, eps=0), "eps must be a positive number"),
    (lambda x: nn.RMSNorm(3, dtype=int), "float dtype"),
])
def test_misuse_is_explained(call, message):
    with pytest.raises(ValueError, match=message):
        call(af.Input("x"))


def test_inputs_that_do_not_fit_are_refused_when_the_graph_runs():
    x = af.Input("x")
    graph = af.FlowGraph(nn.layer_norm(x, 4, name="ln"))  # no weight to catch it: PyTorch's
    with pytest.raises(af.BoxError, match=r"sum of x over the last axes \(4,\).*\(2, 5\)"):
        graph.fprop({x: np.ones((2, 5))})
    with pytest.raises(af.BoxError, match=r"sum of x over the last axes \(4,\).*\(4, 1\)"):
        graph.fprop({x: np.ones((4, 1))})  # would broadcast: still refused
    graph = af.FlowGraph(nn.GroupNorm(2, 4, name="gn")(x))
    with pytest.raises(af.BoxError, match=r"gn: mean of x over the positions, x \(N, C, H, "
                                          r"W\)"):
        graph.fprop({x: np.ones((2, 4, 5))})  # undeclared x is taken as images
    declared = af.Input("x", shape=(None, 4, None))
    np.testing.assert_allclose(
        af.FlowGraph(nn.GroupNorm(2, 4)(declared)).fprop({declared: RNG.random((2, 4, 5))}).shape,
        (2, 4, 5))
