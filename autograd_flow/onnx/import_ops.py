"""Import rules of ONNX's elementwise, product and reduction ops: each node as the
primitive boxes that compute it (the shape and constant ops are in :mod:`.import_shape`,
the network ops, Conv, pooling, normalization, Gemm and softmax, in :mod:`.import_nn`)."""
from __future__ import annotations

from typing import Any

import numpy as np
from onnx import NodeProto

from .. import ops
from ..core.box import Box, Constant
from .reader import Reader, Value, imports

UNARY = {
    "Exp": ops.Exp, "Log": ops.Log, "Tanh": ops.Tanh, "Sigmoid": ops.Sigmoid,
    "Relu": ops.Relu, "Identity": ops.Identity, "Abs": ops.Abs, "Neg": ops.Neg,
    "Sign": ops.Sign, "Sqrt": ops.Sqrt, "Floor": ops.Floor, "Ceil": ops.Ceil,
    "Round": ops.Round, "Sin": ops.Sin, "Cos": ops.Cos, "Tan": ops.Tan, "Asin": ops.Arcsin,
    "Acos": ops.Arccos, "Atan": ops.Arctan, "Sinh": ops.Sinh, "Cosh": ops.Cosh,
    "Asinh": ops.Arcsinh, "Acosh": ops.Arccosh, "Atanh": ops.Arctanh,
    "Softplus": ops.Softplus,
}
BINARY = {"Add": ops.Add, "Sub": ops.Sub, "Mul": ops.Mul, "Equal": ops.Equal,
          "Greater": ops.Greater, "GreaterOrEqual": ops.GreaterEqual, "Less": ops.Less,
          "LessOrEqual": ops.LessEqual}
REDUCE = {"ReduceSum": ops.Sum, "ReduceMean": ops.Mean, "ReduceMax": ops.Max,
          "ReduceMin": ops.Min, "ReduceProd": ops.Prod, "ReduceLogSumExp": ops.LogSumExp}


@imports(*UNARY)
def _unary(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    return UNARY[node.op_type](inputs[0])


@imports(*BINARY)
def _binary(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    return BINARY[node.op_type](*inputs)


@imports("Div")
def _div(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    """a / b; integers divide truncating toward 0, as ONNX: constants only (the shape
    arithmetic exporters write), computed now"""
    a, b = inputs
    if not r.is_integer(node.input[0]):
        return ops.Div(a, b)
    if not all(isinstance(v, Constant) for v in inputs):
        raise r.refuse("it divides integers computed by the graph; only constant integers "
                       "(shape arithmetic) are divided.")
    quotient = np.trunc(np.asarray(a.value) / np.asarray(b.value))
    return Constant(quotient.astype(np.result_type(a.value)))


@imports("Pow")
def _pow(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    """a ** p: a Pow box for a constant number p, Power for a computed one"""
    base, exponent = inputs
    if isinstance(exponent, Constant) and np.size(exponent.value) == 1:
        return ops.Pow(base, exponent=np.asarray(exponent.value).item())
    return ops.Power(base, exponent)


@imports("Max", "Min", "Sum", "Mean")
def _variadic(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    """the inputs combined pairwise (with numpy's broadcasting); Mean divides by n"""
    combine = {"Max": ops.Maximum, "Min": ops.Minimum}.get(node.op_type, ops.Add)
    total = inputs[0]
    for other in inputs[1:]:
        total = combine(total, other)
    if node.op_type == "Mean":
        return ops.Div(total, len(inputs))
    return total if len(inputs) > 1 else ops.Identity(total)


@imports("Reciprocal")
def _reciprocal(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    return ops.Div(1, inputs[0])


@imports("LeakyRelu")
def _leaky_relu(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    x = inputs[0]
    return ops.Where(ops.Greater(x, 0), x, ops.Mul(x, float(r.attribute("alpha", 0.01))))


@imports("HardSigmoid")
def _hard_sigmoid(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    scaled = ops.Add(ops.Mul(inputs[0], float(r.attribute("alpha", 0.2))),
                     float(r.attribute("beta", 0.5)))
    return ops.Clip(scaled, 0.0, 1.0)


@imports("IsNaN")
def _is_nan(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    return ops.NotEqual(inputs[0], inputs[0])


@imports("IsInf")
def _is_inf(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    x = inputs[0]
    positive, negative = r.attribute("detect_positive", 1), r.attribute("detect_negative", 1)
    if positive and negative:
        return ops.Equal(ops.Abs(x), np.inf)
    return ops.Equal(x, np.inf if positive else -np.inf)


@imports("Not")
def _not(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    return ops.Equal(inputs[0], False)


@imports("And", "Or", "Xor")
def _logical(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    """on booleans: and = minimum, or = maximum, xor = not equal"""
    combine = {"And": ops.Minimum, "Or": ops.Maximum, "Xor": ops.NotEqual}[node.op_type]
    return combine(*inputs)


@imports("Where")
def _where(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    return ops.Where(*inputs)


@imports("Clip")
def _clip(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    if r.opset < 11:
        low, high = r.attribute("min"), r.attribute("max")
    else:
        low, high = (None if (v := r.optional(inputs, k, what)) is None else v.item()
                     for k, what in ((1, "min"), (2, "max")))
    return ops.Clip(inputs[0], a_min=low, a_max=high)


@imports("MatMul")
def _matmul(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    return ops.MatMul(*inputs)


@imports("Einsum")
def _einsum(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    return ops.Einsum(*inputs, subscripts=r.attribute("equation"))


# -- reductions ---------------------------------------------------------------------------

def _reduce_axes(r: Reader, node: NodeProto, inputs: list[Value]) -> tuple[Any, bool]:
    """(axis for the box: a tuple, or None for all; keepdims)."""
    new_style = r.opset >= (13 if node.op_type == "ReduceSum" else 18)
    axes = r.axes(inputs, 1) if new_style else r.attribute("axes")
    keepdims = bool(r.attribute("keepdims", 1))
    if not axes:
        return ("noop" if r.attribute("noop_with_empty_axes", 0) else None), keepdims
    return tuple(int(a) for a in axes), keepdims


@imports(*REDUCE)
def _reduce(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    axis, keepdims = _reduce_axes(r, node, inputs)
    if axis == "noop":
        return ops.Identity(inputs[0])
    return REDUCE[node.op_type](inputs[0], axis=axis, keepdims=keepdims)


@imports("ReduceSumSquare", "ReduceL1", "ReduceL2")
def _reduce_norm(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    axis, keepdims = _reduce_axes(r, node, inputs)
    x = inputs[0]
    terms = ops.Abs(x) if node.op_type == "ReduceL1" else ops.Square(x)
    total = terms if axis == "noop" else ops.Sum(terms, axis=axis, keepdims=keepdims)
    return ops.Sqrt(total) if node.op_type == "ReduceL2" else total


@imports("CumSum")
def _cumsum(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    x = inputs[0]
    axis = int(np.ravel(r.constant(inputs[1], "axis"))[0])
    running = ops.Cumsum(x, axis=axis, reverse=bool(r.attribute("reverse", 0)))
    return ops.Sub(running, x) if r.attribute("exclusive", 0) else running


@imports("Erf")
def _erf(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    return ops.Erf(inputs[0])


@imports("Mod")
def _mod(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    """fmod=1: C's fmod (the sign of a); fmod=0 (integers): the sign of b, as numpy's mod"""
    return (ops.Fmod if r.attribute("fmod", 0) else ops.Mod)(*inputs)


@imports("Det")
def _det(r: Reader, node: NodeProto, inputs: list[Value]) -> Box:
    return ops.Det(inputs[0])
