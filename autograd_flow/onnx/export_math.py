"""Export rules of the elementwise primitives (one input and two), the trigonometric
ones and the comparisons. Where ONNX has no op of the same name, the rule writes the
formula numpy computes with ONNX ops, to numpy's accuracy (``log1p`` as
``a log(u) / (u - 1)``, u = 1 + a, which keeps its accuracy near 0; ``mod`` from C's
fmod with numpy's sign correction)."""
from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..core.box import Box
from .writer import Writer, is_weak, rule

UNARY = {
    ops.Exp: "Exp", ops.Log: "Log", ops.Tanh: "Tanh", ops.Sigmoid: "Sigmoid",
    ops.Relu: "Relu", ops.Identity: "Identity", ops.Abs: "Abs", ops.Neg: "Neg",
    ops.Sign: "Sign", ops.Sqrt: "Sqrt", ops.Floor: "Floor", ops.Ceil: "Ceil",
    ops.Sin: "Sin", ops.Cos: "Cos", ops.Tan: "Tan", ops.Arcsin: "Asin", ops.Arccos: "Acos",
    ops.Arctan: "Atan", ops.Sinh: "Sinh", ops.Cosh: "Cosh", ops.Arcsinh: "Asinh",
    ops.Arccosh: "Acosh", ops.Arctanh: "Atanh", ops.StopGradient: "Identity",
}
BINARY = {ops.Add: "Add", ops.Sub: "Sub", ops.Mul: "Mul", ops.Div: "Div",
          ops.Maximum: "Max", ops.Minimum: "Min", ops.Power: "Pow"}
COMPARE = {ops.Greater: "Greater", ops.GreaterEqual: "GreaterOrEqual", ops.Less: "Less",
           ops.LessEqual: "LessOrEqual", ops.Equal: "Equal"}


@rule(*UNARY)
def _unary(w: Writer, box: Box) -> str:
    return w.op(UNARY[type(box)], *w.same(box))


@rule(*BINARY)
def _binary(w: Writer, box: Box) -> str:
    return w.op(BINARY[type(box)], *w.same(box))


@rule(*COMPARE)
def _compare(w: Writer, box: Box) -> str:
    return w.op(COMPARE[type(box)], *w.promoted(box))


@rule(ops.NotEqual)
def _not_equal(w: Writer, box: Box) -> str:
    return w.op("Not", w.op("Equal", *w.promoted(box)))


@rule(ops.Square)
def _square(w: Writer, box: Box) -> str:
    a = w.input(box, 0, w.dtype(box))
    return w.op("Mul", a, a)


@rule(ops.Pow)
def _pow(w: Writer, box: Box) -> str:
    return w.op("Pow", w.input(box, 0, w.dtype(box)), w.scalar(box.exponent, box))


@rule(ops.Cbrt)
def _cbrt(w: Writer, box: Box) -> str:
    """sign(a) |a|**(1/3)"""
    a = w.input(box, 0, w.dtype(box))
    root = w.op("Pow", w.op("Abs", a), w.scalar(1 / 3, box))
    return w.op("Mul", w.op("Sign", a), root)


def log1p(w: Writer, a: str, box: Box) -> str:
    """log(1 + a) to full accuracy near 0: a where 1 + a rounds to 1, else
    a log(u) / (u - 1) with u = 1 + a (Goldberg's formula: the rounding of u cancels)."""
    one = w.scalar(1, box)
    u = w.op("Add", one, a)
    step = w.op("Sub", u, one)
    ratio = w.op("Div", w.op("Mul", a, w.op("Log", u)), step)
    return w.op("Where", w.op("Equal", step, w.scalar(0, box)), a, ratio)


@rule(ops.Log1p)
def _log1p(w: Writer, box: Box) -> str:
    return log1p(w, w.input(box, 0, w.dtype(box)), box)


