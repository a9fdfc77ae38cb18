"""The whole step compiled (``FlowGraph(jit=True)`` driven by an ``af.optim`` optimizer):
one numba call runs fprop, bprop and the update, with the interpreter's values,
gradients and updated Parameters to a few ulps (sums add one by one, tanh/exp/log are
LLVM's), every box's value and gradient reachable, arrays fed back from an earlier step
handled, and a step it cannot run (labels out of range, a call it does not write) run
by the interpreter instead."""
from __future__ import annotations

import copy
import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_flow as af
import autograd_flow.testing.strategies as S
from autograd_flow import plan as plan_module

pytest.importorskip("numba")

TOLERANCE = {np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-10}


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    """Generated steps in one folder per test process (not the user's ~/.cache)."""
    monkeypatch.setenv("AUTOGRAD_FLOW_CACHE", str(tmp_path_factory.getbasetemp() / "jit"))


def _mlp(rng, batch, dtype, hidden=(7, 5), l2=1e-3):
    x, y = af.Input("x"), af.Input("y")
    sizes = [4, *hidden, 3]
    h, weights, params = x, [], []
    for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        W = af.Parameter(rng.standard_normal((fan_out, fan_in)).astype(dtype), name=f"W{k}")
        b = af.Parameter(rng.standard_normal(fan_out).astype(dtype), name=f"b{k}")
        weights.append(W)
        params += [W, b]
        h = af.linear(h, W, b)
        if k < len(sizes) - 2:
            h = af.tanh(h)
    loss = af.softmax_cross_entropy(h, y) + l2 * af.l2_penalty(weights)
    feed = {x: rng.standard_normal((batch, 4)).astype(dtype), y: rng.integers(0, 3, batch)}
    return loss, params, feed


OPTIMIZERS = {
    "sgd": lambda ps: af.optim.SGD(ps, lr=0.1),
    "momentum": lambda ps: af.optim.SGD(ps, lr=0.05, momentum=0.9, decay="inverse",
                                        decay_rate=0.1),
    "adam": lambda ps: af.optim.Adam(ps, lr=0.01),
}


def _close(a, b, dtype, what):
    tolerance = TOLERANCE[np.dtype(dtype)]  # (integers: equal)
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (what, a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance, err_msg=what)


def _twins(loss, params, feed, optimizer):
    """(graph, optimizer, params, feed) jitted, and the same for the interpreter on a
    deep copy."""
    twin = copy.deepcopy((loss, params, feed))
    jitted = (af.FlowGraph(loss, jit=True), OPTIMIZERS[optimizer](params), params, feed)
    reference = (af.FlowGraph(twin[0], compile=False), OPTIMIZERS[optimizer](twin[1]),
                 twin[1], twin[2])
    return jitted, reference


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [1, 5])
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_mlp_steps_give_the_interpreters_numbers(dtype, batch, optimizer) -> None:
    loss, params, feed = _mlp(np.random.default_rng(batch), batch, dtype)
    (graph, opt, ps, fd), (ref_graph, ref_opt, ref_ps, ref_fd) = _twins(loss, params, feed,
                                                                       optimizer)
    for step in range(6):
        value = opt.step(graph, fd)
        expected = ref_opt.step(ref_graph, ref_fd)
        if step >= 2:  # the third step compiles the plan and the whole step
            assert graph.ran == {"fprop": "jit", "bprop": "jit"}, step
        assert value == pytest.approx(expected, rel=TOLERANCE[np.dtype(dtype)])
        for p, q in zip(ps, ref_ps):
            _close(p.value, q.value, dtype, f"{p.name} after step {step}")
            _close(p.grad, q.grad, dtype, f"{p.name}.grad at step {step}")
    # every box's value as the last fprop left it (a box inside a pattern the plan runs
    # as one formula computes its value when read, from the Parameters as they are now)
    inner = {id(b) for m in plan_module.find_rewrites(graph.schedule).values()
             for b in m.inner}
    for box, twin in zip(graph.order, ref_graph.order):
        if id(box) not in inner:
            _close(box.value, twin.value, dtype, box.name)


def test_the_gradients_handed_out_are_new_arrays_each_step() -> None:
    loss, params, feed = _mlp(np.random.default_rng(0), 3, np.float64)
    graph, opt = af.FlowGraph(loss, jit=True), af.optim.SGD(params, lr=0.1)
    for _ in range(4):
        opt.step(graph, feed)
    kept = [p.grad.copy() for p in params]
    held = [p.grad for p in params]
    opt.step(graph, feed)
    assert graph.ran["bprop"] == "jit"
    for before, same in zip(kept, held):
        np.testing.assert_array_equal(before, same)  # the next step did not write into it


