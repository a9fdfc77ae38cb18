"""NaN as a missing entry: ``isnan`` (a mask, no gradient) and the sums and means that
skip NaN entries (``nansum``, ``nanmean``, composites: a NaN entry gets no gradient).
The NaN-ignoring quantiles and medians are in :mod:`.order`."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.box import Box
from ..core.scope import composite
from .arithmetic import Add, Div, Where
from .plumbing import ZerosLike
from .reduce import Sum
from .registry import function, primitive


@primitive("isnan", numpy=np.isnan)
class IsNan(Box):
    """y = 1[a is NaN], a boolean array;   no gradient (piecewise constant)"""

    def fprop(self, a):
        return np.isnan(a)

    def bprop(self, grad, a):
        return None


def _zeroed(a: Any) -> Box:
    """a with its NaN entries replaced by 0 (they get no gradient)."""
    return Where(IsNan(a), 0, a, name="NaN -> 0")


@function("nansum", numpy=np.nansum, graphs=False)
@composite("nansum")
def nansum(a: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Box:
    """The sum over ``axis`` with NaN entries counted as 0, as ``np.nansum``; they get
    no gradient."""
    return Sum(_zeroed(a), axis=axis, keepdims=keepdims, name=name or "nansum")


@function("nanmean", numpy=np.nanmean, graphs=False)
@composite("nanmean")
def nanmean(a: Any, axis: Any = None, keepdims: bool = False,
            name: str | None = None) -> Box:
    """The mean of the non-NaN entries over ``axis``, as ``np.nanmean`` (NaN for a slice
    of NaN only); NaN entries get no gradient, the others d y / their count."""
    count = Sum(Where(IsNan(a), 0, Add(ZerosLike(a), 1)), axis=axis, keepdims=keepdims,
                name="count")
    return Div(Sum(_zeroed(a), axis=axis, keepdims=keepdims), count, name=name or "nanmean")
