"""The interpreter computes only the input gradients some parameter needs."""
import numpy as np

import autograd_flow as af
from autograd_flow.ops.linalg import MatMul


def test_a_product_with_one_input_to_differentiate_computes_one_product(monkeypatch) -> None:
    rng = np.random.default_rng(0)
    W = af.Parameter(rng.standard_normal((4, 3)), name="W")
    v = af.Parameter(rng.standard_normal((3, 1)), name="v")
    x = af.Input("x")  # a one-hot column: needs no gradient
    loss = af.sum(af.tanh(W @ x) * 2.0 + (W @ v) ** 2)
    graph = af.FlowGraph(loss, compile=False)
    feed = {x: np.eye(3)[:, 1:2]}
    graph.fprop(feed)
    expected = {p: g.copy() for p, g in graph.bprop().items()}
    calls = []
    original = MatMul.bprop_input

    def counted(self, position, grad, a, b):
        calls.append((self.inputs[0].name, self.inputs[1].name, position))
        return original(self, position, grad, a, b)

    monkeypatch.setattr(MatMul, "bprop_input", counted)
    fresh = af.FlowGraph(loss, compile=False)
    fresh.fprop(feed)
    got = fresh.bprop()
    assert sorted(calls) == [("W", "v", 0), ("W", "v", 1), ("W", "x", 0)]
    for p in (W, v):
        np.testing.assert_array_equal(got[p], expected[p])


def test_the_one_product_is_the_closed_form_gradient() -> None:
    rng = np.random.default_rng(1)
    W = af.Parameter(rng.standard_normal((3, 5)), name="W")
    A = rng.standard_normal((2, 3))
    loss = af.sum(af.tanh(af.Constant(A) @ W))  # only the right operand needs a gradient
    graph = af.FlowGraph(loss, compile=False)
    graph.fprop()
    expected = A.T @ (1 - np.tanh(A @ W.value) ** 2)  # d W = A^T (d y (1 - tanh^2))
    np.testing.assert_allclose(graph.bprop()[W], expected, rtol=1e-13)
