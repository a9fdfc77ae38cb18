"""Export rules of the arrangement primitives (flip, rot90, roll, tile, repeat, pad, sort)
and the matrix structure (triangles, diagonals, kron); the products are in
:mod:`.export_products`."""
from __future__ import annotations

import numpy as np

from .. import ops
from ..core.box import Box
from ..ops import order
from ..ops.arrange import pad_pairs
from ..ops.axes import as_tuple, interleaved
from .writer import BEFORE, Writer, rule

# -- arrangement ----------------------------------------------------------------------------

def flip(w: Writer, x: str, axes: list[int]) -> str:
    """x reversed along ``axes``: a Slice with step -1."""
    count = len(axes)
    return w.slice(x, [-1] * count, [BEFORE] * count, axes, [-1] * count)


@rule(ops.Flip)
def _flip(w: Writer, box: Box) -> str:
    n = w.rank(box.inputs[0])
    axes = list(range(n)) if box.axis is None else [k % n for k in as_tuple(box.axis)]
    x = w.input(box, 0)
    return flip(w, x, axes) if axes else w.op("Identity", x)


@rule(ops.Rot90)
def _rot90(w: Writer, box: Box) -> str:
    """numpy's rot90: flips and a transpose of the two axes"""
    n = w.rank(box.inputs[0])
    first, second = (k % n for k in box.axes)
    k = box.k % 4
    x = w.input(box, 0)
    if k == 0:
        return w.op("Identity", x)
    if k == 2:
        return flip(w, x, [first, second])
    perm = list(range(n))
    perm[first], perm[second] = perm[second], perm[first]
    if k == 1:
        return w.op("Transpose", flip(w, x, [second]), perm=perm)
    return flip(w, w.op("Transpose", x, perm=perm), [second])


def _rolled(w: Writer, x: str, shift: int, length: int, axis: int) -> str:
    shift %= length if length else 1
    if not shift:
        return x
    tail = w.slice(x, [length - shift], [length], [axis])
    head = w.slice(x, [0], [length - shift], [axis])
    return w.op("Concat", tail, head, axis=axis)


@rule(ops.Roll)
def _roll(w: Writer, box: Box) -> str:
    a = box.inputs[0]
    x = w.input(box, 0)
    if box.axis is None:
        size = int(np.prod(w.static_shape(box, a)))
        total = int(np.sum(as_tuple(box.shift)))
        flat = _rolled(w, w.reshape(x, [-1]), total, size, 0)
        return w.op("Reshape", flat, w.op("Shape", x))
    n = w.rank(a)
    shifts, axes = np.broadcast_arrays(np.asarray(box.shift), np.asarray(box.axis))
    totals: dict[int, int] = {}
    for shift, axis in zip(shifts.ravel().tolist(), axes.ravel().tolist()):
        totals[axis % n] = totals.get(axis % n, 0) + shift
    y = x
    for axis, shift in totals.items():
        y = _rolled(w, y, shift, w.length(box, a, axis), axis)
    return y if y != x else w.op("Identity", x)


@rule(ops.Tile)
def _tile(w: Writer, box: Box) -> str:
    n = w.rank(box.inputs[0])
    ndim = max(n, len(box.reps))
    x = w.input(box, 0)
    if ndim > n:
        x = w.unsqueeze(x, list(range(ndim - n)))
    reps = (1,) * (ndim - len(box.reps)) + tuple(box.reps)
    return w.op("Tile", x, w.ints(list(reps)))


@rule(ops.Repeat)
def _repeat(w: Writer, box: Box) -> str:
    """a Gather of each entry's index repeated its count"""
    a = box.inputs[0]
    x = w.input(box, 0)
    counts, axis = box._counts(w.sample(a))
    if box.axis is None or w.rank(a) == 0:
        w.static_shape(box, a)
        x = w.reshape(x, [-1])
    else:
        w.length(box, a, axis)
    indices = np.repeat(np.arange(len(counts)), counts)
    return w.op("Gather", x, w.ints(indices.tolist()), axis=axis)