def test_labels_out_of_range_are_the_interpreters_error_and_change_nothing() -> None:
    loss, params, feed = _mlp(np.random.default_rng(1), 4, np.float64)
    graph, opt = af.FlowGraph(loss, jit=True), af.optim.SGD(params, lr=0.1)
    for _ in range(4):
        opt.step(graph, feed)
    assert graph.ran["fprop"] == "jit"
    before = [p.value.copy() for p in params]
    y = next(b for b in feed if b.name == "y")
    bad = dict(feed)
    bad[y] = np.array([0, 1, 7, 2])
    with pytest.raises(Exception, match="7|out of range|bounds") as error:
        opt.step(graph, bad)
    assert "SoftmaxCrossEntropy" in str(error.value) or "label" in str(error.value)
    for p, value in zip(params, before):
        np.testing.assert_array_equal(p.value, value)


def test_a_value_fed_back_as_the_next_input_gives_the_interpreters_numbers() -> None:
    """An RNN's way: the state a step computed (a box's ``.value``, a view of the
    step's memory) is the next step's input."""
    rng = np.random.default_rng(2)
    h0, x = af.Input("h"), af.Input("x")
    W = af.Parameter(rng.standard_normal((3, 3)) * 0.5, name="W")
    U = af.Parameter(rng.standard_normal((2, 3)) * 0.5, name="U")
    state = af.tanh(h0 @ W + x @ U)
    loss = (state * state).sum()
    twin = copy.deepcopy((loss, state, W, U, h0, x))
    runs = []
    for (l, s, w, u, h, xi), options in (((loss, state, W, U, h0, x), {"jit": True}),
                                         (twin, {"compile": False})):
        graph, opt = af.FlowGraph(l, **options), af.optim.SGD([w, u], lr=0.05)
        carry, seen = np.zeros((4, 3)), []
        for t in range(7):
            seen.append(opt.step(graph, {h: carry, xi: np.full((4, 2), 0.1 * t)}))
            carry = s.value  # fed back: the step's own memory when jitted
        runs.append((graph.ran["fprop"], seen, w.value.copy()))
    assert runs[0][0] == "jit"
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-10)
    np.testing.assert_allclose(runs[0][2], runs[1][2], rtol=1e-10)


RANDOM = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
COVERED = ["add", "sub", "mul", "div", "maximum", "minimum", "where", "exp", "log", "tanh",
           "square", "abs", "neg", "sum", "mean", "max", "matmul", "transpose", "reshape",
           "linear", "sqrt", "log1p", "expm1", "sin", "cos", "vdot", "l2_penalty"]


@pytest.mark.slow
@RANDOM
@given(S.flow_graphs(COVERED, max_boxes=6), st.integers(0, 2**32 - 1))
def test_random_graphs_step_to_the_interpreters_numbers(random, salt) -> None:
    """Random graphs of the calls the whole step writes, trained with SGD for five steps,
    their float Inputs fed back from a box's value of the step before."""
    graph = af.FlowGraph(random.output, jit=True)
    if not graph.parameters:
        return
    twin = copy.deepcopy((random.output, random.feed, graph.parameters))
    reference = af.FlowGraph(twin[0], compile=False)
    sides = [(graph, dict(random.feed), af.optim.SGD(graph.parameters, lr=0.01)),
             (reference, dict(twin[1]), af.optim.SGD(twin[2], lr=0.01))]
    rng = np.random.default_rng(salt)
    with np.errstate(all="ignore"):
        for step in range(5):
            losses = [opt.step(g, feed) for g, feed, opt in sides]
            np.testing.assert_allclose(losses[0], losses[1], rtol=1e-9, atol=1e-12)
            for p, q in zip(graph.parameters, reference.parameters):
                np.testing.assert_allclose(p.value, q.value, rtol=1e-9, atol=1e-12)
            if step == 0:
                back = [(k, j) for k, b in enumerate(graph.order) if isinstance(b, af.Input)
                        for j, c in enumerate(graph.order)
                        if c is not b and np.shape(c.value) == np.shape(b.value)
                        and not isinstance(c, af.Input)]
                back = [back[rng.integers(len(back))]] if back else []
            for g, feed, _ in sides:
                for k, j in back:
                    feed[g.order[k]] = g.order[j].value


def test_a_second_process_loads_the_compiled_step_from_the_cache(tmp_path) -> None:
    """The machine code is kept beside the generated source, named by its hash: the same
    graph in a new process compiles nothing; a changed graph is another file."""
    program = """
import os, sys, time, numpy as np, autograd_flow as af
x, W = af.Input("x"), af.Parameter(np.ones((3, 2)), name="W")
loss = (af.tanh(x @ W) * float(sys.argv[1])).sum()
graph, opt = af.FlowGraph(loss, jit=True), af.optim.SGD([W], lr=0.1)
for _ in range(3):
    opt.step(graph, {x: np.ones((4, 3))})
print(graph.ran["fprop"])
"""
    env = {"AUTOGRAD_FLOW_CACHE": str(tmp_path), "PATH": "/usr/bin:/bin"}

    def run(scale: str) -> tuple[str, set[str]]:
        done = subprocess.run([sys.executable, "-c", program, scale], env=env, check=True,
                              capture_output=True, text=True)
        return done.stdout.strip(), {p.name for p in tmp_path.rglob("*") if p.is_file()}

    ran, first = run("2.0")
    assert ran == "jit"
    assert any(name.endswith(".py") for name in first)
    assert any(name.endswith(".nbc") for name in first)  # numba's machine code
    ran, again = run("2.0")
    assert ran == "jit" and again == first  # nothing new: loaded, not compiled
    ran, changed = run("3.0")
    assert ran == "jit" and len([n for n in changed if n.endswith(".py")]) == 2


