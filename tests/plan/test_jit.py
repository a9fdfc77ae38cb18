"""FlowGraph(jit=True): runs of elementwise boxes run by numba give the interpreter's
values and gradients to a few ulps (LLVM's tanh/exp/log, not numpy's), keep every box's
value, and say what to install when numba is missing."""
from __future__ import annotations

import re

import numpy as np
import pytest

import autograd_flow as af
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


def test_jit_without_numba_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setattr(plan_module.jit, "available", lambda: False)
    with pytest.raises(ImportError, match=r'pip install "autograd_flow\[jit\]"'):
        af.FlowGraph(af.Parameter(np.ones(2)).sum(), jit=True)
