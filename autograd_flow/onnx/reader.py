"""What an import rule reads a node with: the :class:`Reader` (the boxes made so far by
value name, the node's attributes, constant inputs and shapes from ONNX's shape
inference), the registry of rules by op type, and the markers of values known only at
run time."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ..core.box import Box, Constant, Parameter
from ..errors import OnnxError


class Dynamic:
    """A value computed from the shape of a free axis: known only at run time."""


DYNAMIC = Dynamic()


#: a free length among the known lengths of a shape (no length is negative)
FREE = -(2 ** 31) + 1


class ShapeOf(Dynamic):
    """A shape with free lengths (a Shape node of a box, or lengths picked from one): the
    lengths, FREE where free; ``box``, the box whose whole shape it is (an Expand to it
    is a BroadcastLike of the box), else None."""

    def __init__(self, lengths: np.ndarray, box: Box | None = None) -> None:
        self.lengths = lengths
        self.box = box


Value = Any  # a Box, or DYNAMIC
ImportRule = Callable[["Reader", onnx.NodeProto, list[Value]], Any]
#: ONNX op type -> its rule (filled by :mod:`.import_ops`, :mod:`.import_shape` and
#: :mod:`.import_nn`)
IMPORTS: dict[str, ImportRule] = {}
#: ops that may take a value known only at run time (they ask for what they need)
TAKES_DYNAMIC = {"Reshape", "Expand"}
#: ops that only pick, move or join the lengths of a shape: of a shape with free
#: lengths, they give the lengths they pick (a constant when none is free)
PICKS = {"Slice", "Gather", "Concat", "Squeeze", "Unsqueeze", "Identity"}


def imports(*op_types: str) -> Callable[[ImportRule], ImportRule]:
    """Register ``fn`` as the import rule of ``op_types``."""

    def register(fn: ImportRule) -> ImportRule:
        for op_type in op_types:
            IMPORTS[op_type] = fn
        return fn

    return register


def dims(type_proto: onnx.TypeProto) -> tuple[int | None, ...] | None:
    tensor = type_proto.tensor_type
    if not tensor.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim)


class Reader:
    """The boxes made so far (by value name), and what a rule needs to read a node:
    attributes, constant inputs, shapes from ONNX's shape inference."""

    def __init__(self, model: onnx.ModelProto, path: Path) -> None:
        self.path = path
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                          1)
        self.values: dict[str, Value] = {}
        self.shapes: dict[str, tuple[int | None, ...]] = {}
        self.elements: dict[str, int] = {}
        self.node: onnx.NodeProto | None = None
        try:
            inferred = onnx.shape_inference.infer_shapes(model).graph
        except Exception:  # noqa: BLE001 (shapes are a help: without them, fewer models load)
            inferred = model.graph
        for info in list(inferred.value_info) + list(inferred.input) + list(inferred.output):
            shape = dims(info.type)
            if shape is not None:
                self.shapes[info.name] = shape
            if info.type.tensor_type.elem_type:
                self.elements[info.name] = info.type.tensor_type.elem_type

    # -- errors and attributes -----------------------------------------------------------

    def where(self, node: onnx.NodeProto | None = None) -> str:
        node = node or self.node
        if node is None:
            return str(self.path)
        label = f"node {node.name!r} " if node.name else ""
        return f"{self.path}: {label}({node.op_type}, output {node.output[0]!r})"

    def refuse(self, why: str) -> OnnxError:
        return OnnxError(f"{self.where()}: {why}")

    def attribute(self, name: str, default: Any = None) -> Any:
        """The node's attribute ``name`` as a Python value (``default`` when absent)."""
        assert self.node is not None
        for attribute in self.node.attribute:
            if attribute.name == name:
                value = helper.get_attribute_value(attribute)
                if isinstance(value, bytes):
                    return value.decode()
                if isinstance(value, onnx.TensorProto):
                    return numpy_helper.to_array(value)
                return value
        return default

    def only(self, **allowed: Any) -> None:
        """Refuse an attribute that changes what the op computes from its default
        (``allowed``: name -> the one value supported)."""
        for name, supported in allowed.items():
            value = self.attribute(name, supported)
            if value != supported:
                raise self.refuse(f"{name}={value!r} is not supported (only {supported!r}).")

    # -- inputs -----------------------------------------------------------------------------

    def constant(self, value: Value, what: str) -> np.ndarray:
        """The array of a constant input (a Constant, or an initializer), or a clear error."""
        if isinstance(value, (Constant, Parameter)):
            return np.asarray(value.value)
        if isinstance(value, Dynamic):
            raise self.refuse(f"its {what} is computed from the length of a free axis of the "
                              "model's inputs; export the model with that axis fixed.")
        raise self.refuse(f"its {what} must be a constant (an initializer or a Constant "
                          "node), not a value computed by the graph.")

    def optional(self, inputs: Sequence[Value], position: int, what: str) -> np.ndarray | None:
        """A constant input that may be absent."""
        if len(inputs) <= position or inputs[position] is None:
            return None
        return self.constant(inputs[position], what)

    def shape(self, name: str) -> tuple[int | None, ...]:
        """A value's shape by ONNX's shape inference, or the box's value's if constant."""
        value = self.values.get(name)
        if isinstance(value, (Constant, Parameter)):
            return np.shape(value.value)
        if name not in self.shapes:
            raise self.refuse(f"the shape of {name!r} is unknown (ONNX's shape inference "
                              "gave none); give the model's inputs shapes.")
        return self.shapes[name]

    def is_integer(self, name: str) -> bool:
        """Whether a value holds integers (by its constant value, or by ONNX's type
        inference)."""
        value = self.values.get(name)
        if isinstance(value, (Constant, Parameter)):
            return np.asarray(value.value).dtype.kind in "iu"
        element = self.elements.get(name)
        return element is not None and \
            helper.tensor_dtype_to_np_dtype(element).kind in "iu"

    def rank(self, name: str) -> int:
        return len(self.shape(name))

    def axes(self, inputs: Sequence[Value], position: int) -> list[int] | None:
        """The ``axes`` of a node: an attribute before opset 13 (18 for most reductions),
        an input since."""
        attribute = self.attribute("axes")
        if attribute is not None:
            return [int(a) for a in attribute]
        array = self.optional(inputs, position, "axes")
        return None if array is None else [int(a) for a in np.ravel(array)]
