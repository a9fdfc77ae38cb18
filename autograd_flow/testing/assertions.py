"""Assertions about a box or a graph: gradients against finite differences, and the
properties every correct bprop has. Each failure names what broke and carries
``.code``: Python source that rebuilds the case and repeats the failing check.

Every assertion takes ``target`` (a FlowGraph or its output box) and ``feed`` (as for
``FlowGraph.fprop``) and differentiates the first output with respect to ``wrt``
(default: every Parameter and every floating-point Input that is fed).
"""
from __future__ import annotations

import inspect
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..autodiff.gradcheck import GradcheckReport, default_wrt, fed_array, float64_feed, gradcheck
from ..core.box import Box, Input, Leaf
from ..core.graph import FlowGraph
from ..errors import GradientMismatch, PropertyError
from .codegen import to_python

Feed = Mapping[Any, Any]


def _output(target: FlowGraph | Box) -> Box:
    return target.outputs[0] if isinstance(target, FlowGraph) else target


def _graph(target: FlowGraph | Box, feed: Feed, wrt: Sequence[Box] | None) -> FlowGraph:
    probe = FlowGraph(_output(target))
    return FlowGraph(probe.outputs[0], wrt=default_wrt(probe, feed) if wrt is None else wrt)


def _copy_feed(feed: Feed) -> dict[Any, np.ndarray]:
    return {k: np.array(v) for k, v in feed.items()}


def _own_feed(target: FlowGraph | Box, feed: Feed | None) -> dict[Any, np.ndarray]:
    """Copies of the feed entries for the Inputs ``target`` depends on (so a sub-box
    of a graph can be checked with the whole graph's feed)."""
    graph = FlowGraph(_output(target))
    return {k: np.array(v) for k, v in (feed or {}).items() if graph.input_for(k) is not None}


def _fail(message: str, target: FlowGraph | Box, feed: Feed, check: str,
          **kwargs: Any) -> PropertyError:
    return PropertyError(message, to_python(target, feed, check=check, **kwargs))


def assert_gradients_match(target: FlowGraph | Box, feed: Feed | None = None, *,
                           wrt: Sequence[Box] | None = None, rtol: float = 1e-4,
                           atol: float = 1e-6, eps: float | None = None,
                           max_entries: int | None = None) -> GradcheckReport:
    """bprop gradients equal central differences (f(x + e) - f(x - e)) / 2e in float64,
    entry by entry: |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|),
    or, at a kink, analytic between the one-sided differences (see :func:`af.gradcheck`,
    which does the work). On failure raises :class:`GradientMismatch`: the worst entries
    by box and index, the first box whose own bprop is wrong, and code to reproduce.
    """
    feed = _own_feed(target, feed)
    report = gradcheck(target, feed, wrt=wrt, eps=eps, rtol=rtol, atol=atol,
                       max_entries=max_entries, raise_on_failure=False)
    if not report.ok:
        code = to_python(target, feed, rtol=rtol, atol=atol)
        raise GradientMismatch(report, code)
    return report