@rule(ops.Pad)
def _pad(w: Writer, box: Box) -> str:
    """ONNX Pad in constant mode; one Pad per axis, in order, when the axes' constants
    differ (numpy fills axis k's margins over the axes padded before it). The modes that
    copy entries (edge, reflect, symmetric, wrap): a Gather per padded axis of the index
    of the entry each output entry copies (as the box computes them)."""
    a, values = box.inputs
    n = w.rank(a)
    x = w.input(box, 0)
    if n == 0:
        return w.op("Identity", x)
    pairs = pad_pairs(box.pad_width, n)
    if box.mode != "constant":
        sources = box.sources(np.empty(tuple(side or 0 for side in w.shape(a)), np.int8))
        for axis, (pair, source) in enumerate(zip(pairs.tolist(), sources)):
            if any(pair):
                w.length(box, a, axis)
                x = w.op("Gather", x, w.ints(source.tolist()), axis=axis)
        return x if x != w.values.get(id(a)) else w.op("Identity", x)
    fill = w.input(box, 1, w.dtype(box))
    if np.size(w.sample(values)) == 1:
        pads = [int(p) for p in pairs[:, 0]] + [int(p) for p in pairs[:, 1]]
        return w.op("Pad", x, w.ints(pads), w.reshape(fill, []), mode="constant")
    table = w.reshape(w.op("Expand", fill, w.ints([n, 2])), [-1])
    for k, (before, after) in enumerate(pairs.tolist()):
        for side, width in ((0, before), (1, after)):
            if width:
                pads = [0] * (2 * n)
                pads[k + side * n] = int(width)
                value = w.op("Gather", table, w.ints(2 * k + side), axis=0)
                x = w.op("Pad", x, w.ints(pads), value, mode="constant")
    return x


@rule(ops.Sort)
def _sort(w: Writer, box: Box) -> str:
    """the values of TopK of all the entries along the axis, smallest first"""
    x = w.input(box, 0)
    if box.axis is None:
        x, axis = w.reshape(x, [-1]), 0
    else:
        axis = box.axis % w.rank(box.inputs[0])
    count = w.op("Gather", w.op("Shape", x), w.ints([axis]), axis=0)
    values, _ = w.op("TopK", x, count, outputs=2, axis=axis, largest=0, sorted=1)
    return values


# -- matrix structure -----------------------------------------------------------------------

@rule(ops.Triu, ops.Tril)
def _triangle(w: Writer, box: Box) -> str:
    w.needs_opset(box, 14, "Trilu")
    a = box.inputs[0]
    x = w.input(box, 0)
    if w.rank(a) == 1:  # the rows of a square matrix, as numpy
        length = w.length(box, a, 0)
        x = w.op("Expand", x, w.ints([length, length]))
    return w.op("Trilu", x, w.ints(box.k), upper=int(isinstance(box, ops.Triu)))


def diagonal(w: Writer, box: Box, x: str, shape: tuple[int, ...], offset: int,
             axes: tuple[int, int]) -> str:
    """The offset diagonal of ``axes`` of x (of ``shape``), last: the two axes moved to
    the end, merged, and the diagonal's entries gathered."""
    n = len(shape)
    others = [k for k in range(n) if k not in axes]
    rows, columns = shape[axes[0]], shape[axes[1]]
    if others or list(axes) != [n - 2, n - 1]:
        x = w.op("Transpose", x, perm=others + list(axes))
    x = w.op("Reshape", x, w.ints([0] * len(others) + [-1]))
    length = max(0, min(rows + min(offset, 0), columns - max(offset, 0)))
    i = np.arange(length)
    flat = (i + max(-offset, 0)) * columns + i + max(offset, 0)
    return w.op("Gather", x, w.ints(flat.tolist()), axis=len(others))


@rule(ops.Diagonal)
def _diagonal(w: Writer, box: Box) -> str:
    a = box.inputs[0]
    axes = (box.axis1 % w.rank(a), box.axis2 % w.rank(a))
    shape = tuple(w.length(box, a, k) if k in axes else (w.shape(a)[k] or 0)
                  for k in range(w.rank(a)))
    return diagonal(w, box, w.input(box, 0), shape, box.offset, axes)


