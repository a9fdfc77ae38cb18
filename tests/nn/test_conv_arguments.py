"""conv2d's dilation and groups, conv_transpose2d and ConvTranspose2d, max_pool2d's
dilation and ceil_mode: the op table's seven checks against the docstrings'
definitions written as loops in numpy, torch (when installed) in float64 and float32
with gradients, the layers, and misuse."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.nn import (
    Conv2d,
    ConvTranspose2d,
    conv2d,
    conv_transpose2d,
    max_pool2d,
)

from ..ops.table import Case, parametrize
from .torch_check import matches_torch

RNG = np.random.default_rng(31)


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def numpy_conv2d(x, W, b=None, stride=1, padding=0, dilation=1, groups=1):
    """y[n, o, i, j] = b[o] + sum_{c,u,v} W[o, c, u, v] x_pad[n, g C/groups + c, s i + d u,
    s j + d v] for o in group g, by loops over the output positions; "same" padding puts
    the extra entry of an odd d (k - 1) after, as PyTorch."""
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    O, Cg, kh, kw = W.shape
    if padding == "same":
        pads = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for d, k in ((dh, kh), (dw, kw))]
    else:
        pads = [(p, p) for p in _pair(padding)]
    x = np.pad(x, ((0, 0), (0, 0), *pads))
    height = (x.shape[2] - dh * (kh - 1) - 1) // sh + 1
    width = (x.shape[3] - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((x.shape[0], O, height, width), np.result_type(x, W))
    for o, i, j in itertools.product(range(O), range(height), range(width)):
        g = o // (O // groups)
        window = x[:, g * Cg:(g + 1) * Cg, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                   j * sw:j * sw + dw * (kw - 1) + 1:dw]
        y[:, o, i, j] = np.tensordot(window, W[o], axes=3)
    return y if b is None else y + b[:, None, None]


def numpy_conv_transpose2d(x, W, b=None, stride=1, padding=0, output_padding=0, groups=1,
                           dilation=1):
    """y[n, o, s i + d u - p, s j + d v - p] += W[c, o', u, v] x[n, c, i, j] (o = g O/groups
    + o' for c in group g), by loops over the input positions."""
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    (eh, ew) = _pair(output_padding)
    N, C, H, Wd = x.shape
    _, Og, kh, kw = W.shape
    height = (H - 1) * sh - 2 * ph + dh * (kh - 1) + eh + 1
    width = (Wd - 1) * sw - 2 * pw + dw * (kw - 1) + ew + 1
    full = np.zeros((N, Og * groups, height + 2 * ph + sh + eh, width + 2 * pw + sw + ew),
                    np.result_type(x, W))
    for c, i, j, u, v in itertools.product(range(C), range(H), range(Wd), range(kh), range(kw)):
        g = c // (C // groups)
        full[:, g * Og:(g + 1) * Og, sh * i + dh * u, sw * j + dw * v] += (
            x[:, c, i, j][:, None] * W[c, :, u, v])
    y = full[:, :, ph:ph + height, pw:pw + width]
    return y if b is None else y + b[:, None, None]


def numpy_max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Windows at s i (i from 0) of x padded with -inf, H_out by the docstring's rule."""
    (kh, kw), (ph, pw), (dh, dw) = _pair(kernel_size), _pair(padding), _pair(dilation)
    sh, sw = _pair(kernel_size if stride is None else stride)
    sizes = []
    for length, k, s, p, d in ((x.shape[2], kh, sh, ph, dh), (x.shape[3], kw, sw, pw, dw)):
        span = d * (k - 1) + 1
        count = -((length + 2 * p - span) // -s) if ceil_mode else (length + 2 * p - span) // s
        if ceil_mode and count * s >= length + p:
            count -= 1
        sizes.append(count + 1)
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph + sh + kh * dh), (pw, pw + sw + kw * dw)),
                    constant_values=-np.inf)
    y = np.empty(x.shape[:2] + tuple(sizes))
    for i, j in itertools.product(range(sizes[0]), range(sizes[1])):
        window = padded[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                        j * sw:j * sw + dw * (kw - 1) + 1:dw]
        y[:, :, i, j] = window.max(axis=(2, 3))
    return y


