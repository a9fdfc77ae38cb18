"""einsum: any subscripts numpy accepts (implicit or explicit output, ``...``, an index
repeated within an operand (a diagonal) or across operands, one operand or many).

The gradient for operand k is an einsum of the upstream gradient with the other
operands onto operand k's indices. Two cases need more than that einsum: an index only
operand k has (summed away in y, so y is constant along it: its gradient is broadcast
along it) and an index operand k repeats (only its diagonal reached y: the gradient is
placed on that diagonal, zero elsewhere). ``...`` is written out as spare letters
first, right-aligned as numpy broadcasts it.
"""
from __future__ import annotations

import string
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.box import Box, user_site
from ..errors import BoxError, describe
from .registry import function, primitive

LETTERS = string.ascii_letters  # numpy's index labels, in numpy's (ASCII) order


def parse(subscripts: str, count: int, where: str) -> tuple[tuple[str, ...], str | None]:
    """The subscripts of each operand (``...`` kept) and of the output (None when
    implicit), checked as far as the operands' shapes are not needed."""
    text = subscripts.replace(" ", "")
    inputs, arrow, output = text.partition("->")
    terms = tuple(inputs.split(","))
    if len(terms) != count:
        raise BoxError(f"{where}: the subscripts {subscripts!r} name {len(terms)} operand(s) "
                       f"but the einsum has {count}.")
    for term in terms + ((output,) if arrow else ()):
        body = term.replace("...", "", 1)
        bad = sorted({c for c in body if c not in LETTERS})
        if bad:
            raise BoxError(f"{where}: the subscripts {subscripts!r} hold {''.join(bad)!r}; "
                           "indices are letters a-z, A-Z, with one '...' per operand at most "
                           "and one '->' before the output.")
    if not arrow:
        return terms, None
    letters = output.replace("...", "")
    repeated = sorted(c for c, n in Counter(letters).items() if n > 1)
    if repeated:
        raise BoxError(f"{where}: the output {output!r} repeats {''.join(repeated)!r}; an "
                       "output index appears once (a diagonal is taken by repeating an "
                       "index in an operand: 'ii->i').")
    named = set("".join(terms))
    missing = sorted(set(letters) - named)
    if missing:
        raise BoxError(f"{where}: the output {output!r} names {''.join(missing)!r}, which "
                       f"no operand of {subscripts!r} has.")
    return terms, output


def _ellipsis_width(term: str, ndim: int) -> int | None:
    """How many axes ``...`` covers in an operand of ``ndim`` axes (None when the ranks
    do not fit)."""
    letters = len(term.replace("...", ""))
    if "..." in term:
        return ndim - letters if ndim >= letters else None
    return 0 if ndim == letters else None


def explicit(terms: Sequence[str], output: str | None,
             ndims: Sequence[int]) -> tuple[list[str], str]:
    """The subscripts with every ``...`` written as spare letters (right-aligned across
    operands, as numpy broadcasts) and the output written out (numpy's implicit output:
    the ``...`` axes, then the indices that appear once, in ASCII order)."""
    widths = [_ellipsis_width(t, n) or 0 for t, n in zip(terms, ndims)]
    width = max(widths, default=0)
    used = set("".join(terms)) | set(output or "")
    fill = "".join(c for c in LETTERS if c not in used)[:width]
    if len(fill) < width:
        raise ValueError(f"'...' covers {width} axes but only {len(fill)} letters are left "
                         "to name them in the gradient; name some of those axes")
    written = [t.replace("...", fill[width - w:]) for t, w in zip(terms, widths)]
    if output is None:
        counts = Counter("".join(t.replace("...", "") for t in terms))
        return written, fill + "".join(sorted(c for c, n in counts.items() if n == 1))
    return written, output.replace("...", fill)


def mismatch(terms: Sequence[str], output: str | None,
             shapes: Sequence[tuple[int, ...]]) -> str | None:
    """What in the operands' shapes does not fit the subscripts, in words (None if
    nothing this function checks)."""
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        if _ellipsis_width(term, len(shape)) is None:
            count = len(term.replace("...", ""))
            need = f"at least {count}" if "..." in term else f"{count}"
            return (f"operand {k} has shape {shape} ({len(shape)} axes) but its subscripts "
                    f"{term!r} need {need} axes.")
    written, _ = explicit(terms, output, [len(s) for s in shapes])
    seen: dict[str, tuple[int, int]] = {}  # index -> (operand, length) of a length > 1
    for k, (term, shape) in enumerate(zip(written, shapes)):
        own: dict[str, int] = {}
        for c, length in zip(term, shape):
            if c in own and own[c] != length:
                return (f"the index {c!r} repeats in operand {k} (subscripts {terms[k]!r}, "
                        f"shape {shape}) over axes of lengths {own[c]} and {length}; a "
                        "repeated index takes a diagonal, which needs equal lengths.")
            own[c] = length
            if length != 1:
                if c in seen and seen[c][1] != length:
                    j, other = seen[c]
                    return (f"the index {c!r} has length {other} in operand {j} (shape "
                            f"{shapes[j]}) but {length} in operand {k} (shape {shape}).")
                seen.setdefault(c, (k, length))
    widths = [_ellipsis_width(t, len(s)) or 0 for t, s in zip(terms, shapes)]
    if output is not None and "..." not in output and max(widths, default=0):
        return (f"the operands' '...' covers {max(widths)} axes but the output {output!r} "
                "has no '...' to keep them (write '...' in the output, or name the axes).")
    return None