@rule(ops.Diag)
def _diag(w: Writer, box: Box) -> str:
    v = box.inputs[0]
    shape = w.static_shape(box, v)
    x = w.input(box, 0)
    if len(shape) == 2:
        return diagonal(w, box, x, shape, box.k, (0, 1))
    length, k = shape[0], box.k
    size = length + abs(k)
    rows, columns = np.indices((size, size))
    on = columns - rows == k
    index = np.where(on, np.minimum(rows, columns), length)  # length: the padded zero
    padded = w.op("Concat", x, w.constant(np.zeros(1, w.dtype(box))), axis=0)
    return w.op("Gather", padded, w.constant(index, np.int64), axis=0)


@rule(ops.Kron)
def _kron(w: Writer, box: Box) -> str:
    """block i of y = a[i] * b: a and b reshaped with interleaved axes, multiplied, and
    the pairs of axes merged"""
    a_shape, b_shape = (w.static_shape(box, i) for i in box.inputs)
    ndim = max(len(a_shape), len(b_shape))
    a_shape = (1,) * (ndim - len(a_shape)) + a_shape
    b_shape = (1,) * (ndim - len(b_shape)) + b_shape
    ones = (1,) * ndim
    a, b = w.same(box)
    wide = w.op("Mul", w.reshape(a, interleaved(a_shape, ones)),
                w.reshape(b, interleaved(ones, b_shape)))
    return w.reshape(wide, [p * q for p, q in zip(a_shape, b_shape)])



