"""Convolution and max pooling as composites of slicing, stacking, padding, tensordot
and max, in PyTorch's layout: images NCHW (batch, channels, height, width), kernels
(out_channels, in_channels, kh, kw).

conv2d is im2col written with boxes: the kh * kw shifted, strided views of the padded
input are stacked into patches of shape (N, H_out, W_out, kh, kw, C) and contracted with
the kernel in one tensordot (one matrix product). The work runs channels-last (a
transpose in and out, both views), so the patches and the product need no copies and a
conv2d following a conv2d undoes the previous one's transpose for free.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..core.box import Box, Input, Leaf, Parameter, as_box
from ..core.scope import composite
from .layer import Layer, float_dtype, glorot_uniform, positive_int, static_shape

Pair = tuple[int, int]


def _pair(value: Any, what: str, who: str, minimum: int = 1) -> Pair:
    """An int or a pair of ints (height, width), each >= ``minimum``."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else value
    try:
        first, second = pair
    except (TypeError, ValueError):
        first = second = None
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum
               for v in (first, second)):
        raise ValueError(f"{who}: {what} must be an integer >= {minimum} or a pair of them "
                         f"(height, width), got {value!r}")
    return int(first), int(second)  # type: ignore[arg-type]


def _padding(padding: Any, kernel: Pair, stride: Pair, who: str) -> tuple[Pair, Pair]:
    """(before, after) padding of the height and of the width: an int or a pair, "valid"
    (none) or "same" (stride 1 only; the extra entry of an even kernel goes after)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(f"{who}: padding='same' needs stride 1 (as in PyTorch), got "
                                 f"stride {stride}; give the padding as numbers instead")
            (low_h, high_h), (low_w, high_w) = (((k - 1) // 2, k - 1 - (k - 1) // 2)
                                                for k in kernel)
            return (low_h, high_h), (low_w, high_w)
        raise ValueError(f"{who}: padding must be an integer, a pair, 'valid' or 'same', "
                         f"got {padding!r}")
    height, width = _pair(padding, "padding", who, minimum=0)
    return (height, height), (width, width)


def _window(offset: int, size: int, stride: int) -> slice:
    """The entries a window's offset-th element visits along an axis of any length L:
    offset, offset + stride, ... up to L - (size - 1 - offset) (exclusive), that is
    floor((L - size) / stride) + 1 entries, the output's length."""
    return slice(offset, -(size - 1 - offset) or None, stride)


def _known_shape(box: Box) -> tuple[int, ...] | None:
    """The shape of a Parameter's or Constant's value; None for a box whose value is
    fed or computed when the graph runs."""
    if isinstance(box, Leaf) and not isinstance(box, Input) and box.value is not None:
        return np.shape(box.value)
    return None


def _check_image(x: Box, who: str, channels: int | None) -> None:
    """An Input declared with a shape must be (N, C, H, W), C = ``channels`` if known."""
    shape = static_shape(x)
    if shape is None:
        return
    if len(shape) != 4:
        raise ValueError(f"{who}: the input {x.name!r} has shape {shape}; it needs 4 axes "
                         "(batch, channels, height, width): reshape it, e.g. "
                         "x.reshape(-1, 1, 8, 8) for 8x8 grey images")
    if channels is not None and shape[1] is not None and shape[1] != channels:
        raise ValueError(f"{who}: the input {x.name!r} has {shape[1]} channels (shape "
                         f"{shape}) but the kernel expects {channels}")


