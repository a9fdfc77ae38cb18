"""Data files and space files under hostile input: features near 1e300 train as well as
the same data at its usual scale, class labels too large for an integer, an .npz that
declares 2**40 rows, has no rows, holds raw pickles or is a text file, YAML and JSON
that are broken, deeply nested or ask for Python objects. Each is a DataError or
ValueError with one line naming the file; nothing is executed or allocated first."""
import io
import json
import pickle
import tracemalloc
import zipfile

import numpy as np
import pytest

from autograd_flow.data import DataError, load_dataset, standardization
from autograd_flow.learn.training import TrainConfig, train
from autograd_flow.select import read_results, read_space


def moons_csv(path, scale=1.0):
    splits = load_dataset("moons", n_samples=300)
    X = np.vstack([splits.X_train, splits.X_valid, splits.X_test]) * scale
    y = np.concatenate([splits.y_train, splits.y_valid, splits.y_test])
    rows = (f"{float(a)!r},{float(b)!r},{c}\n" for (a, b), c in zip(X, y))
    path.write_text("x1,x2,y\n" + "".join(rows))
    return path


def test_features_near_1e300_train_as_well_as_at_their_usual_scale(tmp_path):
    config = TrainConfig(hidden=(8,), epochs=30, dtype="float64")
    usual = train(config, load_dataset(str(moons_csv(tmp_path / "usual.csv"))))
    huge = train(config, load_dataset(str(moons_csv(tmp_path / "huge.csv", 1e300))))
    assert usual.test_error < 0.2  # far better than chance (0.5)
    assert huge.test_error == pytest.approx(usual.test_error, abs=0.02)
    assert np.isfinite(huge.model.std).all() and (huge.model.std > 1e299).all()


def test_standardization_is_finite_up_to_the_largest_float():
    X = np.array([[1.7e308, -1e-300], [-1.7e308, 1e-300], [1e308, 0.0]])
    mean, std = standardization(X)
    assert np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()
    with np.errstate(over="ignore", under="ignore"):  # what numpy gives directly:
        assert np.std(X[:, 0]) == np.inf and np.std(X[:, 1]) == 0
    np.testing.assert_allclose(std, [np.std(X[:, 0] / 1e308) * 1e308,
                                     np.std(X[:, 1] * 1e300) / 1e300])


@pytest.mark.parametrize("label", ["1e30", "-1e19", "1e17"])
def test_class_labels_too_large_for_an_integer_are_refused(tmp_path, label):
    path = tmp_path / "labels.csv"
    path.write_text("a,y\n" + "".join(f"{i},{label if i % 2 else 0}\n" for i in range(40)))
    with pytest.raises(DataError, match="too large for a class label"):
        load_dataset(str(path))
    np.savez(tmp_path / "labels.npz", X=np.zeros((40, 1)),
             y=np.where(np.arange(40) % 2, float(label), 0.0))
    with pytest.raises(DataError, match="too large for a class label"):
        load_dataset(str(tmp_path / "labels.npz"))
    assert load_dataset(str(path), task="regression").task == "regression"  # as a target


def npy(header, payload=b""):
    from numpy.lib import format as npy_format

    buffer = io.BytesIO()
    npy_format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + payload


def test_an_npz_declaring_2_to_the_40_rows_is_refused_before_any_allocation(tmp_path):
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("X.npy", npy({"descr": "<f8", "fortran_order": False,
                                       "shape": (2 ** 40, 2)}, bytes(64)))
        archive.writestr("y.npy", npy({"descr": "<i8", "fortran_order": False,
                                       "shape": (2 ** 40,)}, bytes(64)))
    tracemalloc.start()
    with pytest.raises(DataError, match=r"its entry 'X' declares shape \(1099511627776, 2\) "
                                        r"float64 \(16 TiB\) but holds 192 bytes"):
        load_dataset(str(path))
    assert tracemalloc.get_traced_memory()[1] < 2 ** 20
    tracemalloc.stop()


def test_an_npz_that_truly_holds_more_than_memory_is_refused_with_the_amount(tmp_path,
                                                                            monkeypatch):
    np.savez(tmp_path / "big.npz", X=np.zeros((1000, 2)), y=np.arange(1000) % 2)
    monkeypatch.setattr("autograd_flow.learn.memory.memory_limit", lambda: 10_000)
    with pytest.raises(ValueError, match=r"loading the NPZ file .*big.npz would need about "
                                         r"23.4 KiB of memory, more than this machine's "
                                         r"9.77 KiB"):
        load_dataset(str(tmp_path / "big.npz"))


