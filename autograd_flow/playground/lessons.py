"""Two of the lecture's lessons, computed for the page on the tab's own data and settings.

- **Bias and variance** (:func:`capacity_point`): train a fresh network for a few epochs
  at each value of one swept setting (hidden units per layer, the L2 lambda, or the
  training share of the points) and report the final training and validation error: few
  units or a large lambda underfit (both errors high), many units or few training points
  overfit (the training error low, the validation error not).
- **Newton versus SGD** (:func:`newton_versus_sgd`): the same tiny network (one hidden
  layer of TINY_UNITS) trained full-batch by gradient descent, by Newton's method with the
  exact Hessian (``af.optim.Newton``) and by truncated Newton (``af.optim.NewtonCG``),
  iteration by iteration: Newton needs few iterations, each costing many gradients.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..errors import TrainingDiverged
from ..optim.newton import Newton
from ..optim.newton_cg import NewtonCG
from .datasets import PlaneData
from .settings import Settings
from .trainer import Trainer

SWEEPS = {"units": "hidden units per layer", "l2": "L2 λ", "ratio": "training share (%)"}
SWEEP_VALUES: dict[str, tuple[float, ...]] = {
    "units": (1, 2, 4, 8, 16, 32),
    "l2": (0.0, 0.0001, 0.001, 0.01, 0.03, 0.1),
    "ratio": (10, 20, 30, 50, 70, 90),
}
SWEEP_EPOCHS = (25, 50, 100, 200)
TINY_UNITS = 4
NEWTON_ITERATIONS = 20


def swept(settings: Settings, sweep: str, value: float) -> Settings:
    """``settings`` with the swept one set to ``value`` (units: every hidden layer that
    many units wide, one layer when there is none)."""
    if sweep == "units":
        return replace(settings, hidden=(int(value),) * max(1, len(settings.hidden)))
    if sweep == "l2":
        return replace(settings, l2=float(value))
    if sweep == "ratio":
        return replace(settings, ratio=int(value))
    raise ValueError(f"sweep {sweep!r}: choose one of {', '.join(SWEEPS)}")


def capacity_point(settings: Settings, data: PlaneData, epochs: int,
                   stop: Callable[[], bool]) -> dict[str, Any] | None:
    """Train a fresh network ``epochs`` epochs; its final errors and losses (None values
    after a divergence). None when ``stop()`` turned true meanwhile."""
    trainer = Trainer(settings, data)
    try:
        while trainer.epoch < epochs:
            if stop():
                return None
            for _ in range(trainer.steps_per_epoch()):
                trainer.step()
    except TrainingDiverged:
        return {"train_error": None, "valid_error": None, "train_loss": None,
                "valid_loss": None, "diverged": True}
    return {**{name: _finite(value) for name, value in vars(trainer.evaluate()).items()},
            "diverged": False}


def newton_versus_sgd(settings: Settings, data: PlaneData,
                      iterations: int = NEWTON_ITERATIONS) -> list[dict[str, Any]]:
    """The tiny network trained full-batch by each method from the same initial
    weights: per method its name, the training loss before and after each iteration,
    the seconds it took, its final errors and its Trainer (for the regions)."""
    tiny = replace(settings, hidden=(TINY_UNITS,), batch_size=len(data.y_train),
                   decay="none")
    results = []
    for name in ("gradient descent", "Newton", "NewtonCG"):
        trainer = Trainer(tiny, data)
        feed = {trainer.x: trainer.X_train, trainer.y: data.y_train}
        optimizer: Newton | NewtonCG | None = (
            Newton(trainer.mlp.parameters) if name == "Newton" else
            NewtonCG(trainer.mlp.parameters) if name == "NewtonCG" else None)
        losses = [trainer.evaluate().train_loss]
        started = time.perf_counter()
        try:
            for _ in range(iterations):
                if optimizer is None:
                    trainer.step()
                else:
                    optimizer.step(trainer.graph, feed)
                losses.append(trainer.evaluate().train_loss)
        except TrainingDiverged:
            pass
        seconds = time.perf_counter() - started
        evaluation = trainer.evaluate()
        label = (f"gradient descent (α {settings.lr:g}, β {settings.momentum:g})"
                 if optimizer is None else name)
        results.append({"name": label, "losses": [_finite(loss) for loss in losses],
                        "seconds": round(seconds, 3),
                        "train_error": _finite(evaluation.train_error),
                        "valid_error": _finite(evaluation.valid_error),
                        "trainer": trainer})
    return results


def _finite(value: float) -> float | None:
    return float(f"{value:.5g}") if math.isfinite(value) else None
