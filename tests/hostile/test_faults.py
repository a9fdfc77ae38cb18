"""Faults: kill -9 at random moments (files stay loadable, the next run removes the
temporary files, resume stays bit-identical), Ctrl-C and kill -9 while a run replaces
another (the old run stays whole until the new one has something to put in its place),
a failed replacement, and Ctrl-C / kill -9 of a parallel search (results kept, workers
gone)."""
import json
import os
import shutil
import signal
import time

import numpy as np
import pytest
from hostile_support import (
    kill_session,
    run_cli,
    session_processes,
    start_cli,
    temporaries,
    wait_for,
)

import autograd_flow as af
from autograd_flow.io import load_model, parameter_shapes, read_archive
from autograd_flow.learn.checkpoint import read_checkpoint
from autograd_flow.learn.runfolder import LOCK, STAGING, RunFolder
from autograd_flow.learn.training import OPTIMIZER_BUFFERS, TrainConfig

# checkpoints of ~3 MB (a 500-500 MLP with momentum and a best copy) and 24 training
# examples: writing a checkpoint is about a quarter of an epoch, so random kills land in
# the middle of some
HEAVY = ["--dataset", "moons", "--n-samples", "40", "--hidden", "500,500", "--patience",
         "200", "--no-progress", "--no-plots"]
QUICK = ["--dataset", "moons", "--n-samples", "200", "--hidden", "4", "--epochs", "2",
         "--no-progress", "--no-plots"]
RUN_FILES = ("run.json", "checkpoint.npz", "model.npz", "model_graph.npz", "metrics.json",
             "history.csv")


def assert_loadable(folder):
    """Every model and checkpoint in ``folder`` reads and passes its checks."""
    settings = json.loads((folder / "run.json").read_text())
    config = TrainConfig(**settings["config"])
    sizes = [2, *config.hidden, 2]
    if (folder / "checkpoint.npz").exists():
        _, meta = read_archive(folder / "checkpoint.npz", "checkpoint")
        read_checkpoint(folder / "checkpoint.npz", config, meta["data"], parameter_shapes(sizes),
                        OPTIMIZER_BUFFERS[config.optimizer])
    if (folder / "model.npz").exists():
        load_model(folder / "model.npz")
    if (folder / "model_graph.npz").exists():
        af.load(folder / "model_graph.npz")


def run_files(folder):
    """The run's own files (not the lock, the staging folder or temporaries)."""
    return {name: (folder / name).read_bytes() for name in RUN_FILES if (folder / name).exists()}


@pytest.mark.slow
def test_kill_9_at_random_moments_keeps_files_loadable_and_resume_bit_identical(tmp_path):
    rng = np.random.default_rng(7)
    epochs = ["--epochs", "80"]
    reference = start_cli(["train", *HEAVY, *epochs, "--out", "reference"], tmp_path)
    victim = tmp_path / "victim"
    process = start_cli(["train", *HEAVY, *epochs, "--out", "victim"], tmp_path)
    planted, natural, epochs_at_kills = None, 0, []
    for _ in range(4):
        def started(process=process, planted=planted):
            return ((victim / "checkpoint.npz").exists() and holds_lock(victim, process)
                    and (planted is None or not planted.exists()))

        wait_for(started, what="the run to start")
        time.sleep(rng.uniform(0.2, 2.0))
        process.kill()  # SIGKILL
        process.wait()
        natural += len(temporaries(victim))
        epochs_at_kills.append(read_archive(victim / "checkpoint.npz", "c")[1]["epoch"])
        assert_loadable(victim)
        if planted is None:  # what a kill in the middle of a checkpoint write leaves
            planted = victim / f".checkpoint.npz.{process.pid}.0badc0de.tmp"
            planted.write_bytes(b"half a checkpoint")
        process = start_cli(["train", "--resume", "--out", "victim", "--no-progress",
                             "--no-plots"], tmp_path)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert reference.wait(timeout=300) == 0, reference.communicate()[1]
    assert temporaries(victim) == [] and not planted.exists()
    assert not (victim / LOCK).exists() and not (victim / STAGING).exists()
    resumed, whole = load_model(victim / "model.npz"), load_model(tmp_path / "reference" /
                                                                    "model.npz")
    for p, q in zip(resumed.mlp.parameters, whole.mlp.parameters):
        assert np.array_equal(p.value, q.value), p.name
    history = [json.loads((folder / "metrics.json").read_text())["history"]
               for folder in (victim, tmp_path / "reference")]
    assert history[0] == history[1]
    print(f"killed after epochs {epochs_at_kills}; temporary files left by the kills: "
          f"{natural} (plus 1 planted); all removed by the next run")


