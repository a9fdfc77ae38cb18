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


def _kernel(W: Box, W_shape: tuple[int, ...] | None, kernel_size: Any, layout: str,
            who: str) -> Pair:
    """(kh, kw) from W's value's shape (``layout`` names its axes), else from
    ``kernel_size`` (required then: W is computed when the graph runs)."""
    if W_shape is not None:
        if len(W_shape) != 4:
            raise ValueError(f"{who}: W must have shape {layout}, got {W_shape}")
        if kernel_size is not None and _pair(kernel_size, "kernel_size", who) != W_shape[2:]:
            raise ValueError(f"{who}: kernel_size {kernel_size!r} does not match W's shape "
                             f"{W_shape}")
        return int(W_shape[2]), int(W_shape[3])
    if kernel_size is None:
        raise ValueError(f"{who}: W ({type(W).__name__} {W.name!r}) has no value yet, so "
                         "its kernel size is unknown when the graph is built: pass "
                         "kernel_size=(kh, kw)")
    return _pair(kernel_size, "kernel_size", who)


def _groups(groups: Any, W_shape: tuple[int, ...] | None, who: str) -> int:
    """``groups`` as an int >= 1 that divides W's first axis (when known)."""
    count = positive_int(groups, "groups", who)
    if W_shape is not None and W_shape[0] % count:
        raise ValueError(f"{who}: groups={count} must divide W's first axis, of length "
                         f"{W_shape[0]} (W has shape {W_shape})")
    return count


def _extent(kernel: Pair, dilation: Pair) -> Pair:
    """The span of a dilated window: d (k - 1) + 1 along each axis."""
    return (dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1)


def _views(channels_last: Box, kernel: Pair, strides: Pair, dilation: Pair) -> list[list[Box]]:
    """The kh x kw strided views of channels_last (N, H, W, C), each (N, H', W', C):
    view [u][v] holds the window's entry (d_h u, d_w v) at every output position."""
    span = _extent(kernel, dilation)
    return [[ops.GetItem(channels_last,
                         (slice(None), _window(dilation[0] * u, span[0], strides[0]),
                          _window(dilation[1] * v, span[1], strides[1])), name=f"x[{u}, {v}]")
             for v in range(kernel[1])] for u in range(kernel[0])]


def _correlate(channels_last: Box, W: Box, kernel: Pair, strides: Pair, dilation: Pair,
               groups: int, W_axes: tuple[int, int, int], label: str, what: str) -> Box:
    """The patches of channels_last (N, H, W, C), (N, H', W', kh, kw, C), contracted with
    W's axes ``W_axes`` (its kh, kw and input-channel axes): (N, H', W', O). With groups,
    the patches' channels and W's first axis are cut into that many parts and part g
    contracts with part g (output channels in group order)."""
    rows = [ops.Stack(*row, axis=3, name=f"patch row {u}")
            for u, row in enumerate(_views(channels_last, kernel, strides, dilation))]
    patches: Box = ops.Stack(*rows, axis=3, name=f"{label}: patches (N, H', W', kh, kw, C)")
    axes = ((3, 4, 5), W_axes)
    if groups == 1:
        return ops.TensorDot(patches, W, axes=axes, name=f"{label}: patches (N, H', W', kh, "
                                                         f"kw, C) . W {what}")
    parts = [ops.TensorDot(ops.Split(patches, groups, axis=5, part=g, equal=True,
                                     name=f"{label}: channels of group {g}"),
                           ops.Split(W, groups, axis=0, part=g, equal=True,
                                     name=f"W of group {g}"),
                           axes=axes, name=f"{label}: group {g} . W {what}")
             for g in range(groups)]
    return ops.Concatenate(*parts, axis=3, name=f"{label}: groups joined")


def _bias(b: Any, channels: int | None, who: str) -> Box | None:
    """b as a box, of shape (channels,) when both are known."""
    if b is None:
        return None
    b = as_box(b)
    b_shape = _known_shape(b)
    if b_shape is not None and channels is not None and tuple(b_shape) != (channels,):
        raise ValueError(f"{who}: b must have shape ({channels},), one bias per output "
                         f"channel, got {b_shape}")
    return b


def _channels_last(x: Box, label: str) -> Box:
    return ops.Transpose(x, axes=(0, 2, 3, 1), name=f"{label}: x (N, C, H, W) as (N, H, W, C)")


def _channels_first(out: Box, b: Box | None, label: str) -> Box:
    if b is not None:
        out = ops.Add(out, b, name=f"{label}: + b")
    return ops.Transpose(out, axes=(0, 3, 1, 2), name=label)


