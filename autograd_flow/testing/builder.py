"""How a random flow graph grows: the Builder holds the boxes drawn so far (with their
values, computed eagerly) and draws new leaves and operands; an Op says how to add one
box of a kind and which values it accepts (its domain, ranks and bound).

Every value a random graph keeps stays within |v| <= 100 (LIMIT), and each op is
applied only inside its domain, so float64 central differences stay accurate.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

from ..core.box import Box, Input, Parameter
from .domains import DOMAINS
from .values import SearchStrategy, Shape, arrays, floats, labels

LIMIT = 100.0  # largest |value| a random graph keeps: differences stay accurate


@dataclass
class Builder:
    """State while drawing one graph: the boxes made so far (with eager values)."""

    draw: Callable[[SearchStrategy[Any]], Any]
    dtype: Any
    pool: list[Box] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    feed: dict[Input, np.ndarray] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def name(self, prefix: str) -> str:
        """A fresh box name: ``prefix`` and a count (x0, x1, p0, ...)."""
        index = self.counts.get(prefix, 0)
        self.counts[prefix] = index + 1
        return f"{prefix}{index}"

    def array(self, shape: Shape, domain: str = "real") -> np.ndarray:
        """An array of ``shape`` and the graph's dtype with values from ``domain``."""
        return self.draw(arrays(dtype=self.dtype, shape=shape, domain=domain))

    def leaf(self, shape: Shape, domain: str = "real") -> Box:
        """A new Input (fed) or Parameter with values from ``domain``."""
        value = self.array(shape, domain)
        if self.draw(st.booleans()):
            box: Box = Parameter(value, name=self.name("p"))
        else:
            box = Input(self.name("x"))
            box.value = value
            self.feed[box] = value
        return box

    def labels(self, rows: int, classes: int) -> Input:
        """A new Input (fed) of ``rows`` class labels in [0, classes)."""
        box = Input(self.name("labels"))
        box.value = self.draw(labels(rows, classes))
        self.feed[box] = box.value
        return box

    def boolean(self) -> bool:
        """True or False."""
        return bool(self.draw(st.booleans()))

    def partner(self, a: Box, domain: str) -> Any:
        """A second operand that broadcasts with ``a``: a box from the pool (``a``
        itself gives fan-out), a new leaf of a broadcast-reduced shape, or a number."""
        fits = [b for b in self.pool if domain_ok(b.value, domain)
                and _broadcast_size(a.value, b.value) <= 36]
        choice = self.draw(st.sampled_from(("pool", "leaf", "number") if fits
                                           else ("leaf", "number")))
        if choice == "pool":
            return self.draw(st.sampled_from(fits))
        if choice == "number":
            return self.draw(floats("nonzero" if domain == "nonzero" else "real"))
        shape = np.shape(a.value)
        keep = self.draw(st.integers(0, len(shape)))
        reduced = tuple(1 if self.draw(st.booleans()) else side
                        for side in shape[len(shape) - keep:])
        return self.leaf(reduced, domain)

    def operand(self, shape: Shape) -> Box:
        """A box of ``shape``: one from the pool (the box being extended gives fan-out)
        or a new leaf."""
        fits = [p for p in self.pool if np.shape(p.value) == shape]
        if fits and self.draw(st.booleans()):
            return self.draw(st.sampled_from(fits))
        return self.leaf(shape)


def domain_ok(value: Any, domain: str) -> bool:
    """Whether values lie in a domain of :data:`~.domains.DOMAINS` ("kinkfree", for
    relu, abs, l1: |v| >= 0.01, so a difference step never straddles the kink at 0)."""
    return DOMAINS[domain].contains(value)


def _broadcast_size(a: Any, b: Any) -> int:
    try:
        return int(np.prod(np.broadcast_shapes(np.shape(a), np.shape(b))))
    except ValueError:
        return 10**9


#: How a random graph adds one box of a kind: ``recipe(builder, a)`` extends box ``a``
#: (settings drawn with the builder), or returns None to add nothing.
Recipe = Callable[["Builder", Box], "Box | None"]


@dataclass(frozen=True)
class Op:
    """How to add one box of a kind to a random graph."""

    name: str
    make: Callable[[Builder, Box], Box | None]
    min_dims: int = 0
    max_dims: int = 3
    domain: str = "real"
    bound: float = LIMIT  # largest |input| it accepts (exp overflows, powers grow)

    def accepts(self, value: Any) -> bool:
        """Whether a box of this value may be this op's first input."""
        ndim = np.ndim(value)
        return (self.min_dims <= ndim <= self.max_dims and np.size(value) > 0
                and domain_ok(value, self.domain)
                and bool(np.all(np.abs(value) <= self.bound)))
