"""The playground's logic without a browser or a server: settings, data, training,
sessions."""
import math
import time
from dataclasses import replace

import numpy as np
import pytest

from autograd_flow.data import DataError, load_dataset, make_xor
from autograd_flow.playground.datasets import (
    MAX_CSV_POINTS,
    N_POINTS,
    RATIO,
    from_csv,
    parse_csv,
    plane,
    synthetic,
)
from autograd_flow.playground.lessons import SWEEP_VALUES, newton_versus_sgd
from autograd_flow.playground.session import Session
from autograd_flow.playground.settings import (
    Settings,
    SettingsError,
    needs_new_network,
    parse_settings,
    read_form,
)
from autograd_flow.playground.snippet import python_code
from autograd_flow.playground.trainer import GRID, Trainer, TrainingDiverged


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# -- settings ---------------------------------------------------------------------------

def test_settings_parse_the_form_and_round_trip():
    settings = parse_settings({"dataset": "xor", "hidden": " 4, 3 ", "lr": "0.1",
                               "activation": "relu", "batch_size": "32", "l1": "1e-4",
                               "decay": "inverse", "decay_rate": "0.01"})
    assert settings.hidden == (4, 3) and settings.lr == 0.1 and settings.batch_size == 32
    assert settings.dataset == "xor" and settings.l1 == 1e-4 and settings.decay == "inverse"
    assert parse_settings(settings.form()) == settings
    assert parse_settings({"hidden": "0"}).hidden == ()
    assert parse_settings({}) == Settings()


@pytest.mark.parametrize("field, text, words", [
    ("hidden", "-3,abc", ["hidden layers '-3,abc'", "e.g. 8,8"]),
    ("hidden", "8,,8", ["hidden layers"]),
    ("hidden", "1000", ["from 1 to 128"]),
    ("hidden", "2,2,2,2,2,2,2", ["up to 6"]),
    ("lr", "nan", ["learning rate 'nan'", "(0, 100]"]),
    ("lr", "0", ["learning rate '0'"]),
    ("lr", "inf", ["learning rate 'inf'"]),
    ("lr", "", ["learning rate ''"]),
    ("momentum", "1", ["momentum '1'", "[0, 1)"]),
    ("noise", "-0.1", ["noise"]),
    ("batch_size", "2.5", ["batch size '2.5'", "whole number"]),
    ("batch_size", "0", ["batch size '0'"]),
    ("l2", "-1", ["L2 lambda '-1'"]),
    ("activation", "softsign", ["activation 'softsign'", "tanh"]),
    ("dataset", "digits", ["data set 'digits'", "moons"]),
    ("seed", "x", ["seed 'x'"]),
    ("speed", "fast", ["speed 'fast'"]),
])
def test_bad_settings_name_the_field_and_say_what_to_write(field, text, words):
    with pytest.raises(SettingsError) as caught:
        parse_settings({field: text})
    assert list(caught.value.problems) == [field]
    for word in words:
        assert word in caught.value.problems[field]
    assert "\n" not in str(caught.value)


def test_every_bad_field_is_reported_at_once_and_unknown_fields_are_refused():
    with pytest.raises(SettingsError) as caught:
        parse_settings({"hidden": "-3,abc", "lr": "nan", "momentum": "2"})
    assert set(caught.value.problems) == {"hidden", "lr", "momentum"}
    with pytest.raises(SettingsError, match="unknown setting 'epochs'"):
        parse_settings({"epochs": "10"})


def test_the_power_decay_needs_a_rate_in_its_range():
    with pytest.raises(SettingsError) as caught:
        parse_settings({"decay": "power", "decay_rate": "0.2"})
    assert "0.5 < delta <= 1" in caught.value.problems["decay_rate"]
    assert parse_settings({"decay": "power", "decay_rate": "0.75"}).decay_rate == 0.75


def test_only_data_and_shape_changes_start_a_new_network():
    base = Settings()
    for change in ({"hidden": (3,)}, {"activation": "relu"}, {"dataset": "moons"},
                   {"noise": 0.3}, {"seed": 1}, {"ratio": 50}, {"features": ("x1",)}):
        assert needs_new_network(base, Settings(**change))
    for change in ({"lr": 0.5}, {"momentum": 0.0}, {"l1": 0.01}, {"l2": 0.0},
                   {"batch_size": 50}, {"speed": "max"}, {"decay": "inverse"}):
        assert not needs_new_network(base, Settings(**change))


