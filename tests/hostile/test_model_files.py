"""Model and checkpoint files under hostile input: every entry is checked before use, so
an infinite or enormous size, NaN weights, a zero standard deviation, deeply nested
metadata or a checkpoint whose counters were edited is a ModelFileError naming the file
and the entry, never an OverflowError, a MemoryError, a RecursionError or NaN
predictions; and predictions that are not finite are an error, not class 0. A small
file whose entry unpacks to far more than its architecture holds (a zip bomb) is refused
before anything is unpacked, in little memory."""
import json
import math
import re
import shutil
import subprocess
import sys
import tracemalloc
import zipfile

import hostile_support
import numpy as np
import pytest

from autograd_flow import cli
from autograd_flow.io import (
    ModelFileError,
    load_model,
    parameter_shapes,
    read_archive,
    save_model,
    write_archive,
)
from autograd_flow.learn.checkpoint import OtherRunError, read_checkpoint
from autograd_flow.learn.model import Model
from autograd_flow.learn.training import OPTIMIZER_BUFFERS, TrainConfig
from autograd_flow.nn import MLP


def edited_model(run, tmp_path, arrays=None, **meta):
    saved_arrays, saved_meta = read_archive(run / "model.npz", "model")
    path = tmp_path / "model.npz"
    write_archive(path, {**saved_arrays, **(arrays or {})}, {**saved_meta, **meta})
    return path


@pytest.mark.parametrize("meta, message", [
    ({"sizes": [2, float("inf"), 2]}, "sizes must be a list of at least two whole numbers"),
    ({"sizes": [2, 4.0, 2]}, "sizes must be"),
    ({"sizes": [2, True, 2]}, "sizes must be"),
    ({"sizes": "2,4,2"}, "sizes must be"),
    ({"sizes": [2, 10 ** 12, 2]}, r"array W1 has shape \(4, 2\) dtype float32, the "
                                  r"architecture needs \(1000000000000, 2\)"),
    ({"activation": "swish"}, "unknown activation 'swish'"),
    ({"dtype": "object"}, "dtype must be float32 or float64"),
    ({"task": "ranking"}, "task must be classification or regression"),
    ({"classes": [[1], [2]]}, "classes must be a list of labels"),
    ({"classes": [0, 1, 2]}, "3 classes for 2 outputs"),
    ({"feature_names": ["only one"]}, "feature_names must be 2 names"),
    ({"info": [1, 2]}, "info must be an object"),
])
def test_edited_metadata_is_refused_naming_the_entry(run, tmp_path, meta, message):
    tracemalloc.start()
    with pytest.raises(ModelFileError, match=r"model file .*model.npz is inconsistent or "
                                             r"tampered with: .*" + message):
        load_model(edited_model(run, tmp_path, **meta))
    assert tracemalloc.get_traced_memory()[1] < 2 ** 24  # nothing of that size was built
    tracemalloc.stop()


@pytest.mark.parametrize("name, change, message", [
    ("W1", lambda a: a * np.nan, "array W1 holds 8 NaN or infinite value"),
    ("b2", lambda a: a + np.inf, "array b2 holds 2 NaN or infinite value"),
    ("std", np.zeros_like, r"array std must be finite and > 0"),
    ("std", lambda a: -a, r"array std must be finite and > 0"),
    ("mean", lambda a: a * np.nan, r"array mean must be finite"),
    ("target_std", lambda a: a * 0, r"array target_std must be finite and > 0"),
    ("mean", lambda a: np.array(["a", "b"]), "array mean has shape"),
    ("W2", lambda a: a.astype(np.int64), "array W2 has shape"),
])
def test_arrays_that_would_predict_nan_are_refused(run, tmp_path, name, change, message):
    arrays, _ = read_archive(run / "model.npz", "model")
    with pytest.raises(ModelFileError, match=message):
        load_model(edited_model(run, tmp_path, {name: change(arrays[name])}))


def test_deeply_nested_metadata_is_refused(run, tmp_path):
    arrays, _ = read_archive(run / "model.npz", "model")
    np.savez(tmp_path / "deep.npz", **arrays, __meta__=np.array("[" * 100_000 + "]" * 100_000))
    with pytest.raises(ModelFileError, match="its metadata: the JSON is nested too deeply"):
        load_model(tmp_path / "deep.npz")
    np.savez(tmp_path / "number.npz", **arrays, __meta__=np.array(5.0))
    with pytest.raises(ModelFileError, match="its '__meta__' entry is not a JSON text"):
        load_model(tmp_path / "number.npz")


def test_a_model_with_a_zero_std_cannot_be_made():
    with pytest.raises(ValueError, match="every std > 0"):
        Model(MLP([2, 3, 2]), np.zeros(2), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="must be finite"):
        Model(MLP([2, 3, 2]), np.array([np.nan, 0.0]), np.ones(2))