@rule(ops.Expm1)
def _expm1(w: Writer, box: Box) -> str:
    """exp(a) - 1 to full accuracy near 0 (Kahan): a where exp(a) rounds to 1, -1 where
    exp(a) - 1 does, exp(a) where it is infinite, else (u - 1) a / log(u), u = exp(a)."""
    a = w.input(box, 0, w.dtype(box))
    u = w.op("Exp", a)
    step = w.op("Sub", u, w.scalar(1, box))
    ratio = w.op("Div", w.op("Mul", step, a), w.op("Log", u))
    inner = w.op("Where", w.op("Equal", step, w.scalar(-1, box)), step, ratio)
    inner = w.op("Where", w.op("IsInf", u), u, inner)
    return w.op("Where", w.op("Equal", step, w.scalar(0, box)), a, inner)


@rule(ops.Log2, ops.Log10)
def _log_base(w: Writer, box: Box) -> str:
    base = 2 if isinstance(box, ops.Log2) else 10
    return w.op("Div", w.op("Log", w.input(box, 0, w.dtype(box))),
                w.scalar(math.log(base), box))


@rule(ops.Exp2)
def _exp2(w: Writer, box: Box) -> str:
    return w.op("Pow", w.scalar(2, box), w.input(box, 0, w.dtype(box)))


def _log1p_exp_minus_abs(w: Writer, a: str, box: Box) -> str:
    """log(1 + exp(-|a|)), accurate for large |a|."""
    return log1p(w, w.op("Exp", w.op("Neg", w.op("Abs", a))), box)


@rule(ops.Softplus)
def _softplus(w: Writer, box: Box) -> str:
    """max(a, 0) + log1p(exp(-|a|)), as the box computes it"""
    a = w.input(box, 0, w.dtype(box))
    return w.op("Add", w.op("Max", a, w.scalar(0, box)), _log1p_exp_minus_abs(w, a, box))


@rule(ops.LogSigmoid)
def _log_sigmoid(w: Writer, box: Box) -> str:
    """min(a, 0) - log1p(exp(-|a|)), as the box computes it"""
    a = w.input(box, 0, w.dtype(box))
    return w.op("Sub", w.op("Min", a, w.scalar(0, box)), _log1p_exp_minus_abs(w, a, box))


@rule(ops.Round)
def _round(w: Writer, box: Box) -> str:
    """numpy's rounding to ``decimals`` places: round(a * 10**d) / 10**d (a / 10**-d and
    back for negative d), halves to even."""
    a = w.input(box, 0, w.dtype(box))
    if box.decimals == 0:
        return w.op("Round", a)
    scale = w.scalar(10.0 ** abs(box.decimals), box)
    there, back = ("Mul", "Div") if box.decimals > 0 else ("Div", "Mul")
    return w.op(back, w.op("Round", w.op(there, a, scale)), scale)


@rule(ops.NanToNum)
def _nan_to_num(w: Writer, box: Box) -> str:
    a = w.input(box, 0, w.dtype(box))
    info = np.finfo(w.dtype(box))
    posinf = info.max if box.posinf is None else box.posinf
    neginf = info.min if box.neginf is None else box.neginf
    y = w.op("Where", w.op("IsInf", a, detect_negative=0), w.scalar(posinf, box), a)
    y = w.op("Where", w.op("IsInf", a, detect_positive=0), w.scalar(neginf, box), y)
    return w.op("Where", w.op("IsNaN", a), w.scalar(box.nan, box), y)


@rule(ops.Where)
def _where(w: Writer, box: Box) -> str:
    condition = w.input(box, 0, np.bool_)
    return w.op("Where", condition, w.input(box, 1, w.dtype(box)),
                w.input(box, 2, w.dtype(box)))


@rule(ops.Arctan2)
def _arctan2(w: Writer, box: Box) -> str:
    """atan(a / b), plus pi (a >= 0) or minus pi (a < 0) where b < 0; +-pi/2 where b = 0
    (0 at a = b = 0)"""
    a, b = w.same(box)
    zero = w.scalar(0, box)
    angle = w.op("Atan", w.op("Div", a, b))
    half_turn = w.op("Where", w.op("Less", a, zero), w.scalar(-math.pi, box),
                     w.scalar(math.pi, box))
    left = w.op("Add", angle, half_turn)
    upright = w.op("Mul", w.op("Sign", a), w.scalar(math.pi / 2, box))
    angle = w.op("Where", w.op("Less", b, zero), left, angle)
    return w.op("Where", w.op("Equal", b, zero), upright, angle)


