"""Compiled plans: the generated code gives the interpreter's values and gradients bit
for bit (random graphs, custom boxes, every rewrite), arrays handed to the user never
change later, data-dependent shapes and errors fall back to the interpreter, the plan
cache is bounded, and pictures, gradcheck, af.grad and the Hessian work as before."""
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


def _run(graph: af.FlowGraph, feed, steps: int = 3, seed=None):
    """fprop + bprop ``steps`` times (the third runs the plan); the last results."""
    for _ in range(steps):
        value = graph.fprop(feed)
        grads = graph.bprop(seed) if graph.wrt else {}
    return value, grads


def _same(a, b) -> bool:
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(_same, a, b))
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


def assert_plan_equals_interpreter(output: af.Box, feed, wrt=None, seed=None) -> af.FlowGraph:
    compiled = af.FlowGraph(output, wrt=wrt)
    interpreted = af.FlowGraph(output, wrt=wrt, compile=False)
    value, grads = _run(compiled, feed, seed=seed)
    assert compiled.ran["fprop"] == "plan", compiled.ran
    if compiled.wrt:
        assert compiled.ran["bprop"] == "plan", compiled.ran
    reference, reference_grads = _run(interpreted, feed, seed=seed)
    assert _same(value, reference), (value, reference)
    for box in compiled.wrt:
        assert _same(grads[box], reference_grads[box]), (box, grads[box], reference_grads[box])
    return compiled


# -- random graphs -----------------------------------------------------------------

