"""Distances between rows, as ``torch.nn.functional`` defines them: ``pairwise_distance``
(row i of x1 to row i of x2) and ``pdist`` (every pair of rows of one matrix), as
composites of the vector norm :func:`autograd_flow.ops.norms.vector_norm`
(``af.linalg.vector_norm``), so p is 2, 1, inf, -inf, 0 (the count of entries that
differ, no gradient) or any p, and a distance 0 has the gradient 0 (not NaN), as
PyTorch's.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..core.box import Box, as_box
from ..core.scope import composite
from ..ops.norms import vector_norm
from .layer import static_shape


@composite("pairwise_distance")
def pairwise_distance(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6,
                      keepdims: bool = False, name: str | None = None) -> Box:
    """||x1 - x2 + eps||_p over the last axis, as ``torch.nn.functional.pairwise_distance``
    (``keepdims`` is its ``keepdim``): x1 and x2 broadcast against each other, and eps
    (added to every difference) keeps the distance of equal rows away from 0.

        d(x1, x2) = (sum_k |x1_k - x2_k + eps|^p)^(1/p)
    """
    difference = ops.Add(ops.Sub(x1, x2, name="x1 - x2"), eps, name="x1 - x2 + eps")
    return vector_norm(difference, axis=-1, keepdims=keepdims, ord=p,
                       name=name or "pairwise_distance")


@composite("pdist")
def pdist(x: Any, p: float = 2.0, name: str | None = None) -> Box:
    """The distances ||x_i - x_j||_p between the rows of x (N, M), i < j in row-major
    order (N (N - 1) / 2 of them), as ``torch.nn.functional.pdist`` and SciPy's condensed
    ``scipy.spatial.distance.pdist``; p >= 0 (torch's rule). The number of rows N must
    be known when the graph is built (a Parameter, a Constant, or an Input declared with
    its shape)."""
    if not float(p) >= 0:
        raise ValueError(f"pdist: p must be >= 0 (as in PyTorch), got {p!r}")
    x = as_box(x)
    shape = static_shape(x)
    if shape is None or len(shape) != 2 or shape[0] is None:
        raise ValueError(f"pdist: x must be a matrix (N, M) whose N is known when the graph "
                         f"is built (a Parameter, or an Input declared with its shape), got "
                         f"shape {shape}")
    first, second = np.triu_indices(int(shape[0]), k=1)
    difference = ops.Sub(ops.GetItem(x, first, name="x_i"), ops.GetItem(x, second, name="x_j"),
                         name="x_i - x_j")
    return vector_norm(difference, axis=-1, ord=p, name=name or "pdist")


__all__ = ["pairwise_distance", "pdist"]
