"""The primitive boxes: the only boxes that define a bprop. Everything else in
autograd_flow is composed from them.

``PRIMITIVES`` are the boxes of the numpy surface (each has a function in ``af.``), by
kind; ``PLUMBING`` are the boxes :func:`autograd_flow.grad` builds gradients with.
"""
from .arithmetic import (
    Add,
    Arctan2,
    Clip,
    Div,
    Fmax,
    Fmin,
    Hypot,
    Logaddexp,
    Maximum,
    Minimum,
    Mod,
    Mul,
    Pow,
    Power,
    Sub,
    Where,
)
from .arrange import Flip, Pad, Repeat, Roll, Rot90, Sort, Tile, Unsort
from .compare import Equal, Greater, GreaterEqual, Less, LessEqual, NotEqual
from .einsum import Einsum
from .elementwise import (
    Abs,
    Cbrt,
    Ceil,
    Exp,
    Exp2,
    Expm1,
    Floor,
    Identity,
    Log,
    Log1p,
    Log2,
    Log10,
    LogSigmoid,
    NanToNum,
    Neg,
    Relu,
    Round,
    Sigmoid,
    Sign,
    Softplus,
    Sqrt,
    Square,
    Tanh,
)
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
from .linalg import Dot, MatMul, Outer, TensorDot, Vdot
from .matrix import Diag, Diagonal, Kron, Tril, Triu
from .reduce import Cumprod, Cumsum, ExpandReduced, LogSumExp, Max, Mean, Min, Prod, Sum
from .shape import (
    Astype,
    BroadcastTo,
    ExpandDims,
    MoveAxis,
    Pick,
    Reshape,
    Squeeze,
    SwapAxes,
    Transpose,
)
from .trig import (
    Arccos,
    Arccosh,
    Arcsin,
    Arcsinh,
    Arctan,
    Arctanh,
    Cos,
    Cosh,
    Deg2rad,
    Rad2deg,
    Sin,
    Sinc,
    Sinh,
    Tan,
)

PRIMITIVES = (
    # arithmetic with broadcasting
    Add, Arctan2, Clip, Div, Fmax, Fmin, Hypot, Logaddexp, Maximum, Minimum, Mod, Mul, Pow,
    Power, Sub, Where,
    # comparisons
    Equal, Greater, GreaterEqual, Less, LessEqual, NotEqual,
    # elementwise functions of one input
    Abs, Cbrt, Ceil, Exp, Exp2, Expm1, Floor, Identity, Log, Log10, Log1p, Log2, LogSigmoid,
    NanToNum, Neg, Relu, Round, Sigmoid, Sign, Softplus, Sqrt, Square, Tanh,
    # trigonometric and hyperbolic functions
    Arccos, Arccosh, Arcsin, Arcsinh, Arctan, Arctanh, Cos, Cosh, Deg2rad, Rad2deg, Sin, Sinc,
    Sinh, Tan,
    # reductions and running sums and products
    Cumprod, Cumsum, LogSumExp, Max, Mean, Min, Prod, Sum,
    # shapes
    Astype, BroadcastTo, ExpandDims, MoveAxis, Pick, Reshape, Squeeze, SwapAxes, Transpose,
    # arrangements: flips, rolls, pads, tiles, repeats, sort
    Flip, Pad, Repeat, Roll, Rot90, Sort, Tile,
    # matrix structure: triangles, diagonals, kron
    Diag, Diagonal, Kron, Tril, Triu,
    # indexing
    GetItem,
    # joins and splits
    Concatenate, Split, Stack,
    # linear algebra
    Dot, MatMul, Outer, TensorDot, Vdot,
    # einsum
    Einsum,
    # stop_gradient
    StopGradient,
)

PLUMBING = (SumLike, BroadcastLike, ZerosLike, AstypeLike, Seed, SeedAs, Adjoint,
            NumericBprop, ExpandReduced, Unsort)

__all__ = [cls.__name__ for cls in PRIMITIVES + PLUMBING] + ["PRIMITIVES", "PLUMBING"]
