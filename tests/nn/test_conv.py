"""conv2d, max_pool2d and Conv2d: values against loops in numpy and against torch (when
installed), gradients by finite differences, the layer's initialization, errors."""
import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.nn import Conv2d, conv2d, max_pool2d

RNG = np.random.default_rng(11)


def numpy_conv2d(x, W, b, stride, padding):
    """y[n, o, i, j] = b[o] + sum_{c,u,v} W[o, c, u, v] x_pad[n, c, s i + u, s j + v], by
    loops over the output positions (padding as ((top, bottom), (left, right)))."""
    (top, bottom), (left, right) = padding
    x = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    out_channels, _, kh, kw = W.shape
    sh, sw = stride
    height = (x.shape[2] - kh) // sh + 1
    width = (x.shape[3] - kw) // sw + 1
    y = np.zeros((x.shape[0], out_channels, height, width))
    for i in range(height):
        for j in range(width):
            window = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            y[:, :, i, j] = np.tensordot(window, W, axes=([1, 2, 3], [1, 2, 3]))
    return y if b is None else y + b[:, None, None]


def numpy_max_pool2d(x, kernel, stride, padding):
    ph, pw = padding
    x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    (kh, kw), (sh, sw) = kernel, stride
    height = (x.shape[2] - kh) // sh + 1
    width = (x.shape[3] - kw) // sw + 1
    y = np.empty(x.shape[:2] + (height, width))
    for i in range(height):
        for j in range(width):
            y[:, :, i, j] = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].max(axis=(2, 3))
    return y


CONV_CASES = [  # x shape, W shape, stride, padding given, padding as pairs
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 0, ((0, 0), (0, 0))),
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 1, ((1, 1), (1, 1))),
    ((1, 2, 9, 8), (3, 2, 3, 2), 2, (2, 1), ((2, 2), (1, 1))),
    ((3, 1, 8, 8), (2, 1, 4, 4), (3, 2), 0, ((0, 0), (0, 0))),
    ((2, 2, 5, 6), (3, 2, 2, 3), 1, "same", ((0, 1), (1, 1))),
    ((2, 2, 5, 6), (3, 2, 1, 1), 1, "valid", ((0, 0), (0, 0))),
    ((2, 1, 4, 4), (1, 1, 4, 4), 1, 0, ((0, 0), (0, 0))),  # one output position
]


def _pair(value):
    return (value, value) if isinstance(value, int) else value


