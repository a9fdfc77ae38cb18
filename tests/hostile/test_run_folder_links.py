"""Symbolic links in a run folder: nothing is ever written through one. A lock file, a
staging folder or a file of the run that is a link (to a file of the user's, or to a
name that does not exist yet) makes train and search refuse in one line, and the file
it points to stays as it was (or is not made)."""
import os
import re

import pytest
from hostile_support import SMALL, run_cli

from autograd_flow.learn.runfolder import LOCK, STAGING, RunFolder, RunFolderError

SEARCH = ["search", "--grid", "lr=0.1", "--set", "epochs=1", "--set", "hidden=4",
          "--dataset", "moons", "--n-samples", "100", "--jobs", "1", "--no-progress"]
COMMANDS = {"train": ["train", *SMALL], "search": SEARCH}


def refused(done, command, message):
    """The run exited 2 with one line on standard error that contains ``message``."""
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"autograd-flow {command}: error: "), \
        done.stderr
    assert message in lines[0], lines[0]


@pytest.mark.parametrize("command", ["train", "search"])
def test_a_lock_file_that_is_a_link_is_refused_and_its_target_untouched(tmp_path, command):
    (tmp_path / "run").mkdir()
    (tmp_path / "precious.txt").write_text("my notes\n")
    os.symlink("../precious.txt", tmp_path / "run" / LOCK)
    done = run_cli([*COMMANDS[command], "--out", "run"], tmp_path)
    refused(done, command, f"run/{LOCK} is a symbolic link")
    assert (tmp_path / "precious.txt").read_text() == "my notes\n"
    assert os.listdir(tmp_path / "run") == [LOCK]  # the link is left, nothing written


def test_a_lock_link_to_a_missing_file_makes_no_file(tmp_path):
    (tmp_path / "run").mkdir()
    os.symlink("../made.txt", tmp_path / "run" / LOCK)
    with pytest.raises(RunFolderError, match=f"{LOCK} is a symbolic link"):
        with RunFolder(tmp_path / "run", "run.json", (), "config"):
            pass
    assert not (tmp_path / "made.txt").exists()


@pytest.mark.parametrize("make, message", [
    (os.mkdir, "is not a regular file"),
    (os.mkfifo, "is not a regular file"),
    (lambda path: os.link(path.parent.parent / "precious.txt", path),
     "has other names (hard links)"),
])
def test_a_lock_that_is_not_a_plain_file_of_its_own_is_refused(tmp_path, make, message):
    (tmp_path / "run").mkdir()
    (tmp_path / "precious.txt").write_text("my notes\n")
    make(tmp_path / "run" / LOCK)
    with pytest.raises(RunFolderError, match=re.escape(f"{LOCK} {message}")):
        with RunFolder(tmp_path / "run", "run.json", (), "config"):
            pass
    assert (tmp_path / "precious.txt").read_text() == "my notes\n"


def test_a_staging_name_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / STAGING).write_text("mine\n")
    with pytest.raises(RunFolderError, match=f"{STAGING} is not a folder"):
        with RunFolder(tmp_path / "run", "run.json", (), "config"):
            pass
    assert (tmp_path / "run" / STAGING).read_text() == "mine\n"
    assert not (tmp_path / "run" / LOCK).exists()  # the refusal let the lock go


def test_a_staging_folder_that_is_a_link_is_refused_and_its_target_untouched(tmp_path):
    (tmp_path / "mine").mkdir()  # a folder of the user's that looks like a staged run
    (tmp_path / "mine" / ".ready").write_text('{"files": ["model.npz"], "remove": []}\n')
    (tmp_path / "mine" / "model.npz").write_text("my model\n")
    assert run_cli(["train", *SMALL, "--out", "run"], tmp_path).returncode == 0
    os.symlink("../mine", tmp_path / "run" / STAGING)
    done = run_cli(["train", *SMALL, "--out", "run", "--overwrite"], tmp_path)
    refused(done, "train", f"run/{STAGING} is a symbolic link")
    assert sorted(os.listdir(tmp_path / "mine")) == [".ready", "model.npz"]
    assert (tmp_path / "mine" / "model.npz").read_text() == "my model\n"


def test_a_file_of_the_run_that_is_a_link_is_refused_and_its_target_untouched(tmp_path):
    done = run_cli([*SEARCH, "--out", "s"], tmp_path)
    assert done.returncode == 0, done.stderr
    (tmp_path / "precious.txt").write_text("no newline at the end")
    (tmp_path / "s" / "results.jsonl").unlink()
    os.symlink("../precious.txt", tmp_path / "s" / "results.jsonl")
    done = run_cli([*SEARCH, "--out", "s", "--resume"], tmp_path)
    refused(done, "search", "s/results.jsonl is a symbolic link")
    assert (tmp_path / "precious.txt").read_text() == "no newline at the end"


@pytest.mark.parametrize("command, name", [("search", "results.jsonl"),
                                           ("train", "model.npz")])
def test_a_link_to_a_missing_file_with_the_name_of_a_run_file_makes_no_file(
        tmp_path, command, name):
    (tmp_path / "run").mkdir()
    os.symlink("../made.txt", tmp_path / "run" / name)
    done = run_cli([*COMMANDS[command], "--out", "run"], tmp_path)
    refused(done, command, f"run/{name} is a symbolic link")
    assert not (tmp_path / "made.txt").exists()
    assert os.path.islink(tmp_path / "run" / name)