def test_a_step_the_compile_does_not_cover_runs_the_plan() -> None:
    x = af.Parameter(np.linspace(0.1, 1.0, 6).reshape(2, 3), name="x")
    loss = af.sort(af.erf(x), axis=1).sum()
    graph, opt = af.FlowGraph(loss, jit=True), af.optim.SGD([x], lr=0.1)
    reference = copy.deepcopy(x)
    ref_graph = af.FlowGraph(af.sort(af.erf(reference), axis=1).sum(), compile=False)
    ref_opt = af.optim.SGD([reference], lr=0.1)
    for _ in range(4):
        assert opt.step(graph, {}) == ref_opt.step(ref_graph, {})
    assert graph.ran["fprop"] == "plan"
    np.testing.assert_array_equal(x.value, reference.value)


def test_an_optimizer_without_a_compiled_update_runs_its_own() -> None:
    loss, params, feed = _mlp(np.random.default_rng(3), 2, np.float64)
    graph = af.FlowGraph(loss, jit=True)
    opt = af.optim.Adagrad(params, lr=0.1)
    for _ in range(4):
        opt.step(graph, feed)
    assert graph.ran["fprop"] == "plan"


@pytest.mark.parametrize("jit", [True, False])
def test_a_nan_loss_makes_no_update(jit) -> None:
    """The step returns the loss for the caller to stop on (``train`` keeps its last good
    checkpoint); the Parameters stay as they were, jitted or not."""
    loss, params, feed = _mlp(np.random.default_rng(4), 3, np.float64)
    graph, opt = af.FlowGraph(loss, jit=jit), af.optim.SGD(params, lr=0.1, momentum=0.9)
    for _ in range(4):
        opt.step(graph, feed)
    before = [p.value.copy() for p in params]
    x = next(b for b in feed if b.name == "x")
    bad = dict(feed)
    bad[x] = feed[x].copy()
    bad[x][1, 2] = np.nan
    assert np.isnan(opt.step(graph, bad))
    assert opt.t == 4
    for p, value in zip(params, before):
        np.testing.assert_array_equal(p.value, value)
    assert np.isfinite(opt.step(graph, feed))  # and training goes on from there


@pytest.mark.slow
def test_train_with_jit_gives_the_same_model_as_without(tmp_path) -> None:
    """``autograd-flow train --jit``: the same errors and, to float32 rounding, the same
    weights as the default path."""
    runs = {}
    for name, extra in (("plain", []), ("jit", ["--jit"])):
        subprocess.run([sys.executable, "-m", "autograd_flow.cli", "train", "--out",
                        str(tmp_path / name), "--epochs", "3", "--no-progress", "--no-plots",
                        *extra], check=True, capture_output=True, text=True,
                       env={"AUTOGRAD_FLOW_CACHE": str(tmp_path / "cache"),
                            "PATH": "/usr/bin:/bin"})
        runs[name] = (json.loads((tmp_path / name / "metrics.json").read_text()),
                      np.load(tmp_path / name / "model.npz"))
    (plain, plain_model), (jit, jit_model) = runs["plain"], runs["jit"]
    assert plain["error"] == jit["error"]
    weights = [key for key in plain_model.files if plain_model[key].dtype.kind == "f"]
    assert weights
    for key in weights:
        np.testing.assert_allclose(jit_model[key], plain_model[key], rtol=1e-4, atol=1e-6)


def test_a_subclass_with_its_own_update_runs_it() -> None:
    class Halved(af.optim.SGD):
        def update(self, index, p, grad, lr):
            super().update(index, p, grad, lr / 2)

    loss, params, feed = _mlp(np.random.default_rng(5), 2, np.float64)
    twin = copy.deepcopy((loss, params, feed))
    graph, opt = af.FlowGraph(loss, jit=True), Halved(params, lr=0.2)
    ref_graph, ref_opt = af.FlowGraph(twin[0], compile=False), af.optim.SGD(twin[1], lr=0.1)
    for _ in range(5):
        assert opt.step(graph, feed) == pytest.approx(ref_opt.step(ref_graph, twin[2]),
                                                      rel=1e-12)
    assert graph.ran["fprop"] == "plan"


def test_source_shows_the_whole_step_after_the_plan() -> None:
    loss, params, feed = _mlp(np.random.default_rng(6), 2, np.float32)
    graph, opt = af.FlowGraph(loss, jit=True), af.optim.Adam(params, lr=0.01)
    for _ in range(3):
        opt.step(graph, feed)
    source = graph.source()
    assert source.index("def fprop") < source.index("the whole step") < source.index(
        "def step(")
    assert "np.dot(" in source and "np.sqrt(v)" in source  # the products, Adam's update
