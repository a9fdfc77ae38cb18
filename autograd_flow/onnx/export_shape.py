"""Export rules of the reductions, the shape primitives, joins, indexing and the boxes
gradients are built with (so a gradient graph from ``af.grad`` exports too)."""
from __future__ import annotations

from typing import Any

import numpy as np
from onnx import helper

from .. import ops
from ..core.box import Box, Constant
from ..ops.axes import as_tuple
from ..ops.indexing import FROM_INPUT, index_key
from ..ops.reduce import reduced_axes
from .export_math import isclose, truth
from .writer import BEFORE, END, Writer, rule

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
    NaN comes after every number; compared in the dtype numpy compares in"""
    common = np.result_type(*(np.asarray(w.sample(i)).dtype for i in box.inputs))
    a, v = w.inputs(box, common)
    if box.sorter is not None:
        a = w.op("Gather", a, w.ints(box.sorter.tolist()), axis=0)
    v = w.unsqueeze(v, [w.rank(box.inputs[1])])  # against every entry of a, on a new axis

    def before(x: str, y: str) -> str:
        if common.kind != "f":
            return w.op("Less", x, y)
        return w.op("Or", w.op("Less", x, y),
                    w.op("And", w.op("IsNaN", y), w.op("Not", w.op("IsNaN", x))))

    mask = before(a, v) if box.side == "left" else w.op("Not", before(v, a))
    return count(w, mask, [-1], False)


# -- shapes -------------------------------------------------------------------------------

@rule(ops.Reshape)
def _reshape(w: Writer, box: Box) -> str:
    return w.reshape(w.input(box, 0), box.new_shape)


def transpose_rule(w: Writer, box: Box, perm: list[int]) -> str:
    return w.op("Transpose", w.input(box, 0), perm=perm)


@rule(ops.Transpose)
def _transpose(w: Writer, box: Box) -> str:
    n = w.rank(box.inputs[0])
    perm = list(range(n))[::-1] if box.axes is None else [k % n for k in box.axes]
    return transpose_rule(w, box, perm)


@rule(ops.SwapAxes)
def _swapaxes(w: Writer, box: Box) -> str:
    n = w.rank(box.inputs[0])
    perm = list(range(n))
    first, second = box.axis1 % n, box.axis2 % n
    perm[first], perm[second] = perm[second], perm[first]
    return transpose_rule(w, box, perm)


def moved(n: int, source: tuple[int, ...], destination: tuple[int, ...]) -> list[int]:
    """The permutation of np.moveaxis (numpy's own construction)."""
    source = tuple(k % n for k in source)
    destination = tuple(k % n for k in destination)
    order = [k for k in range(n) if k not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return order


@rule(ops.MoveAxis)
def _moveaxis(w: Writer, box: Box) -> str:
    perm = moved(w.rank(box.inputs[0]), as_tuple(box.source), as_tuple(box.destination))
    return transpose_rule(w, box, perm)


@rule(ops.ExpandDims)
def _expand_dims(w: Writer, box: Box) -> str:
    n = w.rank(box)
    return w.unsqueeze(w.input(box, 0), sorted(k % n for k in as_tuple(box.axis)))


@rule(ops.Squeeze)
def _squeeze(w: Writer, box: Box) -> str:
    shape = w.shape(box.inputs[0])
    if box.axis is None:
        axes = [k for k, side in enumerate(shape) if side == 1]
    else:
        axes = sorted(k % len(shape) for k in as_tuple(box.axis)) if shape else []
    a = w.input(box, 0)
    return w.squeeze(a, axes) if axes else w.op("Identity", a)


@rule(ops.BroadcastTo)
def _broadcast_to(w: Writer, box: Box) -> str:
    return w.op("Expand", w.input(box, 0), w.ints(list(box.new_shape)))


@rule(ops.Astype, ops.AstypeLike)
def _astype(w: Writer, box: Box) -> str:
    try:
        helper.np_dtype_to_tensor_dtype(w.dtype(box))
    except (KeyError, ValueError):
        raise w.refuse(box, f"ONNX has no {w.dtype(box)} type.") from None
    return w.cast(w.input(box, 0), w.dtype(box))


@rule(ops.Pick)
def _pick(w: Writer, box: Box) -> str:
    """a[n, labels_n]: GatherElements along axis 1 with the labels as a column"""
    labels = w.unsqueeze(w.input(box, 1, np.int64), [1])
    picked = w.op("GatherElements", w.input(box, 0), labels, axis=1)
    return w.squeeze(picked, [1])


# -- joins ----------------------------------------------------------------------------------

@rule(ops.Concatenate)
def _concatenate(w: Writer, box: Box) -> str:
    """Concat; for a ``layout`` (hstack, vstack, dstack, column_stack) each input shaped
    first as numpy shapes it (a Reshape where that adds axes)"""
    parts = w.same(box)
    if box.axis is None and box.layout is None:
        return w.op("Concat", *(w.reshape(p, [-1]) for p in parts), axis=0)
    if box.layout is None:
        return w.op("Concat", *parts, axis=box.axis)
    shape_of, axis_of = ops.join.LAYOUTS[box.layout]
    shaped = []
    for part, source in zip(parts, box.inputs):
        target = np.shape(shape_of(w.sample(source)))
        if len(target) != w.rank(source):
            w.static_shape(box, source)
            part = w.reshape(part, list(target))
        shaped.append(part)
    return w.op("Concat", *shaped, axis=axis_of(len(target)))


@rule(ops.Stack)
def _stack(w: Writer, box: Box) -> str:
    axis = box.axis % w.rank(box)
    return w.op("Concat", *(w.unsqueeze(p, [axis]) for p in w.same(box)), axis=axis)


@rule(ops.Split)
def _split(w: Writer, box: Box) -> str:
    a = box.inputs[0]
    axis = box._axis(np.shape(w.sample(a)))
    w.length(box, a, axis)
    part = box._key(np.shape(w.sample(a)))[axis]
    return w.slice(w.input(box, 0), [part.start], [part.stop], [axis])


# -- indexing -------------------------------------------------------------------------------

def _key(w: Writer, box: Box) -> list[Any]:
    """The index with Ellipsis written out as slices, True (a 0-d mask) as None (both
    add an axis of length 1), and boxes as FROM_INPUT."""
    parts: list[Any] = []
    for part in box.index:
        if isinstance(part, (bool, np.bool_)) or (
                isinstance(part, np.ndarray) and part.dtype.kind == "b" and part.ndim == 0):
            if not part:
                raise w.refuse(box, "a False index selects nothing; it is not written.")
            part = None
        parts.append(part)
    used, boxes = 0, iter(box.inputs[1:])
    for p in parts:
        if p is FROM_INPUT:
            index = next(boxes)
            used += w.rank(index) if w.dtype(index).kind == "b" else 1
        elif p is not None and p is not Ellipsis:
            used += p.ndim if isinstance(p, np.ndarray) and p.dtype.kind == "b" else 1
    if any(p is Ellipsis for p in parts):
        at = next(k for k, p in enumerate(parts) if p is Ellipsis)
        parts[at:at + 1] = [slice(None)] * (w.rank(box.inputs[0]) - used)
    return parts


@rule(ops.GetItem)
def _getitem(w: Writer, box: Box) -> str:
    """Basic indexing (integers, slices, None) and one index array (an integer array,
    a 1-D mask, or an integer box): Slice, Gather and Unsqueeze in numpy's order.
    Several index arrays (or one beside an integer): :func:`_advanced`."""
    parts = _key(w, box)
    arrays = [p for p in parts if p is FROM_INPUT or isinstance(p, np.ndarray)]
    masks = [p for p in arrays if isinstance(p, np.ndarray) and p.dtype.kind == "b"]
    if len(arrays) > 1 or (arrays and any(isinstance(p, int) for p in parts)) \
            or any(mask.ndim != 1 for mask in masks):
        return _advanced(w, box, parts)
    x = w.input(box, 0)
    axis, boxes = 0, 1
    for part in parts:
        if part is None:
            x = w.unsqueeze(x, [axis])
            axis += 1
        elif isinstance(part, slice):
            x = _sliced(w, x, part, axis)
            axis += 1
        elif isinstance(part, int):
            x = w.op("Gather", x, w.ints(part), axis=axis)
        else:
            if part is FROM_INPUT:
                index = box.inputs[boxes]
                boxes += 1
                if w.dtype(index).kind == "b":
                    x = _masked(w, box, x, w.input(box, boxes - 1), axis, w.rank(index))
                    axis += 1
                    continue
                indices, ndim = w.input(box, boxes - 1, np.int64), w.rank(index)
            else:
                array = part if part.dtype.kind != "b" else np.nonzero(part)[0]
                indices, ndim = w.constant(array, np.int64), array.ndim
            x = w.op("Gather", x, indices, axis=axis)
            axis += ndim
    return x if x != w.values.get(id(box.inputs[0])) else w.op("Identity", x)


def _masked(w: Writer, box: Box, x: str, mask: str, axis: int, ndim: int) -> str:
    """x[..., mask, ...] for a mask fed at run time over axes axis..axis+ndim-1: the
    entries where it is True (NonZero), gathered together (GatherND) into one axis."""
    rank = w.rank(box.inputs[0])  # x is the input sliced and gathered up to axis
    masked = list(range(axis, axis + ndim))
    others = [k for k in range(rank) if k not in masked]
    if axis:
        x = w.op("Transpose", x, perm=masked + others)
    y = w.op("GatherND", x, w.op("Transpose", w.op("NonZero", mask), perm=[1, 0]))
    if axis:
        y = w.op("Transpose", y, perm=list(range(1, axis + 1)) + [0] +
                 list(range(axis + 1, rank - ndim + 1)))
    return y


def _sliced(w: Writer, x: str, part: slice, axis: int) -> str:
    if part == slice(None):
        return x
    step = 1 if part.step is None else part.step
    start = part.start if part.start is not None else (0 if step > 0 else END)
    stop = part.stop if part.stop is not None else (END if step > 0 else BEFORE)
    return w.slice(x, [start], [stop], [axis], [step])


def _advanced(w: Writer, box: Box, parts: list[Any]) -> str:
    """numpy's advanced indexing with several index arrays (integers count as 0-d
    ones): the slices first, then the indexed axes moved to the front and gathered
    together (GatherND); the result's axes go where numpy puts them (in place of the
    indexed axes when those are adjacent, first otherwise)."""
    if any(p is None or p is FROM_INPUT for p in parts):
        raise w.refuse(box, "an index with several index arrays is written when they are "
                            "fixed arrays, without None; index in two steps.")
    a = box.inputs[0]
    per_axis: list[Any] = []
    for part in parts:
        if isinstance(part, np.ndarray) and part.dtype.kind == "b":
            per_axis.extend(np.nonzero(part))
        else:
            per_axis.append(np.asarray(part) if isinstance(part, int) else part)
    per_axis += [slice(None)] * (w.rank(a) - len(per_axis))
    x = w.input(box, 0)
    for axis, part in enumerate(per_axis):
        if isinstance(part, slice):
            x = _sliced(w, x, part, axis)
    indexed = [k for k, p in enumerate(per_axis) if not isinstance(p, slice)]
    rest = [k for k, p in enumerate(per_axis) if isinstance(p, slice)]
    arrays = np.broadcast_arrays(*(np.where(per_axis[k] < 0, per_axis[k] + w.length(box, a, k),
                                            per_axis[k]) for k in indexed))
    if indexed + rest != list(range(len(per_axis))):
        x = w.op("Transpose", x, perm=indexed + rest)
    y = w.op("GatherND", x, w.constant(np.stack(arrays, axis=-1), np.int64))
    count, first = arrays[0].ndim, indexed[0]
    if indexed == list(range(first, first + len(indexed))) and first > 0:
        perm = [count + i for i in range(first)] + list(range(count)) + \
            [count + i for i in range(first, len(rest))]
        y = w.op("Transpose", y, perm=perm)
    return y


# -- the boxes of gradients -----------------------------------------------------------------

@rule(ops.SumLike)
def _sum_like(w: Writer, box: Box) -> str:
    """g summed over the axes broadcasting added or stretched, then shaped like ref"""
    g_shape, ref_shape = w.shape(box.inputs[0]), w.shape(box.inputs[1])
    lead = len(g_shape) - len(ref_shape)
    axes = list(range(lead)) + [lead + k for k, side in enumerate(ref_shape)
                                if side == 1 and g_shape[lead + k] != 1]
    g = w.input(box, 0)
    if axes:
        g = w.reduce("ReduceSum", g, axes, True)
    return w.op("Reshape", g, w.op("Shape", w.input(box, 1)))


@rule(ops.BroadcastLike)
def _broadcast_like(w: Writer, box: Box) -> str:
    return w.op("Expand", w.input(box, 0), w.op("Shape", w.input(box, 1)))


@rule(ops.ZerosLike, ops.Seed)
def _filled_like(w: Writer, box: Box) -> str:
    fill = 0 if isinstance(box, ops.ZerosLike) else 1
    return w.op("Expand", w.scalar(fill, box), w.op("Shape", w.input(box, 0)))


@rule(ops.Unsort)
def _unsort(w: Writer, box: Box) -> str:
    """g scattered back through the sorting permutation of a (TopK's indices: ties in
    their order, as a stable sort)"""
    g, a = w.input(box, 0), w.input(box, 1)
    if box.axis is None:
        g, a, axis = w.reshape(g, [-1]), w.reshape(a, [-1]), 0
    else:
        axis = box.axis % w.rank(box.inputs[1])
    count = w.op("Gather", w.op("Shape", a), w.ints([axis]), axis=0)
    _, order = w.op("TopK", a, count, outputs=2, axis=axis, largest=0, sorted=1)
    zeros = w.op("Expand", w.scalar(0, box), w.op("Shape", g))
    y = w.op("ScatterElements", zeros, order, g, axis=axis)
    return y if box.axis is not None else w.op("Reshape", y, w.op("Shape", w.input(box, 1)))


@rule(ops.SeedAs)
def _seed_as(w: Writer, box: Box) -> str:
    return w.op("Identity", w.input(box, 0))


@rule(ops.AtLeast)
def _at_least(w: Writer, box: Box) -> str:
    """Unsqueeze where numpy adds the axes: (1, ...) in front of a 0-d or 1-D input,
    one at the end for a third axis"""
    n = w.rank(box.inputs[0])
    axes = {0: [0, 1, 2][:box.ndmin], 1: [[], [0], [0, 2]][box.ndmin - 1],
            2: [2] if box.ndmin == 3 else []}.get(n, [])
    a = w.input(box, 0)
    return w.unsqueeze(a, axes) if axes else w.op("Identity", a)


@rule(ops.Variables)
def _variables(w: Writer, box: Box) -> str:
    a = box.inputs[0]
    x = w.input(box, 0)
    if w.rank(a) < 2:
        x = w.unsqueeze(x, list(range(2 - w.rank(a))))
    if box._transposed(w.sample(a)):
        return w.op("Transpose", x, perm=[1, 0])
    return x if x != w.values.get(id(a)) else w.op("Identity", x)


@rule(ops.Columns)
def _columns(w: Writer, box: Box) -> str:
    g = w.input(box, 0)
    if w.rank(box.inputs[1]) != 1:
        return w.op("Identity", g)
    n = w.rank(box.inputs[0])
    return w.squeeze(g, [n - 1]) if box.back else w.unsqueeze(g, [n])


def _positions(w: Writer, box: Box, array: Box, fixed: list[int]) -> np.ndarray:
    """The flat position in ``array`` of each entry an index reads (the index the box
    applies to the positions themselves); the index inputs ``fixed`` must be constants."""
    for k in fixed:
        if not isinstance(box.inputs[k], Constant):
            raise w.refuse(box, f"its index input {box.inputs[k].name!r} is computed in the "
                                "graph; the export writes fixed indices only.")
    shape = w.static_shape(box, array)
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)


@rule(ops.TakeAlongAxis)
def _take_along_axis(w: Writer, box: Box) -> str:
    """fixed indices: a flattened, gathered at the flat positions they read; indices
    computed in the graph, of a's shape: GatherElements"""
    a, indices = box.inputs
    if not isinstance(indices, Constant) and box.axis is not None \
            and None not in w.shape(a) and w.shape(indices) == w.shape(a):
        axis = box.axis % w.rank(a)
        return w.op("GatherElements", w.input(box, 0), w.input(box, 1, np.int64), axis=axis)
    positions = _positions(w, box, box.inputs[0], [1])
    read = box.fprop(positions, w.sample(box.inputs[1]))
    return w.op("Gather", w.reshape(w.input(box, 0), [-1]), w.ints(read.tolist()), axis=0)


def _scattered(w: Writer, box: Box, a: str, values: str, positions: np.ndarray,
               keep: np.ndarray | None, **attributes: Any) -> str:
    """a flattened, with ``values`` (broadcast to the positions' shape) scattered at
    ``positions`` (those where ``keep``), shaped back"""
    values = w.reshape(w.op("Expand", values, w.ints(list(positions.shape))), [-1])
    flat = positions.ravel()
    if keep is not None:
        values = w.op("Gather", values, w.ints(np.flatnonzero(keep).tolist()), axis=0)
        flat = flat[keep.ravel()]
    y = w.op("ScatterElements", w.reshape(a, [-1]), w.ints(flat.tolist()), values, axis=0,
             **attributes)
    return w.op("Reshape", y, w.op("Shape", a))


@rule(ops.PutAlongAxis)
def _put_along_axis(w: Writer, box: Box) -> str:
    """ScatterElements of the values at the flat positions put; where one is put twice,
    only the value numpy keeps (the last) is scattered"""
    a = box.inputs[0]
    positions = _positions(w, box, a, [1])
    fancy = box.index(positions, w.sample(box.inputs[1]))
    put = (positions.ravel() if box.axis is None else positions)[fancy]
    keep = np.broadcast_to(box._winners(positions, fancy), put.shape)
    dtype = w.dtype(box)
    return _scattered(w, box, w.input(box, 0, dtype), w.input(box, 2, dtype), put, keep)


@rule(ops.AddAt)
def _add_at(w: Writer, box: Box) -> str:
    """ScatterElements with reduction add of the values at the flat positions indexed
    (an entry indexed twice gets both)"""
    w.needs_opset(box, 16, "ScatterElements with reduction='add'")
    a = box.inputs[0]
    positions = _positions(w, box, a, list(range(2, len(box.inputs))))
    key = index_key(box, box.index, tuple(w.sample(i) for i in box.inputs[2:]))
    dtype = w.dtype(box)
    return _scattered(w, box, w.input(box, 0, dtype), w.input(box, 1, dtype),
                      positions[key], None, reduction="add")


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