def checkpoint_of(run):
    settings = json.loads((run / "run.json").read_text())
    config = TrainConfig(**settings["config"])
    _, meta = read_archive(run / "checkpoint.npz", "checkpoint")
    return config, meta["data"], parameter_shapes([2, *config.hidden, 2]), \
        OPTIMIZER_BUFFERS[config.optimizer]


def test_an_honest_checkpoint_passes_its_checks(run):
    arrays, meta = read_checkpoint(run / "checkpoint.npz", *checkpoint_of(run))
    assert meta["epoch"] == 3 and "param/W1" in arrays


@pytest.mark.parametrize("edit, message", [
    ({"best_score": "12"}, "best_score must be two numbers, got '12'"),
    ({"best_score": [0.1]}, "best_score must be two numbers"),
    ({"epoch": "3"}, "epoch must be a whole number >= 0, got '3'"),
    ({"epoch": 2, "best_epoch": 1, "bad_epochs": 0}, "history must list the 2 epochs run"),
    ({"best_epoch": 9}, r"best_epoch \(9\) is past the last epoch \(3\)"),
    ({"bad_epochs": -1}, "bad_epochs must be a whole number >= 0"),
    ({"optimizer_t": 1.5}, "optimizer_t must be a whole number"),
    ({"history": "abc"}, "history must be a list"),
    ({"history": [{"epoch": 1}, {"epoch": 2}, {"epoch": 3, "lr": "fast"}]},
     "history entry 3 is not the numbers of epoch 3"),
    ({"rng": {"bit_generator": "nope"}}, "ValueError|TypeError|KeyError"),
    ({"config": [1]}, "config must be an object"),
])
def test_an_edited_checkpoint_is_refused_naming_the_entry(run, tmp_path, edit, message):
    arrays, meta = read_archive(run / "checkpoint.npz", "checkpoint")
    path = tmp_path / "checkpoint.npz"
    write_archive(path, arrays, {**meta, **edit})
    config, data, shapes, buffers = checkpoint_of(run)
    with pytest.raises(ModelFileError, match=f"checkpoint {path} is inconsistent or "
                                             f"tampered with: .*({message})"):
        read_checkpoint(path, config, meta["data"], shapes, buffers)


def test_a_checkpoint_of_other_data_is_refused(run, tmp_path):
    arrays, meta = read_archive(run / "checkpoint.npz", "checkpoint")
    write_archive(tmp_path / "checkpoint.npz", arrays, {**meta, "data": 5})
    config, data, shapes, buffers = checkpoint_of(run)
    with pytest.raises(OtherRunError, match=r"the data \(or its split\) differs"):
        read_checkpoint(tmp_path / "checkpoint.npz", config, data, shapes, buffers)


@pytest.mark.parametrize("name, change, message", [
    ("velocity/W2", lambda a: a * np.nan, "velocity/W2 holds NaN or infinite values"),
    ("param/b1", lambda a: np.zeros(7, a.dtype), r"param/b1 has shape \(7,\)"),
    ("best/W1", None, "KeyError: 'best/W1'"),
])
def test_checkpoint_arrays_are_checked(run, tmp_path, name, change, message):
    arrays, meta = read_archive(run / "checkpoint.npz", "checkpoint")
    if change is None:
        del arrays[name]
    else:
        arrays[name] = change(arrays[name])
    path = tmp_path / "checkpoint.npz"
    write_archive(path, arrays, meta)
    with pytest.raises(ModelFileError, match=message):
        read_checkpoint(path, *checkpoint_of(run)[:1], meta["data"], *checkpoint_of(run)[2:])


