"""scikit-learn estimators: the lecture's MLP trained by :func:`autograd_flow.learn.training.train`.

``MLPClassifier`` and ``MLPRegressor`` take the training options of
:class:`~autograd_flow.learn.training.TrainConfig` as constructor parameters (``hidden``,
``optimizer``, ``lr``, ``l2``, ``epochs``, ``patience``, ...) plus ``valid_fraction``,
the share of the training examples held out for early stopping (0: train every epoch
and keep the last). They pass scikit-learn's ``check_estimator`` and work in
``Pipeline``, ``GridSearchCV`` and ``cross_val_score``::

    from sklearn.model_selection import GridSearchCV
    from autograd_flow.sklearn import MLPClassifier

    search = GridSearchCV(MLPClassifier(epochs=50), {"lr": [0.03, 0.1], "hidden": [(50,), (100,)]})
    search.fit(X, y).best_params_

Features are standardized inside (with the training statistics), so no scaler is
needed; labels may be of any type (``classes_`` holds them sorted).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .extras import explain

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, validate_data
except ModuleNotFoundError as error:  # scikit-learn: say which extra brings it
    raise explain(error, "autograd_flow.sklearn") or error from None

from .data import Splits, split_rows
from .learn.model import Model
from .learn.training import TrainConfig, TrainResult, train
from .optim.registry import DEFAULT_OPTIMIZER

__all__ = ["MLPClassifier", "MLPRegressor"]


class _MLP(BaseEstimator):
    """What the classifier and the regressor share: the options and the training."""

    _task = "classification"  # optimizer=None means DEFAULT_OPTIMIZER[_task]

    def __init__(self, hidden: tuple[int, ...] = (100,), activation: str = "tanh",
                 optimizer: str | None = None, lr: float | None = None,
                 momentum: float | None = None, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, rmsprop_alpha: float = 0.99, decay: str | None = None,
                 decay_rate: float = 0.0, warmup: int = 0, decay_steps: int = 0,
                 batch_size: int = 32,
                 epochs: int = 100, l1: float = 0.0, l2: float = 1e-4, patience: int = 20,
                 valid_fraction: float = 0.1, seed: int = 0,
                 dtype: str = "float32") -> None:
        self.hidden = hidden
        self.activation = activation
        self.optimizer = optimizer
        self.lr = lr
        self.momentum = momentum
        self.betas = betas
        self.eps = eps
        self.rmsprop_alpha = rmsprop_alpha
        self.decay = decay
        self.decay_rate = decay_rate
        self.warmup = warmup
        self.decay_steps = decay_steps
        self.batch_size = batch_size
        self.epochs = epochs
        self.l1 = l1
        self.l2 = l2
        self.patience = patience
        self.valid_fraction = valid_fraction
        self.seed = seed
        self.dtype = dtype

    def _config(self) -> TrainConfig:
        options = {name: getattr(self, name) for name in (
            "hidden", "activation", "optimizer", "lr", "momentum", "betas", "eps",
            "rmsprop_alpha", "decay", "decay_rate", "warmup", "decay_steps",
            "batch_size", "epochs", "l1",
            "l2", "patience", "seed", "dtype")}
        options["optimizer"] = self.optimizer or DEFAULT_OPTIMIZER[self._task]
        return TrainConfig(**options)

    def _train(self, X: np.ndarray, y: np.ndarray, classes: np.ndarray,
               strata: np.ndarray | None) -> TrainResult:
        """Hold out ``valid_fraction`` of the rows (stratified by ``strata`` when it can
        be) for early stopping, train, and keep the model and its history."""
        config = self._config()
        if not 0 <= self.valid_fraction < 1:
            raise ValueError(f"valid_fraction must be in [0, 1), got {self.valid_fraction}")
        train_rows, valid_rows = _holdout(len(X), self.valid_fraction, strata, self.seed)
        empty = X[:0]
        splits = Splits(X[train_rows], y[train_rows], X[valid_rows], y[valid_rows], empty,
                        y[:0], name=type(self).__name__, task=self._task, classes=classes,
                        feature_names=[f"x{i + 1}" for i in range(X.shape[1])],
                        seed=self.seed, valid_fraction=self.valid_fraction)
        result = train(config, splits, evaluate_test=False)
        self.model_: Model = result.model
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.n_epochs_ = len(result.history)
        return result

    def _model(self, X: Any) -> tuple[Model, np.ndarray]:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self.model_, X


class MLPClassifier(ClassifierMixin, _MLP):
    """The lecture's MLP as a scikit-learn classifier: softmax outputs, mean
    cross-entropy plus L1/L2 penalties on the weights, early stopping on the error rate
    of ``valid_fraction`` of the training examples. The options are those of
    :class:`~autograd_flow.learn.training.TrainConfig` (the same defaults: ``optimizer=None`` is
    SGD with learning rate 0.1 and momentum 0.9; one hidden layer of 100 tanh units, L2
    1e-4).

    After ``fit``: ``classes_``, ``n_features_in_``, ``model_`` (an
    :class:`autograd_flow.learn.model.Model`), ``history_`` (per-epoch losses and errors),
    ``best_epoch_``, ``n_epochs_``.
    """

    def fit(self, X: Any, y: Any) -> MLPClassifier:
        """Train on the features ``X`` (n_samples, n_features) and labels ``y`` of any
        type (at least two classes)."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"Classifier can't train when only one class is present: "
                             f"every label is {self.classes_[0]!r}")
        self._train(X, y, self.classes_, codes)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """f(x): the probability of each class (columns in the order of ``classes_``)."""
        model, X = self._model(X)
        return model.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row of ``X`` (a label of ``classes_``)."""
        model, X = self._model(X)
        return model.predict(X)


class MLPRegressor(RegressorMixin, _MLP):
    """The lecture's MLP as a scikit-learn regressor: a linear output layer, the mean
    squared error of the standardized targets plus L1/L2 penalties on the weights,
    early stopping on the mean squared error of ``valid_fraction`` of the training
    examples; one or several targets. The options are those of
    :class:`~autograd_flow.learn.training.TrainConfig`, but ``optimizer=None`` means Adam
    (learning rate 0.001): SGD at TrainConfig's 0.1 with momentum 0.9 diverges on a
    squared error.

    After ``fit``: ``n_features_in_``, ``model_``, ``history_``, ``best_epoch_``,
    ``n_epochs_``.
    """

    _task = "regression"

    def fit(self, X: Any, y: Any) -> MLPRegressor:
        """Train on the features ``X`` and the targets ``y`` (n_samples,) or
        (n_samples, n_targets)."""
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True,
                             multi_output=True)
        self._train(X, np.asarray(y, dtype=np.float64), np.array([]), None)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The predicted targets: (n_samples,), or (n_samples, n_targets)."""
        model, X = self._model(X)
        return model.predict(X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _holdout(n: int, fraction: float, strata: np.ndarray | None,
             seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, validation rows): ceil(fraction * n) rows held out, stratified when
    every class allows it; none when that would leave no training row."""
    size = math.ceil(fraction * n)
    rows = np.arange(n)
    if size < 1 or size >= n:
        return rows, rows[:0]
    kept, held_out = split_rows(rows, strata, size, seed)
    return np.sort(kept), np.sort(held_out)
