"""Training: the objective (penalties on weights only), per-example and mini-batch
learning, early stopping, determinism, bit-identical resume, and NaN handling."""
import dataclasses
import warnings

import numpy as np
import pytest

import autograd_flow as af
import autograd_flow.learn.objective as objective_module
import autograd_flow.learn.training as train_module
from autograd_flow.data import load_dataset
from autograd_flow.io import ModelFileError, read_archive, write_archive
from autograd_flow.learn.objective import evaluate, objective, prepare
from autograd_flow.learn.training import TrainConfig, train
from autograd_flow.nn import MLP


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", n_samples=200, seed=0)


def feed(obj, n=6, seed=0):
    rng = np.random.default_rng(seed)
    return {obj.x: rng.standard_normal((n, 3)), obj.y: rng.integers(0, 2, n)}


def gradients(l1=0.0, l2=0.0):
    mlp = MLP([3, 4, 2], seed=0)
    for b in mlp.biases:
        b.value[...] = 0.3
    obj = objective(mlp, l1=l1, l2=l2)
    obj.graph.fprop(feed(obj))
    grads = obj.graph.bprop()
    return mlp, [grads[W] for W in mlp.weights], [grads[b] for b in mlp.biases]


@pytest.mark.parametrize("l1, l2", [(0.1, 0.0), (0.0, 0.1), (0.05, 0.2)])
def test_penalties_touch_weights_and_not_biases(l1, l2):
    mlp, plain_W, plain_b = gradients()
    _, penalized_W, penalized_b = gradients(l1, l2)
    for W, plain, penalized in zip(mlp.weights, plain_W, penalized_W):
        # lecture: d Omega_1 / dW = sign(W), d Omega_2 / dW = 2 W
        np.testing.assert_allclose(penalized - plain, l1 * np.sign(W.value) + l2 * 2 * W.value,
                                   atol=1e-12)
    for plain, penalized in zip(plain_b, penalized_b):
        np.testing.assert_array_equal(penalized, plain)


def test_objective_gradients_match_finite_differences():
    obj = objective(MLP([3, 4, 2], seed=1), l2=0.01)
    report = af.gradcheck(obj.graph, feed(obj), raise_on_failure=False)
    assert report.ok, report


def test_per_example_and_mini_batch_both_learn(moons):
    obj = objective(MLP([2, 16, 2], seed=0))
    start = evaluate(obj, *prepare(moons).sets["train"])
    start_loss, start_error = start["loss"], start["error"]
    for batch_size, lr, momentum in ((1, 0.1, 0.0), (16, 0.3, 0.9)):
        result = train(TrainConfig(hidden=(16,), lr=lr, momentum=momentum,
                                   batch_size=batch_size, epochs=10), moons)
        assert result.history[-1]["train_loss"] < start_loss / 2
        assert result.test_error < 0.15 < start_error


def test_the_graph_is_built_once(moons, monkeypatch):
    built = []

    class CountingFlowGraph(af.FlowGraph):
        def __init__(self, *args, **kwargs):
            built.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(objective_module, "FlowGraph", CountingFlowGraph)
    train(TrainConfig(hidden=(4,), epochs=3, batch_size=16), moons)
    assert len(built) == 1


def test_early_stopping_restores_the_best_epoch(moons):
    config = TrainConfig(hidden=(16,), lr=0.5, momentum=0.9, batch_size=8, epochs=60,
                         patience=4)
    result = train(config, moons)
    history = result.history
    assert result.stopped == "early" and len(history) == result.best_epoch + 4 < 60
    best = history[result.best_epoch - 1]
    assert best["valid_error"] == min(h["valid_error"] for h in history)
    assert history[-1]["valid_error"] > best["valid_error"]  # the last epoch was worse
    assert result.valid_error == best["valid_error"]
    assert result.train_error == best["train_error"]


def test_training_is_deterministic_given_the_seed(moons):
    config = TrainConfig(hidden=(8,), epochs=3, momentum=0.5)
    a, b = train(config, moons), train(config, moons)
    c = train(TrainConfig(hidden=(8,), epochs=3, momentum=0.5, seed=1), moons)
    assert a.history == b.history and a.history != c.history
    for p, q in zip(a.model.mlp.parameters, b.model.mlp.parameters):
        assert np.array_equal(p.value, q.value)


