"""Data sets: splits of the raw data with the data's own labels, the training
statistics for standardizing, CSV/NPZ reading, and a clear error for each kind of bad
file."""
import pickle

import numpy as np
import pytest

from autograd_flow.data import (
    DataError,
    encode_labels,
    load_dataset,
    make_spirals,
    read_dataset,
    standardization,
)


@pytest.mark.parametrize("name, features, classes", [
    ("digits", 64, 10), ("moons", 2, 2), ("circles", 2, 2), ("spirals", 2, 3),
    ("spirals:5", 2, 5)])
def test_builtin_sets_are_split_as_they_are(name, features, classes):
    s = load_dataset(name, n_samples=300 if name != "digits" else None)
    n = len(s.y_train) + len(s.y_valid) + len(s.y_test)
    assert (s.n_features, s.n_classes, s.task) == (features, classes, "classification")
    assert len(s.y_test) == pytest.approx(0.2 * n, abs=1)
    assert len(s.y_valid) == pytest.approx(0.2 * n, abs=1)
    assert set(np.unique(s.y_train)) == set(range(classes)) == set(s.classes.tolist())
    assert s.y_train.dtype.kind == "i"  # the data's own integer labels
    raw = read_dataset(name, n_samples=300 if name != "digits" else None).X
    rows = {tuple(r) for r in raw}
    assert all(tuple(r) in rows for r in s.X_test)  # raw features, not standardized


def test_standardization_uses_the_given_rows_and_keeps_constant_columns():
    s = load_dataset("digits")
    mean, std = standardization(s.X_train)
    np.testing.assert_allclose(((s.X_train - mean) / std).mean(axis=0), 0, atol=1e-9)
    assert np.all(std[s.X_train.std(axis=0) == 0] == 1)  # blank pixels stay 0


def test_diabetes_is_a_bundled_regression_set():
    s = load_dataset("diabetes")
    assert (s.task, s.n_features, s.n_outputs, s.n_classes) == ("regression", 10, 1, 0)
    assert s.y_train.dtype == np.float64 and len(s.y_train) + len(s.y_valid) + \
        len(s.y_test) == 442
    assert s.feature_names[:3] == ["age", "sex", "bmi"]
    with pytest.raises(DataError, match="214 distinct labels for 442 examples.*regression"):
        load_dataset("diabetes", task="classification")


def test_splits_are_stratified_deterministic_and_seeded():
    a, b, c = (load_dataset("digits", seed=seed) for seed in (0, 0, 1))
    assert np.array_equal(a.X_train, b.X_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_test, c.y_test)
    counts = np.bincount(a.y_test)
    assert counts.max() - counts.min() <= 2


def test_spirals_have_k_balanced_arms():
    X, y = make_spirals(400, n_arms=4, seed=0)
    assert X.shape == (400, 2) and np.array_equal(np.bincount(y), [100] * 4)


def test_csv_with_header_string_labels_and_a_chosen_column(tmp_path):
    path = tmp_path / "flowers.csv"
    rows = ["species,length,width"] + [f"{'ab'[i % 2]}x,{i},{i % 3}" for i in range(30)]
    path.write_text("\n".join(rows))
    s = load_dataset(str(path), label_column="species")
    assert (s.n_features, s.classes.tolist(), s.name) == (2, ["ax", "bx"], "flowers")
    assert set(s.y_train) == {"ax", "bx"}
    assert s.feature_names == ["length", "width"] and s.label_column == "species"
    by_index = load_dataset(str(path), label_column=0)
    assert np.array_equal(by_index.X_train, s.X_train)


