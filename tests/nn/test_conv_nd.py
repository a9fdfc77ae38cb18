"""conv_transpose1d and conv_transpose3d (the code of conv_transpose2d along one and
three axes), and the unbatched form (C, *spatial) that conv2d, conv_transpose1d/2d/3d
and max_pool2d take as PyTorch does: the op table's seven checks against the
docstrings' definition written as loops in numpy, torch (when installed) in float64
and float32 with gradients, and misuse."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.nn import (
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    max_pool2d,
)

from ..ops.table import Case, parametrize
from .test_conv_arguments import numpy_conv2d, numpy_max_pool2d
from .torch_check import matches_torch

RNG = np.random.default_rng(43)


def _each(value, n):
    return (value,) * n if isinstance(value, int) else tuple(value)


def numpy_conv_transpose(x, W, b=None, stride=1, padding=0, output_padding=0, groups=1,
                         dilation=1):
    """y[n, o, s i + d u - p] += W[c, o', u] x[n, c, i] along every spatial axis (o = g
    O/groups + o' for c in group g), by loops over the input positions and the kernel."""
    n = W.ndim - 2
    s, p, e, d = (_each(v, n) for v in (stride, padding, output_padding, dilation))
    C, spatial, Og, kernel = x.shape[1], x.shape[2:], W.shape[1], W.shape[2:]
    out = [(L - 1) * si - 2 * pi + di * (k - 1) + ei + 1
           for L, si, pi, di, k, ei in zip(spatial, s, p, d, kernel, e)]
    full = np.zeros(x.shape[:1] + (Og * groups,) + tuple(
        o + 2 * pi + si + ei for o, pi, si, ei in zip(out, p, s, e)), np.result_type(x, W))
    for c, at, offset in itertools.product(range(C), itertools.product(*map(range, spatial)),
                                           itertools.product(*map(range, kernel))):
        g = c // (C // groups)
        where = tuple(si * i + di * u for si, i, di, u in zip(s, at, d, offset))
        full[(slice(None), slice(g * Og, (g + 1) * Og)) + where] += (
            x[(slice(None), c) + at][:, None] * W[(c, slice(None)) + offset])
    y = full[(slice(None), slice(None)) + tuple(slice(pi, pi + o) for pi, o in zip(p, out))]
    return y if b is None else y + b.reshape((-1,) + (1,) * n)


def _one(reference):
    """The reference on one example (C, *spatial): the batch of one, without its axis."""
    def on_one(x, *rest, **options):
        return reference(x[None], *rest, **options)[0]
    return on_one


TRANSPOSED = [  # function, x shape, W shape, bias, options
    (conv_transpose1d, (2, 3, 5), (3, 2, 3), True, {}),
    (conv_transpose1d, (1, 4, 4), (4, 1, 2), False, {"stride": 2, "padding": 1,
                                                    "output_padding": 1, "groups": 2}),
    (conv_transpose1d, (2, 2, 4), (2, 2, 3), True, {"stride": (3,), "dilation": 2,
                                                   "padding": 3}),
    (conv_transpose3d, (1, 2, 3, 2, 3), (2, 2, 2, 2, 2), True, {}),
    (conv_transpose3d, (2, 2, 2, 3, 2), (2, 1, 2, 1, 2), False,
     {"stride": (2, 1, 3), "padding": (1, 0, 1), "output_padding": (1, 0, 2), "groups": 2}),
    (conv_transpose3d, (1, 1, 3, 2, 2), (1, 2, 2, 2, 1), True, {"dilation": (2, 1, 3),
                                                               "stride": 2}),
]
UNBATCHED = [  # function, numpy reference, shapes, options
    (conv_transpose1d, numpy_conv_transpose, ((3, 5), (3, 2, 3), (2,)), {"stride": 2}),
    (conv_transpose2d, numpy_conv_transpose, ((2, 3, 4), (2, 3, 2, 2), (3,)), {"padding": 1}),
    (conv_transpose3d, numpy_conv_transpose, ((2, 2, 3, 2), (2, 1, 2, 2, 2)), {"groups": 2}),
    (conv2d, numpy_conv2d, ((3, 6, 5), (4, 3, 3, 2), (4,)), {"stride": 2}),
    (max_pool2d, numpy_max_pool2d, ((2, 5, 6),), {"kernel_size": 2, "ceil_mode": True}),
]


def _transposed_shapes(x_shape, W_shape, bias, options):
    return (x_shape, W_shape) + (((W_shape[1] * options.get("groups", 1),),) if bias else ())


TABLE: list[Case] = [
    # exact=False: af.grad sums the bias's gradient in another order (to 1 ulp)
    *[Case(function, _transposed_shapes(x_shape, W_shape, bias, options),
           numpy_conv_transpose, kwargs=options, exact=False)
      for function, x_shape, W_shape, bias, options in TRANSPOSED],
    *[Case(function, shapes, _one(reference), kwargs=options, exact=False)
      for function, reference, shapes, options in UNBATCHED],
]


@parametrize(TABLE)
def test_layer_function(case: Case, check) -> None:
    check(case)


def _ids(cases):
    return [f"{case[0].__name__}-" + ("-".join(f"{k}={v}" for k, v in case[-1].items())
                                       or "plain") for case in cases]


DTYPES = [(np.float64, 1e-12), (np.float32, 1e-5)]


@pytest.mark.parametrize("dtype, rtol", DTYPES)
@pytest.mark.parametrize("function, x_shape, W_shape, bias, options", TRANSPOSED,
                         ids=_ids(TRANSPOSED))
def test_conv_transpose_matches_torch(function, x_shape, W_shape, bias, options, dtype, rtol):
    torch = pytest.importorskip("torch")
    arrays = [RNG.standard_normal(shape) for shape in
              _transposed_shapes(x_shape, W_shape, bias, options)]
    matches_torch(function, getattr(torch.nn.functional, function.__name__), arrays, dtype,
                  rtol, RNG, **options)


@pytest.mark.parametrize("dtype, rtol", DTYPES)
@pytest.mark.parametrize("function, reference, shapes, options", UNBATCHED, ids=_ids(UNBATCHED))
def test_one_example_matches_torch(function, reference, shapes, options, dtype, rtol):
    torch = pytest.importorskip("torch")
    matches_torch(function, getattr(torch.nn.functional, function.__name__),
                  [RNG.standard_normal(shape) for shape in shapes], dtype, rtol, RNG, **options)


def test_one_example_keeps_its_name_and_gives_the_batch_of_ones_entry():
    x = af.Input("x", shape=(3, 5))
    W = np.arange(18.0).reshape(3, 2, 3)
    out = conv_transpose1d(x, W, name="up")
    assert out.name == "up"
    X = RNG.standard_normal((3, 5))
    np.testing.assert_allclose(af.FlowGraph(out).fprop({x: X}),
                               numpy_conv_transpose(X[None], W)[0], rtol=1e-13)


@pytest.mark.parametrize("call, message", [
    (lambda: conv_transpose1d(af.Input("x"), np.zeros((2, 2, 3, 3))),
     r"W must have shape \(in_channels, out_channels / groups, kl\), got \(2, 2, 3, 3\)"),
    (lambda: conv_transpose3d(af.Input("x"), np.zeros((2, 2, 3, 3, 3)), stride=(1, 2)),
     r"stride must be an integer >= 1 or 3 of them \(depth, height, width\)"),
    (lambda: conv_transpose1d(af.Input("x", shape=(None, 8)), np.zeros((2, 2, 3))),
     r"needs 3 axes \(batch, channels, length\), or 2 for one example with its channels "
     r"known: reshape it, e.g. x.reshape\(-1, 1, 8\)"),
    (lambda: conv2d(af.Input("x", shape=(2, 5, 5)), np.zeros((4, 3, 3, 3))),
     r"'x' has 2 channels \(shape \(2, 5, 5\)\) but the kernel expects 3"),
    (lambda: conv_transpose3d(af.Input("x"), af.Parameter(np.zeros((2, 2, 3, 3, 3))) * 2),
     r"pass kernel_size \(depth, height, width\)"),
])
def test_bad_arguments_are_explained(call, message):
    with pytest.raises(ValueError, match=message):
        call()
