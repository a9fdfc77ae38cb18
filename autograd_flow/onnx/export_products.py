"""Export rules of the products (matmul, tensordot, dot and einsum as ONNX Einsum; inner,
cross, det, vdot, outer)."""
from __future__ import annotations

import string

import numpy as np

from .. import ops
from ..core.box import Box
from ..ops.einsum import explicit, parse
from .writer import Writer, rule

# -- products -------------------------------------------------------------------------------


@rule(ops.MatMul)
def _matmul(w: Writer, box: Box) -> str:
    return w.op("MatMul", *w.same(box))


@rule(ops.Inner)
def _inner(w: Writer, box: Box) -> str:
    ra, rb = (w.rank(i) for i in box.inputs)
    if ra == 0 or rb == 0:
        return w.op("Mul", *w.same(box))
    return w.op("Einsum", *w.same(box), equation=_contraction((ra, rb), ([ra - 1], [rb - 1])))


@rule(ops.Cross)
def _cross(w: Writer, box: Box) -> str:
    """np.cross's formula: each entry of the vectors gathered along its axis, the
    products' differences stacked along axisc (the z entry alone for two 2-vectors)"""
    a_box, b_box = box.inputs
    a, b = w.same(box)

    def entries(x: str, source: Box, axis: int) -> list[str]:
        """x's three entries along axis (zeros for the z of a 2-vector, as numpy pads)"""
        axis %= w.rank(source)
        xyz = [w.op("Gather", x, w.ints(k), axis=axis)
               for k in range(w.length(box, source, axis))]
        if len(xyz) == 2:
            xyz.append(w.op("Expand", w.scalar(0, box), w.op("Shape", xyz[0])))
        return xyz

    p, q = entries(a, a_box, box.axisa), entries(b, b_box, box.axisb)

    def term(i: int, j: int) -> str:  # p_i q_j - p_j q_i
        return w.op("Sub", w.op("Mul", p[i], q[j]), w.op("Mul", p[j], q[i]))

    if w.length(box, a_box, box.axisa % w.rank(a_box)) == 2 \
            and w.length(box, b_box, box.axisb % w.rank(b_box)) == 2:
        return term(0, 1)
    y = w.op("Concat", *(w.unsqueeze(term(i, j), [-1]) for i, j in ((1, 2), (2, 0), (0, 1))),
             axis=-1)
    n = w.rank(box)
    axisc = box.axisc % n
    if axisc == n - 1:
        return y
    perm = list(range(n - 1))
    perm.insert(axisc, n - 1)
    return w.op("Transpose", y, perm=perm)


@rule(ops.Det)
def _det(w: Writer, box: Box) -> str:
    return w.op("Det", w.input(box, 0, w.dtype(box)))


@rule(ops.Vdot)
def _vdot(w: Writer, box: Box) -> str:
    a, b = (w.reshape(name, [-1]) for name in w.same(box))
    return w.op("MatMul", a, b)


@rule(ops.Outer)
def _outer(w: Writer, box: Box) -> str:
    a, b = w.same(box)
    return w.op("Mul", w.reshape(a, [-1, 1]), w.reshape(b, [1, -1]))


def _contraction(ranks: tuple[int, int], summed: tuple[list[int], list[int]]) -> str:
    """The einsum equation of a tensordot: a's axes, b's axes (summed ones sharing a's
    letters) -> a's free axes, then b's."""
    letters = iter(string.ascii_letters)
    a = [next(letters) for _ in range(ranks[0])]
    b = [a[summed[0][summed[1].index(k)]] if k in summed[1] else next(letters)
         for k in range(ranks[1])]
    free = [c for k, c in enumerate(a) if k not in summed[0]] + \
        [c for k, c in enumerate(b) if k not in summed[1]]
    return f"{''.join(a)},{''.join(b)}->{''.join(free)}"


@rule(ops.TensorDot)
def _tensordot(w: Writer, box: Box) -> str:
    ra, rb = (w.rank(i) for i in box.inputs)
    if isinstance(box.axes, int):
        summed = (list(range(ra - box.axes, ra)), list(range(box.axes)))
    else:
        summed = ([k % ra for k in box.axes[0]], [k % rb for k in box.axes[1]])
    return w.op("Einsum", *w.same(box), equation=_contraction((ra, rb), summed))


@rule(ops.Dot)
def _dot(w: Writer, box: Box) -> str:
    ra, rb = (w.rank(i) for i in box.inputs)
    if ra == 0 or rb == 0:
        return w.op("Mul", *w.same(box))
    equation = _contraction((ra, rb), ([ra - 1], [max(rb - 2, 0)]))
    return w.op("Einsum", *w.same(box), equation=equation)


@rule(ops.Einsum)
def _einsum(w: Writer, box: Box) -> str:
    """ONNX Einsum with numpy's '...' and implicit output written out; an operand with
    length 1 where another has more along an index is expanded first (numpy broadcasts
    it, ONNX does not)."""
    terms, output = parse(box.subscripts, len(box.inputs), "einsum")
    written, out = explicit(terms, output, [w.rank(i) for i in box.inputs])
    lengths: dict[str, int] = {}
    shapes = [np.shape(w.sample(i)) for i in box.inputs]
    for term, shape in zip(written, shapes):
        for letter, side in zip(term, shape):
            lengths[letter] = max(lengths.get(letter, 1), side)
    free = {letter for term, source in zip(written, box.inputs)
            for letter, side in zip(term, w.shape(source)) if side is None}
    operands = []
    for operand, term, shape, source in zip(w.same(box), written, shapes, box.inputs):
        stretched = [lengths[letter] if side != lengths[letter] else 1
                     for letter, side in zip(term, shape)]
        if any(side != 1 for side in stretched):
            for letter, side in zip(term, stretched):
                if side != 1 and letter in free:
                    raise w.refuse(box, f"operand {source.name!r} has length 1 along index "
                                        f"{letter!r}, which is free in another operand; "
                                        "broadcast it to that length first.")
            operand = w.op("Expand", operand, w.ints(stretched))
        operands.append(operand)
    return w.op("Einsum", *operands, equation=f"{','.join(written)}->{out}")
