"""Graph files (af.save / af.load): every primitive of the op tables, random graphs, the
MLP, the layers notebook's CNN and custom boxes come back giving the saved graph's
values and gradients bit for bit, with their names and scopes; the loaded graph trains
on with the same numbers, draws, gradchecks and differentiates to second order. A
custom box loads only when its class is passed; a box that cannot be rebuilt from its
__init__ arguments is refused when saving, naming it."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import autograd_flow as af
import autograd_flow.testing.strategies as S
from autograd_flow import ops
from autograd_flow.errors import GraphFileError, ModelFileError
from autograd_flow.io import read_archive, write_archive
from autograd_flow.learn import graphfile
from autograd_flow.nn import MLP, BatchNorm, Conv2d, Dropout, Linear, Sequential, max_pool2d
from tests.ops.test_table import ALL_ROWS


class Cube(af.Box):
    """y = a**3;   d a = 3 a**2 d y"""

    def fprop(self, a):
        return a ** 3

    def bprop(self, grad, a):
        return 3 * a * a * grad


class Scale(af.Box):
    """y = factor * a (a setting kept as an attribute of its name)"""

    def __init__(self, a, factor, name=None):
        super().__init__(a, name=name)
        self.factor = factor

    def fprop(self, a):
        return self.factor * a

    def bprop(self, grad, a):
        return self.factor * grad


class Renamed(af.Box):
    """Keeps its argument under another name: it cannot be rebuilt from a file."""

    def __init__(self, a, factor):
        super().__init__(a)
        self.k = 2 * factor

    def fprop(self, a):
        return self.k * a

    def bprop(self, grad, a):
        return self.k * grad


def same(a, b) -> bool:
    """Equal bit for bit: dtype, shape and entries (NaN where NaN)."""
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(same, a, b))
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def round_trip(graph: af.FlowGraph, tmp_path, boxes=None) -> af.FlowGraph:
    path = tmp_path / "graph.npz"
    af.save(graph, path)
    return af.load(path, boxes=boxes)


def assert_same_runs(saved: af.FlowGraph, loaded: af.FlowGraph, feed: dict, steps: int = 3,
                     seed=None, backward: bool = True) -> None:
    """fprop and bprop, ``steps`` times (the third runs a compiled plan), give the same
    numbers; the loaded graph's Inputs, Parameters and outputs have the saved names."""
    assert [b.name for b in loaded.inputs] == [b.name for b in saved.inputs]
    assert [b.name for b in loaded.parameters] == [b.name for b in saved.parameters]
    assert [b.name for b in loaded.outputs] == [b.name for b in saved.outputs]
    assert [type(b) for b in loaded.order] == [type(b) for b in saved.order]
    by_name = {box.name: value for box, value in feed.items()}
    for _ in range(steps):
        assert same(loaded.fprop(by_name), saved.fprop(feed))
        if saved.wrt and backward:
            grads, loaded_grads = saved.bprop(seed), loaded.bprop(seed)
            for box, twin in zip(saved.wrt, loaded.wrt):
                assert box.name == twin.name
                assert same(loaded_grads[twin], grads[box]), box.name


def custom_classes(graph: af.FlowGraph) -> list[type]:
    return list({type(b) for b in graph.order if type(b).__name__ not in graphfile.KINDS})


# -- every primitive -----------------------------------------------------------------------

@pytest.mark.parametrize("case", ALL_ROWS, ids=lambda case: case.id)
def test_every_op_table_row_round_trips_bit_for_bit(case, tmp_path) -> None:
    box, _ = case.build(case.arrays(np.random.default_rng(0)))
    saved = af.FlowGraph(box)
    value = saved.fprop()
    seed = None if np.size(value) == 1 else np.ones(np.shape(value), np.asarray(value).dtype)
    custom = custom_classes(saved)
    assert not set(custom) & {*ops.PRIMITIVES, *ops.PLUMBING}  # declared: loaded by kind
    loaded = round_trip(saved, tmp_path, boxes=custom)
    assert_same_runs(saved, loaded, {}, steps=1, seed=seed, backward=case.differentiable)


# -- random graphs -------------------------------------------------------------------------

RANDOM = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                         HealthCheck.function_scoped_fixture])


@RANDOM
@given(S.flow_graphs(max_boxes=8))
def test_random_graphs_round_trip_bit_for_bit(tmp_path, random) -> None:
    saved = random.graph
    assert_same_runs(saved, round_trip(saved, tmp_path), random.feed)


