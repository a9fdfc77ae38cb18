"""Grid and random search: every grid point once, declared distributions sampled,
selection on validation error only, failures recorded, resume, joblib and Dask alike."""
import json
import math

import numpy as np
import pytest
from scipy import stats

from autograd_flow import select
from autograd_flow.cli import main
from autograd_flow.data import load_dataset
from autograd_flow.select import (
    Choice,
    IntUniform,
    LogUniform,
    Uniform,
    grid_search,
    random_search,
)


class Recorder:
    """A stub objective: a made-up validation error from the config, every call kept."""

    def __init__(self, fail=()):
        self.calls = []
        self.fail = fail

    def __call__(self, config, seed):
        self.calls.append((dict(config), seed))
        if config.get("a") in self.fail:
            raise ValueError(f"boom at a={config['a']}")
        return {"valid_error": error_of(config), "seed_seen": seed}


def error_of(config):
    return abs(config.get("a", 0) - 2.2) / 10 + (0.01 if config.get("b") == "y" else 0.0)


def tiny_splits():
    return load_dataset("moons", n_samples=120, seed=0)


TINY = {"epochs": 3, "batch_size": 16, "patience": 2}


# ------------------------------------------------------------------ grid search


def test_a_grid_runs_every_point_exactly_once():
    recorder = Recorder()
    space = {"a": [1, 2, 3], "b": ["x", "y"], "c": 5, "d": (4, 4)}
    result = grid_search(space, objective=recorder, n_jobs=1, seed=7)
    configs = [c for c, _ in recorder.calls]
    expected = [{"a": a, "b": b, "c": 5, "d": (4, 4)} for a in (1, 2, 3) for b in "xy"]
    assert configs == expected and len(result.trials) == 6
    assert [t.index for t in result.trials] == list(range(6))
    assert {seed for _, seed in recorder.calls} == {7}
    assert result.best.config == {"a": 2, "b": "x", "c": 5, "d": (4, 4)}
    assert result.names == ["a", "b"]  # c and d are fixed


def test_grid_needs_lists_not_distributions():
    with pytest.raises(ValueError, match="'lr'.*loguniform:0.001:1"):
        select.grid_points({"lr": LogUniform(1e-3, 1)})
    with pytest.raises(ValueError, match="no values"):
        select.grid_points({"lr": []})


# ------------------------------------------------------------------ random search


def test_random_search_samples_the_declared_distributions():
    space = {"u": Uniform(2, 5), "l": LogUniform(1e-3, 10.0), "i": IntUniform(1, 4),
             "c": Choice(["a", "b", "c"]), "fixed": 3}
    points = select.sample_points(space, 4000, seed=0)
    u = np.array([p["u"] for p in points])
    l = np.array([p["l"] for p in points])
    i = np.array([p["i"] for p in points])
    c = [p["c"] for p in points]
    assert u.min() >= 2 and u.max() < 5 and l.min() >= 1e-3 and l.max() < 10
    assert stats.kstest(u, stats.uniform(2, 3).cdf).pvalue > 1e-3
    assert stats.kstest(np.log10(l), stats.uniform(-3, 4).cdf).pvalue > 1e-3
    # and log-uniform is not uniform: the same test rejects that
    assert stats.kstest(l, stats.uniform(1e-3, 10).cdf).pvalue < 1e-6
    assert set(i) == {1, 2, 3, 4}
    assert stats.chisquare(np.bincount(i)[1:]).pvalue > 1e-3
    assert stats.chisquare([c.count(v) for v in "abc"]).pvalue > 1e-3
    assert all(p["fixed"] == 3 for p in points)
    assert all(type(p["i"]) is int and type(p["u"]) is float for p in points)


def test_sampling_is_seeded_and_a_longer_search_extends_a_shorter_one():
    space = {"lr": LogUniform(1e-3, 1), "hidden": [[10], [20, 20]]}
    assert select.sample_points(space, 5, seed=1) == select.sample_points(space, 5, seed=1)
    assert select.sample_points(space, 8, seed=1)[:5] == select.sample_points(space, 5, seed=1)
    assert select.sample_points(space, 5, seed=1) != select.sample_points(space, 5, seed=2)
    assert {tuple(p["hidden"]) for p in select.sample_points(space, 50)} == {(10,), (20, 20)}