@rule(ops.Hypot)
def _hypot(w: Writer, box: Box) -> str:
    a, b = w.same(box)
    return w.op("Sqrt", w.op("Add", w.op("Mul", a, a), w.op("Mul", b, b)))


@rule(ops.Logaddexp)
def _logaddexp(w: Writer, box: Box) -> str:
    """max(a, b) + log1p(exp(-|a - b|))"""
    a, b = w.same(box)
    return w.op("Add", w.op("Max", a, b),
                _log1p_exp_minus_abs(w, w.op("Sub", a, b), box))


@rule(ops.Fmax, ops.Fmin)
def _nan_ignoring(w: Writer, box: Box) -> str:
    a, b = w.same(box)
    both = w.op("Max" if isinstance(box, ops.Fmax) else "Min", a, b)
    return w.op("Where", w.op("IsNaN", b), a, w.op("Where", w.op("IsNaN", a), b, both))


@rule(ops.Mod)
def _mod(w: Writer, box: Box) -> str:
    """numpy's remainder: r = fmod(a, b), plus b where r != 0 and r's sign is not b's"""
    a, b = w.same(box)
    zero = w.scalar(0, box)
    r = w.op("Mod", a, b, fmod=1)
    signs_differ = w.op("Xor", w.op("Less", b, zero), w.op("Less", r, zero))
    fix = w.op("And", w.op("Not", w.op("Equal", r, zero)), signs_differ)
    return w.op("Where", fix, w.op("Add", r, b), r)


@rule(ops.Clip)
def _clip(w: Writer, box: Box) -> str:
    """min(max(a, a_min), a_max), as np.clip (a bound is a setting or an input)"""
    a = y = w.input(box, 0, w.dtype(box))
    inputs = {setting: k + 1 for k, setting in enumerate(box.bound_inputs)}
    for setting, op in (("a_min", "Max"), ("a_max", "Min")):
        if setting in inputs:
            y = w.op(op, y, w.input(box, inputs[setting], w.dtype(box)))
        elif getattr(box, setting) is not None:
            y = w.op(op, y, w.constant(getattr(box, setting), w.dtype(box)))
    return w.op("Identity", a) if y == a else y


@rule(ops.Sinc)
def _sinc(w: Writer, box: Box) -> str:
    """numpy's sinc: y = pi * (a, with 1e-20 for 0), sin(y) / y"""
    a = w.input(box, 0, w.dtype(box))
    safe = w.op("Where", w.op("Equal", a, w.scalar(0, box)), w.scalar(1e-20, box), a)
    y = w.op("Mul", w.scalar(math.pi, box), safe)
    return w.op("Div", w.op("Sin", y), y)


@rule(ops.Deg2rad, ops.Rad2deg)
def _degrees(w: Writer, box: Box) -> str:
    factor = math.pi / 180 if isinstance(box, ops.Deg2rad) else 180 / math.pi
    return w.op("Mul", w.input(box, 0, w.dtype(box)), w.scalar(factor, box))


@rule(ops.Fmod)
def _fmod(w: Writer, box: Box) -> str:
    return w.op("Mod", *w.same(box), fmod=1)


@rule(ops.FloorDivide)
def _floor_divide(w: Writer, box: Box) -> str:
    """numpy's floor division of floats (npy_divmod): d = (a - fmod(a, b)) / b, less 1
    where the remainder's sign is not b's, then floor(d) (plus 1 where d is more than
    0.5 above it); a / b where b = 0; integers: Div (which truncates) less 1 where the
    remainder is not 0 and its sign is not b's."""
    a, b = w.same(box)
    zero = w.scalar(0, box)
    r = w.op("Mod", a, b, fmod=int(w.dtype(box).kind == "f"))
    off = w.op("And", w.op("Not", w.op("Equal", r, zero)),
               w.op("Xor", w.op("Less", b, zero), w.op("Less", r, zero)))
    one = w.scalar(1, box)
    if w.dtype(box).kind != "f":
        q = w.op("Div", w.op("Sub", a, r), b)
        return w.op("Where", off, w.op("Sub", q, one), q)
    d = w.op("Div", w.op("Sub", a, r), b)
    d = w.op("Where", off, w.op("Sub", d, one), d)
    floor = w.op("Floor", d)
    floor = w.op("Where", w.op("Greater", w.op("Sub", d, floor), w.scalar(0.5, box)),
                 w.op("Add", floor, one), floor)
    quotient = w.op("Div", a, b)
    floor = w.op("Where", w.op("Equal", d, zero), w.op("Mul", quotient, zero), floor)
    return w.op("Where", w.op("Equal", b, zero), quotient, floor)


