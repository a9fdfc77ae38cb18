"""FlowGraph(jit=True): runs of elementwise boxes run by numba give the interpreter's
values and gradients to a few ulps (LLVM's tanh/exp/log, not numpy's), keep every box's
value, and say what to install when numba is missing."""
from __future__ import annotations

import copy
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_flow as af
import autograd_flow.testing.strategies as S
from autograd_flow import plan as plan_module

pytest.importorskip("numba")

TOLERANCE = {np.float32: 2e-6, np.float64: 1e-13}


def _chain(x, links: int = 10):
    h = x
    for _ in range(links):
        h = af.tanh(h * 0.9 + 0.1)
    return h


def _compare(output, feed, wrt, dtype):
    jitted = af.FlowGraph(output, wrt=wrt, jit=True)
    reference = af.FlowGraph(output, wrt=wrt, compile=False)
    for _ in range(3):
        value = jitted.fprop(feed)
        grads = {b: g.copy() for b, g in jitted.bprop().items()}
    assert jitted.ran == {"fprop": "plan", "bprop": "plan"}
    expected = reference.fprop(feed)
    expected_grads = reference.bprop()
    rtol = TOLERANCE[dtype]
    np.testing.assert_allclose(value, expected, rtol=rtol, atol=rtol)
    for box in wrt:
        assert grads[box].dtype == expected_grads[box].dtype
        np.testing.assert_allclose(grads[box], expected_grads[box], rtol=rtol, atol=rtol)
    return jitted


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_chain_runs_as_one_numba_call_with_the_interpreters_numbers(dtype) -> None:
    rng = np.random.default_rng(0)
    x = af.Parameter(rng.standard_normal((3, 4)).astype(dtype), name="x")
    graph = _compare(_chain(x).sum(), {}, [x], dtype)
    assert "one numba call (jit)" in graph.source()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_op_of_the_kernels(dtype) -> None:
    """Each op code, with inputs from outside (an Input, a Parameter), numbers and a
    box used twice."""
    rng = np.random.default_rng(1)
    x = af.Input("x")
    w = af.Parameter(rng.uniform(0.5, 1.5, 6).astype(dtype), name="w")
    a = x * w + 0.5              # mul, add
    b = af.tanh(a) - a / w       # tanh, sub, div
    c = af.exp(-b) + af.square(b)  # neg, exp, square
    d = af.log(c) * af.sigmoid(c) + af.relu(b - 0.1) + af.identity(c)  # log, sigmoid, relu
    feed = {x: rng.standard_normal(6).astype(dtype)}
    graph = _compare((d * d).sum(), feed, [w, x], dtype)
    runs = re.findall(r"# (\d+) calls from .*: one numba call \(jit\)", graph.source())
    assert runs and all(int(calls) >= 4 for calls in runs)
    assert sum(map(int, runs)) >= 15  # fprop's calls and bprop's, derivatives included


def test_boxes_of_a_run_keep_their_values_and_an_output_inside_a_run_is_copied() -> None:
    rng = np.random.default_rng(2)
    x = af.Parameter(rng.standard_normal(5), name="x")
    h = _chain(x, 4)
    graph = af.FlowGraph([h.sum(), h], jit=True)
    for _ in range(3):
        total, value = graph.fprop()
        graph.bprop()
    reference = af.FlowGraph([h.sum(), h], compile=False)
    np.testing.assert_allclose(value, reference.fprop()[1], rtol=1e-13)
    middle = h.inputs[0].inputs[0]  # a box in the middle of the run
    kept = np.array(middle.value)
    graph.fprop()
    np.testing.assert_allclose(middle.value, kept, rtol=1e-13)
    x.value += 1.0
    graph.fprop()
    assert not np.allclose(value, h.value)  # the output handed out earlier did not change


def test_a_graph_that_shares_a_run_puts_its_values_back() -> None:
    rng = np.random.default_rng(3)
    x = af.Input("x")
    h = _chain(x, 4)
    graph, other = af.FlowGraph(h.sum(), jit=True), af.FlowGraph(h.sum(), compile=False)
    a, b = rng.standard_normal(4), rng.standard_normal(4)
    for _ in range(3):
        graph.fprop({x: a})
    other.fprop({x: b})
    graph.fprop({x: a})
    np.testing.assert_allclose(h.value, af.FlowGraph(h, compile=False).fprop({x: a}),
                               rtol=1e-13)


ELEMENTWISE = ["add", "sub", "mul", "div", "neg", "tanh", "exp", "log", "square", "relu",
               "sigmoid", "abs", "sqrt"]
RANDOM = settings(max_examples=80, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _close(a, b) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a, b)
    rtol = 1e-11 if a.dtype == np.float64 else 1e-4  # ulps compound along a run
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


@RANDOM
@given(S.flow_graphs(ELEMENTWISE, max_boxes=14), st.integers(0, 2**32 - 1))
def test_random_elementwise_graphs_give_the_interpreters_numbers_fed_back_or_not(
        random, salt) -> None:
    """Random graphs of the kernel's ufuncs (runs in fprop and bprop, a bprop run
    reading a fprop run's rows in place), with a box's value or gradient fed back as
    the next step's Input, against a deep copy run by the interpreter."""
    twin = copy.deepcopy((random.output, random.feed))
    graphs = [af.FlowGraph(random.output, jit=True), af.FlowGraph(twin[0], compile=False)]
    feeds = [dict(random.feed), dict(twin[1])]
    rng = np.random.default_rng(salt)
    ran = set()
    with np.errstate(all="ignore"):
        for _step in range(5):
            results = []
            for graph, feed in zip(graphs, feeds):
                try:
                    results.append((graph.fprop(feed), [graph.bprop()[b] for b in graph.wrt]))
                except af.FlowGraphError as error:
                    results.append(type(error))
            if any(isinstance(r, type) for r in results):
                assert results[0] == results[1], results
                return
            ran.add(graphs[0].ran["fprop"])
            _close(results[0][0], results[1][0])
            for got, expected in zip(results[0][1], results[1][1]):
                _close(got, expected)
            for k, box in enumerate(graphs[0].order):  # each Input: a box's array, as is
                if not isinstance(box, af.Input):
                    continue
                same = [(j, attribute) for j, b in enumerate(graphs[0].order)
                        for attribute in ("value", "grad") if b is not box
                        and isinstance(getattr(b, attribute), np.ndarray)
                        and getattr(b, attribute).shape == box.value.shape]
                if same:
                    j, attribute = same[rng.integers(len(same))]
                    for graph, feed in zip(graphs, feeds):
                        feed[graph.order[k]] = getattr(graph.order[j], attribute)
    assert "plan" in ran  # (a feed of another memory layout waits for its own plan)


def test_jit_without_numba_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setattr(plan_module.jit, "available", lambda: False)
    with pytest.raises(ImportError, match=r'pip install "autograd_flow\[jit\]"'):
        af.FlowGraph(af.Parameter(np.ones(2)).sum(), jit=True)
