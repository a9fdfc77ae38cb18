"""Every primitive box: its fprop against numpy and its bprop against central differences.

One table (box, input shapes, input domain, numpy reference) runs through one checker,
:func:`autograd_flow.gradcheck` in float64, over several shapes including broadcasting;
a second test proves every Box subclass of the package appears in the table.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops
from autograd_flow.box import Leaf


def _reference_logsumexp(a: np.ndarray, axis: Any = -1, keepdims: bool = False) -> np.ndarray:
    return np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))


def _numpy_axis(kwargs: dict) -> dict:
    """numpy wants a tuple where the boxes also accept a list of axes."""
    axis = kwargs.get("axis")
    return {**kwargs, "axis": tuple(axis)} if isinstance(axis, list) else kwargs


def _reference_pick(a: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return a[np.arange(len(a)), labels]


@dataclass(frozen=True)
class Case:
    """One row of the primitive table: ``box(*inputs, **kwargs)`` on inputs of ``shapes``
    drawn from ``domain`` ("real", "positive", "nonzero"), compared with ``reference``."""

    box: type
    shapes: tuple[tuple[int, ...], ...]
    reference: Callable[..., Any]
    domain: str = "real"
    kwargs: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        shapes = "x".join(str(s).replace(" ", "") for s in self.shapes)
        extra = ",".join(f"{k}={v}" for k, v in self.kwargs.items())
        return f"{self.box.__name__}-{shapes}" + (f"-{extra}" if extra else "")


BINARY_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((4, 2, 3), (2, 1)),
                 ((), (2, 3)), ((2, 3), ())]
UNARY_SHAPES = [(), (3,), (2, 3), (2, 3, 4)]

TABLE: list[Case] = [
    *[Case(ops.Add, s, np.add) for s in BINARY_SHAPES],
    *[Case(ops.Sub, s, np.subtract) for s in BINARY_SHAPES],
    *[Case(ops.Mul, s, np.multiply) for s in BINARY_SHAPES],
    *[Case(ops.Div, s, np.divide, "nonzero") for s in BINARY_SHAPES],
    *[Case(ops.Maximum, s, np.maximum) for s in BINARY_SHAPES],
    *[Case(ops.Pow, ((2, 3),), lambda a, p=p: a ** p, "positive", {"exponent": p})
      for p in (2, 3, 0.5, -1, -1.5, 1)],
    Case(ops.Pow, ((4,),), lambda a: a ** 3, "real", {"exponent": 3}),
    *[Case(ops.Abs, (s,), np.abs) for s in UNARY_SHAPES],
    *[Case(ops.Exp, (s,), np.exp) for s in UNARY_SHAPES],
    *[Case(ops.Identity, (s,), lambda a: a) for s in UNARY_SHAPES],
    *[Case(ops.Log, (s,), np.log, "positive") for s in UNARY_SHAPES],
    *[Case(ops.Neg, (s,), np.negative) for s in UNARY_SHAPES],
    *[Case(ops.Relu, (s,), lambda a: np.maximum(a, 0)) for s in UNARY_SHAPES],
    *[Case(ops.Sigmoid, (s,), lambda a: 1 / (1 + np.exp(-a))) for s in UNARY_SHAPES],
    *[Case(ops.Square, (s,), np.square) for s in UNARY_SHAPES],
    *[Case(ops.Tanh, (s,), np.tanh) for s in UNARY_SHAPES],
    *[Case(ops.MatMul, s, np.matmul) for s in [
        ((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
        ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)),
        ((1, 2, 3), (5, 3, 4)), ((3,), (5, 3, 4)), ((5, 2, 3), (3,)),
        ((1, 3), (3, 4)), ((1, 3), (5, 3, 4))]],  # one row: the outer-product branch
    *[Case(ops.Sum, ((2, 3, 4),), lambda a, k=k: np.sum(a, **_numpy_axis(k)), kwargs=k)
      for k in [
        {}, {"axis": 0}, {"axis": -1}, {"axis": (0, 2)}, {"axis": 1, "keepdims": True},
        {"axis": None, "keepdims": True}, {"axis": [-1, 0]}]],
    Case(ops.Sum, ((),), np.sum),
    *[Case(ops.Mean, ((2, 3, 4),), lambda a, k=k: np.mean(a, **k), kwargs=k) for k in [
        {}, {"axis": 0}, {"axis": -2}, {"axis": (0, 2)}, {"axis": 1, "keepdims": True}]],
    *[Case(ops.LogSumExp, (s,), lambda a, k=k: _reference_logsumexp(a, **k), kwargs=k)
      for s, k in [((3,), {}), ((2, 3), {}), ((2, 3), {"axis": 0}),
                   ((2, 3, 4), {"axis": (0, 2)}), ((2, 3), {"axis": None}),
                   ((2, 3), {"axis": -1, "keepdims": True}),
                   ((2, 3), {"axis": None, "keepdims": True})]],
    *[Case(ops.Reshape, ((2, 3, 4),), lambda a, s=s: np.reshape(a, s), kwargs={"shape": s})
      for s in [(6, 4), (-1,), (4, 1, 6), (2, -1, 2)]],
    *[Case(ops.Transpose, (s,), lambda a, x=x: np.transpose(a, x), kwargs={"axes": x})
      for s, x in [((2, 3), None), ((2, 3, 4), None), ((2, 3, 4), (1, 0, 2)),
                   ((2, 3, 4), (2, 0, 1)), ((3,), None)]],
    *[Case(ops.Pick, ((n, c),), _reference_pick) for n, c in [(4, 3), (1, 5), (6, 2)]],
]


def _draw(rng: np.random.Generator, shape: tuple[int, ...], domain: str) -> np.ndarray:
    if domain == "positive":
        return rng.uniform(0.5, 2.0, size=shape)
    if domain == "nonzero":
        return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape)
    return rng.standard_normal(shape)


def _build(case: Case, rng: np.random.Generator) -> tuple[af.Box, list[Any]]:
    """The case's box on Parameters (and integer labels for Pick), and the input arrays."""
    arrays: list[Any] = [_draw(rng, shape, case.domain) for shape in case.shapes]
    inputs: list[Any] = [af.Parameter(a, name=f"in{i}") for i, a in enumerate(arrays)]
    if case.box is ops.Pick:
        labels = rng.integers(0, case.shapes[0][1], size=case.shapes[0][0])
        arrays.append(labels)
        inputs.append(labels)
    return case.box(*inputs, **case.kwargs), arrays


