"""Reductions for random graphs: sum, mean, prod and logsumexp over drawn axes (None, one
axis counted from either end, or a tuple) with or without keepdims, max and min only
where no two entries tie within 0.01, and cumulative sums and products along an axis.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st

from ... import ops
from ...core.box import Box
from ...ops import surface as N
from ..builder import Builder, Recipe


def _axis(b: Builder, ndim: int, allow_tuple: bool = True) -> Any:
    options: list[Any] = [None] + list(range(-ndim, ndim))
    if allow_tuple and ndim >= 2:
        options.append((0, ndim - 1))
    return b.draw(st.sampled_from(options))


def _reduction(cls: type) -> Callable[[Builder, Box], Box]:
    def make(b: Builder, a: Box) -> Box:
        return cls(a, axis=_axis(b, np.ndim(a.value)), keepdims=b.draw(st.booleans()))
    return make


def _extremum(cls: type) -> Callable[[Builder, Box], Box | None]:
    """max/min only where the entries differ by 0.01 or more (away from ties)."""
    def make(b: Builder, a: Box) -> Box | None:
        gaps = np.diff(np.sort(np.ravel(a.value)))
        if np.any(gaps < 0.01):
            return None
        return _reduction(cls)(b, a)
    return make


def _cumulative(cls: type) -> Callable[[Builder, Box], Box]:
    def make(b: Builder, a: Box) -> Box:
        ndim = np.ndim(a.value)
        return cls(a, axis=b.draw(st.sampled_from(range(-ndim, ndim))))
    return make


def _logsumexp(b: Builder, a: Box) -> Box:
    return N.logsumexp(a, axis=_axis(b, np.ndim(a.value), allow_tuple=False),
                       keepdims=b.draw(st.booleans()))


#: How a random graph draws the reductions (their axes), by the op's name.
RECIPES: dict[str, Recipe] = {
    "sum": _reduction(ops.Sum),
    "mean": _reduction(ops.Mean),
    "logsumexp": _logsumexp,
    "max": _extremum(ops.Max),
    "min": _extremum(ops.Min),
    "prod": _reduction(ops.Prod),
    "cumsum": _cumulative(ops.Cumsum),
    "cumprod": _cumulative(ops.Cumprod),
}