@composite("conv2d")
def conv2d(x: Any, W: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
           kernel_size: Any = None, name: str | None = None) -> Box:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``:

        y[n, o, i, j] = b[o] + sum_{c, u, v} W[o, c, u, v] x_pad[n, c, s_h i + u, s_w j + v]

    ``x`` has shape (N, C, H, W); ``W`` (O, C, kh, kw); ``b`` (O,) or None; ``stride`` and
    ``padding`` an int or a (height, width) pair (``padding`` also "valid" or "same": zeros
    around x). The output has shape (N, O, H_out, W_out), H_out = floor((H + 2 p_h - kh) /
    s_h) + 1. Gradients: d W = the patches contracted with d y, d x = d y spread back over
    the windows (both from the primitives: GetItem, Stack, Pad, TensorDot).

    The kernel size is read from ``W``'s value; give ``kernel_size`` (int or pair) when W
    is computed by other boxes, so has no value until the graph runs. An image smaller
    than the kernel (after padding) gives an output with no rows or columns (PyTorch
    raises instead: the graph does not know the image's size when it is built).
    """
    who = f"conv2d '{name or 'conv2d'}'"
    x, W = as_box(x), as_box(W)
    W_shape = _known_shape(W)
    if W_shape is not None:
        if len(W_shape) != 4:
            raise ValueError(f"{who}: W must have shape (out_channels, in_channels, kh, kw), "
                             f"got {W_shape}")
        if kernel_size is not None and _pair(kernel_size, "kernel_size", who) != W_shape[2:]:
            raise ValueError(f"{who}: kernel_size {kernel_size!r} does not match W's shape "
                             f"{W_shape}")
        kernel = (int(W_shape[2]), int(W_shape[3]))
    elif kernel_size is None:
        raise ValueError(f"{who}: W ({type(W).__name__} {W.name!r}) has no value yet, so "
                         "its kernel size is unknown when the graph is built: pass "
                         "kernel_size=(kh, kw)")
    else:
        kernel = _pair(kernel_size, "kernel_size", who)
    strides = _pair(stride, "stride", who)
    pads = _padding(padding, kernel, strides, who)
    _check_image(x, who, None if W_shape is None else int(W_shape[1]))
    if b is not None:
        b = as_box(b)
        b_shape = _known_shape(b)
        if b_shape is not None and W_shape is not None and tuple(b_shape) != W_shape[:1]:
            raise ValueError(f"{who}: b must have shape ({W_shape[0]},), one bias per output "
                             f"channel of W {W_shape}, got {b_shape}")
    label = name or "conv2d"
    channels_last: Box = ops.Transpose(x, axes=(0, 2, 3, 1),
                                       name=f"{label}: x (N, C, H, W) as (N, H, W, C)")
    if any(pads[0]) or any(pads[1]):
        channels_last = ops.Pad(channels_last, 0, pad_width=((0, 0), pads[0], pads[1], (0, 0)),
                                name=f"{label}: zero padding")
    rows = [ops.Stack(*(ops.GetItem(channels_last,
                                    (slice(None), _window(u, kernel[0], strides[0]),
                                     _window(v, kernel[1], strides[1])),
                                    name=f"x[{u}, {v}]")
                        for v in range(kernel[1])), axis=3, name=f"patch row {u}")
            for u in range(kernel[0])]
    patches = ops.Stack(*rows, axis=3, name=f"{label}: patches (N, H', W', kh, kw, C)")
    out: Box = ops.TensorDot(patches, W, axes=((3, 4, 5), (2, 3, 1)),
                             name=f"{label}: patches (N, H', W', kh, kw, C) . W (out, "
                                  f"C={_in(W_shape)}, kh, kw)")
    if b is not None:
        out = ops.Add(out, b, name=f"{label}: + b")
    return ops.Transpose(out, axes=(0, 3, 1, 2), name=label)


def _in(W_shape: tuple[int, ...] | None) -> str:
    return "C" if W_shape is None else str(W_shape[1])


@composite("max_pool2d")
def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               name: str | None = None) -> Box:
    """Max pooling, as ``torch.nn.functional.max_pool2d``:

        y[n, c, i, j] = max_{u < kh, v < kw} x_pad[n, c, s_h i + u, s_w j + v]

    on x of shape (N, C, H, W); ``stride`` defaults to ``kernel_size``; ``padding`` (at
    most half the kernel) surrounds x with -inf. As conv2d, it works channels-last: the
    kh * kw strided views are stacked and reduced with one Max box. The output has shape
    (N, C, H_out, W_out), H_out = floor((H + 2 p_h - kh) / s_h) + 1. The gradient goes to
    the entry that is the window's max; where several entries tie they share it equally
    (PyTorch gives it all to one of them; the sum over the window is the same).
    """
    who = f"max_pool2d '{name or 'max_pool2d'}'"
    x = as_box(x)
    kernel = _pair(kernel_size, "kernel_size", who)
    strides = kernel if stride is None else _pair(stride, "stride", who)
    pad_h, pad_w = _pair(padding, "padding", who, minimum=0)
    if 2 * pad_h > kernel[0] or 2 * pad_w > kernel[1]:
        raise ValueError(f"{who}: padding {(pad_h, pad_w)} must be at most half the kernel "
                         f"size {kernel} (as in PyTorch)")
    _check_image(x, who, None)
    label = name or "max_pool2d"
    channels_last: Box = ops.Transpose(x, axes=(0, 2, 3, 1),
                                       name=f"{label}: x (N, C, H, W) as (N, H, W, C)")
    if pad_h or pad_w:
        channels_last = ops.Pad(channels_last, -np.inf,
                                pad_width=((0, 0), (pad_h, pad_h), (pad_w, pad_w), (0, 0)),
                                name=f"{label}: -inf padding")
    views = [ops.GetItem(channels_last, (slice(None), _window(u, kernel[0], strides[0]),
                                         _window(v, kernel[1], strides[1])),
                         name=f"x[{u}, {v}]")
             for u in range(kernel[0]) for v in range(kernel[1])]
    windows = ops.Stack(*views, axis=0, name=f"{label}: windows (kh kw, N, H', W', C)")
    pooled = ops.Max(windows, axis=0, name="max over the window")
    return ops.Transpose(pooled, axes=(0, 3, 1, 2), name=label)


class Conv2d(Layer):
    """A convolution layer: :func:`conv2d` with its own kernel W of shape (out_channels,
    in_channels, kh, kw) drawn from U[-b, b], b = sqrt(6 / (fan_in + fan_out)), fan_in =
    in_channels kh kw and fan_out = out_channels kh kw (Glorot, as for the lecture's
    layers), and bias b = 0 of shape (out_channels,)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any,
                 stride: Any = 1, padding: Any = 0, bias: bool = True, seed: int = 0,
                 dtype: Any = np.float64, name: str = "conv2d") -> None:
        who = f"Conv2d '{name}'"
        in_channels = positive_int(in_channels, "in_channels", who)
        out_channels = positive_int(out_channels, "out_channels", who)
        kernel = _pair(kernel_size, "kernel_size", who)
        self.stride = _pair(stride, "stride", who)
        _padding(padding, kernel, self.stride, who)  # checked now, not at the first call
        self.padding = padding
        self.name = name
        dtype = float_dtype(dtype, who)
        rng = np.random.default_rng(seed)
        area = kernel[0] * kernel[1]
        self.W = Parameter(glorot_uniform((out_channels, in_channels) + kernel,
                                          in_channels * area, out_channels * area, rng, dtype),
                           name=f"{name}.W")
        self.b = Parameter(np.zeros(out_channels, dtype), name=f"{name}.b") if bias else None

    def __call__(self, x: Any) -> Box:
        """The convolution of ``x`` (N, in_channels, H, W): (N, out_channels, H', W')."""
        return conv2d(x, self.W, self.b, stride=self.stride, padding=self.padding,
                      name=self.name)

    def __repr__(self) -> str:
        out_channels, in_channels, kh, kw = self.W.value.shape
        return (f"Conv2d({in_channels}, {out_channels}, kernel_size={(kh, kw)}, "
                f"stride={self.stride}, padding={self.padding!r}, name={self.name!r})")