RANDOM = settings(max_examples=320, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@RANDOM
@given(S.flow_graphs(max_boxes=8))
def test_random_graphs_compile_to_the_interpreters_numbers(random) -> None:
    assert_plan_equals_interpreter(random.output, random.feed)


@settings(RANDOM, max_examples=60)
@given(S.flow_graphs(max_boxes=6, dtype=np.float32))
def test_random_float32_graphs_compile_to_the_interpreters_numbers(random) -> None:
    assert_plan_equals_interpreter(random.output, random.feed)


def _fed_back(graph: af.FlowGraph, rng: np.random.Generator) -> dict[int, tuple[int, str]]:
    """For each float Input (by position in ``graph.order``), a box of the graph whose
    value (or gradient) has the Input's shape and dtype, by position and attribute: fed
    back as the next step's input, as an RNN carries its state. (A box inside a
    pattern a plan runs as one formula has no gradient of its own in the plan.)"""
    inner = {id(b) for m in plan_module.find_rewrites(graph.schedule).values()
             for b in m.inner}
    choices = {}
    for k, box in enumerate(graph.order):
        if not isinstance(box, af.Input) or box.value.dtype.kind != "f":
            continue
        fits = [(j, attribute) for j, b in enumerate(graph.order) for attribute in ("value", "grad")
                if b is not box and id(b) not in inner
                and isinstance(getattr(b, attribute), np.ndarray)
                and getattr(b, attribute).shape == box.value.shape
                and getattr(b, attribute).dtype == box.value.dtype]
        if fits:
            choices[k] = fits[rng.integers(len(fits))]
    return choices


@settings(RANDOM, max_examples=120)
@given(S.flow_graphs(max_boxes=8), st.integers(0, 2**32 - 1))
def test_values_fed_back_as_inputs_give_the_interpreters_numbers(random, salt) -> None:
    """Issue 19: feeding a box's ``.value`` (or ``.grad``) back in, the natural way to
    carry an RNN's state, gave wrong gradients once the plan ran (the fed array was the
    plan's own buffer, overwritten by fprop before bprop read it). The interpreter runs
    a copy of the boxes, so each graph feeds back its own arrays."""
    _check_fed_back(random, salt)


@settings(RANDOM, max_examples=200)
@given(S.flow_graphs(max_boxes=8), st.integers(0, 2**32 - 1))
def test_random_graphs_with_every_array_in_a_buffer_give_the_interpreters_numbers(
        random, salt) -> None:
    """The memory plan on small arrays too (buffers, in-place steps, temporaries that
    share a slot once their last reader ran), fed back or not."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plan_module.memory, "MIN_BUFFER", 1)
        _check_fed_back(random, salt)


def _check_fed_back(random, salt) -> None:
    """Six steps of a compiled graph and of the interpreter on a deep copy, each feeding
    back the same boxes' arrays as its Inputs from the second step on."""
    twin = copy.deepcopy((random.output, random.feed))
    graphs = [af.FlowGraph(random.output), af.FlowGraph(twin[0], compile=False)]
    feeds = [dict(random.feed), dict(twin[1])]
    chosen = None
    with np.errstate(all="ignore"):
        for step in range(6):
            results = []
            for graph, feed in zip(graphs, feeds):
                try:
                    value = graph.fprop(feed)
                    grads = graph.bprop()
                    results.append((value, [grads[b] for b in graph.wrt]))
                except af.FlowGraphError as error:
                    results.append(type(error))
            compiled, reference = results
            if isinstance(reference, type) or isinstance(compiled, type):
                assert compiled == reference, (step, compiled, reference)
                return
            assert _same(compiled[0], reference[0]), (step, compiled[0], reference[0])
            for g, r in zip(compiled[1], reference[1]):
                assert _same(g, r), (step, g, r)
            if chosen is None:  # the same boxes for both graphs, chosen once
                chosen = _fed_back(graphs[0], np.random.default_rng(salt))
            for graph, feed in zip(graphs, feeds):
                for k, (j, attribute) in chosen.items():
                    feed[graph.order[k]] = getattr(graph.order[j], attribute)


def test_a_value_fed_back_as_the_next_input_keeps_its_gradient() -> None:
    """The issue's ten lines: an RNN state carried as ``h.value``."""
    U = af.Parameter(np.array([[0.5, -0.3], [0.2, 0.4]]), name="U")
    h_in = af.Input("h_in")
    h = af.tanh(U @ h_in)
    graph = af.FlowGraph((h * h).sum())
    x, fed = np.ones((2, 1)), np.ones((2, 1))
    for _ in range(5):
        graph.fprop({h_in: fed})
        gradient = graph.bprop()[U]
        a = U.value @ x  # the same step in plain numpy
        y = np.tanh(a)
        expected = (2 * y * (1 - y * y)) @ x.T
        np.testing.assert_allclose(gradient, expected, rtol=1e-12)
        x, fed = y, h.value
    assert graph.ran == {"fprop": "plan", "bprop": "plan"}


class Cube(af.Box):
    """y = a**3 (a user's box: its bound fprop and bprop run inside the plan)."""

    def fprop(self, a):
        return a ** 3

    def bprop(self, grad, a):
        return 3 * a ** 2 * grad


class Scale(af.Box):
    """y = a * b, its gradients as a list (as users write)."""

    def fprop(self, a, b):
        return a * b

    def bprop(self, grad, a, b):
        return [grad * b, grad * a]


@settings(RANDOM, max_examples=60)
@given(S.flow_graphs(["add", "tanh", "mul", "sum", "matmul", Cube, Scale], max_boxes=6))
def test_random_graphs_with_custom_boxes_compile_to_the_interpreters_numbers(random) -> None:
    assert_plan_equals_interpreter(random.output, random.feed)


# -- rewrites against the primitives they replace ----------------------------------

def _mlp_loss(rng, batch, dtype, hidden=(7, 5), bias=True, l2=1e-3, l1=0.0):
    x, y = af.Input("x"), af.Input("y")
    sizes = [4, *hidden, 3]
    h, weights = x, []
    for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        W = af.Parameter(rng.standard_normal((fan_out, fan_in)).astype(dtype), name=f"W{k}")
        b = af.Parameter(rng.standard_normal(fan_out).astype(dtype), name=f"b{k}") \
            if bias else None
        weights.append(W)
        h = af.linear(h, W, b)
        if k < len(sizes) - 2:
            h = af.tanh(h)
    loss = af.softmax_cross_entropy(h, y) + l2 * af.l2_penalty(weights)
    if l1:
        loss = loss + l1 * af.l1_penalty(weights)
    feed = {x: rng.standard_normal((batch, 4)).astype(dtype), y: rng.integers(0, 3, batch)}
    return loss, feed


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [1, 2, 33])
@pytest.mark.parametrize(("bias", "l1"), [(True, 0.0), (False, 0.0), (True, 1e-4)])
def test_the_mlp_rewrites_give_the_primitives_numbers_bit_for_bit(dtype, batch, bias,
                                                                   l1) -> None:
    """Float32 with Python-number weights of the penalties keeps float32 (numpy's weak
    scalars) in the plan's buffers as in the interpreter."""
    loss, feed = _mlp_loss(np.random.default_rng(batch), batch, dtype, bias=bias, l1=l1)
    graph = assert_plan_equals_interpreter(loss, feed)
    kinds = {type(m.rewrite).__name__ for m in plan_module.find_rewrites(graph.schedule).values()}
    assert kinds == {"Linear", "SoftmaxCrossEntropy"}