@RANDOM
@given(S.flow_graphs(["add", "tanh", "mul", "sum", "matmul", Cube], max_boxes=6,
                     dtype=np.float32))
def test_random_graphs_with_a_custom_box_round_trip_bit_for_bit(tmp_path, random) -> None:
    saved = random.graph
    assert_same_runs(saved, round_trip(saved, tmp_path, boxes=[Cube]), random.feed)


# -- networks ------------------------------------------------------------------------------

def mlp_problem(dtype=np.float64):
    rng = np.random.default_rng(0)
    mlp = MLP([4, 6, 3], "tanh", seed=0, dtype=dtype)
    x, y = af.Input("x"), af.Input("y")
    loss = af.softmax_cross_entropy(mlp(x), y) + 1e-3 * af.l2_penalty(mlp.weights)
    feed = {x: rng.standard_normal((8, 4)).astype(dtype), y: rng.integers(0, 3, 8)}
    return af.FlowGraph(loss), feed


def cnn(seed=0):
    """The layers notebook's network, narrower."""
    return Sequential(
        Conv2d(1, 2, 3, padding=1, bias=False, seed=seed, dtype=np.float32, name="conv1"),
        BatchNorm(2, dtype=np.float32, name="bn1"), af.relu,
        lambda h: max_pool2d(h, 2, name="pool1"),
        Conv2d(2, 3, 3, padding=1, bias=False, seed=seed + 1, dtype=np.float32, name="conv2"),
        BatchNorm(3, dtype=np.float32, name="bn2"), af.relu,
        lambda h: max_pool2d(h, 2, name="pool2"),
        lambda h: h.reshape(-1, 3 * 2 * 2),
        Dropout(0.3, seed=seed, name="dropout"),
        Linear(3 * 2 * 2, 10, seed=seed + 2, dtype=np.float32, name="output"))


def cnn_problem():
    rng = np.random.default_rng(1)
    net = cnn()
    x, y = af.Input("x"), af.Input("y")
    net.train()
    train = af.FlowGraph(af.softmax_cross_entropy(net(x), y))
    net.eval()
    evaluate = af.FlowGraph(net(x))
    feed = {x: rng.standard_normal((6, 1, 8, 8)).astype(np.float32), y: rng.integers(0, 10, 6)}
    return net, train, evaluate, feed


def test_the_mlp_round_trips_and_trains_on_with_the_same_numbers(tmp_path) -> None:
    saved, feed = mlp_problem()
    loaded = round_trip(saved, tmp_path)
    assert_same_runs(saved, loaded, feed)
    train_on((saved, loaded), (feed, {box.name: value for box, value in feed.items()}))


def train_on(graphs, feeds, steps: int = 4) -> None:
    """``steps`` Adam steps on each graph: the losses and then the parameters are the
    same bit for bit."""
    optimizers = [af.optim.Adam(g.parameters, lr=0.01) for g in graphs]
    for _ in range(steps):
        losses = [g.fprop(f) for g, f in zip(graphs, feeds)]
        for graph, optimizer in zip(graphs, optimizers):
            optimizer.step(graph.bprop())
        assert same(*losses)
    for p, q in zip(graphs[0].parameters, graphs[1].parameters):
        assert same(p.value, q.value), p.name


def test_the_cnn_round_trips_training_and_evaluation_graphs(tmp_path) -> None:
    net, train, evaluate, feed = cnn_problem()
    loaded = round_trip(train, tmp_path)
    assert_same_runs(train, loaded, feed)
    net.end_step()  # new running statistics and dropout masks, saved again below
    loaded_eval = round_trip(evaluate, tmp_path)
    x = next(b for b in feed if b.name == "x")
    assert_same_runs(evaluate, loaded_eval, {x: feed[x]}, seed=np.ones((6, 10), np.float32))
    kinds = {box.scopes[0].kind for box in loaded.order if box.scopes}
    assert {"conv2d", "batchnorm", "max_pool2d", "dropout", "linear"} <= kinds
    assert [(s.kind, s.name) for s in loaded.outputs[0].scopes] == \
        [(s.kind, s.name) for s in train.outputs[0].scopes]


def test_the_cnn_trains_on_with_the_same_numbers(tmp_path) -> None:
    """(Without end_step: a file holds the graph, not the layers, so the loaded graph
    keeps the dropout masks and running statistics it was saved with.)"""
    _, train, _, feed = cnn_problem()
    loaded = round_trip(train, tmp_path)
    train_on((train, loaded), (feed, {box.name: value for box, value in feed.items()}))


