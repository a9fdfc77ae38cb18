"""The scikit-learn estimators: scikit-learn's own check_estimator suite, Pipeline,
GridSearchCV and cross_val_score, labels of any type, and a regressor at least as
good as ridge regression on held-out diabetes data."""
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_digits, make_blobs
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from autograd_flow.sklearn import MLPClassifier, MLPRegressor


@parametrize_with_checks([MLPClassifier(hidden=(16,), epochs=20),
                          MLPRegressor(hidden=(16,), epochs=20)])
def test_scikit_learns_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(300, centers=3, n_features=4, random_state=0)


@pytest.mark.parametrize("labels", [np.array(["cat", "dog", "eel"]), np.array([10, 20, 30]),
                                    np.array([-1.0, 0.0, 2.0]), np.array([False, True, True])])
def test_any_label_type_comes_back_as_given(blobs, labels):
    X, codes = blobs
    y = labels[codes]
    model = MLPClassifier(hidden=(8,), epochs=15).fit(X, y)
    assert model.classes_.tolist() == sorted(set(y.tolist()))
    predicted = model.predict(X)
    assert predicted.dtype == y.dtype and set(predicted.tolist()) <= set(y.tolist())
    assert model.score(X, y) == np.mean(predicted == y) > 0.6
    proba = model.predict_proba(X)
    assert proba.shape == (300, len(model.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(model.classes_[np.argmax(proba, axis=1)], predicted)


def test_the_training_options_are_parameters():
    params = MLPClassifier().get_params()
    for name in ("hidden", "activation", "optimizer", "lr", "momentum", "betas", "decay",
                 "batch_size", "epochs", "l1", "l2", "patience", "valid_fraction", "seed"):
        assert name in params
    model = MLPClassifier().set_params(optimizer="adam", lr=0.01, hidden=(8, 8))
    assert model._config().optimizer == "adam" and model._config().hidden == (8, 8)
    assert MLPRegressor()._config().optimizer == "adam"  # optimizer=None: Adam
    assert MLPClassifier()._config().optimizer == "sgd"


def test_pipeline_grid_search_and_cross_validation_on_digits():
    X, y = load_digits(return_X_y=True)
    X, y = X[:600], y[:600]
    pipeline = make_pipeline(StandardScaler(), MLPClassifier(hidden=(32,), epochs=30))
    scores = cross_val_score(pipeline, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.75
    search = GridSearchCV(MLPClassifier(hidden=(16,), epochs=10),
                          {"lr": [0.001, 0.1], "optimizer": ["sgd"]}, cv=2).fit(X, y)
    assert search.best_params_["lr"] == 0.1 and search.best_score_ > 0.75
    assert search.best_estimator_.predict(X[:5]).tolist() == y[:5].tolist()
    assert clone(search.best_estimator_).get_params()["lr"] == 0.1


def test_early_stopping_history_and_no_holdout():
    X, y = load_digits(return_X_y=True)
    model = MLPClassifier(hidden=(16,), epochs=200, patience=3).fit(X, y)
    assert model.n_epochs_ < 200 and model.best_epoch_ == model.n_epochs_ - 3
    assert set(model.history_[0]) >= {"train_loss", "valid_error"}
    every = MLPClassifier(hidden=(16,), epochs=4, valid_fraction=0).fit(X, y)
    assert every.n_epochs_ == every.best_epoch_ == 4


def test_errors_are_clear():
    X = np.random.default_rng(0).standard_normal((20, 3))
    with pytest.raises(ValueError, match="unknown optimizer 'nesterov'"):
        MLPClassifier(optimizer="nesterov").fit(X, np.arange(20) % 2)
    with pytest.raises(ValueError, match=r"valid_fraction must be in \[0, 1\)"):
        MLPRegressor(valid_fraction=1.0).fit(X, np.arange(20.0))
    with pytest.raises(ValueError, match="only one class"):
        MLPClassifier().fit(X, np.zeros(20))


def test_multi_target_regression():
    X = np.random.default_rng(0).standard_normal((200, 3))
    Y = np.column_stack([X[:, 0] * 3 + 1, X[:, 1] - X[:, 2]])
    model = MLPRegressor(hidden=(16,), epochs=60, lr=0.01).fit(X, Y)
    assert model.predict(X).shape == (200, 2) and model.score(X, Y) > 0.9


@pytest.mark.slow
def test_the_regressor_is_at_least_as_good_as_ridge_on_held_out_diabetes():
    """Nested 5-fold cross-validation: in each training part, RidgeCV chooses its alpha
    and GridSearchCV the MLP's L2 weight by inner cross-validation; both are scored on
    the held-out fold (the README quotes these numbers)."""
    X, y = load_diabetes(return_X_y=True)
    outer = KFold(5, shuffle=True, random_state=0)
    mse = "neg_mean_squared_error"
    ridge = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
    mlp = GridSearchCV(MLPRegressor(hidden=(16,), epochs=100, batch_size=16, valid_fraction=0),
                       {"l2": [1e-3, 1e-2, 3e-2]}, cv=3, scoring=mse)
    ridge_mse = -cross_val_score(ridge, X, y, cv=outer, scoring=mse).mean()
    mlp_mse = -cross_val_score(mlp, X, y, cv=outer, scoring=mse).mean()
    assert mlp_mse <= ridge_mse, (mlp_mse, ridge_mse)
    assert mlp_mse == pytest.approx(2926.7, abs=1) and ridge_mse == pytest.approx(2990.4, abs=1)


def test_r_squared_is_scikit_learns_r2_score_averaged_over_targets():
    """The R^2 of train's metrics and of predict, one function: per column, then averaged."""
    from sklearn.metrics import r2_score

    from autograd_flow.learn.objective import r_squared

    rng = np.random.default_rng(3)
    target = rng.standard_normal((40, 3)) * [1.0, 5.0, 20.0]
    prediction = target + rng.standard_normal((40, 3))
    assert r_squared(prediction, target) == pytest.approx(r2_score(target, prediction),
                                                          rel=1e-12)
    assert r_squared(prediction[:, 1], target[:, 1]) == pytest.approx(
        r2_score(target[:, 1], prediction[:, 1]), rel=1e-12)