def test_a_rewrite_is_not_applied_when_an_inner_box_is_read_elsewhere() -> None:
    rng = np.random.default_rng(1)
    x, W = af.Input("x"), af.Parameter(rng.standard_normal((3, 2)), name="W")
    product = af.linear(x, W)  # MatMul(x, Transpose(W))
    transposed = product.inputs[1]
    loss = product.sum() + transposed.sum()  # W^T read outside the pattern
    graph = af.FlowGraph(loss)
    assert plan_module.find_rewrites(graph) == {}
    assert_plan_equals_interpreter(loss, {x: rng.standard_normal((4, 2))})


def test_values_inside_a_rewritten_pattern_are_computed_when_read() -> None:
    loss, feed = _mlp_loss(np.random.default_rng(2), 5, np.float64)
    graph = af.FlowGraph(loss)
    _run(graph, feed)
    inner = [b for m in plan_module.find_rewrites(graph.schedule).values() for b in m.inner]
    graph.fprop(feed)
    assert graph.ran["fprop"] == "plan"
    assert inner and all("value" not in b.__dict__ for b in inner)
    reference = af.FlowGraph(loss, compile=False)
    reference.fprop(feed)
    expected = {id(b): np.array(b.value) for b in inner}
    graph.fprop(feed)
    for box in inner:
        np.testing.assert_array_equal(box.value, expected[id(box)])
    af.viz.to_dot(graph)  # pictures see every box


# -- what users hold never changes ----------------------------------------------------

def test_arrays_handed_to_the_user_do_not_change_at_later_steps() -> None:
    rng = np.random.default_rng(3)
    loss, feed = _mlp_loss(rng, 8, np.float32)
    graph = af.FlowGraph(loss)
    optimizer = af.optim.SGD(graph.parameters, lr=0.1)
    kept = []
    for _ in range(5):
        value = graph.fprop(feed)
        grads = graph.bprop()
        kept.append((value, {p: g for p, g in grads.items()},
                     (np.array(value), {p: g.copy() for p, g in grads.items()})))
        optimizer.step(grads)
        feed = {k: (v + 0.5 if v.dtype.kind == "f" else v) for k, v in feed.items()}
    assert graph.ran == {"fprop": "plan", "bprop": "plan"}
    for value, grads, (value_copy, grads_copy) in kept:
        assert _same(value, value_copy)
        assert all(_same(grads[p], grads_copy[p]) for p in grads)
    gradients = [g for _, grads, _ in kept for g in grads.values()]
    assert len({id(g) for g in gradients}) == len(gradients)


def test_an_output_that_is_a_view_of_a_parameter_is_copied() -> None:
    W = af.Parameter(np.arange(6.0).reshape(2, 3), name="W")
    graph = af.FlowGraph(W.reshape(-1))
    for _ in range(3):
        value = graph.fprop()
    W.value += 1.0
    np.testing.assert_array_equal(value, np.arange(6.0))


# -- falling back to the interpreter ------------------------------------------------