def test_a_resumed_run_equals_an_uninterrupted_one_bit_for_bit(moons, tmp_path, monkeypatch):
    config = TrainConfig(hidden=(8,), lr=0.2, momentum=0.9, decay="inverse",
                         decay_rate=0.01, warmup=5, batch_size=16, epochs=8, l1=1e-4,
                         l2=1e-3, patience=100, dtype="float32")
    whole = train(config, moons, run_dir=tmp_path / "whole")

    real_epoch = train_module._run_epoch

    def crash_in_epoch_5(obj, optimizer, train_set, batch_size, rng, epoch, checkpoint):
        if epoch == 5:
            raise KeyboardInterrupt
        real_epoch(obj, optimizer, train_set, batch_size, rng, epoch, checkpoint)

    monkeypatch.setattr(train_module, "_run_epoch", crash_in_epoch_5)
    with pytest.raises(KeyboardInterrupt):
        train(config, moons, run_dir=tmp_path / "split")
    monkeypatch.setattr(train_module, "_run_epoch", real_epoch)
    assert read_archive(tmp_path / "split" / "checkpoint.npz")[1]["epoch"] == 4
    resumed = train(config, moons, run_dir=tmp_path / "split", resume=True)
    assert resumed.history == whole.history and resumed.best_epoch == whole.best_epoch
    for p, q in zip(whole.model.mlp.parameters, resumed.model.mlp.parameters):
        assert p.value.dtype == np.float32 and np.array_equal(p.value, q.value)
    end = [read_archive(tmp_path / run / "checkpoint.npz")[0] for run in ("whole", "split")]
    assert all(np.array_equal(end[0][k], end[1][k]) for k in end[0])


def test_resume_refuses_other_settings_and_allows_more_epochs(moons, tmp_path):
    config = TrainConfig(hidden=(4,), epochs=2)
    train(config, moons, run_dir=tmp_path)
    with pytest.raises(ValueError, match=r"other settings \(lr: 0.1 -> 0.2\)"):
        train(TrainConfig(hidden=(4,), epochs=2, lr=0.2), moons, run_dir=tmp_path, resume=True)
    longer = train(TrainConfig(hidden=(4,), epochs=3), moons, run_dir=tmp_path, resume=True)
    assert [h["epoch"] for h in longer.history] == [1, 2, 3]
    with pytest.raises(ValueError, match="no checkpoint"):
        train(config, moons, run_dir=tmp_path / "empty", resume=True)


@pytest.mark.parametrize("bad, message", [
    (np.nan, r"the loss became nan at epoch 3, step 1 of \d+"),
    (np.inf, r"during epoch 3 the parameter\(s\) W1 became NaN or Inf")])
def test_nan_stops_cleanly_and_keeps_the_last_good_checkpoint(moons, tmp_path, monkeypatch,
                                                               bad, message):
    real_epoch = train_module._run_epoch

    def blow_up_in_epoch_3(obj, optimizer, train_set, batch_size, rng, epoch, checkpoint):
        if epoch == 3:
            optimizer.params[0].value[0, 0] = bad
        real_epoch(obj, optimizer, train_set, batch_size, rng, epoch, checkpoint)

    monkeypatch.setattr(train_module, "_run_epoch", blow_up_in_epoch_3)
    with pytest.raises(af.NonFiniteError, match=message + ".*last good checkpoint "
                                                          r"\(epoch 2\) is kept"):
        train(TrainConfig(hidden=(4,), epochs=5, l2=0.0, momentum=0.0, dtype="float64"), moons,
              run_dir=tmp_path)
    arrays, meta = read_archive(tmp_path / "checkpoint.npz")
    assert meta["epoch"] == 2 and all(np.isfinite(a).all() for a in arrays.values())
    assert not (tmp_path / "model.npz").exists()


def test_a_huge_learning_rate_diverges_with_a_clear_error(moons):
    with pytest.raises(af.NonFiniteError, match="training diverged.*Lower the learning rate"):
        train(TrainConfig(hidden=(8,), lr=1e38, epochs=3, dtype="float32"), moons)


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 0}, "batch_size"), ({"l2": -1.0}, "l2"), ({"dtype": "int8"}, "dtype"),
    ({"hidden": (0,)}, "hidden"), ({"activation": "elu"}, "activation"),
    ({"decay": "power", "decay_rate": 0.3}, "0.5 < delta"), ({"patience": 0}, "patience"),
    ({"optimizer": "lbfgs"}, "unknown optimizer 'lbfgs'"),
    ({"optimizer": "adam", "momentum": 0.9}, "Adam takes no momentum"),
    ({"optimizer": "adam", "betas": (0.9, 1.0)}, r"beta2\) must be in \[0, 1\)"),
    ({"momentum": 1.0}, r"momentum \(beta\) must be in \[0, 1\)")])
