"""Concurrent runs: a second run into a folder another run holds is refused (train,
search, resume, either order) and the lock never outlives its holder (kill -9 included);
runs started in the same second without --out get folders of their own."""
import json
import os

import pytest
from hostile_support import run_cli, start_cli, wait_for

from autograd_flow.learn.runfolder import LOCK, FolderBusyError, RunFolder, new_run_dir

LONG = ["--dataset", "moons", "--n-samples", "300", "--hidden", "64", "--epochs", "5000",
        "--patience", "5000", "--no-progress", "--no-plots"]
QUICK = ["--dataset", "moons", "--n-samples", "100", "--hidden", "4", "--epochs", "1",
         "--no-progress", "--no-plots"]


def holding(folder, process):
    try:
        return f"pid {process.pid}," in (folder / LOCK).read_text()
    except OSError:
        return False


@pytest.mark.slow
def test_a_second_run_into_a_held_folder_is_refused_and_the_lock_dies_with_its_holder(
        tmp_path):
    first = start_cli(["train", *LONG, "--out", "p"], tmp_path)
    try:
        folder = tmp_path / "p"
        wait_for(lambda: holding(folder, first) and (folder / "checkpoint.npz").exists(),
                 what="the first run to hold the folder")
        settings = (folder / "run.json").read_bytes()
        attempts = [["train", *QUICK, "--out", "p"],
                    ["train", *QUICK, "--out", "p", "--overwrite"],
                    ["train", "--resume", "--out", "p", "--no-progress"],
                    ["search", "--grid", "lr=0.1", "--set", "epochs=1", "--dataset", "moons",
                     "--jobs", "1", "--no-progress", "--out", "p"]]
        for args in attempts:
            done = run_cli(args, tmp_path)
            assert done.returncode == 2, (args, done.stderr)
            assert done.stderr.strip() == (
                f"autograd-flow {args[0]}: error: p is in use by another run (pid "
                f"{first.pid}, autograd-flow train, since "
                f"{done.stderr.split('since ')[1].split(')')[0]}): wait until it ends, or "
                "choose another --out")
        assert (folder / "run.json").read_bytes() == settings  # nothing of theirs got in
        assert first.poll() is None  # the first run goes on
    finally:
        first.kill()
        first.wait()
    assert (folder / LOCK).exists()  # left by kill -9, but no longer held:
    done = run_cli(["train", "--resume", "--out", "p", "--epochs", "2", "--no-progress",
                    "--no-plots"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (folder / LOCK).exists()


def test_runs_started_in_the_same_second_get_folders_of_their_own(tmp_path):
    runs = [start_cli(["train", *QUICK], tmp_path) for _ in range(3)]
    for process in runs:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    folders = sorted(os.listdir(tmp_path / "runs"))
    assert len(folders) == 3
    for name in folders:  # each holds one whole run
        assert json.loads((tmp_path / "runs" / name / "run.json").read_text())["dataset"] \
            == "moons"
        assert (tmp_path / "runs" / name / "model.npz").exists()


def test_default_names_are_made_exclusively(tmp_path):
    base = tmp_path / "runs" / "moons-20261126-101502"
    made = [new_run_dir(base) for _ in range(3)]
    assert [p.name for p in made] == ["moons-20261126-101502", "moons-20261126-101502-2",
                                      "moons-20261126-101502-3"]
    assert all(p.is_dir() for p in made)


def test_the_lock_is_held_for_the_block_and_removed_after(tmp_path):
    with RunFolder(tmp_path / "p", "run.json", (), "config", "first") as first:
        text = (first.path / LOCK).read_text()
        assert text.startswith(f"pid {os.getpid()}, first, since ")
        with pytest.raises(FolderBusyError, match=f"p is in use by another run \\(pid "
                                                  f"{os.getpid()}, first"):
            with RunFolder(tmp_path / "p", "run.json", (), "config", "second"):
                pass
    assert not (tmp_path / "p" / LOCK).exists()
    with RunFolder(tmp_path / "p", "run.json", (), "config", "third"):
        pass