class Positive(af.Box):
    """y = the positive entries of a: an output shape that depends on the data."""

    def fprop(self, a):
        return a[a > 0]

    def bprop(self, grad, a):
        full = np.zeros_like(a)
        full[a > 0] = grad
        return full


def test_a_box_whose_shape_depends_on_the_data_falls_back_to_the_interpreter() -> None:
    x = af.Input("x")
    w = af.Parameter(np.array(2.0), name="w")
    graph = af.FlowGraph((Positive(x) * w).sum())
    values = [np.array([1.0, -1.0, 2.0]), np.array([1.0, -1.0, 2.0]), np.array([3.0, 4.0, 5.0])]
    for value in values:
        loss = graph.fprop({x: value})
        grads = graph.bprop()
    assert graph.ran == {"fprop": "interpreter", "bprop": "interpreter"}
    assert loss == 24.0 and grads[w] == 12.0


class Counted(Positive):
    calls = 0

    def fprop(self, a):
        Counted.calls += 1
        return super().fprop(a)


@pytest.mark.parametrize("make, first", [
    (lambda x: Counted(x), 3),  # the plan ran Counted, then the interpreter did again
    (lambda x: Counted(af.tanh(x)[x > 0]), 2),  # the plan stopped at the mask's shape
], ids=["custom box", "indexed by a box"])
def test_a_plan_that_cannot_run_the_data_retires_and_no_step_runs_twice(make, first) -> None:
    """After a step where the plan fell back and the interpreter ran, the signature stays
    interpreted: a box's fprop is called once per step (not once in the plan, again in
    the interpreter), and the values stay the interpreter's."""
    x = af.Input("x")
    w = af.Parameter(np.array(2.0), name="w")
    graph = af.FlowGraph((make(x) * w).sum())
    reference = af.FlowGraph((make(x) * w).sum(), compile=False)
    same, other = np.array([1.0, -1.0, 2.0]), np.array([3.0, 4.0, 5.0])
    for value in [same, same, same]:
        graph.fprop({x: value})
    assert graph.ran["fprop"] == "plan"
    calls = []
    for value in [other, same, other]:
        Counted.calls = 0
        assert graph.fprop({x: value}) == reference.fprop({x: value})
        assert graph.ran["fprop"] == "interpreter"
        assert graph.bprop()[w] == reference.bprop()[w]
        calls.append(Counted.calls)
    # the plan is tried once (the first step), then each graph calls the box once a step
    assert calls == [first, 2, 2]


@pytest.mark.parametrize("bad, shown", [([0, 1, 7, 2], "[7]"), ([0, -1, 1, 2], "[-1]"),
                                        ([3, 1, 0, 2], "[3]")])
def test_errors_after_compiling_are_the_interpreters(bad: list[int], shown: str) -> None:
    """The plan checks labels with one reduction (negative ones seen as unsigned are
    too large); the interpreter then runs the step and names them."""
    rng = np.random.default_rng(4)
    loss, feed = _mlp_loss(rng, 4, np.float64)
    graph = af.FlowGraph(loss)
    _run(graph, feed)
    assert graph.ran["fprop"] == "plan"
    labels = next(k for k in feed if k.name == "y")
    with pytest.raises(af.LabelError, match=r"labels must lie in \[0, 3\).*" + re.escape(shown)):
        graph.fprop({**feed, labels: np.array(bad)})
    graph.fprop(feed)
    assert graph.ran["fprop"] == "plan"


@pytest.mark.parametrize("order", [">", "<"])
def test_labels_in_either_byte_order_run_the_plan(order: str) -> None:
    """Issue 20: big-endian labels were read in the machine's byte order by the plan's
    range check, so every step fell back to the interpreter."""
    rng = np.random.default_rng(5)
    loss, feed = _mlp_loss(rng, 6, np.float64)
    labels = next(k for k in feed if k.name == "y")
    native = af.FlowGraph(loss, compile=False)
    expected = _run(native, feed, steps=1)
    feed = {**feed, labels: feed[labels].astype(f"{order}i8")}
    graph = af.FlowGraph(loss)
    for _ in range(2):
        value, grads = _run(graph, feed)
        assert graph.ran == {"fprop": "plan", "bprop": "plan"}
        assert value == expected[0]
        assert all(_same(grads[p], expected[1][p]) for p in grads)
    with pytest.raises(af.LabelError, match=r"labels must lie in \[0, 3\)"):
        graph.fprop({**feed, labels: np.array([0, 1, 3, 0, 1, 2], f"{order}i8")})


