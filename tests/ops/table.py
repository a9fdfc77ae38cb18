"""The one checker every primitive box goes through.

A row of a table (:class:`Case`) says how to build a box (its class or its ``af``
function), on inputs of which shapes and domains (or non-differentiable arrays such as
labels and indices, :class:`Aux`), and which numpy function computes the same value.
Each row is then checked seven ways (:data:`CHECKS`):

- ``fprop``: the value equals numpy's (shape and entries, rtol 1e-12);
- ``bprop``: the bprop on arrays equals central differences in float64 (gradcheck);
- ``box_form``: the same bprop run on boxes (through ``af.grad``) evaluates to the
  numbers it gives on arrays (bit for bit unless the row says otherwise);
- ``second_order``: the gradient graph's own gradients (so second derivatives) equal
  central differences of the gradient (gradcheck of <grad, r> for a random r);
- ``float32``: float32 inputs give float32 values and gradients, both ways;
- ``plan``: the compiled plan (the traced formula, and any rewrite or second form it
  runs) gives the interpreter's value and gradients bit for bit;
- ``noncontiguous``: inputs that are strided views give the same value and gradients
  as contiguous ones (to rtol 1e-12: a sum may add in another order), and the plan
  for them the interpreter's, bit for bit.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.core.box import Leaf
from autograd_flow.testing.domains import DOMAINS

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Aux:
    """A non-differentiable input (labels, indices, a mask): ``make(rng)`` gives it."""

    make: Callable[[np.random.Generator], Any]
    label: str = "aux"


@dataclass(frozen=True)
class Case:
    """One row: ``box(*inputs, **kwargs)`` against ``reference(*arrays, **kwargs)``.

    ``inputs``: one entry per positional input, a shape (a differentiable Parameter with
    values from ``domain``) or an :class:`Aux`. ``domain``: one for all float inputs or
    one per input. ``reference_kwargs``: the numpy call's keywords when they differ from
    the box's (default: ``kwargs``, with list axes as tuples). ``exact``: the box form
    gives the numeric bprop's numbers bit for bit (else to rtol 1e-12).
    ``second_order``: the row's second derivatives are checked. ``differentiable``:
    False for a box whose gradient is not the derivative of its value by design
    (stop_gradient) or that cannot be differentiated (a numeric bprop as a box): only
    its values are checked. ``float32``: check that float32 stays float32.
    """

    box: Callable[..., af.Box]
    inputs: tuple[Shape | Aux, ...]
    reference: Callable[..., Any]
    domain: str | tuple[str, ...] = "real"
    kwargs: dict = field(default_factory=dict)
    reference_kwargs: dict | None = None
    exact: bool = True
    second_order: bool = True
    differentiable: bool = True
    float32: bool = True
    rtol: float = 1e-12

    @property
    def id(self) -> str:
        name = getattr(self.box, "__name__", "box")
        shapes = "x".join(i.label if isinstance(i, Aux) else str(i).replace(" ", "")
                          for i in self.inputs)
        extra = ",".join(f"{k}={v}" for k, v in self.kwargs.items())
        return f"{name}-{shapes}" + (f"-{extra}" if extra else "")

    def domain_of(self, position: int) -> str:
        return self.domain if isinstance(self.domain, str) else self.domain[position]

    def arrays(self, rng: np.random.Generator, dtype: Any = np.float64) -> list[Any]:
        """The input arrays: float ones in ``dtype``, Aux ones as made."""
        arrays = []
        for k, spec in enumerate(self.inputs):
            if isinstance(spec, Aux):
                arrays.append(spec.make(rng))
            else:
                arrays.append(DOMAINS[self.domain_of(k)].sample(rng, spec).astype(dtype))
        return arrays

    def build(self, arrays: Sequence[Any]) -> tuple[af.Box, list[af.Parameter]]:
        """The row's box on Parameters (float inputs) and Constants (Aux inputs)."""
        inputs: list[Any] = []
        params = []
        for k, (spec, array) in enumerate(zip(self.inputs, arrays)):
            if isinstance(spec, Aux):
                inputs.append(af.Constant(array, name=spec.label))
            else:
                p = af.Parameter(array, name=f"in{k}")
                params.append(p)
                inputs.append(p)
        return self.box(*inputs, **self.kwargs), params

    def numpy(self, arrays: Sequence[Any]) -> Any:
        kwargs = self.kwargs if self.reference_kwargs is None else self.reference_kwargs
        kwargs = {k: tuple(v) if k == "axis" and isinstance(v, list) else v
                  for k, v in kwargs.items()}
        return self.reference(*arrays, **kwargs)


