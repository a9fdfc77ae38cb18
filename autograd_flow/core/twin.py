"""A box as its bprop sees it when the formula runs on other values than arrays (boxes
in :func:`autograd_flow.grad`, traced arrays in a compiled plan): :class:`Twin`, and
:func:`run_state`, the attributes a user's box changed since it was made, which a twin
hides."""
from __future__ import annotations

import inspect
from collections.abc import Iterable
from types import FunctionType, MethodType
from typing import Any

from ..errors import describe
from .box import Box


def run_state(box: Box) -> set[str]:
    """The attributes of a user's box set or changed since it was made (a cache its
    fprop keeps, say): run-time state, which :func:`autograd_flow.grad` never reads, so
    that a gradient graph cannot freeze one run's arrays into its formula."""
    settings = getattr(box, "_settings", None)
    if settings is None:
        return set()
    return {name for name, value in vars(box).items()
            if name not in ("value", "grad", "name", "_settings")  # (a name is a label)
            and (name not in settings or settings[name] is not value)}


_MISSING = object()


class Twin:
    """A box as its bprop sees it when the formula runs on other values than arrays: on
    boxes (:func:`autograd_flow.grad`) or on the traced arrays of a plan. ``value`` is
    the box's output in that form; every other attribute is the box's (its settings),
    its methods bound to the twin, and the attributes in ``hidden`` do not exist (so a
    bprop reading them fails and is run on arrays instead). A twin copies nothing:
    reading a box's ``__dict__`` would slow every later store into the box."""

    __slots__ = ("_box", "value", "_hidden")

    def __init__(self, box: Box, value: Any, hidden: Iterable[str] = ()) -> None:
        self._box = box
        self.value = value
        self._hidden = frozenset(hidden)

    def __getattr__(self, name: str) -> Any:
        if name in self._hidden:
            raise AttributeError(f"{describe(self._box)}: its bprop reads {name!r}, which is "
                                 "not a setting of the box")
        attribute = inspect.getattr_static(type(self._box), name, _MISSING)
        if isinstance(attribute, FunctionType):
            return MethodType(attribute, self)
        if isinstance(attribute, property) and attribute.fget is not None:
            return attribute.fget(self)
        return getattr(self._box, name)
