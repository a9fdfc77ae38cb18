"""Export rules of the shape primitives, joins, indexing and the boxes gradients are
built with (so a gradient graph from ``af.grad`` exports too)."""
from __future__ import annotations

from typing import Any

import numpy as np
from onnx import helper

from .. import ops
from ..core.box import Box, Constant
from ..ops.axes import as_tuple
from ..ops.indexing import FROM_INPUT, index_key
from .writer import BEFORE, END, Writer, rule

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
