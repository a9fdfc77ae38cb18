"""Turning a graph into what is drawn: the nodes (one per box, one per collapsed
composite, and at most ``max_nodes`` of them), the clusters of expanded composites
(scopes), and the edges between nodes; and the notes the bprop view and a gradcheck
report add to nodes. How the nodes look is :mod:`.style`'s; where gradient boxes go,
:mod:`.backprop`'s.
"""
from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import graphviz

from ..autodiff.gradcheck import GradcheckReport
from ..core.box import Box, Input, Leaf, Parameter
from ..core.graph import FlowGraph
from ..core.scope import Scope
from . import backprop as gradients
from . import style
from .backprop import GradientView
from .style import BPROP_COLOR, FAILED_COLOR, FAULT_COLOR, SKIPPED_COLOR, look

Collapse = bool | str | Iterable[str]


@dataclass
class _Node:
    """One drawn node: a box, or the members of a collapsed composite."""

    id: str
    boxes: list[Box]
    scope: Scope | None = None
    clusters: tuple[Scope, ...] = ()
    extra: list[str] = field(default_factory=list)  # label lines from bprop view / report
    attrs: dict[str, str] = field(default_factory=dict)


# -- grouping boxes into nodes and clusters ------------------------------------------------

def bounded(order: list[Box], collapse: Collapse | None, max_nodes: int | None,
            title: str | None, view: GradientView
            ) -> tuple[list[_Node], dict[int, _Node], str | None]:
    """The nodes of the drawing, at most ``max_nodes`` of them (see
    :func:`.output.to_dot`): the composites collapsed when ``collapse`` is None and
    expanded would be too many, then if still too many the middle of the topological
    order as one node. Returns (nodes, id(box) -> node, the title, with a note when
    composites were collapsed for size)."""
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
        "tooltip": style.tooltip([f"{count} between '{head[-1].boxes[-1].name}' and "
                                  f"'{tail[0].boxes[0].name}' in topological order are not "
                                  "drawn"])})
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


def clusters(nodes: list[_Node], view: GradientView) -> dict[Scope, _Cluster]:
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
                "label": style.plain_label(label), **look, "fontsize": "10", "labeljust": "l"})
            clusters[scope] = _Cluster(subgraph, node.clusters[depth - 1] if depth else None,
                                       depth, view.level_of(node))
    return clusters


def attach_clusters(dot: graphviz.Digraph, clusters: dict[Scope, _Cluster],
                    columns: dict[int, graphviz.Digraph]) -> None:
    """Put each cluster into the composite it was made in (or its column), innermost
    first, then the columns into the drawing."""
    for cluster in sorted(clusters.values(), key=lambda c: -c.depth):
        (columns.get(cluster.level, dot) if cluster.parent is None else
         clusters[cluster.parent].graph).subgraph(cluster.graph)
    for column in columns.values():
        dot.subgraph(column)


def edges(dot: graphviz.Digraph, nodes: list[_Node], node_of: dict[int, _Node],
          graph: FlowGraph | None, view: GradientView) -> None:
    """One edge per (source node, consumer node), labelled ×n when a box takes the same
    input n times (not for a collapsed composite's inner fan-out). In the
    bprop view (``graph`` given) edges that carry a gradient back are amber, others grey.
    Edges between and within gradient columns: see :func:`.backprop.edge`."""
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
            attrs.update({"color": BPROP_COLOR, "penwidth": "1.6"} if flows[tail, head]
                         else {"color": SKIPPED_COLOR, "style": "dashed"})
        gradients.edge(dot, tail, head, (levels[tail], levels[head]), attrs)


# -- bprop view and gradcheck report -------------------------------------------------------

def mark_bprop(nodes: list[_Node], graph: FlowGraph) -> None:
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
            node.extra.append(f'<FONT COLOR="{BPROP_COLOR}"><B>{text}</B></FONT>')
        elif operations and all(id(b) in skipped for b in operations):
            node.extra.append(f'<FONT COLOR="{SKIPPED_COLOR}">skipped</FONT>')
            node.attrs.update(style=look(node).get("style", "") + ",dashed",
                              color=SKIPPED_COLOR, fontcolor=SKIPPED_COLOR)
        elif any(id(b) in wanted for b in node.boxes):
            node.extra.append(f'<FONT COLOR="{BPROP_COLOR}">gradient wanted</FONT>')


def mark_report(nodes: list[_Node], node_of: dict[int, _Node],
                report: GradcheckReport) -> None:
    """Red for boxes whose own bprop is wrong, orange for boxes with failed entries."""
    for fault in report.faults:
        node = node_of.get(id(fault.box))
        if node is None:
            raise ValueError(f"the gradcheck report blames {type(fault.box).__name__} "
                             f"'{fault.box.name}', which is not in this graph: pass the "
                             "report of this graph's gradcheck")
        source = fault.box.inputs[fault.input_position]
        name = html.escape(style.shown(source.name))
        node.extra.append(f'<FONT COLOR="{FAULT_COLOR}"><B>✗ bprop wrong for input '
                          f'#{fault.input_position} ({name})</B></FONT>')
        node.attrs.update(color=FAULT_COLOR, penwidth="3")
    failed = Counter(id(e.box) for e in report.failures)
    checked = Counter(id(e.box) for e in report.entries)
    for box_id, count in failed.items():
        node = node_of.get(box_id)
        if node is None:
            continue
        node.extra.append(f'<FONT COLOR="{FAILED_COLOR}">✗ {count} of {checked[box_id]} '
                          'gradient entries wrong</FONT>')
        node.attrs.setdefault("color", FAILED_COLOR)
        node.attrs.setdefault("penwidth", "2.5")
