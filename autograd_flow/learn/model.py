"""A trained MLP with its preprocessing, which takes raw features and gives the data's
own labels (classification) or targets (regression).

The model standardizes every input with the training split's statistics, so
``model.predict(splits.X_test)`` is right without any preparation; features that look
standardized already (a second standardization would silently ruin the predictions)
raise a warning.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..core.box import Input
from ..core.graph import FlowGraph
from ..nn import MLP
from ..nn import functions as F

TASKS = ("classification", "regression")
_CHECKED_ROWS = 30  # the fewest rows for which "already standardized?" is asked


class Model:
    """A trained MLP and what it needs to be applied to raw data.

    ``mean``, ``std``: the training features' statistics (inputs are standardized with
    them); ``classes``: the labels of the outputs (classification); ``target_mean``,
    ``target_std``: the training targets' statistics (regression: the network predicts
    standardized targets; ``single_target``: predict gives shape (N,), not (N, 1));
    ``info``: how it was trained (data set, settings).
    """

    def __init__(self, mlp: MLP, mean: Any, std: Any, classes: Any = None,
                 feature_names: Sequence[str] | None = None,
                 info: Mapping[str, Any] | None = None, *, task: str = "classification",
                 target_mean: Any = 0.0, target_std: Any = 1.0,
                 single_target: bool = True) -> None:
        if task not in TASKS:
            raise ValueError(f"task must be classification or regression, got {task!r}")
        n_in, n_out = mlp.sizes[0], mlp.sizes[-1]
        self.mlp = mlp
        self.task = task
        self.mean = np.asarray(mean, dtype=np.float64).reshape(n_in)
        self.std = np.asarray(std, dtype=np.float64).reshape(n_in)
        if not (np.isfinite(self.mean).all() and np.isfinite(self.std).all()
                and (self.std > 0).all()):
            raise ValueError("the standardization statistics must be finite with every "
                             f"std > 0, got mean {self.mean[:8].tolist()} and std "
                             f"{self.std[:8].tolist()}")
        if task == "classification":
            self.classes = np.asarray(range(n_out) if classes is None else classes)
            if self.classes.shape != (n_out,):
                raise ValueError(f"{len(self.classes)} classes for {n_out} outputs")
        else:
            self.classes = np.array([])
        self.target_mean = np.broadcast_to(np.asarray(target_mean, np.float64), (n_out,)).copy()
        self.target_std = np.broadcast_to(np.asarray(target_std, np.float64), (n_out,)).copy()
        self.single_target = task == "regression" and single_target and n_out == 1
        self.feature_names = list(feature_names or [f"x{i + 1}" for i in range(n_in)])
        self.info = dict(info or {})
        self._graph: FlowGraph | None = None

    @property
    def n_features(self) -> int:
        """How many input features the model takes."""
        return self.mlp.sizes[0]

    def standardize(self, X: Any) -> np.ndarray:
        """The raw features ``X`` (N, n_features) standardized with the training
        statistics, in the model's dtype: what the network is fed."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"the model takes {self.n_features} features per example, "
                             f"got an array of shape {X.shape}")
        self._warn_if_standardized(X)
        return ((X - self.mean) / self.std).astype(self.mlp.dtype)

    def _run(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """(softmax f(x), output a^(L+1)) for the raw features ``X``, through one
        prebuilt flow graph (in the model's dtype)."""
        if self._graph is None:
            x = Input("x")
            output = self.mlp(x)
            self._graph = FlowGraph([F.softmax(output, name="f(x)"), output], wrt=())
        proba, output = self._graph.fprop({"x": self.standardize(X)})
        return np.array(proba), np.array(output)

    def outputs(self, X: Any) -> np.ndarray:
        """The network's output a^(L+1) for the raw features ``X``: (N, outputs)."""
        return self._run(X)[1]

    def predict_proba(self, X: Any) -> np.ndarray:
        """f(x) = softmax(a^(L+1)(x)) for each row of the raw features ``X``: (N, C),
        columns in the order of ``classes``."""
        self._need("classification", "predict_proba")
        return self._run(X)[0]

    def predict(self, X: Any) -> np.ndarray:
        """For each row of the raw features ``X``: the most probable class label (as in
        the training data: ``classes[argmax_c f(x)_c]``), or the predicted target."""
        outputs = self.outputs(X)
        if self.task == "classification":
            return self.classes[np.argmax(outputs, axis=1)]
        values = outputs.astype(np.float64) * self.target_std + self.target_mean
        return values[:, 0] if self.single_target else values

    def _need(self, task: str, method: str) -> None:
        if self.task != task:
            raise ValueError(f"{method} is for {task} models; this model does {self.task}")

    def _warn_if_standardized(self, X: np.ndarray) -> None:
        """Warn when ``X`` fits "already standardized" far better than "raw like the
        training features": standardizing it again would give wrong predictions."""
        if len(X) < _CHECKED_ROWS:
            return
        with np.errstate(over="ignore", invalid="ignore"):  # huge features: inf distances
            as_given = _distance_from_standard(X)
            as_fed = _distance_from_standard((X - self.mean) / self.std)
        if as_fed > 0.5 and as_given < 0.1 * as_fed:
            warnings.warn(
                "these features look standardized already (each column has mean ~0 and "
                "std ~1) while the model standardizes raw features with the training "
                "statistics itself: pass the raw features (e.g. splits.X_test), or the "
                "predictions are wrong", UserWarning, stacklevel=4)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_graph"] = None  # rebuilt on first use
        return state

    def __repr__(self) -> str:
        if self.task == "regression":
            return f"Model({self.mlp!r}, task='regression')"
        return f"Model({self.mlp!r}, classes={self.classes.tolist()})"


def _distance_from_standard(X: np.ndarray) -> float:
    """Mean over columns of mean**2 + (std - 1)**2: 0 for standardized columns."""
    return float(np.mean(X.mean(axis=0) ** 2 + (X.std(axis=0) - 1) ** 2))
