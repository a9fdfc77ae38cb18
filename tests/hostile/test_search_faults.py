"""Faults of a search: a Dask cluster that dies in the middle (an error, its trials
recorded as lost and run again on --resume), a results file that is a symbolic link
(refused, the file it points to untouched), and a trial whose training diverges (its
error says nothing untrue about where its results are)."""
import json
import subprocess
import sys

import pytest
from hostile_support import run_cli, start_cli, wait_for

SEARCH = ["--dataset", "moons", "--n-samples", "200", "--no-progress"]

# a scheduler and one worker (a thread) in one process, so that killing the process
# loses the whole cluster
CLUSTER = """
import time
import distributed
cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                   protocol="tcp://", host="127.0.0.1",
                                   dashboard_address=None)
print(cluster.scheduler_address, flush=True)
while True:
    time.sleep(60)
"""


def statuses(log):
    return [json.loads(line)["status"] for line in log.read_text().splitlines()]


@pytest.mark.slow
def test_a_lost_dask_cluster_is_an_error_and_resume_runs_its_lost_trials(tmp_path):
    distributed = pytest.importorskip("distributed")
    cluster = subprocess.Popen([sys.executable, "-c", CLUSTER], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        address = cluster.stdout.readline().strip()
        assert address.startswith("tcp://127.0.0.1:"), address
        # trial 0 ends at once; trials 1 and 2 take about a second each, on one worker
        search = start_cli(["search", "--grid", "epochs=1,3000,3001", "--set",
                            "patience=3000", *SEARCH, "--scheduler", address, "--out", "s"],
                           tmp_path)
        log = tmp_path / "s" / "results.jsonl"
        wait_for(lambda: log.exists() and log.read_text().count("\n") >= 1, timeout=60,
                 what="the first trial")
        cluster.kill()  # the scheduler and its worker, in the middle of trial 1
        out, err = search.communicate(timeout=60)
    finally:
        cluster.kill()
        cluster.wait()
    assert search.returncode == 2, err
    assert "Traceback" not in err and "CancelledError" not in err
    header, line = err.strip().splitlines()
    assert line.startswith(f"autograd-flow search: error: lost the Dask cluster at {address}: "
                           "2 of 3 trial(s) did not finish (the connection to the scheduler "
                           "was lost)")
    assert line.endswith("1 finished trial(s) are kept there; once the cluster runs again, "
                         f"continue with autograd-flow search --out s --resume --scheduler "
                         f"{address}")
    assert statuses(log) == ["ok", "lost", "lost"]
    assert not (tmp_path / "s" / "results.csv").exists()  # no result of a broken search

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  protocol="tcp://", host="127.0.0.1",
                                  dashboard_address=None) as healthy:
        done = run_cli(["search", "--out", "s", "--resume", "--no-progress", "--no-test",
                        "--scheduler", healthy.scheduler_address], tmp_path)
    assert done.returncode == 0, done.stderr
    assert statuses(log) == ["ok", "lost", "lost", "ok", "ok"]  # only the lost ones ran
    rows = (tmp_path / "s" / "results.csv").read_text().splitlines()[1:]
    assert [row.split(",")[1] for row in rows] == ["ok", "ok", "ok"]


def test_a_symlinked_results_file_is_refused_and_what_it_points_to_untouched(tmp_path):
    done = run_cli(["search", "--grid", "lr=0.1,0.2", "--set", "epochs=1", *SEARCH,
                    "--jobs", "1", "--no-test", "--out", "s"], tmp_path)
    assert done.returncode == 0, done.stderr
    outside = tmp_path / "elsewhere.jsonl"
    outside.write_text("my own notes\n")
    log = tmp_path / "s" / "results.jsonl"
    log.unlink()
    log.symlink_to(outside)
    done = run_cli(["search", "--out", "s", "--resume", "--no-progress", "--jobs", "1"],
                   tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"autograd-flow search: error: s/results.jsonl is a symbolic link (to {outside}); "
        "autograd-flow never writes through one (what it points to is left as it is): "
        "remove the link, or choose another --out")
    assert outside.read_text() == "my own notes\n"
    assert log.is_symlink()


def test_a_diverged_trial_says_nothing_untrue_about_its_results(tmp_path):
    done = run_cli(["search", "--grid", "lr=0.1,1e6", "--set", "hidden=4x4", "--set",
                    "activation=linear", "--set", "epochs=3", *SEARCH, "--jobs", "1",
                    "--out", "s"], tmp_path)
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "s" / "results.jsonl").read_text().splitlines()[1])
    assert record["status"] == "failed"
    assert record["error"].startswith("NonFiniteError: training diverged: the loss became nan")
    assert record["error"].endswith("Lower the learning rate (lr=1000000.0) or the momentum "
                                    "(0.9).")
    for text in (done.stdout, (tmp_path / "s" / "results.csv").read_text()):
        assert "training diverged" in text
        assert "run folder" not in text and "nothing was saved" not in text
