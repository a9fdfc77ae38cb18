"""What every optimizer checks about the parameters it is given."""
from __future__ import annotations

from collections.abc import Iterable

from ..box import Parameter


def trainable(params: Iterable[Parameter], optimizer: str) -> list[Parameter]:
    """``params`` as a list, refused with a clear error when empty, when an item is not
    a Parameter, or when a Parameter is listed twice (it would be updated twice)."""
    params = list(params)
    if not params:
        raise ValueError(f"{optimizer} needs at least one Parameter to train")
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"{optimizer} trains Parameters, got {p!r}")
    if len(set(map(id, params))) != len(params):
        raise ValueError(f"{optimizer} was given the same Parameter twice")
    return params
