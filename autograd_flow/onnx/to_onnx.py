"""``af.onnx.export``: a flow graph as an ONNX model.

Every primitive box becomes one ONNX node or a few (the rules of
:mod:`.export_math`, :mod:`.export_shape` and :mod:`.export_arrange`); composites go
through their primitives. The primitives of :data:`.no_form.NO_FORM` are refused with
the reason it gives. Inputs become the model's inputs (named as the Inputs,
shaped and typed as they declare, or as last fed), Parameters its initializers (named
as the Parameters), Constants Constant nodes, and the outputs its outputs.

Rules need to know each box's rank and some lengths, so the graph is run first (twice
when an Input declares a free axis, with two lengths for it, so that the lengths that
follow it are known to be free); the boxes' values are put back afterwards.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ..core.box import Box, Constant, Input, Parameter
from ..core.graph import FlowGraph
from ..errors import OnnxError, describe
from . import (  # noqa: F401 (register the rules)
    export_arrange,
    export_math,
    export_products,
    export_reduce,
    export_shape,
)
from .no_form import NO_FORM
from .writer import RULES, Writer, is_weak

#: the opset written when none is asked for
DEFAULT_OPSET = 18
#: the oldest opset written (Unsqueeze, Squeeze and ReduceSum take axes as inputs)
MIN_OPSET = 13


def export(graph_or_outputs: FlowGraph | Box | Sequence[Box], path: str | Path,
           opset: int | None = None) -> onnx.ModelProto:
    """Write the graph (a FlowGraph, or its output box or boxes) to ``path`` as an ONNX
    model of opset ``opset`` (default :data:`DEFAULT_OPSET`), checked with
    ``onnx.checker``; return the model. A box with no ONNX form raises OnnxError naming
    it and where it was created, before anything is written."""
    graph = graph_or_outputs if isinstance(graph_or_outputs, FlowGraph) \
        else FlowGraph(graph_or_outputs, compile=False)
    opset = _checked_opset(opset)
    specs = {id(box): _input_spec(box) for box in graph.inputs}
    samples, shapes = _probe(graph, specs)
    writer = Writer(opset, samples, shapes)
    model_inputs, initializers = _leaves(graph, specs, writer)
    outputs = _write_boxes(graph, writer)
    model = helper.make_model(
        helper.make_graph(writer.nodes, "autograd_flow", model_inputs, outputs,
                          initializer=initializers),
        opset_imports=[helper.make_opsetid("", opset)], producer_name="autograd_flow")
    model.ir_version = helper.find_min_ir_version_for(list(model.opset_import))
    onnx.checker.check_model(model, full_check=True)
    Path(path).write_bytes(model.SerializeToString())
    return model


def _checked_opset(opset: Any) -> int:
    newest = onnx.defs.onnx_opset_version()
    if opset is None:
        return DEFAULT_OPSET
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) \
            or not MIN_OPSET <= opset <= newest:
        raise OnnxError(f"opset must be an integer from {MIN_OPSET} to {newest} (the newest "
                        f"this onnx package knows), got {opset!r}.")
    return int(opset)


def _input_spec(box: Input) -> tuple[tuple[int | None, ...], np.dtype]:
    """An Input's shape (None: free) and dtype: declared, or those of its last feed."""
    value = box.value
    shape = box.shape if box.shape is not None else (
        None if value is None else np.shape(value))
    dtype = box.dtype if box.dtype is not None else (
        None if value is None else np.result_type(value))
    if shape is None or dtype is None:
        missing = " and ".join(w for w, v in (("shape", shape), ("dtype", dtype)) if v is None)
        raise OnnxError(f"{describe(box)} declares no {missing} and was never fed: feed the "
                        f"graph once, or declare them (af.Input({box.name!r}, shape=(None, "
                        "64), dtype=np.float32), None for a free length).")
    return tuple(shape), np.dtype(dtype)


def _probe_feed(box: Input, spec: tuple[tuple[int | None, ...], np.dtype], extra: int
                ) -> np.ndarray:
    """What the probe feeds ``box``: its last feed when it fits its spec, each free
    axis ``extra`` entries longer (copies of its first entry); else a made-up array
    (free axes of length 2 + extra) of 0.5, 0 or True."""
    shape, dtype = spec
    value = box.value
    fits = isinstance(value, np.ndarray) and value.dtype == dtype and value.ndim == len(shape) \
        and all(s is None or s == v for s, v in zip(shape, value.shape))
    if not fits or any(s is None and v == 0 for s, v in zip(shape, value.shape)):
        lengths = tuple(2 + extra if s is None else s for s in shape)
        fill = 0.5 if dtype.kind == "f" else (True if dtype.kind == "b" else 0)
        return np.full(lengths, fill, dtype)
    for axis, side in enumerate(shape):
        if side is None and extra:
            value = np.concatenate([value] + [np.take(value, [0], axis)] * extra, axis=axis)
    return value


