"""ONNX export rules for reductions, counts and searches, and for the running reductions
(cumulative extremes, log-sum-exp) and numpy's gradient stencil."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..core.box import Box
from ..ops.reduce import reduced_axes
from .export_math import isclose, truth
from .writer import END, Writer, rule

# -- reductions ---------------------------------------------------------------------------

REDUCE = {ops.Sum: "ReduceSum", ops.Mean: "ReduceMean", ops.Max: "ReduceMax",
          ops.Min: "ReduceMin", ops.Prod: "ReduceProd"}


@rule(*REDUCE)
def _reduce(w: Writer, box: Box) -> str:
    a = w.input(box, 0, w.dtype(box))
    axes = reduced_axes(box.axis, w.rank(box.inputs[0]))
    if not axes:
        return w.op("Identity", a)
    y = w.reduce(REDUCE[type(box)], a, axes, box.keepdims)
    initial = getattr(box, "initial", None)
    if initial is not None:
        y = w.op("Max" if isinstance(box, ops.Max) else "Min", y, w.scalar(initial, box))
    return y


@rule(ops.LogSumExp)
def _logsumexp(w: Writer, box: Box) -> str:
    """m + log(sum(exp(a - m))), m the max (0 where it is not finite), as the box"""
    a = w.input(box, 0, w.dtype(box))
    axes = reduced_axes(box.axis, w.rank(box.inputs[0]))
    if not axes:
        return w.op("Identity", a)
    shift = w.reduce("ReduceMax", a, axes, True)
    finite = w.op("Not", w.op("Or", w.op("IsInf", shift), w.op("IsNaN", shift)))
    shift = w.op("Where", finite, shift, w.scalar(0, box))
    total = w.reduce("ReduceSum", w.op("Exp", w.op("Sub", a, shift)), axes, True)
    value = w.op("Add", w.op("Log", total), shift)
    return value if box.keepdims else w.squeeze(value, axes)


@rule(ops.Cumsum)
def _cumsum(w: Writer, box: Box) -> str:
    a = w.input(box, 0, w.dtype(box))
    axis = box.axis
    if w.rank(box.inputs[0]) == 0:  # one entry, as numpy
        a, axis = w.reshape(a, [1]), 0
    return w.op("CumSum", a, w.ints(axis), reverse=int(box.reverse))


@rule(ops.Cumprod)
def _cumprod(w: Writer, box: Box) -> str:
    """ONNX has no running product: exp(running sum of log|a|) (0 from a zero on), with
    the sign of the running count of negative entries"""
    a = w.input(box, 0, w.dtype(box))
    axis = box.axis
    if w.rank(box.inputs[0]) == 0:
        a, axis = w.reshape(a, [1]), 0
    along = w.ints(axis)
    size = w.op("Exp", w.op("CumSum", w.op("Log", w.op("Abs", a)), along))
    negatives = w.op("CumSum", w.cast(w.op("Less", a, w.scalar(0, box)), np.int64), along)
    odd = w.op("Equal", w.op("Mod", negatives, w.ints(2)), w.ints(1))
    return w.op("Where", odd, w.op("Neg", size), size)


@rule(ops.ExpandReduced)
def _expand_reduced(w: Writer, box: Box) -> str:
    g = w.input(box, 0)
    axes = reduced_axes(box.axis, w.rank(box.inputs[1]))
    if box.keepdims or not axes:
        return w.op("Identity", g)
    return w.unsqueeze(g, sorted(axes))


def count(w: Writer, mask: str, axes: list[int] | tuple[int, ...], keepdims: bool) -> str:
    """The number of true entries of the boolean ``mask`` over ``axes`` (int64; 0 for an
    empty slice)."""
    ones = w.cast(mask, np.int64)
    return w.reduce("ReduceSum", ones, axes, keepdims) if axes else ones


@rule(ops.CountNonzero)
def _count_nonzero(w: Writer, box: Box) -> str:
    return count(w, truth(w, box, 0), reduced_axes(box.axis, w.rank(box.inputs[0])),
                 box.keepdims)


@rule(ops.AllTrue, ops.AnyTrue)
def _all_any(w: Writer, box: Box) -> str:
    """all: no entry over the axes is false; any: some entry is true (counted, so an
    empty slice gives numpy's true and false)"""
    axes = reduced_axes(box.axis, w.rank(box.inputs[0]))
    mask = truth(w, box, 0)
    if isinstance(box, ops.AllTrue):
        return w.op("Equal", count(w, w.op("Not", mask), axes, box.keepdims), w.ints(0))
    return w.op("Greater", count(w, mask, axes, box.keepdims), w.ints(0))


def _every(w: Writer, mask: str) -> str:
    """A 0-d boolean: every entry of ``mask`` is true."""
    return w.op("Equal", count(w, w.op("Not", w.reshape(mask, [-1])), [0], False), w.ints(0))


@rule(ops.AllClose)
def _allclose(w: Writer, box: Box) -> str:
    return _every(w, isclose(w, box))


@rule(ops.ArrayEqual)
def _array_equal(w: Writer, box: Box) -> str:
    """false for two shapes (fixed ones: the export needs them), else every entry equal
    (or both NaN with equal_nan)"""
    a_box, b_box = box.inputs
    if w.static_shape(box, a_box) != w.static_shape(box, b_box):
        return w.constant(False)
    # numpy makes arrays of both first, so a Python number is float64 or int64 here
    common = np.result_type(*(np.asarray(w.sample(i)).dtype for i in box.inputs))
    a, b = w.inputs(box, common)
    equal = w.op("Equal", a, b)
    if box.equal_nan and common.kind == "f":
        equal = w.op("Or", equal, w.op("And", w.op("IsNaN", a), w.op("IsNaN", b)))
    return _every(w, equal)


@rule(ops.ArgMax, ops.ArgMin)
def _arg_extremum(w: Writer, box: Box) -> str:
    """ONNX's ArgMax/ArgMin with select_last_index=0 (the first, as numpy), of the
    flattened input for axis None; where the slice holds a NaN, the first NaN (numpy
    takes a NaN as the extremum)"""
    op = "ArgMax" if isinstance(box, ops.ArgMax) else "ArgMin"
    rank = w.rank(box.inputs[0])
    kind = w.dtype(box.inputs[0]).kind
    a = w.input(box, 0, np.int32 if kind == "b" else None)
    axis = box.axis
    if axis is None:
        a, axis = w.reshape(a, [-1]), 0
    keepdims = box.keepdims and box.axis is not None

    def first(values: str) -> str:
        return w.op(op, values, axis=axis, keepdims=int(keepdims), select_last_index=0)

    y = first(a)
    if kind == "f":
        nan = w.op("IsNaN", a)
        has_nan = w.op("Greater", count(w, nan, [axis], keepdims), w.ints(0))
        first_nan = w.op("ArgMax", w.cast(nan, np.int32), axis=axis, keepdims=int(keepdims),
                         select_last_index=0)
        y = w.op("Where", has_nan, first_nan, y)
    if box.axis is None and box.keepdims:
        return w.reshape(y, [1] * rank)
    return y


@rule(ops.SearchSorted)
def _searchsorted(w: Writer, box: Box) -> str:
    """For a sorted a (numpy's contract), the binary search's index is a count: of the
    entries of a before v (side left), or not after it (right), in numpy's order, where
    NaN comes after every number; compared in the dtype numpy compares in (an a of
    more axes: each row of v against the row of a with its index)"""
    common = np.result_type(*(np.asarray(w.sample(i)).dtype for i in box.inputs))
    a, v = w.inputs(box, common)
    rows = w.rank(box.inputs[0]) > 1
    if box.sorter is not None:
        a = w.op("GatherElements" if rows else "Gather", a, w.ints(box.sorter.tolist()),
                 axis=-1)
    v = w.unsqueeze(v, [w.rank(box.inputs[1])])  # against every entry of a, on a new axis
    if rows:  # each entry of a row of v against its row of a
        a = w.unsqueeze(a, [w.rank(box.inputs[0]) - 1])

    def before(x: str, y: str) -> str:
        if common.kind != "f":
            return w.op("Less", x, y)
        return w.op("Or", w.op("Less", x, y),
                    w.op("And", w.op("IsNaN", y), w.op("Not", w.op("IsNaN", x))))

    mask = before(a, v) if box.side == "left" else w.op("Not", before(v, a))
    return count(w, mask, [-1], False)



@rule(ops.Gradient)
def _gradient(w: Writer, box: Box) -> str:
    """np.gradient's own formulas along the axis, as numpy computes them (differences in
    f's dtype, the rest in float64, cast back): (f[i+1] - f[i-1]) / 2h inside
    (a f[i-1] + b f[i] + c f[i+1] for unequal steps), and the one-sided differences of
    edge_order at the two ends, joined"""
    f = box.inputs[0]
    axis = box._differences(w.sample(f))[0]
    n = w.length(box, f, axis)
    x = w.input(box, 0)
    wide = x if w.dtype(f) == np.float64 else w.cast(x, np.float64)
    steps: np.ndarray = box.spacing
    if steps.ndim:
        steps = np.diff(steps)
        if (steps == steps[0]).all():
            steps = steps[0]

    def part(start: int, stop: int, source: str = wide) -> str:  # f[start:stop] on the axis
        return w.slice(source, [start], [stop if stop else END], [axis])

    def difference(first: tuple[int, int], second: tuple[int, int]) -> str:
        step = w.op("Sub", part(*first, source=x), part(*second, source=x))
        return step if w.dtype(f) == np.float64 else w.cast(step, np.float64)

    def weighted(terms: list[tuple[Any, str]]) -> str:  # sum of coefficient * values
        total = None
        for coefficient, values in terms:
            shape = [1] * w.rank(f)
            if np.ndim(coefficient):
                shape[axis] = -1
            term = w.op("Mul", w.constant(np.reshape(coefficient, shape), np.float64), values)
            total = term if total is None else w.op("Add", total, term)
        assert total is not None
        return total

    def constant(value: Any) -> str:
        return w.constant(value, np.float64)

    uniform = np.ndim(steps) == 0
    pieces = []
    if box.edge_order == 1:
        first = steps if uniform else steps[0]
        pieces.append(w.op("Div", difference((1, 2), (0, 1)), constant(first)))
    elif uniform:
        pieces.append(weighted([(-1.5 / steps, part(0, 1)), (2. / steps, part(1, 2)),
                                (-0.5 / steps, part(2, 3))]))
    else:
        d1, d2 = steps[0], steps[1]
        pieces.append(weighted([(-(2. * d1 + d2) / (d1 * (d1 + d2)), part(0, 1)),
                                ((d1 + d2) / (d1 * d2), part(1, 2)),
                                (-d1 / (d2 * (d1 + d2)), part(2, 3))]))
    if n > 2:
        if uniform:
            pieces.append(w.op("Div", difference((2, 0), (0, n - 2)), constant(2. * steps)))
        else:
            d1, d2 = steps[:-1], steps[1:]
            pieces.append(weighted([(-d2 / (d1 * (d1 + d2)), part(0, n - 2)),
                                    ((d2 - d1) / (d1 * d2), part(1, n - 1)),
                                    (d1 / (d2 * (d1 + d2)), part(2, 0))]))
    if box.edge_order == 1:
        last = steps if uniform else steps[-1]
        pieces.append(w.op("Div", difference((n - 1, 0), (n - 2, n - 1)), constant(last)))
    elif uniform:
        pieces.append(weighted([(0.5 / steps, part(n - 3, n - 2)),
                                (-2. / steps, part(n - 2, n - 1)), (1.5 / steps, part(n - 1, 0))]))
    else:
        d1, d2 = steps[-2], steps[-1]
        pieces.append(weighted([(d2 / (d1 * (d1 + d2)), part(n - 3, n - 2)),
                                (-(d2 + d1) / (d1 * d2), part(n - 2, n - 1)),
                                ((2. * d2 + d1) / (d2 * (d1 + d2)), part(n - 1, 0))]))
    y = w.op("Concat", *pieces, axis=axis)
    return y if w.dtype(box) == np.float64 else w.cast(y, w.dtype(box))


@rule(ops.RunningArgExtremum)
def _running_arg_extremum(w: Writer, box: Box) -> str:
    """ONNX has no running maximum: with the axis last and M[k, i] = (i <= k), the
    running extremum is a reduction over i of a masked by M (NaN from the first NaN
    on), and y_k the largest i <= k where a_i equals its running value or is NaN"""
    a = box.inputs[0]
    axis = box.checked_axis(w.sample(a))
    n, rank = w.length(box, a, axis), w.rank(a)
    perm = [k for k in range(rank) if k != axis] + [axis]
    x = w.op("Transpose", w.input(box, 0), perm=perm) if axis != rank - 1 else w.input(box, 0)
    mask = w.constant(np.tri(n, dtype=bool))  # [k, i]: i <= k
    rows = w.unsqueeze(x, [rank - 1])  # (..., 1, n): a_i for each k
    extremum, fill = ("ReduceMax", np.inf * -1) if box.kind == "max" else ("ReduceMin", np.inf)
    running = w.reduce(extremum, w.op("Where", mask, rows, w.constant(fill, w.dtype(a))),
                       [rank], False)
    nans = w.op("IsNaN", x)
    seen = w.reduce("ReduceMax", w.op("Where", mask, w.cast(w.unsqueeze(nans, [rank - 1]),
                                                                np.int64), w.ints(0)),
                    [rank], False)
    running = w.op("Where", w.cast(seen, np.bool_), w.constant(np.nan, w.dtype(a)), running)
    attained = w.op("Or", w.op("Equal", x, running), nans)
    positions = w.op("Where", attained, w.ints(list(range(n))), w.ints(0))
    y = w.reduce("ReduceMax", w.op("Where", mask, w.unsqueeze(positions, [rank - 1]),
                                   w.ints(0)), [rank], False)
    if axis != rank - 1:
        y = w.op("Transpose", y, perm=np.argsort(perm).tolist())
    return y if w.dtype(box) == np.int64 else w.cast(y, w.dtype(box))


@rule(ops.LogCumSumExp)
def _logcumsumexp(w: Writer, box: Box) -> str:
    """with the axis last and M[k, i] = (i <= k) (i >= k when reverse): y_k =
    m_k + log(sum over M of exp(a_i - m_k)), m_k the masked maximum (0 where it is not
    finite), as the logsumexp rule; to numpy's logaddexp.accumulate up to rounding"""
    a = box.inputs[0]
    axis = box.checked_axis(w.sample(a))
    n, rank = w.length(box, a, axis), w.rank(a)
    perm = [k for k in range(rank) if k != axis] + [axis]
    x = w.input(box, 0)
    if axis != rank - 1:
        x = w.op("Transpose", x, perm=perm)
    mask = np.tri(n, dtype=bool)
    rows = w.op("Where", w.constant(mask.T if box.reverse else mask), w.unsqueeze(x, [rank - 1]),
                w.scalar(-np.inf, box))  # (..., k, i)
    shift = w.reduce("ReduceMax", rows, [rank], True)
    finite = w.op("Not", w.op("Or", w.op("IsInf", shift), w.op("IsNaN", shift)))
    shift = w.op("Where", finite, shift, w.scalar(0, box))
    total = w.reduce("ReduceSum", w.op("Exp", w.op("Sub", rows, shift)), [rank], True)
    y = w.squeeze(w.op("Add", w.op("Log", total), shift), [rank])
    if axis != rank - 1:
        y = w.op("Transpose", y, perm=np.argsort(perm).tolist())
    return y
