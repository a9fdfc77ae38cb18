"""The lecture's multilayer perceptron, built from boxes.

``MLP([n_in, H_1, ..., H_L, n_out])`` holds the parameters; calling it on a box wires
L hidden layers h^(k) = g(a^(k)), a^(k) = b^(k) + W^(k) h^(k-1) (``af.linear`` plus an
activation box) and the output pre-activation a^(L+1). Softmax and the loss are added
by the caller (``af.softmax_cross_entropy``), so the same MLP serves training and
prediction.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.box import Box, Parameter
from ..core.scope import scope
from ..ops import surface as N
from . import functions as F
from .layer import Layer, float_dtype, glorot_uniform

ACTIVATIONS: dict[str, Callable[..., Box]] = {
    "tanh": N.tanh,
    "sigmoid": N.sigmoid,
    "relu": N.relu,
    "linear": N.identity,
}


class MLP(Layer):
    """A multilayer perceptron whose layers are flow-graph boxes.

    ``sizes`` = [n_in, H_1, ..., H_L, n_out]. Weights W^(k) of shape (H_k, H_(k-1)) are
    drawn from U[-b, b], b = sqrt(6)/sqrt(H_k + H_(k-1)); biases start at 0 (lecture,
    parameter initialization). ``dtype`` is the parameters' dtype (float32 keeps the
    whole graph in float32 when the inputs are float32).
    """

    def __init__(self, sizes: Sequence[int], activation: str = "tanh", seed: int = 0,
                 dtype: Any = np.float64) -> None:
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or any(s < 1 for s in sizes):
            raise ValueError(f"MLP sizes must be [n_in, hidden..., n_out] with every size "
                             f">= 1, got {list(sizes)}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}: choose one of "
                             f"{', '.join(ACTIVATIONS)}")
        dtype = float_dtype(dtype, "MLP")
        self.sizes: tuple[int, ...] = tuple(sizes)
        self.activation = activation
        self.seed = seed
        self.dtype = dtype
        rng = np.random.default_rng(seed)
        self.weights: list[Parameter] = []
        self.biases: list[Parameter] = []
        for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            W = glorot_uniform((fan_out, fan_in), fan_in, fan_out, rng, dtype)
            self.weights.append(Parameter(W, name=f"W{k}"))
            self.biases.append(Parameter(np.zeros(fan_out, dtype=dtype), name=f"b{k}"))

    @property
    def parameters(self) -> list[Parameter]:
        """W1, b1, W2, b2, ..., in layer order."""
        return [p for pair in zip(self.weights, self.biases) for p in pair]

    def __call__(self, x: Box) -> Box:
        """The output pre-activation a^(L+1) (the logits) for the input box ``x``."""
        g = ACTIVATIONS[self.activation]
        h = x
        last = len(self.weights)
        for k, (W, b) in enumerate(zip(self.weights, self.biases), start=1):
            if k < last:
                with scope("layer", f"layer{k}"):
                    h = g(F.linear(h, W, b, name=f"a{k}"), name=f"h{k}")
            else:
                with scope("layer", "output"):
                    h = F.linear(h, W, b, name=f"a{k}")
        return h

    def __repr__(self) -> str:
        return f"MLP(sizes={list(self.sizes)}, activation={self.activation!r})"
