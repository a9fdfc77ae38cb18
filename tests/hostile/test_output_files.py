"""Files the commands write where the user names them (``predict --out``, ``viz -o``):
an existing file is replaced only with --overwrite, in one step, and never a file a run
wrote in its run folder; a file that appears while another is written keeps its
content (the write fails instead); viz, like predict and gradcheck, takes a run folder
for its model. (The refusals, one line each with every file unchanged, are rows of
test_cli_table.py.)"""
import json
import os

import pytest
from hostile_support import run_cli, temporaries

import autograd_flow as af
from autograd_flow import cli, viz
from autograd_flow.cli.output import run_owning
from autograd_flow.learn.files import TEMPORARY, atomic_file, temporary_name


@pytest.mark.parametrize("command, prefix", [
    (["predict", "RUN", "moons", "--out"], "prediction,p_0,p_1"),
    (["viz", "RUN", "-o"], "digraph"),
])
def test_a_file_is_replaced_only_with_overwrite(command, prefix, run, tmp_path, capsys):
    path = tmp_path / ("mine.csv" if command[0] == "predict" else "mine.dot")
    path.write_text("my own file\n")
    args = [str(run) if arg == "RUN" else arg for arg in command] + [str(path)]
    assert cli.main(args) == 2
    assert f"{path} exists: add --overwrite" in capsys.readouterr().err
    assert path.read_text() == "my own file\n"
    assert cli.main([*args, "--overwrite"]) == 0
    assert path.read_text().startswith(prefix)
    assert temporaries(tmp_path) == []


def test_a_file_made_while_another_is_written_is_kept(tmp_path):
    path = tmp_path / "p.csv"
    with pytest.raises(FileExistsError, match="p.csv exists"):
        with atomic_file(path, "w", exclusive=True) as file:
            file.write("ours\n")
            path.write_text("theirs\n")  # another process, between the check and the move
    assert path.read_text() == "theirs\n" and temporaries(tmp_path) == []
    with atomic_file(path, "w") as file:  # the default replaces, in one step
        file.write("ours\n")
    assert path.read_text() == "ours\n"
    graph, drawing = af.FlowGraph(af.tanh(af.Input("x"))), tmp_path / "g.dot"
    drawing.write_text("mine\n")
    with pytest.raises(FileExistsError):
        viz.to_svg(graph, drawing, overwrite=False)
    assert drawing.read_text() == "mine\n"
    assert viz.to_svg(graph, drawing).read_text().startswith("digraph")


def test_the_files_of_a_run_are_known_and_others_are_not(run, tmp_path):
    assert run_owning(run / "model.npz") == "autograd-flow train"
    assert run_owning(run / "graph.svg") is None  # --no-plots: the run drew none
    assert run_owning(run / "predictions.csv") is None
    assert run_owning(tmp_path / "model.npz") is None  # no run in the folder


def test_viz_and_gradcheck_take_a_run_folder_as_predict_does(run, tmp_path, capsys):
    assert cli.main(["viz", str(run), "-o", str(tmp_path / "g.dot")]) == 0
    assert "MLP [2, 4, 2]" in (tmp_path / "g.dot").read_text()
    assert cli.main(["gradcheck", str(run), "--examples", "2"]) == 0
    assert cli.main(["predict", str(run), "moons"]) == 0
    assert cli.main(["viz", str(tmp_path), "-o", str(tmp_path / "h.dot")]) == 2
    assert f"{tmp_path} is a folder without a model.npz" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["p" * 240 + ".csv", "q" * 251 + ".csv",
                                  "é" * 124 + "ab.csv"])  # 244, 255 and 254 bytes
def test_a_long_file_name_is_written_as_any_other(run, tmp_path, capsys, name):
    path = tmp_path / name
    assert cli.main(["predict", str(run), "moons", "--out", str(path)]) == 0, \
        capsys.readouterr().err
    assert path.read_text().startswith("prediction,p_0,p_1")
    assert os.listdir(tmp_path) == [name]  # no temporary file left
    temporary = temporary_name(path)
    assert len(os.fsencode(temporary.name)) <= 255 and temporary.parent == tmp_path
    assert TEMPORARY.match(temporary.name)


def test_predict_takes_a_search_folder_and_says_it_uses_its_best_model(tmp_path):
    search = ["search", "--grid", "lr=0.1,0.3", "--set", "epochs=2", "--set", "hidden=4",
              "--dataset", "moons", "--n-samples", "200", "--jobs", "1", "--no-progress",
              "--out", "s"]
    assert run_cli(search, tmp_path).returncode == 0
    test_error = json.loads((tmp_path / "s" / "results.json").read_text())["test_error"]
    done = run_cli(["predict", "s", "moons", "--out", "p.csv"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "note: s is the folder of a search: using its best configuration's model, "
        "s/best_model.npz",
        "40 predictions for the moons test split; written to p.csv",
        f"error rate on the moons test split: {test_error:.2%} "
        f"({round(test_error * 40)} of 40 wrong)"]  # the search's own test error
    (tmp_path / "s" / "best_model.npz").unlink()  # as when every trial failed
    done = run_cli(["predict", "s", "moons"], tmp_path)
    assert done.returncode == 2
    assert done.stderr == ("autograd-flow predict: error: s is a folder without a model.npz "
                           "(a run of 'autograd-flow train') or best_model.npz (a search's): "
                           "give a model file, or the folder of such a run\n")