def _rng(case: Case, salt: int) -> np.random.Generator:
    return np.random.default_rng([salt, sum(map(ord, case.id))])


def check_fprop(case: Case) -> None:
    arrays = case.arrays(_rng(case, 1))
    box, _ = case.build(arrays)
    value = af.FlowGraph(box).fprop()
    expected = case.numpy(arrays)
    assert np.shape(value) == np.shape(expected), (np.shape(value), np.shape(expected))
    np.testing.assert_allclose(value, expected, rtol=case.rtol, atol=case.rtol)


def check_bprop(case: Case) -> None:
    arrays = case.arrays(_rng(case, 2))
    box, params = case.build(arrays)
    if not params or not case.differentiable:
        pytest.skip("no gradient: nothing for bprop to check")
    report = af.gradcheck(box, {}, wrt=params, rtol=1e-6, atol=1e-8, raise_on_failure=False)
    assert report.ok, str(report)
    assert len(report.entries) == sum(np.size(p.value) for p in params)


def _seed(box: af.Box, rng: np.random.Generator) -> np.ndarray:
    value = af.FlowGraph(box).fprop()
    return rng.standard_normal(np.shape(value)).astype(np.result_type(value))


def check_box_form(case: Case) -> None:
    rng = _rng(case, 3)
    arrays = case.arrays(rng)
    box, params = case.build(arrays)
    if not params or not case.differentiable:
        pytest.skip("no gradient: no box form to check")
    seed = _seed(box, rng)
    graph = af.FlowGraph(box, wrt=params)
    graph.fprop()
    numeric = graph.bprop(seed)
    boxes = af.grad(box, params, seed=seed)
    values = af.FlowGraph(boxes).fprop()
    values = values if isinstance(values, tuple) else (values,)
    for p, value in zip(params, values):
        assert np.shape(value) == np.shape(p.value)
        if case.exact:
            np.testing.assert_array_equal(value, numeric[p], err_msg=p.name)
        else:
            np.testing.assert_allclose(value, numeric[p], rtol=1e-12, atol=1e-13,
                                       err_msg=p.name)


def check_second_order(case: Case) -> None:
    rng = _rng(case, 4)
    arrays = case.arrays(rng)
    box, params = case.build(arrays)
    if not params or not case.second_order or not case.differentiable:
        pytest.skip("no second derivative to check for this row")
    seed = _seed(box, rng)
    grads = af.grad(box, params, seed=seed)
    directions = [rng.standard_normal(np.shape(p.value)) for p in params]
    total = af.sum(grads[0] * directions[0])
    for g, r in zip(grads[1:], directions[1:]):
        total = total + af.sum(g * r)
    report = af.gradcheck(total, {}, wrt=params, rtol=1e-5, atol=1e-7, raise_on_failure=False)
    assert report.ok, str(report)


def check_float32(case: Case) -> None:
    if not case.float32:
        pytest.skip("the row takes no float32 input")
    rng = _rng(case, 5)
    arrays = case.arrays(rng, np.float32)
    box, params = case.build(arrays)
    graph = af.FlowGraph(box, wrt=params)
    value = graph.fprop()
    if np.result_type(value).kind == "f":
        assert np.result_type(value) == np.float32, np.result_type(value)
    if not params or not case.differentiable:
        return
    seed = np.ones(np.shape(value), np.result_type(value))
    numeric = graph.bprop(seed)
    values = af.FlowGraph(af.grad(box, params, seed=seed)).fprop()
    values = values if isinstance(values, tuple) else (values,)
    for p, boxed in zip(params, values):
        assert numeric[p].dtype == np.float32, (p.name, numeric[p].dtype)
        assert np.result_type(boxed) == np.float32, (p.name, np.result_type(boxed))


