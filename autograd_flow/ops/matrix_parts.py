"""The pieces of the decompositions' gradients that depend on values or shapes known only
in a run (the gaps between eigenvalues, the leading and trailing columns, tall matrices,
an invertible R), each a small box so that a gradient graph states them, and the clear
errors where a derivative does not exist (see :mod:`.decompositions`)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.box import Box
from ..errors import BoxError
from .plumbing import on_boxes
from .registry import primitive

# -- the pieces of the formulas that depend on values or shapes known only in a run --


def _matrix(batch: Any) -> str:
    """Which matrix of a batch a message is about ("" for one matrix)."""
    return f" of matrix {tuple(int(k) for k in batch)}" if len(batch) else ""


def _inverse_gaps(w: Any, about: str, squares: bool) -> np.ndarray:
    count = np.shape(w)[-1]
    dtype = np.result_type(w, 1.0)
    tolerance = max(count, 1) * np.finfo(dtype).eps * np.max(np.abs(w), initial=0.0)
    noun = "singular values" if squares else "eigenvalues"
    gaps = w[..., None, :] - w[..., :, None]  # [i, j] = w_j - w_i
    off = ~np.eye(count, dtype=bool)
    tied = np.argwhere(off & (np.abs(gaps) <= tolerance))
    if len(tied):
        batch, (i, j) = tied[0][:-2], tied[0][-2:]
        values = w[tuple(batch)]
        raise BoxError(f"{about} does not exist where two {noun} are equal: {noun} {i} and "
                       f"{j}{_matrix(batch)} are {values[i]:.6g} and {values[j]:.6g}, equal "
                       "to within rounding (the vectors of a repeated value are any basis "
                       "of its space).")
    if squares:
        zero = np.argwhere(w <= tolerance)
        if len(zero):
            batch, i = zero[0][:-1], zero[0][-1]
            raise BoxError(f"{about} does not exist where a singular value is 0: singular "
                           f"value {i}{_matrix(batch)} is {w[tuple(batch)][i]:.6g} (its "
                           "singular vectors flip sign as the matrix passes through it).")
        gaps = gaps * (w[..., None, :] + w[..., :, None])  # w_j**2 - w_i**2
    with np.errstate(divide="ignore"):
        return np.where(off, 1 / np.where(off, gaps, 1), 0).astype(dtype, copy=False)


@primitive()
class InverseGaps(Box):
    """F[..., i, j] = 1 / (w_j - w_i) off the diagonal, 0 on it (``squares``:
    1 / (w_j**2 - w_i**2));   d w = sum_j F**2 d F - sum_i F**2 d F (times 2 w with
    ``squares``). Equal values (to rounding), or with ``squares`` a 0, are a BoxError
    that begins with ``about``: the gradient it is part of does not exist there."""

    def __init__(self, w: Any, about: str, squares: bool = False, name: str | None = None) -> None:
        self.about, self.squares = about, squares
        super().__init__(w, name=name)

    def fprop(self, w):
        return _inverse_gaps(w, self.about, self.squares)

    def bprop(self, grad, w):
        weighted = self.value * self.value * grad
        grad_w = np.sum(weighted, axis=-1) - np.sum(weighted, axis=-2)
        return 2 * w * grad_w if self.squares else grad_w


def inverse_gaps(w: Any, about: str, squares: bool = False) -> Any:
    """The matrix of 1 / (w_j - w_i) (see :class:`InverseGaps`), on arrays and boxes."""
    return InverseGaps(w, about, squares) if on_boxes(w) else _inverse_gaps(w, about, squares)


def _index(axis: int, part: slice) -> tuple[Any, ...]:
    return (Ellipsis, part) + (slice(None),) * (-axis - 1)


class _MatrixPart(Box):
    """Shared by Leading and Trailing: k = min(m, n) for ref's (m, n) matrices."""

    linear_in = (0,)

    def __init__(self, g: Any, ref: Any, axis: int, refuse: str | None = None,
                 name: str | None = None) -> None:
        self.axis, self.refuse = axis, refuse
        super().__init__(g, ref, name=name)

    def embedded(self, grad: Any, g: Any, part: slice) -> np.ndarray:
        result = np.zeros(np.shape(g), np.result_type(grad))
        result[_index(self.axis, part)] = grad
        return result