def sublist_subscripts(arguments: Sequence[Any]) -> tuple[str, list[Any]]:
    """numpy's other einsum form, ``einsum(a, [0, 1], b, [1, 2], [0, 2])``, as a
    subscripts string and the operands (integers 0..51 are the letters A..Z, a..z;
    Ellipsis is '...')."""
    def term(sublist: Any) -> str:
        try:
            return "".join("..." if s is Ellipsis else _letter(s) for s in sublist)
        except TypeError:
            raise BoxError(f"einsum takes subscripts as a string, or operands each followed "
                           f"by a list of integers, got {sublist!r}.") from None

    operands = list(arguments[0::2])
    sublists = list(arguments[1::2])
    output = None
    if len(operands) > len(sublists):  # a trailing output sublist
        output, operands = term(operands[-1]), operands[:-1]
    text = ",".join(term(s) for s in sublists)
    return (text if output is None else f"{text}->{output}"), operands


def _letter(index: Any) -> str:
    if not isinstance(index, (int, np.integer)) or not 0 <= index < 52:
        raise BoxError(f"einsum sublists hold integers in [0, 52) or Ellipsis, got {index!r}.")
    return (string.ascii_uppercase + string.ascii_lowercase)[index]


@primitive()
class Einsum(Box):
    """y = einsum(subscripts, *operands);   d operand_k = einsum(d y, the other operands
    -> operand k's indices), broadcast along indices only operand k has, placed on the
    diagonal where operand k repeats an index"""

    def __init__(self, *operands: Any, subscripts: str, optimize: Any = False,
                 name: str | None = None) -> None:
        where = f"Einsum (created at {user_site()})"
        if not isinstance(subscripts, str):
            raise BoxError(f"{where}: subscripts must be a string such as 'ij,jk->ik', got "
                           f"{subscripts!r}.")
        self.subscripts, self.optimize = subscripts, optimize
        self._terms, self._output = parse(subscripts, len(operands), where)
        self.linear_in = tuple(range(len(operands)))  # linear in each operand
        self.multilinear = True
        super().__init__(*operands, name=name)

    def fprop(self, *operands):
        try:
            return np.einsum(self.subscripts, *operands, optimize=self.optimize)
        except ValueError as error:
            shapes = [np.shape(o) for o in operands]
            reason = mismatch(self._terms, self._output, shapes) or str(error)
            raise BoxError(f"{describe(self)}: the subscripts {self.subscripts!r} do not fit "
                           f"operands of shapes {', '.join(map(str, shapes))}: {reason}"
                           ) from None

    def bprop(self, grad, *operands):
        terms, output = explicit(self._terms, self._output, [np.ndim(o) for o in operands])
        # an einsum_path fits the forward operands only
        optimize = "greedy" if isinstance(self.optimize, list) else self.optimize
        grads = tuple(_operand_grad(grad, operands, terms, output, k, optimize)
                      for k in range(len(operands)))
        return grads if len(grads) > 1 else grads[0]


def _operand_grad(grad: Any, operands: Sequence[Any], terms: Sequence[str], output: str,
                  k: int, optimize: Any) -> np.ndarray:
    """d operand k of y = einsum(terms -> output) (subscripts without '...')."""
    term, shape = terms[k], np.shape(operands[k])
    unique = "".join(dict.fromkeys(term))  # its indices, a repeated one once
    others = [t for j, t in enumerate(terms) if j != k]
    reached = set(output).union(*others)
    kept = "".join(c for c in unique if c in reached)
    g = np.einsum(",".join([output, *others]) + "->" + kept, grad,
                  *(o for j, o in enumerate(operands) if j != k), optimize=optimize)
    sizes = dict(zip(term, shape))
    lengths = iter(np.shape(g))
    g = np.reshape(g, [next(lengths) if c in reached else 1 for c in unique])
    # an index operand k broadcast (length 1 against longer) sums back; one only
    # operand k has (summed away) gives a gradient constant along it
    stretched = tuple(i for i, c in enumerate(unique) if sizes[c] == 1 and g.shape[i] != 1)
    if stretched:
        g = np.sum(g, axis=stretched, keepdims=True)
    g = np.broadcast_to(g, [sizes[c] for c in unique])
    if len(unique) == len(term):
        return g
    grad_k = np.zeros(shape, dtype=g.dtype)
    np.einsum(f"{term}->{unique}", grad_k)[...] = g  # a writeable view of the diagonal
    return grad_k


@function("einsum", box=Einsum, numpy=np.einsum)
def einsum(subscripts: Any, *operands: Any, optimize: Any = False,
           name: str | None = None) -> Box:
    """Einstein summation, as ``np.einsum``: any subscripts numpy takes (``'ij,jk->ik'``,
    implicit output ``'ij,jk'``, ``'...'``, repeated indices ``'ii->i'``), or numpy's
    sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``; ``optimize`` as numpy's."""
    if not isinstance(subscripts, str):
        subscripts, listed = sublist_subscripts((subscripts, *operands))
        operands = tuple(listed)
    return Einsum(*operands, subscripts=subscripts, optimize=optimize, name=name)