@pytest.mark.parametrize("x_shape, W_shape, stride, padding, pads", CONV_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_numpy_loops(x_shape, W_shape, stride, padding, pads, bias):
    X, W = RNG.standard_normal(x_shape), RNG.standard_normal(W_shape)
    b = RNG.standard_normal(W_shape[0]) if bias else None
    x = af.Input("x")
    out = conv2d(x, af.Parameter(W), None if b is None else af.Parameter(b), stride=stride,
                 padding=padding)
    value = af.FlowGraph(out).fprop({x: X})
    np.testing.assert_allclose(value, numpy_conv2d(X, W, b, _pair(stride), pads), atol=1e-12)


@pytest.mark.parametrize("x_shape, W_shape, stride, padding, pads", CONV_CASES)
def test_conv2d_gradcheck(x_shape, W_shape, stride, padding, pads):
    x = af.Input("x")
    W = af.Parameter(RNG.standard_normal(W_shape), name="W")
    b = af.Parameter(RNG.standard_normal(W_shape[0]), name="b")
    out = conv2d(x, W, b, stride=stride, padding=padding)
    graph = af.FlowGraph(out, wrt=[x, W, b])
    af.gradcheck(graph, {x: RNG.standard_normal(x_shape)})


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch: an even kernel's copy
@pytest.mark.parametrize("x_shape, W_shape, stride, padding, pads", CONV_CASES)
def test_conv2d_matches_torch(x_shape, W_shape, stride, padding, pads):
    torch = pytest.importorskip("torch")
    X, W, b = (RNG.standard_normal(x_shape), RNG.standard_normal(W_shape),
               RNG.standard_normal(W_shape[0]))
    weights = RNG.standard_normal  # a random projection makes the loss scalar
    x, Wp, bp = af.Input("x"), af.Parameter(W, name="W"), af.Parameter(b, name="b")
    out = conv2d(x, Wp, bp, stride=stride, padding=padding)
    graph = af.FlowGraph(out, wrt=[x, Wp, bp])
    value = graph.fprop({x: X})
    seed = weights(value.shape)
    grads = graph.bprop(seed)
    tx, tW, tb = (torch.tensor(a, requires_grad=True) for a in (X, W, b))
    expected = torch.nn.functional.conv2d(tx, tW, tb, stride=stride, padding=padding)
    np.testing.assert_allclose(value, expected.detach().numpy(), atol=1e-12)
    expected.backward(torch.tensor(seed))
    for box, tensor in ((x, tx), (Wp, tW), (bp, tb)):
        np.testing.assert_allclose(grads[box], tensor.grad.numpy(), atol=1e-11)


POOL_CASES = [  # x shape, kernel, stride, padding
    ((2, 3, 8, 8), 2, None, 0),
    ((2, 3, 7, 9), 2, None, 0),  # floor: the last row and column are not pooled
    ((1, 2, 7, 7), 3, 2, 1),
    ((2, 1, 6, 9), (2, 3), (1, 2), (1, 1)),
    ((2, 2, 5, 5), 1, None, 0),
]


@pytest.mark.parametrize("x_shape, kernel, stride, padding", POOL_CASES)
def test_max_pool2d_matches_numpy_loops_and_gradcheck(x_shape, kernel, stride, padding):
    X = RNG.standard_normal(x_shape)
    x = af.Input("x")
    out = max_pool2d(x, kernel, stride, padding)
    value = af.FlowGraph(out).fprop({x: X})
    k = _pair(kernel)
    expected = numpy_max_pool2d(X, k, k if stride is None else _pair(stride), _pair(padding))
    np.testing.assert_array_equal(value, expected)
    af.gradcheck(af.FlowGraph(out, wrt=[x]), {x: X})


@pytest.mark.parametrize("x_shape, kernel, stride, padding", POOL_CASES)
def test_max_pool2d_matches_torch(x_shape, kernel, stride, padding):
    torch = pytest.importorskip("torch")
    X = RNG.standard_normal(x_shape)
    x = af.Input("x")
    graph = af.FlowGraph(max_pool2d(x, kernel, stride, padding), wrt=[x])
    value = graph.fprop({x: X})
    seed = RNG.standard_normal(value.shape)
    tx = torch.tensor(X, requires_grad=True)
    expected = torch.nn.functional.max_pool2d(tx, kernel, stride, padding)
    np.testing.assert_array_equal(value, expected.detach().numpy())
    expected.backward(torch.tensor(seed))
    np.testing.assert_allclose(graph.bprop(seed)[x], tx.grad.numpy(), atol=1e-15)


def test_max_pool2d_ties_share_the_gradient():
    x = af.Input("x")
    graph = af.FlowGraph(max_pool2d(x, 2).sum(), wrt=[x])
    graph.fprop({x: np.array([[[[1.0, 1.0], [0.0, 1.0]]]])})
    np.testing.assert_allclose(graph.bprop()[x], [[[[1 / 3, 1 / 3], [0, 1 / 3]]]])


def test_conv_layer_initialization_and_float32():
    layer = Conv2d(3, 8, (3, 5), seed=4, dtype=np.float32, name="c")
    bound = np.sqrt(6 / (3 * 15 + 8 * 15))  # Glorot with fan_in = 3*3*5, fan_out = 8*3*5
    assert layer.W.value.shape == (8, 3, 3, 5) and layer.W.value.dtype == np.float32
    assert np.abs(layer.W.value).max() <= bound and np.abs(layer.W.value).max() > 0.9 * bound
    assert np.all(layer.b.value == 0) and layer.b.value.shape == (8,)
    assert [p.name for p in layer.parameters] == ["c.W", "c.b"]
    assert np.array_equal(Conv2d(3, 8, (3, 5), seed=4).W.value.astype(np.float32),
                          layer.W.value)
    assert Conv2d(3, 8, 3, bias=False).parameters[1:] == []
    x = af.Input("x")
    graph = af.FlowGraph(layer(x).sum())
    assert graph.fprop({x: np.ones((2, 3, 6, 7), np.float32)}).dtype == np.float32
    assert all(g.dtype == np.float32 for g in graph.bprop().values())


def test_conv_layer_forward_and_scope():
    layer = Conv2d(2, 3, 3, stride=2, padding=1, seed=1, name="conv1")
    layer.b.value[:] = RNG.standard_normal(3)
    X = RNG.standard_normal((4, 2, 9, 9))
    x = af.Input("x")
    out = layer(x)
    value = af.FlowGraph(out).fprop({x: X})
    np.testing.assert_allclose(value, numpy_conv2d(X, layer.W.value, layer.b.value, (2, 2),
                                                   ((1, 1), (1, 1))), atol=1e-12)
    assert out.name == "conv1"
    inner = [b for b in af.FlowGraph(out).order if b.scopes]
    assert inner and all(b.scopes[0].kind == "conv2d" and b.scopes[0].name == "conv1"
                         for b in inner)


def test_conv2d_with_a_computed_kernel_needs_its_size():
    x, raw = af.Input("x"), af.Parameter(RNG.standard_normal((2, 1, 3, 3)), name="raw")
    with pytest.raises(ValueError, match="kernel_size"):
        conv2d(x, raw * 2.0)
    X = RNG.standard_normal((1, 1, 5, 5))
    value = af.FlowGraph(conv2d(x, raw * 2.0, kernel_size=3)).fprop({x: X})
    np.testing.assert_allclose(value, numpy_conv2d(X, 2 * raw.value, None, (1, 1),
                                                   ((0, 0), (0, 0))), atol=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda x: conv2d(x, np.zeros((3, 3, 3))), r"W must have shape \(out_channels, "
                                                r"in_channels / groups, kh, kw\), got "
                                                r"\(3, 3, 3\)"),
    (lambda x: conv2d(x, np.zeros((2, 1, 3, 3)), np.zeros(3)), r"b must have shape \(2,\)"),
    (lambda x: conv2d(x, np.zeros((2, 1, 3, 3)), stride=0), "stride must be an integer >= 1"),
    (lambda x: conv2d(x, np.zeros((2, 1, 3, 3)), padding=-1), "padding must be"),
    (lambda x: conv2d(x, np.zeros((2, 1, 3, 3)), stride=2, padding="same"),
     "padding='same' needs stride 1"),
    (lambda x: conv2d(x, np.zeros((2, 1, 3, 3)), padding="full"), "'valid' or 'same'"),
    (lambda x: conv2d(x, np.zeros((2, 1, 3, 3)), kernel_size=2), "does not match W's shape"),
    (lambda x: max_pool2d(x, 2, padding=2), "at most half the kernel"),
    (lambda x: max_pool2d(x, 0), "kernel_size must be an integer >= 1"),
    (lambda x: Conv2d(0, 3, 3), "Conv2d 'conv2d': in_channels must be an integer >= 1"),
    (lambda x: Conv2d(1, 3, 3, dtype=int), "float dtype"),
])
def test_bad_arguments_are_explained(call, message):
    with pytest.raises(ValueError, match=message):
        call(af.Input("x"))


