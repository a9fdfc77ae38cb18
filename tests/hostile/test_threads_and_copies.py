"""One graph, several threads; a graph pickled and deep-copied (issue 20).

A graph's boxes hold the values of the step that ran last, so a graph used from two
threads at once gave 1 or 2 wrong values or gradients in 120 steps, in silence. A second
thread entering a step is now refused (ConcurrentUseError), and so is a bprop that would
differentiate another thread's fprop; every step that is not refused is right. A
pickled or deep-copied graph is a working graph with the same numbers."""
from __future__ import annotations

import copy
import pickle
import threading

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.errors import ConcurrentUseError


def mlp() -> tuple[af.FlowGraph, af.Input, af.Input, list[af.Parameter]]:
    rng = np.random.default_rng(0)
    x, y = af.Input("x"), af.Input("y")
    W1 = af.Parameter(rng.standard_normal((16, 3)), name="W1")
    b1 = af.Parameter(np.zeros(16), name="b1")
    W2 = af.Parameter(rng.standard_normal((4, 16)), name="W2")
    logits = af.linear(af.tanh(af.linear(x, W1, b1)), W2)
    return af.FlowGraph(af.softmax_cross_entropy(logits, y)), x, y, [W1, b1, W2]


def batch(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    size = 8 + seed % 5  # batches of several sizes, as the "core dimension" errors
    return {"x": rng.standard_normal((size, 3)), "y": rng.integers(0, 4, size)}


def expected(seeds: list[int]) -> dict[int, tuple[float, list[np.ndarray]]]:
    graph, _, _, params = mlp()
    results = {}
    for seed in seeds:
        loss = graph.fprop(batch(seed))
        grads = graph.bprop()
        results[seed] = (loss, [grads[p].copy() for p in params])
    return results


def test_a_graph_run_from_several_threads_is_never_wrong_in_silence() -> None:
    """4 threads x 120 steps on one graph: each step is right or refused by name."""
    graph, _, _, params = mlp()
    seeds = list(range(40))
    reference = expected(seeds)
    wrong: list[str] = []
    refused = [0]
    done = [0]
    start = threading.Barrier(4)

    def work(worker: int) -> None:
        start.wait()
        for step in range(120):
            seed = seeds[(worker * 7 + step) % len(seeds)]
            try:
                loss = graph.fprop(batch(seed))
                grads = graph.bprop()
                values = [grads[p].copy() for p in params]
            except ConcurrentUseError:
                refused[0] += 1
                continue
            done[0] += 1
            want_loss, want_grads = reference[seed]
            if loss != want_loss or any(not np.array_equal(g, w)
                                        for g, w in zip(values, want_grads)):
                wrong.append(f"worker {worker} step {step}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not wrong, wrong
    assert done[0] + refused[0] == 4 * 120
    assert done[0] > 0


class Held(af.Box):
    """The identity, whose fprop waits (outside the GIL) until the test lets it go."""

    def __init__(self, a, entered: threading.Event, release: threading.Event) -> None:
        self.entered, self.release = entered, release
        super().__init__(a)

    def fprop(self, a):
        self.entered.set()
        self.release.wait(10)
        return a

    def bprop(self, grad, a):
        return grad


def test_a_second_thread_entering_a_step_is_refused_and_the_first_step_is_right() -> None:
    entered, release = threading.Event(), threading.Event()
    x = af.Input("x")
    w = af.Parameter(np.array([1.0, 2.0]), name="w")
    graph = af.FlowGraph(af.sum(Held(x * w, entered, release)))
    result: list = []
    first = threading.Thread(target=lambda: result.append(graph.fprop({x: np.ones(2)})))
    first.start()
    assert entered.wait(10)
    with pytest.raises(ConcurrentUseError, match=r"fprop of FlowGraph.*another thread.*"
                                                 r"copy.deepcopy\(graph\)"):
        graph.fprop({x: np.full(2, 5.0)})
    with pytest.raises(ConcurrentUseError, match="bprop of FlowGraph"):
        graph.bprop()
    release.set()
    first.join()
    assert result == [3.0]
    with pytest.raises(ConcurrentUseError, match="last fprop of its boxes ran in another"):
        graph.bprop()  # the step is the other thread's
    assert graph.fprop({x: np.ones(2)}) == 3.0  # this thread's turn now
    np.testing.assert_array_equal(graph.bprop()[w], [1.0, 1.0])


def test_bprop_after_another_threads_fprop_is_refused() -> None:
    graph, _, _, params = mlp()
    graph.fprop(batch(1))
    other = threading.Thread(target=lambda: graph.fprop(batch(2)))
    other.start()
    other.join()
    with pytest.raises(ConcurrentUseError, match="last fprop of its boxes ran in another"):
        graph.bprop()
    graph.fprop(batch(1))  # a new step of this thread
    np.testing.assert_array_equal(graph.bprop()[params[0]], expected([1])[1][1][0])


def test_graphs_sharing_boxes_share_the_guard() -> None:
    """af.hvp runs graphs derived from the forward one: they hold the same boxes."""
    entered, release = threading.Event(), threading.Event()
    w = af.Parameter(np.array([1.0, 2.0]), name="w")
    loss = af.sum(Held(w * w, entered, release))
    graph = af.FlowGraph(loss)
    first = threading.Thread(target=graph.fprop)
    first.start()
    assert entered.wait(10)
    with pytest.raises(ConcurrentUseError):
        af.FlowGraph(af.sum(w * 3)).fprop()
    release.set()
    first.join()


def test_one_graph_used_by_several_threads_in_turn_is_fine() -> None:
    """Sequential use from other threads (a web server's request threads, a lock held
    around each step) is not refused."""
    graph, _, _, params = mlp()
    reference = expected(list(range(6)))
    lock = threading.Lock()
    results: dict[int, tuple] = {}

    def step(seed: int) -> None:
        with lock:
            loss = graph.fprop(batch(seed))
            results[seed] = (loss, [graph.bprop()[p].copy() for p in params])

    threads = [threading.Thread(target=step, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for seed, (loss, grads) in results.items():
        assert loss == reference[seed][0]
        for got, want in zip(grads, reference[seed][1]):
            np.testing.assert_array_equal(got, want)


def run_steps(graph: af.FlowGraph, params: list[af.Parameter], steps: int = 4) -> list:
    """Values and gradients of a few steps (the third on runs a compiled plan)."""
    out = []
    for seed in range(steps):
        loss = graph.fprop(batch(seed))
        grads = graph.bprop()
        out.append((loss, [grads[p].copy() for p in params]))
    return out


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
@pytest.mark.parametrize("ran", [0, 4])
def test_a_copied_graph_works_and_gives_the_same_numbers(how, ran) -> None:
    """Issue 20: pickle.dumps(graph) failed once a plan was compiled (a local function),
    and copy.deepcopy(graph) gave a graph that could not be fed by name."""
    graph, x, _, params = mlp()
    run_steps(graph, params, ran)
    copied = pickle.loads(pickle.dumps(graph)) if how == "pickle" else copy.deepcopy(graph)
    assert isinstance(copied, af.FlowGraph) and copied is not graph
    assert [p.name for p in copied.parameters] == [p.name for p in params]
    assert all(p is not q for p, q in zip(copied.parameters, params))
    for p, q in zip(copied.parameters, params):
        np.testing.assert_array_equal(p.value, q.value)
    want = run_steps(graph, params)
    got = run_steps(copied, copied.parameters)
    for (loss, grads), (copied_loss, copied_grads) in zip(want, got):
        assert copied_loss == loss
        for g, c in zip(grads, copied_grads):
            np.testing.assert_array_equal(c, g)
    copied_x = copied.inputs[0]  # fed by the copied Input box too
    assert copied_x.name == "x" and copied_x is not x
    assert copied.fprop({copied_x: batch(0)["x"], "y": batch(0)["y"]}) == want[0][0]
    with pytest.raises(af.FeedError, match="not an Input of this graph"):
        copied.fprop({x: batch(0)["x"], "y": batch(0)["y"]})


def test_a_copied_graph_runs_in_another_thread_while_the_original_runs() -> None:
    """The remedy the refusal names: each thread its own copy."""
    graph, _, _, params = mlp()
    reference = expected(list(range(20)))
    copies = [copy.deepcopy(graph) for _ in range(3)]
    wrong: list[int] = []

    def work(g: af.FlowGraph) -> None:
        for seed in range(20):
            loss = g.fprop(batch(seed))
            if loss != reference[seed][0]:
                wrong.append(seed)
            g.bprop()

    threads = [threading.Thread(target=work, args=(g,)) for g in [graph, *copies]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not wrong


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_copied_graph_indexed_by_a_fed_box_works(how) -> None:
    """The marker GetItem keeps for an index box was copied as a new object, so the copy
    refused its own index ("only integers, slices ... are valid indices")."""
    x, ids = af.Input("x"), af.Input("ids")
    graph = af.FlowGraph(af.sum(af.tanh(x)[None, ids] * 2.0), wrt=[x])
    feed = {"x": np.array([-1.0, 0.5, 2.0]), "ids": np.array([2, 0, 2])}
    copied = pickle.loads(pickle.dumps(graph)) if how == "pickle" else copy.deepcopy(graph)
    assert copied.fprop(feed) == graph.fprop(feed)
    (want,), (got,) = graph.bprop().values(), copied.bprop().values()
    np.testing.assert_array_equal(got, want)
