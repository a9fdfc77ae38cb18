"""Normalization by each example's own statistics, with PyTorch's conventions: layer
normalization (Ba et al. 2016), RMS normalization (Zhang and Sennrich 2019) and group
normalization (Wu and He 2018). The same boxes in training and evaluation (no running
statistics); the gradient flows through the statistics too. Functions as
``torch.nn.functional``'s (``layer_norm``, ``rms_norm``, ``group_norm``) and layers
holding the affine parameters (``LayerNorm``, ``RMSNorm``, ``GroupNorm``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..core.box import Box, Parameter, as_box
from ..core.scope import composite
from .layer import Layer, float_dtype, positive_int, static_shape


def _normalized_shape(value: Any, who: str) -> tuple[int, ...]:
    """An int or a sequence of ints >= 1: the sizes of the trailing axes normalized."""
    shape = (value,) if isinstance(value, (int, np.integer)) else value
    try:
        sizes = tuple(shape)
    except TypeError:
        sizes = ()
    if not sizes or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                            and n >= 1 for n in sizes):
        raise ValueError(f"{who}: normalized_shape must be an integer >= 1 or a sequence of "
                         f"them (the sizes of x's last axes), got {value!r}")
    return tuple(int(n) for n in sizes)


def _check_affine(box: Any, shape: tuple[int, ...], what: str, who: str) -> Box | None:
    """weight or bias as a box (None stays None), its shape checked when known."""
    if box is None:
        return None
    box = as_box(box)
    known = static_shape(box)
    if known is not None and tuple(known) != shape:
        raise ValueError(f"{who}: {what} must have shape {shape}, got {tuple(known)}")
    return box


def _trailing_mean(v: Box, shape: tuple[int, ...], what: str) -> Box:
    """The mean of v over its last len(shape) axes, kept as axes of length 1: a
    contraction with ones of ``shape`` (boolean, so float32 stays float32), which also
    checks, as PyTorch does, that those axes have exactly these sizes."""
    ones = np.ones(shape, dtype=bool)
    total = ops.TensorDot(v, ones, axes=len(shape),
                          name=f"sum of {what} over the last axes {shape}")
    axes = tuple(range(-len(shape), 0))
    return ops.ExpandDims(ops.Div(total, int(np.prod(shape))), axis=axes, name=f"mean {what}")


def _affine(y: Box, weight: Box | None, bias: Box | None) -> Box:
    if weight is not None:
        y = ops.Mul(y, weight, name="* weight")
    if bias is not None:
        y = ops.Add(y, bias, name="+ bias")
    return y


@composite("layer_norm")
def layer_norm(x: Any, normalized_shape: Any, weight: Any = None, bias: Any = None,
               eps: float = 1e-5, name: str | None = None) -> Box:
    """Layer normalization, as ``torch.nn.functional.layer_norm``: over the last axes
    of x, of sizes ``normalized_shape`` (an int or a tuple),

        y = (x - mean) / sqrt(var + eps) * weight + bias

    with the mean and the biased variance of those axes, for each position of the
    others; ``weight`` and ``bias`` (shape ``normalized_shape``) are optional. The
    gradient flows through the mean and the variance too.
    """
    label = name or "layer_norm"
    who = f"layer_norm '{label}'"
    shape = _normalized_shape(normalized_shape, who)
    x = as_box(x)
    declared = static_shape(x)
    if declared is not None and (len(declared) < len(shape) or any(
            d not in (None, n) for d, n in zip(declared[len(declared) - len(shape):], shape))):
        raise ValueError(f"{who}: x ({x.name!r}) has shape {declared}; its last axes must "
                         f"be normalized_shape {shape}")
    weight = _check_affine(weight, shape, "weight", who)
    bias = _check_affine(bias, shape, "bias", who)
    centered = ops.Sub(x, _trailing_mean(x, shape, "x"), name=f"{label}: x - mean")
    var = _trailing_mean(ops.Square(centered), shape, "(x - mean)^2")
    scale = ops.Div(1, ops.Sqrt(ops.Add(var, float(eps))), name="1 / sqrt(var + eps)")
    out = _affine(ops.Mul(centered, scale), weight, bias)
    out.name = label
    return out


def machine_epsilon(like: Box) -> Box:
    """The machine epsilon of ``like``'s float dtype (2^-52 for float64, 2^-23 for
    float32), for a dtype known only when the graph runs: |3 (4/3 - 1) - 1| computed in
    that dtype, which rounds to exactly the epsilon in binary floating point (Moler)."""
    four_thirds = ops.Add(ops.ZerosLike(like), 4 / 3, name="4/3")
    return ops.Abs(ops.Sub(ops.Mul(ops.Sub(four_thirds, 1), 3), 1), name="machine epsilon")


@composite("rms_norm")
def rms_norm(x: Any, normalized_shape: Any, weight: Any = None, eps: float | None = None,
             name: str | None = None) -> Box:
    """Root-mean-square normalization, as ``torch.nn.functional.rms_norm``: over the
    last axes of x, of sizes ``normalized_shape``,

        y = x / sqrt(mean(x^2) + eps) * weight

    (no centering); ``eps`` defaults to the machine epsilon of x's dtype, as PyTorch's.
    """
    label = name or "rms_norm"
    who = f"rms_norm '{label}'"
    shape = _normalized_shape(normalized_shape, who)
    x = as_box(x)
    weight = _check_affine(weight, shape, "weight", who)
    mean_square = _trailing_mean(ops.Square(x), shape, "x^2")
    epsilon = machine_epsilon(mean_square) if eps is None else float(eps)
    scale = ops.Div(1, ops.Sqrt(ops.Add(mean_square, epsilon)),
                    name="1 / sqrt(mean(x^2) + eps)")
    out = _affine(ops.Mul(x, scale, name=f"{label}: x / rms"), weight, None)
    out.name = label
    return out


def _channels(x: Box, weight: Box | None, bias: Box | None, num_channels: int | None,
              who: str) -> int:
    """The number of channels C (axis 1 of x), from whatever states it."""
    known: set[int] = set()
    for box, axis in ((weight, 0), (bias, 0), (x, 1)):
        shape = None if box is None else static_shape(box)
        size = shape[axis] if shape is not None and len(shape) > axis else None
        if size is not None:
            known.add(int(size))
    if num_channels is not None:
        known.add(positive_int(num_channels, "num_channels", who))
    if len(known) > 1:
        raise ValueError(f"{who}: the number of channels is stated several ways that "
                         f"disagree: {sorted(known)} (x's axis 1, weight, bias, "
                         "num_channels)")
    if not known:
        raise ValueError(f"{who}: the number of channels of x is unknown when the graph is "
                         "built: give weight or bias (shape (C,)), num_channels=C, or "
                         "declare x's shape, e.g. af.Input('x', shape=(None, C, H, W))")
    return known.pop()


@composite("group_norm")
def group_norm(x: Any, num_groups: int, weight: Any = None, bias: Any = None,
               eps: float = 1e-5, num_channels: int | None = None,
               name: str | None = None) -> Box:
    """Group normalization, as ``torch.nn.functional.group_norm``: x of shape (N, C,
    ...) has its C channels cut into ``num_groups`` groups of C / num_groups channels;

        y = (x - mean) / sqrt(var + eps) * weight[c] + bias[c]

    with the mean and the biased variance of each example's group (its channels at
    every position); ``weight`` and ``bias`` have shape (C,). C is read from them, from
    x's declared shape or from ``num_channels``; the number of axes of x from its
    declared shape, else x is taken as images (N, C, H, W) (an x of another rank fed
    then is an error naming that layout).

    The statistics: the mean over the positions of each channel, then the mean of the
    channel means of each group (a reshape to (N, groups, C / groups)), repeated back to
    every channel of the group.
    """
    label = name or "group_norm"
    who = f"group_norm '{label}'"
    groups = positive_int(num_groups, "num_groups", who)
    x = as_box(x)
    weight = None if weight is None else as_box(weight)
    bias = None if bias is None else as_box(bias)
    C = _channels(x, weight, bias, num_channels, who)
    if C % groups:
        raise ValueError(f"{who}: {C} channels do not split into {groups} groups of equal "
                         "size")
    weight = _check_affine(weight, (C,), "weight", who)
    bias = _check_affine(bias, (C,), "bias", who)
    declared = static_shape(x)
    ndim = 4 if declared is None else len(declared)
    positions = tuple(range(2, ndim))
    layout = "(N, C, H, W)" if declared is None else f"of shape {declared}"
    width = C // groups

    def group_mean(v: Box, what: str) -> Box:
        per_channel = ops.Mean(v, axis=positions, name=f"{label}: mean of {what} over the "
                                                       f"positions, x {layout}") \
            if positions else v
        per_group = ops.Mean(ops.Reshape(per_channel, (-1, groups, width),
                                         name=f"(N, {groups} groups, {width} channels)"),
                             axis=-1, name=f"group mean of {what}")
        repeated = ops.Repeat(per_group, width, axis=1, name=f"mean of {what} per channel")
        return ops.ExpandDims(repeated, positions) if positions else repeated

    centered = ops.Sub(x, group_mean(x, "x"), name="x - mean")
    var = group_mean(ops.Square(centered), "(x - mean)^2")
    scale = ops.Div(1, ops.Sqrt(ops.Add(var, float(eps))), name="1 / sqrt(var + eps)")
    per_channel = (C,) + (1,) * len(positions)  # (C, 1, 1) broadcasts along axis 1
    y = _affine(ops.Mul(centered, scale),
                None if weight is None else ops.Reshape(weight, per_channel),
                None if bias is None else ops.Reshape(bias, per_channel))
    y.name = label
    return y


class LayerNorm(Layer):
    """:func:`layer_norm` over the last axes of sizes ``normalized_shape``, with its
    own ``weight`` (starts at 1) and ``bias`` (starts at 0) of that shape when
    ``elementwise_affine`` (``bias=False``: no bias), as ``torch.nn.LayerNorm``."""

    def __init__(self, normalized_shape: Any, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, dtype: Any = np.float64,
                 name: str = "layernorm") -> None:
        who = f"LayerNorm '{name}'"
        self.normalized_shape = _normalized_shape(normalized_shape, who)
        self.eps, self.name = _positive_eps(eps, who), name
        dtype = float_dtype(dtype, who)
        shape = self.normalized_shape
        self.weight = (Parameter(np.ones(shape, dtype), name=f"{name}.weight")
                       if elementwise_affine else None)
        self.bias = (Parameter(np.zeros(shape, dtype), name=f"{name}.bias")
                     if elementwise_affine and bias else None)

    def __call__(self, x: Any) -> Box:
        """The normalized x, same shape."""
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, eps=self.eps,
                          name=self.name)

    def __repr__(self) -> str:
        return (f"LayerNorm({self.normalized_shape}, eps={self.eps}, elementwise_affine="
                f"{self.weight is not None}, name={self.name!r})")


class RMSNorm(Layer):
    """:func:`rms_norm` over the last axes of sizes ``normalized_shape``, with its own
    ``weight`` (starts at 1) when ``elementwise_affine``, as ``torch.nn.RMSNorm``
    (``eps=None``: the machine epsilon of the input's dtype)."""

    def __init__(self, normalized_shape: Any, eps: float | None = None,
                 elementwise_affine: bool = True, dtype: Any = np.float64,
                 name: str = "rmsnorm") -> None:
        who = f"RMSNorm '{name}'"
        self.normalized_shape = _normalized_shape(normalized_shape, who)
        self.eps = None if eps is None else _positive_eps(eps, who)
        self.name = name
        dtype = float_dtype(dtype, who)
        self.weight = (Parameter(np.ones(self.normalized_shape, dtype), name=f"{name}.weight")
                       if elementwise_affine else None)

    def __call__(self, x: Any) -> Box:
        """The normalized x, same shape."""
        return rms_norm(x, self.normalized_shape, self.weight, eps=self.eps, name=self.name)

    def __repr__(self) -> str:
        return (f"RMSNorm({self.normalized_shape}, eps={self.eps}, elementwise_affine="
                f"{self.weight is not None}, name={self.name!r})")


class GroupNorm(Layer):
    """:func:`group_norm` of x (N, num_channels, ...) in ``num_groups`` groups, with its
    own ``weight`` (starts at 1) and ``bias`` (starts at 0) of shape (num_channels,)
    when ``affine``, as ``torch.nn.GroupNorm``."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, dtype: Any = np.float64, name: str = "groupnorm") -> None:
        who = f"GroupNorm '{name}'"
        self.num_groups = positive_int(num_groups, "num_groups", who)
        self.num_channels = positive_int(num_channels, "num_channels", who)
        if self.num_channels % self.num_groups:
            raise ValueError(f"{who}: num_channels {num_channels} must be a multiple of "
                             f"num_groups {num_groups}")
        self.eps, self.name = _positive_eps(eps, who), name
        dtype = float_dtype(dtype, who)
        C = self.num_channels
        self.weight = Parameter(np.ones(C, dtype), name=f"{name}.weight") if affine else None
        self.bias = Parameter(np.zeros(C, dtype), name=f"{name}.bias") if affine else None

    def __call__(self, x: Any) -> Box:
        """The normalized x, same shape."""
        return group_norm(x, self.num_groups, self.weight, self.bias, eps=self.eps,
                          num_channels=self.num_channels, name=self.name)

    def __repr__(self) -> str:
        return (f"GroupNorm({self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.weight is not None}, name={self.name!r})")


def _positive_eps(eps: Any, who: str) -> float:
    if not (isinstance(eps, (int, float, np.floating)) and eps > 0):
        raise ValueError(f"{who}: eps must be a positive number, got {eps!r}")
    return float(eps)