@rule(ops.Trunc)
def _trunc(w: Writer, box: Box) -> str:
    a = w.input(box, 0, w.dtype(box))
    return w.op("Where", w.op("Less", a, w.scalar(0, box)), w.op("Ceil", a), w.op("Floor", a))


@rule(ops.Copysign)
def _copysign(w: Writer, box: Box) -> str:
    """|a|, negated where b is negative or -0.0 (1 / b = -inf); ONNX cannot read a NaN's
    sign bit, so a NaN b counts as positive"""
    a, b = w.same(box)
    zero = w.scalar(0, box)
    negative = w.op("Or", w.op("Less", b, zero),
                    w.op("Less", w.op("Div", w.scalar(1, box), b), zero))
    size = w.op("Abs", a)
    return w.op("Where", negative, w.op("Neg", size), size)


@rule(ops.Logaddexp2)
def _logaddexp2(w: Writer, box: Box) -> str:
    """numpy's: a + 1 where a = b, else max(a, b) + log1p(2**-|a - b|) / log(2)"""
    a, b = w.same(box)
    gap = w.op("Pow", w.scalar(2, box), w.op("Neg", w.op("Abs", w.op("Sub", a, b))))
    y = w.op("Add", w.op("Max", a, b),
             w.op("Div", log1p(w, gap, box), w.scalar(math.log(2), box)))
    return w.op("Where", w.op("Equal", a, b), w.op("Add", a, w.scalar(1, box)), y)


@rule(ops.Erf)
def _erf(w: Writer, box: Box) -> str:
    return w.op("Erf", w.input(box, 0, w.dtype(box)))


@rule(ops.Logit)
def _logit(w: Writer, box: Box) -> str:
    """log(a / (1 - a))"""
    a = w.input(box, 0, w.dtype(box))
    return w.op("Log", w.op("Div", a, w.op("Sub", w.scalar(1, box), a)))


@rule(ops.IsNan)
def _isnan(w: Writer, box: Box) -> str:
    return w.op("IsNaN", w.input(box, 0))


@rule(ops.Reciprocal)
def _reciprocal(w: Writer, box: Box) -> str:
    if w.dtype(box).kind != "f":
        raise w.refuse(box, "ONNX's Reciprocal is for floats, and numpy's integer 1 / a "
                            "(undefined at 0) has no exact ONNX form; take the reciprocal of "
                            "a float array.")
    return w.op("Reciprocal", w.input(box, 0, w.dtype(box)))


@rule(ops.Entr)
def _entr(w: Writer, box: Box) -> str:
    """-a log(a) for a > 0, 0 at a = 0, -inf for a < 0 (NaN stays), as SciPy"""
    a = w.input(box, 0, w.dtype(box))
    zero = w.scalar(0, box)
    y = w.op("Mul", w.op("Neg", a), w.op("Log", a))
    y = w.op("Where", w.op("Less", a, zero), w.scalar(-np.inf, box), y)
    return w.op("Where", w.op("Equal", a, zero), zero, y)


@rule(ops.Heaviside)
def _heaviside(w: Writer, box: Box) -> str:
    """b where a = 0, 1 where a > 0, 0 where a < 0, a (NaN) elsewhere, as numpy"""
    a, b = w.same(box)
    zero = w.scalar(0, box)
    y = w.op("Where", w.op("Less", a, zero), zero, a)
    y = w.op("Where", w.op("Greater", a, zero), w.scalar(1, box), y)
    return w.op("Where", w.op("Equal", a, zero), b, y)


