"""``af.onnx.load``: an ONNX model as a flow graph of boxes.

The model's inputs become Inputs (named as in the model, with its shapes, None for a
free length, and dtypes), its float initializers Parameters (named as in the model),
other initializers Constants; each node becomes the boxes of its op (the rules of
:mod:`.import_ops`, :mod:`.import_shape` and :mod:`.import_nn`), made inside a scope
named after the node, so a drawing can collapse it. A node whose inputs are all
constant is computed once, at load time, into a Constant (the shape arithmetic
exporters write). The shape of a box with a free length
is known only in part: the lengths picked from it (:data:`.reader.PICKS`) are constants
when none is free; a Reshape takes -1 for its one free length, an Expand to the whole
shape broadcasts like the box; any other value computed from a free length is known
only at run time, which a Reshape alone can use (it takes the shape ONNX's shape
inference gives its output).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import external_data_helper, helper, numpy_helper

from ..core.box import Box, Constant, Input, Parameter
from ..core.graph import FlowGraph
from ..core.scope import scope
from ..errors import OnnxError
from . import import_nn, import_ops, import_shape  # noqa: F401 (register the rules)
from .reader import (
    DYNAMIC,
    FREE,
    IMPORTS,
    PICKS,
    TAKES_DYNAMIC,
    Dynamic,
    Reader,
    ShapeOf,
    Value,
    dims,
)


def load(path: str | Path) -> FlowGraph:
    """Read the ONNX model at ``path`` as a FlowGraph (see :mod:`.from_onnx`)."""
    path = Path(path)
    model = _read(path)
    reader = Reader(model, path)
    graph = model.graph
    for tensor in graph.initializer:
        array = np.array(numpy_helper.to_array(tensor))  # writeable: Parameters train
        reader.values[tensor.name] = Parameter(array, name=tensor.name) \
            if array.dtype.kind == "f" else Constant(array, name=tensor.name)
    for info in graph.input:
        if info.name in reader.values:
            continue
        dtype = helper.tensor_dtype_to_np_dtype(info.type.tensor_type.elem_type)
        reader.values[info.name] = Input(info.name, shape=dims(info.type), dtype=dtype)
    for node in graph.node:
        reader.node = node
        for name, value in zip(node.output, _boxes(reader, node)):
            if name:
                if isinstance(value, Box) and not isinstance(value, (Input, Parameter, Constant)):
                    value.name = name
                reader.values[name] = value
    reader.node = None
    outputs = [reader.values[info.name] for info in graph.output]
    for info, box in zip(graph.output, outputs):
        if isinstance(box, Dynamic):
            raise OnnxError(f"{path}: the output {info.name!r} is computed from the length "
                            "of a free axis only; it has no box form.")
    return FlowGraph(outputs)


def _boxes(reader: Reader, node: onnx.NodeProto) -> list[Value]:
    """The values of the node's outputs: boxes by its op's rule, constants when its
    inputs are constant, markers of values known only at run time."""
    rule = IMPORTS.get(node.op_type)
    if node.domain not in ("", "ai.onnx") or rule is None:
        domain = f" of domain {node.domain!r}" if node.domain not in ("", "ai.onnx") else ""
        raise reader.refuse(f"the op {node.op_type}{domain} has no box form; the ops "
                            "af.onnx.load reads are listed in the README's ONNX section.")
    inputs = [reader.values[name] if name else None for name in node.input]
    dynamic = any(isinstance(v, Dynamic) for v in inputs) and node.op_type not in TAKES_DYNAMIC
    picks = dynamic and node.op_type in PICKS and all(
        v is None or isinstance(v, (Constant, ShapeOf)) for v in inputs)
    if dynamic and not picks:
        if any(isinstance(v, Box) and not isinstance(v, Constant) for v in inputs):
            raise reader.refuse("it combines the graph's values with a value computed from "
                                "the length of a free axis (known only at run time); export "
                                "the model with that axis fixed.")
        return [DYNAMIC] * len(node.output)
    if picks:  # on the lengths, FREE where free: picked, never computed with
        inputs = [Constant(v.lengths) if isinstance(v, ShapeOf) else v for v in inputs]
    with scope(node.op_type.lower(), node.name or node.output[0]):
        results = rule(reader, node, inputs)
    results = list(results) if isinstance(results, (list, tuple)) else [results]
    if _foldable(inputs, results):
        results = [_folded(box, name) for box, name in zip(results, node.output)]
    return [_free(box) for box in results] if picks else results


def _foldable(inputs: list[Value], results: list[Any]) -> bool:
    """A node of constants only (no Input or Parameter reaches it): computed now."""
    return all(v is None or isinstance(v, Constant) for v in inputs) and all(
        isinstance(r, Box) and not isinstance(r, Constant) for r in results)


def _free(value: Value) -> Value:
    """Lengths picked from a shape with free lengths: a ShapeOf if one is free."""
    if isinstance(value, Constant) and np.any(np.asarray(value.value) == FREE):
        return ShapeOf(np.asarray(value.value))
    return value


def _folded(box: Box, name: str) -> Constant:
    return Constant(np.asarray(FlowGraph(box, compile=False).fprop()), name=name)


def _read(path: Path) -> onnx.ModelProto:
    """The model in the file, checked; one OnnxError naming the file otherwise."""
    try:
        model = onnx.load(str(path), load_external_data=False)
    except FileNotFoundError:
        raise OnnxError(f"{path}: no such file.") from None
    except Exception as error:  # noqa: BLE001 (protobuf's errors have no common class)
        raise OnnxError(f"{path} is not an ONNX model ({type(error).__name__}: "
                        f"{str(error)[:200]}).") from None
    _external_data(model, path)
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "invalid"
        raise OnnxError(f"{path} is not a valid ONNX model: {first}") from None
    return model


def _external_data(model: onnx.ModelProto, path: Path) -> None:
    """Read into the model the tensors it keeps in files beside it (external data, as
    torch.onnx.export writes), each first checked to be a file in the model's folder
    holding the bytes its tensor needs; one OnnxError naming the tensor otherwise."""
    folder = path.parent.resolve()
    tensors = list(model.graph.initializer) + [
        tensor for node in model.graph.node for attribute in node.attribute
        for tensor in [attribute.t, *attribute.tensors]]
    external = [t for t in tensors if t.data_location == onnx.TensorProto.EXTERNAL]
    for tensor in external:
        info = external_data_helper.ExternalDataInfo(tensor)
        where = (folder / info.location).resolve()
        if not where.is_relative_to(folder):
            raise OnnxError(f"{path}: the tensor {tensor.name!r} names the file "
                            f"{info.location!r}, outside the model's folder; refused.")
        if not where.is_file():
            raise OnnxError(f"{path}: the file {info.location!r} holding the tensor "
                            f"{tensor.name!r} is missing; keep it beside the model.")
        itemsize = helper.tensor_dtype_to_np_dtype(tensor.data_type).itemsize
        needed = math.prod(tensor.dims) * itemsize
        offset = int(info.offset or 0)
        if info.length not in (None, needed) or offset + needed > where.stat().st_size:
            raise OnnxError(f"{path}: the file {info.location!r} does not hold the "
                            f"{needed} bytes of the tensor {tensor.name!r} at offset "
                            f"{offset}; it is truncated or not this model's.")
    if external:
        try:
            external_data_helper.load_external_data_for_model(model, str(folder))
        except (OSError, ValueError) as error:
            raise OnnxError(f"{path}: its tensors kept beside it cannot be read "
                            f"({type(error).__name__}: {str(error)[:200]}).") from None