def test_random_search_runs_n_trials():
    recorder = Recorder()
    result = random_search({"a": Uniform(0, 4)}, 7, objective=recorder, n_jobs=1)
    assert len(recorder.calls) == 7 and len(result.trials) == 7
    best = min(result.trials, key=lambda t: t.valid_error)
    assert result.best is best


def test_distribution_specs_parse_and_print_back():
    for text in ["uniform:0:0.9", "loguniform:0.001:1", "int:1:5", "choice:tanh,relu"]:
        assert select.parse_distribution(text).spec() == text
    assert select.parse_distribution("10,20x20") == Choice([10, (20, 20)])
    assert select.parse_value("none") is None and select.parse_value("1e-3") == 0.001
    with pytest.raises(ValueError, match="unknown distribution"):
        select.parse_distribution("normal:0:1")
    with pytest.raises(ValueError, match="0 < low"):
        LogUniform(0, 1)


def test_space_files_in_yaml_and_json(tmp_path):
    (tmp_path / "space.yaml").write_text(
        "method: random\ntrials: 5\nspace:\n  lr: loguniform:1e-3:1\n"
        "  hidden: [[50], [100, 100]]\n  epochs: 10\n")
    method, space, trials = select.read_space(tmp_path / "space.yaml")
    assert (method, trials) == ("random", 5)
    assert space == {"lr": LogUniform(1e-3, 1), "hidden": [[50], [100, 100]], "epochs": 10}
    (tmp_path / "space.json").write_text(json.dumps({"space": {"lr": [0.1, 0.2]}}))
    assert select.read_space(tmp_path / "space.json") == ("grid", {"lr": [0.1, 0.2]}, None)
    (tmp_path / "bad.json").write_text(json.dumps({"lr": [0.1]}))
    with pytest.raises(ValueError, match="'space:'"):
        select.read_space(tmp_path / "bad.json")


def test_train_config_casts_plain_values_and_names_unknown_options():
    config = select.train_config({"hidden": "100x50", "lr": 1, "epochs": 3.0,
                                  "decay": "none"})
    assert config.hidden == (100, 50) and config.lr == 1.0 and config.epochs == 3
    assert config.decay is None and type(config.lr) is float
    assert select.train_config({"hidden": 7}).hidden == (7,)
    assert select.train_config({"hidden": [8, 4]}).hidden == (8, 4)
    with pytest.raises(ValueError, match="unknown training option 'learning_rate'"):
        select.train_config({"learning_rate": 0.1})
    with pytest.raises(ValueError, match="whole number"):
        select.train_config({"epochs": 2.5})


# ------------------------------------------------------------------ selection on validation


class Leaky(Recorder):
    """Its test error is best where the validation error is worst."""

    def __init__(self):
        super().__init__()
        self.tested = []

    def test(self, config, seed):
        self.tested.append(dict(config))
        return {"test_error": 1 - error_of(config)}


def test_the_best_trial_is_chosen_on_validation_and_tested_once():
    objective = Leaky()
    result = grid_search({"a": [0, 1, 2, 3, 4]}, objective=objective, n_jobs=1)
    assert result.best.config == {"a": 2}  # lowest validation error, highest test error
    assert objective.tested == [{"a": 2}]
    assert result.test_error == pytest.approx(1 - error_of({"a": 2}))
    no_test = grid_search({"a": [0, 1]}, objective=Leaky(), n_jobs=1, evaluate_test=False)
    assert no_test.test_error is None


def test_training_trials_never_see_the_test_set(monkeypatch):
    import autograd_flow.learn.training as train_module

    calls = []
    real_train = train_module.train

    def spy(config, splits, **options):
        calls.append((config.lr, options.get("evaluate_test", True)))
        return real_train(config, splits, **options)

    monkeypatch.setattr(train_module, "train", spy)
    space = {"lr": [0.001, 0.5], "hidden": [[4]], **TINY}
    result = grid_search(space, tiny_splits(), n_jobs=1)
    assert calls[:2] == [(0.001, False), (0.5, False)]
    assert calls[2:] == [(result.best.config["lr"], True)]
    assert all("test_error" not in t.metrics for t in result.trials)
    assert result.test_error is not None and 0 <= result.test_error <= 1
    assert result.best_model is not None
    assert result.final["valid_error"] == result.best.valid_error  # the same model again


