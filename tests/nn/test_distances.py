"""af.nn.pairwise_distance and af.nn.pdist: the op table's seven checks against the
docstrings' formulas written in numpy (and SciPy's condensed pdist), torch (when
installed) in float64 and float32, the gradient 0 of a distance 0, and bad shapes."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import autograd_flow as af

from ..ops.table import Case, parametrize
from .torch_check import matches_torch


def _p_norm(d, p):
    d = np.abs(d)
    if p == np.inf:
        return d.max(axis=-1)
    if p == 0:
        return (d != 0).sum(axis=-1).astype(d.dtype)
    return (d**p).sum(axis=-1) ** (1 / p)


def numpy_pairwise(x1, x2, p=2.0, eps=1e-6, keepdims=False):
    out = _p_norm(x1 - x2 + eps, p)
    return out[..., None] if keepdims else out


def numpy_pdist(x, p=2.0):
    pairs = list(itertools.combinations(range(len(x)), 2))
    return np.array([_p_norm(x[i] - x[j], p) for i, j in pairs]).reshape(len(pairs))


TABLE: list[Case] = [
    *[Case(af.nn.pairwise_distance, shapes, numpy_pairwise, kwargs=k)
      for shapes, k in [(((3,), (3,)), {}), (((2, 3), (2, 3)), {"keepdims": True}),
                        (((4, 3), (3,)), {"p": 1.0}), (((2, 3), (2, 3)), {"p": 5.0}),
                        (((3,), (3,)), {"p": -1.0, "eps": 0.5}),
                        (((2, 4), (2, 4)), {"p": np.inf})]],
    *[Case(af.nn.pdist, ((n, m),), numpy_pdist, kwargs=k)
      for (n, m), k in [((4, 3), {}), ((5, 1), {"p": 1.0}), ((3, 4), {"p": 3.0}),
                        ((4, 2), {"p": np.inf}), ((1, 3), {})]],
]


@parametrize(TABLE)
def test_distance(case: Case, check) -> None:
    check(case)


def test_pdist_is_scipys_condensed_pdist():
    spatial = pytest.importorskip("scipy.spatial")
    x = np.random.default_rng(3).standard_normal((6, 4))
    for p in (1.0, 2.0, 3.5):
        np.testing.assert_allclose(af.FlowGraph(af.nn.pdist(x, p=p)).fprop(),
                                   spatial.distance.pdist(x, "minkowski", p=p), rtol=1e-14)
    np.testing.assert_allclose(af.FlowGraph(af.nn.pdist(x, p=np.inf)).fprop(),
                               spatial.distance.pdist(x, "chebyshev"), rtol=1e-14)


def test_equal_rows_have_distance_0_and_gradient_0():
    x = af.Parameter(np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 2.0]]), name="x")
    graph = af.FlowGraph(af.sum(af.nn.pdist(x)), wrt=[x])
    np.testing.assert_allclose(graph.fprop(), 2.0)
    grad = graph.bprop()[x]
    assert np.all(np.isfinite(grad))
    np.testing.assert_array_equal(grad, [[1.0, 0.0], [1.0, 0.0], [-2.0, 0.0]])


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, np.inf])
def test_pdist_matches_torch(p, dtype, rtol):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).standard_normal((5, 3))
    matches_torch(af.nn.pdist, torch.nn.functional.pdist, [x], dtype, rtol,
                  np.random.default_rng(6), p=p)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("options", [{}, {"p": 1.0}, {"p": 4.0, "eps": 0.1}, {"p": -2.0}])
def test_pairwise_distance_matches_torch(options, dtype, rtol):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x1, x2 = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    matches_torch(af.nn.pairwise_distance, torch.nn.functional.pairwise_distance, [x1, x2],
                  dtype, rtol, np.random.default_rng(9), **options)


@pytest.mark.parametrize("x", [af.Input("x"), af.Input("x", shape=(None, 3)),
                               np.ones(3), np.ones((2, 2, 2))])
def test_pdist_needs_a_matrix_of_known_rows(x):
    with pytest.raises(ValueError, match=r"pdist: x must be a matrix \(N, M\)"):
        af.nn.pdist(x)


def test_pdist_refuses_a_negative_p_as_torch():
    with pytest.raises(ValueError, match=r"pdist: p must be >= 0 \(as in PyTorch\), got -1"):
        af.nn.pdist(np.ones((3, 2)), p=-1)
