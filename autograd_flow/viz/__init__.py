"""Pictures of flow graphs with Graphviz: the boxes, the data flowing between them, and
(after a run) their values and gradients.

``to_dot(graph)`` returns a :class:`graphviz.Digraph` (shown inline in Jupyter);
``to_svg(graph, "graph.svg")`` writes SVG, PNG or PDF (by the file's suffix).
Inputs are blue ellipses, Parameters amber double boxes, Constants small grey text,
operation boxes white rounded boxes, and composites (``linear``, a layer, a loss) either
labelled clusters (expanded) or one 3-D box each (collapsed). Edges point the way data
flows. Gradients made by :func:`autograd_flow.grad` and drawn with their forward graph
get a column of their own (:mod:`autograd_flow.viz.backprop`). viz only reads graphs:
each box's ``inputs``, ``value``, ``grad``, ``scopes`` and ``created_at``, and a
FlowGraph's ``order``, ``outputs``, ``wrt``, ``bprop_order`` and ``skipped``.

This package's public API; its modules, each by job: :mod:`.layout` turns a graph into
nodes, clusters of composites and edges, :mod:`.style` says how a node looks,
:mod:`.backprop` where the boxes ``af.grad`` makes go, and :mod:`.output` puts them
together (:func:`to_dot`) and writes files (:func:`to_svg`). Importing viz registers
the Jupyter display of boxes and flow graphs.
"""
from __future__ import annotations

from typing import Any

from ..core.box import Box
from ..core.graph import FlowGraph
from ..errors import INSTALL_HINT, GraphvizNotFoundError
from .layout import Collapse
from .output import FORMATS, MAX_NODES, FlowDiagram, to_dot, to_svg, written_path

__all__ = ["to_dot", "to_svg", "written_path", "GraphvizNotFoundError", "INSTALL_HINT",
           "FORMATS", "MAX_NODES", "FlowDiagram", "Collapse"]


def _draw_inline(self: Any, include: Any = None, exclude: Any = None) -> dict:
    """Draw the graph (of a FlowGraph, or ending at a box) inline in Jupyter."""
    return to_dot(self)._repr_mimebundle_(include=include, exclude=exclude)


# the Jupyter display of boxes and graphs is this module's, registered when it loads
Box._repr_mimebundle_ = _draw_inline  # type: ignore[attr-defined]
FlowGraph._repr_mimebundle_ = _draw_inline  # type: ignore[attr-defined]