# -- data -------------------------------------------------------------------------------

def test_xor_is_labelled_by_the_quadrant_and_train_can_load_it():
    X, y = make_xor(500, noise=0.0, seed=1)
    assert X.shape == (500, 2) and set(np.unique(y)) == {0, 1}
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(int))
    splits = load_dataset("xor", n_samples=300)
    assert splits.n_features == 2 and splits.n_classes == 2
    assert len(splits.y_train) + len(splits.y_valid) + len(splits.y_test) == 300


@pytest.mark.parametrize("name, classes", [("moons", 2), ("circles", 2), ("spirals", 3),
                                           ("xor", 2), ("gauss", 2)])
def test_synthetic_sets_are_split_standardized_and_framed(name, classes):
    data = synthetic(name, noise=0.1, seed=0)
    assert data.n_classes == classes
    assert len(data.y_train) + len(data.y_valid) == N_POINTS
    assert len(data.y_valid) == round((100 - RATIO) / 100 * N_POINTS)
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(data.X_train.std(axis=0), 1, atol=1e-12)
    inside = np.abs(np.vstack([data.X_train, data.X_valid])) <= data.extent
    assert inside.mean() > 0.99


def test_noise_changes_the_points():
    quiet, noisy = synthetic("xor", 0.0, 0), synthetic("xor", 0.4, 0)
    assert not np.allclose(quiet.X_train, noisy.X_train)
    np.testing.assert_array_equal(quiet.y_train, noisy.y_train)


def test_a_csv_with_two_features_becomes_plane_data():
    rows = "\n".join(f"{i % 7},{i % 5},{'ab'[i % 2]}" for i in range(40))
    table = parse_csv("x,z,kind\n" + rows + "\n", "mine.csv")
    data = from_csv(table, seed=0)
    assert data.classes == ["a", "b"] and data.feature_names == ["x", "z"]
    assert data.name == "mine.csv" and data.note == ""
    assert len(data.y_train) + len(data.y_valid) == 40


def test_a_large_csv_is_subsampled_and_says_so():
    rng = np.random.default_rng(0)
    lines = [f"{a:.3f},{b:.3f},{int(a > b)}" for a, b in rng.normal(size=(MAX_CSV_POINTS + 500, 2))]
    data = from_csv(parse_csv("\n".join(lines), "big.csv"), seed=0)
    assert len(data.y_train) + len(data.y_valid) == MAX_CSV_POINTS
    assert f"of the file's {MAX_CSV_POINTS + 500} rows" in data.note


@pytest.mark.parametrize("text, words", [
    ("a,b,label\n1,2,x\n3,oops,y\n", ["bad.csv, line 3, column 'b'", "'oops'"]),
    ("a,b,c,label\n" + "1,2,3,x\n" * 20, ["3 feature column(s)", "exactly two"]),
    ("a,label\n" + "1,x\n" * 20, ["1 feature column(s)"]),
    ("", ["bad.csv is empty"]),
    ("a,b,label\n" + "1,2,x\n" * 20, ["every example has the label 'x'"]),
    ("a,b,label\n1,2,x\n3,4,y\n", ["2 rows", "at least 10"]),
    ("a,b,label\n1,2\n", ["line 2", "2 values where the header has 3"]),
])
def test_a_bad_csv_gets_an_error_naming_the_file_and_the_place(text, words):
    with pytest.raises(DataError) as caught:
        parse_csv(text, "/some/where/bad.csv")
    for word in words:
        assert word in str(caught.value)
    assert "playground-" not in str(caught.value)  # not the temporary file's name


# -- training ---------------------------------------------------------------------------

def test_a_full_batch_step_lowers_the_loss():
    data = synthetic("moons", 0.1, 0)
    trainer = Trainer(Settings(dataset="moons", batch_size=len(data.y_train), momentum=0.0,
                               lr=0.1), data)
    before = trainer.evaluate().train_loss
    loss = trainer.step()
    after = trainer.evaluate().train_loss
    assert math.isclose(loss, before + 0.001 * sum(float(np.sum(W.value ** 2))
                                                  for W in trainer.mlp.weights), rel_tol=0.05)
    assert after < before
    assert trainer.updates == 1 and trainer.epoch == 1 and len(trainer.history) == 2


