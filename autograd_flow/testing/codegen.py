"""Counterexamples as code: Python source that rebuilds a flow graph with ``af.`` calls,
feeds it, and re-runs the check that failed, so a user can paste it into a test.

Values are written as ``np.array`` literals with the full ``repr`` of every float, so
the pasted code reproduces the failing case bit for bit.
"""
from __future__ import annotations

import inspect
import keyword
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import ops
from ..core.box import Box, Constant, Input, Leaf, Parameter
from ..core.graph import FlowGraph
from ..core.order import topological_order

# Primitives that have an af.<function> taking (inputs..., <attributes>..., name=).
_FUNCTIONS = {
    ops.Exp: "exp", ops.Log: "log", ops.Tanh: "tanh", ops.Sigmoid: "sigmoid",
    ops.Relu: "relu", ops.Identity: "identity", ops.Square: "square", ops.Abs: "abs",
    ops.Maximum: "maximum", ops.MatMul: "matmul", ops.Sum: "sum", ops.Mean: "mean",
    ops.LogSumExp: "logsumexp", ops.Pick: "pick", ops.Reshape: "reshape",
    ops.Transpose: "transpose",
}
_OPERATORS = {ops.Add: "{0} + {1}", ops.Sub: "{0} - {1}", ops.Mul: "{0} * {1}",
              ops.Div: "{0} / {1}", ops.Neg: "-{0}", ops.Pow: "{0} ** {exponent!r}"}


def literal(value: Any) -> str:
    """Python source for a number, array, tuple or None that evaluates to ``value``
    exactly (floats by their shortest round-trip ``repr``)."""
    if isinstance(value, np.ndarray):
        body = _nested(value.tolist())
        return f"np.array({body}, dtype=np.{value.dtype.name})"
    if isinstance(value, np.generic):
        return f"np.{value.dtype.name}({_scalar(value.item())})"
    if isinstance(value, (tuple, list)):
        items = ", ".join(literal(v) for v in value)
        if isinstance(value, list):
            return f"[{items}]"
        return f"({items},)" if len(value) == 1 else f"({items})"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, float):
        if np.isnan(value):
            return "np.nan"
        if np.isinf(value):
            return "np.inf" if value > 0 else "-np.inf"
    return repr(value)


def _nested(values: Any) -> str:
    if isinstance(values, list):
        return "[" + ", ".join(_nested(v) for v in values) + "]"
    return _scalar(values)


def _default_name(box: Box) -> str:
    return type(box).__name__.lower()


def _attributes(box: Box) -> dict[str, Any]:
    """Constructor arguments beyond the inputs and ``name`` (positional ones after the
    inputs, and keyword-only ones, as after ``*arrays``), read back from the attributes
    of the same name (the convention every built-in box follows); those equal to their
    default are left out."""
    init = type(box).__init__
    if init is Box.__init__:
        return {}
    parameters = [p for p in list(inspect.signature(init).parameters.values())[1:]
                  if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name != "name"]
    positional = [p for p in parameters if p.kind is not p.KEYWORD_ONLY]
    keyword = [p for p in parameters if p.kind is p.KEYWORD_ONLY]
    attributes = {}
    for parameter in positional[len(box.inputs):] + keyword:
        attribute = type(box).setting_attributes.get(parameter.name, parameter.name)
        if hasattr(box, attribute):
            value = getattr(box, attribute)
            if not _is_default(parameter.default, value):
                attributes[parameter.name] = value
    return attributes


def _is_default(default: Any, value: Any) -> bool:
    if default is inspect.Parameter.empty or type(default) is not type(value):
        return False
    return bool(default == value)


def _subscript(box: Box, inputs: list[str], named: bool) -> str:
    """``a[1:3, ids, None, ...]`` for a GetItem box (its index arrays from boxes by
    their variables); ``af.ops.GetItem(a, (...), name=...)`` when it is named."""
    boxes = iter(inputs[1:])

    def part_source(part: Any) -> str:
        if part is ops.indexing.FROM_INPUT:
            return next(boxes)
        if part is Ellipsis:
            return "..."
        if isinstance(part, slice) and not named:
            bounds = ["" if b is None else repr(b) for b in (part.start, part.stop)]
            return ":".join(bounds) + ("" if part.step is None else f":{part.step!r}")
        return literal(part)

    parts = [part_source(part) for part in box.index]
    if named:
        index = f"({parts[0]},)" if len(parts) == 1 else f"({', '.join(parts)})"
        return f"af.ops.GetItem({inputs[0]}, {index}, name={box.name!r})"
    return f"{inputs[0]}[{', '.join(parts) or '()'}]"