def test_predictions_that_are_not_finite_are_an_error(run, tmp_path, capsys):
    data = tmp_path / "far.csv"
    data.write_text("x1,x2\n0.5,0.25\n1e300,-1e300\n")
    assert cli.main(["predict", str(run), str(data), "--print"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert ("the model's outputs are NaN or infinite for 1 of 2 examples of "
            f"{data} (the first: example 1)") in captured.err


def test_a_saved_model_with_a_string_penalty_is_an_error_in_viz_and_gradcheck(run, tmp_path,
                                                                                capsys):
    model = load_model(run / "model.npz")
    model.info["config"]["l2"] = "lots"
    save_model(tmp_path / "m.npz", model)
    for command in (["viz", str(tmp_path / "m.npz"), "-o", str(tmp_path / "g.dot")],
                    ["gradcheck", str(tmp_path / "m.npz")]):
        assert cli.main(command) == 2
        assert "l2 = 'lots', not a number >= 0: give --l2" in capsys.readouterr().err


def bomb(path, arrays, meta, name, shape):
    """An archive like write_archive's whose entry ``name`` declares ``shape`` float32
    zeros: a few MiB on disk that unpack to ``4 * prod(shape)`` bytes."""
    content = {**arrays, "__meta__": np.array(json.dumps(meta))}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for key, value in content.items():
            with archive.open(f"{key}.npy", "w", force_zip64=True) as member:
                if key != name:
                    np.lib.format.write_array(member, np.asarray(value))
                    continue
                header = {"descr": "<f4", "fortran_order": False, "shape": shape}
                np.lib.format.write_array_header_1_0(member, header)
                for _ in range(math.prod(shape) * 4 // 2 ** 24):
                    member.write(bytes(2 ** 24))
    return path


BOMB = (16384, 8192)  # 512 MiB of float32


def test_a_model_that_unpacks_to_a_huge_array_is_refused_before_it_is_unpacked(run,
                                                                                 tmp_path):
    arrays, meta = read_archive(run / "model.npz", "model")
    path = bomb(tmp_path / "model.npz", arrays, meta, "W1", BOMB)
    assert path.stat().st_size < 2 ** 23
    tracemalloc.start()
    with pytest.raises(ModelFileError, match=re.escape(
            f"model file {path}: its entry 'W1' declares shape (16384, 8192) float32 "
            "(512 MiB) but should hold shape (4, 2): the file is damaged or tampered with")):
        load_model(path)
    assert tracemalloc.get_traced_memory()[1] < 2 ** 24
    tracemalloc.stop()


def test_a_checkpoint_that_unpacks_to_a_huge_array_is_refused_before_it_is_unpacked(
        run, tmp_path):
    arrays, meta = read_archive(run / "checkpoint.npz", "checkpoint")
    path = bomb(tmp_path / "checkpoint.npz", arrays, meta, "velocity/W2", BOMB)
    tracemalloc.start()
    with pytest.raises(ModelFileError, match=re.escape(
            f"checkpoint file {path}: its entry 'velocity/W2' declares shape (16384, 8192)")):
        read_checkpoint(path, *checkpoint_of(run))
    assert tracemalloc.get_traced_memory()[1] < 2 ** 24
    tracemalloc.stop()


def test_an_entry_no_model_has_is_refused_unread(run, tmp_path):
    arrays, meta = read_archive(run / "model.npz", "model")
    path = bomb(tmp_path / "model.npz", {**arrays, "extra": np.zeros(1)}, meta, "extra", BOMB)
    tracemalloc.start()
    with pytest.raises(ModelFileError, match=f"{path}: its entry 'extra' is not part of a "
                                             "model file"):
        load_model(path)
    assert tracemalloc.get_traced_memory()[1] < 2 ** 24
    tracemalloc.stop()


def test_metadata_that_unpacks_to_a_huge_text_is_refused_unread(run, tmp_path):
    arrays, meta = read_archive(run / "model.npz", "model")
    path = tmp_path / "model.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for key, value in arrays.items():
            with archive.open(f"{key}.npy", "w") as member:
                np.lib.format.write_array(member, value)
        with archive.open("__meta__.npy", "w", force_zip64=True) as member:
            header = {"descr": f"<U{2 ** 27}", "fortran_order": False, "shape": ()}
            np.lib.format.write_array_header_1_0(member, header)
            for _ in range(2 ** 29 // 2 ** 24):
                member.write(bytes(2 ** 24))
    tracemalloc.start()
    with pytest.raises(ModelFileError, match="its '__meta__' entry declares 512 MiB of "
                                             "text"):
        load_model(path)
    assert tracemalloc.get_traced_memory()[1] < 2 ** 24
    tracemalloc.stop()


def test_predict_refuses_a_zip_bomb_in_little_memory(run, tmp_path):
    arrays, meta = read_archive(run / "model.npz", "model")
    bomb(tmp_path / "bomb.npz", arrays, meta, "W1", BOMB)
    peak = {}
    for model in ("model.npz", "bomb.npz"):  # an honest model, then the bomb
        if model == "model.npz":
            shutil.copy(run / "model.npz", tmp_path / model)
        measured = [sys.executable, "-c", "import resource, subprocess, sys; "
                    "subprocess.run(sys.argv[1:]); print(resource.getrusage("
                    "resource.RUSAGE_CHILDREN).ru_maxrss)",
                    *hostile_support.command("predict", model, "moons")]
        done = subprocess.run(measured, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120, env=hostile_support.environment())
        peak[model] = int(done.stdout.split()[-1]) * 1024
    assert done.stderr.strip() == (
        "autograd-flow predict: error: model file bomb.npz: its entry 'W1' declares shape "
        "(16384, 8192) float32 (512 MiB) but should hold shape (4, 2): the file is damaged "
        "or tampered with (refused before unpacking it)")
    assert peak["bomb.npz"] < peak["model.npz"] + 2 ** 26, peak
