"""The primitive boxes: the only boxes that define a bprop. Everything else in
autograd_flow is composed from them.

``PRIMITIVES`` are the boxes of the numpy surface (each has a function in ``af.``);
``PLUMBING`` are the boxes :func:`autograd_flow.grad` builds gradients with.
"""
from .arithmetic import Add, Div, Maximum, Minimum, Mul, Pow, Power, Sub, Where
from .compare import Equal, Greater, GreaterEqual, Less, LessEqual, NotEqual
from .einsum import Einsum
from .elementwise import Abs, Exp, Identity, Log, Neg, Relu, Sigmoid, Sign, Square, Tanh
from .gradient import (
    Adjoint,
    AstypeLike,
    BroadcastLike,
    NumericBprop,
    Seed,
    SeedAs,
    StopGradient,
    SumLike,
    ZerosLike,
)
from .indexing import GetItem
from .join import Concatenate, Split, Stack
from .linalg import Dot, MatMul, Outer, TensorDot
from .reduce import ExpandReduced, LogSumExp, Mean, Sum
from .shape import Pick, Reshape, Transpose

PRIMITIVES = (Add, Sub, Mul, Div, Pow, Maximum, Abs, Exp, Identity, Log, Neg, Relu,
              Sigmoid, Sign, Square, Tanh, MatMul, LogSumExp, Mean, Sum, Pick, Reshape,
              Transpose, Greater, GreaterEqual, Less, LessEqual, Equal, NotEqual, StopGradient,
              Minimum, Power, Where)

# indexing, joins and linear algebra (issue 15)
PRIMITIVES += (GetItem, Concatenate, Stack, Split, Dot, Outer, TensorDot, Einsum)

PLUMBING = (SumLike, BroadcastLike, ZerosLike, AstypeLike, Seed, SeedAs, Adjoint,
            NumericBprop, ExpandReduced)

__all__ = [cls.__name__ for cls in PRIMITIVES + PLUMBING] + ["PRIMITIVES", "PLUMBING"]