def test_a_loaded_graph_draws_gradchecks_and_differentiates_twice(tmp_path) -> None:
    _, train, _, feed = cnn_problem()
    loaded = round_trip(train, tmp_path)
    by_name = {box.name: value for box, value in feed.items()}
    assert af.viz.to_dot(loaded, collapse=True).source == \
        af.viz.to_dot(train, collapse=True).source
    small = {name: value[:3] for name, value in by_name.items()}
    assert af.gradcheck(loaded, small, max_entries=4).ok
    saved_mlp, mlp_feed = mlp_problem()
    loaded_mlp = round_trip(saved_mlp, tmp_path)
    by_name = {b.name: v for b, v in mlp_feed.items()}
    hessians = [af.hessian(g, g.parameters[-1:], by_name) for g in (saved_mlp, loaded_mlp)]
    assert same(*hessians)


def test_the_loaded_inputs_declare_the_last_feed_with_a_free_batch_size(tmp_path) -> None:
    _, train, _, feed = cnn_problem()
    assert [b.shape for b in round_trip(train, tmp_path).inputs] == [None, None]  # not fed
    train.fprop(feed)
    loaded = round_trip(train, tmp_path)
    x, y = loaded.inputs
    assert (x.shape, x.dtype, y.shape, y.dtype) == \
        ((None, 1, 8, 8), np.float32, (None,), np.int64)
    loaded.fprop({"x": np.zeros((2, 1, 8, 8), np.float32), "y": np.zeros(2, np.int64)})
    with pytest.raises(af.FeedError, match=r"expects shape \(None, 1, 8, 8\)"):
        loaded.fprop({"x": np.zeros((2, 64), np.float32), "y": np.zeros(2, np.int64)})
    declared = af.Input("z", shape=(3,), dtype=np.float64)
    again = round_trip(af.FlowGraph(af.sum(declared * 2)), tmp_path)
    assert (again.inputs[0].shape, again.inputs[0].dtype) == ((3,), np.float64)


def test_outputs_and_wrt_are_kept(tmp_path) -> None:
    x, W = af.Input("x"), af.Parameter(np.arange(6.0).reshape(2, 3), name="W")
    h = af.tanh(x @ W.T, name="h")
    saved = af.FlowGraph([af.sum(h * h, name="loss"), h], wrt=[x])
    loaded = round_trip(saved, tmp_path)
    assert [b.name for b in loaded.wrt] == ["x"]
    assert_same_runs(saved, loaded, {x: np.ones((4, 3))})
    path = tmp_path / "boxes.npz"
    af.save([h, af.exp(h, name="e")], path)
    assert [b.name for b in af.load(path).outputs] == ["h", "e"]


# -- custom boxes --------------------------------------------------------------------------

def custom_graph():
    x = af.Input("x")
    W = af.Parameter(np.linspace(-1, 1, 6).reshape(2, 3), name="W")
    h = Scale(Cube(x @ W.T, name="cube"), 0.5, name="half")
    return af.FlowGraph(af.sum(af.tanh(h)) * 2), {x: np.linspace(-2, 2, 12).reshape(4, 3)}


def test_a_custom_box_round_trips_with_its_class_passed(tmp_path) -> None:
    saved, feed = custom_graph()
    path = tmp_path / "custom.npz"
    af.save(saved, path)
    for boxes in ([Cube, Scale], {"Cube": Cube, "Scale": Scale}):
        loaded = af.load(path, boxes=boxes)
        assert_same_runs(saved, loaded, feed)
    half = next(b for b in loaded.order if b.name == "half")
    assert type(half) is Scale and half.factor == 0.5
    second = []  # differentiating through Cube's bprop on boxes, twice
    for g in (saved, loaded):
        (dW,) = af.grad(g.outputs[0], g.parameters)
        (ddW,) = af.grad(af.sum(dW * dW), g.parameters)
        second.append(af.FlowGraph(ddW).fprop({"x": feed[saved.inputs[0]]}))
    assert same(*second)
    by_name = {box.name: value for box, value in feed.items()}
    assert af.viz.to_dot(loaded).source == af.viz.to_dot(saved).source
    assert af.gradcheck(loaded, by_name).ok
    train_on((saved, loaded), (feed, by_name))


