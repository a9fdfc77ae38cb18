"""Random bits as a composite of primitive boxes: a counter-based generator.

A static graph cannot call a random generator between steps, and no primitive box
draws random numbers. A counter-based generator needs none: the random word for
counter c under key k is a fixed function f(c, k) (Salmon et al. 2011, "Parallel random
numbers: as easy as 1, 2, 3"; JAX's random numbers are such a composite of its
primitives). Here f is Widynski's Squares (2020, arXiv:2004.06278; it passes BigCrush),
which needs only what numpy's uint64 arithmetic does exactly: products and sums modulo
2^64 and a swap of the two 32-bit halves::

    x = y = c k;  z = y + k
    x = swap(x^2 + y);  x = swap(x^2 + z);  x = swap(x^2 + y)
    word = (x^2 + z) >> 32                    (all mod 2^64)

Each entry of an array gets its own counter (its position in C order, plus a per-step
offset), so the bits fit the array whatever its shape is when the graph runs. (The
counters are 1-D, so numpy's uint64 arithmetic wraps silently; a 0-d array's numpy
scalars would warn.)
"""
from __future__ import annotations

import numpy as np

from .. import ops
from ..core.box import Box, Constant

HALF = 1 << 32


def squares_key(seed: int, stream: int = 0) -> int:
    """A Squares key drawn from ``seed`` (and a stream number): as the paper's key
    generator, 16 hex digits, the upper 8 distinct and non-zero, the lower 8 distinct and
    non-zero, the last one odd."""
    rng = np.random.default_rng([seed, stream])
    digits = list(rng.permutation(np.arange(1, 16))[:8]) + list(
        rng.permutation(np.arange(1, 16))[:8])
    if digits[-1] % 2 == 0:
        odd = [d for d in range(1, 16, 2) if d not in digits[8:]]
        digits[-1] = int(rng.choice(odd))
    return int("".join(f"{d:x}" for d in digits), 16)


def squares32(c: int, key: int) -> int:
    """The reference Squares generator on Python integers (for tests): the 32-bit word
    for counter ``c`` and ``key``."""
    mask = (1 << 64) - 1
    x = y = (c * key) & mask
    z = (y + key) & mask
    for added in (y, z, y):
        x = (x * x + added) & mask
        x = ((x >> 32) | (x << 32)) & mask
    return ((x * x + z) & mask) >> 32


def _swap_halves(x: Box) -> Box:
    """(x >> 32) | (x << 32) for uint64 x: x mod 2^32 times 2^32 (wrapping), plus the
    high half (x - x mod 2^32) / 2^32, exact in float64 (at most 32 significant bits)."""
    low = ops.Mod(x, HALF)
    high = ops.Astype(ops.Div(ops.Sub(x, low), float(HALF)), np.uint64)
    return ops.Add(ops.Mul(x, HALF), high)


def entry_counters(like: Box, offset: Box) -> tuple[Box, Box]:
    """uint64 counters for the entries of ``like`` in C order, as a 1-D box: each entry's
    position plus ``offset`` (a box holding a uint64 or Python int); and the flattening
    box whose adjoint shapes a 1-D result like ``like`` (see :func:`shaped_like`)."""
    ones = ops.Add(ops.Astype(ops.ZerosLike(like), np.uint64), 1)
    flat = ops.Reshape(ones, shape=(-1,), name="flatten")
    positions = ops.Sub(ops.Cumsum(flat, axis=0), 1, name="position")
    return ops.Add(positions, offset, name="counter"), flat


def shaped_like(values: Box, flat: Box, name: str) -> Box:
    """1-D ``values`` reshaped like the input of the flattening box ``flat``: the adjoint
    of a flattening is the reshape back (a shape known only when the graph runs)."""
    shaped = ops.Adjoint(values, flat, 0)
    shaped.name = name
    return shaped


def squares_words(counters: Box, key: int) -> Box:
    """x^2 + z of Squares' last round (uint64): its high 32 bits are the random word,
    so ``words >= t * 2^32`` is true with probability 1 - t / 2^32."""
    k = Constant(key, name=f"key {key:#018x}")
    y = ops.Mul(counters, k, name="c k")
    z = ops.Add(y, k, name="c k + k")
    x: Box = y
    for added in (y, z, y):
        x = _swap_halves(ops.Add(ops.Mul(x, x), added))
    return ops.Add(ops.Mul(x, x), z, name="squares")


def keep_mask(like: Box, p: float, key: int, offset: Box) -> Box:
    """A boolean box shaped like ``like``: each entry True with probability 1 - p
    (p rounded up to a multiple of 2^-32), independently, the same for the same key and
    offset."""
    threshold = min(int(np.ceil(p * HALF)), HALF - 1) * HALF
    counters, flat = entry_counters(like, offset)
    words = squares_words(counters, key)
    keep = ops.GreaterEqual(words, Constant(threshold, name=f"{p} * 2^64"))
    return shaped_like(keep, flat, name="keep")
