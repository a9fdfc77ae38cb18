"""Finite-difference gradient checking (lecture: df/dx ~ (f(x + e) - f(x - e)) / 2e).

``gradcheck`` re-runs the graph in float64, compares every bprop gradient with central
differences, and on failure checks each box's own bprop on its own inputs, so the
report points at the first box whose bprop is wrong, with the line that created it.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.box import Box, Constant, Input, Parameter
from ..core.broadcast import unbroadcast
from ..core.graph import FlowGraph
from ..errors import GradientCheckError, describe

CBRT_EPS = float(np.cbrt(np.finfo(np.float64).eps))


@dataclass
class Entry:
    """One compared gradient entry."""

    box: Box
    index: tuple[int, ...]
    analytic: float
    numeric: float
    left: float
    right: float
    passed: bool

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_error(self) -> float:
        return self.abs_error / max(abs(self.analytic), abs(self.numeric), 1e-300)


@dataclass
class BoxFault:
    """A box whose own bprop disagrees with finite differences of its own fprop."""

    box: Box
    input_position: int
    worst: Entry


@dataclass
class GradcheckReport:
    """What :func:`gradcheck` compared; ``str(report)`` is a readable table."""

    entries: list[Entry]
    faults: list[BoxFault] = field(default_factory=list)
    rtol: float = 0.0
    atol: float = 0.0

    @property
    def ok(self) -> bool:
        return all(e.passed for e in self.entries)

    @property
    def failures(self) -> list[Entry]:
        return [e for e in self.entries if not e.passed]

    def worst(self, count: int = 10) -> list[Entry]:
        """The entries with the largest relative error, failures first."""
        return sorted(self.entries, key=lambda e: (e.passed, -e.rel_error))[:count]

    def __str__(self) -> str:
        failed = len(self.failures)
        lines = [f"gradcheck: {failed} of {len(self.entries)} gradient entries disagree with "
                 f"central differences (rtol={self.rtol:g}, atol={self.atol:g})."]
        if self.faults:
            first = self.faults[0]
            lines.append(f"First box whose own bprop is wrong: {describe(first.box)}, for "
                         f"its input #{first.input_position} "
                         f"('{first.box.inputs[first.input_position].name}').")
            for fault in self.faults[1:]:
                lines.append(f"Also wrong: {describe(fault.box)}, input "
                             f"#{fault.input_position}.")
        elif failed:
            lines.append("Every box's own bprop passed on its own: look at how the graph "
                         "is wired or at values that changed between runs.")
        lines.append(f"{'box':<20} {'index':<12} {'analytic':>14} {'numeric':>14} "
                     f"{'rel error':>10}  ok")
        for e in self.worst():
            lines.append(f"{e.box.name[:20]:<20} {str(e.index)[:12]:<12} {e.analytic:>14.6g} "
                         f"{e.numeric:>14.6g} {e.rel_error:>10.2e}  {'yes' if e.passed else 'NO'}")
        return "\n".join(lines)


def _compare(analytic: float, left: float, right: float, rtol: float, atol: float) -> bool:
    """Central difference within tolerance, or (at a kink) the analytic value between
    the one-sided differences."""
    central = 0.5 * (left + right)
    tolerance = atol + rtol * max(abs(central), abs(analytic))
    if abs(analytic - central) <= tolerance:
        return True
    return min(left, right) - tolerance <= analytic <= max(left, right) + tolerance


def _differences(evaluate: Any, center: float, array: np.ndarray, index: tuple[int, ...],
                 eps: float | None, shrink: float = 1.0) -> tuple[float, float]:
    """One-sided differences (left, right) of ``evaluate()`` (``center`` unperturbed) in
    ``array[index]``, perturbed in place (whatever the array's memory layout)."""
    original = array[index]
    step = (eps if eps is not None else CBRT_EPS * max(1.0, abs(float(original)))) / shrink
    array[index] = original + step
    plus = evaluate()
    array[index] = original - step
    minus = evaluate()
    array[index] = original
    return (center - minus) / step, (plus - center) / step


def _entries(source: Box, evaluate: Any, array: np.ndarray, analytic: np.ndarray,
             flat_indices: Iterable[int], eps: float | None, rtol: float,
             atol: float) -> list[Entry]:
    """Compare ``analytic`` with finite differences of ``evaluate`` entry by entry.

    A failing entry is tried again with a step 16 times smaller: where a second
    derivative jumps (|x| * x at 0) the central difference is off by O(step), and that
    error shrinks with the step, while a wrong gradient's error does not."""
    entries = []
    center = evaluate()
    for flat_index in flat_indices:
        index = tuple(int(i) for i in np.unravel_index(flat_index, array.shape))
        grad = float(analytic[index])
        left, right = _differences(evaluate, center, array, index, eps)
        passed = _compare(grad, left, right, rtol, atol)
        if not passed:
            fine_left, fine_right = _differences(evaluate, center, array, index, eps, 16)
            shrank = (abs(grad - 0.5 * (fine_left + fine_right))
                      < 0.25 * abs(grad - 0.5 * (left + right)))
            if shrank and _compare(grad, fine_left, fine_right, rtol, atol):
                passed, left, right = True, fine_left, fine_right
        entries.append(Entry(source, index, grad, 0.5 * (left + right), left, right, passed))
    return entries


def _indices(size: int, limit: int | None, rng: np.random.Generator) -> np.ndarray:
    if limit is None or size <= limit:
        return np.arange(size)
    return np.sort(rng.choice(size, limit, replace=False))


@contextlib.contextmanager
def in_float64(order: Sequence[Box]) -> Iterator[None]:
    """Parameters and constant arrays as float64 copies for the check, restored after."""
    saved: list[tuple[Box, Any]] = []
    for box in order:
        if isinstance(box, Input) and box.dtype is not None and box.dtype.kind == "f":
            saved.append((box, box.dtype))  # the check feeds float64 copies
            box.dtype = None
            continue
        if isinstance(box, (Parameter, Constant)) and isinstance(box.value, np.ndarray) \
                and box.value.dtype.kind == "f":
            saved.append((box, box.value))
            box.value = box.value.astype(np.float64)
    try:
        yield
    finally:
        for box, value in saved:
            if isinstance(box, Input):
                box.dtype = value
            else:
                box.value = value


def gradcheck(target: FlowGraph | Box, feed: Mapping[Any, Any] | None = None, *,
              wrt: Sequence[Box] | None = None, eps: float | None = None,
              rtol: float = 1e-4, atol: float = 1e-6, max_entries: int | None = None,
              seed: int = 0, raise_on_failure: bool = True) -> GradcheckReport:
    """Compare bprop gradients of the first output with central differences in float64.

    ``wrt`` defaults to every Parameter and every floating-point Input. A non-scalar
    output is reduced with a fixed random projection. The step per entry is
    cbrt(machine eps) * max(1, |x|) unless ``eps`` is given; at a kink (relu, abs,
    maximum) an analytic value between the left and right differences passes.
    ``max_entries`` caps the checked entries per box (sampled with ``seed``).
    Raises :class:`GradientCheckError` (with ``.report``) on failure, unless
    ``raise_on_failure=False``; returns the :class:`GradcheckReport`.
    """
    output = target.outputs[0] if isinstance(target, FlowGraph) else target
    rng = np.random.default_rng(seed)
    probe = FlowGraph(output)
    feed64 = float64_feed(feed)
    if wrt is None:
        wrt = default_wrt(probe, feed64)
    jit = isinstance(target, FlowGraph) and target.jit
    with in_float64(probe.order):
        graph = FlowGraph(output, wrt=wrt, jit=jit)
        value = graph.fprop(feed64)
        projection = None if np.size(value) == 1 else rng.standard_normal(np.shape(value))

        def loss() -> float:
            result = graph.fprop(feed64)
            return float(np.sum(result if projection is None else result * projection))

        loss()
        analytic = {box: np.array(grad, dtype=np.float64)
                    for box, grad in graph.bprop(projection).items()}
        entries = []
        for box in graph.wrt:
            array = fed_array(graph, feed64, box) if isinstance(box, Input) else box.value
            if array.dtype.kind != "f":
                continue
            entries += _entries(box, loss, array, analytic[box],
                                _indices(array.size, max_entries, rng), eps, rtol, atol)
        report = GradcheckReport(entries, rtol=rtol, atol=atol)
        if not report.ok:  # find the culprit among the primitive boxes
            report.faults = _faulty_boxes(graph, eps, rtol, atol, max_entries, rng)
        loss()  # leave every box with the values of the unperturbed feed
    if raise_on_failure and not report.ok:
        raise GradientCheckError(report)
    return report


def float64_feed(feed: Mapping[Any, Any] | None) -> dict[Any, np.ndarray]:
    """Copies of the fed arrays, floating-point ones as float64 (checks perturb them)."""
    copies = {}
    for key, value in (feed or {}).items():
        value = np.array(value)
        copies[key] = value.astype(np.float64) if value.dtype.kind == "f" else value
    return copies


def fed_array(graph: FlowGraph, feed: Mapping[Any, Any], box: Input) -> np.ndarray:
    """The array fed to ``box`` (so perturbing it perturbs the next fprop)."""
    for key, value in feed.items():
        if graph.input_for(key) is box:
            return value
    raise KeyError(box.name)


def default_wrt(graph: FlowGraph, feed: Mapping[Any, Any]) -> list[Box]:
    """What gradcheck differentiates by default: the Parameters and the Inputs fed
    with floating-point arrays."""
    floats = {id(graph.input_for(k)) for k, v in feed.items() if np.asarray(v).dtype.kind == "f"}
    return graph.parameters + [i for i in graph.inputs if id(i) in floats]


def _faulty_boxes(graph: FlowGraph, eps: float | None, rtol: float, atol: float,
                  max_entries: int | None, rng: np.random.Generator) -> list[BoxFault]:
    """Check every box's bprop against differences of its own fprop, with its inputs
    fixed at their current values, in the order bprop runs the boxes."""
    faults = []
    for box in graph.bprop_order:
        values = [np.array(i.value) if isinstance(i.value, (np.ndarray, np.generic)) else i.value
                  for i in box.inputs]
        projection = rng.standard_normal(np.shape(box.value))
        result = box.bprop(projection, *values)
        grads = (result,) if len(box.inputs) == 1 and not isinstance(result, tuple) else result
        for position, (source, grad) in enumerate(zip(box.inputs, grads)):
            array = values[position]
            if grad is None or not isinstance(array, np.ndarray) or array.dtype.kind != "f":
                continue
            grad = unbroadcast(np.asarray(grad, dtype=np.float64), array.shape)

            def local(box: Box = box, values: list = values,
                      projection: np.ndarray = projection) -> float:
                return float(np.sum(box.fprop(*values) * projection))

            failed = [e for e in _entries(source, local, array, grad,
                                          _indices(array.size, max_entries, rng),
                                          eps, rtol, atol) if not e.passed]
            if failed:
                faults.append(BoxFault(box, position, max(failed, key=lambda e: e.rel_error)))
                break
    return faults