@pytest.mark.parametrize("case", TABLE, ids=lambda c: c.id)
def test_primitive_fprop_matches_numpy(case: Case) -> None:
    rng = np.random.default_rng(1)
    box, arrays = _build(case, rng)
    value = af.FlowGraph(box).fprop()
    expected = case.reference(*arrays)
    assert np.shape(value) == np.shape(expected)
    np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", TABLE, ids=lambda c: c.id)
def test_primitive_bprop_matches_central_differences(case: Case) -> None:
    rng = np.random.default_rng(2)
    box, arrays = _build(case, rng)
    report = af.gradcheck(box, {}, rtol=1e-6, atol=1e-8)
    float_inputs = [a for a in arrays if np.asarray(a).dtype.kind == "f"]
    assert report.ok
    assert len(report.entries) == sum(np.size(a) for a in float_inputs)


def _package_box_classes() -> set[type]:
    """Every Box subclass defined in the autograd_flow package (its importable modules
    loaded first), without the leaves and private bases."""
    for module in pkgutil.walk_packages(af.__path__, prefix="autograd_flow."):
        if not module.name.startswith(("autograd_flow.commands", "autograd_flow.cli")):
            importlib.import_module(module.name)
    found: set[type] = set()
    stack = [af.Box]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if (sub.__module__.startswith("autograd_flow.")
                    and not sub.__name__.startswith("_")
                    and not issubclass(sub, Leaf)):
                found.add(sub)
    return found


def test_every_box_class_of_the_package_is_in_the_table() -> None:
    in_table = {case.box for case in TABLE}
    classes = _package_box_classes()
    assert classes - in_table == set(), "primitive boxes missing from the table"
    assert set(ops.PRIMITIVES) == in_table
    assert len(classes) >= 22


def test_every_primitive_is_checked_with_broadcasting_or_several_shapes() -> None:
    variants: dict[type, set[str]] = {}
    for case in TABLE:
        variants.setdefault(case.box, set()).add(case.id)
    assert min(len(v) for v in variants.values()) >= 3
    assert {case.box for case in TABLE if len(set(case.shapes)) > 1} >= {
        ops.Add, ops.Sub, ops.Mul, ops.Div, ops.Maximum, ops.MatMul}


# The lecture's closed forms for the activations.

