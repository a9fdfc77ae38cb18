"""The playground's training: an MLP on features of 2-D points, trained by SGD one
mini-batch at a time, plus what the page draws of it (decision regions or the value
predicted, each unit's response over the plane, the weights, the flow graph coloured
by gradient norm) and what it warns about (a divergence, a stall at the chance level).

A :class:`Trainer` holds three flow graphs over the same Parameters (``af.nn.MLP``
called on three Inputs): the **training graph** (mean softmax cross-entropy, or mean
squared error for regression, of a mini-batch + lambda_1 Omega_1 + lambda_2 Omega_2),
the **evaluation graph** (the data loss and outputs of a whole split) and the **plane
graph** (the prediction and hidden activations over a grid of the plane). Each has
boxes of its own, so the training graph's boxes always hold the values and gradients
of the last update, which is what its picture shows. No threads here: see
:mod:`.session`.
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
from .datasets import PlaneData, features
from .settings import Settings

GRID = 100            # the decision regions: GRID x GRID points of the plane
UNIT_STRIDE = 4       # hidden units are drawn from every 4th grid point (25 x 25)
MAX_UNITS_SHOWN = 16  # per layer
MAX_CURVE_POINTS = 400
PATIENCE = 5          # epochs the loss must stay above its start before the warning
STALL_EPOCHS = 20     # epochs the loss must stay at the chance level (or above)
CHANCE_MARGIN = 0.97  # "at the chance level": above this fraction of it


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
        self.mlp = MLP([len(settings.features), *settings.hidden, data.n_outputs],
                       settings.activation, seed=settings.seed)
        self.X_train = features(data.X_train, settings.features)
        self.X_valid = features(data.X_valid, settings.features)
        self.chance = chance_level(data)
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
        trained = objective(self.mlp, l1=self.settings.l1, l2=self.settings.l2,
                            task=self.data.task)
        self.x, self.y = trained.x, trained.y
        self.graph = FlowGraph(trained.loss)
        self.graph.fprop(self._batch(advance=False))
        self.graph.bprop()

    def _build_evaluation(self) -> None:
        self._eval = objective(self.mlp, task=self.data.task)  # the data loss alone

    def _build_plane(self) -> None:
        """Probabilities (or the value predicted) and hidden activations h1..hL over the
        grid of the plane."""
        x = Input("plane")
        output = self.mlp(x)
        by_name = {box.name: box for box in FlowGraph(output).order}
        hidden = [by_name[f"h{k}"] for k in range(1, len(self.settings.hidden) + 1)]
        outputs: list[Box] = [F.softmax(output) if self.data.classes else output, *hidden]
        e = self.data.extent
        ticks = np.linspace(-e, e, GRID)
        x1, x2 = np.meshgrid(ticks, ticks[::-1])   # row 0 is the top of the picture
        grid = features(np.column_stack([x1.ravel(), x2.ravel()]), self.settings.features)
        self._plane = (x, FlowGraph(outputs), grid)

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
        return {self.x: self.X_train[batch], self.y: self.data.y_train[batch]}

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
        for X, labels in ((self.X_train, self.data.y_train), (self.X_valid, self.data.y_valid)):
            with np.errstate(all="ignore"):
                metrics = evaluate(self._eval, X, labels)
            results += [metrics["loss"], metrics["error"]]
        return Evaluation(*results)

    def plane(self) -> dict[str, Any]:
        """What the page draws over the plane (row 0 at the top): for classification
        the predicted class and its probability per grid point, for regression the value
        predicted; each input feature's, hidden unit's and output's value (uint8 images
        with the value range they span: a class's probability, the value predicted); and
        the weights between the units drawn."""
        x, graph, grid = self._plane
        with np.errstate(all="ignore"):
            output, *hidden = _as_tuple(graph.fprop({x: grid}))
        output = np.nan_to_num(output, nan=0.0)
        if self.data.classes:
            regions = {"predicted": output.argmax(axis=1).astype(np.uint8),
                       "confidence": np.round(output.max(axis=1) * 255).astype(np.uint8)}
        else:
            value = (np.clip(output[:, 0], -1, 1) + 1) / 2
            regions = {"value": np.round(value * 255).astype(np.uint8)}
        side = len(range(0, GRID, UNIT_STRIDE))

        def images(values: np.ndarray, activation: str) -> list[dict[str, Any]]:
            pictures = values.reshape(GRID, GRID, -1)[::UNIT_STRIDE, ::UNIT_STRIDE]
            return [_unit_image(pictures[:, :, k], activation)
                    for k in range(min(values.shape[1], MAX_UNITS_SHOWN))]

        layers = [{"size": int(h.shape[1]), "units": images(h, self.settings.activation)}
                  for h in hidden]
        return {"grid": GRID, "extent": self.data.extent, **regions, "unit_side": side,
                "inputs": images(grid, "linear"), "layers": layers,
                "outputs": images(output, "sigmoid" if self.data.classes else "tanh"),
                "weights": self.shown_weights()}

    def shown_weights(self) -> list[list[list[float]]]:
        """Each layer's W (out, in) between the units drawn (the first MAX_UNITS_SHOWN
        of a layer; every output), to 3 significant digits."""
        last = len(self.mlp.weights) - 1
        return [[[float(f"{w:.3g}") for w in row[:MAX_UNITS_SHOWN]]
                 for row in (W.value if k == last else W.value[:MAX_UNITS_SHOWN])]
                for k, W in enumerate(self.mlp.weights)]

    def curves(self) -> list[dict[str, float]]:
        """The per-epoch history, thinned to at most MAX_CURVE_POINTS epochs evenly
        spaced in log(1 + epoch), as the page's epoch axis is (the first and the last
        kept)."""
        n = len(self.history)
        keep = range(n) if n <= MAX_CURVE_POINTS else np.unique(np.round(
            np.expm1(np.linspace(0, np.log1p(n - 1), MAX_CURVE_POINTS))))
        return [{name: value if name == "epoch" else float(f"{value:.5g}")
                 for name, value in self.history[int(k)].items()} for k in keep]

    def warning(self) -> str | None:
        """What to try when training has gone wrong, read from the per-epoch history: the
        training loss above its starting value for PATIENCE epochs (the steps are too
        large), or for STALL_EPOCHS no better than the chance level (the network predicts
        about the same for every point); None while it learns."""
        losses = [row["train_loss"] for row in self.history]
        lr, momentum = self.settings.lr, self.settings.momentum
        lower = (f"lower the learning rate (now {lr:g}) or the momentum (now {momentum:g}), "
                 "then press Reset")
        if len(losses) > PATIENCE and all(not loss <= losses[0]
                                          for loss in losses[-PATIENCE:]):
            return (f"The training loss has stayed above its starting value "
                    f"({losses[0]:.4g}) for the last {PATIENCE} epochs (now "
                    f"{losses[-1]:.4g}): the steps are too large. Try: {lower}.")
        if len(losses) > STALL_EPOCHS and all(
                not loss < CHANCE_MARGIN * self.chance for loss in losses[-STALL_EPOCHS:]):
            level = ("predicting the class frequencies" if self.data.classes else
                     "predicting the mean")
            best = min(losses)
            if best < 0.8 * self.chance:
                advice = (f"it was {best:.4g} before, so the steps grew too large and "
                          f"saturated the units. Try: {lower}")
            else:
                advice = (f"it has not fallen since the start. Try: raise the learning rate "
                          f"(now {lr:g}), another activation, or more hidden units")
            return (f"The training loss has been at the chance level ({self.chance:.4f}, "
                    f"the loss of {level}) or above for the last {STALL_EPOCHS} epochs "
                    f"(now {losses[-1]:.4g}): the network does no better than a guess; "
                    f"{advice}.")
        return None

    def permute(self, i: int, j: int) -> None:
        """Swap hidden units i and j of the first hidden layer: their rows of W1 and b1,
        their columns of W2 and their momentum. The function the network computes is
        the same (hidden units are not identifiable); only the weights move."""
        if not self.settings.hidden:
            raise ValueError("there is no hidden layer to permute: add one (hidden sizes)")
        size = self.settings.hidden[0]
        if not (0 <= i < size and 0 <= j < size and i != j):
            raise ValueError(f"units {i + 1} and {j + 1}: give two different units from 1 "
                             f"to {size} of the first hidden layer")
        W1, b1, W2 = self.mlp.weights[0], self.mlp.biases[0], self.mlp.weights[1]
        assert self.optimizer is not None
        velocity = dict(zip(map(id, self.optimizer.params),
                            self.optimizer.state.get("velocity", [])))
        for parameter, axis in ((W1, 0), (b1, 0), (W2, 1)):
            for array in (parameter.value, velocity.get(id(parameter))):
                if array is not None:
                    units = np.swapaxes(array, 0, axis)  # a view: units along axis 0
                    units[[i, j]] = units[[j, i]]
        self.graph.fprop(self._batch(advance=False))
        self.graph.bprop()


def chance_level(data: PlaneData) -> float:
    """The training loss of the best prediction that ignores the input: the entropy of
    the class frequencies (ln K for balanced classes), or the targets' variance."""
    if data.classes:
        frequencies = np.bincount(data.y_train, minlength=data.n_classes) / len(data.y_train)
        frequencies = frequencies[frequencies > 0]
        return float(-np.sum(frequencies * np.log(frequencies)))
    return float(np.var(data.y_train))


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
