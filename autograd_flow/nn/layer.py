"""What every layer of :mod:`autograd_flow.nn` shares: its parameters, its mode
(training or evaluation) and the hook run once per training step; plus the two
simplest layers, :class:`Linear` and :class:`Sequential`.

A layer is an object holding Parameters; calling it on a box wires the layer's
composite of primitive boxes into the graph and returns the output box. Nothing runs
until a :class:`~autograd_flow.FlowGraph` does.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ..core.box import Box, Constant, Input, Leaf, Parameter
from . import functions as F


def init_bound(fan_out: int, fan_in: int) -> float:
    """The lecture's initialization range: b = sqrt(6) / sqrt(H_k + H_(k-1))."""
    return float(np.sqrt(6.0) / np.sqrt(fan_out + fan_in))


def glorot_uniform(shape: Sequence[int], fan_in: int, fan_out: int,
                   rng: np.random.Generator, dtype: Any) -> np.ndarray:
    """Weights drawn from U[-b, b], b = sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio
    2010; the lecture's initialization)."""
    bound = init_bound(fan_out, fan_in)
    return rng.uniform(-bound, bound, size=tuple(shape)).astype(dtype)


def float_dtype(dtype: Any, who: str) -> np.dtype:
    """``dtype`` as a numpy float dtype, or a ValueError naming the layer."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"{who}: dtype must be a float dtype, got {dtype}")
    return dtype


def positive_int(value: Any, what: str, who: str) -> int:
    """``value`` as an int >= 1, or a ValueError naming the layer and the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{who}: {what} must be an integer >= 1, got {value!r}")
    return int(value)


def static_shape(box: Box) -> tuple[int | None, ...] | None:
    """What is known of a box's shape when the graph is built: an Input's declared shape
    (None along an axis of any size), a Parameter's or Constant's value's shape; None
    for an undeclared Input and for a box computed when the graph runs."""
    if isinstance(box, Input):
        return box.shape
    if isinstance(box, Leaf) and box.value is not None:
        return np.shape(box.value)
    return None


class Layer:
    """Base of the layers: Parameters, a mode, and a per-step hook.

    - ``parameters``: the layer's Parameters (its own, then its sub-layers'), in order;
      ``buffers``: the arrays it updates itself (BatchNorm's running statistics).
    - **Mode.** ``training`` is True after construction (as in PyTorch); ``train()`` and
      ``eval()`` set it for the layer and its sub-layers. A graph is static, so the mode
      is read when the layer is *called*, that is when the graph is built: build the
      training graph in training mode and the evaluation graph in evaluation mode (two
      graphs over the same Parameters and running statistics). Only Dropout and
      BatchNorm build different boxes in the two modes.
    - ``end_step()``: call it once after each training step (fprop, bprop, update): a
      BatchNorm folds the batch statistics of that step into its running statistics
      and a Dropout moves on to the next step's masks. It does nothing for the others.
    """

    training: bool = True

    def __call__(self, x: Any) -> Box:
        """The layer's output box for the input box ``x`` (wires its composite)."""
        raise NotImplementedError(f"{type(self).__name__} must define __call__")

    @property
    def parameters(self) -> list[Parameter]:
        """The Parameters of this layer and its sub-layers, each once, in order."""
        found: dict[int, Parameter] = {}
        for value in vars(self).values():
            if isinstance(value, Parameter):
                found.setdefault(id(value), value)
        for layer in self.layers():
            for parameter in layer.parameters:
                found.setdefault(id(parameter), parameter)
        return list(found.values())

    @property
    def buffers(self) -> list[Constant]:
        """The Constants holding arrays this layer and its sub-layers update themselves
        (running statistics), each once, in order."""
        found: dict[int, Constant] = {}
        for key, value in vars(self).items():
            if isinstance(value, Constant) and isinstance(value.value, np.ndarray) \
                    and not key.startswith("_"):
                found.setdefault(id(value), value)
        for layer in self.layers():
            for buffer in layer.buffers:
                found.setdefault(id(buffer), buffer)
        return list(found.values())

    def layers(self) -> Iterator[Layer]:
        """The direct sub-layers (attributes that are layers, or lists of them)."""
        seen: set[int] = set()
        for value in vars(self).values():
            items = value if isinstance(value, (list, tuple)) else [value]
            for item in items:
                if isinstance(item, Layer) and id(item) not in seen:
                    seen.add(id(item))
                    yield item

    def train(self, mode: bool = True) -> Layer:
        """Set training mode (``mode=False``: evaluation) here and in every sub-layer;
        the layer builds the boxes of that mode when it is next called."""
        self.training = bool(mode)
        for layer in self.layers():
            layer.train(mode)
        return self

    def eval(self) -> Layer:
        """Set evaluation mode here and in every sub-layer (``train(False)``)."""
        return self.train(False)

    def end_step(self) -> None:
        """Call once after each training step: sub-layers' per-step updates (running
        statistics, next dropout masks)."""
        for layer in self.layers():
            layer.end_step()

    def get_values(self) -> list[np.ndarray]:
        """Copies of the parameter values, then of the buffers (running statistics), e.g.
        to remember the best epoch."""
        return [p.value.copy() for p in self.parameters + self.buffers]

    def set_values(self, values: Sequence[np.ndarray]) -> None:
        """Write ``values`` (as from :meth:`get_values`) into the parameters and buffers,
        in place."""
        parameters = self.parameters + self.buffers
        if len(values) != len(parameters):
            raise ValueError(f"expected {len(parameters)} arrays for {self!r}, "
                             f"got {len(values)}")
        for p, v in zip(parameters, values):
            if np.shape(v) != p.value.shape:
                what = "parameter" if isinstance(p, Parameter) else "buffer"
                raise ValueError(f"{what} {p.name} of {self!r} has shape {p.value.shape}, "
                                 f"the given array has shape {np.shape(v)}")
            p.value[...] = v