def test_the_plan_cache_keeps_the_latest_signatures() -> None:
    rng = np.random.default_rng(5)
    loss, feed = _mlp_loss(rng, 4, np.float64)
    graph = af.FlowGraph(loss)
    x = next(k for k in feed if k.name == "x")
    y = next(k for k in feed if k.name == "y")
    for batch in range(1, 14):
        batch_feed = {x: rng.standard_normal((batch, 4)), y: rng.integers(0, 3, batch)}
        _run(graph, batch_feed)
        assert graph.ran["fprop"] == "plan"
    assert len(graph._runner.plans) == af.plan.MAX_PLANS


def test_signatures_seen_once_are_remembered_in_bounded_memory() -> None:
    """A graph fed a new shape at every step (batches of every size) counts signatures
    to compile at the second sighting, but keeps only the latest few counts."""
    x = af.Input("x")
    graph = af.FlowGraph(af.tanh(x * af.Parameter(np.array(2.0))).sum())
    for size in range(1, 200):
        graph.fprop({x: np.ones(size)})
    assert len(graph._runner.seen) <= 4 * af.plan.MAX_PLANS
    graph.fprop({x: np.ones(199)})  # the latest are remembered: compiled at the second
    graph.fprop({x: np.ones(199)})
    assert graph.ran["fprop"] == "plan"


def test_a_graph_too_large_to_compile_runs_in_the_interpreter(monkeypatch) -> None:
    monkeypatch.setattr(plan_module.cache, "MAX_BOXES", 3)
    x = af.Parameter(np.ones(2), name="x")
    graph = af.FlowGraph(af.tanh(af.tanh(af.tanh(af.tanh(x)))).sum())
    _run(graph, {})
    assert not graph.compile and graph.ran["fprop"] == "interpreter"


# -- the code ----------------------------------------------------------------------

def test_source_shows_the_backprop_the_graph_runs() -> None:
    loss, feed = _mlp_loss(np.random.default_rng(6), 4, np.float32)
    graph = af.FlowGraph(loss)
    graph.fprop(feed)
    source = graph.source()
    assert "def fprop():" in source and "def bprop(seed):" in source
    assert "Linear of" in source and "SoftmaxCrossEntropy" in source
    assert " @ " in source and "W0_box.grad" in source
    compile(source, "<source>", "exec")


def test_source_needs_a_fprop_first() -> None:
    graph = af.FlowGraph(af.tanh(af.Input("x")))
    with pytest.raises(af.FlowGraphError, match="call fprop first"):
        graph.source()


# -- the rest of the engine on compiled graphs ----------------------------------------

