"""What an export rule writes with: ONNX nodes, constants and casts, and what the probe
runs of the graph found about each box (its shape, free axes as None, and dtype).

A rule turns one box into ONNX nodes: ``rule(writer, box) -> name`` returns the name of
the value holding the box's output. Rules are registered per box class with
:func:`rule`; a class without one has no ONNX form.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ..core.box import Box, Constant
from ..errors import OnnxError, describe

#: the largest int64: "to the end" in a Slice
END = np.iinfo(np.int64).max
#: the smallest int64: "past the start" in a Slice with a negative step
BEFORE = np.iinfo(np.int64).min

Rule = Callable[["Writer", Box], str]
#: box class -> its rule (filled by the export_* modules at import)
RULES: dict[type, Rule] = {}


def rule(*classes: type) -> Callable[[Rule], Rule]:
    """Register ``fn`` as the export rule of ``classes``."""

    def register(fn: Rule) -> Rule:
        for cls in classes:
            RULES[cls] = fn
        return fn

    return register


def is_weak(value: Any) -> bool:
    """A Python number (a Constant's ``0.5``): it takes the dtype of what it meets."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Writer:
    """The nodes of one ONNX graph being written, and the probe's facts about the boxes.

    ``samples``: each box's value in the first probe run; ``shapes``: its shape with
    None for an axis whose length follows a free axis of the inputs."""

    def __init__(self, opset: int, samples: dict[int, Any],
                 shapes: dict[int, tuple[int | None, ...]]) -> None:
        self.opset = opset
        self.samples = samples
        self.shapes = shapes
        self.nodes: list[onnx.NodeProto] = []
        self.values: dict[int, str] = {}  # id(box) -> the name of its value
        self.taken: set[str] = set()
        self._constants: dict[tuple, str] = {}
        self.box: Box | None = None  # the box being written, for names and errors

    # -- names and nodes ---------------------------------------------------------------

    def fresh(self, hint: str) -> str:
        """A value name not used yet, from ``hint``."""
        name, count = hint, 1
        while name in self.taken:
            name, count = f"{hint}:{count}", count + 1
        self.taken.add(name)
        return name

    def op(self, op_type: str, *inputs: str, outputs: int = 1, **attributes: Any) -> Any:
        """Add an ``op_type`` node of ``inputs`` (\"\" for an absent optional input);
        its output name (a list of ``outputs`` names when more than one)."""
        hint = self.box.name if self.box is not None else op_type
        names = [self.fresh(hint if k == 0 else f"{hint}/{k}") for k in range(outputs)]
        node = helper.make_node(op_type, list(inputs), names, name=names[0], **attributes)
        if self.box is not None:
            node.doc_string = describe(self.box)
        self.nodes.append(node)
        return names[0] if outputs == 1 else names

    def refuse(self, box: Box, why: str) -> OnnxError:
        """The error for a box this export cannot write."""
        return OnnxError(f"{describe(box)} has no ONNX form: {why}")

    def needs_opset(self, box: Box, opset: int, op_type: str) -> None:
        """Refuse unless the model's opset has ``op_type`` as this rule writes it."""
        if self.opset < opset:
            raise self.refuse(box, f"it is written with the ONNX op {op_type}, which needs "
                                   f"opset {opset} or later; export with opset={opset}.")

    # -- constants ---------------------------------------------------------------------

    def constant(self, value: Any, dtype: Any = None) -> str:
        """A Constant node holding ``value`` (as ``dtype`` when given), shared."""
        array = np.asarray(value, dtype=dtype)
        key = (array.dtype.str, array.shape, array.tobytes())
        if key not in self._constants:
            name = self.fresh(f"const{list(array.shape)}" if array.ndim else str(array[()]))
            self.nodes.append(helper.make_node(
                "Constant", [], [name], name=name,
                value=numpy_helper.from_array(np.array(array, order="C"), name)))
            self._constants[key] = name
        return self._constants[key]

    def ints(self, values: Sequence[int] | int) -> str:
        """An int64 constant (1-D for a sequence, 0-d for an int)."""
        return self.constant(values, np.int64)

    # -- what the probe found -------------------------------------------------------------

    def sample(self, box: Box) -> Any:
        """The box's value in the probe run."""
        return self.samples[id(box)]

    def dtype(self, box: Box) -> np.dtype:
        """The dtype of the box's value."""
        return np.result_type(self.samples[id(box)])

    def shape(self, box: Box) -> tuple[int | None, ...]:
        """The box's shape, None where it follows a free axis of the inputs."""
        return self.shapes[id(box)]

    def rank(self, box: Box) -> int:
        return len(self.shapes[id(box)])

    def length(self, box: Box, of: Box, axis: int) -> int:
        """The length of ``of``'s axis ``axis``, which ``box`` needs fixed."""
        side = self.shape(of)[axis]
        if side is None:
            raise self.refuse(box, f"it needs the length of axis {axis} of its input, which "
                                   "follows a free axis of the graph's inputs (None in their "
                                   "declared shape); declare that axis's length.")
        return side

    def static_shape(self, box: Box, of: Box) -> tuple[int, ...]:
        """``of``'s whole shape, which ``box`` needs fixed."""
        return tuple(self.length(box, of, k) for k in range(self.rank(of)))

    # -- inputs --------------------------------------------------------------------------

    def input(self, box: Box, position: int, dtype: Any = None) -> str:
        """The name of ``box``'s input ``position``, converted to ``dtype`` if given (a
        Python number is written in that dtype directly)."""
        source = box.inputs[position]
        value = self.samples[id(source)]
        if isinstance(source, Constant) and is_weak(value):
            return self.constant(value, dtype if dtype is not None else np.result_type(value))
        name = self.values.get(id(source))
        if name is None:  # an array Constant, written where it is first used
            name = self.values[id(source)] = self.constant(value)
        if dtype is not None and np.result_type(value) != np.dtype(dtype):
            return self.cast(name, dtype)
        return name

    def inputs(self, box: Box, dtype: Any = None) -> list[str]:
        """Every input of ``box`` (see :meth:`input`)."""
        return [self.input(box, k, dtype) for k in range(len(box.inputs))]

    def same(self, box: Box) -> list[str]:
        """Every input in the dtype of the box's value (numpy's promotion, written out)."""
        return self.inputs(box, self.dtype(box))

    def promoted(self, box: Box) -> list[str]:
        """Every input in the dtype numpy compares or combines them in."""
        values = [self.samples[id(i)] for i in box.inputs]
        common = np.result_type(*values)
        return self.inputs(box, common)

    def cast(self, name: str, dtype: Any) -> str:
        """``name`` converted to ``dtype``."""
        return self.op("Cast", name, to=helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))

    def scalar(self, number: float, like: Box) -> str:
        """``number`` as a 0-d constant of ``like``'s dtype."""
        return self.constant(number, self.dtype(like))

    # -- ops whose form changed between opsets -------------------------------------------

    def reduce(self, op_type: str, name: str, axes: Sequence[int], keepdims: bool) -> str:
        """``op_type`` (ReduceSum, ReduceMax, ...) over ``axes`` (not empty): the axes as
        an input from opset 18 (13 for ReduceSum), as an attribute before."""
        as_input = self.opset >= (13 if op_type == "ReduceSum" else 18)
        if as_input:
            return self.op(op_type, name, self.ints(list(axes)), keepdims=int(keepdims))
        return self.op(op_type, name, axes=list(axes), keepdims=int(keepdims))

    def unsqueeze(self, name: str, axes: Sequence[int]) -> str:
        return self.op("Unsqueeze", name, self.ints(list(axes)))

    def squeeze(self, name: str, axes: Sequence[int]) -> str:
        return self.op("Squeeze", name, self.ints(list(axes)))

    def slice(self, name: str, starts: Sequence[int], ends: Sequence[int],
              axes: Sequence[int], steps: Sequence[int] | None = None) -> str:
        inputs = [name, self.ints(list(starts)), self.ints(list(ends)), self.ints(list(axes))]
        if steps is not None:
            inputs.append(self.ints(list(steps)))
        return self.op("Slice", *inputs)

    def reshape(self, name: str, shape: Sequence[int]) -> str:
        """``name`` reshaped to ``shape`` (-1 for one axis to infer; 0 is a length)."""
        if 0 in shape:
            if self.opset < 14:
                assert self.box is not None
                raise self.refuse(self.box, "a shape with a length 0 needs Reshape's "
                                            "allowzero, from opset 14; export with opset=14.")
            return self.op("Reshape", name, self.ints(list(shape)), allowzero=1)
        return self.op("Reshape", name, self.ints(list(shape)))
