"""Convolution and max pooling as composites of slicing, stacking, padding, tensordot
and max, in PyTorch's layout: examples (batch, channels, *spatial), NCHW for images,
kernels (out_channels, in_channels, *kernel), (O, C, kh, kw) for images. The layers that
hold their kernels are in :mod:`autograd_flow.nn.conv_layers`.

A convolution is im2col written with boxes: the prod(kernel) shifted, strided views of
the padded input are stacked into patches of shape (N, *out, *kernel, C) and contracted
with the kernel in one tensordot (one matrix product). The work runs channels-last (a
transpose in and out, both views), so the patches and the product need no copies and a
conv2d following a conv2d undoes the previous one's transpose for free. The same code
serves every number of spatial axes (conv_transpose1d, 2d and 3d).

As PyTorch, each function also takes one example without its batch axis, (C, *spatial),
when x's shape is known when the graph is built (a Parameter, a Constant, an Input
declared with its shape): its output has no batch axis either.
"""
from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from .. import ops
from ..core.box import Box, Input, Leaf, as_box
from ..core.scope import composite
from .layer import positive_int, static_shape

Pair = tuple[int, int]
Sizes = tuple[int, ...]

#: the spatial axes' names and letters, by their number
AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
LETTERS = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def _sizes(value: Any, n: int, what: str, who: str, minimum: int = 1) -> Sizes:
    """An int, or one int per spatial axis (n of them), each >= ``minimum``."""
    sizes = (value,) * n if isinstance(value, (int, np.integer)) else value
    try:
        sizes = tuple(sizes)
    except TypeError:
        sizes = ()
    if len(sizes) != n or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                  and v >= minimum for v in sizes):
        each = "a pair of them" if n == 2 else f"{n} of them"
        raise ValueError(f"{who}: {what} must be an integer >= {minimum} or {each} "
                         f"({', '.join(AXES[n])}), got {value!r}")
    return tuple(int(v) for v in sizes)


def _pair(value: Any, what: str, who: str, minimum: int = 1) -> Pair:
    """An int or a pair of ints (height, width), each >= ``minimum``."""
    first, second = _sizes(value, 2, what, who, minimum)
    return first, second


def _padding(padding: Any, extent: Sizes, stride: Sizes, who: str) -> list[Pair]:
    """(before, after) padding of each spatial axis: an int or one per axis, "valid"
    (none) or "same" (stride 1 only; the extra entry of an even kernel goes after)."""
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * len(extent)
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{who}: padding='same' needs stride 1 (as in PyTorch), got "
                                 f"stride {stride}; give the padding as numbers instead")
            return [((k - 1) // 2, k - 1 - (k - 1) // 2) for k in extent]
        raise ValueError(f"{who}: padding must be an integer, one per axis, 'valid' or "
                         f"'same', got {padding!r}")
    return [(p, p) for p in _sizes(padding, len(extent), "padding", who, minimum=0)]


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


def _batched(x: Box, n: int, who: str, channels: int | None) -> tuple[Box, bool]:
    """x as a batch (N, C, *spatial), and whether it was one example (C, *spatial),
    given a batch axis of 1 here (the caller takes it away from the output). The shape
    is checked where known (C = ``channels`` if known); else x is taken as a batch."""
    shape = static_shape(x)
    if shape is None:
        return x, False
    one = len(shape) == n + 1 and shape[0] is not None
    if len(shape) != n + 2 and not one:
        eights = ["8"] * n
        raise ValueError(f"{who}: the input {x.name!r} has shape {shape}; it needs {n + 2} "
                         f"axes (batch, channels, {', '.join(AXES[n])}), or {n + 1} for one "
                         f"example with its channels known: reshape it, e.g. x.reshape(-1, 1, "
                         f"{', '.join(eights)}) for one channel of {'x'.join(eights)}")
    found = shape[0] if one else shape[1]
    if channels is not None and found is not None and found != channels:
        raise ValueError(f"{who}: the input {x.name!r} has {found} channels (shape "
                         f"{shape}) but the kernel expects {channels}")
    return (ops.ExpandDims(x, 0, name=f"{x.name} as a batch of one"), True) if one else (x,
                                                                                       False)


def _kernel(W: Box, W_shape: tuple[int, ...] | None, kernel_size: Any, channels: str,
            n: int, who: str) -> Sizes:
    """The kernel's size from W's value's shape ((channels, *kernel)), else from
    ``kernel_size`` (required then: W is computed when the graph runs)."""
    if W_shape is not None:
        if len(W_shape) != n + 2:
            letters = ", ".join(f"k{letter.lower()}" for letter in LETTERS[n])
            raise ValueError(f"{who}: W must have shape ({channels}, {letters}), got {W_shape}")
        if kernel_size is not None and _sizes(kernel_size, n, "kernel_size", who) != \
                tuple(W_shape[2:]):
            raise ValueError(f"{who}: kernel_size {kernel_size!r} does not match W's shape "
                             f"{W_shape}")
        return tuple(int(k) for k in W_shape[2:])
    if kernel_size is None:
        raise ValueError(f"{who}: W ({type(W).__name__} {W.name!r}) has no value yet, so "
                         f"its kernel size is unknown when the graph is built: pass "
                         f"kernel_size ({', '.join(AXES[n])})")
    return _sizes(kernel_size, n, "kernel_size", who)


def _groups(groups: Any, W_shape: tuple[int, ...] | None, who: str) -> int:
    """``groups`` as an int >= 1 that divides W's first axis (when known)."""
    count = positive_int(groups, "groups", who)
    if W_shape is not None and W_shape[0] % count:
        raise ValueError(f"{who}: groups={count} must divide W's first axis, of length "
                         f"{W_shape[0]} (W has shape {W_shape})")
    return count


def _extent(kernel: Sizes, dilation: Sizes) -> Sizes:
    """The span of a dilated window: d (k - 1) + 1 along each axis."""
    return tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))