@rule(ops.Angle)
def _angle(w: Writer, box: Box) -> str:
    """numpy's arctan2(0, a): pi (180 with deg) where a < 0 or a is -0.0 (1 / a = -inf),
    0 where a >= 0, NaN at NaN"""
    a = w.input(box, 0, w.dtype(box))
    zero = w.scalar(0, box)
    negative = w.op("Or", w.op("Less", a, zero),
                    w.op("Less", w.op("Div", w.scalar(1, box), a), zero))
    half_turn = np.angle(np.array(-1, w.dtype(box)), deg=box.deg)  # numpy's rounding
    y = w.op("Where", negative, w.constant(half_turn, w.dtype(box)), zero)
    return w.op("Where", w.op("IsNaN", a), a, y)


def truth(w: Writer, box: Box, position: int) -> str:
    """Input ``position`` of ``box`` as booleans: itself if boolean, else a != 0 (NaN is
    true, as in numpy)."""
    a = w.input(box, position)
    dtype = w.dtype(box.inputs[position])
    if dtype == np.bool_:
        return a
    return w.op("Not", w.op("Equal", a, w.constant(0, dtype)))


def everywhere(w: Writer, value: bool, like: str) -> str:
    """``value`` in the shape of ``like``."""
    return w.op("Expand", w.constant(value), w.op("Shape", like))


CONNECTIVES = {ops.LogicalAnd: "And", ops.LogicalOr: "Or", ops.LogicalXor: "Xor"}


@rule(*CONNECTIVES)
def _connective(w: Writer, box: Box) -> str:
    return w.op(CONNECTIVES[type(box)], truth(w, box, 0), truth(w, box, 1))


@rule(ops.LogicalNot)
def _logical_not(w: Writer, box: Box) -> str:
    return w.op("Not", truth(w, box, 0))


INFINITIES = {ops.IsInf: {}, ops.IsPosInf: {"detect_negative": 0},
              ops.IsNegInf: {"detect_positive": 0}}


@rule(*INFINITIES)
def _isinf(w: Writer, box: Box) -> str:
    """IsInf (of one sign for isposinf, isneginf); false everywhere for integers"""
    a = w.input(box, 0)
    if w.dtype(box.inputs[0]).kind != "f":
        return everywhere(w, False, a)
    return w.op("IsInf", a, **INFINITIES[type(box)])


@rule(ops.IsFinite)
def _isfinite(w: Writer, box: Box) -> str:
    """neither IsNaN nor IsInf; true everywhere for integers"""
    a = w.input(box, 0)
    if w.dtype(box.inputs[0]).kind != "f":
        return everywhere(w, True, a)
    return w.op("Not", w.op("Or", w.op("IsNaN", a), w.op("IsInf", a)))


@rule(ops.IsReal)
def _isreal(w: Writer, box: Box) -> str:
    """true everywhere (complex values never enter a graph)"""
    return everywhere(w, True, w.input(box, 0))


def isclose(w: Writer, box: Box) -> str:
    """numpy's isclose of ``box``'s inputs: |a - b| <= atol + rtol |b| where b is finite,
    or a = b (or both NaN with equal_nan), in the float dtype numpy computes it in."""
    common = np.result_type(*(w.sample(i) for i in box.inputs), 1.0)
    a, b = w.inputs(box, common)
    y = w.sample(box.inputs[1])
    if is_weak(y):  # a Python number: numpy computes its bound as a Python float
        bound = w.constant(box.atol + box.rtol * abs(float(y)), common)
        finite = w.constant(math.isfinite(y))
    else:
        bound = w.op("Add", w.constant(box.atol, common),
                     w.op("Mul", w.constant(box.rtol, common), w.op("Abs", b)))
        finite = w.op("Not", w.op("Or", w.op("IsNaN", b), w.op("IsInf", b)))
    near = w.op("LessOrEqual", w.op("Abs", w.op("Sub", a, b)), bound)
    close = w.op("Or", w.op("And", near, finite), w.op("Equal", a, b))
    if box.equal_nan:
        close = w.op("Or", close, w.op("And", w.op("IsNaN", a), w.op("IsNaN", b)))
    return close


@rule(ops.IsClose)
def _isclose(w: Writer, box: Box) -> str:
    return isclose(w, box)
