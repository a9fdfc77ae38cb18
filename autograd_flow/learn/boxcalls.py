"""A box as the call of its class that rebuilds it, which is how a graph file
(:mod:`.graphfile`) saves a box: each parameter of the class's ``__init__`` is the box's
attribute of the same name (``self.axis = axis``), or else the next of its input boxes;
``*inputs`` takes the rest. :func:`call_of` rebuilds the box from that call and refuses,
naming it, one that comes out different (a user's box whose ``__init__`` keeps an
argument under another name, say).
"""
from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from ..core.box import Box, Leaf
from ..errors import GraphFileError, describe
from ..ops.indexing import FROM_INPUT
from .files import one_line

#: attributes every box has, which are not settings
_COMMON = {"inputs", "name", "value", "grad", "created_at", "scopes", "_settings"}
_MISSING = object()


def call_of(box: Box) -> tuple[list[Any], dict[str, Any]]:
    """The arguments of ``type(box)(...)`` that rebuild ``box``: each parameter of its
    ``__init__`` is the attribute of that name, or else the box's next input (``*inputs``
    takes the rest; an index part standing for an input box takes that box). Checked by
    rebuilding it: a GraphFileError names a box that comes out different."""
    cls = type(box)
    attributes = vars(box)
    inputs = list(box.inputs)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for parameter in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if parameter.kind is parameter.VAR_KEYWORD:
            continue
        if parameter.kind is parameter.VAR_POSITIONAL:
            args.extend(inputs)
            inputs.clear()
            continue
        value: Any
        if parameter.name == "name":
            value = box.name
        elif parameter.name == "value" and isinstance(box, Leaf):
            value = box.value
        elif cls.setting_attributes.get(parameter.name, parameter.name) in attributes \
                and parameter.name not in _COMMON:
            kept = cls.setting_attributes.get(parameter.name, parameter.name)
            value = _placed(attributes[kept], inputs)
            if inputs and value is inputs[0]:  # an input kept as an attribute too
                inputs.pop(0)
        elif inputs:
            value = inputs.pop(0)
        elif parameter.default is not parameter.empty:
            value = parameter.default
        else:
            raise _unsavable(box, f"its __init__ argument {parameter.name!r} is neither an "
                                  "attribute of that name nor an input")
        if parameter.kind is parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = value
        else:
            args.append(value)
    _check_rebuilt(box, args, kwargs)
    return args, kwargs


def _placed(value: Any, inputs: list[Box]) -> Any:
    """A setting with each placeholder of an input box (GetItem's index) replaced by
    the next input."""
    if value is FROM_INPUT and inputs:
        return inputs.pop(0)
    if isinstance(value, tuple) and any(part is FROM_INPUT for part in value):
        return tuple(_placed(part, inputs) for part in value)
    return value


def _check_rebuilt(box: Box, args: list[Any], kwargs: dict[str, Any]) -> None:
    """Rebuild ``box`` from the call and compare: same inputs, same settings."""
    try:
        rebuilt = type(box)(*args, **kwargs)
    except Exception as error:  # a user's __init__ may raise anything
        raise _unsavable(box, f"calling {type(box).__name__}(...) with its arguments raised "
                              f"{type(error).__name__}: {one_line(error)}") from None
    if len(rebuilt.inputs) != len(box.inputs) or any(
            a is not b for a, b in zip(rebuilt.inputs, box.inputs)):
        raise _unsavable(box, "rebuilt from its __init__ arguments it reads other inputs")
    differ = sorted(name for name in set(vars(rebuilt)) - _COMMON
                    if not _same(vars(rebuilt)[name], vars(box).get(name, _MISSING)))
    if differ:
        raise _unsavable(box, f"rebuilt from its __init__ arguments its {', '.join(differ)} "
                              "differ(s)")


def _unsavable(box: Box, why: str) -> GraphFileError:
    return GraphFileError(
        f"cannot save {describe(box)}: {why}. A graph file rebuilds a box by calling its "
        "class with its __init__ arguments, each kept as the attribute of the same name "
        "(self.k = k) or passed on as an input box")


def _same(a: Any, b: Any) -> bool:
    """Whether two settings are equal: arrays by dtype, shape and entries (NaN equal to
    NaN), boxes by identity, containers item by item."""
    if isinstance(a, Box) or isinstance(b, Box):
        return a is b
    if isinstance(a, (np.ndarray, np.generic)) or isinstance(b, (np.ndarray, np.generic)):
        return (type(a) is type(b) and a.dtype == b.dtype and np.shape(a) == np.shape(b)
                and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f")))
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # an object whose == is not a truth value
        return False


def boxes_in(call: tuple[list[Any], dict[str, Any]]) -> Iterator[Box]:
    """The boxes a call's arguments hold (inputs, boxes in settings)."""
    stack: list[Any] = [*call[0], *call[1].values()]
    while stack:
        value = stack.pop()
        if isinstance(value, Box):
            yield value
        elif isinstance(value, (tuple, list)):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())


def custom_classes(boxes: Iterable[type[Box]] | Mapping[str, type[Box]] | None
                    ) -> dict[str, type[Box]]:
    """{class name: class} of ``boxes``, the classes of their own a caller lets af.load
    rebuild (a TypeError for anything but Box classes)."""
    if boxes is None:
        return {}
    pairs = list(boxes.items()) if isinstance(boxes, Mapping) else [
        (getattr(cls, "__name__", None), cls) for cls in boxes]
    for name, cls in pairs:
        if not (isinstance(cls, type) and issubclass(cls, Box) and isinstance(name, str)):
            raise TypeError(f"boxes takes Box classes, as a list ([Cube]) or by name "
                            f"({{'Cube': Cube}}), not {name!r}: {cls!r:.60}")
    return dict(pairs)