def test_training_learns_xor_and_keeps_the_history_per_epoch():
    trainer = Trainer(Settings(dataset="xor", hidden=(8,), lr=0.1, noise=0.05),
                      synthetic("xor", 0.05, 0))
    first = trainer.evaluate()
    for _ in range(15 * trainer.steps_per_epoch()):
        trainer.step()
    last = trainer.evaluate()
    assert trainer.epoch == 15 and [row["epoch"] for row in trainer.history] == list(range(16))
    assert last.train_loss < first.train_loss / 2 and last.valid_error < 0.1


def test_changing_training_options_keeps_the_weights_and_the_momentum():
    trainer = Trainer(Settings(), synthetic("spirals", 0.15, 0))
    for _ in range(5):
        trainer.step()
    weights = trainer.mlp.get_values()
    t = trainer.optimizer.t
    trainer.configure(Settings(lr=0.2, l1=0.01, batch_size=3))
    for a, b in zip(weights, trainer.mlp.get_values()):
        np.testing.assert_array_equal(a, b)
    assert trainer.optimizer.t == t and trainer.optimizer.lr == 0.2
    names = {type(box).__name__ for box in trainer.graph.order}
    assert "Abs" in names   # the L1 penalty is in the new training graph
    assert trainer.graph.fprop(trainer._batch(advance=False)) > 0


def test_a_diverging_run_raises_a_clear_error():
    trainer = Trainer(Settings(dataset="moons", lr=100, momentum=0.99, activation="linear",
                               hidden=(32, 32)), synthetic("moons", 0.1, 0))
    with pytest.raises(TrainingDiverged, match=r"training diverged at epoch 0: .*"
                                                r"Lower the learning rate \(now 100\)"):
        for _ in range(200):
            trainer.step()


def test_the_plane_holds_regions_and_hidden_unit_images():
    trainer = Trainer(Settings(hidden=(20, 3), activation="relu"), synthetic("spirals", 0.1, 0))
    plane = trainer.plane()
    assert plane["predicted"].shape == plane["confidence"].shape == (GRID * GRID,)
    assert plane["predicted"].max() < 3 and plane["confidence"].min() >= 255 // 3
    assert [layer["size"] for layer in plane["layers"]] == [20, 3]
    assert [len(layer["units"]) for layer in plane["layers"]] == [16, 3]
    unit = plane["layers"][0]["units"][0]
    assert unit["pixels"].shape == (plane["unit_side"],) * 2 and unit["low"] == 0.0
    assert unit["pixels"].max() == 255 and not unit["diverging"]


def test_the_curves_are_thinned_but_keep_both_ends():
    trainer = Trainer(Settings(), synthetic("moons", 0.1, 0))
    trainer.history = [{"epoch": k, "train_loss": 1 / (k + 1)} for k in range(1001)]
    curves = trainer.curves()
    assert len(curves) <= 400 and curves[0]["epoch"] == 0 and curves[-1]["epoch"] == 1000


def test_the_python_snippet_runs_and_trains_the_same_network():
    for settings in (Settings(l1=0.001, decay="inverse", decay_rate=0.01),
                     Settings(dataset="moons", hidden=(), l2=0.0, ratio=50),
                     Settings(dataset="bumps", features=("x1", "x2", "x1x2", "sinx1")),
                     Settings(dataset="gauss")):
        code = python_code(settings, epochs=2)
        inputs = len(settings.features)
        assert f"af.nn.MLP([{inputs}, {''.join(f'{h}, ' for h in settings.hidden)}" in code
        namespace: dict = {}
        exec(compile(code, "snippet", "exec"), namespace)  # noqa: S102 (our own code)
        trained = round(settings.ratio / 100 * N_POINTS)
        assert namespace["sgd"].t == 2 * math.ceil(trained / settings.batch_size)
        assert namespace["mlp"].sizes[0] == inputs
        network = Trainer(settings, synthetic(settings.dataset, settings.noise, 0,
                                              settings.ratio))
        np.testing.assert_array_equal(namespace["X"], network.X_train)


# -- sessions ---------------------------------------------------------------------------

def test_two_sessions_are_independent():
    a, b = Session("a"), Session("b")
    try:
        assert a.trainer.mlp.parameters[0] is not b.trainer.mlp.parameters[0]
        before = b.trainer.mlp.get_values()
        a.apply({"lr": "0.5", "hidden": "4"})
        a.start()
        wait_for(lambda: a.trainer.epoch >= 3)
        assert b.state()["epoch"] == 0 and not b.running
        assert b.settings == Settings() and a.settings.hidden == (4,)
        for x, y in zip(before, b.trainer.mlp.get_values()):
            np.testing.assert_array_equal(x, y)
    finally:
        a.close()
        b.close()