def test_csv_without_header_uses_the_last_column(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("\n".join(f"{i},{i * 2},{i % 2}" for i in range(20)))
    s = load_dataset(str(path))
    assert s.n_features == 2 and s.classes.tolist() == ["0", "1"]  # CSV labels are text


def test_a_csv_target_for_regression(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("size,price\n" + "".join(f"{i},{2.5 * i + 1}\n" for i in range(30)))
    s = load_dataset(str(path), task="regression")
    assert s.task == "regression" and s.y_train.dtype == np.float64
    np.testing.assert_allclose(s.y_train, 2.5 * s.X_train[:, 0] + 1)
    path.write_text("size,price\n" + "".join(f"{i},{'cheap' if i == 3 else i}\n"
                                              for i in range(30)))
    with pytest.raises(DataError, match="target 'cheap' is not a finite number"):
        load_dataset(str(path), task="regression")


def test_npz(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.arange(40.0).reshape(20, 2), y=np.arange(20) % 2 + 5)
    s = load_dataset(str(path))
    assert s.classes.tolist() == [5, 6] and s.n_features == 2 and s.y_test.dtype.kind == "i"


def test_numeric_labels_sort_as_numbers():
    codes, names = encode_labels(np.array(["10", "9", "10.0", "2"]))
    assert names.tolist() == ["2", "9", "10"] and list(codes) == [2, 1, 2, 0]
    codes, names = encode_labels(np.array([True, False, True]))
    assert names.tolist() == [False, True] and list(codes) == [1, 0, 1]


def write(tmp_path, text, name="bad.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


GOOD = "a,b,label\n" + "".join(f"{i},{i + 1},{i % 2}\n" for i in range(10))


@pytest.mark.parametrize("text, kwargs, message", [
    (GOOD, {"label_column": "class"}, r"no column named 'class'.*'a', 'b', 'label'"),
    (GOOD, {"label_column": "7"}, "has 3 columns, so label column index 7"),
    (GOOD.replace("4,5,0", "4,five,0"), {}, r"line 6, column 'b': the non-numeric value 'five'"),
    (GOOD.replace("4,5,0", "4,,0"), {}, r"line 6, column 'b': an empty cell"),
    (GOOD.replace("4,5,0", "4,nan,0"), {}, r"line 6, column 'b': nan \(NaN or infinite\)"),
    (GOOD.replace("4,5,0", "4,5"), {}, "line 6: 2 values where the header has 3"),
    (GOOD.replace(",1\n", ",0\n"), {}, "at least two classes"),
    (GOOD.replace("4,5,0", "4,5,0.5"), {}, "not whole numbers"),
    (GOOD.replace("4,5,0", "4,5,"), {}, "line 6: the label"),
    ("a,b,label\n1,2,0\n2,3,1\n", {}, "too few for a train / valid / test split"),
    ("", {}, "is empty"),
])
def test_bad_csv_files_are_explained(tmp_path, text, kwargs, message):
    with pytest.raises(DataError, match=message):
        load_dataset(write(tmp_path, text), **kwargs)


def test_missing_file_and_unknown_name(tmp_path):
    with pytest.raises(DataError, match="cannot read the CSV file .*nothing.csv"):
        load_dataset(str(tmp_path / "nothing.csv"))
    with pytest.raises(DataError, match="unknown data set 'mnist'"):
        load_dataset("mnist")
    with pytest.raises(DataError, match="can only be chosen in a CSV file"):
        load_dataset("moons", label_column="y")


def test_bad_npz_files_are_explained(tmp_path):
    path = tmp_path / "no_y.npz"
    np.savez(path, X=np.zeros((10, 2)))
    with pytest.raises(DataError, match="must hold arrays named 'X'.*it holds X"):
        load_dataset(str(path))
    path = tmp_path / "objects.npz"
    np.savez(path, X=np.zeros((10, 2)), y=np.array([{"a": 1}] * 10, dtype=object))
    with pytest.raises(DataError, match="refusing to load .*: it carries a pickle"):
        load_dataset(str(path))
    path = tmp_path / "pickle.npz"
    path.write_bytes(pickle.dumps({"X": 1}))
    with pytest.raises(DataError, match="refusing to load .*: it carries a pickle"):
        load_dataset(str(path))
    path = tmp_path / "nan.npz"
    X = np.zeros((10, 2))
    X[3, 1] = np.inf
    np.savez(path, X=X, y=np.arange(10) % 2)
    with pytest.raises(DataError, match="row 3 of X, column 'x2'"):
        load_dataset(str(path))


@pytest.mark.parametrize("kwargs", [{"valid_fraction": 0.0}, {"test_fraction": 1.0},
                                    {"valid_fraction": 0.5, "test_fraction": 0.5}])
def test_bad_fractions(kwargs):
    with pytest.raises(DataError, match="must be in"):
        load_dataset("moons", **kwargs)