def _same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


def _steps(box: af.Box, params: list[af.Parameter], seed: Any, **options: Any) -> Any:
    """Three fprop + bprop steps (the third runs a compiled plan): what the last gave."""
    graph = af.FlowGraph(box, wrt=params, **options)
    for _ in range(3):
        value = np.array(graph.fprop())
        grads = [np.array(g) for g in graph.bprop(seed).values()] if params else []
    return value, grads, graph.ran


def _plan_matches(case: Case, arrays: list[Any]) -> None:
    box, params = case.build(arrays)
    if not case.differentiable:
        params = []
    value = af.FlowGraph(box, compile=False).fprop()
    seed = _rng(case, 7).standard_normal(np.shape(value)).astype(np.result_type(value))
    seed = seed if np.ndim(value) else np.result_type(value).type(seed)
    compiled = _steps(box, params, seed)
    reference = _steps(box, params, seed, compile=False)
    assert compiled[2]["fprop"] == "plan", compiled[2]
    assert _same(compiled[0], reference[0]), (compiled[0], reference[0])
    for got, expected in zip(compiled[1], reference[1]):
        assert _same(got, expected), (got, expected)


def check_plan(case: Case) -> None:
    _plan_matches(case, case.arrays(_rng(case, 6)))


def _strided(array: Any) -> Any:
    """The same values as a view that is not contiguous (every other entry of a larger
    array along the last axis); 0-d arrays and Aux inputs stay as they are."""
    if not isinstance(array, np.ndarray) or array.ndim == 0 or array.dtype.kind != "f":
        return array
    wide = np.zeros(array.shape[:-1] + (2 * array.shape[-1],), array.dtype)
    view = wide[..., ::2]
    view[...] = array
    return view


def check_noncontiguous(case: Case) -> None:
    arrays = case.arrays(_rng(case, 8))
    strided = [_strided(a) for a in arrays]
    if all(s is a for s, a in zip(strided, arrays)) or not any(
            isinstance(s, np.ndarray) and s.size and not s.flags.c_contiguous
            for s in strided):
        pytest.skip("no array input with entries to lay out otherwise")
    box, params = case.build(arrays)
    strided_box, strided_params = case.build(strided)
    assert all(not p.value.flags.c_contiguous for p in strided_params if p.value.size > 1
               and p.value.ndim)
    graph, strided_graph = af.FlowGraph(box), af.FlowGraph(strided_box)
    value, strided_value = graph.fprop(), strided_graph.fprop()
    np.testing.assert_allclose(strided_value, value, rtol=1e-12, atol=1e-12)
    if params and case.differentiable:
        seed = _rng(case, 9).standard_normal(np.shape(value)).astype(np.result_type(value))
        seed = seed if np.ndim(value) else np.result_type(value).type(seed)
        grads, strided_grads = graph.bprop(seed), strided_graph.bprop(seed)
        for p, q in zip(params, strided_params):
            np.testing.assert_allclose(strided_grads[q], grads[p], rtol=1e-12, atol=1e-12)
    _plan_matches(case, strided)


CHECKS: dict[str, Callable[[Case], None]] = {
    "fprop": check_fprop,
    "bprop": check_bprop,
    "box_form": check_box_form,
    "second_order": check_second_order,
    "float32": check_float32,
    "plan": check_plan,
    "noncontiguous": check_noncontiguous,
}


def parametrize(table: Sequence[Case]) -> Any:
    """``@parametrize(TABLE)`` on ``def test_x(case, check)``: every row times every check."""
    params = [pytest.param(case, check, id=f"{case.id}-{name}")
              for case in table for name, check in CHECKS.items()]
    return pytest.mark.parametrize(("case", "check"), params)


def box_classes(table: Sequence[Case]) -> set[type]:
    """The box classes a table builds (a row may name an ``af`` function)."""
    found = set()
    for case in table:
        arrays = case.arrays(np.random.default_rng(0))
        box, _ = case.build(arrays)
        for node in af.FlowGraph(box).order:
            if not isinstance(node, Leaf):
                found.add(type(node))
    return found
