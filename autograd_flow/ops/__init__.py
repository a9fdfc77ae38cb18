"""The primitive boxes: the only boxes that define a bprop. Everything else in
autograd_flow is composed from them."""
from .arithmetic import Add, Div, Maximum, Mul, Pow, Sub
from .elementwise import Abs, Exp, Identity, Log, Neg, Relu, Sigmoid, Square, Tanh
from .linalg import MatMul
from .reduce import LogSumExp, Mean, Sum
from .shape import Pick, Reshape, Transpose

PRIMITIVES = (Add, Sub, Mul, Div, Pow, Maximum, Abs, Exp, Identity, Log, Neg, Relu,
              Sigmoid, Square, Tanh, MatMul, LogSumExp, Mean, Sum, Pick, Reshape, Transpose)

__all__ = [cls.__name__ for cls in PRIMITIVES] + ["PRIMITIVES"]
