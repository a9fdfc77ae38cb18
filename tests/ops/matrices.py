"""Table rows of matrix functions: inputs made well-conditioned from standard normal
entries by the row itself (a shift of the diagonal, or A A^T + n I for a positive
definite matrix), so that float64 central differences are accurate; the gradient
reaching the standard normal entries is the function's own. And the comparison with torch
(values, gradients, Hessian-vector products), which skips where torch is not installed."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd_flow as af

from .table import Aux, Case


def gradient_of(output: af.Box, wrt: af.Box, seed: Any = None) -> np.ndarray:
    """d output / d wrt by one fprop and bprop (``seed`` for a non-scalar output)."""
    graph = af.FlowGraph(output, wrt=[wrt])
    graph.fprop()
    return graph.bprop(seed)[wrt]


def _value(a: Any) -> Any:
    return a.value if isinstance(a, af.Box) else a


def shifted(a: Any, amount: float = 3.0) -> Any:
    """a + amount * I (in a's dtype): a well-conditioned matrix, for boxes and arrays."""
    value = _value(a)
    return a + (amount * np.eye(np.shape(value)[-1])).astype(np.result_type(value))


def positive_definite(a: Any) -> Any:
    """a a^T + n I (in a's dtype): a symmetric positive definite matrix."""
    value = _value(a)
    n = np.shape(value)[-1]
    return a @ np.swapaxes(a, -1, -2) + (n * np.eye(n)).astype(np.result_type(value))


def row(name: str, build: Callable[..., Any], reference: Callable[..., Any],
        inputs: tuple[Any, ...], **options: Any) -> Case:
    """A Case whose id starts with ``name`` (a row built by a lambda)."""
    build.__name__ = name
    return Case(build, inputs, reference, **options)


def ref(shape: tuple[int, ...]) -> Aux:
    """A non-differentiable array of zeros of ``shape`` (a shape reference)."""
    return Aux(lambda rng: np.zeros(shape), f"ref{shape}")


def agrees_with_torch(build: Callable[..., Any], build_torch: Callable[..., Any],
                      shapes: tuple[tuple[int, ...], ...], seed: int = 0) -> None:
    """af and torch agree on f(X...), on the gradient of sum(W * f(X...)) and on its
    Hessian-vector product along random directions (torch's double backward), float64."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    directions = [rng.standard_normal(shape) for shape in shapes]
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    output = build_torch(*tensors)
    weights = rng.standard_normal(tuple(output.shape))
    loss = (output * torch.tensor(weights)).sum()
    grads = torch.autograd.grad(loss, tensors, create_graph=True)
    along = sum((g * torch.tensor(v)).sum() for g, v in zip(grads, directions))
    hvps = torch.autograd.grad(along, tensors)

    params = [af.Parameter(a, name=f"x{k}") for k, a in enumerate(arrays)]
    result = build(*params)
    graph = af.FlowGraph(af.sum(result * weights), wrt=params)
    graph.fprop()
    our_grads = graph.bprop()
    our_hvps = af.hvp(graph, directions, params=params)
    np.testing.assert_allclose(af.FlowGraph(result).fprop(), output.detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(our_grads[p], g.detach().numpy(force=True), rtol=1e-9,
                                   atol=1e-11)
    for h, ours in zip(hvps, our_hvps):
        np.testing.assert_allclose(ours, h.numpy(force=True), rtol=1e-8, atol=1e-10)


def torch_module() -> Any:
    """torch, imported where a test runs (the tests that need it skip without it)."""
    return pytest.importorskip("torch")


def torch_shifted(x: Any, amount: float = 3.0) -> Any:
    """x + amount * I for a torch tensor (as :func:`shifted`)."""
    return x + amount * torch_module().eye(x.shape[-1], dtype=x.dtype)


def torch_positive_definite(x: Any) -> Any:
    """x x^T + n I for a torch tensor (as :func:`positive_definite`)."""
    n = x.shape[-1]
    return x @ x.mT + n * torch_module().eye(n, dtype=x.dtype)
