"""Writing Python source for a plan: readable names from the boxes' own names, the
objects the code reads (boxes, buffers, functions, settings) in its namespace, and
numbers written as they are."""
from __future__ import annotations

import builtins
import keyword
import math
import re
from typing import Any

import numpy as np


class Fallback(Exception):
    """The generated code cannot run this step (a box returned a value of another shape
    than it had when the plan was made, labels out of range, another seed): the
    interpreter runs the step instead."""


def literal(value: Any) -> str | None:
    """``value`` as Python source when it reads back as the same object's value and
    type (None, bools, ints, finite floats, strings and tuples of them), else None."""
    if value is None or isinstance(value, (bool, str)) or type(value) is int:
        return repr(value)
    if type(value) is float:
        return repr(value) if math.isfinite(value) else None
    if type(value) is tuple:
        items = [literal(v) for v in value]
        if any(item is None for item in items):
            return None
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"  # type: ignore[arg-type]
    return None


_TAKEN = set(keyword.kwlist) | set(dir(builtins)) | {"np", "Fallback", "seed", "fprop",
                                                    "bprop", "box", "make", "attributes"}


class Writer:
    """Lines of source and the namespace they run in."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"np": np, "Fallback": Fallback}
        self.taken = set(_TAKEN)
        self.lines: list[str] = []
        self.indent = 1
        self.variables: list[str] = []
        #: the arrays the code writes into every step (its buffers)
        self.written: list[np.ndarray] = []

    def identifier(self, hint: str) -> str:
        """A new valid, unused Python name resembling ``hint``, for a variable of the
        generated code."""
        name = self._unused(hint)
        self.variables.append(name)
        return name

    def _unused(self, hint: str) -> str:
        base = re.sub(r"\W+", "_", hint).strip("_") or "v"
        if base[0].isdigit():
            base = "v" + base
        name, count = base, 1
        while name in self.taken:
            count += 1
            name = f"{base}_{count}"
        self.taken.add(name)
        return name

    def bind(self, obj: Any, hint: str) -> str:
        """A name under which the code reads ``obj`` (from its namespace)."""
        name = self._unused(hint)
        self.namespace[name] = obj
        return name

    def buffer(self, shape: tuple[int, ...], dtype: Any, hint: str) -> str:
        """A preallocated array the code writes into every step."""
        array = np.empty(shape, dtype)
        self.written.append(array)
        return self.bind(array, hint)

    def line(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)
