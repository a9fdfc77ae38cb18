"""Graph files on the command line, each command run as a subprocess: `train` writes
model_graph.npz, whose predictions are the model file's to the last digit; `predict` and
`viz` take any graph file (a CNN built on rows of pixels, saved with af.save); a run
folder without a graph file (an older run) predicts as before."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.nn import BatchNorm, Conv2d, Linear, Sequential, max_pool2d
from tests.hostile.hostile_support import run_cli, snapshot

SMALL = ["--n-samples", "200", "--hidden", "4", "--epochs", "2", "--no-progress",
         "--no-plots"]


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def error_line(result) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("dataset", ["moons", "diabetes"])
def test_train_writes_the_graph_of_its_model_and_predict_gives_the_same_rows(
        tmp_path: Path, dataset: str) -> None:
    ok(run_cli(["train", "--dataset", dataset, *SMALL, "--out", "run"], tmp_path))
    run = tmp_path / "run"
    assert "model_graph.npz" in json.loads((run / "run.json").read_text())["files"]
    graph = af.load(run / "model_graph.npz")
    assert [b.name for b in graph.inputs] == ["x"] and graph.inputs[0].dtype == np.float64
    from_model = ok(run_cli(["predict", "run", dataset, "--print"], tmp_path))
    from_graph = ok(run_cli(["predict", "run/model_graph.npz", dataset, "--print"], tmp_path))
    assert from_graph == from_model and len(from_graph.splitlines()) > 20
    summary = run_cli(["predict", "run/model_graph.npz", dataset], tmp_path)
    assert ok(summary) == ok(run_cli(["predict", "run", dataset], tmp_path))


def test_an_older_run_without_a_graph_file_predicts_as_before(tmp_path: Path) -> None:
    ok(run_cli(["train", "--dataset", "moons", *SMALL, "--out", "run"], tmp_path))
    before = ok(run_cli(["predict", "run", "moons", "--print"], tmp_path))
    (tmp_path / "run" / "model_graph.npz").unlink()
    assert ok(run_cli(["predict", "run", "moons", "--print"], tmp_path)) == before
    assert ok(run_cli(["predict", "run/model.npz", "moons", "--print"], tmp_path)) == before


def save_cnn(path: Path) -> af.FlowGraph:
    """A small CNN on the digits as the graphs_as_files notebook saves one: rows of 64
    raw pixels in, standardized and shaped (N, 1, 8, 8) inside the graph, scores out."""
    net = Sequential(
        Conv2d(1, 2, 3, padding=1, bias=False, seed=0, dtype=np.float32, name="conv1"),
        BatchNorm(2, dtype=np.float32, name="bn1"), af.relu,
        lambda h: max_pool2d(h, 2, name="pool1"),
        lambda h: h.reshape(-1, 2 * 4 * 4), Linear(2 * 4 * 4, 10, seed=1, name="output",
                                                   dtype=np.float32))
    x = af.Input("pixels", shape=(None, 64), dtype=np.float64)
    images = ((x - 4.9) / 6.0).astype(np.float32).reshape(-1, 1, 8, 8)
    graph = af.FlowGraph(net.eval()(images))
    af.save(graph, path)
    return graph


def test_predict_and_viz_take_any_graph_file(tmp_path: Path) -> None:
    graph = save_cnn(tmp_path / "cnn.npz")
    result = run_cli(["predict", "cnn.npz", "digits", "--out", "p.csv"], tmp_path)
    printed = ok(result)
    assert printed.splitlines()[0] == (
        f"note: {'cnn.npz'} names no task: its output, 10 per example, is read as the scores "
        "of 10 classes 0-9 (the largest is the prediction)")
    assert "360 predictions for the digits test split; written to p.csv" in printed
    assert "error rate on the digits test split:" in printed
    rows = (tmp_path / "p.csv").read_text().splitlines()
    assert rows[0] == "prediction," + ",".join(f"score_{c}" for c in range(10))
    from autograd_flow.data import load_dataset

    X = load_dataset("digits").X_test
    expected = graph.fprop({"pixels": X})
    assert [int(r.split(",")[0]) for r in rows[1:]] == expected.argmax(axis=1).tolist()

    ok(run_cli(["viz", "cnn.npz", "-o", "cnn.dot", "--examples", "4"], tmp_path))
    dot = (tmp_path / "cnn.dot").read_text()
    assert "cnn.npz: " in dot and "conv1" in dot and "bn1" in dot and "pool1" in dot


def rows(shape=(None, 2)) -> af.Input:
    return af.Input("x", shape=shape)


@pytest.mark.parametrize("make, args, message", [
    (lambda: af.softmax_cross_entropy(rows() @ af.Parameter(np.ones((2, 3)), name="W").T,
                                      af.Input("y")),
     ["predict", "g.npz", "moons"],
     r"autograd-flow predict: error: the graph in g.npz takes the inputs 'x', 'y'; predict "
     "feeds one"),
    (lambda: rows((None, 1, 2)) * 2, ["predict", "g.npz", "moons"],
     r"the graph in g.npz takes Input 'x' \(created at .*\) of shape \(None, 1, 2\); "
     "predict feeds rows of features"),
    (lambda: af.sum(rows()) * 2, ["predict", "g.npz", "moons"],
     r"gives an output of shape \(\) for 200 examples; predict needs one row per example"),
    (lambda: rows() * 2, ["viz", "g.npz", "--l2", "0.1", "-o", "g.dot"],
     r"--l2 describe an MLP and its loss; the graph file g.npz is drawn as it is"),
])
def test_a_graph_predict_cannot_apply_is_one_line(tmp_path: Path, make, args, message) -> None:
    af.save(make(), tmp_path / "g.npz")
    before = snapshot(tmp_path)
    assert re.search(message, error_line(run_cli(args, tmp_path)))
    assert snapshot(tmp_path) == before


def test_a_graph_file_in_a_run_folder_is_the_runs_file(tmp_path: Path) -> None:
    """predict --out never replaces the run's graph file, even with --overwrite."""
    ok(run_cli(["train", "--dataset", "moons", *SMALL, "--out", "run"], tmp_path))
    shutil.copy(tmp_path / "run" / "model_graph.npz", tmp_path / "copy.npz")
    before = snapshot(tmp_path)
    line = error_line(run_cli(["predict", "copy.npz", "moons", "--out",
                               "run/model_graph.npz", "--overwrite"], tmp_path))
    assert "model_graph.npz" in line
    assert snapshot(tmp_path) == before