CONV = [  # x shape, W shape, options
    ((2, 3, 7, 6), (4, 3, 3, 3), {"dilation": 2}),
    ((1, 2, 9, 8), (3, 2, 3, 2), {"dilation": (2, 3), "stride": 2, "padding": (2, 1)}),
    ((2, 4, 6, 5), (6, 2, 3, 3), {"groups": 2, "padding": 1}),
    ((2, 4, 6, 6), (4, 1, 3, 3), {"groups": 4, "stride": 2}),  # depthwise
    ((1, 6, 7, 7), (3, 2, 2, 3), {"groups": 3, "dilation": 2, "padding": "same"}),
]
TRANSPOSED = [  # x shape, W shape, options
    ((2, 3, 4, 5), (3, 2, 3, 3), {}),
    ((2, 3, 4, 5), (3, 2, 3, 2), {"stride": 2}),
    ((1, 2, 3, 4), (2, 3, 3, 3), {"stride": (2, 3), "padding": 1, "output_padding": (1, 2)}),
    ((2, 4, 3, 3), (4, 1, 2, 3), {"groups": 2, "dilation": 2, "padding": (2, 1)}),
    ((1, 2, 6, 5), (2, 2, 3, 3), {"padding": 3}),  # more padding than the kernel: cropped
    ((1, 2, 3, 3), (2, 2, 2, 2), {"stride": 3, "dilation": 2, "output_padding": 1}),
]
POOLS = [  # x shape, options
    ((2, 3, 7, 8), {"kernel_size": 2, "ceil_mode": True}),
    ((2, 2, 8, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ((1, 2, 9, 9), {"kernel_size": 2, "dilation": 2}),
    ((1, 2, 9, 10), {"kernel_size": (2, 3), "stride": (3, 2), "dilation": (3, 2), "padding": 1,
                     "ceil_mode": True}),
    ((1, 1, 5, 5), {"kernel_size": 2, "stride": 3, "padding": 1, "ceil_mode": True}),
]


def _ids(cases):
    return ["-".join(f"{k}={v}" for k, v in case[-1].items()) or "plain" for case in cases]


def _rows(box, reference, cases, bias):
    rows = []
    for x_shape, *rest, options in cases:
        shapes = (x_shape, *rest)
        if bias:  # one bias per output channel
            out = rest[0][0] if box is conv2d else rest[0][1] * options.get("groups", 1)
            shapes += ((out,),)
        # exact=False: af.grad sums the bias's gradient over a transposed view in
        # another order than the interpreter (to 1 ulp)
        rows.append(Case(box, shapes, reference, kwargs=options, exact=False))
    return rows


TABLE: list[Case] = [
    *_rows(conv2d, numpy_conv2d, CONV[:3], bias=True),
    *_rows(conv2d, numpy_conv2d, CONV[3:], bias=False),
    *_rows(conv_transpose2d, numpy_conv_transpose2d, TRANSPOSED[:3], bias=True),
    *_rows(conv_transpose2d, numpy_conv_transpose2d, TRANSPOSED[3:], bias=False),
    *_rows(max_pool2d, numpy_max_pool2d, POOLS, bias=False),
]


@parametrize(TABLE)
def test_layer_function(case: Case, check) -> None:
    check(case)


DTYPES = [(np.float64, 1e-12), (np.float32, 1e-5)]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch: an even kernel's copy
@pytest.mark.parametrize("dtype, rtol", DTYPES)
@pytest.mark.parametrize("x_shape, W_shape, options", CONV, ids=_ids(CONV))
def test_conv2d_matches_torch(x_shape, W_shape, options, dtype, rtol):
    torch = pytest.importorskip("torch")
    arrays = [RNG.standard_normal(x_shape), RNG.standard_normal(W_shape),
              RNG.standard_normal(W_shape[0])]
    matches_torch(conv2d, torch.nn.functional.conv2d, arrays, dtype, rtol, RNG, **options)


@pytest.mark.parametrize("dtype, rtol", DTYPES)
@pytest.mark.parametrize("x_shape, W_shape, options", TRANSPOSED, ids=_ids(TRANSPOSED))
def test_conv_transpose2d_matches_torch(x_shape, W_shape, options, dtype, rtol):
    torch = pytest.importorskip("torch")
    arrays = [RNG.standard_normal(x_shape), RNG.standard_normal(W_shape),
              RNG.standard_normal(W_shape[1] * options.get("groups", 1))]
    matches_torch(conv_transpose2d, torch.nn.functional.conv_transpose2d, arrays, dtype, rtol,
                  RNG, **options)


@pytest.mark.parametrize("dtype, rtol", DTYPES)
@pytest.mark.parametrize("x_shape, options", POOLS, ids=_ids(POOLS))
def test_max_pool2d_matches_torch(x_shape, options, dtype, rtol):
    torch = pytest.importorskip("torch")
    matches_torch(max_pool2d, torch.nn.functional.max_pool2d, [RNG.standard_normal(x_shape)],
                  dtype, rtol, RNG, **options)


def test_output_sizes_follow_pytorchs_rules_for_every_setting():
    """Every small image size, kernel, stride, padding and dilation, in both modes:
    max_pool2d's output has PyTorch's size and values (the numpy loops, which follow its
    rule), conv_transpose2d's the size of its formula."""
    x = af.Input("x")
    for H, k, s, p, d, ceil in itertools.product(range(1, 8), (1, 2, 3), (1, 2, 3), (0, 1),
                                                 (1, 2), (False, True)):
        if 2 * p > k or H + 2 * p < d * (k - 1) + 1:
            continue
        X = RNG.standard_normal((1, 1, H, 3))
        options = {"kernel_size": (k, 1), "stride": (s, 1), "padding": (p, 0),
                   "dilation": (d, 1), "ceil_mode": ceil}
        value = af.FlowGraph(max_pool2d(x, **options)).fprop({x: X})
        np.testing.assert_array_equal(value, numpy_max_pool2d(X, **options), err_msg=options)
    for H, k, s, p, e, d in itertools.product((1, 3), (1, 2, 3), (1, 2), (0, 1, 2), (0, 1),
                                              (1, 2)):
        if e >= max(s, d):
            continue
        W = RNG.standard_normal((1, 1, k, 1))
        value = af.FlowGraph(conv_transpose2d(x, W, stride=s, padding=(p, 0), output_padding=(
            e, 0), dilation=(d, 1))).fprop({x: RNG.standard_normal((1, 1, H, 2))})
        assert value.shape[2] == max((H - 1) * s - 2 * p + d * (k - 1) + e + 1, 0)


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    """<conv2d(z, W), x> = <z, conv_transpose2d(x, W)> for the same stride, padding,
    dilation and groups: the transposed convolution is conv2d's gradient in its input."""
    W = RNG.standard_normal((4, 3, 3, 2))
    for options in [{}, {"stride": 2, "padding": 1}, {"dilation": 2, "stride": (1, 2)}]:
        z = RNG.standard_normal((2, 3, 9, 8))
        image = af.Input("z")
        forward = af.FlowGraph(conv2d(image, W, **options)).fprop({image: z})
        x = RNG.standard_normal(forward.shape)
        spread = af.Input("x")
        output_padding = [(zs + 2 * p - d * (k - 1) - 1) % s for zs, p, d, k, s in zip(
            z.shape[2:], _pair(options.get("padding", 0)), _pair(options.get("dilation", 1)),
            W.shape[2:], _pair(options.get("stride", 1)))]
        back = af.FlowGraph(conv_transpose2d(spread, W, output_padding=output_padding,
                                             **options)).fprop({spread: x})
        assert back.shape == z.shape
        np.testing.assert_allclose(np.vdot(forward, x), np.vdot(z, back), rtol=1e-12)


def test_layers_take_the_new_settings():
    layer = Conv2d(4, 6, 3, padding=2, dilation=2, groups=2, seed=3, name="c")
    assert layer.W.value.shape == (6, 2, 3, 3)
    bound = np.sqrt(6 / (2 * 9 + 6 * 9))  # PyTorch's fans of the grouped kernel
    assert 0.8 * bound < np.abs(layer.W.value).max() <= bound
    X = RNG.standard_normal((2, 4, 6, 6))
    x = af.Input("x")
    np.testing.assert_allclose(af.FlowGraph(layer(x)).fprop({x: X}),
                               numpy_conv2d(X, layer.W.value, layer.b.value, 1, 2, 2, 2),
                               atol=1e-12)
    assert "dilation=(2, 2), groups=2" in repr(layer)
    up = ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, seed=2,
                         name="up")
    assert up.W.value.shape == (4, 3, 3, 3) and up.b.value.shape == (6,)
    assert [p.name for p in up.parameters] == ["up.W", "up.b"]
    up.b.value[:] = RNG.standard_normal(6)
    value = af.FlowGraph(up(x)).fprop({x: X})
    assert value.shape == (2, 6, 12, 12)
    np.testing.assert_allclose(value, numpy_conv_transpose2d(X, up.W.value, up.b.value, 2, 1,
                                                             1, 2), atol=1e-12)
    assert "ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2)" in repr(up)
    af.gradcheck(af.FlowGraph(af.sum(up(x) ** 2), wrt=[x] + up.parameters), {x: X[:1]})


@pytest.mark.parametrize("call, message", [
    (lambda x: conv2d(x, np.zeros((3, 2, 3, 3)), groups=2), r"groups=2 must divide W's first "
                                                              r"axis, of length 3"),
    (lambda x: conv2d(x, np.zeros((2, 2, 3, 3)), dilation=0), "dilation must be an integer"),
    (lambda x: conv2d(x, np.zeros((2, 2, 3, 3)), groups=0), "groups must be an integer >= 1"),
    (lambda x: conv2d(af.Input("x", shape=(None, 3, 5, 5)), np.zeros((4, 2, 3, 3)), groups=2),
     r"has 3 channels .* kernel expects 4"),
    (lambda x: conv_transpose2d(x, np.zeros((2, 2, 3, 3)), stride=2, output_padding=2),
     r"output_padding \(2, 2\) must be smaller than the stride \(2, 2\) or the dilation"),
    (lambda x: conv_transpose2d(x, np.zeros((2, 3, 3, 3)), np.zeros(2)),
     r"b must have shape \(3,\)"),
    (lambda x: conv_transpose2d(x, af.Parameter(np.zeros((2, 3, 3, 3))) * 2),
     "pass kernel_size"),
    (lambda x: conv_transpose2d(x, np.zeros((2, 3, 3))), r"W must have shape \(in_channels, "
                                                         r"out_channels / groups, kh, kw\)"),
    (lambda x: max_pool2d(x, 2, dilation=(1, 0)), "dilation must be an integer"),
    (lambda x: Conv2d(4, 6, 3, groups=4), r"groups=4 must divide in_channels and "
                                          r"out_channels \(4, 6\)"),
    (lambda x: ConvTranspose2d(2, 2, 3, stride=1, output_padding=1), "output_padding"),
])
def test_bad_arguments_are_explained(call, message):
    with pytest.raises(ValueError, match=message):
        call(af.Input("x"))


def test_groups_that_do_not_divide_the_fed_channels_fail_when_the_graph_runs():
    x = af.Input("x")
    graph = af.FlowGraph(conv2d(x, np.zeros((4, 2, 3, 3)), groups=2, name="grouped"))
    with pytest.raises(af.BoxError, match=r"grouped: channels of group 0.* does not split "
                                          r"into 2 equal parts"):
        graph.fprop({x: np.zeros((1, 5, 6, 6))})