def test_bad_configs_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_resuming_a_run_that_stopped_early_trains_no_further(moons, tmp_path):
    config = TrainConfig(hidden=(16,), lr=0.5, momentum=0.9, batch_size=8, epochs=60,
                         patience=4)
    first = train(config, moons, run_dir=tmp_path)
    again = train(config, moons, run_dir=tmp_path, resume=True)
    assert first.stopped == again.stopped == "early"
    assert again.history == first.history and again.best_epoch == first.best_epoch
    assert again.valid_error == first.valid_error


def test_a_tampered_checkpoint_is_refused_on_resume(moons, tmp_path):
    config = TrainConfig(hidden=(4,), epochs=2)
    train(config, moons, run_dir=tmp_path)
    arrays, meta = read_archive(tmp_path / "checkpoint.npz")
    del meta["rng"]
    write_archive(tmp_path / "checkpoint.npz", arrays, meta)
    with pytest.raises(ModelFileError, match="checkpoint .* tampered with: KeyError"):
        train(config, moons, run_dir=tmp_path, resume=True)
    (tmp_path / "checkpoint.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ModelFileError, match="cannot read checkpoint file .*truncated"):
        train(config, moons, run_dir=tmp_path, resume=True)


def test_training_runs_compiled_plans_with_the_interpreters_numbers(moons, monkeypatch):
    config = TrainConfig(hidden=(8,), epochs=3, l1=1e-4, dtype="float32")
    compiled = train(config, moons)
    assert compiled.objective.graph.ran == {"fprop": "plan", "bprop": "plan"}
    monkeypatch.setattr(af.plan.cache, "MAX_BOXES", 0)  # no graph compiles
    interpreted = train(config, moons)
    assert interpreted.objective.graph.ran["fprop"] == "interpreter"
    assert compiled.history == interpreted.history
    for p, q in zip(compiled.model.mlp.parameters, interpreted.model.mlp.parameters):
        np.testing.assert_array_equal(p.value, q.value)


def test_each_optimizer_gets_its_own_default_learning_rate_and_momentum():
    assert (TrainConfig().lr, TrainConfig().momentum) == (0.1, 0.9)
    assert (TrainConfig(optimizer="adam").lr, TrainConfig(optimizer="adam").momentum) == (
        0.001, 0.0)
    assert TrainConfig(optimizer="rmsprop", momentum=0.5).momentum == 0.5


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_every_optimizer_learns_moons(moons, optimizer):
    result = train(TrainConfig(hidden=(16,), optimizer=optimizer, epochs=15,
                               lr=0.01 if optimizer != "sgd" else None), moons)
    assert result.test_error < 0.2 and result.history[-1]["train_loss"] < \
        result.history[0]["train_loss"]


def test_the_natural_prediction_path_is_right_and_the_old_trap_warns():
    """The issue's trap: splits used to be standardized and Model.predict standardized
    again (25.8% accuracy on digits, no warning). Splits now hold the raw features."""
    from autograd_flow.data import load_dataset

    splits = load_dataset("digits")
    result = train(TrainConfig(epochs=30), splits)
    predicted = result.model.predict(splits.X_test)
    assert np.mean(predicted != splits.y_test) == pytest.approx(result.test_error)
    assert result.test_error < 0.05 and predicted.dtype.kind == "i"
    standardized = (splits.X_test - result.model.mean) / result.model.std
    with pytest.warns(UserWarning, match="look standardized already"):
        trapped = result.model.predict(standardized)  # what the old splits led to
    assert np.mean(trapped == splits.y_test) < 0.35  # the trap: about a quarter right
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # raw features never warn
        result.model.predict(splits.X_train)
        result.model.predict(splits.X_test[:5])


def test_regression_trains_on_standardized_targets_and_predicts_in_their_units():
    from autograd_flow.data import load_dataset

    splits = load_dataset("diabetes")
    result = train(TrainConfig(optimizer="adam", lr=0.01, hidden=(16,), epochs=40), splits)
    predicted = result.model.predict(splits.X_test)
    assert predicted.shape == splits.y_test.shape
    mse = np.mean((predicted - splits.y_test) ** 2)
    assert result.test_error == pytest.approx(mse, rel=1e-5)
    r2 = 1 - mse / np.var(splits.y_test)
    assert result.r2["test"] == pytest.approx(r2, rel=1e-5) and r2 > 0.25
    assert set(result.history[0]) >= {"train_r2", "valid_r2", "train_error", "valid_loss"}


def test_without_validation_examples_every_epoch_runs_and_the_last_is_kept(moons):
    empty = dataclasses.replace(moons, X_valid=moons.X_valid[:0], y_valid=moons.y_valid[:0])
    result = train(TrainConfig(hidden=(8,), epochs=6, patience=1), empty)
    assert len(result.history) == 6 and result.best_epoch == 6 and result.stopped == "epochs"
    assert np.isnan(result.valid_error)
