"""Order statistics and NaN for random graphs: quantiles (of numpy's functions, with q,
method, axes and keepdims drawn) only where no two entries tie within 0.01 (away from
their kinks), and isnan as the mask of a where.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ... import ops
from ...core.box import Box
from ...ops.order import METHODS
from ..builder import Builder, Recipe


def _quantile(b: Builder, a: Box) -> Box | None:
    """quantile, percentile, median or a nan-form over a drawn axis (None, one axis or
    all of them as a tuple), for q drawn in [0, 1] (one number or two)."""
    if np.any(np.diff(np.sort(np.ravel(a.value))) < 0.01):
        return None
    ndim = np.ndim(a.value)
    axis = b.draw(st.sampled_from([None, *range(-ndim, ndim)] + (
        [tuple(range(ndim))] if ndim > 1 else [])))
    function = b.draw(st.sampled_from(sorted(ops.order.FUNCTIONS)))
    fraction = st.floats(0.0, 1.0)
    q = 0.5 if "median" in function else b.draw(
        fraction | st.lists(fraction, min_size=2, max_size=2).map(np.array))
    method = "linear" if "median" in function else b.draw(st.sampled_from(METHODS))
    return ops.Quantile(a, q * ops.order.FUNCTIONS[function], axis=axis, method=method,
                        keepdims=b.draw(st.booleans()), function=function)


def _isnan(b: Builder, a: Box) -> Box:
    """where(isnan(a), other, a): the mask NaN entries would make."""
    return ops.Where(ops.IsNan(a), b.partner(a, "real"), a)


#: How a random graph draws the order statistics and isnan, by the op's name.
RECIPES: dict[str, Recipe] = {
    "quantile": _quantile,
    "isnan": _isnan,
}
