"""Elementwise ops for random graphs: arithmetic (operands that broadcast, a box of the
pool for fan-out, or a number), comparisons used as masks, activations, exponentials and
logarithms, rounding, trigonometry and the binary functions of numpy. Each is kept only
away from its kinks, jumps and singularities, where central differences fail.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

from ... import ops
from ...core.box import Box
from ...ops import surface as N
from ..builder import Builder, Recipe, domain_ok
from ..values import floats


def _unary(cls: type) -> Callable[[Builder, Box], Box]:
    return lambda b, a: cls(a)


def _binary(cls: type, domain: str = "real") -> Callable[[Builder, Box], Box]:
    def make(b: Builder, a: Box) -> Box:
        other = b.partner(a, domain)
        if domain == "real" and b.draw(st.booleans()):
            return cls(other, a)
        return cls(a, other)
    return make


def _maximum(b: Builder, a: Box) -> Box | None:
    """max(a, other) only where no entries tie within 0.01 (away from the kink)."""
    box = _binary(ops.Maximum)(b, a)
    left, right = (np.asarray(i.value) for i in box.inputs)
    return box if domain_ok(left - right, "kinkfree") else None


def _minimum(b: Builder, a: Box) -> Box | None:
    """min(a, other) only where no entries tie within 0.01 (away from the kink)."""
    box = _binary(ops.Minimum)(b, a)
    left, right = (np.asarray(i.value) for i in box.inputs)
    return box if domain_ok(left - right, "kinkfree") else None


def _mask(cls: type) -> Callable[[Builder, Box], Box | None]:
    """a * (a op other): a comparison used as a mask (its own gradient is none), kept
    only where no entries are within 0.01 of the threshold."""
    def make(b: Builder, a: Box) -> Box | None:
        other = b.partner(a, "real")
        other_value = other.value if isinstance(other, Box) else other
        if not domain_ok(np.asarray(a.value) - other_value, "kinkfree"):
            return None
        return ops.Mul(a, cls(a, other))
    return make


def _pow(b: Builder, a: Box) -> Box:
    exponents = [2, 3, 0, 1] + ([0.5, -1.0, 1.5] if domain_ok(a.value, "positive") else [])
    return a ** b.draw(st.sampled_from(exponents))


def _power(b: Builder, a: Box) -> Box:
    """a ** other for a positive base and a box (or array) exponent in [-2, 2]."""
    other = b.partner(a, "real")
    if not isinstance(other, Box):
        other = b.leaf(np.shape(a.value))
    return ops.Power(a, other)


def _where(b: Builder, a: Box) -> Box:
    cond = b.draw(hnp.arrays(np.bool_, np.shape(a.value)))
    other = b.partner(a, "real")
    return ops.Where(cond, a, other) if b.draw(st.booleans()) else ops.Where(cond, other, a)


def _kept_if(make: Callable[[Builder, Box], Box | None],
             ok: Callable[..., Any]) -> Callable[[Builder, Box], Box | None]:
    """``make``, its box kept only where ``ok(*input values)`` holds for every entry:
    away from the box's kinks, jumps and singularities (where central differences fail)."""
    def kept(b: Builder, a: Box) -> Box | None:
        box = make(b, a)
        if box is None:
            return None
        return box if bool(np.all(ok(*(np.asarray(i.value) for i in box.inputs)))) else None
    return kept


def _off_grid(values: Any, offset: float = 0.0, scale: float = 1.0) -> Any:
    """Whether values are at least 0.01 away from the points (k + offset) / scale."""
    shifted = np.asarray(values) * scale - offset
    return np.abs(shifted - np.round(shifted)) >= 0.01 * scale


def _round(b: Builder, a: Box) -> Box | None:
    """round(a, decimals) for decimals 0 or 1, away from its jumps at the halves."""
    decimals = b.draw(st.sampled_from([0, 1]))
    if not np.all(_off_grid(a.value, 0.5, 10.0 ** decimals)):
        return None
    return N.round(a, decimals)


def _clip(b: Builder, a: Box) -> Box | None:
    """clip(a, low, high) with numbers (or None) as bounds, at least 0.01 from every value;
    or with partners of a as bounds (boxes, in either order), a and both bounds at least
    0.01 apart everywhere."""
    if b.boolean():
        low, high = b.partner(a, "real"), b.partner(a, "real")
        values = [np.asarray(x.value if isinstance(x, Box) else x) for x in (a, low, high)]
        if any(np.any(np.abs(values[i] - values[j]) < 0.01) for i, j in ((0, 1), (0, 2), (1, 2))):
            return None
        return ops.Clip(a, a_min=low, a_max=high)
    low, high = b.draw(st.none() | floats()), b.draw(st.none() | floats())
    if low is not None and high is not None and low > high:
        low, high = high, low
    value = np.asarray(a.value)
    if any(bound is not None and np.any(np.abs(value - bound) < 0.01) for bound in (low, high)):
        return None
    return ops.Clip(a, a_min=low, a_max=high)


def _untied(cls: type) -> Callable[[Builder, Box], Box | None]:
    """fmax/fmin(a, other) only where no entries tie within 0.01 (away from the kink)."""
    return _kept_if(_binary(cls), lambda left, right: np.abs(left - right) >= 0.01)


def _arctan2_ok(y: Any, x: Any) -> Any:
    """Away from arctan2's jump (y = 0, x < 0) and its singularity at the origin."""
    return ((np.abs(y) >= 0.01) | (x >= 0.01)) & (np.hypot(y, x) >= 0.1)


def _mod_ok(a: Any, divisor: Any) -> Any:
    """Away from the jumps of mod, fmod and floor_divide, where a / divisor is an integer
    (by 0.01 in a and in a / divisor)."""
    quotient = a / divisor
    distance = np.abs(quotient - np.round(quotient))
    return (distance >= 0.01) & (distance * np.abs(divisor) >= 0.01)


#: How a random graph draws the elementwise ops that need more than their inputs
#: (settings, or values kept away from a kink): by the op's name. The others are drawn
#: from their declarations (:mod:`autograd_flow.ops`) alone.
RECIPES: dict[str, Recipe] = {
    "pow": _pow,
    "maximum": _maximum,
    "minimum": _minimum,
    "greater": _mask(ops.Greater),
    "greater_equal": _mask(ops.GreaterEqual),
    "less": _mask(ops.Less),
    "less_equal": _mask(ops.LessEqual),
    "equal": _mask(ops.Equal),
    "not_equal": _mask(ops.NotEqual),
    "power": _power,
    "where": _where,
    "floor": _kept_if(_unary(ops.Floor), _off_grid),
    "ceil": _kept_if(_unary(ops.Ceil), _off_grid),
    "round": _round,
    "arccosh": _kept_if(_unary(ops.Arccosh), lambda a: a >= 1.1),
    "arctan2": _kept_if(_binary(ops.Arctan2), _arctan2_ok),
    "hypot": _kept_if(_binary(ops.Hypot), lambda a, b: np.hypot(a, b) >= 0.1),
    "fmax": _untied(ops.Fmax),
    "fmin": _untied(ops.Fmin),
    "mod": _kept_if(_binary(ops.Mod, "nonzero"), _mod_ok),
    "fmod": _kept_if(_binary(ops.Fmod, "nonzero"), _mod_ok),
    "floor_divide": _kept_if(_binary(ops.FloorDivide, "nonzero"), _mod_ok),
    "clip": _clip,
}
