"""One comparison with torch for the af.nn tests: value and gradients (seeded by a
random cotangent) of ``ours(*params)`` and ``theirs(*tensors)`` on the same arrays, in
their dtype, which both must keep."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd_flow as af


def matches_torch(ours: Callable[..., Any], theirs: Callable[..., Any],
                  arrays: list[np.ndarray], dtype: Any, rtol: float,
                  rng: np.random.Generator, **options: Any) -> None:
    """Assert af and torch agree on the value and on every input's gradient (atol rtol
    for the value, 10 rtol for the gradients), and that both stay in ``dtype``."""
    torch = pytest.importorskip("torch")
    arrays = [a.astype(dtype) for a in arrays]
    params = [af.Parameter(a, name=f"in{k}") for k, a in enumerate(arrays)]
    graph = af.FlowGraph(ours(*params, **options), wrt=params)
    value = graph.fprop()
    seed = rng.standard_normal(value.shape).astype(dtype)
    grads = graph.bprop(seed)
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    expected = theirs(*tensors, **options)
    expected.backward(torch.tensor(seed))
    assert value.dtype == dtype
    np.testing.assert_allclose(value, expected.detach().numpy(), rtol=rtol, atol=rtol)
    for p, t in zip(params, tensors):
        assert grads[p].dtype == dtype
        np.testing.assert_allclose(grads[p], t.grad.numpy(), rtol=rtol, atol=rtol * 10)