def test_a_custom_box_without_its_class_is_one_error_naming_it(tmp_path) -> None:
    saved, _ = custom_graph()
    path = tmp_path / "custom.npz"
    af.save(saved, path)
    with pytest.raises(GraphFileError, match=r"box \d+ \('cube'\), created at "
                                             r"test_graphfile.py:\d+, is a box of your own "
                                             r"class 'Cube', which loads only with its "
                                             r"class passed: af.load\(path, "
                                             r"boxes=\[Cube\]\) in Python"):
        af.load(path)
    with pytest.raises(GraphFileError, match="class 'Scale'"):
        af.load(path, boxes=[Cube])
    with pytest.raises(TypeError, match="boxes takes Box classes"):
        af.load(path, boxes=[len])


def test_a_box_not_rebuilt_by_its_init_arguments_is_refused_when_saving(tmp_path) -> None:
    box = Renamed(af.Parameter(np.ones(3), name="p"), 3.0)
    path = tmp_path / "renamed.npz"
    with pytest.raises(GraphFileError, match=r"cannot save Renamed 'renamed' \(created at "
                                             r"test_graphfile.py:\d+\): its __init__ argument "
                                             r"'factor' is neither an attribute of that name "
                                             "nor an input"):
        af.save(af.sum(box), path)
    assert not path.exists()
    odd = Scale(af.Parameter(np.ones(3), name="p"), print)
    with pytest.raises(GraphFileError, match="one of its settings is builtin_function"):
        af.save(af.sum(odd), path)
    assert list(tmp_path.iterdir()) == []


# -- the file ------------------------------------------------------------------------------

def test_the_file_is_json_and_npy_members_with_a_version(tmp_path) -> None:
    saved, _ = custom_graph()
    path = tmp_path / "custom.npz"
    af.save(saved, path, info={"note": "mine"})
    arrays, meta = read_archive(path, "graph")
    assert (meta["format"], meta["version"]) == ("autograd_flow.graph", 1)
    assert {n.get("kind") or n.get("custom") for n in meta["nodes"]} >= {
        "Input", "Parameter", "MatMul", "Cube", "Scale", "Tanh", "Sum"}
    assert same(arrays[meta["nodes"][1]["args"][0]["array"]], saved.parameters[0].value)
    assert graphfile.read(path, [Cube, Scale]).info == {"note": "mine"}
    write_archive(path, arrays, {**meta, "version": 2})
    with pytest.raises(GraphFileError, match="graph format version 2, newer than this "
                                             r"autograd_flow reads \(1\): upgrade"):
        af.load(path, boxes=[Cube, Scale])


def test_a_folder_is_no_file_to_save_to(tmp_path) -> None:
    graph = af.FlowGraph(af.sum(af.Parameter(np.ones(2), name="w")))
    with pytest.raises(IsADirectoryError, match=r"is a folder: give af.save a file name, "
                                                 r"such as .*graph.npz"):
        af.save(graph, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_model_file_is_not_a_graph_file(tmp_path) -> None:
    from autograd_flow.io import save_model
    from autograd_flow.learn.model import Model

    save_model(tmp_path / "model.npz", Model(MLP([2, 3, 2]), np.zeros(2), np.ones(2)))
    with pytest.raises(GraphFileError, match="is a model file of 'autograd-flow train', not a "
                                             "graph file: read it with "
                                             "autograd_flow.io.load_model"):
        af.load(tmp_path / "model.npz")
    assert not graphfile.is_graph_file(tmp_path / "model.npz")
    af.save(af.Parameter(np.ones(2), name="p") * 2, tmp_path / "graph.npz")
    assert graphfile.is_graph_file(tmp_path / "graph.npz")
    (tmp_path / "text.npz").write_text("not an archive")
    assert not graphfile.is_graph_file(tmp_path / "text.npz")
    assert issubclass(GraphFileError, ModelFileError)


def test_a_gradient_graph_round_trips_with_its_bprop_scopes(tmp_path) -> None:
    for (saved, feed), boxes in ((mlp_problem(), None), (custom_graph(), [Cube, Scale])):
        gradients = af.FlowGraph(af.grad(saved.outputs[0], saved.parameters))
        gradients.fprop(feed)
        loaded = round_trip(gradients, tmp_path, boxes=boxes)
        assert_same_runs(gradients, loaded, feed, backward=False)
        of = [s.of for box in loaded.order for s in box.scopes if s.kind == "bprop"]
        assert of and all(any(b is box for b in loaded.order) for box in of)