class Cube(af.Box):
    """y = a**3"""

    def fprop(self, a):
        return a ** 3

    def bprop(self, grad, a):
        return 3 * a * a * grad


def test_a_graph_of_a_box_of_your_own_is_one_line_saying_where_it_loads(tmp_path: Path) -> None:
    """The command line cannot be given a class: the line says it reads autograd_flow's
    own boxes, and how Python loads the file."""
    af.save(Cube(af.Input("x", shape=(None, 2))), tmp_path / "cube.npz")
    before = snapshot(tmp_path)
    for args in (["predict", "cube.npz", "moons"], ["viz", "cube.npz", "-o", "cube.dot"]):
        line = error_line(run_cli(args, tmp_path))
        assert re.search(r"cube.npz: box 1 \('cube'\), created at test_cli_graph_files.py:\d+, "
                         r"is a box of your own class 'Cube', which loads only with its class "
                         r"passed: af.load\(path, boxes=\[Cube\]\) in Python \(the command "
                         r"line reads graphs of autograd_flow's own boxes only\)$", line), line
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("task, width", [("classification", 3), ("regression", 1),
                                         ("regression", 2)])
def test_the_model_graph_gives_the_models_numbers_bit_for_bit(tmp_path: Path, task, width,
                                                              dtype) -> None:
    """What train writes to model_graph.npz: from raw features, predict_proba's
    probabilities or predict's targets, to the last bit, with the task in its info."""
    from autograd_flow.cli.train_command import model_graph
    from autograd_flow.learn.graphfile import read
    from autograd_flow.learn.model import Model
    from autograd_flow.nn import MLP

    rng = np.random.default_rng(3)
    mlp = MLP([4, 5, width], "tanh", seed=1, dtype=dtype)
    options = {"classes": ["a", "b", "c"]} if task == "classification" else {
        "task": task, "target_mean": rng.normal(size=width) * 10,
        "target_std": rng.uniform(1, 5, width)}
    model = Model(mlp, rng.normal(size=4) * 3, rng.uniform(0.5, 4, 4), **options)
    outputs, info = model_graph(model)
    af.save(outputs, tmp_path / "g.npz", info=info)
    loaded = read(tmp_path / "g.npz")
    X = rng.normal(size=(50, 4)) * 5
    expected = model.predict_proba(X) if task == "classification" else model.predict(X)
    got = loaded.graph.fprop({"x": X})
    assert got.dtype == expected.dtype and np.array_equal(got, expected)
    assert loaded.info["task"] == task
    if task == "classification":
        assert loaded.info["classes"] == ["a", "b", "c"]


def test_viz_examples_keep_a_first_axis_the_input_declares(tmp_path: Path) -> None:
    """--examples N gives N rows where the first axis is free, and the declared size
    where an Input declares one (a vector of 3, a matrix of 2 rows)."""
    z, m = af.Input("z", shape=(3,)), af.Input("m", shape=(2, None, 4))
    af.save(af.sum(z * af.Parameter(np.ones(3), name="w")), tmp_path / "z.npz")
    ok(run_cli(["viz", "z.npz", "-o", "z.dot", "--examples", "5"], tmp_path))
    assert "sum" in (tmp_path / "z.dot").read_text()
    af.save(af.sum(m * 2.0), tmp_path / "m.npz")
    line = error_line(run_cli(["viz", "m.npz", "-o", "m.dot", "--examples", "5"], tmp_path))
    assert "--examples needs the shape of every Input" in line


def test_viz_examples_too_large_for_memory_are_refused_before_drawing(tmp_path: Path) -> None:
    """Shapes come from the file: 80 GB of examples are refused from the arithmetic, in
    viz's words, before numpy is asked for them."""
    af.save(af.sum(af.Input("z", shape=(None, 10 ** 5, 10 ** 5))), tmp_path / "z.npz")
    line = error_line(run_cli(["viz", "z.npz", "-o", "z.dot", "--examples", "1"], tmp_path))
    assert re.search(r"the graph of z.npz run on 1 example would need about .* of memory, "
                     r"more than this machine's .*: use fewer --examples", line), line