def _views(channels_last: Box, kernel: Sizes, strides: Sizes, dilation: Sizes) -> list[Box]:
    """The prod(kernel) strided views of channels_last (N, *spatial, C), each (N, *out,
    C), in row-major order of the window's entries: view (u, v) holds the window's entry
    (d_h u, d_w v) at every output position."""
    span = _extent(kernel, dilation)
    return [ops.GetItem(channels_last, (slice(None),) + tuple(
        _window(d * u, e, s) for u, d, e, s in zip(offsets, dilation, span, strides)),
                        name=f"x[{', '.join(map(str, offsets))}]")
            for offsets in itertools.product(*map(range, kernel))]


def _stacked(views: list[Box], kernel: Sizes, axis: int, name: str, row: str = "") -> Box:
    """The views (row-major over the kernel's entries) stacked into the kernel's axes,
    from ``axis`` on: (N, *out, *kernel, C)."""
    if len(kernel) == 1:
        return ops.Stack(*views, axis=axis, name=name)
    size = len(views) // kernel[0]
    rows = [_stacked(views[u * size:(u + 1) * size], kernel[1:], axis,
                     f"patch row {row}{u}", f"{row}{u}, ") for u in range(kernel[0])]
    return ops.Stack(*rows, axis=axis, name=name)


def _correlate(channels_last: Box, W: Box, kernel: Sizes, strides: Sizes, dilation: Sizes,
               groups: int, W_channels: int, label: str, what: str) -> Box:
    """The patches of channels_last (N, *spatial, C), (N, *out, *kernel, C), contracted
    with W's kernel axes and its input-channel axis ``W_channels``: (N, *out, O). With
    groups, the patches' channels and W's first axis are cut into that many parts and
    part g contracts with part g (output channels in group order)."""
    n = len(kernel)
    letters = ", ".join(LETTERS[n])
    patches = _stacked(_views(channels_last, kernel, strides, dilation), kernel, n + 1,
                       f"{label}: patches (N, {letters}', {_kernel_letters(n)}, C)")
    axes = (tuple(range(n + 1, 2 * n + 2)), tuple(range(2, n + 2)) + (W_channels,))
    if groups == 1:
        return ops.TensorDot(patches, W, axes=axes, name=f"{label}: patches (N, {letters}', "
                                                         f"{_kernel_letters(n)}, C) . W {what}")
    parts = [ops.TensorDot(ops.Split(patches, groups, axis=2 * n + 1, part=g, equal=True,
                                     name=f"{label}: channels of group {g}"),
                           ops.Split(W, groups, axis=0, part=g, equal=True,
                                     name=f"W of group {g}"),
                           axes=axes, name=f"{label}: group {g} . W {what}")
             for g in range(groups)]
    return ops.Concatenate(*parts, axis=n + 1, name=f"{label}: groups joined")


