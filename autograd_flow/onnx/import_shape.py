"""Import rules of ONNX's shape ops (reshaping, indexing, joining, padding, casting)
and of its constants and shapes: each node as the primitive boxes that compute it, or as
a Constant when it only describes a shape that is known at load time."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from onnx import NodeProto, helper

from .. import ops
from ..core.box import Box, Constant
from .reader import DYNAMIC, FREE, Dynamic, Reader, ShapeOf, Value, imports


@imports("Reshape")
def _reshape(r: Reader, node: NodeProto, inputs: list[Value]) -> Value:
    """A constant shape (0: the input's length there, unless allowzero), or the known
    lengths of a shape with free ones (-1 for the free one); a shape computed from free
    lengths, or one that leaves two lengths free: the output's shape by ONNX's shape
    inference, -1 for its one free length"""
    x, shape = inputs
    if isinstance(x, Dynamic):
        return DYNAMIC
    target: list[Any]
    if isinstance(shape, ShapeOf):  # its free lengths: -1 (if one), else as inferred
        target = [-1 if side == FREE else int(side) for side in shape.lengths]
    elif isinstance(shape, Dynamic):
        target = [-1, -1]
    else:
        target = [int(side) for side in r.constant(shape, "shape")]
    if 0 in target and not r.attribute("allowzero", 0):
        source = r.shape(node.input[0])
        target = [(-1 if source[k] is None else source[k]) if side == 0 else side
                  for k, side in enumerate(target)]
    if target.count(-1) > 1:
        target = [-1 if side is None else side for side in r.shape(node.output[0])]
        if target.count(-1) > 1:
            raise r.refuse("its output would have several free lengths; export the model "
                           "with fixed lengths.")
    return ops.Reshape(x, shape=tuple(target))


@imports("Flatten")
def _flatten(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    shape = r.shape(node.input[0])
    axis = int(r.attribute("axis", 1)) % (len(shape) + 1)
    before, after = shape[:axis], shape[axis:]
    sides = [-1 if None in part else math.prod(s for s in part if s is not None)
             for part in (before, after)]
    if sides == [-1, -1]:
        raise r.refuse(f"both parts of the input's shape {shape} hold free lengths.")
    return ops.Reshape(inputs[0], shape=tuple(sides))


@imports("Transpose")
def _transpose(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    perm = r.attribute("perm")
    return ops.Transpose(inputs[0], axes=None if perm is None else tuple(perm))


@imports("Squeeze")
def _squeeze(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    axes = r.axes(inputs, 1)
    return ops.Squeeze(inputs[0], axis=None if not axes else tuple(axes))


@imports("Unsqueeze")
def _unsqueeze(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    axes = r.axes(inputs, 1)
    if not axes:
        raise r.refuse("Unsqueeze needs axes.")
    return ops.ExpandDims(inputs[0], axis=tuple(axes))


@imports("Concat")
def _concat(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    return ops.Concatenate(*inputs, axis=int(r.attribute("axis")))


@imports("Split")
def _split(r: Reader, node: NodeProto, inputs: list[Value]) -> list[Box]:
    """the parts along axis: of the sizes given, else as many equal parts as outputs
    (the last shorter when they do not divide, as ONNX)"""
    axis = int(r.attribute("axis", 0))
    sizes = r.attribute("split") if r.opset < 13 else r.optional(inputs, 1, "split")
    if sizes is None:
        length = r.shape(node.input[0])[axis]
        if length is None:
            raise r.refuse("it splits a free axis into equal parts; give the sizes.")
        count = len(node.output)
        each = -(-length // count)
        sizes = [min(each, length - k * each) for k in range(count)]
    points = tuple(int(p) for p in np.cumsum(sizes)[:-1])
    return [ops.Split(inputs[0], points, axis=axis, part=k) for k in range(len(node.output))]


@imports("Slice")
def _slice(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    given: list[Any]
    if r.opset < 10:
        given = [r.attribute(n) for n in ("starts", "ends", "axes")] + [None]
    else:
        given = [r.constant(inputs[1], "starts"), r.constant(inputs[2], "ends"),
                 r.optional(inputs, 3, "axes"), r.optional(inputs, 4, "steps")]
    starts, ends, axes, steps = given
    rank = r.rank(node.input[0])
    axes = list(range(len(starts))) if axes is None else [int(a) % rank for a in axes]
    steps = [1] * len(starts) if steps is None else [int(s) for s in steps]
    index: list[Any] = [slice(None)] * rank
    huge = 2 ** 62
    for axis, start, end, step in zip(axes, starts, ends, steps):
        stop = None if abs(int(end)) >= huge else int(end)
        first = None if abs(int(start)) >= huge else int(start)
        index[axis] = slice(first, stop, step)
    return ops.GetItem(inputs[0], tuple(index))


@imports("Gather")
def _gather(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    x, indices = inputs
    axis = int(r.attribute("axis", 0)) % r.rank(node.input[0])
    if isinstance(indices, Constant):
        array = np.asarray(indices.value)
        part: Any = int(array) if array.ndim == 0 else array
    else:
        part = indices
    return ops.GetItem(x, (slice(None),) * axis + (part,))


@imports("GatherElements")
def _gather_elements(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    """a column of picked entries, x[n, indices[n, 0]] (the one form read: x of shape
    (N, C), indices (N, 1), axis 1): a Pick box"""
    x, indices = inputs
    shape = r.shape(node.input[1])
    if r.rank(node.input[0]) != 2 or int(r.attribute("axis", 0)) % 2 != 1 \
            or len(shape) != 2 or shape[1] != 1:
        raise r.refuse("only x[n, indices[n, 0]] (x (N, C), indices (N, 1), axis 1) is "
                       "read.")
    return ops.ExpandDims(ops.Pick(x, ops.Squeeze(indices, axis=1)), axis=1)


@imports("Expand")
def _expand(r: Reader, node: NodeProto, inputs: list[Value]) -> Value:
    """x broadcast with shape both ways (ONNX's Expand): a BroadcastTo to the joint
    shape; to the shape of a box (of free length): a BroadcastLike box"""
    if isinstance(inputs[0], Dynamic):
        return DYNAMIC
    if isinstance(inputs[1], ShapeOf) and inputs[1].box is not None:
        return ops.BroadcastLike(inputs[0], inputs[1].box)
    shape = tuple(int(s) for s in r.constant(inputs[1], "shape"))
    source: Any = r.shape(node.input[0])
    if None in source:
        target = r.shape(node.output[0])
        if None in target:
            raise r.refuse("it expands an input with a free length; broadcast it instead.")
        return ops.BroadcastTo(inputs[0], shape=target)
    return ops.BroadcastTo(inputs[0], shape=np.broadcast_shapes(source, shape))


@imports("Tile")
def _tile(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    return ops.Tile(inputs[0], reps=tuple(int(k) for k in r.constant(inputs[1], "repeats")))


@imports("Pad")
def _pad(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    r.only(mode="constant")
    rank = r.rank(node.input[0])
    if r.opset < 11:
        pads, value = r.attribute("pads"), r.attribute("value", 0.0)
    else:
        pads = r.constant(inputs[1], "pads")
        value = inputs[2] if len(inputs) > 2 and inputs[2] is not None else 0
    pads = [int(p) for p in pads]
    axes = r.axes(inputs, 3) if r.opset >= 18 else None
    axes = list(range(rank)) if axes is None else [a % rank for a in axes]
    if min(pads, default=0) < 0:
        raise r.refuse("negative pads (cropping) are not supported.")
    widths = [[0, 0] for _ in range(rank)]
    for k, axis in enumerate(axes):
        widths[axis] = [pads[k], pads[k + len(axes)]]
    return ops.Pad(inputs[0], value, pad_width=widths)


@imports("Trilu")
def _trilu(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    k = r.optional(inputs, 1, "k")
    triangle = ops.Triu if r.attribute("upper", 1) else ops.Tril
    return triangle(inputs[0], k=0 if k is None else int(k))


@imports("Cast")
def _cast(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    return ops.Astype(inputs[0], helper.tensor_dtype_to_np_dtype(r.attribute("to")))


# -- constants and shapes of constants ------------------------------------------------------

@imports("Constant")
def _constant(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    for name, dtype in (("value", None), ("value_float", np.float32),
                        ("value_floats", np.float32), ("value_int", np.int64),
                        ("value_ints", np.int64)):
        value = r.attribute(name)
        if value is not None:
            return Constant(np.asarray(value, dtype=dtype), name=node.output[0])
    raise r.refuse("only tensor, float and int constants are read.")


@imports("ConstantOfShape")
def _constant_of_shape(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    shape = tuple(int(s) for s in r.constant(inputs[0], "shape"))
    value = r.attribute("value")
    fill = np.zeros(1, np.float32) if value is None else np.asarray(value)
    return Constant(np.full(shape, fill.reshape(-1)[0], fill.dtype), name=node.output[0])


@imports("Shape")
def _shape(r: Reader, node: NodeProto, inputs: list[Value]) -> Value:
    """the input's lengths: a constant when none is free"""
    start, end = r.attribute("start", 0), r.attribute("end")
    shape = r.shape(node.input[0])[start:end]
    if None not in shape:
        return Constant(np.array(shape, np.int64), name=node.output[0])
    lengths = np.array([FREE if side is None else side for side in shape], np.int64)
    whole = start == 0 and end is None
    return ShapeOf(lengths, inputs[0] if whole else None)


@imports("Size")
def _size(r: Reader, node: NodeProto, inputs: list[Value]) -> Value:
    shape = r.shape(node.input[0])
    if None in shape:
        return DYNAMIC
    return Constant(np.array(math.prod(s for s in shape if s is not None), np.int64))


@imports("Range")
def _range(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    start, limit, delta = (r.constant(v, what) for v, what in
                           zip(inputs, ("start", "limit", "delta")))
    return Constant(np.arange(start.item(), limit.item(), delta.item(), dtype=start.dtype))


@imports("Dropout")
def _dropout(r: Reader, node: NodeProto, inputs: list[Value]) -> list[Value]:
    """at inference, the input itself (a mask output is not read)"""
    if r.opset >= 12 and len(inputs) > 2 and inputs[2] is not None and \
            bool(r.constant(inputs[2], "training_mode")):
        raise r.refuse("training_mode=True is not supported; export the model in "
                       "evaluation mode.")
    return [ops.Identity(inputs[0]), DYNAMIC]


@imports("ScatterElements")
def _scatter_elements(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    """data with updates[i...] written (reduction "none": put_along_axis of the flat
    positions, where one written twice keeps the last) or added ("add": add_at) at i...
    with i along ``axis`` replaced by indices[i...]; constant indices, a data of fixed
    shape"""
    data, indices, updates = inputs
    reduction = r.attribute("reduction", "none")
    if reduction not in ("none", "add"):
        raise r.refuse(f"reduction={reduction!r} is not supported (only 'none' and 'add').")
    lengths = r.shape(node.input[0])
    if None in lengths:
        raise r.refuse("the shape of its data follows a free axis of the model's inputs; "
                       "export the model with that axis fixed.")
    shape = tuple(int(side or 0) for side in lengths)
    array = r.constant(indices, "indices").astype(np.int64)
    axis = int(r.attribute("axis", 0)) % len(shape)
    target: list[np.ndarray] = list(np.indices(array.shape))
    target[axis] = np.where(array < 0, array + shape[axis], array)
    if reduction == "add":
        return ops.AddAt(data, updates, tuple(target))
    flat = np.ravel_multi_index(tuple(target), shape)
    return ops.PutAlongAxis(data, Constant(flat.ravel()), ops.Reshape(updates, (-1,)),
                            axis=None)
