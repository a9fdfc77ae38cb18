"""Scopes: the composite (a layer, a loss, ``linear``) a box was made inside, so that a
picture can draw the composite collapsed or expanded."""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar


@dataclass(frozen=True, eq=False)
class Scope:
    """One call of a composite function (``linear``, a layer, a loss): boxes made
    inside it record it, so a drawing can collapse or expand the composite. The boxes
    :func:`autograd_flow.grad` makes for a box's gradient are in a scope of kind
    "bprop" whose ``of`` is the forward box they differentiate."""

    kind: str
    name: str
    of: Any = None


_scopes: ContextVar[tuple[Scope, ...]] = ContextVar("autograd_flow_scopes", default=())


def current_scopes() -> tuple[Scope, ...]:
    """The scopes a box made now belongs to, outermost first."""
    return _scopes.get()


@contextlib.contextmanager
def scope(kind: str, name: str | None = None, of: Any = None) -> Iterator[Scope]:
    """Boxes created inside ``with af.scope("layer", "hidden1"):`` belong to that composite."""
    entered = Scope(kind, name or kind, of)
    token = _scopes.set(_scopes.get() + (entered,))
    try:
        yield entered
    finally:
        _scopes.reset(token)


F = TypeVar("F", bound=Callable[..., Any])


def composite(kind: str) -> Callable[[F], F]:
    """Decorator for a function that wires primitive boxes together: every box it
    creates records a :class:`Scope` of this kind (named by a ``name=`` argument)."""

    def decorate(function: F) -> F:
        @wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with scope(kind, kwargs.get("name")):
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
