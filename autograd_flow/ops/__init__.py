"""The primitive boxes: the only boxes that define a bprop. Everything else in
autograd_flow is composed from them.

Each primitive is declared once, in its module, with :func:`.registry.primitive` (a
function of the af namespace written by hand with :func:`.registry.function`); the
lists below, the names of this package (``ops.Tanh``), the af namespace, numpy's calls
on boxes and the Box methods all derive from those declarations. ``PRIMITIVES`` are the
boxes of the numpy surface (each has a function in ``af.`` or an operator);
``PLUMBING`` are the boxes :func:`autograd_flow.grad` builds gradients with.
"""
from types import SimpleNamespace
from typing import Any

from . import (  # noqa: F401 (loading a module runs its declarations)
    arithmetic,
    arrange,
    bessel,
    calculus,
    compare,
    correlation,
    cumulative,
    decompositions,
    einsum,
    elementwise,
    fft,
    indexing,
    inverse,
    join,
    linalg,
    logic,
    matrix,
    matrix_parts,
    nan,
    norms,
    numeric,
    order,
    plumbing,
    reduce,
    scatter,
    searching,
    shape,
    special,
    statistics,
    trig,
)
from .registry import (
    DECLARATIONS,
    NAMESPACE,
    SUBNAMESPACES,
    Declaration,
    builds,
    function,
    method,
    primitive,
)

_surface = {d.box for d in DECLARATIONS if d.box is not None and (d.name or d.op)}
#: the boxes of the numpy surface, in declaration order
PRIMITIVES: tuple[type, ...] = tuple(dict.fromkeys(
    d.box for d in DECLARATIONS if d.box is not None and d.box in _surface))
#: the boxes gradients are built with (af.grad), which no af function makes
PLUMBING: tuple[type, ...] = tuple(dict.fromkeys(
    d.box for d in DECLARATIONS if d.box is not None and d.box not in _surface))

globals().update({cls.__name__: cls for cls in PRIMITIVES + PLUMBING})

#: the af functions of the primitives (``surface.exp``, ``surface.sum``,
#: ``surface.linalg.det``, ...), for code of the package that builds boxes the way users do
surface = SimpleNamespace(**NAMESPACE, **{space: SimpleNamespace(**functions)
                                          for space, functions in SUBNAMESPACES.items()})

__all__ = [cls.__name__ for cls in PRIMITIVES + PLUMBING] + [
    "PRIMITIVES", "PLUMBING", "DECLARATIONS", "NAMESPACE", "SUBNAMESPACES", "Declaration",
    "builds", "function", "method", "primitive", "surface"]


def __getattr__(name: str) -> Any:
    """Only for names not declared (the primitives are set above from the declarations)."""
    raise AttributeError(f"module 'autograd_flow.ops' has no attribute {name!r}")