def holds_lock(folder, process):
    """Whether ``process`` holds the run folder's lock (its pid is in the lock file)."""
    try:
        return f"pid {process.pid}," in (folder / LOCK).read_text()
    except OSError:
        return False


def finished_run(folder, *extra):
    done = run_cli(["train", *QUICK, *extra, "--out", folder.name], folder.parent)
    assert done.returncode == 0, done.stderr
    return run_files(folder)


@pytest.mark.slow
def test_kill_9_while_replacing_a_run_keeps_the_old_one(tmp_path):
    old = finished_run(tmp_path / "p")
    process = start_cli(["train", *HEAVY, "--epochs", "500", "--overwrite", "--out", "p"],
                        tmp_path)
    wait_for(lambda: (tmp_path / "p" / STAGING / "checkpoint.npz").exists(),
             what="the new run's first checkpoint")
    process.kill()
    process.wait()
    assert run_files(tmp_path / "p") == old  # the old run is whole and unchanged
    assert_loadable(tmp_path / "p")
    done = run_cli(["train", "--resume", "--out", "p", "--no-progress", "--no-plots"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "removed an unfinished replacement run" in done.stdout
    assert not (tmp_path / "p" / STAGING).exists() and temporaries(tmp_path / "p") == []
    assert json.loads((tmp_path / "p" / "run.json").read_text())["config"]["hidden"] == [4]


def test_a_replacement_cut_short_while_moving_in_is_completed(tmp_path):
    finished_run(tmp_path / "p")
    new = finished_run(tmp_path / "new", "--hidden", "3", "--epochs", "1")
    staging = tmp_path / "p" / STAGING
    shutil.copytree(tmp_path / "new", staging)
    (staging / ".ready").write_text(json.dumps(
        {"files": list(RUN_FILES), "remove": ["graph.svg"]}))
    (tmp_path / "p" / "graph.svg").write_text("an artefact of the old run")
    os.replace(staging / "model.npz", tmp_path / "p" / "model.npz")  # the kill came here
    with RunFolder(tmp_path / "p", "run.json", RUN_FILES + ("graph.svg",), "config") as folder:
        assert "completed the replacement" in folder.clean_leftovers()[0]
    assert run_files(tmp_path / "p") == new
    assert not staging.exists() and not (tmp_path / "p" / "graph.svg").exists()


@pytest.mark.slow
def test_ctrl_c_while_replacing_keeps_what_can_be_resumed(tmp_path):
    old = finished_run(tmp_path / "p")
    # before the new run's first checkpoint: nothing to put in place, the old run stays
    process = start_cli(["train", "--dataset", "moons", "--n-samples", "100000", "--hidden",
                         "8", "--batch-size", "1", "--no-progress", "--no-plots",
                         "--overwrite", "--out", "p"], tmp_path)
    wait_for(lambda: (tmp_path / "p" / STAGING / "run.json").exists(), what="the staging")
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "the earlier run in p is kept unchanged" in err
    assert run_files(tmp_path / "p") == old and not (tmp_path / "p" / STAGING).exists()
    # after it: the new run takes the old one's place and can be resumed
    process = start_cli(["train", *HEAVY, "--epochs", "500", "--overwrite", "--out", "p"],
                        tmp_path)
    wait_for(lambda: (tmp_path / "p" / STAGING / "checkpoint.npz").exists(),
             what="the new run's first checkpoint")
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in err, err
    assert "autograd-flow train --resume --out p" in err
    folder = tmp_path / "p"
    assert sorted(run_files(folder)) == ["checkpoint.npz", "run.json"]  # nothing of the old
    assert json.loads((folder / "run.json").read_text())["config"]["hidden"] == [500, 500]
    assert_loadable(folder)
    assert not (folder / STAGING).exists() and not (folder / LOCK).exists()


def test_a_failed_replacement_keeps_the_old_run(tmp_path):
    old = finished_run(tmp_path / "p")
    done = run_cli(["train", *QUICK, "--lr", "1e38", "--overwrite", "--out", "p"], tmp_path)
    assert done.returncode == 2
    assert "training diverged" in done.stderr
    assert "the earlier run in p is kept unchanged" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert run_files(tmp_path / "p") == old
    assert sorted(os.listdir(tmp_path / "p")) == sorted(old)  # no staging, no lock left


def test_leftovers_of_killed_processes_are_removed_and_nothing_else(tmp_path):
    finished_run(tmp_path / "p")
    folder = tmp_path / "p"
    dead = start_cli(["--version"], tmp_path)
    dead.communicate()
    stale = [folder / f".checkpoint.npz.{dead.pid}.0123abcd.tmp",
             folder / f".model.npz.{dead.pid}.89abcdef.tmp"]
    kept = [folder / f".checkpoint.npz.{os.getpid()}.0123abcd.tmp",  # a live process's
            folder / f".notes.txt.{dead.pid}.0123abcd.tmp",  # not a file a run writes
            folder / "checkpoint.npz.tmp"]
    for path in stale + kept:
        path.write_bytes(b"x")
    with RunFolder(folder, "run.json", RUN_FILES, "config") as run_folder:
        assert run_folder.clean_leftovers() == [
            f"removed 2 temporary file(s) a killed run left in {folder}"]
    assert [p.exists() for p in stale + kept] == [False, False, True, True, True]


@pytest.mark.slow
def test_ctrl_c_during_search_keeps_the_finished_trials_and_stops_the_workers(tmp_path):
    process = start_cli(["search", "--grid", "epochs=1,2,3000,3000", "--set", "patience=3000",
                         "--dataset", "moons", "--n-samples", "200", "--jobs", "2",
                         "--no-progress", "--out", "s"], tmp_path)
    log = tmp_path / "s" / "results.jsonl"
    try:
        wait_for(lambda: log.exists() and len(log.read_text().splitlines()) >= 2
                 and len(session_processes(process.pid)) >= 2, what="two finished trials")
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in a terminal
        out, err = process.communicate(timeout=60)
        assert process.returncode == 130, err
        assert "Traceback" not in err
        assert "2 finished trial(s) are kept" in err
        assert "; continue with autograd-flow search --out s --resume" in err
        assert len(log.read_text().splitlines()) == 2
        wait_for(lambda: not session_processes(process.pid), timeout=10, what="the workers")
    finally:
        kill_session(process.pid)


@pytest.mark.slow
def test_kill_9_of_a_parallel_search_leaves_no_worker_alive(tmp_path):
    process = start_cli(["search", "--grid", "lr=0.01,0.02,0.03,0.05", "--set", "epochs=3000",
                         "--set", "patience=3000", "--dataset", "moons", "--n-samples", "200",
                         "--jobs", "2", "--no-progress", "--out", "s"], tmp_path)
    try:
        wait_for(lambda: len(session_processes(process.pid)) >= 2, what="the workers")
        time.sleep(1)  # the workers start (an idle worker must go too) or train
        workers = session_processes(process.pid)
        process.kill()
        process.wait()
        start = time.monotonic()
        wait_for(lambda: not session_processes(process.pid), timeout=5,
                 what=f"the workers {workers} to exit after kill -9 of the search")
        print(f"{len(workers)} worker processes gone {time.monotonic() - start:.2f} s "
              "after kill -9")
    finally:
        kill_session(process.pid)
