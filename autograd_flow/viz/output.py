"""Drawing and writing: :func:`to_dot` puts a graph's nodes (:mod:`.layout`), their looks
(:mod:`.style`) and its gradient columns (:mod:`.backprop`) into a Graphviz digraph;
:func:`to_svg` writes it as SVG, PNG, PDF or DOT source (:func:`written_path`: which
file, with or without Graphviz's ``dot`` program), and :class:`FlowDiagram` shows the
DOT source in Jupyter when ``dot`` is missing.
"""
from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import graphviz

from ..autodiff.gradcheck import GradcheckReport
from ..core.box import Box, Constant
from ..core.graph import FlowGraph
from ..core.order import topological_order
from ..errors import INSTALL_HINT, GraphvizNotFoundError
from ..learn.files import atomic_file
from . import backprop as gradients
from . import layout, style
from .backprop import GradientView
from .layout import Collapse

FORMATS = ("svg", "png", "pdf")


class FlowDiagram(graphviz.Digraph):
    """A Digraph that, in Jupyter without ``dot``, shows the install hint and its DOT
    source instead of failing."""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict:
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            return {"text/plain": f"Graphviz 'dot' was not found. {INSTALL_HINT}\n\n"
                                  f"{self.source}"}


MAX_NODES = 1500  # Graphviz lays out this many nodes in about a second; 20,000 take minutes
RANKDIRS = ("TB", "LR", "BT", "RL")  # top to bottom, left to right, and back


def to_dot(target: FlowGraph | Box | Sequence[Box], *, collapse: Collapse | None = None,
           annotate: bool = True, report: GradcheckReport | None = None, bprop: bool = False,
           rankdir: str = "TB", grad_range: tuple[float, float] = (1e-6, 1e4),
           max_values: int = 4, title: str | None = None,
           max_nodes: int | None = MAX_NODES) -> FlowDiagram:
    """The flow graph of ``target`` (a FlowGraph, a box, or a list of boxes, drawn with
    all they are computed from) as a Graphviz digraph.

    - ``collapse``: ``False`` draws every composite as a labelled cluster of its boxes;
      ``True`` draws each outermost composite as one node; a kind or set of kinds
      (``{"linear", "softmax_cross_entropy"}``) collapses only those. Inputs and
      Parameters are never hidden inside a collapsed node: their edges into it stay.
      ``None`` (the default) expands, or collapses when expanded the drawing would have
      more than ``max_nodes`` nodes.
    - ``max_nodes``: the most nodes drawn. Graphviz's layout time grows with the square
      of the size (about a second for 1,500 nodes, minutes for 20,000), so a larger
      drawing keeps the first and last ``max_nodes / 2`` nodes in topological order
      (the inputs and parameters at the start, the outputs at the end) and puts the
      ones between into one node that counts them, labelled with how to draw them all;
      ``None`` draws every box, however long Graphviz takes.
    - ``annotate``: once the outputs have values (after ``fprop``), show each box's value
      statistics (mean, std, range; the values themselves when at most ``max_values``),
      its gradient norm, and fill it on a log colour scale of the gradient norm from
      blue (``<= grad_range[0]``, vanishing) through white to red (``>= grad_range[1]``,
      exploding).
    - ``report``: a :class:`GradcheckReport`; boxes whose own bprop it found wrong are
      drawn red, boxes whose gradient entries failed orange.
    - ``bprop``: number each box by the position at which the scheduler calls its bprop
      and draw the boxes it skips dashed and grey (a Box target gets ``FlowGraph(box)``).
    - ``rankdir``: the way data flows, Graphviz's: ``"TB"`` top to bottom (the default),
      ``"LR"`` left to right (a deep graph then makes a wide picture, not a tall one),
      ``"BT"`` or ``"RL"``.

    Gradients drawn with their forward graph (``to_dot([loss, *af.grad(loss, params)])``)
    get a column of their own beside it, flowing up from the seed beside the loss, each
    box's bprop level with the box and tied to it by a dotted line; gradient boxes are
    amber, named by the gradient they hold (``∂ W1``) or what they do, and grouped as
    the forward boxes are ("bprop of h1" in "bprop of layer: layer1"), so ``collapse``
    collapses a composite and its bprop alike (``{"bprop"}``: each box's bprop).

    Node ids are ``b<k>`` (``c<k>`` for a collapsed composite), k the box's position in
    topological order, so two runs of the same construction give the same ids. Every node
    has a tooltip with the box's creation site, dtype and statistics.
    """
    graph = target if isinstance(target, FlowGraph) else None
    if isinstance(target, (list, tuple)) and target and all(isinstance(b, Box) for b in target):
        boxes = list(target)
    elif isinstance(target, Box):
        boxes = [target]
    elif graph is None:
        raise TypeError(f"to_dot draws a FlowGraph, a Box or a list of boxes, not "
                        f"{type(target).__name__} {target!r:.60}")
    if bprop and graph is None:
        graph = FlowGraph(boxes)
    if graph is not None:
        order, outputs = graph.order, tuple(graph.outputs)
    else:
        order, outputs = topological_order(boxes), tuple(boxes)
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)} (top to bottom, left "
                         f"to right, ...), got {rankdir!r}")
    if not 0 < grad_range[0] < grad_range[1]:
        raise ValueError(f"grad_range must be (low, high) with 0 < low < high, got {grad_range}")
    ran = annotate and all(o.value is not None for o in outputs)
    view = GradientView(order)
    nodes, node_of, title = layout.bounded(order, collapse, max_nodes, title, view)
    if bprop and graph is not None:
        layout.mark_bprop(nodes, graph)
    if report is not None:
        layout.mark_report(nodes, node_of, report)
    dot = FlowDiagram(name="flow_graph", graph_attr={
        "rankdir": rankdir, "fontname": style.FONT, "nodesep": "0.25", "ranksep": "0.35",
        "labelloc": "t", **({"compound": "true", "newrank": "true"} if view.present else {})},
        node_attr={"fontname": style.FONT, "fontsize": "11"},
        edge_attr={"color": "#4b5563", "arrowsize": "0.7"})
    output_ids = set(map(id, outputs))
    colored = False
    clusters = layout.clusters(nodes, view)
    columns = gradients.columns(map(view.level_of, nodes)) if view.present else {}
    for node in nodes:
        attrs = style.node_attrs(node, ran, max_values, view)
        if any(id(box) in output_ids for box in node.boxes):
            attrs["penwidth"] = "2"
        grad = style.output(node).grad if ran else None
        if grad is not None and not isinstance(node.boxes[0], Constant):
            attrs.update(style.grad_fill(style.norm(grad), grad_range))
            colored = True
        attrs.update(node.attrs)
        (clusters[node.clusters[-1]].graph if node.clusters else
         columns.get(view.level_of(node), dot)).node(node.id, **attrs)
    layout.attach_clusters(dot, clusters, columns)
    layout.edges(dot, nodes, node_of, graph if bprop else None, view)
    if view.present:
        gradients.ties(dot, nodes, node_of, {s: c.graph.name for s, c in clusters.items()},
                       view)
        gradients.order_columns(dot, columns)
    label = style.graph_label(title, colored, grad_range, bprop)
    if label:
        dot.attr(label=label)
    return dot


