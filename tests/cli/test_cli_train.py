"""`autograd-flow train` and `autograd-flow predict` end to end on small settings:
classification and regression, the run folder, resume (bit for bit with Adam too)."""
import csv
import json

import numpy as np
import pytest

from autograd_flow.cli import main
from autograd_flow.io import load_model

SMALL = ["--dataset", "moons", "--n-samples", "200", "--hidden", "8", "--epochs", "3",
         "--no-progress"]


def test_train_writes_every_artefact_and_predict_applies_the_model(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", *SMALL, "--out", str(run)]) == 0
    printed = capsys.readouterr().out
    assert "train" in printed and "valid" in printed and "test" in printed
    for name in ("model.npz", "checkpoint.npz", "run.json", "metrics.json", "history.csv",
                 "curves.png", "regions.png", "graph.svg"):
        assert (run / name).stat().st_size > 0, name
    for name in ("curves.png", "regions.png"):
        assert (run / name).read_bytes().startswith(b"\x89PNG")
    assert "<svg" in (run / "graph.svg").read_text()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs_run"] == 3 and len(metrics["history"]) == 3
    assert metrics["error"]["test"] == pytest.approx(1 - metrics["accuracy"]["test"])
    assert f"{metrics['error']['test']:.2%}" in printed
    with open(run / "history.csv", newline="") as handle:
        history = list(csv.DictReader(handle))
    assert [int(row["epoch"]) for row in history] == [1, 2, 3]
    assert float(history[-1]["valid_error"]) == metrics["history"][-1]["valid_error"]
    assert set(history[0]) >= {"train_loss", "train_error", "valid_loss", "lr"}

    assert main(["predict", str(run), "moons"]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines() == [
        "40 predictions for the moons test split",
        f"error rate on the moons test split: {metrics['error']['test']:.2%} "
        f"({round(40 * metrics['error']['test'])} of 40 wrong)"]  # a summary, no rows
    assert main(["predict", str(run), "moons", "--out", str(tmp_path / "p.csv")]) == 0
    assert "written to" in capsys.readouterr().out
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == "prediction,p_0,p_1" and len(lines) == 1 + 40


def test_predict_on_a_csv_file_with_and_without_labels(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    data = tmp_path / "train.csv"
    data.write_text("answer,a,b,c\n" + "".join(
        f"{label},{a},{b},{c}\n" for label, (a, b, c) in zip(y, X)))
    run = tmp_path / "run"
    assert main(["train", "--dataset", str(data), "--label-column", "answer", "--hidden", "4",
                 "--epochs", "2", "--no-progress", "--no-plots", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["predict", str(run / "model.npz"), str(data), "--print"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "prediction,p_no,p_yes" and len(out.splitlines()) == 61
    assert {line.split(",")[0] for line in out.splitlines()[1:]} <= {"no", "yes"}
    assert "error rate on" in err
    unlabeled = tmp_path / "new.csv"
    unlabeled.write_text("a,b,c\n1,2,3\n-1,-2,-3\n")
    assert main(["predict", str(run), str(unlabeled), "--print"]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 3 and "error rate" not in err
    assert load_model(run / "model.npz").classes.tolist() == ["no", "yes"]
    assert list(load_model(run / "model.npz").predict(np.array([[1.0, 2, 3]]))) in (
        ["no"], ["yes"])


def test_resume_continues_a_run(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", *SMALL, "--epochs", "2", "--no-plots", "--out", str(run)]) == 0
    assert main(["train", *SMALL, "--out", str(run)]) == 2  # a run is there already
    assert "add --resume to continue it, --overwrite" in capsys.readouterr().err
    assert main(["train", "--resume", "--epochs", "4", "--no-progress", "--no-plots",
                 "--out", str(run)]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert [h["epoch"] for h in metrics["history"]] == [1, 2, 3, 4]
    assert metrics["config"]["hidden"] == [8]
    assert main(["train", *SMALL, "--epochs", "1", "--no-plots", "--overwrite",
                 "--out", str(run)]) == 0
    assert len(json.loads((run / "metrics.json").read_text())["history"]) == 1


def test_errors_are_reported_without_a_traceback(tmp_path, capsys):
    assert main(["train", *SMALL, "--lr", "1e38", "--dtype", "float32", "--no-plots",
                 "--out", str(tmp_path / "nan")]) == 2
    assert "training diverged" in capsys.readouterr().err
    assert main(["train", "--dataset", str(tmp_path / "missing.csv"), "--no-progress"]) == 2
    assert "cannot read the CSV file" in capsys.readouterr().err
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    assert main(["predict", str(bad), "moons"]) == 2
    assert "truncated or corrupted" in capsys.readouterr().err


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for option in ("--hidden", "--activation", "--optimizer", "--lr", "--momentum",
                   "--betas", "--eps", "--rmsprop-alpha", "--task", "--decay",
                   "--decay-rate", "--warmup", "--batch-size", "--epochs", "--l1", "--l2",
                   "--patience", "--seed", "--dataset", "--label-column", "--dtype", "--out",
                   "--resume", "--no-progress"):
        assert option in text
    assert "sgd for classification, adam for regression" in " ".join(text.split())


@pytest.mark.slow
def test_defaults_reach_three_percent_test_error_on_digits(tmp_path, capsys):
    run = tmp_path / "digits"
    assert main(["train", "--no-progress", "--no-plots", "--out", str(run)]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["dataset"] == "digits" and metrics["n_examples"]["test"] == 360
    assert metrics["error"]["test"] <= 0.03


def test_train_and_predict_on_an_npz_file(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((80, 2))
    np.savez(tmp_path / "data.npz", X=X, y=(X[:, 0] > 0).astype(int))
    run = tmp_path / "run"
    assert main(["train", "--dataset", str(tmp_path / "data.npz"), "--hidden", "4",
                 "--epochs", "5", "--no-progress", "--out", str(run)]) == 0
    assert (run / "regions.png").exists()  # 2-D data
    capsys.readouterr()
    assert main(["predict", str(run), str(tmp_path / "data.npz"), "--out",
                 str(tmp_path / "p.csv")]) == 0
    assert "error rate on" in capsys.readouterr().out
    assert len((tmp_path / "p.csv").read_text().splitlines()) == 81


def test_regression_on_diabetes_reports_mse_and_r2_and_predicts(tmp_path, capsys):
    run = tmp_path / "diabetes"
    assert main(["train", "--task", "regression", "--hidden", "16", "--epochs", "30",
                 "--optimizer", "adam", "--lr", "0.01", "--no-progress",
                 "--out", str(run)]) == 0
    printed = capsys.readouterr().out
    assert "diabetes: 264 train / 89 valid / 89 test examples, 10 features, regression" \
        in printed and "MSE" in printed and "R^2" in printed
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["task"] == "regression" and 0.25 < metrics["r2"]["test"] < 0.7
    assert metrics["mse"]["test"] == metrics["error"]["test"] < 4000
    model = load_model(run / "model.npz")
    assert model.task == "regression" and model.classes.size == 0
    for name in ("curves.png", "graph.svg", "history.csv"):
        assert (run / name).exists()
    assert main(["predict", str(run), "diabetes"]) == 0
    printed = capsys.readouterr().out
    assert f"MSE {metrics['mse']['test']:.4g}" in printed
    assert f"R^2 {metrics['r2']['test']:.3f}" in printed
    assert main(["predict", str(run), "diabetes", "--out", str(tmp_path / "p.csv")]) == 0
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == "prediction" and len(lines) == 90 and 25 < float(lines[1]) < 346


@pytest.mark.parametrize("data", [["--task", "regression"], ["--dataset", "diabetes"]])
def test_regression_with_the_default_optimizer_learns(tmp_path, capsys, data):
    """SGD at lr 0.1 with momentum 0.9 diverged at epoch 12 on diabetes: regression
    defaults to Adam, as MLPRegressor does."""
    run = tmp_path / "run"
    assert main(["train", *data, "--epochs", "15", "--no-progress", "--no-plots",
                 "--out", str(run)]) == 0, capsys.readouterr().err
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["dataset"] == "diabetes" and metrics["task"] == "regression"
    assert np.isfinite(metrics["mse"]["test"]) and metrics["r2"]["test"] > 0
    assert json.loads((run / "run.json").read_text())["config"]["optimizer"] == "adam"


def test_an_explicit_optimizer_is_kept_for_regression(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--task", "regression", "--optimizer", "sgd", "--lr", "0.01",
                 "--epochs", "1", "--no-progress", "--no-plots", "--out", str(run)]) == 0
    config = json.loads((run / "run.json").read_text())["config"]
    assert config["optimizer"] == "sgd" and config["lr"] == 0.01


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "adagrad"])
def test_resume_with_an_adaptive_optimizer_is_bit_identical(tmp_path, capsys, optimizer):
    options = [*SMALL, "--optimizer", optimizer, "--no-plots", "--patience", "50"]
    whole, split = tmp_path / "whole", tmp_path / "split"
    assert main(["train", *options, "--epochs", "4", "--out", str(whole)]) == 0
    assert main(["train", *options, "--epochs", "2", "--out", str(split)]) == 0
    assert main(["train", "--resume", "--epochs", "4", "--no-progress", "--no-plots",
                 "--out", str(split)]) == 0
    a, b = load_model(whole / "model.npz"), load_model(split / "model.npz")
    for p, q in zip(a.mlp.parameters, b.mlp.parameters):
        assert np.array_equal(p.value, q.value), p.name
    assert (json.loads((whole / "metrics.json").read_text())["history"]
            == json.loads((split / "metrics.json").read_text())["history"])


def test_adagrad_and_the_new_schedules_are_named_on_the_command_line(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", *SMALL, "--optimizer", "adagrad", "--decay", "step",
                 "--decay-rate", "0.5", "--decay-steps", "4", "--no-plots", "--out",
                 str(run)]) == 0
    history = json.loads((run / "metrics.json").read_text())["history"]
    # 120 training points in batches of 32: 4 updates an epoch, so one halving an epoch
    assert [row["lr"] for row in history] == pytest.approx([0.01, 0.005, 0.0025])
    config = json.loads((run / "run.json").read_text())["config"]
    assert (config["optimizer"], config["decay"], config["decay_steps"]) == \
        ("adagrad", "step", 4)
    capsys.readouterr()
    assert main(["train", *SMALL, "--decay", "cosine", "--out", str(tmp_path / "r2")]) == 2
    assert "the cosine decay needs decay_steps" in capsys.readouterr().err
    assert not (tmp_path / "r2").exists()
