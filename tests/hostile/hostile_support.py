"""What the hostile-input tests share: running ``autograd-flow`` as a subprocess, taking a
snapshot of a folder's files, small training options, and a workspace full of bad files
(data, models, checkpoints, settings, space files) next to a real run and user files."""
from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from autograd_flow import cli
from autograd_flow.io import read_archive, write_archive

SMALL = ["--dataset", "moons", "--n-samples", "200", "--hidden", "4", "--epochs", "2",
         "--no-progress", "--no-plots"]


def command(*args: str) -> list[str]:
    """The command line of ``autograd-flow ARGS`` with this interpreter."""
    return [sys.executable, "-m", "autograd_flow.cli", *args]


def environment() -> dict[str, str]:
    return {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}


def run_cli(args: Sequence[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``autograd-flow ARGS`` in ``cwd`` and wait for it."""
    return subprocess.run(command(*args), cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=environment())


def start_cli(args: Sequence[str], cwd: Path) -> subprocess.Popen:
    """Start ``autograd-flow ARGS`` in ``cwd`` in its own session (so a signal can go to
    the whole process group, as Ctrl-C in a terminal does)."""
    return subprocess.Popen(command(*args), cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=environment(),
                            start_new_session=True)


def wait_for(condition, timeout: float = 60, what: str = "the condition") -> None:
    """Poll ``condition()`` every 20 ms until it is true (AssertionError after
    ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def session_processes(session: int) -> list[int]:
    """The live (not zombie) processes of the session ``session`` but its leader."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == session:
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(entry))
    return found


def kill_session(session: int) -> None:
    """SIGKILL every process left in ``session`` (test clean-up)."""
    for pid in session_processes(session):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> content)."""
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def temporaries(folder: Path) -> list[str]:
    """Temporary files of atomic writes under ``folder``."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.tmp"))


# -- the workspace of bad inputs -----------------------------------------------------------

def build_workspace(root: Path) -> Path:
    """A folder with a finished run (``run/``), user files (``user/``, ``graph.svg``) and
    every kind of bad file the hostile tests feed the command line."""
    assert cli.main(["train", *SMALL, "--out", str(root / "run")]) == 0
    (root / "user").mkdir()
    (root / "user" / "graph.svg").write_text("<svg>my own drawing</svg>\n")
    (root / "user" / "metrics.json").write_text('{"mine": true}\n')
    (root / "user" / "results.csv").write_text("my,own,results\n")
    (root / "user" / "search.json").write_text('{"my": "notes"}\n')
    (root / "graph.svg").write_text("<svg>drawn by autograd-flow viz</svg>\n")
    (root / "afile").write_text("not a folder\n")
    _data_files(root / "data")
    _model_files(root / "models", root / "run" / "model.npz")
    _run_folders(root / "runs", root / "run")
    _space_files(root / "spaces")
    return root


def _data_files(folder: Path) -> None:
    folder.mkdir()
    from numpy.lib import format as npy

    header = _npy_bytes({"descr": "<f8", "fortran_order": False, "shape": (2 ** 40, 2)},
                        np.zeros(8).tobytes(), npy)
    with zipfile.ZipFile(folder / "huge.npz", "w") as archive:  # declares 2**40 rows
        archive.writestr("X.npy", header)
        archive.writestr("y.npy", _npy_bytes(None, np.zeros(4), npy))
    np.savez(folder / "empty.npz", X=np.zeros((0, 2)), y=np.zeros(0))
    with zipfile.ZipFile(folder / "rawpickle.npz", "w") as archive:  # members are pickles
        archive.writestr("X.npy", pickle.dumps(np.zeros((4, 2))))
        archive.writestr("y.npy", pickle.dumps(np.zeros(4)))
    np.savez(folder / "objects.npz", X=np.zeros((10, 2)),
             y=np.array([{"a": 1}] * 10, dtype=object))
    (folder / "text.npz").write_text("a,b,y\n1,2,0\n3,4,1\n")
    np.save(folder / "single.npy", np.zeros((10, 2)))
    (folder / "single.npy").rename(folder / "single.npz")
    rows = "".join(f"{i},{2 * i},{1e30 if i % 2 else 0}\n" for i in range(40))
    (folder / "labels1e30.csv").write_text("a,b,y\n" + rows)
    (folder / "nan.csv").write_text("a,b,y\n1,2,0\n3,nan,1\n")
    (folder / "ragged.csv").write_text("a,b,y\n1,2,0\n3,4\n")
    (folder / "words.csv").write_text("a,b,y\n1,2,0\n3,four,1\n")
    (folder / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (folder / "far.csv").write_text("x1,x2\n1e300,-1e300\n0.5,0.25\n")


def _npy_bytes(header: dict | None, payload, npy) -> bytes:
    import io

    buffer = io.BytesIO()
    if header is None:
        np.save(buffer, payload)
    else:
        npy.write_array_header_1_0(buffer, header)
        buffer.write(payload)
    return buffer.getvalue()


def _model_files(folder: Path, model: Path) -> None:
    folder.mkdir()
    arrays, meta = read_archive(model, "model")
    write_archive(folder / "inf_sizes.npz", arrays, {**meta, "sizes": [2, float("inf"), 2]})
    write_archive(folder / "huge_sizes.npz", arrays, {**meta, "sizes": [2, 10 ** 12, 2]})
    write_archive(folder / "nan_weights.npz", {**arrays, "W1": arrays["W1"] * np.nan}, meta)
    write_archive(folder / "zero_std.npz", {**arrays, "std": np.zeros_like(arrays["std"])}, meta)
    np.savez(folder / "pickle_member.npz", **arrays, __meta__=np.array(json.dumps(meta)),
             evil=np.array([print], dtype=object))
    with zipfile.ZipFile(folder / "raw_member.npz", "w") as archive:
        archive.writestr("W1.npy", pickle.dumps(arrays["W1"]))
        archive.writestr("__meta__.npy", pickle.dumps(json.dumps(meta)))
    deep = "[" * 100_000 + "]" * 100_000
    np.savez(folder / "deep_meta.npz", **arrays, __meta__=np.array(deep))
    (folder / "text.npz").write_text("not a model\n")


def _run_folders(folder: Path, run: Path) -> None:
    """Copies of the run whose run.json or checkpoint was edited by hand, and one that
    drew its graph.svg."""
    import shutil

    folder.mkdir()
    settings = json.loads((run / "run.json").read_text())
    edits = {"empty_json": "{}", "list_json": "[]",
             "extra_key": json.dumps({**settings, "colour": "blue"}),
             "deep_json": "[" * 100_000 + "]" * 100_000,
             "bad_config": json.dumps({**settings, "config": {**settings["config"],
                                                              "hidden": "abc"}})}
    for name, text in edits.items():
        shutil.copytree(run, folder / name)
        (folder / name / "run.json").write_text(text)
    shutil.copytree(run, folder / "drawn")  # a run that drew its graph.svg
    (folder / "drawn" / "graph.svg").write_text("<svg>drawn by the run</svg>\n")
    (folder / "drawn" / "run.json").write_text(json.dumps(
        {**settings, "files": [*settings["files"], "graph.svg"]}))
    shutil.copytree(run, folder / "best_score")
    arrays, meta = read_archive(run / "checkpoint.npz", "checkpoint")
    write_archive(folder / "best_score" / "checkpoint.npz", arrays,
                  {**meta, "best_score": "12"})
    for name, text in (("search_grid5", '{"grid": 5}'), ("search_list", "[]")):
        (folder / name).mkdir()
        (folder / name / "search.json").write_text(text + "\n")


def _space_files(folder: Path) -> None:
    folder.mkdir()
    (folder / "broken.yaml").write_text("space:\n  lr: [0.1, 0.2\n  hidden: 5\n")
    (folder / "python.yaml").write_text(
        "space:\n  lr: !!python/object/apply:os.system ['touch pwned']\n")
    (folder / "deep.json").write_text('{"space": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (folder / "deep.yaml").write_text("space: " + "[" * 3000 + "]" * 3000 + "\n")
    (folder / "trials0.yaml").write_text(
        "method: random\ntrials: 0\nspace:\n  lr: loguniform:1e-3:1\n")
    (folder / "binary.yaml").write_bytes(bytes(range(128, 256)))
