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
    l1_penalty,
    l2_penalty,
    linear,
    log_softmax,
    mean_squared_error,
    softmax,
    softmax_cross_entropy,
)
from .gradcheck import GradcheckReport, gradcheck
from .gradients import grad, hvp, jvp
from .graph import FlowGraph
from .hessian import hessian
from .numpy_api import (
    abs,
    add,
    array,
    array_split,
    concatenate,
    divide,
    dot,
    einsum,
    equal,
    exp,
    greater,
    greater_equal,
    identity,
    less,
    less_equal,
    log,
    logsumexp,
    matmul,
    maximum,
    mean,
    minimum,
    multiply,
    negative,
    not_equal,
    outer,
    pick,
    power,
    relu,
    reshape,
    sigmoid,
    sign,
    split,
    square,
    stack,
    stop_gradient,
    subtract,
    sum,
    tanh,
    tensordot,
    transpose,
    where,
)

__version__ = "0.1.0"

__all__ = [
    "Box", "Input", "Parameter", "Constant", "Scope", "as_box", "composite", "scope",
    "FlowGraph", "unbroadcast", "gradcheck", "GradcheckReport",
    "FlowGraphError", "FeedError", "BoxError", "LabelError", "CycleError",
    "NonFiniteError", "GradientCheckError", "hessian", "grad", "hvp", "jvp",
    # the numpy surface: one function per primitive box (autograd_flow.numpy_api)
    "exp", "log", "tanh", "sigmoid", "relu", "identity", "square", "abs", "negative",
    "sign", "stop_gradient", "add", "subtract", "multiply", "divide", "maximum", "minimum",
    "power", "where",
    "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
    "sum", "mean", "logsumexp", "matmul", "pick", "reshape", "transpose",
    # indexing, joins and linear algebra (issue 15)
    "array", "concatenate", "stack", "split", "array_split", "dot", "outer", "tensordot",
    "einsum",
    # composites (autograd_flow.functions)
    "linear", "softmax", "log_softmax", "softmax_cross_entropy", "mean_squared_error",
    "l1_penalty", "l2_penalty",
]

_SUBMODULES = ("nn", "optim", "train", "data", "io", "select", "viz", "testing", "fused", "ops")


def __getattr__(name: str) -> Any:
    """``af.nn``, ``af.viz``, ...: import a sub-module the first time it is used."""
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'autograd_flow' has no attribute {name!r}")
