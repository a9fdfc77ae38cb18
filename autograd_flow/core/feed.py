"""Feeding a graph's Inputs: by box or by name, each exactly once, checked against the
shape and dtype an Input declares."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import FeedError, describe, describe_array
from .box import Box, Input, refuse_complex


class Feeder:
    """How the feed of one graph is read: its Inputs, and which names feed them."""

    def __init__(self, inputs: list[Input]) -> None:
        self.inputs = inputs
        self._ids = set(map(id, inputs))
        self._by_name: dict[str, Input | None] = {}
        for box in inputs:  # a name used twice can only be fed by box
            self._by_name[box.name] = None if box.name in self._by_name else box

    def input_for(self, key: Any) -> Input | None:
        """The Input that a feed key names (the box, or its name), or None."""
        box = self._by_name.get(key) if isinstance(key, str) else key
        return box if id(box) in self._ids else None

    def feed(self, feed: Mapping[Any, Any]) -> None:
        """Set every Input's value from ``feed``; a FeedError names what is wrong."""
        fed = set()
        for key, value in feed.items():
            box = self.input_for(key)
            if box is None:
                raise FeedError(self._unknown(key))
            if id(box) in fed:
                raise FeedError(f"{describe(box)} is fed twice (by box and by name): "
                                "give it one value.")
            if not isinstance(value, np.ndarray):
                value = np.asarray(value)
            refuse_complex(value, f"the feed of {describe(box)}", FeedError)
            if box.shape is not None or box.dtype is not None:
                check_declared(box, value)
            box.value = value
            fed.add(id(box))
        if len(fed) != len(self.inputs):
            missing = ", ".join(f"{b.name!r} (created at {b.created_at})"
                                for b in self.inputs if id(b) not in fed)
            raise FeedError(f"missing feed for input {missing}: pass a value for every Input "
                            "as {input_box: array} or {'name': array}.")

    def _unknown(self, key: Any) -> str:
        known = ", ".join(repr(b.name) for b in self.inputs) or "none"
        if isinstance(key, str) and key in self._by_name:
            return (f"the name {key!r} belongs to several Inputs of this graph: "
                    "feed them by box instead.")
        what = repr(key) if isinstance(key, str) else describe(key) if isinstance(key, Box) \
            else repr(key)
        return f"feed key {what} is not an Input of this graph (its Inputs: {known})."


def check_declared(box: Input, value: np.ndarray) -> None:
    """A FeedError unless ``value`` has the shape (None: any size) and dtype ``box`` declares."""
    shape_ok = box.shape is None or (
        len(box.shape) == value.ndim
        and all(s is None or s == v for s, v in zip(box.shape, value.shape)))
    dtype_ok = box.dtype is None or value.dtype == box.dtype
    if not (shape_ok and dtype_ok):
        expected = f"shape {box.shape}" if box.shape is not None else "any shape"
        if box.dtype is not None:
            expected += f" and dtype {box.dtype}"
        raise FeedError(f"{describe(box)} expects {expected} (None = any size) but was "
                        f"fed {describe_array(value)}.")
