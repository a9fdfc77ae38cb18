"""Batch normalization (Ioffe and Szegedy 2015) with PyTorch's conventions, for a static
graph: the training graph normalizes with the batch's statistics, the evaluation graph
with the running statistics, and ``end_step()`` folds each training step's batch
statistics into the running ones (layer, group and RMS normalization, which use each
example's own statistics, are in :mod:`.example_norm`)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..core.box import Box, Constant, Input, Parameter, as_box
from ..core.scope import scope
from .layer import Layer, float_dtype, positive_int


class BatchNorm(Layer):
    """y = (x - mu) / sqrt(sigma^2 + eps) * gamma + beta per channel, the channel being
    axis 1 of x: (N, C), (N, C, L) or (N, C, H, W) (PyTorch's BatchNorm1d and 2d).

    - Training mode: mu and sigma^2 are the mean and the biased variance of the batch
      over every axis but the channel's (N, or N, H and W), and the gradient flows
      through them too (the composite differentiates them like any boxes).
    - Evaluation mode: mu and sigma^2 are the running statistics ``running_mean``
      (starts at 0) and ``running_var`` (starts at 1), Constants the layer updates.
    - ``end_step()`` (once per training step, after its fprop) folds the statistics of
      that fprop into them: running = (1 - momentum) running + momentum batch, with the
      unbiased batch variance (n / (n - 1) sigma^2, n values per channel), as PyTorch;
      ``momentum=None`` keeps the plain average of every batch so far.
    - gamma (``weight``, starts at 1) and beta (``bias``, 0) are Parameters when
      ``affine`` (the default).

    Build the training graph after ``train()`` and the evaluation graph after ``eval()``;
    both use the same Parameters and running statistics.
    """

    def __init__(self, num_features: int, momentum: float | None = 0.1, eps: float = 1e-5,
                 affine: bool = True, dtype: Any = np.float64, name: str = "batchnorm") -> None:
        who = f"BatchNorm '{name}'"
        self.num_features = positive_int(num_features, "num_features", who)
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{who}: momentum must lie in [0, 1] (or be None for a "
                             f"cumulative average), got {momentum!r}")
        if not eps > 0:
            raise ValueError(f"{who}: eps must be positive, got {eps!r}")
        dtype = float_dtype(dtype, who)
        self.momentum, self.eps, self.name = momentum, float(eps), name
        C = self.num_features
        self.weight = Parameter(np.ones(C, dtype), name=f"{name}.weight") if affine else None
        self.bias = Parameter(np.zeros(C, dtype), name=f"{name}.bias") if affine else None
        self.running_mean = Constant(np.zeros(C, dtype), name=f"{name}.running_mean")
        self.running_var = Constant(np.ones(C, dtype), name=f"{name}.running_var")
        self.num_batches_tracked = 0
        self._batches: list[tuple[Box, Box, Box]] = []  # (mean, var, rows) per training call
        self._folded: list[tuple[Any, Any]] = []  # (array, copy) of the means last folded

    def __call__(self, x: Any) -> Box:
        """The normalized x, same shape; batch or running statistics by the mode."""
        x = as_box(x)
        C = self.num_features
        if isinstance(x, Input) and x.shape is not None and (
                len(x.shape) < 2 or x.shape[1] not in (None, C)):
            raise ValueError(f"BatchNorm '{self.name}' normalizes {C} channels along axis 1 "
                             f"but the input {x.name!r} has shape {x.shape}; give it shape "
                             f"(N, {C}, ...) or change num_features")
        with scope("batchnorm", self.name):
            channels_last = ops.MoveAxis(x, 1, -1, name=f"x as (..., C={C})")
            mean: Box
            var: Box
            if self.training:
                rows = ops.Reshape(channels_last, shape=(-1, C),
                                   name=f"{self.name}: x (N, {C}, ...) as rows of {C}")
                mean = ops.Mean(rows, axis=0, name="batch mean")
                centered = ops.Sub(channels_last, mean,
                                   name=f"{self.name}: x - mean, x (N, {C}, ...)")
                var = ops.Mean(ops.Square(ops.Sub(rows, mean)), axis=0, name="batch var")
                self._batches.append((mean, var, rows))
            else:
                centered = ops.Sub(channels_last, self.running_mean,
                                   name=f"{self.name}: x - running mean, x (N, {C}, ...)")
                var = self.running_var
            scale: Box = ops.Div(1, ops.Sqrt(ops.Add(var, self.eps)), name="1 / sqrt(var + eps)")
            if self.weight is not None:
                scale = ops.Mul(scale, self.weight, name="gamma / sqrt(var + eps)")
            y: Box = ops.Mul(centered, scale)
            if self.bias is not None:
                y = ops.Add(y, self.bias, name="+ beta")
            return ops.MoveAxis(y, -1, 1, name=self.name)

    def end_step(self) -> None:
        """Fold the batch statistics of the last training fprop into the running
        statistics (once per call of the layer in training mode)."""
        fresh = [(m, v, r) for m, v, r in self._batches
                 if m.value is not None and not self._was_folded(m.value)]
        if self._batches and not fresh:
            raise RuntimeError(
                f"BatchNorm '{self.name}': end_step() found no batch statistics computed since "
                "the last one: run the training graph's fprop once before each end_step()")
        self._folded = []
        for mean, var, rows in fresh:
            n = np.shape(rows.value)[0]
            if n < 2:
                raise ValueError(f"BatchNorm '{self.name}': a training batch needs more than "
                                 f"one value per channel to estimate a variance, got {n} "
                                 f"(input of shape {np.shape(rows.inputs[0].value)})")
            self.num_batches_tracked += 1
            factor = (1 / self.num_batches_tracked if self.momentum is None
                      else self.momentum)
            unbiased = var.value * (n / (n - 1))
            for running, batch in ((self.running_mean, mean.value),
                                   (self.running_var, unbiased)):
                running.value *= 1 - factor
                running.value += factor * batch
            self._folded.append((mean.value, np.array(mean.value)))

    def _was_folded(self, mean: Any) -> bool:
        """Whether this batch mean is one the last end_step folded in: the same array
        with the same values (a plan may keep a value in a buffer it overwrites)."""
        return any(mean is array and np.array_equal(mean, copy)
                   for array, copy in self._folded)

    def __repr__(self) -> str:
        return (f"BatchNorm({self.num_features}, momentum={self.momentum}, eps={self.eps}, "
                f"affine={self.weight is not None}, name={self.name!r})")
