"""SciPy's special functions for random graphs, drawn only where SciPy is installed
(without it a random graph leaves them out, as building one would raise): polygamma
with its order n drawn from 0 to 3; the others on their own, in the domains their
declarations state (positive for gammaln and digamma, probability for logit; Ai' only
here, as only Ai's gradient builds it).
"""
from __future__ import annotations

from hypothesis import strategies as st

from ... import ops
from ...core.box import Box
from ...errors import MissingExtraError
from ...extras import require
from ..builder import Builder, Recipe


def scipy_installed() -> bool:
    """Whether SciPy (the `learn` extra) is installed."""
    try:
        require("scipy", feature="")
    except MissingExtraError:
        return False
    return True


def _alone(cls: type[Box]) -> Recipe:
    def make(b: Builder, a: Box) -> Box | None:
        return cls(a) if scipy_installed() else None

    return make


def _polygamma(b: Builder, a: Box) -> Box | None:
    if not scipy_installed():
        return None
    return ops.Polygamma(a, b.draw(st.integers(0, 3)))


#: How a random graph draws the special functions, by the op's name.
RECIPES: dict[str, Recipe] = {
    "erf": _alone(ops.Erf),
    "erfc": _alone(ops.Erfc),
    "gammaln": _alone(ops.Gammaln),
    "digamma": _alone(ops.Digamma),
    "polygamma": _polygamma,
    "logit": _alone(ops.Logit),
    "log_ndtr": _alone(ops.LogNdtr),
}
