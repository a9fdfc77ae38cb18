"""End to end with PyTorch (where torch is installed): small models exported by
``torch.onnx.export`` load with af.onnx.load and give torch's outputs, gradients (for
the input and every parameter) and Hessian-vector products, and fine-tune."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnx")
torch = pytest.importorskip("torch")

import autograd_flow as af  # noqa: E402

from .support import assert_close  # noqa: E402


class Attention(torch.nn.Module):
    """One head of scaled dot-product attention with a causal mask, then a layer norm and
    a leaky relu (ONNX keeps its slope as a float32 number: 0.25 is one exactly)."""

    def __init__(self) -> None:
        super().__init__()
        self.q, self.k, self.v = (torch.nn.Linear(8, 4, bias=False) for _ in range(3))
        self.norm = torch.nn.LayerNorm(4, eps=2.0 ** -16)  # a float32 number too

    def forward(self, x):
        y = torch.nn.functional.scaled_dot_product_attention(self.q(x), self.k(x), self.v(x),
                                                             is_causal=True)
        return torch.nn.functional.leaky_relu(self.norm(y), 0.25)  # a float32 number


def network(name: str):
    """(the module, the shape of an input batch of 3)."""
    torch.manual_seed(0)
    if name == "mlp":
        return torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(),
                                   torch.nn.Linear(8, 3), torch.nn.Sigmoid()), (3, 6)
    if name == "cnn":
        net = torch.nn.Sequential(
            torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2), torch.nn.Conv2d(4, 6, 3, padding=1, stride=1),
            torch.nn.ReLU(), torch.nn.AvgPool2d(2), torch.nn.Flatten(),
            torch.nn.Linear(6 * 2 * 2, 5), torch.nn.LogSoftmax(dim=1))
        with torch.no_grad():  # running statistics away from 0 and 1
            net[1].running_mean.uniform_(-1, 1)
            net[1].running_var.uniform_(0.5, 2)
        return net, (3, 1, 8, 8)
    return Attention(), (3, 5, 8)


NAMES = ["mlp", "cnn", "attention"]
DTYPES = [torch.float64, torch.float32]


def exported(name: str, dtype, tmp_path: Path):
    """The torch module in evaluation mode and its ONNX model loaded, with a free batch
    size (the attention's causal mask is computed from the model's shapes)."""
    net, shape = network(name)
    net = net.to(dtype).eval()
    x = torch.randn(*shape, dtype=dtype)
    path = tmp_path / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(net, (x,), str(path), input_names=["x"], output_names=["y"],
                          do_constant_folding=False, dynamo=False, opset_version=17,
                          dynamic_axes={"x": {0: "batch"}})
    return net, af.onnx.load(path), shape


def tol(dtype) -> dict:
    return {"rtol": 1e-10, "atol": 1e-12} if dtype == torch.float64 else \
        {"rtol": 1e-4, "atol": 1e-5}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", NAMES)
def test_a_torch_model_gives_torchs_outputs_and_gradients(name, dtype, tmp_path):
    net, graph, shape = exported(name, dtype, tmp_path)
    assert [x.name for x in graph.inputs] == ["x"]
    torch_parameters = dict(net.named_parameters())
    loaded = {p.name: p for p in graph.parameters if p.name in torch_parameters}
    assert set(loaded) == set(torch_parameters)  # named as in the state dict
    for batch in (3, 7):
        x = torch.randn(batch, *shape[1:], dtype=dtype, requires_grad=True)
        net.zero_grad()
        y = net(x)
        seed = torch.randn_like(y)
        (y * seed).sum().backward()
        wrt = [graph.inputs[0], *loaded.values()]
        run = af.FlowGraph(graph.outputs, wrt=wrt)
        value = run.fprop({"x": x.detach().numpy()})
        if dtype == torch.float64:
            np.testing.assert_allclose(value, y.detach().numpy(), **tol(dtype))
        else:
            assert_close(value, y.detach().numpy(), np.float32)
        grads = run.bprop(seed.numpy())
        np.testing.assert_allclose(grads[graph.inputs[0]], x.grad.numpy(), **tol(dtype))
        for key, p in loaded.items():
            np.testing.assert_allclose(grads[p], torch_parameters[key].grad.numpy(),
                                       err_msg=key, **tol(dtype))


def test_second_derivatives_equal_torchs(tmp_path):
    """H v of sum(r * y) for the MLP's input and first weights, by af.hvp and by torch's
    double backward."""
    net, graph, shape = exported("mlp", torch.float64, tmp_path)
    rng = np.random.default_rng(1)
    X, r = rng.standard_normal(shape), rng.standard_normal((shape[0], 3))
    W = next(p for p in graph.parameters if p.name == "0.weight")
    x = graph.inputs[0]
    loss = af.sum(graph.outputs[0] * r)
    vectors = [rng.standard_normal(shape), rng.standard_normal(W.value.shape)]
    got = af.hvp(af.FlowGraph(loss), vectors, {x: X}, params=[x, W])
    tx = torch.tensor(X, requires_grad=True)
    total = (net(tx) * torch.tensor(r)).sum()
    grads = torch.autograd.grad(total, [tx, net[0].weight], create_graph=True)
    directional = sum((g * torch.tensor(v)).sum() for g, v in zip(grads, vectors))
    expected = torch.autograd.grad(directional, [tx, net[0].weight])
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e.numpy(), rtol=1e-10, atol=1e-12)


def test_a_loaded_torch_cnn_gradchecks_draws_and_fine_tunes(tmp_path):
    _, graph, _ = exported("cnn", torch.float64, tmp_path)
    rng = np.random.default_rng(2)
    X, labels = rng.standard_normal((8, 1, 8, 8)), rng.integers(0, 5, 8)
    y = af.Input("labels", shape=(None,), dtype=np.int64)
    loss = af.softmax_cross_entropy(graph.outputs[0], y)  # on the log-probabilities
    training = af.FlowGraph(loss)
    feed = {graph.inputs[0]: X, y: labels}
    af.gradcheck(training, feed, max_entries=20, rtol=1e-5, atol=1e-7)
    optimizer = af.optim.Adam(training.parameters, lr=0.01)
    first = training.fprop(feed)
    for _ in range(30):
        training.fprop(feed)
        optimizer.step(training.bprop())
    assert training.fprop(feed) < 0.5 * first
    training.bprop()
    drawing = af.viz.to_dot(training).source  # with each box's gradient norm
    assert "‖∇‖" in drawing and "0.weight" in drawing


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_a_model_from_torchs_default_exporter_gives_torchs_numbers(name, tmp_path):
    """torch.onnx.export's default (dynamo, where onnxscript is installed) writes opset
    18 or later and keeps weights in a file beside the model."""
    pytest.importorskip("onnxscript")
    net, shape = network(name)
    net = net.double().eval()
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    path = tmp_path / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (x,), str(path), input_names=["x"], output_names=["y"])
    graph = af.onnx.load(path)
    y = net(x)
    y.sum().backward()
    run = af.FlowGraph(graph.outputs, wrt=graph.inputs)
    value = run.fprop({"x": x.detach().numpy()})
    np.testing.assert_allclose(value, y.detach().numpy(), **tol(torch.float64))
    grads = run.bprop(np.ones_like(value))
    np.testing.assert_allclose(grads[graph.inputs[0]], x.grad.numpy(), **tol(torch.float64))
