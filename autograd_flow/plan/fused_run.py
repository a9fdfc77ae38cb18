"""Running the whole step (:mod:`.fused`): its compiled function, the arrays it
writes, and what the boxes hold after it.

Compiling: the generated source is written to a file named by its hash in the cache
folder (``$AUTOGRAD_FLOW_CACHE``, else ``~/.cache/autograd_flow``), and numba keeps the
machine code beside it (``cache=True``). The source holds everything the machine code
depends on (the shapes, the dtypes, every formula and number, numba's and numpy's
versions in its name), so a changed graph is another file and never runs stale code; a
second process with the same graph loads the machine code instead of compiling it.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np

from ..core.box import Box
from .compiler import shares_memory
from .fused import Update, write
from .step import Step
from .trace import Node, Traced

#: how a value is read after a step, from that step's new gradient arrays
Getter = Callable[[list[np.ndarray]], Any]


def cache_folder() -> Path:
    """Where generated steps and their machine code are kept."""
    folder = os.environ.get("AUTOGRAD_FLOW_CACHE")
    path = Path(folder) if folder else Path.home() / ".cache" / "autograd_flow"
    try:
        path.mkdir(parents=True, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="autograd_flow_"))  # read-only home: no reuse


def compiled(source: str, arguments: list[Any]) -> Callable[..., int]:
    """The function ``step`` of ``source``, compiled for the types of ``arguments`` (or
    loaded from numba's cache of an earlier process)."""
    import numba

    digest = hashlib.sha256(f"{source}{numba.__version__}{np.__version__}".encode())
    name = f"step_{digest.hexdigest()[:24]}"
    path = cache_folder() / f"{name}.py"
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(source)
        os.replace(partial, path)
    spec = importlib.util.spec_from_file_location(f"autograd_flow_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # numba's cache finds the function's module by name
    spec.loader.exec_module(module)
    function = module.step
    with warnings.catch_warnings():  # a product of a strided view: numba copies it
        warnings.simplefilter("ignore", numba.NumbaPerformanceWarning)
        function.compile(tuple(numba.typeof(a) for a in arguments))
    return function


def _fixed(value: Any) -> Getter:
    """A getter of a value that is the same array every step."""
    def get(grads: Any) -> Any:
        return value
    get.fixed = True  # type: ignore[attr-defined]
    return get


class WholeStep:
    """One signature's whole step for one optimizer (or for fprop and bprop alone)."""

    def __init__(self, step: Step, update: Update | None) -> None:
        source, layout = write(step, update)
        self.source, self.layout = source, layout
        schedule = step.schedule
        self.arenas = {kind: np.empty(size, np.dtype(kind)) for kind, size in layout.sizes.items()}
        self.written = tuple(self.arenas.values())
        self._owners = frozenset(map(id, self.written))
        self.inputs = schedule.inputs
        self.lazy = tuple(b.__dict__ for b in step.lazy)
        made = [cast(Traced, step.grads[id(b)]).node.value for b in layout.grads]
        self.grad_shapes = [(np.shape(v), np.asarray(v).dtype) for v in made]
        values = [(box, self._getter(traced.node)) for box in schedule.computed
                  if (traced := step.values.get(id(box))) is not None]
        #: values that are the same array every step (views of the arena), set as a
        #: dict entry (a box's ``value`` attribute), and those read each step
        self.fixed = [(box.__dict__, get([]), "value") for box, get in values
                      if getattr(get, "fixed", False)]
        self.values = [(box, get) for box, get in values if not getattr(get, "fixed", False)]
        position = {id(b): k for k, b in enumerate(layout.grads)}
        wrt = {id(b) for b in schedule.wrt}
        reset = [(box, self._grad(step, box)) for box in schedule.reset if id(box) not in wrt]
        self.fixed += [(box.__dict__, None if get is None else get([]), "grad")
                       for box, get in reset if get is None or getattr(get, "fixed", False)]
        self.reset = [(box, get) for box, get in reset
                      if get is not None and not getattr(get, "fixed", False)]
        self.new = [(box, position[id(box)]) for box in schedule.wrt if id(box) in position]
        self.wrt = [(box, self._grad(step, box)) for box in schedule.wrt
                    if id(box) not in position]
        self.output = self._getter(step.values[id(schedule.outputs[0])].node)
        grads = [np.empty(s, d) for s, d in self.grad_shapes]
        self.function = compiled(source, self._arguments(grads, update))

    # -- the values the boxes hold after a step -----------------------------------------
    def _getter(self, node: Node) -> Getter:
        """How to read ``node``'s value after a step (given that step's gradient arrays)."""
        slot = self.layout.slots.get(node.index)
        if slot is not None:
            kind, offset, shape = slot
            if kind == "G":
                return lambda grads: grads[offset]
            arena = self.arenas[kind]
            if not shape:
                if isinstance(node.value, np.ndarray):
                    return _fixed(arena[offset:offset + 1].reshape(()))
                return lambda grads: arena[offset]
            view = arena[offset:offset + int(np.prod(shape))].reshape(shape)
            return _fixed(view)
        if node.kind == "leaf":
            leaf = cast(Box, node.box)
            return lambda grads: leaf.value
        if node.kind in ("const", "seed"):
            value = node.value
            return lambda grads: value
        if node.index in self.layout.views:
            source = self._getter(node.args[0])
            if node.kind == "getitem":
                key = node.args[1]
                return lambda grads: source(grads)[key]
            rest, kwargs, fn = node.args[1:], node.kwargs, node.fn
            return lambda grads: fn(source(grads), *rest, **kwargs)
        raise AssertionError(f"node {node.index} ({node.kind}) is not kept")

    def _grad(self, step: Step, box: Box) -> Getter | None:
        """How to read ``box``'s gradient after a step (None: it has none)."""
        traced = step.grads.get(id(box))
        return None if traced is None else self._getter(traced.node)

    def _arguments(self, grads: list[np.ndarray], update: Update | None) -> list[Any]:
        layout = self.layout
        arguments: list[Any] = [b.value for b in layout.leaves]
        arguments += layout.constants
        arguments += list(self.arenas.values())
        arguments += grads
        if update is not None:
            arguments += [update.params[n].value for n in layout.passed]
            arguments += [array for buffer in update.buffers for array in buffer]
            arguments += [float(h) for h in update.scalars]
        return arguments

    # -- a step ----------------------------------------------------------------------
    def run(self, update: Update | None) -> Any:
        """One step on the boxes' current values: the first output's value, or None
        when a check failed (labels out of range): then nothing was updated and the
        interpreter should run the step."""
        for fed in self.inputs:  # an array the step writes, fed back: a copy
            value = fed.value
            if shares_memory(value, self.written, self._owners):
                fed.value = value.copy()
        for test, args in self.layout.checks:
            if not test(*[cast(Box, a.box).value if isinstance(a, Node) and a.kind == "leaf"
                          else (a.value if isinstance(a, Node) else a) for a in args]):
                return None
        grads = [np.empty(s, d) for s, d in self.grad_shapes]
        status = self.function(*self._arguments(grads, update))
        if status == 1:
            return None
        if status == 2:  # a NaN or infinite loss: the interpreter's step says so
            return None
        for attributes in self.lazy:
            attributes.pop("value", None)
        for attributes, view, what in self.fixed:
            attributes[what] = view
        for box, get in self.values:
            box.value = get(grads)
        for box, get in self.reset:
            box.grad = get(grads)
        for box, k in self.new:  # new arrays of this step
            box.grad = grads[k]
        for box, maybe in self.wrt:  # anything else: a copy
            box.grad = np.zeros_like(box.value) if maybe is None else np.array(maybe(grads))
        return self.output(grads)

