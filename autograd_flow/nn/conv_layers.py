"""The convolution layers: :class:`Conv2d` and :class:`ConvTranspose2d`, each holding its
kernel and bias and wiring :func:`~autograd_flow.nn.conv.conv2d` or
:func:`~autograd_flow.nn.conv.conv_transpose2d` when it is called."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.box import Box, Input, Parameter
from .conv import _extent, _padding, _pair, conv2d, conv_transpose2d
from .layer import Layer, float_dtype, glorot_uniform, positive_int


def _glorot_kernel(shape: tuple[int, ...], fan_in: int, fan_out: int, seed: int, dtype: Any,
                   name: str) -> Parameter:
    return Parameter(glorot_uniform(shape, fan_in, fan_out, np.random.default_rng(seed), dtype),
                     name=name)


class Conv2d(Layer):
    """A convolution layer: :func:`conv2d` with its own kernel W of shape (out_channels,
    in_channels / groups, kh, kw) drawn from U[-b, b], b = sqrt(6 / (fan_in + fan_out)),
    fan_in = in_channels / groups kh kw and fan_out = out_channels kh kw (Glorot, as for
    the lecture's layers; PyTorch's fans of that kernel), and bias b = 0 of shape
    (out_channels,)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any,
                 stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1,
                 bias: bool = True, seed: int = 0, dtype: Any = np.float64,
                 name: str = "conv2d") -> None:
        who = f"Conv2d '{name}'"
        in_channels = positive_int(in_channels, "in_channels", who)
        out_channels = positive_int(out_channels, "out_channels", who)
        kernel = _pair(kernel_size, "kernel_size", who)
        self.stride = _pair(stride, "stride", who)
        self.dilation = _pair(dilation, "dilation", who)
        self.groups = _divides(groups, (in_channels, out_channels), who)
        _padding(padding, _extent(kernel, self.dilation), self.stride, who)  # checked now
        self.padding = padding
        self.name = name
        dtype = float_dtype(dtype, who)
        area = kernel[0] * kernel[1]
        self.W = _glorot_kernel((out_channels, in_channels // self.groups) + kernel,
                                in_channels // self.groups * area, out_channels * area, seed,
                                dtype, f"{name}.W")
        self.b = Parameter(np.zeros(out_channels, dtype), name=f"{name}.b") if bias else None

    def __call__(self, x: Any) -> Box:
        """The convolution of ``x`` (N, in_channels, H, W): (N, out_channels, H', W')."""
        return conv2d(x, self.W, self.b, stride=self.stride, padding=self.padding,
                      dilation=self.dilation, groups=self.groups, name=self.name)

    def __repr__(self) -> str:
        out_channels, in_channels, kh, kw = self.W.value.shape
        return (f"Conv2d({in_channels * self.groups}, {out_channels}, kernel_size={(kh, kw)}, "
                f"stride={self.stride}, padding={self.padding!r}, dilation={self.dilation}, "
                f"groups={self.groups}, name={self.name!r})")


class ConvTranspose2d(Layer):
    """A transposed convolution layer: :func:`conv_transpose2d` with its own kernel W of
    shape (in_channels, out_channels / groups, kh, kw) drawn from U[-b, b], b = sqrt(6 /
    (fan_in + fan_out)) with PyTorch's fans of that kernel (out_channels / groups kh kw
    and in_channels kh kw), and bias b = 0 of shape (out_channels,)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any,
                 stride: Any = 1, padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                 bias: bool = True, dilation: Any = 1, seed: int = 0, dtype: Any = np.float64,
                 name: str = "conv_transpose2d") -> None:
        who = f"ConvTranspose2d '{name}'"
        in_channels = positive_int(in_channels, "in_channels", who)
        out_channels = positive_int(out_channels, "out_channels", who)
        kernel = _pair(kernel_size, "kernel_size", who)
        self.stride = _pair(stride, "stride", who)
        self.padding = _pair(padding, "padding", who, minimum=0)
        self.output_padding = _pair(output_padding, "output_padding", who, minimum=0)
        self.dilation = _pair(dilation, "dilation", who)
        self.groups = _divides(groups, (in_channels, out_channels), who)
        self.name = name
        dtype = float_dtype(dtype, who)
        area = kernel[0] * kernel[1]
        self.W = _glorot_kernel((in_channels, out_channels // self.groups) + kernel,
                                out_channels // self.groups * area, in_channels * area, seed,
                                dtype, f"{name}.W")
        self.b = Parameter(np.zeros(out_channels, dtype), name=f"{name}.b") if bias else None
        conv_transpose2d(Input("x"), self.W, stride=self.stride,  # the settings, checked now
                         output_padding=self.output_padding, dilation=self.dilation)

    def __call__(self, x: Any) -> Box:
        """The transposed convolution of ``x`` (N, in_channels, H, W): (N, out_channels,
        H', W')."""
        return conv_transpose2d(x, self.W, self.b, stride=self.stride, padding=self.padding,
                                output_padding=self.output_padding, groups=self.groups,
                                dilation=self.dilation, name=self.name)

    def __repr__(self) -> str:
        in_channels, out_channels, kh, kw = self.W.value.shape
        return (f"ConvTranspose2d({in_channels}, {out_channels * self.groups}, kernel_size="
                f"{(kh, kw)}, stride={self.stride}, padding={self.padding}, output_padding="
                f"{self.output_padding}, dilation={self.dilation}, groups={self.groups}, "
                f"name={self.name!r})")


def _divides(groups: Any, channels: tuple[int, int], who: str) -> int:
    """``groups`` as an int >= 1 dividing both numbers of channels."""
    count = positive_int(groups, "groups", who)
    if any(c % count for c in channels):
        raise ValueError(f"{who}: groups={count} must divide in_channels and out_channels "
                         f"{channels}")
    return count
