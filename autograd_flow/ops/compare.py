"""Comparisons, elementwise with broadcasting: boolean values and no gradient (they are
piecewise constant). Boxes use them as masks (relu's 1[a > 0], the ties of maximum)."""
from __future__ import annotations

import numpy as np

from ..box import Box


class _Comparison(Box):
    """y = a (op) b, a boolean array;   no gradient to a or b"""

    def bprop(self, grad, a, b):
        return None, None

    def bprop_boxes(self, grad, a, b):
        return None, None


class Greater(_Comparison):
    """y = 1[a > b]"""

    def fprop(self, a, b):
        return np.greater(a, b)


class GreaterEqual(_Comparison):
    """y = 1[a >= b]"""

    def fprop(self, a, b):
        return np.greater_equal(a, b)


class Less(_Comparison):
    """y = 1[a < b]"""

    def fprop(self, a, b):
        return np.less(a, b)


class LessEqual(_Comparison):
    """y = 1[a <= b]"""

    def fprop(self, a, b):
        return np.less_equal(a, b)


class Equal(_Comparison):
    """y = 1[a == b]"""

    def fprop(self, a, b):
        return np.equal(a, b)


class NotEqual(_Comparison):
    """y = 1[a != b]"""

    def fprop(self, a, b):
        return np.not_equal(a, b)