@composite("conv2d")
def conv2d(x: Any, W: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1, kernel_size: Any = None,
           name: str | None = None) -> Box:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``:

        y[n, o, i, j] = b[o] + sum_{c, u, v} W[o, c, u, v] x_pad[n, c', s_h i + d_h u,
                                                                  s_w j + d_w v]

    ``x`` has shape (N, C, H, W); ``W`` (O, C / groups, kh, kw); ``b`` (O,) or None;
    ``stride``, ``padding`` and ``dilation`` an int or a (height, width) pair
    (``padding`` also "valid" or "same": zeros around x). With ``groups`` g, the
    channels and the O outputs are cut into g groups, output group k seeing input group
    k only (c' = k C / g + c); groups = C is a depthwise convolution. The output has
    shape (N, O, H_out, W_out), H_out = floor((H + 2 p_h - d_h (kh - 1) - 1) / s_h) + 1.
    Gradients: d W = the patches contracted with d y, d x = d y spread back over the
    windows (both from the primitives: GetItem, Stack, Pad, Split, TensorDot).

    The kernel size is read from ``W``'s value; give ``kernel_size`` (int or pair) when W
    is computed by other boxes, so has no value until the graph runs. An image smaller
    than the kernel (after padding) gives an output with no rows or columns (PyTorch
    raises instead: the graph does not know the image's size when it is built).
    """
    who = f"conv2d '{name or 'conv2d'}'"
    x, W = as_box(x), as_box(W)
    W_shape = _known_shape(W)
    kernel = _kernel(W, W_shape, kernel_size, "(out_channels, in_channels / groups, kh, kw)",
                     who)
    strides = _pair(stride, "stride", who)
    dilations = _pair(dilation, "dilation", who)
    count = _groups(groups, W_shape, who)
    pads = _padding(padding, _extent(kernel, dilations), strides, who)
    _check_image(x, who, None if W_shape is None else int(W_shape[1]) * count)
    b = _bias(b, None if W_shape is None else int(W_shape[0]), who)
    label = name or "conv2d"
    channels_last = _channels_last(x, label)
    if any(pads[0]) or any(pads[1]):
        channels_last = ops.Pad(channels_last, 0, pad_width=((0, 0), pads[0], pads[1], (0, 0)),
                                name=f"{label}: zero padding")
    out = _correlate(channels_last, W, kernel, strides, dilations, count, (2, 3, 1), label,
                     f"(out, C={_in(W_shape)}, kh, kw)")
    return _channels_first(out, b, label)


def _in(W_shape: tuple[int, ...] | None) -> str:
    return "C" if W_shape is None else str(W_shape[1])


def _pad_or_crop(x: Box, sides: list[Pair], label: str) -> Box:
    """x (N, H, W, C) with sides = [(top, bottom), (left, right)] rows and columns of
    zeros added where positive, taken away where negative."""
    if any(n > 0 for side in sides for n in side):
        x = ops.Pad(x, 0, pad_width=((0, 0),) + tuple(
            (max(before, 0), max(after, 0)) for before, after in sides) + ((0, 0),),
                    name=f"{label}: zero padding")
    if any(n < 0 for side in sides for n in side):
        x = ops.GetItem(x, (slice(None),) + tuple(
            slice(max(-before, 0), min(after, 0) or None) for before, after in sides),
                        name=f"{label}: cropped")
    return x


@composite("conv_transpose2d")
def conv_transpose2d(x: Any, W: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1,
                     kernel_size: Any = None, name: str | None = None) -> Box:
    """The transposed convolution, as ``torch.nn.functional.conv_transpose2d``: the
    adjoint of conv2d in x (its gradient), which spreads each input entry over a window:

        y[n, o, s_h i + d_h u - p_h, s_w j + d_w v - p_w] += W[c, o, u, v] x[n, c, i, j]

    plus b[o]. ``x`` has shape (N, C, H, W); ``W`` (C, O / groups, kh, kw); ``b`` (O,) or
    None; ``stride``, ``padding``, ``output_padding`` (extra rows and columns at the
    bottom and right, fewer than the stride or the dilation) and ``dilation`` an int or a
    (height, width) pair; ``groups`` as conv2d's. The output has shape (N, O, H_out,
    W_out), H_out = (H - 1) s_h - 2 p_h + d_h (kh - 1) + output_padding_h + 1.

    Built as PyTorch defines it: x with s - 1 zeros between its entries (a Kron with a
    one-hot block), padded by d (k - 1) - p (cropped where negative; output_padding more
    at the bottom and right), correlated with the flipped kernel at stride 1. The
    inserted zeros cost s_h s_w times the work of the product itself.
    """
    who = f"conv_transpose2d '{name or 'conv_transpose2d'}'"
    x, W = as_box(x), as_box(W)
    W_shape = _known_shape(W)
    kernel = _kernel(W, W_shape, kernel_size, "(in_channels, out_channels / groups, kh, kw)",
                     who)
    strides = _pair(stride, "stride", who)
    dilations = _pair(dilation, "dilation", who)
    pads = _pair(padding, "padding", who, minimum=0)
    extra = _pair(output_padding, "output_padding", who, minimum=0)
    if any(e >= max(s, d) for e, s, d in zip(extra, strides, dilations)):
        raise ValueError(f"{who}: output_padding {extra} must be smaller than the stride "
                         f"{strides} or the dilation {dilations} (as in PyTorch)")
    count = _groups(groups, W_shape, who)
    _check_image(x, who, None if W_shape is None else int(W_shape[0]))
    b = _bias(b, None if W_shape is None else int(W_shape[1]) * count, who)
    label = name or "conv_transpose2d"
    spread = _channels_last(x, label)
    if strides != (1, 1):
        one_hot = np.zeros((1,) + strides + (1,), dtype=bool)  # bool: float32 stays float32
        one_hot[0, 0, 0, 0] = True
        spread = ops.Kron(spread, one_hot, name=f"{label}: x with stride - 1 zeros after "
                                                f"each entry")
    margins = [d * (k - 1) - p for d, k, p in zip(dilations, kernel, pads)]
    spread = _pad_or_crop(spread, [(margin, margin + e - (s - 1)) for margin, e, s in
                                   zip(margins, extra, strides)], label)
    flipped = ops.Flip(W, axis=(2, 3), name="W flipped")
    out = _correlate(spread, flipped, kernel, (1, 1), dilations, count, (2, 3, 0), label,
                     f"(C={_out(W_shape)}, out / groups, kh, kw) flipped")
    return _channels_first(out, b, label)


def _out(W_shape: tuple[int, ...] | None) -> str:
    return "C" if W_shape is None else str(W_shape[0])


@composite("max_pool2d")
def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, name: str | None = None) -> Box:
    """Max pooling, as ``torch.nn.functional.max_pool2d``:

        y[n, c, i, j] = max_{u < kh, v < kw} x_pad[n, c, s_h i + d_h u, s_w j + d_w v]

    on x of shape (N, C, H, W); ``stride`` defaults to ``kernel_size``; ``padding`` (at
    most half the kernel) surrounds x with -inf; ``dilation`` spaces a window's entries.
    As conv2d, it works channels-last: the kh * kw strided views are stacked and reduced
    with one Max box. The output has shape (N, C, H_out, W_out), H_out = floor((H + 2 p_h
    - d_h (kh - 1) - 1) / s_h) + 1, or with ``ceil_mode`` the ceiling, less the last
    window where that would start in the bottom padding (PyTorch's rule); that is, the
    windows that overhang the bottom (right) edge are kept, their missing entries -inf.
    The gradient goes to the entry that is the window's max; where several entries tie
    they share it equally (PyTorch gives it all to one of them; the sum over the window
    is the same).
    """
    who = f"max_pool2d '{name or 'max_pool2d'}'"
    x = as_box(x)
    kernel = _pair(kernel_size, "kernel_size", who)
    strides = kernel if stride is None else _pair(stride, "stride", who)
    dilations = _pair(dilation, "dilation", who)
    pad_h, pad_w = _pair(padding, "padding", who, minimum=0)
    if 2 * pad_h > kernel[0] or 2 * pad_w > kernel[1]:
        raise ValueError(f"{who}: padding {(pad_h, pad_w)} must be at most half the kernel "
                         f"size {kernel} (as in PyTorch)")
    _check_image(x, who, None)
    label = name or "max_pool2d"
    # ceil mode: windows start at every stride before H + p, so long as they stay within
    # H + 2p + s - 1: -inf padding of min(s - 1, span - p - 1) more at the bottom gives
    # exactly them, whatever H
    over = [min(s - 1, span - p - 1) if ceil_mode else 0
            for s, span, p in zip(strides, _extent(kernel, dilations), (pad_h, pad_w))]
    channels_last = _channels_last(x, label)
    if pad_h or pad_w or any(over):
        channels_last = ops.Pad(channels_last, -np.inf, pad_width=(
            (0, 0), (pad_h, pad_h + over[0]), (pad_w, pad_w + over[1]), (0, 0)),
                                name=f"{label}: -inf padding")
    views = [view for row in _views(channels_last, kernel, strides, dilations) for view in row]
    windows = ops.Stack(*views, axis=0, name=f"{label}: windows (kh kw, N, H', W', C)")
    pooled = ops.Max(windows, axis=0, name="max over the window")
    return ops.Transpose(pooled, axes=(0, 3, 1, 2), name=label)


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
