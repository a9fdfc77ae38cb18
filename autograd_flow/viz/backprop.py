"""How pictures show the boxes :func:`autograd_flow.grad` makes: backprop as a graph.

A drawing that holds gradient boxes puts them in a column of their own beside the
forward graph: the forward boxes flow down; the gradient flows up, from the seed beside
the output to the gradients beside the parameters, so that each box's bprop sits level
with the box it differentiates (a gradient of a gradient gets a third column, flowing
down again). Gradient boxes are amber and say which gradient they hold ("∂ W1") or
what they do ("unbroadcast", "matmul^T"); each box's bprop is a cluster "bprop of
<box>", tied to the box by a dotted line and drawn inside mirrors of the box's own
composites ("bprop of layer: layer1"), so collapsing a layer collapses its bprop too.
An input that a gradient box reads only for its shape (where to undo broadcasting) is
named in its heading, not drawn as an edge. :func:`autograd_flow.viz.to_dot` draws with
this module; like viz, it only reads boxes.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import graphviz

from ..core.box import Box, Constant, Leaf
from ..core.scope import Scope
from ..ops.plumbing import (
    Adjoint,
    AstypeLike,
    BroadcastLike,
    NumericBprop,
    Seed,
    SeedAs,
    SumLike,
    ZerosLike,
)
from ..ops.reduce import ExpandReduced

BPROP = "bprop"  # the scope kind af.grad gives the boxes of one box's gradient
SEEDS = (Seed, SeedAs)
COLUMNS = ("forward", "gradient (af.grad)", "gradient of the gradient")

BACKWARD_LOOK = {"shape": "box", "style": "rounded,filled", "fillcolor": "#fff4e0",
                 "color": "#b45309"}
BACKWARD_SCOPE_LOOK = {"shape": "box3d", "style": "filled", "fillcolor": "#fde8c8",
                       "color": "#b45309"}
BPROP_CLUSTER_LOOK = {"style": "rounded,dashed", "color": "#d97706", "fontcolor": "#92400e"}
COLUMN_LOOK = {"style": "rounded", "color": "#e5e7eb", "fontcolor": "#6b7280",
               "fontsize": "12", "labeljust": "c"}
TIE_LOOK = {"style": "dotted", "color": "#d97706", "arrowhead": "none", "penwidth": "1.2",
            "minlen": "0", "weight": "10"}
REUSE_LOOK = {"color": "#9ca3af", "penwidth": "0.8"}
GRADIENT_EDGE_COLOR = "#b45309"

# inputs whose value a plumbing box never reads, only its shape or dtype
_SHAPE_ONLY: dict[type, tuple[int, ...]] = {
    SumLike: (1,), BroadcastLike: (1,), ZerosLike: (0,), Seed: (0,), SeedAs: (1,),
    AstypeLike: (1,), ExpandReduced: (1,)}


def bprop_scope(box: Box) -> Scope | None:
    """The innermost "bprop" scope of ``box``, whose ``of`` is the box it differentiates
    (None for a box af.grad did not make)."""
    return next((s for s in reversed(box.scopes) if _is_bprop(s)), None)


def _is_bprop(scope: Scope) -> bool:
    return scope.kind == BPROP and isinstance(scope.of, Box)


def reads_shape_only(box: Box, position: int) -> bool:
    """True when ``box`` reads only the shape (or dtype) of its input at ``position``."""
    if isinstance(box, Adjoint):  # inputs (d y, x_1, ..., x_n) of a (multi)linear L:
        k = position - 1  # L_k^T d y reads x_k's shape, and the other x_j of a linear L
        return k >= 0 and (k == box.position or (not box.of.multilinear and k in box.of.linear_in))
    return position in _SHAPE_ONLY.get(type(box), ())


def describe_box(box: Box) -> str:
    """A box's name ("∂ x" for af.grad's "d x"), or its class when the name is only the
    class in lower case."""
    kind = type(box).__name__
    if box.name == kind.lower():
        return kind
    if box.name.startswith("d ") and (bprop_scope(box) is not None or isinstance(box, ZerosLike)):
        return f"∂ {box.name[2:]}"
    return box.name


def partial(box: Box) -> str:
    """ "∂ W": how a drawing names d output / d ``box``."""
    name = describe_box(box)
    return f"∂({name})" if name.startswith("∂") else f"∂ {name}"


@dataclass
class GradientView:
    """What a drawing needs to know about the gradient boxes among ``order``: each box's
    column (0 forward, 1 its gradient, 2 the gradient's gradient), the composites it is
    drawn in, and which boxes are d output / d some box (drawn "∂ that box").

    A gradient box is drawn inside mirrors of the composites its forward box is in: the
    boxes of "bprop of W h" sit in "bprop of linear: a1" inside "bprop of layer: layer1",
    so collapsing the layers (``collapse=True`` or ``{"layer"}``) collapses their
    gradients too. A mirror has its composite's kind and name (one per column)."""

    order: Sequence[Box]
    levels: dict[int, int] = field(init=False)
    gradient_of: dict[int, Box] = field(init=False)
    mirrored: dict[Scope, Scope] = field(init=False)  # mirror -> the composite it mirrors
    _scopes: dict[int, tuple[Scope, ...]] = field(init=False)
    _mirrors: dict[tuple[Scope, int], Scope] = field(init=False)

    def __post_init__(self) -> None:
        made = any(map(self.is_backward, self.order))  # else nothing to find: draw fast
        self.levels = _levels(self.order) if made else {}
        self.gradient_of = _gradients(self.order) if made else {}
        self.mirrored, self._scopes, self._mirrors = {}, {}, {}

    @property
    def present(self) -> bool:
        """Whether the graph holds any gradient box."""
        return any(self.levels.values())

    def level(self, box: Box) -> int:
        """The column of ``box``: 0 forward, 1 gradient, 2 gradient of the gradient."""
        return self.levels.get(id(box), 0)

    def level_of(self, node: DrawnNode) -> int:
        """The column of a drawn node (all its boxes share one)."""
        return self.level(node.boxes[0])

    def is_backward(self, box: Box) -> bool:
        """Whether af.grad made ``box`` (drawn amber)."""
        return bprop_scope(box) is not None or isinstance(box, SEEDS) or (
            isinstance(box, ZerosLike) and box.name.startswith("d "))

    def scopes(self, box: Box) -> tuple[Scope, ...]:
        """The composites ``box`` is drawn in, outermost first: its own, with the mirrors
        of its forward box's composites before its bprop scope."""
        if not self.levels:
            return box.scopes
        found = self._scopes.get(id(box))
        if found is None:
            found = self._scopes[id(box)] = self._drawn_scopes(box)
        return found

    def _drawn_scopes(self, box: Box) -> tuple[Scope, ...]:
        chain, inner = [], box  # iterative: a gradient of a gradient of ... nests
        while (scope := bprop_scope(inner)) is not None:
            chain.append((inner, scope))
            inner = scope.of
        scopes = inner.scopes
        for outer, scope in reversed(chain):
            k = outer.scopes.index(scope)
            level = self.level(outer)
            scopes = (*outer.scopes[:k], *(self._mirror(s, level) for s in scopes), scope,
                      *outer.scopes[k + 1:])
        return scopes

    def _mirror(self, scope: Scope, level: int) -> Scope:
        key = (scope, level)
        if key not in self._mirrors:
            mirror = self._mirrors[key] = Scope(scope.kind, scope.name)
            self.mirrored[mirror] = scope
        return self._mirrors[key]

    def label(self, scope: Scope) -> str:
        """A composite's label: "bprop of h1", "bprop of layer: layer1", "linear: a1"."""
        if _is_bprop(scope):
            return f"bprop of {describe_box(scope.of)}"
        if scope in self.mirrored:
            return f"bprop of {self.label(self.mirrored[scope])}"
        return scope.kind if scope.name == scope.kind else f"{scope.kind}: {scope.name}"

    def kind(self, scope: Scope) -> str:
        """A composite's kind in a summary: "linear", "bprop of linear", "bprop of Tanh"."""
        if _is_bprop(scope):
            return f"bprop of {type(scope.of).__name__}"
        if scope in self.mirrored:
            return f"bprop of {self.kind(self.mirrored[scope])}"
        return scope.kind

    def is_gradient_scope(self, scope: Scope) -> bool:
        """A bprop scope or the mirror of a composite: drawn amber."""
        return _is_bprop(scope) or scope in self.mirrored

    def gives(self, boxes: Sequence[Box], scope: Scope) -> list[Box]:
        """The boxes x for which ``boxes`` (a collapsed ``scope``) compute d output / d x
        that leaves them: the inputs of the boxes or composite being differentiated."""
        inside = self.mirrored.get(scope)
        found = [self.gradient_of[id(b)] for b in boxes if id(b) in self.gradient_of]
        if inside is not None:
            found = [x for x in found if inside not in self.scopes(x)]
        return list(dict.fromkeys(found))

    def heading(self, box: Box) -> tuple[str, str] | None:
        """(name, kind) for a gradient or plumbing box's heading; None for the others."""
        of = self.gradient_of.get(id(box))
        if isinstance(box, Seed):
            return partial(box.inputs[0]), "seed = 1"
        if isinstance(box, SeedAs):
            return partial(box.inputs[1]), "seed given"
        plumbing = _plumbing(box)
        kind = plumbing[0] if plumbing else type(box).__name__
        if of is not None:
            return partial(of), kind
        if describe_box(box).startswith("∂"):  # af.grad's sums and zeros, "d x"
            return describe_box(box), kind
        return plumbing

    def tooltip(self, box: Box) -> list[str]:
        """Lines for a gradient box's tooltip: what it computes and for which box."""
        lines = []
        scope = bprop_scope(box)
        if scope is not None:
            lines.append(f"part of af.grad's bprop of {type(scope.of).__name__} "
                         f"'{scope.of.name}'")
        of = self.gradient_of.get(id(box))
        if of is not None:
            lines.append(f"d output / d {type(of).__name__} '{of.name}' through this bprop "
                         "(all of it, or one term of the sum when the box feeds several)")
        doc = (type(box).__doc__ or "").strip().splitlines()
        if doc and (scope is not None or _plumbing(box)):
            lines.append(doc[0].strip())
        return lines


def _plumbing(box: Box) -> tuple[str, str] | None:
    """Short (name, kind) headings for the boxes gradients are wired with."""
    if isinstance(box, SumLike):
        return "unbroadcast", f"sum to {describe_box(box.inputs[1])}'s shape"
    if isinstance(box, BroadcastLike):
        return "broadcast", f"to {describe_box(box.inputs[1])}'s shape"
    if isinstance(box, ZerosLike):
        return "0", f"zeros like {describe_box(box.inputs[0])}"
    if isinstance(box, AstypeLike):
        return "astype", f"to {describe_box(box.inputs[1])}'s dtype"
    if isinstance(box, Adjoint):
        of, position = box.of, box.position
        return box.name, f"adjoint of {describe_box(of)} for {describe_box(of.inputs[position])}"
    if isinstance(box, ExpandReduced):
        return "expand", f"to {describe_box(box.inputs[1])}'s dims"
    if isinstance(box, NumericBprop):
        return box.name, f"numeric bprop, input {box.position}"
    return None


def _levels(order: Sequence[Box]) -> dict[int, int]:
    """id(box) -> its column: the forward graph 0; a box af.grad made one more than the
    box it differentiates; a box computed from gradients at least their column; all the
    boxes of one composite (one bprop, say) in the column of the latest of them, so a
    cluster never spans columns; a Constant outside composites beside its first reader."""
    levels: dict[int, int] = {}
    scope_level: dict[Scope, int] = {}
    for _ in range(100):  # levels only grow: a fixed point, in a pass or two
        changed = False
        for box in order:
            level = max((levels.get(id(i), 0) for i in box.inputs), default=0)
            level = max([level, *(scope_level.get(s, 0) for s in box.scopes)])
            scope = bprop_scope(box)
            if scope is not None:
                level = max(level, levels.get(id(scope.of), 0) + 1)
            elif isinstance(box, SEEDS):
                level = max(level, levels.get(id(box.inputs[-1]), 0) + 1)
            if level != levels.get(id(box), 0):
                levels[id(box)], changed = level, True
            for s in box.scopes:
                if level > scope_level.get(s, 0):
                    scope_level[s], changed = level, True
        if not changed:
            break
    readers: dict[int, int] = {}
    for box in order:
        for i in box.inputs:
            readers[id(i)] = min(readers.get(id(i), levels.get(id(box), 0)),
                                 levels.get(id(box), 0))
    for box in order:
        if isinstance(box, Constant) and not box.scopes and id(box) in readers:
            levels[id(box)] = readers[id(box)]
    return {key: level for key, level in levels.items() if level}


def _gradients(order: Sequence[Box]) -> dict[int, Box]:
    """id(box) -> the box x when the box is d output / d x for an input x of the box
    its bprop differentiates: an unbroadcast to x's shape, the one result of the bprop
    of a box with one input (the member no other member reads), or the sum af.grad
    names "d x" of such results."""
    members: dict[Scope, list[Box]] = {}
    for box in order:
        scope = bprop_scope(box)
        if scope is not None:
            members.setdefault(scope, []).append(box)
    found: dict[int, Box] = {}
    for scope, boxes in members.items():
        forward = scope.of
        inputs = set(map(id, forward.inputs))
        for box in boxes:
            if isinstance(box, SumLike) and id(box.inputs[1]) in inputs:
                found[id(box)] = box.inputs[1]
        if len(forward.inputs) == 1:
            read = {id(i) for box in boxes for i in box.inputs}
            results = [b for b in boxes if id(b) not in read and not isinstance(b, Leaf)]
            if len(results) == 1:
                found.setdefault(id(results[0]), forward.inputs[0])
    for box in order:  # af.grad's "d x": the sum of x's gradients through its readers
        if box.name.startswith("d ") and bprop_scope(box) is not None:
            target = next((found[id(i)] for i in box.inputs if id(i) in found
                           and found[id(i)].name == box.name[2:]), None)
            if target is not None:
                found.setdefault(id(box), target)
    return found


# -- layout: columns, edges, ties -------------------------------------------------------


class DrawnNode(Protocol):
    """What the layout reads of one drawn node (:mod:`.layout`'s ``_Node``)."""

    id: str
    boxes: list[Box]
    scope: Scope | None


def columns(levels: Iterable[int]) -> dict[int, graphviz.Digraph]:
    """A labelled column per level (forward, gradient, gradient of the gradient), each
    holding an invisible node that :func:`order_columns` lines up left to right."""
    found = {}
    for level in sorted(set(levels)):
        label = COLUMNS[level] if level < len(COLUMNS) else f"gradient of order {level}"
        column = graphviz.Digraph(name=f"cluster_column{level}",
                                  graph_attr={"label": label, **COLUMN_LOOK})
        column.node(f"column{level}", style="invis", shape="point", width="0")
        found[level] = column
    return found


def order_columns(dot: graphviz.Digraph, levels: Iterable[int]) -> None:
    """Forward on the left, then the gradient, then its gradient (Graphviz may still
    swap them when that crosses fewer edges)."""
    levels = sorted(levels)
    with dot.subgraph() as top:
        top.attr(rank="same")
        for level in levels:
            top.node(f"column{level}")
    for left, right in zip(levels, levels[1:]):
        dot.edge(f"column{left}", f"column{right}", style="invis")


def edge(dot: graphviz.Digraph, tail: str, head: str, levels: tuple[int, int],
         attrs: dict[str, str]) -> None:
    """An edge between columns reads a value computed before (grey, not shaping the
    layout); one inside a gradient column carries a gradient (amber) and is laid out
    upwards in an odd column (it still points the way data flows)."""
    if levels[0] != levels[1]:
        dot.edge(tail, head, **{**REUSE_LOOK, "constraint": "false", **attrs})
    elif levels[1] % 2:
        dot.edge(head, tail, **{"color": GRADIENT_EDGE_COLOR, **attrs, "dir": "back"})
    elif levels[1]:
        dot.edge(tail, head, **{"color": GRADIENT_EDGE_COLOR, **attrs})
    else:
        dot.edge(tail, head, **attrs)


def ties(dot: graphviz.Digraph, nodes: Sequence[DrawnNode], node_of: Mapping[int, DrawnNode],
         cluster_names: Mapping[Scope, str], view: GradientView) -> None:
    """A dotted line from each forward box (or the node holding it) to its bprop: to the
    cluster (``cluster_names``) or to the node holding it, and from an output to its
    seed; weighted so the layout sets them level."""
    ends: dict[tuple[str, str], tuple[DrawnNode, str | None]] = {}

    def gives(node: DrawnNode) -> bool:
        return any(id(box) in view.gradient_of for box in node.boxes)

    def tie(forward: Box, node: DrawnNode, cluster: str | None) -> None:
        tail = node_of.get(id(forward))
        if tail is None or tail is node:
            return
        key = (tail.id, cluster or node.id)
        found = ends.get(key)
        if found is None or (not gives(found[0]) and gives(node)):
            ends[key] = (node, cluster)  # to the node of the bprop's first result

    for node in nodes:
        if node.scope is not None:  # collapsed: every box it differentiates
            for box in node.boxes:
                scope = bprop_scope(box)
                if scope is not None:
                    tie(scope.of, node, None)
            continue
        box = node.boxes[0]
        if isinstance(box, SEEDS):
            tie(box.inputs[-1], node, None)
        scope = bprop_scope(box)
        if scope is not None:
            tie(scope.of, node, cluster_names.get(scope))
    for (tail, _), (node, cluster) in ends.items():
        dot.edge(tail, node.id, **TIE_LOOK, **({"lhead": cluster} if cluster else {}))