def test_a_declared_input_shape_is_checked_when_the_graph_is_built():
    with pytest.raises(ValueError, match=r"'x' has 3 channels .* kernel expects 1"):
        Conv2d(1, 4, 3, name="conv1")(af.Input("x", shape=(None, 3, 8, 8)))
    with pytest.raises(ValueError, match=r"needs 4 axes .* x.reshape\(-1, 1, 8, 8\)"):
        max_pool2d(af.Input("x", shape=(None, 64)), 2)


def test_a_wrong_input_at_run_time_names_the_layer_and_the_shapes():
    x = af.Input("x")
    graph = af.FlowGraph(Conv2d(1, 4, 3, name="conv1")(x))
    with pytest.raises(af.BoxError, match=r"conv1.*C=1.*\(2, 6, 6, 3, 3, 3\).*length 3.*"
                                          r"\(4, 1, 3, 3\).*length 1"):
        graph.fprop({x: np.zeros((2, 3, 8, 8))})
    with pytest.raises(af.BoxError, match=r"conv1: x \(N, C, H, W\).*'x'.*: \(2, 64\)"):
        graph.fprop({x: np.zeros((2, 64))})
    graph = af.FlowGraph(max_pool2d(x, 2, name="pool1"))
    with pytest.raises(af.BoxError, match=r"pool1: x \(N, C, H, W\).*: \(2, 64\)"):
        graph.fprop({x: np.zeros((2, 64))})
