"""Composites for random graphs (each counts as one op): linear with a new weight and
an optional bias, softmax and log_softmax along a drawn axis, softmax cross-entropy
with drawn labels, the l1 and l2 penalties of one or two boxes, the activations of
:mod:`autograd_flow.nn.activations` (gelu in a drawn form, elu and celu with a drawn
alpha) and the regression losses of :mod:`autograd_flow.nn.losses` (a drawn target and
reduction).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st

from ...core.box import Box, Parameter
from ...nn import activations as A
from ...nn import functions as F
from ...nn import losses as L
from ..builder import Builder, Recipe, domain_ok
from .special import scipy_installed


def _cross_entropy(b: Builder, a: Box) -> Box:
    rows, classes = np.shape(a.value)
    return F.softmax_cross_entropy(a, b.labels(rows, classes))


def _linear(b: Builder, a: Box) -> Box:
    side = b.draw(st.integers(1, 3))
    W = b.leaf((side, np.shape(a.value)[-1]))
    bias = b.leaf((side,)) if b.draw(st.booleans()) else None
    return F.linear(a, W, bias)


def _penalty(function: Callable[[list[Box]], Box]) -> Callable[[Builder, Box], Box]:
    def make(b: Builder, a: Box) -> Box:
        fits = [p for p in b.pool if domain_ok(p.value, "kinkfree")]
        others = b.draw(st.lists(st.sampled_from(fits), max_size=1)) if fits else []
        return function([a, *others])
    return make


def _softmax_like(function: Callable[..., Box]) -> Callable[[Builder, Box], Box]:
    return lambda b, a: function(a, axis=b.draw(st.sampled_from(range(-np.ndim(a.value), 0))))


def _gelu(b: Builder, a: Box) -> Box:
    forms = A.GELU_FORMS if scipy_installed() else ("tanh",)  # the exact one uses af.erf
    return A.gelu(a, approximate=b.draw(st.sampled_from(forms)))


def _with_alpha(function: Callable[..., Box]) -> Callable[[Builder, Box], Box]:
    return lambda b, a: function(a, alpha=b.draw(st.sampled_from([1.0, 0.5, 2.0])))


def _regression_loss(function: Callable[..., Box], setting: str | None = None
                     ) -> Callable[[Builder, Box], Box]:
    """The loss of ``a`` against a new Parameter target at a distance |a - y| in [0.3, 2]
    entry by entry (the "nonzero" domain): away from the kink of |.| at 0, and from
    that at ``setting`` (smooth l1's beta, Huber's delta), drawn below 0.3 (every entry
    in the linear part) or above 2 (every entry in the quadratic part)."""
    def make(b: Builder, a: Box) -> Box:
        gap = b.array(np.shape(a.value), "nonzero")
        target = Parameter(np.asarray(a.value - gap, dtype=gap.dtype), name=b.name("p"))
        options = {"reduction": b.draw(st.sampled_from(["mean", "sum", "none"]))}
        if setting is not None:
            options[setting] = b.draw(st.sampled_from([0.15, 2.5]))
        return function(a, target, **options)
    return make


#: How a random graph draws the composites (each counts as one op), by the op's name.
RECIPES: dict[str, Recipe] = {
    "linear": _linear,
    "softmax": _softmax_like(F.softmax),
    "log_softmax": _softmax_like(F.log_softmax),
    "softmax_cross_entropy": _cross_entropy,
    "l1_penalty": _penalty(F.l1_penalty),
    "l2_penalty": _penalty(F.l2_penalty),
    "gelu": _gelu,
    "silu": lambda b, a: A.silu(a),
    "mish": lambda b, a: A.mish(a),
    "elu": _with_alpha(A.elu),
    "selu": lambda b, a: A.selu(a),
    "celu": _with_alpha(A.celu),
    "softsign": lambda b, a: A.softsign(a),
    "hardsigmoid": lambda b, a: A.hardsigmoid(a),
    "l1_loss": _regression_loss(L.l1_loss),
    "smooth_l1_loss": _regression_loss(L.smooth_l1_loss, "beta"),
    "huber_loss": _regression_loss(L.huber_loss, "delta"),
}
