"""Writing Python source for a plan: readable names from the boxes' own names, the
objects the code reads (boxes, buffers, bound methods) in its namespace, and what is
known about each gradient variable (so a buffer is only written where that is safe)."""
from __future__ import annotations

import builtins
import keyword
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.box import Box
from ..core.broadcast import unbroadcast


class Fallback(Exception):
    """The generated code cannot run this step (a box returned a value of another shape
    than it had when the plan was made): the interpreter runs the step instead."""


def accumulate(previous: Any, contribution: Any) -> Any:
    """previous + contribution where either may be None (no gradient)."""
    if contribution is None:
        return previous
    return contribution if previous is None else previous + contribution


@dataclass
class Grad:
    """A gradient in generated bprop code. ``kind``: "fresh" (a new array of this step,
    read by nobody else), "buffer" (an array of the plan's own, rewritten every step,
    read by nobody else), or "alias" (shared: the seed, a view, another box's gradient),
    which code must never write into. ``maybe_none``: None at run time when no gradient
    arrived (only after a box whose bprop may return None). ``c``: known to be
    C-contiguous in the plan and in the interpreter alike (numpy lays a result out as
    its operands are laid out, and a sum over an axis adds in memory order, so a plan
    writes into its C-ordered buffers only where the interpreter's array is C-ordered
    too: then both add in the same order)."""

    name: str
    kind: str
    maybe_none: bool = False
    c: bool = False  # C-contiguous, in the plan and in the interpreter alike

    @property
    def owned(self) -> bool:
        return self.kind in ("fresh", "buffer") and not self.maybe_none


_TAKEN = set(keyword.kwlist) | set(dir(builtins)) | {"np", "Fallback", "unbroadcast",
                                                    "accumulate", "seed", "fprop", "bprop", "box",
                                                    "make", "attributes"}


class Writer:
    """Lines of source and the namespace they run in."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"np": np, "Fallback": Fallback,
                                          "unbroadcast": unbroadcast,
                                          "accumulate": accumulate}
        self.taken = set(_TAKEN)
        self.lines: list[str] = []
        self.indent = 1
        self.variables: list[str] = []
        #: the arrays the code writes into every step (its buffers and jit tables)
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

    def comment(self, box: Box, what: str = "") -> None:
        inputs = ", ".join(i.name for i in box.inputs)
        self.line(f"# {box.name} = {type(box).__name__}({inputs}){what}"
                  f"   [{box.created_at}]")
