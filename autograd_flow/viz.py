"""Pictures of flow graphs with Graphviz: the boxes, the data flowing between them, and
(after a run) their values and gradients.

``to_dot(graph)`` returns a :class:`graphviz.Digraph` (shown inline in Jupyter);
``to_svg(graph, "graph.svg")`` writes SVG, PNG or PDF (by the file's suffix).
Inputs are blue ellipses, Parameters amber double boxes, Constants small grey text,
operation boxes white rounded boxes, and composites (``linear``, a layer, a loss) either
labelled clusters (expanded) or one 3-D box each (collapsed). Edges point the way data
flows. Gradients made by :func:`autograd_flow.grad` and drawn with their forward graph
get a column of their own (:mod:`autograd_flow.viz_gradients`). viz only reads graphs:
each box's ``inputs``, ``value``, ``grad``, ``scopes`` and ``created_at``, and a
FlowGraph's ``order``, ``outputs``, ``wrt``, ``bprop_order`` and ``skipped``.
"""
from __future__ import annotations

import html
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from . import viz_gradients as gradients
from .autodiff.gradcheck import GradcheckReport
from .core.box import Box, Constant, Input, Leaf, Parameter
from .core.graph import FlowGraph
from .core.order import topological_order
from .core.scope import Scope
from .errors import INSTALL_HINT, GraphvizNotFoundError
from .learn.files import atomic_file
from .viz_gradients import GradientView

Collapse = bool | str | Iterable[str]

FORMATS = ("svg", "png", "pdf")