def test_a_session_trains_in_the_background_until_paused():
    session = Session("s")
    try:
        session.apply({"speed": "max", "dataset": "moons"})
        session.start()
        wait_for(lambda: session.trainer.epoch >= 3)
        session.pause()
        thread = session._thread
        thread.join(timeout=10)
        assert not thread.is_alive()
        epoch = session.trainer.epoch
        frame = session.latest("frame")
        assert frame["epoch"] == epoch and not frame["running"]
        assert frame["evaluation"]["train_loss"] < frame["curves"][0]["train_loss"]
    finally:
        session.close()


def test_the_speed_limit_holds():
    session = Session("slow")
    try:
        session.apply({"speed": "10"})
        session.start()
        time.sleep(1.0)
        session.pause()
        assert 2 <= session.trainer.epoch <= 14   # 10 epochs/s, generously
    finally:
        session.close()


def test_a_step_a_reset_and_bad_settings_in_a_session():
    session = Session("s")
    try:
        seen: dict = {}
        session.news(seen, 0)
        session.step()
        assert session.trainer.updates == 1
        names = [name for name, _ in session.news(seen, 5)]
        assert "frame" in names
        assert list(session.apply({"hidden": "-3,abc"})) == ["hidden"]
        assert session.settings == Settings() and session.trainer.updates == 1
        assert "choose a CSV file first" in session.apply({"dataset": "csv"})["dataset"]
        assert session.settings.dataset == Settings().dataset
        session.reset()
        assert session.trainer.updates == 0 and session.trainer.epoch == 0
        wait_for(lambda: "graph" in [name for name, _ in session.news(seen, 1)])
    finally:
        session.close()


def test_a_divergence_pauses_the_session_and_shows_the_error():
    session = Session("d")
    try:
        session.apply({"dataset": "moons", "lr": "100", "momentum": "0.99",
                       "activation": "linear", "hidden": "32,32", "speed": "max"})
        session.start()
        wait_for(lambda: session.latest("frame")["error"])
        frame = session.latest("frame")
        assert "training diverged" in frame["error"] and not frame["running"]
        assert not session.running
        session.apply({"lr": "0.01"})   # a good setting clears the message
        assert session.latest("frame")["error"] is None
    finally:
        session.close()


def test_an_uploaded_csv_becomes_the_data_set():
    session = Session("c")
    try:
        rows = "\n".join(f"{i % 9},{(i * 7) % 11},{'pq'[i % 2]}" for i in range(60))
        settings = session.upload_csv("u,v,label\n" + rows, "pts.csv")
        assert settings.dataset == "csv" and session.trainer.data.classes == ["p", "q"]
        setup = session.latest("setup")
        assert setup["data"]["features"] == ["u", "v"] and "open('pts.csv'" in \
            setup["python"]
        with pytest.raises(DataError):
            session.upload_csv("nonsense", "bad.csv")
        assert session.trainer.data.name == "pts.csv"   # the good data stays
        session.apply({"dataset": "moons"})
        session.apply({"dataset": "csv"})               # and can be chosen again
        assert session.trainer.data.name == "pts.csv"
    finally:
        session.close()


