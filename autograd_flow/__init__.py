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
    abs,
    exp,
    identity,
    l1_penalty,
    l2_penalty,
    linear,
    log,
    log_softmax,
    logsumexp,
    matmul,
    maximum,
    mean,
    mean_squared_error,
    pick,
    relu,
    reshape,
    sigmoid,
    softmax,
    softmax_cross_entropy,
    square,
    sum,
    tanh,
    transpose,
)
from .gradcheck import GradcheckReport, gradcheck
from .graph import FlowGraph
from .hessian import hessian

try:
    __version__ = importlib.metadata.version("autograd_flow")
except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
    __version__ = "0+unknown"

__all__ = [
    "Box", "Input", "Parameter", "Constant", "Scope", "as_box", "composite", "scope",
    "FlowGraph", "unbroadcast", "gradcheck", "GradcheckReport",
    "FlowGraphError", "FeedError", "BoxError", "LabelError", "CycleError",
    "NonFiniteError", "GradientCheckError", "hessian",
    "exp", "log", "tanh", "sigmoid", "relu", "identity", "square", "abs", "sum", "mean",
    "maximum", "matmul", "logsumexp", "pick", "reshape", "transpose",
    "linear", "softmax", "log_softmax", "softmax_cross_entropy", "mean_squared_error",
    "l1_penalty", "l2_penalty",
]

_SUBMODULES = ("nn", "optim", "train", "data", "io", "select", "viz", "testing", "fused", "ops")


def __getattr__(name: str) -> Any:
    """``af.nn``, ``af.viz``, ...: import a sub-module the first time it is used."""
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'autograd_flow' has no attribute {name!r}")
