"""How a drawn node looks: the colours and fonts of each kind of box, a node's label
(its heading, shape, value statistics and gradient norm, and the notes :mod:`.layout`
adds for the bprop view and a gradcheck report), its tooltip, the log colour scale of
gradient norms, and the drawing's title and legend. Reads a node through
:class:`StyledNode` (what :mod:`.layout`'s ``_Node`` holds) and gradient boxes through
:class:`.backprop.GradientView`.
"""
from __future__ import annotations

import html
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any, Protocol

import graphviz
import numpy as np

from ..core.box import Box, Constant, Input, Leaf, Parameter
from ..core.scope import Scope
from . import backprop as gradients
from .backprop import DrawnNode, GradientView

FONT = "Helvetica"
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
FAULT_COLOR, FAILED_COLOR, BPROP_COLOR, SKIPPED_COLOR = (
    "#dc2626", "#ea580c", "#b45309", "#9ca3af")
NAME_WIDTH, TITLE_WIDTH, TOOLTIP_WIDTH = 60, 300, 500  # characters drawn at most
_HIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}  # control, format, surrogate, line/paragraph breaks


def visible(text: str) -> str:
    """``text`` with each control or invisible character shown as its Python escape (a
    newline as ``\\n``, ESC as ``\\x1b``, a right-to-left override as ``\\u202e``): a name
    is drawn as it is spelled, and Graphviz and SVG get no character they refuse."""
    if text.isprintable():
        return text
    return "".join(c.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(c) in _HIDDEN else c for c in text)


def shown(text: str, width: int = NAME_WIDTH) -> str:
    """``text`` as a drawing shows it: :func:`visible`, and at most ``width`` characters
    (an ellipsis ends a longer one)."""
    text = visible(text)
    return text if len(text) <= width else text[:width - 1] + "…"


def html_label(markup: str) -> str:
    """A Graphviz HTML-like label of ``markup`` (names in it escaped by :mod:`html`):
    control characters :func:`visible`, backslashes doubled (else Graphviz reads
    ``\\N`` as the node's id, ``\\G`` as the graph's name)."""
    return "<" + visible(markup).replace("\\", "\\\\") + ">"


def plain_label(text: str) -> str:
    """A Graphviz plain-text label showing ``text`` (:func:`shown`): Graphviz reads
    backslash escapes (``\\G``: the graph's name) and entities (``&amp;``) in it."""
    return graphviz.escape(shown(text).replace("&", "&amp;"))


def tooltip(lines: Iterable[str]) -> str:
    """A tooltip attribute of these lines, each :func:`shown`, in Graphviz's escaping:
    entities are read (``&amp;`` is "&") and backslashes twice (``\\\\N`` is the node's
    id), so "&" is written ``&amp;`` and each backslash as four."""
    text = "\n".join(shown(line, TOOLTIP_WIDTH) for line in lines)
    return text.replace("&", "&amp;").replace("\\", 4 * "\\").replace("\n", "\\n")


class StyledNode(DrawnNode, Protocol):
    """What the labels and tooltips read of one drawn node (:mod:`.layout`'s ``_Node``)."""

    clusters: tuple[Scope, ...]
    extra: list[str]


def look(node: StyledNode, view: GradientView | None = None) -> dict[str, str]:
    if node.scope is not None:
        if view is not None and view.is_gradient_scope(node.scope):
            return dict(gradients.BACKWARD_SCOPE_LOOK)
        return dict(_LOOK[Scope])
    box = node.boxes[0]
    kind = next((k for k in (Input, Parameter, Constant) if isinstance(box, k)), Box)
    if kind is Box and view is not None and view.is_backward(box):
        return dict(gradients.BACKWARD_LOOK)
    return dict(_LOOK[kind])


def output(node: StyledNode) -> Box:
    """The box whose value a node shows: its box, or a composite's last box."""
    return node.boxes[-1]


def node_attrs(node: StyledNode, ran: bool, max_values: int,
               view: GradientView) -> dict[str, str]:
    attrs = look(node, view)
    box = output(node)
    lines = [_heading(node, view)]
    shape = _shape_text(box)
    if shape and not isinstance(box, Constant) and not (ran and shape == "scalar"):
        lines.append(f'<FONT POINT-SIZE="9">{shape}</FONT>')
    if ran and not isinstance(box, Constant):
        lines.extend(f'<FONT POINT-SIZE="9">{html.escape(line)}</FONT>'
                     for line in _annotations(box, max_values))
    lines.extend(node.extra)
    attrs["label"] = html_label("<BR/>".join(lines))
    attrs["tooltip"] = tooltip(_tooltip(node, view))
    attrs["id"] = node.id
    return attrs


def _heading(node: StyledNode, view: GradientView) -> str:
    """The first line of a node: its name in bold, then its kind (the box class, or the
    composite's kind) smaller and grey, apart: a non-breaking space survives SVG's
    whitespace collapsing, where a plain one ran them together ("Addloss"). Gradient
    boxes say which gradient they are ("∂ W", d output / d W) or what they do."""
    if node.scope is not None:
        scope = node.scope
        summary = html.escape(_summary(node, view))
        if view.is_gradient_scope(scope):
            gives = ", ".join(map(gradients.partial, view.gives(node.boxes, scope)))
            heading = f"<B>{html.escape(shown(view.label(scope)))}</B>"
            if gives:
                heading += (f'<BR/><FONT POINT-SIZE="9">gives '
                            f'{html.escape(shown(gives, TOOLTIP_WIDTH))}</FONT>')
            return f'{heading}<BR/><FONT POINT-SIZE="8">{summary}</FONT>'
        heading = _name_and_kind(scope.name, "" if scope.name == scope.kind else scope.kind)
        return f'{heading}<BR/><FONT POINT-SIZE="8">{summary}</FONT>'
    box = node.boxes[0]
    if isinstance(box, Constant):
        return html.escape(shown(box.name))
    special = view.heading(box)
    if special is not None:
        return _name_and_kind(*special)
    kind = type(box).__name__
    if not isinstance(box, Leaf) and box.name == kind.lower():
        return f"<B>{html.escape(kind)}</B>"
    return _name_and_kind(box.name, kind)


def _name_and_kind(name: str, kind: str) -> str:
    bold = f"<B>{html.escape(shown(name))}</B>"
    if not kind:
        return bold
    return (f'{bold}{_GAP}<FONT POINT-SIZE="9" COLOR="{_KIND_COLOR}">'
            f'{html.escape(shown(kind))}</FONT>')


def _summary(node: StyledNode, view: GradientView, width: int = 40) -> str:
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
        lines.append(f"‖∇‖ {_number(norm(box.grad))}")
    return lines


def _number(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, (float, np.floating)) else str(x)


def norm(grad: Any) -> float:
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


def _tooltip(node: StyledNode, view: GradientView) -> list[str]:
    box = output(node)
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
        lines.append(f"gradient norm {_number(norm(box.grad))}")
    return lines


def grad_fill(norm: float, grad_range: tuple[float, float]) -> dict[str, str]:
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


def graph_label(title: str | None, colored: bool, grad_range: tuple[float, float],
                bprop: bool) -> str:
    """The drawing's title, the gradient colour legend and the bprop view's key."""
    rows = [f"<B>{html.escape(shown(title, TITLE_WIDTH))}</B>"] if title else []
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
    return html_label(f'<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="0">{body}</TABLE>')