def _probe(graph: FlowGraph, specs: dict[int, tuple]) -> tuple[dict[int, Any], dict[int, tuple]]:
    """Each box's value in a run of the graph, and its shape with None for the axes
    whose length changes with the free axes of the inputs."""
    saved = {id(box): box.value for box in graph.order}
    runs = 2 if any(None in specs[id(box)][0] for box in graph.inputs) else 1
    samples: dict[int, Any] = {}
    shapes: dict[int, tuple] = {}
    try:
        probe = FlowGraph(list(graph.outputs), compile=False)
        for extra in range(runs):
            probe.fprop({box: _probe_feed(box, specs[id(box)], extra)
                         for box in graph.inputs})
            for box in graph.order:
                shape = np.shape(box.value)
                if extra == 0:
                    samples[id(box)] = box.value if is_weak(box.value) or box.value is None \
                        else np.asarray(box.value)
                    shapes[id(box)] = shape
                else:
                    shapes[id(box)] = tuple(None if len(shape) != len(shapes[id(box)]) or a != b
                                            else a for a, b in zip(shapes[id(box)], shape))
    finally:
        for box in graph.order:
            box.value = saved[id(box)]
    for box in graph.inputs:  # as declared (a declared free axis may be 1 in both runs)
        shapes[id(box)] = specs[id(box)][0]
    return samples, shapes


def _leaves(graph: FlowGraph, specs: dict[int, tuple], writer: Writer
            ) -> tuple[list[onnx.ValueInfoProto], list[onnx.TensorProto]]:
    """The model's inputs (the Inputs) and initializers (the Parameters), named as the
    boxes; two Inputs may not share a name (a feed names them)."""
    model_inputs = []
    for box in graph.inputs:
        if box.name in writer.taken:
            raise OnnxError(f"{describe(box)}: another Input of the graph is named "
                            f"{box.name!r}; the model's inputs are fed by name: rename one.")
        shape, dtype = specs[id(box)]
        name = writer.values[id(box)] = writer.fresh(box.name)
        dims = [f"{name}_{axis}" if side is None else side for axis, side in enumerate(shape)]
        model_inputs.append(helper.make_tensor_value_info(
            name, helper.np_dtype_to_tensor_dtype(dtype), dims))
    initializers = []
    for parameter in graph.parameters:
        name = writer.values[id(parameter)] = writer.fresh(parameter.name)
        initializers.append(numpy_helper.from_array(np.array(parameter.value, order="C"), name))
    return model_inputs, initializers


def _write_boxes(graph: FlowGraph, writer: Writer) -> list[onnx.ValueInfoProto]:
    """The nodes of every box, in order; the model's outputs, named as the output boxes."""
    wanted: dict[int, str | None] = {}
    for box in graph.outputs:
        if id(box) not in wanted and not isinstance(box, Constant):
            wanted[id(box)] = writer.fresh(box.name) if not isinstance(box, Parameter) \
                and not isinstance(box, Input) else None
    for box in graph.order:
        if isinstance(box, (Input, Parameter, Constant)):
            continue
        convert = RULES.get(type(box))
        if convert is None:
            raise OnnxError(_no_form(box))
        writer.box = box
        start = len(writer.nodes)
        name = convert(writer, box)
        target = wanted.get(id(box))
        if target:
            name = _renamed(writer, start, name, target)
        writer.values[id(box)] = name
    writer.box = None
    outputs = []
    for box in graph.outputs:
        if isinstance(box, Constant) or wanted.get(id(box)) is None:
            raise OnnxError(f"{describe(box)} is an output of the graph but a leaf; export "
                            "the boxes computed from it.")
        sample = writer.sample(box)
        outputs.append(helper.make_tensor_value_info(
            writer.values[id(box)], helper.np_dtype_to_tensor_dtype(np.result_type(sample)),
            list(writer.shape(box))))
    return outputs


def _renamed(writer: Writer, start: int, name: str, wanted: str) -> str:
    """Give the box's last value the output's name (an Identity when the rule wrote no
    node of its own for it)."""
    made = writer.nodes[start:]
    for node in made:
        if name in node.output and node.op_type != "Constant":
            for other in made:
                for k, used in enumerate(other.input):
                    if used == name:
                        other.input[k] = wanted
            node.output[list(node.output).index(name)] = wanted
            return wanted
    writer.nodes.append(helper.make_node("Identity", [name], [wanted], name=wanted))
    return wanted


def _no_form(box: Box) -> str:
    if type(box) in NO_FORM:
        return f"{describe(box)} has no ONNX form: {NO_FORM[type(box)]}."
    if type(box).__module__.startswith("autograd_flow."):
        return (f"{describe(box)} has no ONNX form (the ONNX export writes the primitives "
                "listed in the README's ONNX section).")
    return (f"{describe(box)} is a custom box ({type(box).__module__}.{type(box).__name__}), "
            "which has no ONNX form: write its fprop with af functions and operators (a "
            "composite of primitives exports), or leave it out of the exported graph.")
