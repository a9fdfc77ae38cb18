"""The playground's training: an MLP on 2-D points, trained by SGD one mini-batch at a
time, plus what the page draws of it (decision regions, each hidden unit's response
over the plane, the flow graph coloured by gradient norm).

A :class:`Trainer` holds three flow graphs over the same Parameters (``af.nn.MLP``
called on three Inputs): the **training graph** (mean softmax cross-entropy of a
mini-batch + lambda_1 Omega_1 + lambda_2 Omega_2), the **evaluation graph** (the
cross-entropy and logits of a whole split) and the **plane graph** (softmax
probabilities and hidden activations over a grid of the plane). Each has boxes of its
own, so the training graph's boxes always hold the values and gradients of the last
update, which is what its picture shows. No threads here: see :mod:`.session`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.box import Box, Input
from ..core.graph import FlowGraph
from ..errors import TrainingDiverged
from ..learn.objective import evaluate, objective
from ..nn import MLP
from ..nn import functions as F
from ..optim.sgd import SGD
from .datasets import PlaneData
from .settings import Settings

GRID = 100            # the decision regions: GRID x GRID points of the plane
UNIT_STRIDE = 4       # hidden units are drawn from every 4th grid point (25 x 25)
MAX_UNITS_SHOWN = 16  # per layer
MAX_CURVE_POINTS = 400


@dataclass
class Evaluation:
    """Cross-entropy and error rate of the current parameters on the train and valid
    points."""

    train_loss: float
    train_error: float
    valid_loss: float
    valid_error: float


class Trainer:
    """An MLP learning ``data`` with ``settings`` (deterministic given the seed)."""

    def __init__(self, settings: Settings, data: PlaneData) -> None:
        self.data = data
        self.settings = settings
        self.mlp = MLP([2, *settings.hidden, data.n_classes], settings.activation,
                       seed=settings.seed)
        self.epoch = 0          # complete passes over the training points
        self.updates = 0        # SGD steps
        self.history: list[dict[str, float]] = []
        self._rng = np.random.default_rng([settings.seed, 3])
        self._order = self._rng.permutation(len(data.y_train))
        self._position = 0      # next example of self._order
        self._build_evaluation()
        self._build_plane()
        self.optimizer: SGD | None = None
        self.configure(settings)
        self.history.append({"epoch": 0, **vars(self.evaluate())})

    # -- graphs ----------------------------------------------------------------------

    def _build_training(self) -> None:
        """The training graph for the current penalties; primed with a first fprop and
        bprop (no update) so its picture shows values and gradients from the start."""
        trained = objective(self.mlp, l1=self.settings.l1, l2=self.settings.l2)
        self.x, self.y = trained.x, trained.y
        self.graph = FlowGraph(trained.loss)
        self.graph.fprop(self._batch(advance=False))
        self.graph.bprop()

    def _build_evaluation(self) -> None:
        self._eval = objective(self.mlp)  # the data loss alone, as training reports it

    def _build_plane(self) -> None:
        """Probabilities and hidden activations h1..hL over the grid of the plane."""
        x = Input("plane")
        logits = self.mlp(x)
        by_name = {box.name: box for box in FlowGraph(logits).order}
        hidden = [by_name[f"h{k}"] for k in range(1, len(self.settings.hidden) + 1)]
        outputs: list[Box] = [F.softmax(logits), *hidden]
        e = self.data.extent
        ticks = np.linspace(-e, e, GRID)
        x1, x2 = np.meshgrid(ticks, ticks[::-1])   # row 0 is the top of the picture
        self._plane = (x, FlowGraph(outputs), np.column_stack([x1.ravel(), x2.ravel()]))

    # -- settings ------------------------------------------------------------------------

    def configure(self, settings: Settings) -> None:
        """Apply settings that keep the network (learning rate, momentum, decay,
        penalties, batch size, speed): SGD keeps its update count and momentum buffers."""
        penalties_changed = self.optimizer is None or \
            (settings.l1, settings.l2) != (self.settings.l1, self.settings.l2)
        self.settings = settings
        decay = None if settings.decay == "none" else settings.decay
        optimizer = SGD(self.mlp.parameters, settings.lr, settings.momentum, decay,
                        settings.decay_rate)
        if self.optimizer is not None:
            optimizer.load_state_dict(self.optimizer.state_dict())
        self.optimizer = optimizer
        if penalties_changed:
            self._build_training()

    # -- training ------------------------------------------------------------------------

    def _batch(self, advance: bool = True) -> dict[Box, np.ndarray]:
        size = min(self.settings.batch_size, len(self._order))
        if self._position >= len(self._order):
            self._position = 0
        batch = self._order[self._position:self._position + size]
        if advance:
            self._position += len(batch)
        return {self.x: self.data.X_train[batch], self.y: self.data.y_train[batch]}

    def step(self) -> float:
        """One SGD update on the next mini-batch; returns its loss (before the update).
        At the end of an epoch, records the epoch's evaluation in ``history`` and
        reshuffles. Raises TrainingDiverged on a NaN or infinite loss or parameter."""
        with np.errstate(all="ignore"):
            loss = float(self.graph.fprop(self._batch()))
            if not math.isfinite(loss):
                raise self._diverged(f"the loss of update {self.updates + 1} became {loss}")
            assert self.optimizer is not None  # made with the network
            self.optimizer.step(self.graph.bprop())
        self.updates += 1
        if not all(np.isfinite(p.value).all() for p in self.mlp.parameters):
            raise self._diverged(f"update {self.updates} made a parameter NaN or infinite")
        if self._position >= len(self._order):
            self.epoch += 1
            self._order = self._rng.permutation(len(self._order))
            self._position = 0
            self.history.append({"epoch": self.epoch, **vars(self.evaluate())})
        return loss

    def steps_per_epoch(self) -> int:
        """Updates in one pass over the training points."""
        return math.ceil(len(self._order) / min(self.settings.batch_size, len(self._order)))

    def _diverged(self, what: str) -> TrainingDiverged:
        return TrainingDiverged(
            f"training diverged at epoch {self.epoch}: {what}. Lower the learning rate "
            f"(now {self.settings.lr:g}) or the momentum (now {self.settings.momentum:g}), "
            "then press reset.")

    # -- what the page shows -------------------------------------------------------------

    def evaluate(self) -> Evaluation:
        """Mean cross-entropy and error rate on the training and validation points."""
        results = []
        for X, labels in ((self.data.X_train, self.data.y_train),
                          (self.data.X_valid, self.data.y_valid)):
            with np.errstate(all="ignore"):
                metrics = evaluate(self._eval, X, labels)
            results += [metrics["loss"], metrics["error"]]
        return Evaluation(*results)

    def plane(self) -> dict[str, Any]:
        """The decision regions (per grid point: the predicted class and its probability,
        row 0 at the top) and each hidden unit's activation over the plane (uint8 images
        with the value range they span)."""
        x, graph, grid = self._plane
        with np.errstate(all="ignore"):
            probabilities, *hidden = _as_tuple(graph.fprop({x: grid}))
        probabilities = np.nan_to_num(probabilities, nan=0.0)
        layers = []
        side = len(range(0, GRID, UNIT_STRIDE))
        for h in hidden:
            images = h.reshape(GRID, GRID, -1)[::UNIT_STRIDE, ::UNIT_STRIDE]
            units = [_unit_image(images[:, :, k], self.settings.activation)
                     for k in range(min(h.shape[1], MAX_UNITS_SHOWN))]
            layers.append({"size": int(h.shape[1]), "units": units})
        return {"grid": GRID, "extent": self.data.extent,
                "predicted": probabilities.argmax(axis=1).astype(np.uint8),
                "confidence": np.round(probabilities.max(axis=1) * 255).astype(np.uint8),
                "unit_side": side, "layers": layers}

    def curves(self) -> list[dict[str, float]]:
        """The per-epoch history, thinned to at most MAX_CURVE_POINTS evenly spaced
        epochs (the first and the last kept)."""
        keep = range(len(self.history)) if len(self.history) <= MAX_CURVE_POINTS else \
            np.unique(np.linspace(0, len(self.history) - 1, MAX_CURVE_POINTS).round())
        return [{name: value if name == "epoch" else float(f"{value:.5g}")
                 for name, value in self.history[int(k)].items()} for k in keep]


def _as_tuple(values: Any) -> tuple[np.ndarray, ...]:
    return values if isinstance(values, tuple) else (values,)


def _unit_image(values: np.ndarray, activation: str) -> dict[str, Any]:
    """A hidden unit's activations as uint8 (0 = ``low``, 255 = ``high``), with the
    value drawn white: 0 for tanh and linear units (diverging colours), else ``low``."""
    values = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if activation == "tanh":
        low, high = -1.0, 1.0
    elif activation == "sigmoid":
        low, high = 0.0, 1.0
    elif activation == "relu":
        low, high = 0.0, max(float(values.max()), 1e-9)
    else:
        high = max(float(np.abs(values).max()), 1e-9)
        low = -high
    scaled = np.clip((values - low) / (high - low), 0, 1) * 255
    return {"pixels": np.round(scaled).astype(np.uint8), "low": low, "high": high,
            "diverging": activation in ("tanh", "linear")}