# ------------------------------------------------------------------ failures and resume


def test_a_failing_trial_is_recorded_and_the_search_goes_on():
    def objective(config, seed):
        if config["a"] == 1:
            raise ValueError("boom")
        return {"valid_error": math.nan if config["a"] == 2 else config["a"] / 10}

    result = grid_search({"a": [0, 1, 2, 3]}, objective=objective, n_jobs=1)
    assert [t.status for t in result.trials] == ["ok", "failed", "failed", "ok"]
    assert result.trials[1].error == "ValueError: boom"
    assert "valid_error=nan" in result.trials[2].error
    assert result.best.config == {"a": 0} and len(result.failed) == 2
    assert "boom" in result.table()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_diverging_training_run_is_a_failed_trial():
    space = {"lr": [0.1, 1e6], "hidden": [[4, 4]], "activation": "linear", **TINY}
    result = grid_search(space, tiny_splits(), n_jobs=1, evaluate_test=False)
    assert [t.status for t in result.trials] == ["ok", "failed"]
    assert result.trials[1].error.startswith("NonFiniteError")


class Interrupted(Recorder):
    def __call__(self, config, seed):
        if len(self.calls) == 2:
            raise KeyboardInterrupt
        return super().__call__(config, seed)


def test_an_interrupted_search_resumes_without_repeating_finished_trials(tmp_path):
    path = tmp_path / "results.jsonl"
    space = {"a": [0, 1, 2, 3], "b": ["x", "y"]}
    with pytest.raises(KeyboardInterrupt):
        grid_search(space, objective=Interrupted(), n_jobs=1, results_path=path)
    assert len(path.read_text().splitlines()) == 2
    with path.open("a") as handle:
        handle.write('{"index": 5, "config": {"a"')  # a line cut short by the interruption
    recorder = Recorder()
    result = grid_search(space, objective=recorder, n_jobs=1, results_path=path)
    assert [c for c, _ in recorder.calls] == [{"a": a, "b": b} for a in (1, 2, 3)
                                              for b in "xy"]
    assert all(t.status == "ok" for t in result.trials) and result.best.config["a"] == 2
    # a larger grid later runs only the new points
    again = Recorder()
    grid_search({**space, "a": [0, 1, 2, 3, 4]}, objective=again, n_jobs=1,
                results_path=path)
    assert [c for c, _ in again.calls] == [{"a": 4, "b": "x"}, {"a": 4, "b": "y"}]


def test_failed_trials_are_kept_on_resume_unless_retried(tmp_path):
    path = tmp_path / "results.jsonl"
    grid_search({"a": [1, 2]}, objective=Recorder(fail=(1,)), n_jobs=1, results_path=path)
    kept = Recorder()
    result = grid_search({"a": [1, 2]}, objective=kept, n_jobs=1, results_path=path)
    assert kept.calls == [] and result.trials[0].error == "ValueError: boom at a=1"
    retried = Recorder()
    result = grid_search({"a": [1, 2]}, objective=retried, n_jobs=1, results_path=path,
                         retry_failed=True)
    assert [c for c, _ in retried.calls] == [{"a": 1}] and not result.failed


# ------------------------------------------------------------------ backends


class WhereRun:
    def __call__(self, config, seed):
        import os

        return {"valid_error": config["a"] / 10, "pid": os.getpid()}


def test_trials_run_in_worker_processes_by_default():
    import os

    result = grid_search({"a": [1, 2, 3, 4]}, objective=WhereRun(), n_jobs=2)
    pids = {t.metrics["pid"] for t in result.trials}
    assert os.getpid() not in pids and [t.valid_error for t in result.trials] == \
        [0.1, 0.2, 0.3, 0.4]