class _Writer:
    """Names every box of a graph with a short variable and writes one line per box."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.counts: dict[str, int] = {}
        self.lines: list[str] = []
        self.imports: set[str] = set()
        self.undefined: set[str] = set()

    def variable(self, box: Box, prefix: str) -> str:
        if prefix in ("x", "p") and box.name.isidentifier() and not keyword.iskeyword(box.name) \
                and box.name not in ("np", "af", "feed", "out") \
                and box.name not in self.names.values():
            name = box.name
        else:
            taken = set(self.names.values())
            index = self.counts.get(prefix, 0)
            while f"{prefix}{index}" in taken:
                index += 1
            self.counts[prefix] = index + 1
            name = f"{prefix}{index}"
        self.names[id(box)] = name
        return name

    def write(self, box: Box) -> None:
        if isinstance(box, Input):
            extra = "" if box.shape is None else f", shape={literal(box.shape)}"
            extra += "" if box.dtype is None else f", dtype=np.{box.dtype.name}"
            self.lines.append(f"{self.variable(box, 'x')} = af.Input({box.name!r}{extra})")
        elif isinstance(box, Parameter):
            self.lines.append(f"{self.variable(box, 'p')} = af.Parameter("
                              f"{literal(box.value)}, name={box.name!r})")
        elif isinstance(box, Constant):
            default = Constant(box.value).name
            name = "" if box.name == default else f", name={box.name!r}"
            self.lines.append(f"{self.variable(box, 'c')} = af.Constant("
                              f"{literal(box.value)}{name})")
        elif isinstance(box, Leaf):
            raise TypeError(f"cannot write code for leaf {box!r}")
        else:
            self.lines.append(f"{self.variable(box, 'v')} = {self._call(box)}")

    def _call(self, box: Box) -> str:
        cls = type(box)
        inputs = [self.names[id(i)] for i in box.inputs]
        attributes = _attributes(box)
        named = box.name != _default_name(box)
        if cls in _OPERATORS and not named:
            return _OPERATORS[cls].format(*inputs, **attributes)
        if cls is ops.GetItem:
            return _subscript(box, inputs, named)
        if cls in _FUNCTIONS:
            function = f"af.{_FUNCTIONS[cls]}"
        elif cls.__module__.startswith("autograd_flow.ops"):
            function = f"af.ops.{cls.__name__}"
        else:
            function = self._custom(cls)
        arguments = inputs + [f"{k}={literal(v)}" for k, v in attributes.items()]
        if named:
            arguments.append(f"name={box.name!r}")
        return f"{function}({', '.join(arguments)})"

    def _custom(self, cls: type) -> str:
        """A user's box class: imported from its module when it lives at module level
        in an importable module, otherwise the reader must define it."""
        if cls.__module__ not in ("__main__", "builtins") and "<locals>" not in cls.__qualname__:
            self.imports.add(f"from {cls.__module__} import {cls.__qualname__.split('.')[0]}")
        else:
            self.undefined.add(cls.__qualname__)
        return cls.__qualname__


def to_python(target: FlowGraph | Box, feed: Mapping[Any, Any] | None = None, *,
              check: str = "assert_gradients_match", **check_kwargs: Any) -> str:
    """Python source that rebuilds ``target`` box by box with ``af.`` calls, writes
    ``feed`` as exact array literals, and ends with
    ``af.testing.<check>(out, feed, **check_kwargs)`` (no call when ``check`` is empty).

    Composite functions appear as the primitive boxes they made. A custom box class is
    imported from its module, or (when defined in ``__main__`` or inside a function)
    named in a comment: define it above the pasted code.
    """
    output = target.outputs[0] if isinstance(target, FlowGraph) else target
    writer = _Writer()
    for box in topological_order([output]):
        writer.write(box)
    writer.lines.append(f"out = {writer.names[id(output)]}")
    inputs = {id(b): b for b in topological_order([output]) if isinstance(b, Input)}
    entries = []
    for key, value in (feed or {}).items():
        fed: Box | None = key if isinstance(key, Box) else next(
            (b for b in inputs.values() if b.name == key), None)
        if fed is None or id(fed) not in inputs:
            continue
        entries.append(f"    {writer.names[id(fed)]}: {literal(np.asarray(value))},")
    header = ["import numpy as np", "", "import autograd_flow as af",
              "import autograd_flow.testing", *sorted(writer.imports)]
    for name in sorted(writer.undefined):
        header.append(f"# {name}: your Box subclass; define or import it before this code.")
    lines = header + [""] + writer.lines + ["feed = {", *entries, "}"]
    if check:
        arguments = "".join(f", {k}={literal(v)}" for k, v in check_kwargs.items())
        lines.append(f"af.testing.{check}(out, feed{arguments})")
    return "\n".join(lines) + "\n"
