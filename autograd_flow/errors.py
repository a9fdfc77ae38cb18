"""Exceptions raised by autograd_flow, and how they describe a box.

Every error names the box (its op, its name and the file:line of the user code that
created it) so a message points at the line to fix, not at numpy internals.
"""
from __future__ import annotations

from typing import Any

import numpy as np


class FlowGraphError(Exception):
    """Base class of every error autograd_flow raises on purpose."""


class FeedError(FlowGraphError, KeyError):
    """An Input was not fed, was fed twice, or a feed names no Input of the graph."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class BoxError(FlowGraphError, ValueError):
    """A box could not compute its value or gradient (shapes, dtypes, domain)."""


class LabelError(BoxError):
    """Class labels that are not integers or out of range."""


class CycleError(FlowGraphError, ValueError):
    """The boxes form a cycle, so no topological order exists."""


class NonFiniteError(FlowGraphError, FloatingPointError):
    """A box produced NaN or Inf (raised when the graph checks finiteness)."""


class GradientCheckError(FlowGraphError, AssertionError):
    """Analytic gradients disagree with finite differences; ``.report`` has the details."""

    def __init__(self, report: Any) -> None:
        super().__init__(str(report))
        self.report = report


def one_per_input(result: Any, box: Any, method: str = "bprop") -> tuple[Any, ...]:
    """What a box's ``bprop`` (or ``bprop_boxes``) returned, as one gradient per input:
    a lone gradient for a one-input box becomes a 1-tuple; a wrong count is a BoxError
    naming the box."""
    count = len(box.inputs)
    if count == 1 and not isinstance(result, (tuple, list)):
        return (result,)
    if not isinstance(result, (tuple, list)) or len(result) != count:
        got = len(result) if isinstance(result, (tuple, list)) else 1
        raise BoxError(f"{describe(box)}: {method} must return one gradient per input "
                       f"({count}), a tuple when several; it returned {got}.")
    return tuple(result)


def describe(box: Any) -> str:
    """``Tanh 'h1' (created at model.py:12)``: how every message names a box."""
    return f"{type(box).__name__} '{box.name}' (created at {box.created_at})"


def describe_array(value: Any) -> str:
    """Shape and dtype of a value, for messages: ``(32, 64) float32``."""
    if value is None:
        return "no value"
    if isinstance(value, (int, float, bool)):
        return f"python {type(value).__name__}"
    array = np.asarray(value)
    return f"{array.shape} {array.dtype}"