_FONT = "Helvetica"
_LOOK = {  # node attributes per kind of box
    Input: {"shape": "ellipse", "style": "filled", "fillcolor": "#dbeafe", "color": "#1d4ed8"},
    Parameter: {"shape": "box", "style": "filled", "fillcolor": "#fde68a",
                "color": "#92400e", "peripheries": "2"},
    Constant: {"shape": "plaintext", "fontsize": "9", "fontcolor": "#6b7280"},
    Box: {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff"},
    Scope: {"shape": "box3d", "style": "filled", "fillcolor": "#ede9fe", "color": "#5b21b6"},
}
_GRAD_COLORS = ((33, 102, 172), (247, 247, 247), (178, 24, 43))  # vanishing, mid, exploding
_KIND_COLOR = "#6b7280"
_GAP = "&#160;&#160;"  # non-breaking: SVG viewers keep it between name and kind
_FAULT_COLOR, _FAILED_COLOR, _BPROP_COLOR, _SKIPPED_COLOR = (
    "#dc2626", "#ea580c", "#b45309", "#9ca3af")


class FlowDiagram(graphviz.Digraph):
    """A Digraph that, in Jupyter without ``dot``, shows the install hint and its DOT
    source instead of failing."""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict:
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            return {"text/plain": f"Graphviz 'dot' was not found. {INSTALL_HINT}\n\n"
                                  f"{self.source}"}


@dataclass
class _Node:
    """One drawn node: a box, or the members of a collapsed composite."""

    id: str
    boxes: list[Box]
    scope: Scope | None = None
    clusters: tuple[Scope, ...] = ()
    extra: list[str] = field(default_factory=list)  # label lines from bprop view / report
    attrs: dict[str, str] = field(default_factory=dict)


MAX_NODES = 1500  # Graphviz lays out this many nodes in about a second; 20,000 take minutes


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
    if not 0 < grad_range[0] < grad_range[1]:
        raise ValueError(f"grad_range must be (low, high) with 0 < low < high, got {grad_range}")
    ran = annotate and all(o.value is not None for o in outputs)
    view = GradientView(order)
    nodes, node_of, title = _bounded(order, collapse, max_nodes, title, view)
    if bprop and graph is not None:
        _mark_bprop(nodes, graph)
    if report is not None:
        _mark_report(nodes, node_of, report)
    dot = FlowDiagram(name="flow_graph", graph_attr={
        "rankdir": rankdir, "fontname": _FONT, "nodesep": "0.25", "ranksep": "0.35",
        "labelloc": "t", **({"compound": "true", "newrank": "true"} if view.present else {})},
        node_attr={"fontname": _FONT, "fontsize": "11"},
        edge_attr={"color": "#4b5563", "arrowsize": "0.7"})
    output_ids = set(map(id, outputs))
    colored = False
    clusters = _clusters(nodes, view)
    columns = gradients.columns(map(view.level_of, nodes)) if view.present else {}
    for node in nodes:
        attrs = _node_attrs(node, ran, max_values, view)
        if any(id(box) in output_ids for box in node.boxes):
            attrs["penwidth"] = "2"
        grad = _output(node).grad if ran else None
        if grad is not None and not isinstance(node.boxes[0], Constant):
            attrs.update(_grad_fill(_norm(grad), grad_range))
            colored = True
        attrs.update(node.attrs)
        (clusters[node.clusters[-1]].graph if node.clusters else
         columns.get(view.level_of(node), dot)).node(node.id, **attrs)
    _attach_clusters(dot, clusters, columns)
    _edges(dot, nodes, node_of, graph if bprop else None, view)
    if view.present:
        gradients.ties(dot, nodes, node_of, {s: c.graph.name for s, c in clusters.items()},
                       view)
        gradients.order_columns(dot, columns)
    label = _graph_label(title, colored, grad_range, bprop)
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


# -- grouping boxes into nodes and clusters ------------------------------------------------

def _bounded(order: list[Box], collapse: Collapse | None, max_nodes: int | None,
             title: str | None, view: GradientView
             ) -> tuple[list[_Node], dict[int, _Node], str | None]:
    """The nodes of the drawing, at most ``max_nodes`` of them (see :func:`to_dot`): the
    composites collapsed when ``collapse`` is None and expanded would be too many, then
    if still too many the middle of the topological order as one node. Returns (nodes,
    id(box) -> node, the title, with a note when composites were collapsed for size)."""
    if max_nodes is not None and (int(max_nodes) != max_nodes or max_nodes < 2):
        raise ValueError(f"max_nodes must be a whole number >= 2 or None, got {max_nodes!r}")
    rule = bool(collapse) if collapse is None or isinstance(collapse, bool) else collapse
    nodes, node_of = _group(order, _collapse_rule(order, rule, view.scopes), view.scopes)
    if max_nodes is None or len(nodes) <= max_nodes:
        return nodes, node_of, title
    if collapse is None:
        collapsed, collapsed_of = _group(order, True, view.scopes)
        if len(collapsed) < len(nodes):
            note = (f"composites collapsed: expanded, this graph has {len(nodes):,} nodes "
                    f"(max_nodes={max_nodes:,})")
            title = f"{title} — {note}" if title else note
            nodes, node_of = collapsed, collapsed_of
        if len(nodes) <= max_nodes:
            return nodes, node_of, title
    head, tail = nodes[:max_nodes // 2], nodes[len(nodes) - (max_nodes - max_nodes // 2):]
    middle = nodes[len(head):len(nodes) - len(tail)]
    boxes = [box for node in middle for box in node.boxes]
    count = f"{len(boxes):,} box{'es' if len(boxes) != 1 else ''}"
    elided = _Node("elided", boxes, attrs={
        "shape": "note", "style": "dashed,filled", "fillcolor": "#f3f4f6",
        "color": "#6b7280", "fontcolor": "#374151",
        "label": f"<<B>… {count} not drawn …</B><BR/><FONT POINT-SIZE=\"9\">the middle of "
                 f"{len(order):,} boxes in topological order: the drawing keeps "
                 f"{max_nodes:,} nodes<BR/>(to_dot/to_svg max_nodes=None draws all; "
                 "Graphviz then takes minutes)</FONT>>",
        "tooltip": f"{count} between {head[-1].boxes[-1].name!r} and "
                   f"{tail[0].boxes[0].name!r} in topological order are not drawn"})
    node_of = {id(box): elided for box in boxes} | {
        id(box): node for node in head + tail for box in node.boxes}
    return head + [elided] + tail, node_of, title


def _collapse_rule(order: list[Box], collapse: Collapse,
                   scopes: Callable[[Box], tuple[Scope, ...]]) -> bool | frozenset[str]:
    """True, False, or the set of composite kinds to collapse (checked against the graph)."""
    if isinstance(collapse, bool):
        return collapse
    kinds = frozenset([collapse] if isinstance(collapse, str) else collapse)
    present = {s.kind for box in order for s in scopes(box)}
    unknown = sorted(kinds - present)
    if unknown:
        raise ValueError(f"collapse names composite kind(s) {', '.join(unknown)} that no box "
                         f"of this graph belongs to; its kinds are: "
                         f"{', '.join(sorted(present)) or 'none'}")
    return kinds


def _group(order: list[Box], rule: bool | frozenset[str],
           scopes: Callable[[Box], tuple[Scope, ...]]) -> tuple[list[_Node], dict[int, _Node]]:
    """One node per box, except that the boxes of a collapsed composite share one node
    (Inputs and Parameters always keep their own). ``scopes(box)`` gives the composites a
    box is drawn in. Returns the nodes in topological order of their first box, and
    id(box) -> node."""
    nodes: list[_Node] = []
    node_of: dict[int, _Node] = {}
    composites: dict[Scope, _Node] = {}
    for position, box in enumerate(order):
        drawn_in = scopes(box)
        cut = None if rule is False else next(
            (k for k, s in enumerate(drawn_in) if rule is True or s.kind in rule), None)
        if cut is None or isinstance(box, (Input, Parameter)):
            node = _Node(f"b{position}", [box], clusters=drawn_in[:cut])
            nodes.append(node)
        else:
            scope = drawn_in[cut]
            found = composites.get(scope)
            if found is None:
                found = composites[scope] = _Node(f"c{position}", [], scope, drawn_in[:cut])
                nodes.append(found)
            found.boxes.append(box)
            node = found
        node_of[id(box)] = node
    return nodes, node_of


@dataclass
class _Cluster:
    """An expanded composite: its subgraph, the composite it sits in, its depth and its
    column (0 unless the graph holds gradient boxes)."""

    graph: graphviz.Digraph
    parent: Scope | None
    depth: int
    level: int = 0


def _clusters(nodes: list[_Node], view: GradientView) -> dict[Scope, _Cluster]:
    """A labelled cluster subgraph per expanded composite, named by first appearance."""
    clusters: dict[Scope, _Cluster] = {}
    for node in nodes:
        for depth, scope in enumerate(node.clusters):
            if scope in clusters:
                continue
            look = gradients.BPROP_CLUSTER_LOOK if view.is_gradient_scope(scope) else {
                "style": "rounded,dashed", "color": "#7c3aed", "fontcolor": "#5b21b6"}
            label = view.label(scope)
            subgraph = graphviz.Digraph(name=f"cluster_{len(clusters)}", graph_attr={
                "label": graphviz.nohtml(label), **look, "fontsize": "10", "labeljust": "l"})
            clusters[scope] = _Cluster(subgraph, node.clusters[depth - 1] if depth else None,
                                       depth, view.level_of(node))
    return clusters


def _attach_clusters(dot: graphviz.Digraph, clusters: dict[Scope, _Cluster],
                     columns: dict[int, graphviz.Digraph]) -> None:
    """Put each cluster into the composite it was made in (or its column), innermost
    first, then the columns into the drawing."""
    for cluster in sorted(clusters.values(), key=lambda c: -c.depth):
        (columns.get(cluster.level, dot) if cluster.parent is None else
         clusters[cluster.parent].graph).subgraph(cluster.graph)
    for column in columns.values():
        dot.subgraph(column)


def _edges(dot: graphviz.Digraph, nodes: list[_Node], node_of: dict[int, _Node],
           graph: FlowGraph | None, view: GradientView) -> None:
    """One edge per (source node, consumer node), labelled ×n when a box takes the same
    input n times (not for a collapsed composite's inner fan-out). In the
    bprop view (``graph`` given) edges that carry a gradient back are amber, others grey.
    Edges between and within gradient columns: see :func:`viz_gradients.edge`."""
    counts: Counter[tuple[str, str]] = Counter()
    flows: dict[tuple[str, str], bool] = {}
    values: dict[tuple[str, str], bool] = {}  # False: only shapes are read
    called = set(map(id, graph.bprop_order)) if graph is not None else set()
    wanted = set(map(id, graph.wrt)) if graph is not None else set()
    for node in nodes:
        for box in node.boxes:
            for position, source in enumerate(box.inputs):
                start = node_of[id(source)]
                if start is node:
                    continue
                key = (start.id, node.id)
                counts[key] += 1 if node.scope is None else int(key not in counts)
                flows[key] = flows.get(key, False) or (
                    id(box) in called and (id(source) in called or id(source) in wanted))
                values[key] = values.get(key, False) or not gradients.reads_shape_only(
                    box, position)
    levels = {node.id: view.level_of(node) for node in nodes}
    for (tail, head), count in counts.items():
        if not values[tail, head]:  # only a shape is read: the heading names the input
            continue
        attrs = {"label": f"×{count}", "fontsize": "9"} if count > 1 else {}
        if graph is not None:
            attrs.update({"color": _BPROP_COLOR, "penwidth": "1.6"} if flows[tail, head]
                         else {"color": _SKIPPED_COLOR, "style": "dashed"})
        gradients.edge(dot, tail, head, (levels[tail], levels[head]), attrs)


# -- bprop view and gradcheck report -------------------------------------------------------

def _mark_bprop(nodes: list[_Node], graph: FlowGraph) -> None:
    """Number nodes by bprop call order; grey and dash the ones the scheduler skips."""
    position = {id(box): k for k, box in enumerate(graph.bprop_order, start=1)}
    skipped = set(map(id, graph.skipped))
    wanted = set(map(id, graph.wrt))
    for node in nodes:
        numbers = [position[id(b)] for b in node.boxes if id(b) in position]
        operations = [b for b in node.boxes if not isinstance(b, Leaf)]
        if numbers:
            text = f"bprop {numbers[0]}" if len(numbers) == 1 else \
                f"bprop {min(numbers)}–{max(numbers)}"
            node.extra.append(f'<FONT COLOR="{_BPROP_COLOR}"><B>{text}</B></FONT>')
        elif operations and all(id(b) in skipped for b in operations):
            node.extra.append(f'<FONT COLOR="{_SKIPPED_COLOR}">skipped</FONT>')
            node.attrs.update(style=_look(node).get("style", "") + ",dashed",
                              color=_SKIPPED_COLOR, fontcolor=_SKIPPED_COLOR)
        elif any(id(b) in wanted for b in node.boxes):
            node.extra.append(f'<FONT COLOR="{_BPROP_COLOR}">gradient wanted</FONT>')


def _mark_report(nodes: list[_Node], node_of: dict[int, _Node],
                 report: GradcheckReport) -> None:
    """Red for boxes whose own bprop is wrong, orange for boxes with failed entries."""
    for fault in report.faults:
        node = node_of.get(id(fault.box))
        if node is None:
            raise ValueError(f"the gradcheck report blames {type(fault.box).__name__} "
                             f"'{fault.box.name}', which is not in this graph: pass the "
                             "report of this graph's gradcheck")
        source = fault.box.inputs[fault.input_position]
        node.extra.append(f'<FONT COLOR="{_FAULT_COLOR}"><B>✗ bprop wrong for input '
                          f'#{fault.input_position} ({html.escape(source.name)})</B></FONT>')
        node.attrs.update(color=_FAULT_COLOR, penwidth="3")
    failed = Counter(id(e.box) for e in report.failures)
    checked = Counter(id(e.box) for e in report.entries)
    for box_id, count in failed.items():
        node = node_of.get(box_id)
        if node is None:
            continue
        node.extra.append(f'<FONT COLOR="{_FAILED_COLOR}">✗ {count} of {checked[box_id]} '
                          'gradient entries wrong</FONT>')
        node.attrs.setdefault("color", _FAILED_COLOR)
        node.attrs.setdefault("penwidth", "2.5")


# -- labels, tooltips, colours -------------------------------------------------------------

def _look(node: _Node, view: GradientView | None = None) -> dict[str, str]:
    if node.scope is not None:
        if view is not None and view.is_gradient_scope(node.scope):
            return dict(gradients.BACKWARD_SCOPE_LOOK)
        return dict(_LOOK[Scope])
    box = node.boxes[0]
    kind = next((k for k in (Input, Parameter, Constant) if isinstance(box, k)), Box)
    if kind is Box and view is not None and view.is_backward(box):
        return dict(gradients.BACKWARD_LOOK)
    return dict(_LOOK[kind])


def _output(node: _Node) -> Box:
    """The box whose value a node shows: its box, or a composite's last box."""
    return node.boxes[-1]


def _node_attrs(node: _Node, ran: bool, max_values: int, view: GradientView) -> dict[str, str]:
    attrs = _look(node, view)
    box = _output(node)
    lines = [_heading(node, view)]
    shape = _shape_text(box)
    if shape and not isinstance(box, Constant) and not (ran and shape == "scalar"):
        lines.append(f'<FONT POINT-SIZE="9">{shape}</FONT>')
    if ran and not isinstance(box, Constant):
        lines.extend(f'<FONT POINT-SIZE="9">{html.escape(line)}</FONT>'
                     for line in _annotations(box, max_values))
    lines.extend(node.extra)
    attrs["label"] = "<" + "<BR/>".join(lines) + ">"
    attrs["tooltip"] = _tooltip(node, view).replace("\\", "\\\\").replace("\n", "\\n")
    attrs["id"] = node.id
    return attrs


def _heading(node: _Node, view: GradientView) -> str:
    """The first line of a node: its name in bold, then its kind (the box class, or the
    composite's kind) smaller and grey, apart: a non-breaking space survives SVG's
    whitespace collapsing, where a plain one ran them together ("Addloss"). Gradient
    boxes say which gradient they are ("∂ W", d output / d W) or what they do."""
    if node.scope is not None:
        scope = node.scope
        summary = html.escape(_summary(node, view))
        if view.is_gradient_scope(scope):
            gives = ", ".join(map(gradients.partial, view.gives(node.boxes, scope)))
            heading = f"<B>{html.escape(view.label(scope))}</B>"
            if gives:
                heading += f'<BR/><FONT POINT-SIZE="9">gives {html.escape(gives)}</FONT>'
            return f'{heading}<BR/><FONT POINT-SIZE="8">{summary}</FONT>'
        heading = _name_and_kind(scope.name, "" if scope.name == scope.kind else scope.kind)
        return f'{heading}<BR/><FONT POINT-SIZE="8">{summary}</FONT>'
    box = node.boxes[0]
    if isinstance(box, Constant):
        return html.escape(box.name)
    special = view.heading(box)
    if special is not None:
        return _name_and_kind(*special)
    kind = type(box).__name__
    if not isinstance(box, Leaf) and box.name == kind.lower():
        return f"<B>{html.escape(kind)}</B>"
    return _name_and_kind(box.name, kind)


def _name_and_kind(name: str, kind: str) -> str:
    bold = f"<B>{html.escape(name)}</B>"
    if not kind:
        return bold
    return f'{bold}{_GAP}<FONT POINT-SIZE="9" COLOR="{_KIND_COLOR}">{html.escape(kind)}</FONT>'


def _summary(node: _Node, view: GradientView, width: int = 40) -> str:
    """What a collapsed composite holds: inner composites by kind, and ops with counts."""
    depth = len(node.clusters) + 1
    parts: Counter[str] = Counter()
    seen: set[Scope] = set()
    for box in node.boxes:
        drawn_in = view.scopes(box)
        if len(drawn_in) > depth:
            if drawn_in[depth] not in seen:
                seen.add(drawn_in[depth])
                parts[view.kind(drawn_in[depth])] += 1
        elif not isinstance(box, Constant):
            parts[type(box).__name__] += 1
    text = ", ".join(k if n == 1 else f"{k}×{n}" for k, n in parts.items())
    return text if len(text) <= width else text[:width - 1] + "…"


def _shape_text(box: Box) -> str:
    if box.value is None:
        if isinstance(box, Input) and box.shape is not None:
            return "(" + ", ".join("?" if s is None else str(s) for s in box.shape) + \
                ("," if len(box.shape) == 1 else "") + ")"
        return ""
    shape = np.shape(box.value)
    return "scalar" if shape == () else str(shape)


def _annotations(box: Box, max_values: int) -> list[str]:
    """Value statistics (or the values), non-finite counts and the gradient norm."""
    if box.value is None:
        return []
    value = np.asarray(box.value)
    lines = []
    if value.dtype.kind in "fciub" and value.size:
        finite = value[np.isfinite(value)] if value.dtype.kind in "fc" else value
        if value.size - finite.size:
            lines.append(f"non-finite: {value.size - finite.size} of {value.size}")
        if value.size <= max_values:
            lines.append("= " + (_number(value.item()) if value.ndim == 0 else
                                 "[" + ", ".join(_number(v) for v in value.ravel()) + "]"))
        elif finite.size and value.dtype.kind in "fc":
            lines.append(f"μ {_number(finite.mean())} · σ {_number(finite.std())}")
            lines.append(f"[{_number(finite.min())}, {_number(finite.max())}]")
        elif finite.size:
            lines.append(f"values in [{_number(finite.min())}, {_number(finite.max())}]")
    if box.grad is not None:
        lines.append(f"‖∇‖ {_number(_norm(box.grad))}")
    return lines


def _number(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, (float, np.floating)) else str(x)


def _norm(grad: Any) -> float:
    return float(np.linalg.norm(np.ravel(np.asarray(grad, dtype=np.float64))))


def _statistics(value: Any) -> str:
    if isinstance(value, (int, float)):
        return f"{_number(value)} (python {type(value).__name__})"
    array = np.asarray(value)
    if array.ndim == 0:
        return f"{_number(array.item())} ({array.dtype})"
    text = f"{array.shape} {array.dtype}"
    if array.dtype.kind in "fiu" and array.size:
        text += (f": mean {_number(float(np.mean(array)))}, std {_number(float(np.std(array)))}"
                 f", min {_number(array.min())}, max {_number(array.max())}")
    return text


def _tooltip(node: _Node, view: GradientView) -> str:
    box = _output(node)
    if node.scope is not None:
        scope = node.scope
        what = view.label(scope) if view.is_gradient_scope(scope) else \
            f"{scope.kind} '{scope.name}'"
        lines = [f"{what}: {len(node.boxes)} boxes ({_summary(node, view, 200)})",
                 f"created at {node.boxes[0].created_at}",
                 f"output {type(box).__name__} '{box.name}'"]
    else:
        lines = [f"{type(box).__name__} '{box.name}'", f"created at {box.created_at}"]
        if box.scopes:
            lines.append("in " + " › ".join(f"{s.kind} '{s.name}'" for s in box.scopes))
        lines.extend(view.tooltip(box))
    if box.value is not None:
        lines.append(f"value {_statistics(box.value)}")
    if box.grad is not None:
        lines.append(f"gradient norm {_number(_norm(box.grad))}")
    return "\n".join(lines)


def _grad_fill(norm: float, grad_range: tuple[float, float]) -> dict[str, str]:
    """Fill colour on a log scale: blue (vanishing) - white - red (exploding); NaN purple."""
    if np.isnan(norm):
        return {"fillcolor": "#d946ef", "fontcolor": "#ffffff"}
    low, high = np.log10(grad_range[0]), np.log10(grad_range[1])
    with np.errstate(divide="ignore"):
        t = float(np.clip((np.log10(norm) - low) / (high - low), 0.0, 1.0))
    return {"fillcolor": _scale_color(t), "fontcolor": "#ffffff" if abs(t - 0.5) > 0.35
            else "#000000"}


def _scale_color(t: float) -> str:
    lower, upper = (_GRAD_COLORS[0], _GRAD_COLORS[1]) if t < 0.5 else \
        (_GRAD_COLORS[1], _GRAD_COLORS[2])
    u = 2 * t if t < 0.5 else 2 * t - 1
    return "#" + "".join(f"{round(a + (b - a) * u):02x}" for a, b in zip(lower, upper))


def _graph_label(title: str | None, colored: bool, grad_range: tuple[float, float],
                 bprop: bool) -> str:
    """The drawing's title, the gradient colour legend and the bprop view's key."""
    rows = [f"<B>{html.escape(title)}</B>"] if title else []
    if colored:
        low, high = np.log10(grad_range[0]), np.log10(grad_range[1])
        cells = "".join(f'<TD BGCOLOR="{_scale_color(t)}"><FONT POINT-SIZE="8">'
                        f"{_number(10 ** (low + (high - low) * t))}</FONT></TD>"
                        for t in np.linspace(0, 1, 6))
        rows.append('<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="3"><TR><TD>'
                    '<FONT POINT-SIZE="9">gradient norm</FONT></TD>'
                    f"{cells}</TR></TABLE>")
    if bprop:
        rows.append('<FONT POINT-SIZE="9">bprop view: boxes numbered in the order the '
                    "scheduler calls bprop; dashed boxes are skipped (no parameter needs "
                    "their gradient)</FONT>")
    if not rows:
        return ""
    body = "".join(f"<TR><TD>{row}</TD></TR>" for row in rows)
    return f'<<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="0">{body}</TABLE>>'


def _draw_inline(self: Any, include: Any = None, exclude: Any = None) -> dict:
    """Draw the graph (of a FlowGraph, or ending at a box) inline in Jupyter."""
    return to_dot(self)._repr_mimebundle_(include=include, exclude=exclude)


# the Jupyter display of boxes and graphs is this module's, registered when it loads
Box._repr_mimebundle_ = _draw_inline  # type: ignore[attr-defined]
FlowGraph._repr_mimebundle_ = _draw_inline  # type: ignore[attr-defined]