def test_an_npz_without_rows_or_features_is_refused(tmp_path):
    np.savez(tmp_path / "rows.npz", X=np.zeros((0, 2)), y=np.zeros(0))
    np.savez(tmp_path / "columns.npz", X=np.zeros((5, 0)), y=np.zeros(5))
    with pytest.raises(DataError, match="there are no examples"):
        load_dataset(str(tmp_path / "rows.npz"))
    with pytest.raises(DataError, match="there are no features"):
        load_dataset(str(tmp_path / "columns.npz"))


def test_pickles_in_an_npz_are_refused_and_never_run(tmp_path):
    marker = tmp_path / "code-ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    with zipfile.ZipFile(tmp_path / "raw.npz", "w") as archive:
        archive.writestr("X.npy", pickle.dumps(Payload()))
        archive.writestr("y.npy", pickle.dumps(Payload()))
    with pytest.raises(DataError, match="its entry 'X' is not a numpy array"):
        load_dataset(str(tmp_path / "raw.npz"))
    (tmp_path / "whole.npz").write_bytes(pickle.dumps(Payload()))
    with pytest.raises(DataError, match="carries a pickle \\(the whole file is one"):
        load_dataset(str(tmp_path / "whole.npz"))
    assert not marker.exists()


def test_a_text_file_named_npz_is_explained_without_unsafe_advice(tmp_path):
    path = tmp_path / "data.npz"
    path.write_text("a,b,y\n1,2,0\n")
    with pytest.raises(DataError) as error:
        load_dataset(str(path))
    message = str(error.value)
    assert "it is not an .npz archive (a zip file of .npy arrays) but begins with 'a,b,y" \
        in message and "give it the .csv suffix" in message
    assert "allow_pickle" not in message and "pickle.load" not in message
    np.save(tmp_path / "one.npy", np.zeros(3))
    (tmp_path / "one.npy").rename(tmp_path / "one.npz")
    with pytest.raises(DataError, match="single .npy array, not an .npz archive"):
        load_dataset(str(tmp_path / "one.npz"))


@pytest.mark.parametrize("text, message", [
    ("space:\n  lr: [0.1, 0.2\n  hidden: 5\n", r"is not valid YAML, line 3, column 9"),
    ("space:\n  lr: !!python/object/apply:os.system ['touch {marker}']\n",
     r"line 2, column 7: could not determine a constructor for the tag "
     r"'tag:yaml.org,2002:python/object/apply:os.system' \(space files hold plain values"),
    ("space: " + "[" * 3000 + "]" * 3000, "the YAML is nested too deeply to read"),
    ("method: random\ntrials: 0\nspace:\n  lr: loguniform:1e-3:1\n",
     "trials must be a whole number >= 1, got 0"),
    ("method: random\ntrials: 2.5\nspace:\n  lr: loguniform:1e-3:1\n",
     "trials must be a whole number >= 1, got 2.5"),
    ("space:\n  lr: loguniform:low:high\n", "the bounds of loguniform:LOW:HIGH must be numbers"),
])
def test_bad_yaml_space_files_are_one_line_errors(tmp_path, text, message):
    marker = tmp_path / "pwned"
    path = tmp_path / "space.yaml"
    path.write_text(text.replace("{marker}", str(marker)))
    with pytest.raises(ValueError, match=message) as error:
        read_space(path)
    assert "\n" not in str(error.value) and not marker.exists()


def test_deeply_nested_json_is_an_error_not_a_recursion_error(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "space.json").write_text('{"space": ' + deep + "}")
    with pytest.raises(ValueError, match="nested too deeply"):
        read_space(tmp_path / "space.json")
    log = tmp_path / "results.jsonl"
    good = {"index": 0, "config": {"lr": 0.1}, "seed": 0, "status": "ok",
            "metrics": {"valid_error": 0.25}, "error": None, "seconds": 1.0}
    log.write_text("\n".join([deep, "[]", json.dumps({**good, "metrics": {
        "valid_error": "abc"}}), json.dumps(good), "{\"index\": 1, \"conf"]) + "\n")
    assert [t.metrics for t in read_results(log).values()] == [{"valid_error": 0.25}]