def _seeds(value: Any, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    shape = np.shape(value)
    return rng.standard_normal(shape), rng.standard_normal(shape)


def _grads(graph: FlowGraph, seed: np.ndarray | None) -> list[np.ndarray]:
    return [np.array(g, dtype=np.float64) for g in graph.bprop(seed).values()]


def assert_bprop_linear(target: FlowGraph | Box, feed: Feed | None = None, *,
                        wrt: Sequence[Box] | None = None, rtol: float = 1e-7,
                        atol: float = 1e-9, seed: int = 0) -> None:
    """bprop is linear in the upstream gradient: for seeds s, t and numbers alpha, beta,
    grad(alpha s + beta t) = alpha grad(s) + beta grad(t) (the chain rule multiplies the
    seed by a Jacobian). Tolerances grow to 100 machine epsilons for float32 graphs."""
    feed = _own_feed(target, feed)
    graph = _graph(target, feed, wrt)
    value = graph.fprop(feed)
    dtype = np.result_type(value)
    rtol = max(rtol, 100 * float(np.finfo(dtype).eps)) if dtype.kind == "f" else rtol
    s, t = (x.astype(dtype) for x in _seeds(value, np.random.default_rng(seed)))
    alpha, beta = 1.5, -0.75
    combined = _grads(graph, (alpha * s + beta * t).astype(dtype))
    for box, both, one, other in zip(graph.wrt, combined, _grads(graph, s), _grads(graph, t)):
        error = np.abs(both - (alpha * one + beta * other))
        if np.any(error > atol + rtol * (np.abs(alpha * one) + np.abs(beta * other))):
            raise _fail(f"bprop is not linear in the upstream gradient: for {box.name!r} "
                        f"grad(1.5 s - 0.75 t) differs from 1.5 grad(s) - 0.75 grad(t) by up "
                        f"to {np.max(error):.3g}.", target, feed, "assert_bprop_linear")


def assert_gradient_shapes(target: FlowGraph | Box, feed: Feed | None = None, *,
                           wrt: Sequence[Box] | None = None) -> None:
    """Every gradient has the shape of its box's value (after the scheduler summed
    broadcast gradients back), for the boxes of ``wrt`` and every box on the way."""
    feed = _own_feed(target, feed)
    graph = _graph(target, feed, wrt)
    graph.fprop(feed)
    graph.bprop(np.ones_like(graph.outputs[0].value))
    for box in graph.order:
        if box.grad is not None and np.shape(box.grad) != np.shape(box.value):
            raise _fail(f"the gradient of {box.name!r} has shape {np.shape(box.grad)} but its "
                        f"value has shape {np.shape(box.value)}.", target, feed,
                        "assert_gradient_shapes")


def assert_inputs_not_mutated(target: FlowGraph | Box, feed: Feed | None = None, *,
                              wrt: Sequence[Box] | None = None) -> None:
    """fprop and bprop leave the fed arrays, the parameters and every box's value as
    they were (a box must not write into the arrays it reads)."""
    feed = _own_feed(target, feed)
    original = _copy_feed(feed)
    graph = _graph(target, feed, wrt)
    leaves = {id(b): np.array(b.value) for b in graph.order  # parameters and constants
              if isinstance(b, Leaf) and not isinstance(b, Input)
              and isinstance(b.value, np.ndarray)}
    graph.fprop(feed)
    values = {id(b): np.array(b.value) for b in graph.order}
    graph.bprop(np.ones_like(graph.outputs[0].value))
    for when, expected in (("bprop", values), ("fprop", leaves)):
        for box in graph.order:
            if id(box) in expected and not _same(box.value, expected[id(box)]):
                raise _fail(f"{when} changed the value of {box.name!r}: a box must not write "
                            "into the arrays it reads.", target, original,
                            "assert_inputs_not_mutated")
    for key, value in feed.items():
        if not _same(value, original[key]):
            name = key if isinstance(key, str) else key.name
            raise _fail(f"fprop or bprop changed the array fed to {name!r}: a box must not "
                        "write into the arrays it reads.", target, original,
                        "assert_inputs_not_mutated")


def _same(a: Any, b: Any) -> bool:
    return np.shape(a) == np.shape(b) and np.array_equal(a, b, equal_nan=True)


def assert_fprop_deterministic(target: FlowGraph | Box, feed: Feed | None = None) -> None:
    """Two fprops with the same feed give bit-identical values in every box."""
    feed = _own_feed(target, feed)
    graph = FlowGraph(_output(target))
    graph.fprop(feed)
    first = {id(b): np.array(b.value) for b in graph.order}
    graph.fprop(feed)
    for box in graph.order:
        if not _same(box.value, first[id(box)]):
            raise _fail(f"fprop of {box.name!r} gave different values on two runs with the "
                        "same feed.", target, feed, "assert_fprop_deterministic")


def assert_bprop_repeatable(target: FlowGraph | Box, feed: Feed | None = None, *,
                            wrt: Sequence[Box] | None = None) -> None:
    """Running bprop twice (and fprop + bprop twice) gives the same gradients: no
    hidden accumulation across runs."""
    feed = _own_feed(target, feed)
    graph = _graph(target, feed, wrt)
    graph.fprop(feed)
    seed = np.ones_like(graph.outputs[0].value)
    first = _grads(graph, seed)
    runs = [("a second bprop", _grads(graph, seed))]
    graph.fprop(feed)
    runs.append(("fprop then bprop again", _grads(graph, seed)))
    for what, grads in runs:
        for box, a, b in zip(graph.wrt, first, grads):
            if not _same(a, b):
                raise _fail(f"{what} changed the gradient of {box.name!r} (by up to "
                            f"{np.max(np.abs(a - b)):.3g}): something accumulates across "
                            "runs.", target, feed, "assert_bprop_repeatable")


def _unsymmetrized_hessian(target: FlowGraph | Box, feed: Feed | None = None, *,
                           wrt: Sequence[Box] | None = None, eps: float = 1e-5) -> np.ndarray:
    """The Hessian of the scalar first output with respect to ``wrt`` (flattened and
    concatenated), in float64, column by column from central differences of bprop
    gradients: H[:, j] = (grad(theta + eps e_j) - grad(theta - eps e_j)) / 2 eps.
    Unlike :func:`af.hessian` it is not symmetrized, so an asymmetry shows."""
    feed = float64_feed(_own_feed(target, feed))
    graph = _graph(target, feed, wrt)
    arrays = [_array_of(graph, feed, box) for box in graph.wrt]
    sizes = [a.size for a in arrays]
    columns = []
    saved = [(b, b.value) for b in graph.wrt if not isinstance(b, Input)]
    try:
        for box, array in zip(graph.wrt, arrays):
            if not isinstance(box, Input):
                box.value = array
            flat = array.reshape(-1)
            for j in range(flat.size):
                original = flat[j]
                pair = []
                for step in (eps, -eps):
                    flat[j] = original + step
                    graph.fprop(feed)
                    pair.append(np.concatenate([g.reshape(-1) for g in _grads(graph, None)]))
                flat[j] = original
                columns.append((pair[0] - pair[1]) / (2 * eps))
    finally:
        for box, value in saved:
            box.value = value
    return np.stack(columns, axis=1) if columns else np.zeros((sum(sizes), 0))


def _array_of(graph: FlowGraph, feed: Feed, box: Box) -> np.ndarray:
    if isinstance(box, Input):
        return fed_array(graph, feed, box)
    return np.array(box.value, dtype=np.float64)


def assert_hessian_symmetric(target: FlowGraph | Box, feed: Feed | None = None, *,
                             wrt: Sequence[Box] | None = None,
                             matrix: np.ndarray | None = None, rtol: float = 1e-4,
                             atol: float = 1e-6) -> None:
    """The Hessian d^2 f / d theta_i d theta_j is symmetric. Checks ``matrix`` when given
    (e.g. one a Newton step used), else the Hessian from central differences of bprop
    gradients *before* symmetrizing (``af.hessian`` returns (H + H^T) / 2, which hides
    an asymmetry). An asymmetric Hessian means bprop is not the gradient of any
    function. Needs a function smooth near the feed (no relu/abs/maximum kinks)."""
    H = _unsymmetrized_hessian(target, feed, wrt=wrt) if matrix is None else np.asarray(matrix)
    gap = np.abs(H - H.T)
    if not np.all(gap <= atol + rtol * np.maximum(np.abs(H), np.abs(H.T))):
        i, j = np.unravel_index(np.argmax(gap), gap.shape)
        raise _fail(f"the Hessian is not symmetric: H[{i}, {j}] = {H[i, j]:.6g} but "
                    f"H[{j}, {i}] = {H[j, i]:.6g}.", target, feed or {},
                    "assert_hessian_symmetric")


def check_graph(target: FlowGraph | Box, feed: Feed | None = None, *,
                wrt: Sequence[Box] | None = None, rtol: float = 1e-4,
                atol: float = 1e-6) -> None:
    """Every graph property at once: fprop is deterministic and mutates nothing;
    gradients have their boxes' shapes, are repeatable, match finite differences and
    are linear in the seed."""
    assert_fprop_deterministic(target, feed)
    assert_inputs_not_mutated(target, feed, wrt=wrt)  # before: a mutation skews the rest
    assert_gradient_shapes(target, feed, wrt=wrt)
    assert_bprop_repeatable(target, feed, wrt=wrt)
    assert_gradients_match(target, feed, wrt=wrt, rtol=rtol, atol=atol)
    assert_bprop_linear(target, feed, wrt=wrt)


def assert_box_properties(box: Box, feed: Feed, *, rtol: float = 1e-4, atol: float = 1e-6,
                          check_dtype: bool = True, strict_shapes: bool = False) -> None:
    """Check one custom box on one feed: gradients match central differences; its raw
    bprop returns one gradient per input with the input's shape (or, unless
    ``strict_shapes``, a shape the input broadcast to, which the scheduler sums back);
    float32 in gives float32 value and gradients out; plus every :func:`check_graph`
    property. ``box``'s inputs are the Inputs that ``feed`` feeds."""
    try:
        check_graph(box, feed, rtol=rtol, atol=atol)
        _check_raw_bprop(box, feed, strict_shapes)
        if check_dtype:
            _check_float32(box, feed)
    except (PropertyError, GradientMismatch):
        raise
    except Exception as error:
        raise _fail(f"{type(error).__name__}: {error}", box, feed, "assert_box_properties",
                    rtol=rtol, atol=atol) from error


def _check_raw_bprop(box: Box, feed: Feed, strict_shapes: bool) -> None:
    """bprop called directly: gradient count and shapes, before any summing back."""
    feed = _copy_feed(feed)
    FlowGraph(box).fprop(feed)
    values = [np.array(i.value) for i in box.inputs]
    seed = np.random.default_rng(1).standard_normal(np.shape(box.value))
    result = box.bprop(seed, *values)
    grads = (result,) if len(box.inputs) == 1 and not isinstance(result, (tuple, list)) \
        else tuple(result)
    if len(grads) != len(box.inputs):
        raise _fail(f"bprop returned {len(grads)} gradient(s) for {len(box.inputs)} inputs.",
                    box, feed, "assert_box_properties")
    for position, (grad, value) in enumerate(zip(grads, values)):
        if grad is None:
            continue
        shape, wanted = np.shape(grad), np.shape(value)
        if shape == wanted:
            continue
        try:
            np.broadcast_to(np.empty(wanted), shape)
            broadcast = True
        except ValueError:
            broadcast = False
        if strict_shapes or not broadcast:
            how = "is not a shape that input broadcasts to" if not broadcast else \
                "is its broadcast shape (strict_shapes=True asks for the input's shape)"
            raise _fail(f"bprop's gradient for input #{position} has shape {shape} but the "
                        f"input has shape {wanted}; {shape} {how}.", box, feed,
                        "assert_box_properties", strict_shapes=strict_shapes)


def _check_float32(box: Box, feed: Feed) -> None:
    """float32 inputs give a float32 value and float32 gradients."""
    feed32 = {k: np.asarray(v, dtype=np.float32) if np.asarray(v).dtype.kind == "f"
              else np.array(v) for k, v in feed.items()}
    graph = _graph(box, feed32, None)
    value = graph.fprop(feed32)
    dtypes = [("value", np.asarray(value).dtype)]
    if np.asarray(value).dtype == np.float32:
        grads = graph.bprop(np.ones_like(value))
        dtypes += [(f"gradient of {b.name!r}", np.asarray(g).dtype) for b, g in grads.items()]
    for what, dtype in dtypes:
        if dtype != np.float32:
            raise _fail(f"float32 inputs gave a {dtype} {what}: keep the inputs' dtype "
                        "(Python numbers keep it; np.float64 scalars and float64 arrays "
                        "promote).", box, feed, "assert_box_properties")


def _defined_at(box_class: type) -> str:
    """Where a class is defined (``file.py:12``), to name it in messages."""
    try:
        lines, line = inspect.getsourcelines(box_class)
        return f"{os.path.basename(inspect.getsourcefile(box_class) or '?')}:{line}"
    except (OSError, TypeError):
        return box_class.__qualname__


def check_box(box_class: type[Box], *, shapes: Any = None, inputs: Any = None,
              domain: str = "real", elements: Any = None, init: Mapping[str, Any] | None = None,
              rtol: float = 1e-4, atol: float = 1e-6, check_dtype: bool = True,
              strict_shapes: bool = False, settings: Any = None) -> None:
    """Property-test a custom Box subclass with hypothesis: for many drawn inputs,
    :func:`assert_box_properties` (gradients vs finite differences, gradient shapes,
    dtype kept, inputs not mutated, fprop deterministic, bprop linear in the upstream
    gradient and repeatable). On failure hypothesis shrinks the inputs and the error
    shows code that reproduces the smallest case.

    ``shapes``: None (every input one random shape), one shape for every input, a
    tuple of shapes (one per input), or a strategy of either (``strategies.shapes()``,
    ``strategies.mutually_broadcastable_shapes()``, ``strategies.matmul_shapes()``);
    ``domain``: "real", "positive" or "nonzero" (or ``elements``, a float strategy);
    ``inputs``: a strategy of tuples of arrays, replacing all of these; ``init``:
    keyword arguments for the constructor; ``settings``: a ``hypothesis.settings``
    (default: the loaded profile without its explain phase). Runs without deadline
    and reports only the smallest failure.
    """
    from hypothesis import Phase, given
    from hypothesis import settings as hypothesis_settings

    from .strategies import box_inputs

    strategy = inputs if inputs is not None else box_inputs(
        box_class, shapes=shapes, domain=domain, elements=elements)
    keywords = dict(init or {})

    def run(values: tuple[np.ndarray, ...]) -> None:
        leaves = [Input(f"x{i}") for i in range(len(values))]
        box = box_class(*leaves, **keywords)
        box.created_at = _defined_at(box_class)
        assert_box_properties(box, dict(zip(leaves, values)), rtol=rtol, atol=atol,
                              check_dtype=check_dtype, strict_shapes=strict_shapes)

    run.__name__ = run.__qualname__ = f"check_box_{box_class.__name__}"
    if settings is None:  # the explain phase traces every line: too slow for gradients
        base = hypothesis_settings.default
        assert base is not None
        settings = hypothesis_settings(base, phases=set(base.phases) - {Phase.explain})
    chosen = hypothesis_settings(settings, deadline=None, report_multiple_bugs=False)
    test = given(strategy)(chosen(run))
    # a database key and derandomized seed of its own for each box class
    setattr(test, "_hypothesis_internal_add_digest",  # noqa: B010 (hypothesis's own hook)
            f"{box_class.__module__}.{box_class.__qualname__}".encode())
    test()