def _leading(g: Any, ref: Any, axis: int, refuse: str | None) -> Any:
    count = min(np.shape(ref)[-2:])
    if refuse is not None and np.any(g[_index(axis, slice(count, None))]):
        raise BoxError(refuse)
    return g[_index(axis, slice(None, count))]


@primitive()
class Leading(_MatrixPart):
    """y = the first k = min(m, n) entries of g along ``axis`` (-1 columns, -2 rows),
    for ref's (m, n) matrices;   d g = d y there, 0 past them. With ``refuse``, a g not
    0 past them is that error (a gradient reaching columns that are an arbitrary basis)."""

    def fprop(self, g, ref):
        return _leading(g, ref, self.axis, self.refuse)

    def bprop(self, grad, g, ref):
        return self.embedded(grad, g, slice(None, min(np.shape(ref)[-2:]))), None


@primitive()
class Trailing(_MatrixPart):
    """y = the entries of g along ``axis`` past the first k = min(m, n), for ref's (m, n)
    matrices (none when that axis has k entries);   d g = d y there, 0 before them"""

    def fprop(self, g, ref):
        return g[_index(self.axis, slice(min(np.shape(ref)[-2:]), None))]

    def bprop(self, grad, g, ref):
        return self.embedded(grad, g, slice(min(np.shape(ref)[-2:]), None)), None


def leading(g: Any, ref: Any, axis: int, refuse: str | None = None) -> Any:
    """The first min(m, n) entries of g along axis (see :class:`Leading`)."""
    return Leading(g, ref, axis, refuse) if on_boxes(g, ref) else _leading(g, ref, axis, refuse)


def trailing(g: Any, ref: Any, axis: int) -> Any:
    """The entries of g along axis past the first min(m, n) (see :class:`Trailing`)."""
    if on_boxes(g, ref):
        return Trailing(g, ref, axis)
    return g[_index(axis, slice(min(np.shape(ref)[-2:]), None))]


def _tall(ref: Any) -> bool:
    return bool(np.shape(ref)[-2] > np.shape(ref)[-1])


@primitive()
class TallOnly(Box):
    """y = g where ref's matrices have more rows than columns, else 0: a term of a
    gradient in the complement of ref's columns, which is empty when ref is square
    (computed, it would be rounding noise);   d g = d y the same way"""

    linear_in = (0,)

    def fprop(self, g, ref):
        return g if _tall(ref) else np.zeros_like(g)

    def bprop(self, grad, g, ref):
        return (grad if _tall(ref) else np.zeros_like(grad)), None


def tall_only(g: Any, ref: Any) -> Any:
    """g where ref is tall, else 0 (see :class:`TallOnly`)."""
    if on_boxes(g, ref):
        return TallOnly(g, ref)
    return g if _tall(ref) else np.zeros_like(g)


def _triangular(r: Any, about: str) -> Any:
    diagonal = np.abs(np.diagonal(r, axis1=-2, axis2=-1))
    tolerance = max(np.shape(r)[-1], 1) * np.finfo(np.result_type(r, 1.0)).eps * np.max(
        np.abs(r), axis=(-2, -1), initial=0.0)
    singular = np.argwhere(diagonal <= tolerance[..., None])
    if len(singular):
        batch, i = singular[0][:-1], singular[0][-1]
        raise BoxError(f"{about}: R's diagonal entry {i}{_matrix(batch)} is "
                       f"{r[tuple(batch)][i, i]:.3g}, 0 to within rounding (A's first "
                       "min(m, n) columns are dependent).")
    return r


@primitive()
class Invertible(Box):
    """y = r, a stack of triangular matrices, checked: a diagonal entry 0 to within
    rounding is a BoxError stating ``about`` (a gradient dividing by it does not exist);
    d r = d y"""

    linear_in = (0,)

    def __init__(self, r: Any, about: str, name: str | None = None) -> None:
        self.about = about
        super().__init__(r, name=name)

    def fprop(self, r):
        return _triangular(r, self.about)

    def bprop(self, grad, r):
        return grad


def invertible(r: Any, about: str) -> Any:
    """r, checked to be invertible (see :class:`Invertible`), on arrays and boxes."""
    return Invertible(r, about) if on_boxes(r) else _triangular(r, about)


def _beyond(what: str, option: str) -> str:
    return (f"{what} past min(m, n) are an arbitrary basis (of the complement of A's "
            f"columns), so no gradient can reach them; use {option}")
