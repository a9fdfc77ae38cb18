"""ONNX out and in: :func:`export` writes a flow graph as an ONNX model, :func:`load`
reads an ONNX model as a flow graph of boxes (to draw, gradcheck, differentiate to any
order and fine-tune). Both need the ``onnx`` extra (``pip install
"autograd_flow[onnx]"``: onnx, onnxruntime); without it, they raise a one-line
:class:`~autograd_flow.errors.MissingExtraError`. The ops each side writes and reads are
listed in the README's ONNX section.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import OnnxError
from ..extras import explain

if TYPE_CHECKING:
    from ..core.box import Box
    from ..core.graph import FlowGraph

__all__ = ["export", "load", "OnnxError"]


def export(graph_or_outputs: FlowGraph | Box | Sequence[Box], path: str | Path,
           opset: int | None = None) -> Any:
    """Write a flow graph (a FlowGraph, or its output box or boxes) to ``path`` as an
    ONNX model and return it (an ``onnx.ModelProto``).

    The model's inputs are the graph's Inputs, named as they are, with the shape and
    dtype each declares (``af.Input("x", shape=(None, 64), dtype=np.float32)``, None
    a free length) or, where none is declared, those of the graph's last feed. Its
    initializers are the Parameters (named as they are), its outputs the graph's
    outputs. ``opset=N`` writes exactly opset N (13 or later; default 18). A box with no
    ONNX form raises :class:`OnnxError` naming it, the line that created it and why
(the README's ONNX section lists them)."""
    try:
        from .to_onnx import export as write
    except ModuleNotFoundError as error:
        raise explain(error, "af.onnx.export") or error from None
    return write(graph_or_outputs, path, opset)


def load(path: str | Path) -> FlowGraph:
    """Read the ONNX model at ``path`` (with the tensors it keeps in files beside it, if
    any) as a FlowGraph of boxes: its inputs become Inputs named as in the model (with
    its shapes, None for a free length, and dtypes), its float initializers Parameters
    (named as in the model) and other initializers and Constant nodes Constants, each
    node the boxes of its op. An op or attribute with no box form raises
    :class:`OnnxError` naming the node and its op."""
    try:
        from .from_onnx import load as read
    except ModuleNotFoundError as error:
        raise explain(error, "af.onnx.load") or error from None
    return read(path)