def _activation_grad(function: Callable[[af.Box], af.Box], a: np.ndarray) -> tuple:
    p = af.Parameter(a, name="a")
    out = function(p)
    graph = af.FlowGraph(out)
    value = graph.fprop()
    return value, graph.bprop(seed=np.ones_like(a))[p]


def test_sigmoid_derivative_is_g_times_one_minus_g() -> None:
    a = np.linspace(-6, 6, 25)
    g, grad = _activation_grad(af.sigmoid, a)
    np.testing.assert_allclose(g, 1 / (1 + np.exp(-a)), rtol=1e-14)
    np.testing.assert_allclose(grad, g * (1 - g), rtol=1e-14)


def test_tanh_derivative_is_one_minus_g_squared() -> None:
    a = np.linspace(-4, 4, 25)
    g, grad = _activation_grad(af.tanh, a)
    np.testing.assert_allclose(grad, 1 - g ** 2, rtol=1e-14)


def test_sigmoid_does_not_overflow_for_large_inputs() -> None:
    with np.errstate(over="raise", invalid="raise"):
        g, grad = _activation_grad(af.sigmoid, np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(g, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(grad, [0.0, 0.25, 0.0])


def test_subgradients_at_kinks() -> None:
    """relu and abs use 0 at a = 0; maximum gives half the gradient to each side at a tie."""
    zero = np.array([0.0, 1.0, -1.0])
    assert _activation_grad(af.relu, zero)[1].tolist() == [0.0, 1.0, 0.0]
    assert _activation_grad(af.abs, zero)[1].tolist() == [0.0, 1.0, -1.0]
    a, b = af.Parameter(np.array([1.0, 2.0, 3.0])), af.Parameter(np.array([1.0, 0.0, 5.0]))
    graph = af.FlowGraph(af.maximum(a, b).sum())
    graph.fprop()
    grads = graph.bprop()
    assert grads[a].tolist() == [0.5, 1.0, 0.0]
    assert grads[b].tolist() == [0.5, 0.0, 1.0]


def test_pick_gives_labels_no_gradient() -> None:
    a = af.Parameter(np.arange(6.0).reshape(2, 3), name="scores")
    labels = af.Input("labels")
    graph = af.FlowGraph(af.pick(a, labels).sum())
    graph.fprop({labels: np.array([2, 0])})
    assert graph.bprop()[a].tolist() == [[0, 0, 1], [1, 0, 0]]
    assert labels.grad is None


def test_reduction_gradients_are_writable_arrays() -> None:
    """Sum/Mean bprop broadcast a view; the gradients handed to users can be updated in place."""
    w = af.Parameter(np.ones((2, 3)), name="w")
    graph = af.FlowGraph(w.mean())
    graph.fprop()
    grad = graph.bprop()[w]
    grad *= 2  # would raise "assignment destination is read-only" on a broadcast view
    np.testing.assert_allclose(w.grad, np.full((2, 3), 1 / 3))


def test_transpose_with_negative_axes() -> None:
    rng = np.random.default_rng(3)
    x = af.Parameter(rng.standard_normal((2, 3, 4)), name="x")
    af.gradcheck(af.transpose(x, axes=(-1, 0, 1)), {})


def test_transpose_with_negative_axes_on_a_cube() -> None:
    rng = np.random.default_rng(3)
    x = af.Parameter(rng.standard_normal((3, 3, 3)), name="x")
    af.gradcheck(af.transpose(x, axes=(-1, 0, 1)), {})


def test_pow_zero_exponent_has_zero_gradient_at_zero() -> None:
    with np.errstate(divide="ignore", invalid="ignore"):
        _, grad = _activation_grad(lambda a: a ** 0, np.array([0.0, 2.0]))
    np.testing.assert_array_equal(grad, [0.0, 0.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_keeps_its_relative_accuracy_for_large_negative_inputs(dtype):
    a = np.array([-80.0, -40.0, -20.0, -5.0, 0.0, 5.0, 40.0], dtype)
    x = af.Input("x")
    value = af.FlowGraph(af.sigmoid(x)).fprop({x: a})
    exact = 1 / (1 + np.exp(-a.astype(np.float64)))
    assert value.dtype == dtype
    np.testing.assert_allclose(value, exact, rtol=1e-6 if dtype == np.float32 else 1e-14)


def test_a_numpy_scalar_exponent_does_not_promote_float32():
    x = af.Input("x")
    value = af.FlowGraph(x ** np.float64(2.0)).fprop({x: np.full(2, 3, np.float32)})
    assert value.dtype == np.float32 and value.tolist() == [9.0, 9.0]
