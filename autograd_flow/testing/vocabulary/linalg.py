"""Products for random graphs: matmul, dot, vdot, outer, tensordot and einsum, with a
second operand drawn to fit the first one's shape (a box of the pool, which gives
fan-out, or a new leaf) and axes, subscripts and orders drawn in every form numpy takes.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from ...core.box import Box
from ...ops import surface as N
from ..builder import Builder, Recipe
from ..values import Shape, shapes


def _matmul(b: Builder, a: Box) -> Box | None:
    shape = np.shape(a.value)
    fits = [p for p in b.pool if np.ndim(p.value) >= 1 and _matmul_ok(shape, np.shape(p.value))]
    side = b.draw(st.integers(1, 3))
    options = ["right", "vector"] + (["left"] if len(shape) == 2 else []) + (
        ["pool"] if fits else [])
    choice = b.draw(st.sampled_from(options))
    if choice == "pool":
        return N.matmul(a, b.draw(st.sampled_from(fits)))
    if choice == "left":
        return N.matmul(b.leaf((side, shape[-2])), a)
    return N.matmul(a, b.leaf((shape[-1], side) if choice == "right" else (shape[-1],)))


def _matmul_ok(left: Shape, right: Shape) -> bool:
    try:
        np.matmul(np.empty(left), np.empty(right))
    except ValueError:
        return False
    return True


def _dot(b: Builder, a: Box) -> Box:
    shape = np.shape(a.value)
    if not shape:
        return N.dot(a, b.leaf(b.draw(shapes(max_dims=2))))
    k, side = shape[-1], b.draw(st.integers(1, 3))
    if len(shape) == 1 and b.draw(st.booleans()):  # a on the right: the left's last axis
        return N.dot(b.leaf(b.draw(st.sampled_from([(k,), (side, k), (2, side, k), ()]))), a)
    return N.dot(a, b.operand(b.draw(st.sampled_from([(k,), (k, side), (side, k, 2), ()]))))


def _vdot(b: Builder, a: Box) -> Box:
    """a . a (a squared norm) or a . other for another array of a's size."""
    if b.draw(st.booleans()):
        return N.vdot(a, a)
    size = int(np.size(a.value))
    other = b.operand(b.draw(st.sampled_from([np.shape(a.value), (size,)])))
    return N.vdot(a, other) if b.draw(st.booleans()) else N.vdot(other, a)


def _outer(b: Builder, a: Box) -> Box | None:
    other = b.operand(b.draw(shapes(max_dims=2)))
    return N.outer(a, other) if b.draw(st.booleans()) else N.outer(other, a)


def _tensordot(b: Builder, a: Box) -> Box:
    """A sum over some of a's axes (paired with axes of a new leaf in drawn places),
    written as a count or as two axis lists."""
    shape = np.shape(a.value)
    summed = b.draw(st.lists(st.sampled_from(range(len(shape))), unique=True)) if shape else []
    free = b.draw(st.lists(st.integers(1, 3), max_size=1))
    positions = b.draw(st.permutations(range(len(summed) + len(free))))
    other = [0] * len(positions)
    for position, axis in zip(positions, summed):
        other[position] = shape[axis]
    for position, side in zip(positions[len(summed):], free):
        other[position] = side
    axes: Any = (summed, list(positions[:len(summed)]))
    if b.draw(st.booleans()) and summed == list(range(len(shape) - len(summed), len(shape))) \
            and list(positions[:len(summed)]) == list(range(len(summed))):
        axes = len(summed)
    return N.tensordot(a, b.leaf(tuple(other)), axes=axes)


def _einsum(b: Builder, a: Box) -> Box:
    """einsum with subscripts drawn to fit a's shape: a repeated index (a diagonal) where
    lengths agree, a second operand sharing indices or not, an explicit output (any
    subset of the indices, in any order) or the implicit one, '...' for a's first axis."""
    letters: dict[str, int] = {}
    spare = iter("ijklmn")
    term = ""
    for side in np.shape(a.value):
        same = [c for c, n in letters.items() if n == side]
        if same and b.draw(st.integers(0, 2)) == 0:
            term += b.draw(st.sampled_from(same))
        else:
            term += next(spare)
            letters[term[-1]] = side
    terms, operands = [term], [a]
    if b.draw(st.booleans()):
        other = ""
        for _ in range(b.draw(st.integers(0, 2))):
            if letters and b.draw(st.booleans()):
                other += b.draw(st.sampled_from(sorted(letters)))
            else:
                other += next(spare)
                letters[other[-1]] = b.draw(st.integers(1, 3))
        terms.append(other)
        operands.append(b.leaf(tuple(letters[c] for c in other)))
    ellipsis = bool(term) and "".join(terms).count(term[0]) == 1 and b.draw(st.booleans())
    if ellipsis:
        terms[0] = "..." + term[1:]
    named = sorted(set("".join(terms).replace(".", "")))
    if b.draw(st.booleans()):
        subscripts = ",".join(terms)
    else:
        output = b.draw(st.lists(st.sampled_from(named), unique=True)) if named else []
        subscripts = ",".join(terms) + "->" + ("..." if ellipsis else "") + "".join(output)
    return N.einsum(subscripts, *operands)


#: How a random graph draws the products (a partner of a fitting shape), by the op's name.
RECIPES: dict[str, Recipe] = {
    "matmul": _matmul,
    "dot": _dot,
    "vdot": _vdot,
    "outer": _outer,
    "tensordot": _tensordot,
    "einsum": _einsum,
}
