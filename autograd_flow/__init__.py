"""autograd_flow: a flow-graph automatic differentiation engine on numpy.

Build a graph of boxes, run it with :class:`FlowGraph` (fprop in topological order,
bprop in reverse), check gradients with :func:`gradcheck`.

For people writing their own boxes: subclass :class:`Box` (``fprop``/``bprop``), use
:func:`unbroadcast` if needed, and check the box with :func:`gradcheck` or
:func:`autograd_flow.testing.check_box`.

Sub-modules load on first use (``af.nn``, ``af.optim``, ``af.train``, ``af.data``,
``af.io``, ``af.select``, ``af.viz``, ``af.testing``), so the core needs only numpy.
"""
import importlib
import importlib.metadata
from typing import Any

from .box import Box, Constant, Input, Parameter, Scope, as_box, composite, scope
from .broadcast import unbroadcast
from .errors import (
    BoxError,
    CycleError,
    FeedError,
    FlowGraphError,
    GradientCheckError,
    LabelError,
    NonFiniteError,
)
from .functions import (
    binary_cross_entropy_with_logits,
    diff,
    l1_penalty,
    l2_penalty,
    linear,
    log_softmax,
    mean_squared_error,
    softmax,
    softmax_cross_entropy,
    std,
    var,
)
from .gradcheck import GradcheckReport, gradcheck
from .gradients import grad, hvp, jvp
from .graph import FlowGraph
from .hessian import hessian
from .numpy_api import (
    abs,
    add,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    array,
    array_split,
    astype,
    broadcast_to,
    cbrt,
    ceil,
    clip,
    concatenate,
    cos,
    cosh,
    cumprod,
    cumsum,
    deg2rad,
    diag,
    diagonal,
    divide,
    dot,
    einsum,
    equal,
    exp,
    exp2,
    expand_dims,
    expm1,
    fabs,
    flatten,
    flip,
    fliplr,
    flipud,
    floor,
    fmax,
    fmin,
    greater,
    greater_equal,
    hypot,
    identity,
    kron,
    less,
    less_equal,
    log,
    log1p,
    log2,
    log10,
    log_sigmoid,
    logaddexp,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mod,
    moveaxis,
    multiply,
    nan_to_num,
    negative,
    not_equal,
    outer,
    pad,
    pick,
    power,
    prod,
    rad2deg,
    ravel,
    relu,
    remainder,
    repeat,
    reshape,
    roll,
    rot90,
    round,
    sigmoid,
    sign,
    sin,
    sinc,
    sinh,
    softplus,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    stop_gradient,
    subtract,
    sum,
    swapaxes,
    tan,
    tanh,
    tensordot,
    tile,
    trace,
    transpose,
    tril,
    triu,
    vdot,
    where,
)

try:
    __version__ = importlib.metadata.version("autograd_flow")
except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
    __version__ = "0+unknown"

__all__ = [
    # core: boxes, graphs, broadcasting and errors
    "Box", "Input", "Parameter", "Constant", "Scope", "as_box", "composite", "scope",
    "FlowGraph", "unbroadcast",
    "FlowGraphError", "FeedError", "BoxError", "LabelError", "CycleError",
    "NonFiniteError", "GradientCheckError",
    # gradients
    "grad", "jvp", "hvp", "hessian", "gradcheck", "GradcheckReport", "stop_gradient",
    # elementwise (from here to linear algebra: the numpy surface, one function per
    # primitive box, in autograd_flow.numpy_api)
    "exp", "log", "tanh", "sigmoid", "relu", "identity", "square", "abs", "fabs", "negative",
    "sign", "sqrt", "cbrt", "log1p", "expm1", "log2", "log10", "exp2", "softplus",
    "log_sigmoid", "floor", "ceil", "round", "nan_to_num", "clip", "sin", "cos", "tan",
    "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh", "arctanh", "sinc",
    "deg2rad", "rad2deg",
    # arithmetic and comparisons
    "add", "subtract", "multiply", "divide", "power", "mod", "remainder", "maximum",
    "minimum", "fmax", "fmin", "arctan2", "hypot", "logaddexp", "where",
    "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
    # reductions
    "sum", "mean", "logsumexp", "max", "min", "prod", "cumsum", "cumprod",
    # shapes and arrangement
    "reshape", "transpose", "expand_dims", "squeeze", "swapaxes", "moveaxis", "broadcast_to",
    "ravel", "flatten", "astype", "pad", "flip", "fliplr", "flipud", "rot90", "roll", "tile",
    "repeat", "sort", "triu", "tril", "diagonal", "diag",
    # indexing and joins
    "pick", "array", "concatenate", "stack", "split", "array_split",
    # linear algebra
    "matmul", "dot", "vdot", "outer", "tensordot", "einsum", "kron", "trace",
    # composites (autograd_flow.functions)
    "linear", "softmax", "log_softmax", "softmax_cross_entropy", "mean_squared_error",
    "binary_cross_entropy_with_logits",
    "l1_penalty", "l2_penalty", "var", "std", "diff",
]

_SUBMODULES = ("nn", "optim", "train", "data", "io", "select", "viz", "testing", "ops",
               "plan")


def __getattr__(name: str) -> Any:
    """``af.nn``, ``af.viz``, ...: import a sub-module the first time it is used."""
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'autograd_flow' has no attribute {name!r}")
