"""Covariance and correlation (cov, corrcoef) through the one table checker."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops

from .table import Case, parametrize

FREQUENCIES = np.array([1, 2, 1, 3, 1])
WEIGHTS = np.array([0.5, 1.0, 2.0, 0.1, 1.5])


def _cov_with_y(m: af.Box, y: af.Box, rowvar: bool = True) -> af.Box:
    return af.cov(m, y, rowvar=rowvar)


def _corrcoef_with_y(x: af.Box, y: af.Box) -> af.Box:
    return af.corrcoef(x, y)


TABLE: list[Case] = [
    *[Case(af.cov, (s,), np.cov, kwargs=k) for s, k in [
        ((3, 5), {}), ((5,), {}), ((5, 3), {"rowvar": False}), ((3, 5), {"bias": True}),
        ((3, 5), {"ddof": 0}), ((2, 4), {"ddof": 2}), ((1, 4), {}), ((4,), {"rowvar": False}),
        ((3, 5), {"fweights": FREQUENCIES}), ((3, 5), {"aweights": WEIGHTS}),
        ((2, 5), {"fweights": FREQUENCIES, "aweights": WEIGHTS, "ddof": 1}),
        ((2, 5), {"aweights": WEIGHTS, "bias": True})]],
    Case(_cov_with_y, ((2, 5), (5,)), np.cov),
    Case(_cov_with_y, ((4, 2), (4,)), lambda m, y: np.cov(m, y, rowvar=False),
         kwargs={"rowvar": False}, reference_kwargs={}),
    *[Case(af.corrcoef, (s,), np.corrcoef, kwargs=k) for s, k in [
        ((3, 5), {}), ((5, 3), {"rowvar": False}), ((2, 4), {})]],
    Case(_corrcoef_with_y, ((5,), (5,)), np.corrcoef),
    *[Case(ops.Variables, (s,), lambda a, rowvar, argument: np.atleast_2d(a).T if (
        not rowvar and (np.ndim(a) != 1 if argument == "m" else np.atleast_2d(a).shape[0] != 1)
    ) else np.atleast_2d(a), kwargs={"rowvar": r, "argument": w}) for s, r, w in [
        ((3,), True, "m"), ((3,), False, "m"), ((2, 3), False, "m"), ((1, 3), False, "y"),
        ((2, 3), False, "y"), ((), False, "m")]],
]


@parametrize(TABLE)
def test_correlation(case: Case, check) -> None:
    check(case)


def test_one_variable_gives_a_0d_variance_and_a_correlation_of_one() -> None:
    x = af.Parameter(np.array([1.0, 2.0, 4.0]), name="x")
    assert af.FlowGraph(af.cov(x)).fprop().shape == ()
    assert af.FlowGraph(np.corrcoef(x)).fprop() == 1.0


def test_bad_weights_and_inputs_are_clear_errors() -> None:
    m = af.Parameter(np.zeros((2, 3)), name="m")
    with pytest.raises(af.BoxError, match="fweights must be integers"):
        af.cov(m, fweights=[0.5, 1, 1])
    with pytest.raises(af.BoxError, match="aweights cannot be negative"):
        af.cov(m, aweights=[-1.0, 1, 1])
    with pytest.raises(af.BoxError, match=r"aweights must be 1-D \(one per observation\)"):
        af.cov(m, aweights=np.ones((3, 1)))
    with pytest.raises(af.BoxError, match="ddof must be an integer"):
        af.cov(m, ddof=0.5)
    with pytest.raises(af.BoxError, match=r"m has more than 2 axes \(shape \(1, 2, 3\)\)"):
        af.FlowGraph(af.cov(af.Parameter(np.zeros((1, 2, 3))))).fprop()