class Linear(Layer):
    """a = b + W h (the lecture's layer, batched: h @ W.T + b) with W of shape
    (out_features, in_features) drawn from U[-b, b], b = sqrt(6 / (in + out)), and b = 0.
    Calling it wires :func:`autograd_flow.linear`."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, seed: int = 0,
                 dtype: Any = np.float64, name: str = "linear") -> None:
        who = f"Linear '{name}'"
        in_features = positive_int(in_features, "in_features", who)
        out_features = positive_int(out_features, "out_features", who)
        dtype = float_dtype(dtype, who)
        rng = np.random.default_rng(seed)
        self.name = name
        self.in_features, self.out_features = in_features, out_features
        self.W = Parameter(glorot_uniform((out_features, in_features), in_features,
                                          out_features, rng, dtype), name=f"{name}.W")
        self.b = Parameter(np.zeros(out_features, dtype), name=f"{name}.b") if bias else None

    def __call__(self, h: Any) -> Box:
        """The pre-activation b + W h for a box ``h`` of shape (..., in_features)."""
        return F.linear(h, self.W, self.b, name=self.name)

    def __repr__(self) -> str:
        return (f"Linear({self.in_features}, {self.out_features}, "
                f"bias={self.b is not None}, name={self.name!r})")


class Sequential(Layer):
    """Steps applied in order: layers, or any function from a box to a box (``af.relu``,
    ``lambda h: h.reshape(-1, 128)``). Its parameters, mode and ``end_step`` are its
    layers'."""

    def __init__(self, *steps: Layer | Callable[[Box], Box]) -> None:
        for position, step in enumerate(steps):
            if not callable(step):
                raise TypeError(f"Sequential: step {position} is {type(step).__name__} "
                                f"{step!r}, not a layer or a function of a box")
        self.steps = list(steps)

    def __call__(self, x: Any) -> Box:
        """The output of the last step, each step fed the previous one's output."""
        for step in self.steps:
            x = step(x)
        return x

    def __repr__(self) -> str:
        inner = ", ".join(getattr(s, "__name__", None) or repr(s) for s in self.steps)
        return f"Sequential({inner})"