def test_features_near_the_largest_float_are_standardized_to_finite_points():
    """The plane standardizes as training does (data.standardization): features of 1e300
    do not overflow to an infinite standard deviation and points at 0."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2)) * 1e300
    data = plane("huge", X, (X[:, 0] > 0).astype(int), ["a", "b"], ["u", "v"], seed=0)
    assert np.isfinite(data.X_train).all() and np.abs(data.X_train).max() > 0.5


# -- third wave: per-field settings, features, ratio, regression, warnings, lessons -------

def test_one_bad_field_never_blocks_the_others():
    settings, problems = read_form({"hidden": "-3", "lr": "0.2", "l2": "x", "seed": "4"})
    assert set(problems) == {"hidden", "l2"}
    assert (settings.lr, settings.seed) == (0.2, 4)
    assert (settings.hidden, settings.l2) == (Settings().hidden, Settings().l2)


def test_choosing_the_power_decay_gets_a_rate_that_suits_it():
    """The decay trap: "power" with the rate left at 0 was refused at once, and kept
    refusing until the decay went back to "none"."""
    settings, problems = read_form({"decay": "power"})
    assert problems == {} and settings.decay == "power" and 0.5 < settings.decay_rate <= 1
    settings, problems = read_form({"decay_rate": "0.2"}, settings)
    assert list(problems) == ["decay_rate"] and "0.5 < delta <= 1" in problems["decay_rate"]
    assert settings.decay == "power" and settings.decay_rate == 0.6   # kept
    settings, problems = read_form({"decay_rate": "0.9"}, settings)
    assert problems == {} and settings.decay_rate == 0.9
    settings, problems = read_form({"decay": "none"}, settings)
    assert problems == {} and settings.decay == "none"
    # the whole form at once (a URL): a rate that does not suit the decay is its problem
    settings, problems = read_form({**Settings().form(), "decay": "power"})
    assert problems == {} and settings.decay_rate == 0.6


def test_features_and_the_training_share_shape_the_network_and_the_split():
    settings = parse_settings({"features": "x1x2, sinx2,x1", "ratio": "50"})
    assert settings.features == ("x1", "x1x2", "sinx2") and settings.ratio == 50
    assert parse_settings(settings.form()) == settings
    for text in ("", "x3", "x1,cos"):
        with pytest.raises(SettingsError, match="features"):
            parse_settings({"features": text})
    with pytest.raises(SettingsError, match="training share"):
        parse_settings({"ratio": "95"})
    data = synthetic("xor", 0.1, 0, ratio=50)
    trainer = Trainer(settings, data)
    assert trainer.mlp.sizes[0] == 3 and len(data.y_train) == len(data.y_valid) == 300
    x1, x2 = data.X_train[:, 0], data.X_train[:, 1]
    np.testing.assert_array_equal(trainer.X_train, np.column_stack([x1, x1 * x2, np.sin(x2)]))
    assert len(trainer.plane()["inputs"]) == 3
    # xor is x1 * x2 > 0: fed x1·x2, a network without hidden units learns it at once;
    # fed x1 and x2 it cannot
    errors = []
    for fed in (("x1x2",), ("x1", "x2")):
        linear = Trainer(replace(settings, features=fed, hidden=(), lr=0.1), data)
        for _ in range(10 * linear.steps_per_epoch()):
            linear.step()
        errors.append(linear.evaluate().valid_error)
    assert errors[0] < 0.15 and errors[1] > 0.3


@pytest.mark.parametrize("name", ["plane", "bumps"])
def test_regression_sets_predict_a_number_and_learn(name):
    data = synthetic(name, 0.05, 0)
    assert data.task == "regression" and data.y_train.shape == (len(data.X_train), 1)
    assert np.abs(data.y_train).max() <= 1
    settings = Settings(dataset=name, hidden=(8,), lr=0.03)
    trainer = Trainer(settings, data)
    first = trainer.evaluate().train_loss
    assert math.isclose(trainer.chance, float(np.var(data.y_train)))
    for _ in range(20 * trainer.steps_per_epoch()):
        trainer.step()
    assert trainer.evaluate().train_loss < 0.5 * first
    plane = trainer.plane()
    assert "value" in plane and "predicted" not in plane and plane["value"].dtype == np.uint8


def test_the_warning_says_what_to_try_on_a_divergence_and_at_the_chance_level():
    trainer = Trainer(Settings(dataset="moons", lr=100), synthetic("moons", 0.15, 0))
    assert trainer.warning() is None
    for _ in range(7 * trainer.steps_per_epoch()):
        trainer.step()
    assert "above its starting value" in trainer.warning()
    assert "lower the learning rate (now 100)" in trainer.warning()

    trainer = Trainer(Settings(), synthetic("spirals", 0.15, 0))
    learnt = [{"epoch": k, "train_loss": 1.2 / (k + 1)} for k in range(30)]
    stuck = [{"epoch": 30 + k, "train_loss": trainer.chance * (1 + 0.001 * (k % 3))}
             for k in range(25)]
    trainer.history = learnt
    assert trainer.warning() is None
    trainer.history = learnt + stuck
    assert "chance level (1.0984" in trainer.warning() and "was 0.04 before" in trainer.warning()
    trainer.history = stuck * 2
    assert "raise the learning rate" in trainer.warning()


def test_the_curves_are_thinned_on_a_log_epoch_axis():
    trainer = Trainer(Settings(), synthetic("moons", 0.1, 0))
    trainer.history = [{"epoch": k, "train_loss": 1 / (k + 1)} for k in range(100_001)]
    epochs = [row["epoch"] for row in trainer.curves()]
    assert len(epochs) <= 400 and epochs[0] == 0 and epochs[-1] == 100_000
    assert set(range(20)) <= set(epochs)        # the early learning is all there


def test_permuting_two_hidden_units_keeps_the_function_and_moves_the_weights():
    settings = Settings(hidden=(6, 5), dataset="moons")
    trainer = Trainer(settings, synthetic("moons", 0.15, 0))
    twin = Trainer(settings, synthetic("moons", 0.15, 0))
    for _ in range(30):
        trainer.step()
        twin.step()
    before, plane = trainer.evaluate(), trainer.plane()
    trainer.permute(1, 4)
    after, moved = trainer.evaluate(), trainer.plane()
    assert math.isclose(after.train_loss, before.train_loss, rel_tol=1e-12)
    assert after.train_error == before.train_error
    np.testing.assert_array_equal(moved["predicted"], plane["predicted"])
    W1, W1_twin = trainer.mlp.weights[0].value, twin.mlp.weights[0].value
    assert not np.array_equal(W1, W1_twin)
    np.testing.assert_array_equal(W1[[1, 4]], W1_twin[[4, 1]])
    np.testing.assert_array_equal(trainer.mlp.weights[1].value[:, [1, 4]],
                                  twin.mlp.weights[1].value[:, [4, 1]])
    # the momentum moved with the units: training goes on as the twin's, permuted
    for _ in range(20):
        trainer.step()
        twin.step()
    np.testing.assert_allclose(trainer.mlp.weights[0].value[[1, 4]],
                               twin.mlp.weights[0].value[[4, 1]], atol=1e-10)
    with pytest.raises(ValueError, match="no hidden layer"):
        Trainer(Settings(hidden=()), synthetic("moons", 0.1, 0)).permute(0, 1)


def test_a_session_permutes_and_says_the_loss_is_unchanged():
    session = Session("p")
    try:
        message = session.permute()
        assert message.startswith("Swapped units") and "hidden layer 1" in message
        session.apply({"hidden": "1"})
        with pytest.raises(ValueError, match="at least two"):
            session.permute()
    finally:
        session.close()


def test_the_capacity_sweep_shows_under_and_overfitting():
    session = Session("cap")
    try:
        session.apply({"dataset": "spirals", "noise": "0.15"})
        session.capacity("units", 25)
        wait_for(lambda: not session.latest("capacity")["running"], timeout=120)
        capacity = session.latest("capacity")
        rows = capacity["rows"]
        assert [row["value"] for row in rows] == [1, 2, 4, 8, 16, 32]
        assert capacity["label"] == "hidden units per layer"
        assert rows[0]["train_error"] > 0.3 and rows[-1]["train_error"] < 0.1  # underfit
        with pytest.raises(ValueError, match="sweep 'depth'"):
            session.capacity("depth", 25)
        with pytest.raises(ValueError, match="sweep epochs 7"):
            session.capacity("l2", 7)
    finally:
        session.close()


def test_a_new_sweep_stops_the_old_one():
    session = Session("cap2")
    try:
        session.capacity("ratio", 200)
        session.capacity("l2", 25)
        wait_for(lambda: not session.latest("capacity")["running"], timeout=120)
        capacity = session.latest("capacity")
        assert capacity["sweep"] == "l2" and len(capacity["rows"]) == 6
        assert [row["value"] for row in capacity["rows"]] == list(SWEEP_VALUES["l2"])
    finally:
        session.close()


def test_newton_needs_fewer_iterations_than_gradient_descent():
    data = synthetic("moons", 0.1, 0)
    methods = {m["name"].split(" (")[0]: m for m in
               newton_versus_sgd(Settings(dataset="moons", momentum=0.0), data, 10)}
    assert set(methods) == {"gradient descent", "Newton", "NewtonCG"}
    first = methods["Newton"]["losses"][0]
    assert all(m["losses"][0] == first for m in methods.values())  # the same start
    assert len(methods["Newton"]["losses"]) == 11
    assert methods["Newton"]["losses"][-1] < 0.5 * methods["gradient descent"]["losses"][-1]
    assert methods["NewtonCG"]["losses"][-1] < methods["gradient descent"]["losses"][-1]


def test_the_csv_error_names_the_pages_rule_not_a_command_line_flag():
    with pytest.raises(DataError) as caught:
        parse_csv("a,label,b\n" + "1,x,2\n" * 20, "mine.csv")
    assert "--" not in str(caught.value) and "label from the last column" in str(caught.value)
