"""Models on disk: identical predictions after a round trip; pickles, truncation and
tampering refused with clear errors; atomic writes."""
import json
import pickle
import zipfile

import numpy as np
import pytest

from autograd_flow import io
from autograd_flow.io import Model, ModelFileError, load_model, save_model
from autograd_flow.nn import MLP


def make_model(dtype=np.float64):
    rng = np.random.default_rng(0)
    mlp = MLP([3, 8, 4], activation="relu", seed=1, dtype=dtype)
    for b in mlp.biases:
        b.value[...] = 0.1 * rng.standard_normal(b.value.shape)
    return Model(mlp, mean=rng.standard_normal(3), std=rng.uniform(1, 2, 3),
                 classes=["cat", "dog", "eel", "fox"], info={"dataset": "zoo"})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_save_then_load_predicts_identically(tmp_path, dtype):
    model = make_model(dtype)
    X = np.random.default_rng(2).standard_normal((50, 3)) * 3
    path = save_model(tmp_path / "model.npz", model)
    loaded = load_model(path)
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert np.array_equal(loaded.predict(X), model.predict(X))
    assert loaded.predict_proba(X).dtype == dtype
    assert (loaded.classes.tolist(), loaded.info, loaded.mlp.activation) == (
        model.classes.tolist(), {"dataset": "zoo"}, "relu")
    assert len(set(model.predict(X))) > 1  # the comparison is not trivial
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temporary left


def test_predict_checks_the_number_of_features():
    with pytest.raises(ValueError, match="takes 3 features"):
        make_model().predict(np.zeros((2, 4)))


def test_a_file_carrying_a_pickle_is_refused_and_runs_no_code(tmp_path):
    marker = tmp_path / "code-ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "model.npz"
    save_model(path, make_model())
    arrays, meta = io.read_archive(path)
    np.savez(path, **arrays, evil=np.array([Payload()], dtype=object),
             __meta__=np.array(json.dumps(meta)))
    with pytest.raises(ModelFileError, match=r"refusing to load model file .*model.npz: "
                                             "it carries a pickle"):
        load_model(path)
    raw = tmp_path / "raw.npz"
    raw.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ModelFileError, match="carries a pickle"):
        load_model(raw)
    assert not marker.exists()


def test_truncated_file_is_explained(tmp_path):
    path = save_model(tmp_path / "model.npz", make_model())
    content = path.read_bytes()
    for size in (len(content) // 2, 10, 0):
        path.write_bytes(content[:size])
        with pytest.raises(ModelFileError, match=r"cannot read model file .*model.npz: it "
                                                 "is truncated or corrupted"):
            load_model(path)


def test_tampered_files_are_explained(tmp_path):
    path = save_model(tmp_path / "model.npz", make_model())
    arrays, meta = io.read_archive(path)
    io.write_archive(path, {**arrays, "W1": np.zeros((2, 2))}, meta)
    with pytest.raises(ModelFileError, match="tampered with.*W1 has shape"):
        load_model(path)
    io.write_archive(path, arrays, {**meta, "format": "something.else"})
    with pytest.raises(ModelFileError, match="not an autograd_flow model"):
        load_model(path)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__meta__.npy", b"not an array")
    with pytest.raises(ModelFileError, match="model.npz"):
        load_model(path)
    np.savez(path, W1=np.zeros(2))
    with pytest.raises(ModelFileError, match="no '__meta__' entry"):
        load_model(path)
    with pytest.raises(ModelFileError, match="does not exist"):
        load_model(tmp_path / "missing.npz")


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = save_model(tmp_path / "model.npz", make_model())
    before = path.read_bytes()

    def broken(file, **arrays):
        file.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        save_model(path, make_model())
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_damaged_files_always_give_a_model_file_error(tmp_path):
    path = save_model(tmp_path / "model.npz", make_model())
    good = path.read_bytes()
    rng = np.random.default_rng(0)
    for trial in range(300):
        damaged = bytearray(good[:rng.integers(len(good))] if trial % 2 else good)
        if trial % 2 == 0:
            for position in rng.integers(len(good), size=rng.integers(1, 5)):
                damaged[position] = rng.integers(256)
        path.write_bytes(bytes(damaged))
        try:
            load_model(path)  # a flip in padding or in a weight's digits can still load
        except ModelFileError as error:
            assert str(path) in str(error)


@pytest.mark.parametrize("classes", [[3, 5, 7, 9], ["a", "b", "c", "d"]])
def test_class_labels_keep_their_type_on_disk(tmp_path, classes):
    model = make_model()
    model = Model(model.mlp, model.mean, model.std, classes=classes)
    loaded = load_model(save_model(tmp_path / "m.npz", model))
    assert loaded.classes.tolist() == classes
    assert type(loaded.predict(np.ones((1, 3)))[0].item()) is type(classes[0])


def test_a_regression_model_round_trips(tmp_path):
    mlp = MLP([3, 5, 1], seed=0)
    model = Model(mlp, np.zeros(3), np.ones(3), task="regression", target_mean=150.0,
                  target_std=70.0)
    X = np.random.default_rng(0).standard_normal((7, 3))
    loaded = load_model(save_model(tmp_path / "m.npz", model))
    assert loaded.task == "regression" and loaded.predict(X).shape == (7,)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(model.predict(X), 150 + 70 * model.outputs(X)[:, 0], rtol=1e-12)
    with pytest.raises(ValueError, match="predict_proba is for classification"):
        model.predict_proba(X)


def test_a_version_1_model_file_still_loads(tmp_path):
    path = save_model(tmp_path / "m.npz", make_model())
    arrays, meta = io.read_archive(path)
    del arrays["target_mean"], arrays["target_std"]
    meta.update(version=1)
    for key in ("task", "single_target"):
        meta.pop(key)
    io.write_archive(path, arrays, meta)
    loaded = load_model(path)
    assert loaded.task == "classification" and loaded.classes.tolist() == [
        "cat", "dog", "eel", "fox"]
