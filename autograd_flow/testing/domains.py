"""The domains where a box's inputs may lie for gradient checks: one registry for the
random graphs of :mod:`autograd_flow.testing`, the op tables of the test suite and the
declarations of the primitives (``@primitive("log", domain="positive")``).

Each domain keeps values away from the kinks, jumps and singularities of the boxes
drawn in it, so that float64 central differences are accurate (to ~1e-8): a failure
means a wrong bprop, not round-off. A domain has three faces: ``floats()`` (a
hypothesis strategy of numbers), ``sample(rng, shape)`` (a numpy array for a table
row) and ``contains(values)`` (whether values already drawn lie in it).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Domain:
    """Numbers of magnitude in [low, high], of both signs unless ``positive``; ``away``
    the least magnitude of values that lie in it once drawn; ``sampler`` how a table
    row draws an array (default: uniform in the magnitudes, a random sign)."""

    name: str
    low: float
    high: float
    positive: bool = False
    away: float = 0.0
    sampler: Callable[[np.random.Generator, Shape], np.ndarray] | None = None

    def floats(self, max_magnitude: float | None = None) -> Any:
        """A hypothesis strategy of finite float64 numbers in the domain (no
        subnormals, so differences never divide by a denormal)."""
        from hypothesis import strategies as st  # the testing extra, asked for here

        high = self.high if max_magnitude is None else max_magnitude
        magnitude = st.floats(self.low, high, allow_nan=False, allow_infinity=False,
                              allow_subnormal=False)
        if self.positive:
            return magnitude
        return st.tuples(magnitude, st.booleans()).map(lambda t: -t[0] if t[1] else t[0])

    def sample(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        """A float64 array of ``shape`` in the domain."""
        if self.sampler is not None:
            return self.sampler(rng, shape)
        values = rng.uniform(self.low, self.high, size=shape)
        return values if self.positive else rng.choice([-1.0, 1.0], size=shape) * values

    def contains(self, values: Any) -> bool:
        """Whether every value lies in the domain (as far as a box drawn there cares:
        its sign and its distance from 0)."""
        array = np.asarray(values)
        if self.positive and not np.all(array >= self.away):
            return False
        return bool(np.all(np.abs(array) >= self.away)) if not self.positive else True


def _distinct(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Entries at least 0.3 apart (no ties: sort, max and min are differentiable)."""
    count = int(np.prod(shape, dtype=int))
    return (rng.permutation(count).reshape(shape) + rng.uniform(0.1, 0.4, size=shape)) / 2


#: Every domain by name.
DOMAINS: dict[str, Domain] = {d.name: d for d in (
    # any value (random graphs keep |x| <= 2; tables draw standard normals)
    Domain("real", 0.0, 2.0, sampler=lambda rng, s: rng.standard_normal(s)),
    # log, square roots, fractional powers
    Domain("positive", 0.1, 3.0, positive=True, away=0.1,
           sampler=lambda rng, s: rng.uniform(0.5, 2.0, size=s)),
    # divisors, and away from 0 where a box has its kink (relu, abs, maximum)
    Domain("nonzero", 0.3, 2.0, away=0.3,
           sampler=lambda rng, s: rng.choice([-1.0, 1.0], size=s) * rng.uniform(0.5, 2.0, size=s)),
    # kinks at 0 only: |x| >= 0.01, so a difference step never straddles the kink
    Domain("kinkfree", 0.3, 2.0, away=0.01),
    # |x| < 1: arcsin, arctanh
    Domain("unit", 0.0, 0.8, sampler=lambda rng, s: rng.uniform(-0.8, 0.8, size=s)),
    # 0 < x < 1, away from both ends: logit
    Domain("probability", 0.05, 0.95, positive=True, away=0.05,
           sampler=lambda rng, s: rng.uniform(0.05, 0.95, size=s)),
    # x > 1: arccosh
    Domain("above1", 1.2, 3.0, positive=True, away=1.1),
    # no two entries tied
    Domain("distinct", 0.05, 2.0, sampler=_distinct),
    # softplus's tails, mod, round
    Domain("wide", 0.0, 30.0, sampler=lambda rng, s: rng.uniform(-30.0, 30.0, size=s)),
    # both branches of sinc's derivative near 0
    Domain("small", 0.0, 0.15, sampler=lambda rng, s: rng.uniform(-0.15, 0.15, size=s)),
)}


def domain(name: str) -> Domain:
    """The domain of that name, or a ValueError listing the domains."""
    if name not in DOMAINS:
        raise ValueError(f"domain must be one of {', '.join(DOMAINS)}, got {name!r}")
    return DOMAINS[name]