def test_local_processes_give_the_same_results_as_one_process():
    space = {"lr": [0.05, 0.5], "hidden": [[3], [6]], **TINY}
    splits = tiny_splits()
    serial = grid_search(space, splits, n_jobs=1, evaluate_test=False)
    parallel = grid_search(space, splits, n_jobs=2, evaluate_test=False)
    assert [t.metrics for t in parallel.trials] == [t.metrics for t in serial.trials]


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_results_as_local_processes():
    distributed = pytest.importorskip("distributed")
    space = {"lr": LogUniform(0.01, 1.0), "hidden": [[3], [6]], **TINY}
    splits = tiny_splits()
    local = random_search(space, 4, splits, n_jobs=1, seed=3)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        remote = random_search(space, 4, splits, seed=3, scheduler=cluster.scheduler_address)
        with distributed.Client(cluster) as client:
            failing = grid_search({"a": [0, 1]}, objective=Recorder(fail=(1,)),
                                  scheduler=client)
            assert client.status == "running"  # a Client given by the user stays open
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    assert [t.config for t in remote.trials] == [t.config for t in local.trials]
    assert [t.metrics for t in remote.trials] == [t.metrics for t in local.trials]
    assert remote.best.index == local.best.index
    assert remote.test_error == local.test_error
    assert [t.status for t in failing.trials] == ["ok", "failed"]


class Slow:
    """A stub objective that takes ``a`` seconds (picklable, for Dask workers)."""

    def __call__(self, config, seed):
        import time

        time.sleep(config["a"])
        return {"valid_error": config["a"]}


def test_trials_a_dask_cluster_loses_are_recorded_as_lost_and_run_again(tmp_path):
    import os
    import signal
    import threading

    distributed = pytest.importorskip("distributed")
    path = tmp_path / "results.jsonl"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        worker = next(iter(client.run(os.getpid).values()))

        def kill_the_worker():  # in the middle of trial 1, with trial 2 waiting
            while not path.exists() or not path.read_text():
                threading.Event().wait(0.02)
            os.kill(worker, signal.SIGKILL)

        threading.Thread(target=kill_the_worker, daemon=True).start()
        with pytest.raises(select.ClusterLostError) as lost:
            grid_search({"a": [0, 5, 6]}, objective=Slow(), scheduler=client,
                        results_path=path)
    assert str(lost.value) == (
        f"lost the Dask cluster at {cluster.scheduler_address}: 2 of 3 trial(s) did not "
        "finish (cancelled by the cluster: already forgotten); they are recorded as lost in "
        f"{path} and run again when the search resumes")
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["status"] for r in records] == ["ok", "lost", "lost"]
    assert [t.key for t in select.read_results(path).values()] == \
        [select.Trial(0, {"a": 0}, 0).key]  # lost trials are not finished
    recorder = Recorder()  # resumed, here in this process: only the lost trials run
    result = grid_search({"a": [0, 5, 6]}, objective=recorder, n_jobs=1, results_path=path)
    assert [c for c, _ in recorder.calls] == [{"a": 5}, {"a": 6}]
    assert [t.status for t in result.trials] == ["ok", "ok", "ok"]


# ------------------------------------------------------------------ reports and CLI


def test_table_csv_json_and_plot(tmp_path):
    result = grid_search({"a": [0, 2, 4], "b": ["x", "y"]}, objective=Recorder(fail=(4,)),
                         n_jobs=1)
    lines = result.table().splitlines()
    assert lines[1].startswith("* 2 ") and "failed" in lines[-1]
    rows = result.to_csv(tmp_path / "r.csv").read_text().splitlines()
    assert rows[0].startswith("index,status,a,b,valid_error") and len(rows) == 7
    saved = json.loads(result.to_json(tmp_path / "r.json").read_text())
    assert saved["best"]["config"] == {"a": 2, "b": "x"} and len(saved["trials"]) == 6
    figure = result.plot(tmp_path / "r.png")
    assert len(figure.axes) == 2 and (tmp_path / "r.png").stat().st_size > 1000
    assert "2 failed" in figure.texts[0].get_text()


