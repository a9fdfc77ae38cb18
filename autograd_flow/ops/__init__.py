"""The primitive boxes: the only boxes that define a bprop. Everything else in
autograd_flow is composed from them.

``PRIMITIVES`` are the boxes of the numpy surface (each has a function in ``af.``);
``PLUMBING`` are the boxes :func:`autograd_flow.grad` builds gradients with.
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
from .compare import Equal, Greater, GreaterEqual, Less, LessEqual, NotEqual
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
from .linalg import MatMul
from .reduce import Cumprod, Cumsum, ExpandReduced, LogSumExp, Max, Mean, Min, Prod, Sum
from .shape import Pick, Reshape, Transpose
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

PRIMITIVES = (Add, Sub, Mul, Div, Pow, Maximum, Abs, Exp, Identity, Log, Neg, Relu,
              Sigmoid, Sign, Square, Tanh, MatMul, LogSumExp, Mean, Sum, Pick, Reshape,
              Transpose, Greater, GreaterEqual, Less, LessEqual, Equal, NotEqual, StopGradient,
              Minimum, Power, Where, Max, Min, Prod, Cumsum, Cumprod,
              Sqrt, Cbrt, Log1p, Expm1, Log2, Log10, Exp2, Softplus, LogSigmoid, Floor, Ceil,
              Round, NanToNum,
              Sin, Cos, Tan, Arcsin, Arccos, Arctan, Sinh, Cosh, Arcsinh, Arccosh, Arctanh,
              Sinc, Deg2rad, Rad2deg,
              Arctan2, Hypot, Logaddexp, Fmax, Fmin, Mod, Clip)

PLUMBING = (SumLike, BroadcastLike, ZerosLike, AstypeLike, Seed, SeedAs, Adjoint,
            NumericBprop, ExpandReduced)

# -- shape, arrangement and matrix-structure primitives (issue 15) --------------------------
from .arrange import Flip, Pad, Repeat, Roll, Rot90, Sort, Tile, Unsort  # noqa: E402
from .matrix import Diag, Diagonal, Kron, Tril, Triu  # noqa: E402
from .shape import Astype, BroadcastTo, ExpandDims, MoveAxis, Squeeze, SwapAxes  # noqa: E402

PRIMITIVES += (ExpandDims, Squeeze, SwapAxes, MoveAxis, BroadcastTo, Astype, Flip, Rot90,
               Roll, Tile, Repeat, Pad, Sort, Triu, Tril, Diagonal, Diag, Kron)
PLUMBING += (Unsort,)

__all__ = [cls.__name__ for cls in PRIMITIVES + PLUMBING] + ["PRIMITIVES", "PLUMBING"]