def _rank_tables(box: Box, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """lo, hi and t of each q (columns) for each number of entries c = 0..n (rows), as
    the box's ranks (numpy's quantile of the ranks 0..c-1); 0 for c = 0."""
    q = np.ravel(box.fractions)
    lo, hi, t = (np.zeros((n + 1, len(q)), dtype) for dtype in (np.int64, np.int64, float))
    for count in range(1, n + 1):
        position = order._quantile(np.arange(count, dtype=np.float64), q, method=box.method)
        lo[count] = np.floor(position)
        hi[count] = np.minimum(lo[count] + 1, count - 1)
        t[count] = position - lo[count]
    return lo, hi, t


@rule(ops.Quantile)
def _quantile(w: Writer, box: Box) -> str:
    """the reduced axes moved last and merged into rows, sorted (TopK, smallest first),
    the entries of ranks lo and hi gathered for each q and interpolated as numpy's _lerp
    (a + (b - a) t, or b - (b - a) (1 - t) where t >= 0.5). The ranks and t follow the
    number of entries, q and the method (the box's own); for the nan-forms, the number
    of non-NaN entries of each row (NaNs sorted last, as +inf; a table of the ranks of
    every count, gathered by each row's). NaN where a row holds a NaN (not for the
    nan-forms) or no entries."""
    a = box.inputs[0]
    shape = w.static_shape(box, a)
    ranks = box.ranks(np.zeros(shape))
    dtype = w.dtype(box)
    if not ranks.n:  # (a median of no entries: NaN, as numpy)
        return w.op("Identity", w.constant(np.full(ranks.out, np.nan, dtype)))
    x = w.input(box, 0)
    if ranks.order != list(range(len(shape))):
        x = w.op("Transpose", x, perm=ranks.order)
    rows = w.reshape(x, [int(np.prod(ranks.rest)), ranks.n])
    nans = w.op("IsNaN", rows)
    keys = w.op("Where", nans, w.constant(np.inf, dtype), rows)
    ordered, _ = w.op("TopK", keys, w.ints([ranks.n]), outputs=2, axis=1, largest=0,
                      sorted=1)
    if box.function.startswith("nan"):
        lo, hi, t = _rank_tables(box, ranks.n)
        count = w.reduce("ReduceSum", w.cast(w.op("Not", nans), np.int64), [1], False)
        low = w.op("GatherElements", ordered, w.op("Gather", w.ints(lo.tolist()), count,
                                                   axis=0), axis=1)
        high = w.op("GatherElements", ordered, w.op("Gather", w.ints(hi.tolist()), count,
                                                    axis=0), axis=1)
        weight = w.op("Gather", w.constant(t, dtype), count, axis=0)
        missing = w.unsqueeze(w.op("Equal", count, w.ints(0)), [1])
    else:
        low = w.op("Gather", ordered, w.ints(ranks.lo[:, 0].tolist()), axis=1)
        high = w.op("Gather", ordered, w.ints(ranks.hi[:, 0].tolist()), axis=1)
        weight = w.constant(ranks.t[:, 0], dtype)
        missing = w.reduce("ReduceMax", w.cast(nans, np.int64), [1], True)
        missing = w.cast(missing, np.bool_)
    step = w.op("Sub", high, low)
    up = w.op("Add", low, w.op("Mul", step, weight))
    down = w.op("Sub", high, w.op("Mul", step, w.op("Sub", w.scalar(1, box), weight)))
    value = w.op("Where", w.op("GreaterOrEqual", weight, w.scalar(0.5, box)), down, up)
    value = w.op("Where", missing, w.scalar(np.nan, box), value)
    return w.reshape(w.op("Transpose", value, perm=[1, 0]), list(ranks.out))


@rule(ops.QuantileGrad)
def _quantile_grad(w: Writer, box: Box) -> str:
    """g spread on the rows of a (reduced axes last, merged) at the ranks lo and hi,
    weighted 1 - t and t (a MatMul by those weights), then scattered back through a's
    stable sorting order with NaNs last, as numpy's argsort (TopK of a with NaNs as
    +inf, then a stable TopK of the NaN flags). For the nan-forms, the ranks and weights
    of each row's count of non-NaN entries are gathered from tables and g added at them
    (ScatterElements with reduction add, from opset 16)."""
    g_box, a = box.inputs
    nan_form = box.function.startswith("nan")
    if nan_form:
        w.needs_opset(box, 16, "ScatterElements with reduction='add'")
    shape = w.static_shape(box, a)
    ranks = box.ranks(np.zeros(shape))
    dtype = w.dtype(box)
    x = w.input(box, 1)
    if not ranks.n:
        return w.op("Expand", w.scalar(0, box), w.op("Shape", x))
    count, rows = len(ranks.lo), int(np.prod(ranks.rest))
    g = w.op("Transpose", w.reshape(w.input(box, 0, dtype), [count, rows]), perm=[1, 0])
    if ranks.order != list(range(len(shape))):
        x = w.op("Transpose", x, perm=ranks.order)
    values = w.reshape(x, [rows, ranks.n])
    length = w.ints([ranks.n])
    nans = w.op("IsNaN", values)
    zeros = w.op("Expand", w.scalar(0, box), w.ints([rows, ranks.n]))
    if nan_form:
        lo, hi, t = _rank_tables(box, ranks.n)
        counts = w.reduce("ReduceSum", w.cast(w.op("Not", nans), np.int64), [1], False)
        low_weights = np.where(np.arange(ranks.n + 1)[:, None] > 0, 1 - t, 0)
        ranked = zeros
        for table, weights in ((lo, low_weights), (hi, t)):
            at = w.op("Gather", w.ints(table.tolist()), counts, axis=0)
            weighted = w.op("Mul", w.op("Gather", w.constant(weights, dtype), counts, axis=0), g)
            ranked = w.op("ScatterElements", ranked, at, weighted, axis=1, reduction="add")
    else:
        low, high = ranks.weights(dtype)
        weights = np.zeros((count, ranks.n), dtype)
        for k in range(count):
            weights[k, ranks.lo[k, 0]] += low[k, 0]
            weights[k, ranks.hi[k, 0]] += high[k, 0]
        ranked = w.op("MatMul", g, w.constant(weights))
    keys = w.op("Where", nans, w.constant(np.inf, w.dtype(a)), values)
    _, by_value = w.op("TopK", keys, length, outputs=2, axis=1, largest=0, sorted=1)
    flags = w.op("GatherElements", w.cast(nans, np.int64), by_value, axis=1)
    _, by_flag = w.op("TopK", flags, length, outputs=2, axis=1, largest=0, sorted=1)
    order = w.op("GatherElements", by_value, by_flag, axis=1)
    y = w.reshape(w.op("ScatterElements", zeros, order, ranked, axis=1), list(ranks.moved))
    if ranks.order != list(range(len(shape))):
        y = w.op("Transpose", y, perm=np.argsort(ranks.order).tolist())
    return y