def test_search_command_writes_the_run_folder_and_resumes(tmp_path, capsys):
    run_dir = tmp_path / "run"
    argv = ["search", "--dataset", "moons", "--n-samples", "120", "--grid", "lr=0.05,0.5",
            "--set", "hidden=4", "--set", "epochs=3", "--jobs", "1", "--quiet",
            "--run-dir", str(run_dir)]
    assert main(argv) == 0
    names = {p.name for p in run_dir.iterdir()}
    assert {"results.csv", "results.json", "results.jsonl", "validation_error.png",
            "best_model.npz"} <= names
    assert "best (validation error" in capsys.readouterr().out
    assert main(argv) == 2  # the folder holds a search: refuse to mix without --resume
    assert "--resume" in capsys.readouterr().err
    # --resume alone restores the saved space and data: nothing left to run
    assert main(["search", "--out", str(run_dir), "--resume", "--no-progress"]) == 0
    assert len((run_dir / "results.jsonl").read_text().splitlines()) == 2
    assert main(argv + ["--resume", "--grid", "lr=0.05,0.5,1"]) == 0
    assert len((run_dir / "results.jsonl").read_text().splitlines()) == 3
    saved = json.loads((run_dir / "results.json").read_text())
    assert len(saved["trials"]) == 3 and saved["test_error"] is not None


def test_a_regression_search_uses_diabetes_and_adam_unless_told(tmp_path):
    """As train: --task regression alone means diabetes, and trials train with Adam
    unless the space sets the optimizer (SGD at its default lr diverges on a squared
    error: at epoch 12 on diabetes)."""
    diabetes = load_dataset("diabetes")
    assert select.TrainObjective(diabetes).config({}, 0).optimizer == "adam"
    assert select.TrainObjective(diabetes).config({"optimizer": "sgd"}, 0).optimizer == "sgd"
    assert select.TrainObjective(load_dataset("moons")).config({}, 0).optimizer == "sgd"
    run_dir = tmp_path / "run"
    assert main(["search", "--task", "regression", "--grid", "hidden=8,16",
                 "--set", "epochs=20", "--jobs", "1", "--quiet", "--no-test",
                 "--run-dir", str(run_dir)]) == 0
    assert json.loads((run_dir / "search.json").read_text())["dataset"] == "diabetes"
    trials = json.loads((run_dir / "results.json").read_text())["trials"]
    assert all(t["status"] == "ok" and math.isfinite(t["metrics"]["valid_error"]) for t in trials)


def test_search_command_random_space_and_errors(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["search", "--dataset", "moons", "--n-samples", "120", "--random",
                 "lr=loguniform:0.01:1", "--set", "hidden=3", "--set", "epochs=2",
                 "--trials", "2", "--jobs", "1", "--quiet", "--no-test",
                 "--run-dir", str(run_dir)]) == 0
    saved = json.loads((run_dir / "results.json").read_text())
    assert saved["space"]["lr"] == "loguniform:0.01:1" and saved["test_error"] is None
    assert main(["search", "--random", "rate=uniform:0:1", "--run-dir",
                 str(tmp_path / "x")]) == 2
    assert "unknown training option(s) rate" in capsys.readouterr().err
    assert main(["search", "--grid", "lr=0.1", "--random", "l2=uniform:0:1"]) == 2


def test_resume_with_more_trials_extends_a_random_search(tmp_path, capsys):
    run_dir = tmp_path / "run"
    first = ["search", "--dataset", "moons", "--n-samples", "120", "--random",
             "lr=loguniform:0.01:1", "--set", "hidden=3", "--set", "epochs=2", "--trials",
             "2", "--jobs", "1", "--quiet", "--no-test", "--optimizer", "adam",
             "--out", str(run_dir)]
    assert main(first) == 0
    done = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    assert [t["config"]["optimizer"] for t in done] == ["adam", "adam"]
    assert main(["search", "--out", str(run_dir), "--resume", "--trials", "4",
                 "--quiet"]) == 0
    extended = [json.loads(line)
                for line in (run_dir / "results.jsonl").read_text().splitlines()]
    assert len(extended) == 4 and extended[:2] == done  # the first two were not rerun
    assert json.loads((run_dir / "search.json").read_text())["trials"] == 4
    assert main(["search", "--out", str(run_dir), "--resume", "--quiet"]) == 0  # finished
    assert len((run_dir / "results.jsonl").read_text().splitlines()) == 4
    capsys.readouterr()
    assert main(["search", "--out", str(run_dir), "--resume", "--trials", "3"]) == 2
    assert "random search of 4 trials: --trials 3 would leave some out" in \
        capsys.readouterr().err


