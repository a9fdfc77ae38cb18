"""Comparisons, elementwise with broadcasting: boolean values and no gradient (they are
piecewise constant). Boxes use them as masks (relu's 1[a > 0], the ties of maximum)."""
from __future__ import annotations

import numpy as np

from ..core.box import Box
from .registry import primitive


class _Comparison(Box):
    """y = a (op) b, a boolean array;   no gradient to a or b"""

    def bprop(self, grad, a, b):
        return None, None


@primitive("greater", numpy=np.greater, common=True)
class Greater(_Comparison):
    """y = 1[a > b]"""

    def fprop(self, a, b):
        return np.greater(a, b)


@primitive("greater_equal", numpy=np.greater_equal, common=True)
class GreaterEqual(_Comparison):
    """y = 1[a >= b]"""

    def fprop(self, a, b):
        return np.greater_equal(a, b)


@primitive("less", numpy=np.less, common=True)
class Less(_Comparison):
    """y = 1[a < b]"""

    def fprop(self, a, b):
        return np.less(a, b)


@primitive("less_equal", numpy=np.less_equal, common=True)
class LessEqual(_Comparison):
    """y = 1[a <= b]"""

    def fprop(self, a, b):
        return np.less_equal(a, b)


@primitive("equal", numpy=np.equal, common=True)
class Equal(_Comparison):
    """y = 1[a == b] (``box == other`` compares boxes themselves: use af.equal or np.equal)"""

    def fprop(self, a, b):
        return np.equal(a, b)


@primitive("not_equal", numpy=np.not_equal, common=True)
class NotEqual(_Comparison):
    """y = 1[a != b]"""

    def fprop(self, a, b):
        return np.not_equal(a, b)