def test_gradcheck_grad_and_hessian_work_on_a_compiled_graph() -> None:
    rng = np.random.default_rng(7)
    loss, feed = _mlp_loss(rng, 6, np.float64, hidden=(3,))
    graph = af.FlowGraph(loss)
    _run(graph, feed)
    af.gradcheck(graph, feed)
    grads = af.grad(loss, graph.parameters)
    values = af.FlowGraph(grads).fprop(feed)
    graph.fprop(feed)
    for p, value in zip(graph.parameters, values):
        np.testing.assert_array_equal(value, graph.bprop()[p])
    H = af.hessian(graph, feed=feed)
    exact = af.hessian(graph, feed=feed, method="differences")
    np.testing.assert_allclose(H, exact, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("outputs", ["two", "seeded"])
def test_several_outputs_and_explicit_seeds(outputs) -> None:
    rng = np.random.default_rng(8)
    x = af.Input("x")
    W = af.Parameter(rng.standard_normal((3, 2)), name="W")
    h = af.tanh(x @ W.T)
    feed = {x: rng.standard_normal((4, 2))}
    if outputs == "two":
        assert_plan_equals_interpreter([h.sum(), h], feed)
    else:
        assert_plan_equals_interpreter(h, feed, seed=rng.standard_normal((4, 3)))


def test_alternating_signatures_each_get_their_plan() -> None:
    rng = np.random.default_rng(9)
    loss, feed = _mlp_loss(rng, 8, np.float64)
    x = next(k for k in feed if k.name == "x")
    y = next(k for k in feed if k.name == "y")
    graph, reference = af.FlowGraph(loss), af.FlowGraph(loss, compile=False)
    for step in range(6):
        batch = 8 if step % 2 else 3
        batch_feed = {x: rng.standard_normal((batch, 4)), y: rng.integers(0, 3, batch)}
        value = graph.fprop(batch_feed)
        grads = {p: g.copy() for p, g in graph.bprop().items()}
        assert _same(value, reference.fprop(batch_feed))
        assert all(_same(grads[p], g) for p, g in reference.bprop().items())
    assert graph.ran["fprop"] == "plan" and len(graph._runner.plans) == 2


@given(st.integers(1, 4))
@settings(max_examples=4, deadline=None)
def test_bprop_twice_after_one_fprop_gives_the_same_gradients(batch) -> None:
    loss, feed = _mlp_loss(np.random.default_rng(batch), batch, np.float32)
    graph = af.FlowGraph(loss)
    _run(graph, feed)
    first = {p: g.copy() for p, g in graph.bprop().items()}
    second = graph.bprop()
    assert all(_same(first[p], second[p]) for p in first)


# -- memory layouts: a sum adds in memory order ---------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_column_ordered_views_keep_the_interpreters_summation_order(dtype) -> None:
    """-moveaxis(x) is column-ordered in the interpreter; writing it into a row-ordered
    buffer would make the sum add in another order (found by the random graphs)."""
    rng = np.random.default_rng(10)
    x = af.Input("x")
    w = af.Parameter(rng.standard_normal((4, 3)).astype(dtype), name="w")
    loss = af.sum(-af.moveaxis(x, 0, 1) * w) + af.sum(af.tanh(w) * af.transpose(x))
    feed = {x: (rng.standard_normal((3, 4)) * 10).astype(dtype)}
    assert_plan_equals_interpreter(loss, feed)


def test_a_feed_of_another_memory_layout_gets_its_own_plan() -> None:
    rng = np.random.default_rng(11)
    x = af.Input("x")
    w = af.Parameter(rng.standard_normal(5), name="w")
    loss = af.sum(af.exp(x * w) * 3.0)
    value = rng.standard_normal((4, 5))
    graph, reference = af.FlowGraph(loss), af.FlowGraph(loss, compile=False)
    for feed in [value, value, value, np.asfortranarray(value), np.asfortranarray(value),
                 np.asfortranarray(value)]:
        assert _same(graph.fprop({x: feed}), reference.fprop({x: feed}))
        assert _same(graph.bprop()[w], reference.bprop()[w])
    assert len(graph._runner.plans) == 2


def test_infinite_and_nan_constants_in_the_code() -> None:
    x = af.Parameter(np.array([1.0, -2.0]), name="x")
    loss = af.sum(af.maximum(x, -np.inf) + af.minimum(x, np.inf) * 2.0) + af.sum(
        af.where(x > 0, x, float("nan")) * 0.0)
    assert_plan_equals_interpreter(loss, {})


def test_a_slice_with_a_start_and_no_stop_stays_a_slice_in_the_code() -> None:
    """A formula's x[..., 3:] (Trailing's) was written as x[..., 3] (one column, one axis
    fewer) in the plan's code."""
    x = af.Parameter(np.arange(16.0).reshape(4, 4), name="x")
    graph = af.FlowGraph(af.ops.Trailing(x, np.zeros((4, 3)), axis=-1))
    values = [graph.fprop() for _ in range(3)]
    assert graph.ran["fprop"] == "plan"
    np.testing.assert_array_equal(values[2], x.value[..., 3:])
    assert "[..., 3:]" in graph.source()
