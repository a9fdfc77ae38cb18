"""Inverted dropout (Srivastava et al. 2014), seeded, with its masks drawn inside the
graph by a counter-based generator (:mod:`autograd_flow.nn.randomness`)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..core.box import Box, Constant, as_box
from ..core.scope import scope
from .layer import Layer
from .randomness import HALF, keep_mask, squares_key


class Dropout(Layer):
    """Inverted dropout: in training mode y = h * m / (1 - p), each m_i ~ Bernoulli(1 - p)
    independently, so E[y] = h; in evaluation mode y = h (no boxes at all).
    d h = d y * m / (1 - p).

    How it fits a static graph: the mask of step t is a fixed function of (seed, t, the
    entry's position), computed by boxes (Widynski's Squares generator), so it has h's
    shape whatever the batch size, and running the graph again in the same step (a
    gradient check, a line search) sees the same mask. ``end_step()`` (once per training
    step; ``Sequential`` and every layer pass it on) moves to step t + 1 and new masks.
    ``step`` can be set, e.g. to resume a run. The same seed and step give the same
    masks; two Dropout layers in one network need different seeds (each call of one
    layer gets its own stream of the seed).
    """

    def __init__(self, p: float = 0.5, seed: int = 0, name: str = "dropout") -> None:
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"Dropout '{name}': p is the probability of dropping an entry "
                             f"and must lie in [0, 1], got {p!r}")
        self.p = float(p)
        self.seed = int(seed)
        self.name = name
        # an array, changed in place: a compiled plan writes a Python number into its code
        self._offset = Constant(np.zeros((), np.uint64), name=f"{name}: step * 2^32")
        self._calls = 0
        self._step = 0

    @property
    def step(self) -> int:
        """The training step whose masks the graph draws (0 at first)."""
        return self._step

    @step.setter
    def step(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < HALF:
            raise ValueError(f"Dropout '{self.name}': step must be an integer in [0, 2^32), "
                             f"got {value!r}")
        self._step = value
        self._offset.value[...] = value * HALF

    def end_step(self) -> None:
        """Move to the next step: the next fprop draws new masks."""
        self.step = self._step + 1

    def __call__(self, h: Any) -> Box:
        """h itself in evaluation mode (or when p = 0); in training mode h times a fresh
        keep mask, scaled by 1 / (1 - p)."""
        h = as_box(h)
        if not self.training or self.p == 0:
            return h
        with scope("dropout", self.name):
            if self.p == 1:
                return ops.Mul(h, 0.0, name=self.name)
            key = squares_key(self.seed, self._calls)
            self._calls += 1
            keep = keep_mask(h, self.p, key, self._offset)
            return ops.Where(keep, ops.Mul(h, 1 / (1 - self.p), name="h / (1 - p)"), 0,
                             name=self.name)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p}, seed={self.seed}, name={self.name!r})"