def _kernel_letters(n: int) -> str:
    return ", ".join(f"k{letter.lower()}" for letter in LETTERS[n])


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


def _channels_last(x: Box, n: int, label: str) -> Box:
    letters = ", ".join(LETTERS[n])
    return ops.Transpose(x, axes=(0, *range(2, n + 2), 1),
                         name=f"{label}: x (N, C, {letters}) as (N, {letters}, C)")


def _channels_first(out: Box, b: Box | None, n: int, one: bool, label: str) -> Box:
    """out (N, *out, O) plus b, as (N, O, *out); without its batch axis for one example."""
    if b is not None:
        out = ops.Add(out, b, name=f"{label}: + b")
    out = ops.Transpose(out, axes=(0, n + 1, *range(1, n + 1)),
                        name=f"{label}: the batch of one" if one else label)
    return ops.Squeeze(out, axis=0, name=label) if one else out


@composite("conv2d")
def conv2d(x: Any, W: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1, kernel_size: Any = None,
           name: str | None = None) -> Box:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``:

        y[n, o, i, j] = b[o] + sum_{c, u, v} W[o, c, u, v] x_pad[n, c', s_h i + d_h u,
                                                                  s_w j + d_w v]

    ``x`` has shape (N, C, H, W) (or (C, H, W), one example); ``W`` (O, C / groups, kh,
    kw); ``b`` (O,) or None; ``stride``, ``padding`` and ``dilation`` an int or a
    (height, width) pair (``padding`` also "valid" or "same": zeros around x). With
    ``groups`` g, the channels and the O outputs are cut into g groups, output group k
    seeing input group k only (c' = k C / g + c); groups = C is a depthwise convolution.
    The output has shape (N, O, H_out, W_out), H_out = floor((H + 2 p_h - d_h (kh - 1) -
    1) / s_h) + 1. Gradients: d W = the patches contracted with d y, d x = d y spread
    back over the windows (both from the primitives: GetItem, Stack, Pad, Split,
    TensorDot).

    The kernel size is read from ``W``'s value; give ``kernel_size`` (int or pair) when W
    is computed by other boxes, so has no value until the graph runs. An image smaller
    than the kernel (after padding) gives an output with no rows or columns (PyTorch
    raises instead: the graph does not know the image's size when it is built).
    """
    who = f"conv2d '{name or 'conv2d'}'"
    x, W = as_box(x), as_box(W)
    W_shape = _known_shape(W)
    kernel = _kernel(W, W_shape, kernel_size, "out_channels, in_channels / groups", 2, who)
    strides = _sizes(stride, 2, "stride", who)
    dilations = _sizes(dilation, 2, "dilation", who)
    count = _groups(groups, W_shape, who)
    pads = _padding(padding, _extent(kernel, dilations), strides, who)
    x, one = _batched(x, 2, who, None if W_shape is None else int(W_shape[1]) * count)
    b = _bias(b, None if W_shape is None else int(W_shape[0]), who)
    label = name or "conv2d"
    channels_last = _channels_last(x, 2, label)
    if any(n for side in pads for n in side):
        channels_last = ops.Pad(channels_last, 0, pad_width=((0, 0), *pads, (0, 0)),
                                name=f"{label}: zero padding")
    out = _correlate(channels_last, W, kernel, strides, dilations, count, 1, label,
                     f"(out, C={_in(W_shape, 1)}, kh, kw)")
    return _channels_first(out, b, 2, one, label)


def _in(W_shape: tuple[int, ...] | None, axis: int) -> str:
    return "C" if W_shape is None else str(W_shape[axis])


def _pad_or_crop(x: Box, sides: list[Pair], label: str) -> Box:
    """x (N, *spatial, C) with sides = [(before, after) per spatial axis] zeros added
    where positive, entries taken away where negative."""
    if any(n > 0 for side in sides for n in side):
        x = ops.Pad(x, 0, pad_width=((0, 0),) + tuple(
            (max(before, 0), max(after, 0)) for before, after in sides) + ((0, 0),),
                    name=f"{label}: zero padding")
    if any(n < 0 for side in sides for n in side):
        x = ops.GetItem(x, (slice(None),) + tuple(
            slice(max(-before, 0), min(after, 0) or None) for before, after in sides),
                        name=f"{label}: cropped")
    return x


def _conv_transpose(n: int, x: Any, W: Any, b: Any, stride: Any, padding: Any,
                    output_padding: Any, groups: int, dilation: Any, kernel_size: Any,
                    name: str | None) -> Box:
    """conv_transpose1d, 2d and 3d: the transposed convolution along n spatial axes."""
    label = name or f"conv_transpose{n}d"
    who = f"conv_transpose{n}d '{label}'"
    x, W = as_box(x), as_box(W)
    W_shape = _known_shape(W)
    kernel = _kernel(W, W_shape, kernel_size, "in_channels, out_channels / groups", n, who)
    strides = _sizes(stride, n, "stride", who)
    dilations = _sizes(dilation, n, "dilation", who)
    pads = _sizes(padding, n, "padding", who, minimum=0)
    extra = _sizes(output_padding, n, "output_padding", who, minimum=0)
    if any(e >= max(s, d) for e, s, d in zip(extra, strides, dilations)):
        raise ValueError(f"{who}: output_padding {extra} must be smaller than the stride "
                         f"{strides} or the dilation {dilations} (as in PyTorch)")
    count = _groups(groups, W_shape, who)
    x, one = _batched(x, n, who, None if W_shape is None else int(W_shape[0]))
    b = _bias(b, None if W_shape is None else int(W_shape[1]) * count, who)
    spread = _channels_last(x, n, label)
    if any(s != 1 for s in strides):
        one_hot = np.zeros((1,) + strides + (1,), dtype=bool)  # bool: float32 stays float32
        one_hot[(0,) * (n + 2)] = True
        spread = ops.Kron(spread, one_hot, name=f"{label}: x with stride - 1 zeros after "
                                                f"each entry")
    margins = [d * (k - 1) - p for d, k, p in zip(dilations, kernel, pads)]
    spread = _pad_or_crop(spread, [(margin, margin + e - (s - 1)) for margin, e, s in
                                   zip(margins, extra, strides)], label)
    flipped = ops.Flip(W, axis=tuple(range(2, n + 2)), name="W flipped")
    out = _correlate(spread, flipped, kernel, (1,) * n, dilations, count, 0, label,
                     f"(C={_in(W_shape, 0)}, out / groups, {_kernel_letters(n)}) flipped")
    return _channels_first(out, b, n, one, label)


@composite("conv_transpose1d")
def conv_transpose1d(x: Any, W: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1,
                     kernel_size: Any = None, name: str | None = None) -> Box:
    """The transposed convolution along one axis, as
    ``torch.nn.functional.conv_transpose1d``:

        y[n, o, s i + d u - p] += W[c, o, u] x[n, c, i],  plus b[o]

    ``x`` (N, C, L) or (C, L); ``W`` (C, O / groups, k); the settings ints (or 1-tuples)
    as :func:`conv_transpose2d`'s; L_out = (L - 1) s - 2 p + d (k - 1) + output_padding
    + 1."""
    return _conv_transpose(1, x, W, b, stride, padding, output_padding, groups, dilation,
                           kernel_size, name)


@composite("conv_transpose2d")
def conv_transpose2d(x: Any, W: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1,
                     kernel_size: Any = None, name: str | None = None) -> Box:
    """The transposed convolution, as ``torch.nn.functional.conv_transpose2d``: the
    adjoint of conv2d in x (its gradient), which spreads each input entry over a window:

        y[n, o, s_h i + d_h u - p_h, s_w j + d_w v - p_w] += W[c, o, u, v] x[n, c, i, j]

    plus b[o]. ``x`` has shape (N, C, H, W) (or (C, H, W), one example); ``W`` (C, O /
    groups, kh, kw); ``b`` (O,) or None; ``stride``, ``padding``, ``output_padding``
    (extra rows and columns at the bottom and right, fewer than the stride or the
    dilation) and ``dilation`` an int or a (height, width) pair; ``groups`` as conv2d's.
    The output has shape (N, O, H_out, W_out), H_out = (H - 1) s_h - 2 p_h + d_h (kh -
    1) + output_padding_h + 1.

    Built as PyTorch defines it: x with s - 1 zeros between its entries (a Kron with a
    one-hot block), padded by d (k - 1) - p (cropped where negative; output_padding more
    at the bottom and right), correlated with the flipped kernel at stride 1. The
    inserted zeros cost s_h s_w times the work of the product itself.
    """
    return _conv_transpose(2, x, W, b, stride, padding, output_padding, groups, dilation,
                           kernel_size, name)


@composite("conv_transpose3d")
def conv_transpose3d(x: Any, W: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1,
                     kernel_size: Any = None, name: str | None = None) -> Box:
    """The transposed convolution along three axes (volumes), as
    ``torch.nn.functional.conv_transpose3d``:

        y[n, o, s_d i + d_d t - p_d, s_h j + d_h u - p_h, s_w k + d_w v - p_w]
            += W[c, o, t, u, v] x[n, c, i, j, k],  plus b[o]

    ``x`` (N, C, D, H, W) or (C, D, H, W); ``W`` (C, O / groups, kd, kh, kw); the
    settings an int or a (depth, height, width) triple, as :func:`conv_transpose2d`'s;
    each output axis as its formula."""
    return _conv_transpose(3, x, W, b, stride, padding, output_padding, groups, dilation,
                           kernel_size, name)


@composite("max_pool2d")
def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, name: str | None = None) -> Box:
    """Max pooling, as ``torch.nn.functional.max_pool2d``:

        y[n, c, i, j] = max_{u < kh, v < kw} x_pad[n, c, s_h i + d_h u, s_w j + d_w v]

    on x of shape (N, C, H, W) (or (C, H, W), one example); ``stride`` defaults to
    ``kernel_size``; ``padding`` (at most half the kernel) surrounds x with -inf;
    ``dilation`` spaces a window's entries. As conv2d, it works channels-last: the kh *
    kw strided views are stacked and reduced with one Max box. The output has shape (N,
    C, H_out, W_out), H_out = floor((H + 2 p_h - d_h (kh - 1) - 1) / s_h) + 1, or with
    ``ceil_mode`` the ceiling, less the last window where that would start in the bottom
    padding (PyTorch's rule); that is, the windows that overhang the bottom (right) edge
    are kept, their missing entries -inf. The gradient goes to the entry that is the
    window's max; where several entries tie they share it equally (PyTorch gives it all
    to one of them; the sum over the window is the same).
    """
    who = f"max_pool2d '{name or 'max_pool2d'}'"
    x = as_box(x)
    kernel = _sizes(kernel_size, 2, "kernel_size", who)
    strides = kernel if stride is None else _sizes(stride, 2, "stride", who)
    dilations = _sizes(dilation, 2, "dilation", who)
    pad_h, pad_w = _sizes(padding, 2, "padding", who, minimum=0)
    if 2 * pad_h > kernel[0] or 2 * pad_w > kernel[1]:
        raise ValueError(f"{who}: padding {(pad_h, pad_w)} must be at most half the kernel "
                         f"size {kernel} (as in PyTorch)")
    x, one = _batched(x, 2, who, None)
    label = name or "max_pool2d"
    # ceil mode: windows start at every stride before H + p, so long as they stay within
    # H + 2p + s - 1: -inf padding of min(s - 1, span - p - 1) more at the bottom gives
    # exactly them, whatever H
    over = [min(s - 1, span - p - 1) if ceil_mode else 0
            for s, span, p in zip(strides, _extent(kernel, dilations), (pad_h, pad_w))]
    channels_last = _channels_last(x, 2, label)
    if pad_h or pad_w or any(over):
        channels_last = ops.Pad(channels_last, -np.inf, pad_width=(
            (0, 0), (pad_h, pad_h + over[0]), (pad_w, pad_w + over[1]), (0, 0)),
                                name=f"{label}: -inf padding")
    views = _views(channels_last, kernel, strides, dilations)
    windows = ops.Stack(*views, axis=0, name=f"{label}: windows (kh kw, N, H', W', C)")
    pooled = ops.Max(windows, axis=0, name="max over the window")
    return _channels_first(pooled, None, 2, one, label)
