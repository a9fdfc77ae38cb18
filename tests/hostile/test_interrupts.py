"""Ctrl-C and SIGTERM at awkward moments: while ``autograd-flow`` starts (its imports),
and while a parallel search starts its worker processes. Each ends with one line of
ours and exit status 130 (Ctrl-C) or 143 (SIGTERM), never a traceback, a worker's
"Fatal Python error" or a warning about leaked resources."""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_support import environment, kill_session, session_processes, wait_for

# the console script, as users run it (``python -m autograd_flow.cli`` imports the
# package before any of its code can take a signal)
COMMAND = shutil.which("autograd-flow", path=str(Path(sys.executable).parent))


def start(args, cwd):
    return subprocess.Popen([COMMAND, *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=environment(),
                            start_new_session=True)


def started_before_python(returncode, err):
    """Whether the signal came while the Python interpreter itself started, before any
    code of autograd_flow ran: killed by it with nothing printed (Python had no
    handler yet), or interrupted in Python's own start-up (``site``)."""
    return (returncode == -signal.SIGINT and err == "") or "<frozen site>" in err


@pytest.mark.skipif(COMMAND is None, reason="the autograd-flow command is not installed")
@pytest.mark.parametrize("delay", [0, 0.05, 0.1, 0.2, 0.4])
def test_ctrl_c_at_any_moment_of_train_exits_130_with_one_line(tmp_path, delay):
    process = start(["train", "--dataset", "moons", "--n-samples", "200", "--hidden", "4",
                     "--epochs", "2000", "--patience", "2000", "--no-progress", "--no-plots",
                     "--out", "run"], tmp_path)
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    if delay == 0 and started_before_python(process.returncode, err):
        return
    assert process.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err, err
    assert out == ""


def loky_workers(session):
    """The joblib worker processes of the search whose session is ``session``."""
    found = []
    for pid in session_processes(session):
        try:
            if b"popen_loky" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            pass
    return found


@pytest.mark.slow
@pytest.mark.skipif(COMMAND is None, reason="the autograd-flow command is not installed")
@pytest.mark.parametrize("number, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["SIGINT", "SIGTERM"])
def test_a_signal_as_the_workers_of_a_search_start_ends_it_with_one_line(tmp_path, number,
                                                                        status):
    for delay in (0, 0.03, 0.08):  # after the first worker process appears: its start-up
        shutil.rmtree(tmp_path / "s", ignore_errors=True)
        process = start(["search", "--grid", "lr=0.01,0.02,0.03,0.05", "--set",
                         "epochs=3000", "--set", "patience=3000", "--dataset", "moons",
                         "--n-samples", "200", "--jobs", "2", "--no-progress", "--out", "s"],
                        tmp_path)
        try:
            wait_for(lambda process=process: loky_workers(process.pid), timeout=60,
                     what="the first worker process")
            time.sleep(delay)
            os.killpg(process.pid, number)  # as a terminal's Ctrl-C, or kill of the group
            out, err = process.communicate(timeout=60)
            assert process.returncode == status, err
            lines = err.strip().splitlines()
            assert lines[0].startswith("grid search over lr, epochs, patience: 4 trials")
            assert lines[1:] == ["", "interrupted: 0 finished trial(s) are kept in "
                                 "s/results.jsonl; continue with autograd-flow search --out "
                                 "s --resume"], err
            wait_for(lambda process=process: not session_processes(process.pid), timeout=10,
                     what="the workers to exit")
        finally:
            kill_session(process.pid)
