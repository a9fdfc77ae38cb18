"""autograd_flow: a flow-graph automatic differentiation engine on numpy.

Build a graph of boxes, run it with :class:`FlowGraph` (fprop in topological order,
bprop in reverse), check gradients with :func:`gradcheck`, keep it in a file with
:func:`save` and :func:`load`.

For people writing their own boxes: subclass :class:`Box` (``fprop``/``bprop``), use
:func:`unbroadcast` if needed, and check the box with :func:`gradcheck` or
:func:`autograd_flow.testing.check_box`.

The functions of the numpy surface (``af.exp``, ``af.sum``, ``af.einsum``, ...,
``af.linalg.det``) are the declarations of :mod:`autograd_flow.ops`, one per
primitive; the lecture's composites (``af.linear``, ``af.softmax_cross_entropy``, ...)
are in :mod:`autograd_flow.nn`.
Sub-modules load on first use (``af.optim``, ``af.data``, ``af.io``, ``af.select``,
``af.testing``, ...); ``af.viz`` loads with the package, so that boxes and graphs draw
themselves in Jupyter.
"""
import importlib
import importlib.metadata
import sys
import types
from typing import Any

from . import (
    plan,  # noqa: F401 (graphs compile with it: it registers itself with the core)
    viz,  # noqa: F401 (boxes and graphs draw themselves in Jupyter with it)
)
from .autodiff import GradcheckReport, grad, gradcheck, hessian, hvp, jvp
from .core import Box, Constant, FlowGraph, Input, Parameter, Scope, as_box, composite, scope
from .core.broadcast import unbroadcast
from .errors import (
    BoxError,
    CycleError,
    FeedError,
    FlowGraphError,
    GradientCheckError,
    LabelError,
    NonFiniteError,
)
from .learn.graphfile import load, save
from .nn import functions as _composites  # noqa: F401 (declares the lecture's composites)
from .ops import NAMESPACE as _NAMESPACE
from .ops import SUBNAMESPACES as _SUBNAMESPACES

try:
    __version__ = importlib.metadata.version("autograd_flow")
except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
    __version__ = "0+unknown"

globals().update(_NAMESPACE)


def _subnamespace(space: str, doc: str) -> types.ModuleType:
    """``af.<space>``, a module of the functions declared there, importable as numpy's
    (``from autograd_flow.linalg import det``)."""
    module = types.ModuleType(f"{__name__}.{space}", doc)
    module.__dict__.update(_SUBNAMESPACES[space], __all__=sorted(_SUBNAMESPACES[space]))
    sys.modules[module.__name__] = module
    return module


linalg = _subnamespace("linalg", """numpy.linalg on boxes: ``af.linalg.det``, ``inv``,
``solve``, ``cholesky``, ``qr``, ``svd``, ``eigh``, ``norm``, ... with numpy's arguments,
batched like numpy; ``np.linalg.det(box)`` builds the same box. Their gradients, first
and second, and where they do not exist: :mod:`autograd_flow.ops.inverse`,
:mod:`autograd_flow.ops.decompositions`, :mod:`autograd_flow.ops.norms`.""")

fft = _subnamespace("fft", """numpy.fft's transforms from a real array to a real array, on
boxes: ``af.fft.irfft``, ``irfft2``, ``irfftn``, ``hfft``, ``hfft2``, ``hfftn`` with
numpy's arguments (a real input is the spectrum x + 0i). Each is linear, so its gradient
is its transpose (an rfft with the Hermitian weights): :mod:`autograd_flow.ops.fft`. The
transforms with complex values are not here (af's arrays are real).""")

#: the core, gradients and errors, then one function per declaration of the ops
#: (the numpy surface) and of the lecture's composites
__all__ = [
    "Box", "Input", "Parameter", "Constant", "Scope", "as_box", "composite", "scope",
    "FlowGraph", "unbroadcast",
    "FlowGraphError", "FeedError", "BoxError", "LabelError", "CycleError",
    "NonFiniteError", "GradientCheckError",
    "grad", "jvp", "hvp", "hessian", "gradcheck", "GradcheckReport", "linalg", "fft",
    "save", "load",
    *_NAMESPACE,
]

_SUBMODULES = ("nn", "optim", "learn", "data", "io", "onnx", "select", "viz", "testing", "ops",
               "plan", "autodiff", "core", "errors")


def __getattr__(name: str) -> Any:
    """``af.nn``, ``af.viz``, ...: import a sub-module the first time it is used."""
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'autograd_flow' has no attribute {name!r}")