def to_svg(target: FlowGraph | Box | Sequence[Box], path: str | Path, *,
           overwrite: bool = True, **options: Any) -> Path:
    """Draw ``target`` (see :func:`to_dot` for ``options``) into ``path``: SVG, PNG or
    PDF by its suffix (``.dot``/``.gv`` write the DOT source only). Without the Graphviz
    ``dot`` program the DOT source is written next to ``path`` (suffix ``.dot``) and
    :class:`GraphvizNotFoundError` says how to install Graphviz. Files are written
    atomically (a failed drawing leaves the earlier file); ``overwrite=False`` never
    replaces one (FileExistsError). Returns ``path``."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS + ("dot", "gv"):
        raise ValueError(f"cannot tell the picture format from {path.name!r}: end the file "
                         f"name with .svg, .png, .pdf (or .dot for the DOT source)")
    dot = to_dot(target, **options)
    written = written_path(path)
    if written.suffix.lstrip(".").lower() in ("dot", "gv"):  # asked for, or no Graphviz
        _write(written, dot.source.encode("utf-8"), overwrite)
        if written != path:
            raise GraphvizNotFoundError(path, written)
        return path
    _write(path, dot.pipe(format=fmt), overwrite)
    return path


def written_path(path: str | Path) -> Path:
    """The file :func:`to_svg` writes for ``path``: ``path`` itself, or for a picture on a
    machine without Graphviz's ``dot`` program its DOT source next to it (suffix .dot)."""
    path = Path(path)
    if path.suffix.lstrip(".").lower() in FORMATS and shutil.which("dot") is None:
        return path.with_suffix(".dot")
    return path


def _write(path: Path, content: bytes, overwrite: bool) -> None:
    with atomic_file(path, "wb", exclusive=not overwrite) as file:
        file.write(content)

