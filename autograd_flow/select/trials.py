"""The default trial: train an MLP with :func:`autograd_flow.learn.training.train` on the
trial's options (early stopping on the validation error, never the test set)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from .space import parse_value

# ---------------------------------------------------------------- the default objective


@dataclass
class TrainObjective:
    """Train an MLP with ``autograd_flow.learn.training.train`` on ``splits`` for a trial: the
    trial's options over ``base`` (fixed TrainConfig options), the trial's seed unless
    ``seed`` is searched. Trials never evaluate the test set (``evaluate_test=False``);
    :meth:`test` retrains the chosen configuration (same seed, so the same model:
    training is deterministic) and measures its test error once."""

    splits: Any
    base: Mapping[str, Any] = field(default_factory=dict)

    def config(self, options: Mapping[str, Any], seed: int) -> Any:
        """The TrainConfig of a trial (unknown option names are an error); unless set,
        the optimizer is the task's default, as for ``autograd-flow train`` (Adam for
        regression)."""
        from ..optim.registry import DEFAULT_OPTIMIZER

        task = getattr(self.splits, "task", "classification")
        return train_config({"optimizer": DEFAULT_OPTIMIZER[task], **self.base, "seed": seed,
                             **options})

    def __call__(self, options: Mapping[str, Any], seed: int) -> dict[str, Any]:
        from ..learn.training import train

        result = train(self.config(options, seed), self.splits, evaluate_test=False)
        best: dict[str, Any] = next(
            (h for h in result.history if h["epoch"] == result.best_epoch), {})
        return {"valid_error": result.valid_error, "train_error": result.train_error,
                "valid_loss": best.get("valid_loss"), "best_epoch": result.best_epoch,
                "epochs": len(result.history), "stopped": result.stopped,
                "task": result.task}

    def test(self, options: Mapping[str, Any], seed: int) -> dict[str, Any]:
        from ..learn.training import train

        result = train(self.config(options, seed), self.splits, evaluate_test=True)
        return {"test_error": result.test_error, "valid_error": result.valid_error,
                "train_error": result.train_error, "task": result.task,
                "model": result.model}


def train_config(options: Mapping[str, Any]) -> Any:
    """A TrainConfig from plain values: names checked, numbers cast to the field's
    type, ``hidden`` from an int (one layer), a list, or text such as "100x50"."""
    from ..learn.training import TrainConfig

    known = {f.name: f for f in fields(TrainConfig)}
    values = {}
    for name, value in options.items():
        if name not in known:
            raise ValueError(f"unknown training option {name!r}; the options are: "
                             f"{', '.join(known)}")
        default = known[name].default
        if name == "hidden":
            value = parse_value(value) if isinstance(value, str) else value
            value = (int(value),) if isinstance(value, (int, np.integer)) \
                else tuple(int(v) for v in value)
        elif name == "betas":
            parts = value.replace(":", "x").split("x") if isinstance(value, str) else value
            value = tuple(float(v) for v in parts)
        elif name in ("lr", "momentum") and value is not None and not isinstance(value, str):
            value = float(value)
        elif isinstance(value, str) and value.lower() in ("none", "null"):
            value = None
        elif isinstance(default, bool):
            value = bool(value)
        elif isinstance(default, int) and value is not None:
            if float(value) != int(value):
                raise ValueError(f"training option {name!r} needs a whole number, got "
                                 f"{value!r}")
            value = int(value)
        elif isinstance(default, float) and value is not None:
            value = float(value)
        values[name] = value
    return TrainConfig(**values)
