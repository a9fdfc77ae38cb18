"""The logic, searching and counting functions for random graphs (booleans and integers,
no gradient), each kept away from where its value jumps (a difference step must not
straddle it): the logical operators, the tests of a number's kind, isclose and allclose
as the mask of a where; all, any and count_nonzero of a > 0 over drawn axes; argmax and
argmin as the indices that pick the extremum along an axis and argpartition as the
indices of a partition (away from ties); and
searchsorted of the entries among sorted edges.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from ...core.box import Box
from ...ops import surface as N
from ..builder import Builder, Recipe, domain_ok
from .reduce import _axis


def _value(x: Any) -> Any:
    return x.value if isinstance(x, Box) else x


def _mask(function: str, arity: int) -> Recipe:
    """where(f(a), a, partner) (f(a, partner) for an operator of two inputs), with no
    entry within 0.01 of 0 (where the truth of a number flips)."""
    def make(b: Builder, a: Box) -> Box | None:
        partner = b.partner(a, "real")
        inputs = (a, partner)[:arity]
        if not all(domain_ok(np.asarray(_value(x)), "kinkfree") for x in inputs):
            return None
        return N.where(getattr(N, function)(*inputs), a, partner)
    return make


def _array_equal(b: Builder, a: Box) -> Box | None:
    """where(array_equal(a, partner), partner, a), where every entry of a is 0.01 or more
    from the partner's (or is the partner: a compared with itself)."""
    partner = a if b.boolean() else b.partner(a, "real")
    if partner is not a and not domain_ok(np.asarray(a.value - _value(partner)), "kinkfree"):
        return None
    return N.where(N.array_equal(a, partner), partner, a)


def _truth(function: str) -> Recipe:
    """where(all(a > 0, axis, keepdims=True), a, partner) (any the same), a away from 0."""
    def make(b: Builder, a: Box) -> Box | None:
        if not domain_ok(a.value, "kinkfree"):
            return None
        mask = getattr(N, function)(a > 0, axis=_axis(b, np.ndim(a.value)), keepdims=True)
        return N.where(mask, a, b.partner(a, "real"))
    return make


def _closeness(function: str) -> Recipe:
    """where(isclose(a, partner, atol=...), a, partner) (allclose the same), only where
    no |a - partner| is within 0.01 of the tolerance atol + rtol |partner|."""
    def make(b: Builder, a: Box) -> Box | None:
        partner = b.partner(a, "real")
        atol = b.draw(st.sampled_from([0.0, 0.5, 2.0]))
        other = _value(partner)
        margin = np.abs(a.value - other) - (atol + 1e-5 * np.abs(other))
        if not domain_ok(np.asarray(margin), "kinkfree"):
            return None
        return N.where(getattr(N, function)(a, partner, atol=atol), a, partner)
    return make


def _arg_extremum(function: str) -> Recipe:
    """take_along_axis(a, argmax(a, axis, keepdims=True), axis): the max along an axis,
    only where no two entries tie within 0.01 (argmin the same)."""
    def make(b: Builder, a: Box) -> Box | None:
        ndim = np.ndim(a.value)
        if ndim == 0 or np.any(np.diff(np.sort(np.ravel(a.value))) < 0.01):
            return None
        axis = b.draw(st.sampled_from(range(-ndim, ndim)))
        index = getattr(N, function)(a, axis=axis, keepdims=True)
        return N.take_along_axis(a, index, axis=axis)
    return make


def _argpartition(b: Builder, a: Box) -> Box | None:
    """take_along_axis(a, argpartition(a, kth, axis), axis): np.partition, only where no
    two entries tie within 0.01."""
    ndim = np.ndim(a.value)
    if ndim == 0 or np.any(np.diff(np.sort(np.ravel(a.value))) < 0.01):
        return None
    axis = b.draw(st.sampled_from(range(-ndim, ndim)))
    kth = b.draw(st.integers(0, np.shape(a.value)[axis] - 1))
    return N.take_along_axis(a, N.argpartition(a, kth, axis=axis), axis=axis)


def _argwhere(b: Builder, a: Box) -> Box | None:
    """where(len(argwhere(a > 0)) > 1, a, partner), away from 0: the count of rows
    (argwhere's shape depends on the values) as a 0-d mask."""
    if not domain_ok(a.value, "kinkfree"):
        return None
    rows = N.argwhere(a > 0)
    return N.where(N.greater(N.sum(N.equal(rows, rows)), np.ndim(a.value)), a,
                   b.partner(a, "real"))


def _count_nonzero(b: Builder, a: Box) -> Box | None:
    """where(count_nonzero(a > 0, axis, keepdims=True) > 1, a, partner) (integers
    compared, so a float32 graph stays float32), a away from 0."""
    if not domain_ok(a.value, "kinkfree"):
        return None
    count = N.count_nonzero(a > 0, axis=_axis(b, np.ndim(a.value)), keepdims=True)
    return N.where(count > 1, a, b.partner(a, "real"))


def _searchsorted(b: Builder, a: Box) -> Box | None:
    """where(searchsorted(edges, a, side) is even, a, partner): the bin of each entry
    among sorted edges as a mask, a away from the edges."""
    edges = np.linspace(-2.0, 2.0, b.draw(st.integers(1, 5))).astype(np.result_type(a.value))
    if np.any(np.abs(np.subtract.outer(np.ravel(a.value), edges)) < 0.01):
        return None
    bins = N.searchsorted(edges, a, side=b.draw(st.sampled_from(["left", "right"])))
    return N.where(N.equal(bins % 2, 0), a, b.partner(a, "real"))


#: How a random graph draws the logic, searching and counting functions, by name.
RECIPES: dict[str, Recipe] = {
    **{f: _mask(f, 1) for f in ("logical_not", "isfinite", "isinf", "isposinf", "isneginf",
                                "signbit", "isreal")},
    **{f: _mask(f, 2) for f in ("logical_and", "logical_or", "logical_xor")},
    "array_equal": _array_equal,
    "all": _truth("all"),
    "any": _truth("any"),
    "isclose": _closeness("isclose"),
    "allclose": _closeness("allclose"),
    "argmax": _arg_extremum("argmax"),
    "argmin": _arg_extremum("argmin"),
    "argpartition": _argpartition,
    "argwhere": _argwhere,
    "count_nonzero": _count_nonzero,
    "searchsorted": _searchsorted,
}
