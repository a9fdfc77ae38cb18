"""Import rules of ONNX's network ops: Gemm, Softmax and LogSoftmax, 2-D Conv and
pooling, BatchNormalization (inference) and LayerNormalization, each as the lecture's
composites or a few primitive boxes."""
from __future__ import annotations

from typing import Any

import numpy as np
from onnx import NodeProto

from .. import ops
from ..core.box import Box
from ..nn.conv import conv2d, max_pool2d
from ..nn.functions import log_softmax, softmax
from .reader import Reader, Value, imports


@imports("Gemm")
def _gemm(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    """alpha A' B' + beta C, A' = A^T when transA, B' = B^T when transB"""
    a, b = inputs[:2]
    if r.attribute("transA", 0):
        a = ops.Transpose(a)
    if r.attribute("transB", 0):
        b = ops.Transpose(b)
    y: Box = ops.MatMul(a, b)
    alpha, beta = float(r.attribute("alpha", 1.0)), float(r.attribute("beta", 1.0))
    if alpha != 1:
        y = ops.Mul(y, alpha)
    if len(inputs) > 2 and inputs[2] is not None:
        c = inputs[2] if beta == 1 else ops.Mul(inputs[2], beta)
        y = ops.Add(y, c)
    return y


@imports("Softmax", "LogSoftmax")
def _softmax(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    rank = r.rank(node.input[0])
    axis = int(r.attribute("axis", -1 if r.opset >= 13 else 1)) % max(rank, 1)
    if r.opset < 13 and axis != rank - 1:
        raise r.refuse(f"before opset 13, {node.op_type} flattens the axes from {axis} on; "
                       "only the last axis is read.")
    function = softmax if node.op_type == "Softmax" else log_softmax
    return function(inputs[0], axis=axis)


def _spatial(r: Reader, node: NodeProto, inputs: list[Value], kernel: tuple[int, int]
             ) -> tuple[tuple[int, int], tuple[tuple[int, int], tuple[int, int]]]:
    """(strides, ((top, bottom), (left, right)) pads) of a 2-D Conv or pooling node."""
    r.only(auto_pad="NOTSET", ceil_mode=0)
    if r.rank(node.input[0]) != 4:
        raise r.refuse(f"only 2-D {node.op_type} (inputs of shape (N, C, H, W)) is read.")
    dilations = r.attribute("dilations")
    if dilations is not None and any(d != 1 for d in dilations):
        raise r.refuse(f"dilations {list(dilations)} are not supported (only 1).")
    strides = tuple(r.attribute("strides", [1, 1]))
    pads = list(r.attribute("pads", [0, 0, 0, 0]))
    return (int(strides[0]), int(strides[1])), ((pads[0], pads[2]), (pads[1], pads[3]))


def _padded(x: Box, pads: tuple[tuple[int, int], tuple[int, int]], value: float) -> Box:
    return ops.Pad(x, value, pad_width=((0, 0), (0, 0)) + pads)


@imports("Conv")
def _conv(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    """conv2d; asymmetric pads as a Pad box before it"""
    r.only(group=1)
    weights = inputs[1]
    kernel_shape: Any = r.attribute("kernel_shape") or r.shape(node.input[1])[2:]
    kernel = (int(kernel_shape[0]), int(kernel_shape[1]))
    strides, pads = _spatial(r, node, inputs, kernel)
    x = inputs[0]
    if pads[0][0] != pads[0][1] or pads[1][0] != pads[1][1]:
        x, padding = _padded(x, pads, 0.0), (0, 0)
    else:
        padding = (pads[0][0], pads[1][0])
    bias = inputs[2] if len(inputs) > 2 else None
    return conv2d(x, weights, bias, stride=strides, padding=padding, kernel_size=kernel,
                  name=node.output[0])


@imports("MaxPool")
def _max_pool(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    """max_pool2d; pads beyond half the kernel or asymmetric as a -inf Pad before it"""
    r.only(storage_order=0)
    if len(node.output) > 1 and node.output[1]:
        raise r.refuse("its Indices output is not supported.")
    kernel_shape = r.attribute("kernel_shape")
    kernel = (int(kernel_shape[0]), int(kernel_shape[1]))
    strides, pads = _spatial(r, node, inputs, kernel)
    x = inputs[0]
    symmetric = pads[0][0] == pads[0][1] and pads[1][0] == pads[1][1]
    if symmetric and 2 * pads[0][0] <= kernel[0] and 2 * pads[1][0] <= kernel[1]:
        padding: Any = (pads[0][0], pads[1][0])
    else:
        x, padding = _padded(x, pads, -np.inf), 0
    return max_pool2d(x, kernel, stride=strides, padding=padding, name=node.output[0])


@imports("AveragePool")
def _average_pool(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    """the mean of each window: the windows' strided views stacked and averaged (zero
    padding counted in the mean, as count_include_pad=1; pads with count_include_pad=0
    are not read)"""
    kernel_shape = r.attribute("kernel_shape")
    kh, kw = int(kernel_shape[0]), int(kernel_shape[1])
    (sh, sw), pads = _spatial(r, node, inputs, (kh, kw))
    x = inputs[0]
    if any(any(pair) for pair in pads):
        if not r.attribute("count_include_pad", 0):
            raise r.refuse("pads with count_include_pad=0 are not supported.")
        x = _padded(x, pads, 0.0)
    channels_last = ops.Transpose(x, axes=(0, 2, 3, 1))

    def window(offset: int, size: int, stride: int) -> slice:
        return slice(offset, -(size - 1 - offset) or None, stride)

    views = [ops.GetItem(channels_last, (slice(None), window(u, kh, sh), window(v, kw, sw)))
             for u in range(kh) for v in range(kw)]
    pooled = ops.Mean(ops.Stack(*views, axis=0), axis=0)
    return ops.Transpose(pooled, axes=(0, 3, 1, 2))


@imports("GlobalAveragePool", "GlobalMaxPool")
def _global_pool(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    axes = tuple(range(2, r.rank(node.input[0])))
    reduce = ops.Mean if node.op_type == "GlobalAveragePool" else ops.Max
    return reduce(inputs[0], axis=axes, keepdims=True)


@imports("BatchNormalization")
def _batch_norm(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    """(x - mean) / sqrt(var + eps) * scale + B per channel (axis 1), with the model's
    statistics (inference)"""
    r.only(training_mode=0, spatial=1)
    if any(node.output[1:]):
        raise r.refuse("its running-statistics outputs (training) are not supported.")
    x, scale, bias, mean, var = inputs
    eps = float(r.attribute("epsilon", 1e-5))
    channels_last = ops.MoveAxis(x, 1, -1)
    factor = ops.Mul(scale, ops.Div(1, ops.Sqrt(ops.Add(var, eps))))
    y = ops.Add(ops.Mul(ops.Sub(channels_last, mean), factor), bias)
    return ops.MoveAxis(y, -1, 1)


@imports("LayerNormalization")
def _layer_norm(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    """(x - mean) / sqrt(var + eps) * scale + B over the axes from ``axis`` on"""
    if any(node.output[1:]):
        raise r.refuse("its Mean and InvStdDev outputs are not supported.")
    rank = r.rank(node.input[0])
    axes = tuple(range(int(r.attribute("axis", -1)) % rank, rank))
    eps = float(r.attribute("epsilon", 1e-5))
    x, scale = inputs[:2]
    centered = ops.Sub(x, ops.Mean(x, axis=axes, keepdims=True))
    var = ops.Mean(ops.Square(centered), axis=axes, keepdims=True)
    y: Box = ops.Mul(ops.Div(centered, ops.Sqrt(ops.Add(var, eps))), scale)
    if len(inputs) > 2 and inputs[2] is not None:
        y = ops.Add(y, inputs[2])
    return y