def test_resume_of_a_grid_search_refuses_trials(tmp_path, capsys):
    run_dir = tmp_path / "grid"
    assert main(["search", "--dataset", "moons", "--n-samples", "120", "--grid",
                 "lr=0.1", "--set", "hidden=3", "--set", "epochs=1", "--jobs", "1",
                 "--quiet", "--no-test", "--out", str(run_dir)]) == 0
    capsys.readouterr()
    assert main(["search", "--out", str(run_dir), "--resume", "--trials", "8"]) == 2
    assert "holds a grid search" in capsys.readouterr().err


def test_search_help_states_the_defaults_trials_use(capsys):
    from dataclasses import asdict

    from autograd_flow.learn.training import TrainConfig

    with pytest.raises(SystemExit):
        main(["search", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name, value in asdict(TrainConfig()).items():
        assert f"{name}={select.format_value(value)}" in text, name
    assert "epochs=100" in text and "patience=20" in text and "dtype=float32" in text


def test_the_progress_bar_shows_the_best_error_as_the_table_does(capsys):
    def objective(config, seed):
        return {"valid_error": config["a"], "task": "classification"}

    result = grid_search({"a": [0.05, 0.03056]}, objective=objective, n_jobs=1,
                         progress=True)
    bar = capsys.readouterr().err
    assert "best valid error=3.06%" in bar and "0.03056" not in bar
    assert "3.06%" in result.table()


def test_a_results_file_that_is_a_symbolic_link_is_refused(tmp_path):
    outside = tmp_path / "outside.jsonl"
    outside.write_text("not ours\n")
    link = tmp_path / "results.jsonl"
    link.symlink_to(outside)
    with pytest.raises(ValueError, match="is a symbolic link"):
        grid_search({"a": [1, 2]}, objective=Recorder(), n_jobs=1, results_path=link)
    assert outside.read_text() == "not ours\n"


def test_retry_failed_runs_the_failed_trials_of_a_search_again(tmp_path, capsys):
    out = tmp_path / "s"
    argv = ["search", "--dataset", "moons", "--n-samples", "120", "--grid", "lr=0.1,1e6",
            "--set", "hidden=4x4", "--set", "activation=linear", "--set", "epochs=2",
            "--jobs", "1", "--quiet", "--no-test", "--out", str(out)]
    assert main(argv) == 0
    log = out / "results.jsonl"
    assert main(["search", "--out", str(out), "--resume", "--quiet", "--jobs", "1"]) == 0
    assert len(log.read_text().splitlines()) == 2  # nothing ran again
    assert main(["search", "--out", str(out), "--resume", "--retry-failed", "--quiet",
                 "--jobs", "1"]) == 0
    assert [json.loads(line)["status"] for line in log.read_text().splitlines()] == \
        ["ok", "failed", "failed"]  # the failed trial ran again (and failed again)
    capsys.readouterr()
    assert main([*argv[:-2], "--out", str(tmp_path / "t"), "--retry-failed"]) == 2
    assert "--retry-failed runs the failed trials of a search again: give it with " \
        "--resume" in capsys.readouterr().err


def test_errors_show_in_percent_for_classification(tmp_path):
    result = select.grid_search({"lr": [0.05, 0.5], "hidden": 4, "epochs": 2},
                                load_dataset("moons", n_samples=120), n_jobs=1,
                                evaluate_test=False)
    assert result.error_is_rate
    assert f"validation error {result.best.valid_error:.2%}" in result.summary()
    assert f"{result.best.valid_error:.2%}" in result.table()
    axes = result.plot().axes[0]
    assert axes.get_ylabel() == "validation error (%)"
    plotted = sorted(axes.collections[0].get_offsets()[:, 1])
    assert plotted == pytest.approx(sorted(100 * t.valid_error for t in result.trials))
