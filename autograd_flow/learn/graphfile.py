"""Graphs as files: :func:`save` writes any flow graph to one file, :func:`load` reads it
back as a :class:`~autograd_flow.FlowGraph` that gives the saved graph's numbers bit for
bit (``af.save`` and ``af.load``).

A graph file is an archive of :mod:`autograd_flow.learn.files` (``.npy`` members and a
JSON document, written atomically): the JSON lists the boxes, each after the boxes it
reads, as the call that rebuilds it (its kind, its ``__init__`` arguments: input boxes by
their place in the list, settings such as ``axis`` or ``keepdims`` as JSON, arrays as
``.npy`` members), with its name, the line that created it and its scopes (the
composites a picture collapses); the graph's outputs and ``wrt``; the dtype and shape
(first axis free) each Input was last fed; a format version.

Loading runs no code a file names: a box's kind is looked up in the declared primitives
(:mod:`autograd_flow.ops`), the leaves, and the classes the caller passes
(``boxes=[Cube]`` or ``{"Cube": Cube}``), never imported; no pickle is read; every array
is checked from its header before it is unpacked (:func:`~.files.read_archive`). A file
that is truncated, damaged, from a newer version or tampered with is one
:class:`~autograd_flow.errors.GraphFileError` naming the file and what is wrong.

A box is saved as the call of its class that rebuilds it (:mod:`.boxcalls`).
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import ops
from ..core.box import Box, Constant, Input, Parameter
from ..core.graph import FlowGraph
from ..core.scope import Scope
from ..errors import FlowGraphError, GraphFileError, ModelFileError, describe
from .boxcalls import boxes_in, call_of, custom_classes
from .files import one_line, read_archive, write_archive

__all__ = ["save", "load", "read", "GraphFile", "is_graph_file", "FORMAT", "VERSION"]

FORMAT = "autograd_flow.graph"
VERSION = 1
#: the box kinds a file may name, by class name: the declared primitives and the leaves
KINDS: dict[str, type[Box]] = {cls.__name__: cls for cls in (
    *ops.PRIMITIVES, *ops.PLUMBING, Input, Parameter, Constant)}
_DTYPE = re.compile(r"[<>|=]?[biuf][1248]")
_DEPTH = 32  # the deepest nesting of a setting a file may hold


@dataclass
class GraphFile:
    """What a graph file holds: the graph, and the ``info`` saved with it (JSON)."""

    graph: FlowGraph
    info: dict[str, Any] = field(default_factory=dict)


# -- writing -----------------------------------------------------------------------------

def save(graph_or_outputs: FlowGraph | Box | Sequence[Box], path: str | Path, *,
         info: Mapping[str, Any] | None = None) -> Path:
    """Write a graph (a :class:`FlowGraph`, or its output box or boxes) to the file
    ``path``, with ``info`` (a JSON object) if given; returns the path. Raises
    :class:`GraphFileError`, writing nothing, for a box that cannot be rebuilt from its
    ``__init__`` arguments or a setting that is not numbers, text or arrays of numbers
    (IsADirectoryError for a folder)."""
    if Path(path).is_dir():
        raise IsADirectoryError(f"{path} is a folder: give af.save a file name, such as "
                                f"{Path(path) / 'graph.npz'}")
    graph = graph_or_outputs if isinstance(graph_or_outputs, FlowGraph) \
        else FlowGraph(graph_or_outputs, compile=False)
    writer = _Writer()
    outputs = [writer.add(box) for box in graph.outputs]
    wrt = [writer.add(box) for box in graph.wrt]
    writer.add_scope_boxes()
    try:
        info = json.loads(json.dumps(dict(info or {}), allow_nan=False))
    except (TypeError, ValueError) as error:
        raise GraphFileError(f"cannot save the graph: its info is not JSON ({error})") \
            from None
    meta = {"format": FORMAT, "version": VERSION, "nodes": writer.nodes,
            "scopes": writer.scope_table(), "outputs": outputs, "wrt": wrt,
            "arrays": {name: {"shape": list(a.shape), "dtype": a.dtype.str}
                       for name, a in writer.arrays.items()},
            "info": info}
    return write_archive(path, writer.arrays, meta)


class _Writer:
    """The nodes of a file, each after the boxes its call reads, and its arrays."""

    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.arrays: dict[str, np.ndarray] = {}
        self._index: dict[int, int] = {}
        self._members: dict[int, str] = {}
        self._scopes: dict[int, tuple[int, Scope]] = {}
        self._custom: dict[str, type] = {}

    def add(self, root: Box) -> int:
        """The node of ``root``, adding it and every box its call reads first
        (iteratively: a chain of any depth works)."""
        calls: dict[int, tuple[list[Any], dict[str, Any]]] = {}
        stack = [root]
        while stack:
            box = stack[-1]
            if id(box) in self._index:
                stack.pop()
                continue
            if id(box) not in calls:
                calls[id(box)] = call_of(box)
                waiting = [b for b in boxes_in(calls[id(box)]) if id(b) not in self._index]
                if any(id(b) in calls for b in waiting):
                    raise GraphFileError(f"cannot save {describe(box)}: it reads itself "
                                         "through its settings")
                stack.extend(waiting)
            else:
                stack.pop()
                self._append(box, *calls.pop(id(box)))
        return self._index[id(root)]

    def add_scope_boxes(self) -> None:
        """Add the boxes the scopes of the nodes are of (the forward box of a bprop
        scope), which the outputs may not read."""
        while True:
            missing = [s.of for _, s in self._scopes.values()
                       if isinstance(s.of, Box) and id(s.of) not in self._index]
            if not missing:
                return
            for box in missing:
                self.add(box)

    def _append(self, box: Box, args: list[Any], kwargs: dict[str, Any]) -> None:
        cls = type(box)
        where = describe(box)
        node: dict[str, Any] = {}
        if KINDS.get(cls.__name__) is cls:
            node["kind"] = cls.__name__
        else:
            if self._custom.setdefault(cls.__name__, cls) is not cls:
                raise GraphFileError(f"cannot save the graph: it holds two box classes named "
                                     f"{cls.__name__!r} ({where} is one); rename one")
            node["custom"] = cls.__name__
        node.update(args=[self._encode(a, where) for a in args],
                    kwargs={k: self._encode(v, where) for k, v in kwargs.items()},
                    name=box.name, created_at=box.created_at,
                    scopes=[self._scope(s, where) for s in box.scopes])
        if isinstance(box, Input) and isinstance(box.value, np.ndarray):
            shape = box.value.shape
            node["fed"] = {"shape": [None, *shape[1:]] if shape else [],
                           "dtype": box.value.dtype.str}
        self._index[id(box)] = len(self.nodes)
        self.nodes.append(node)

    def _scope(self, scope: Scope, where: str) -> int:
        if id(scope) not in self._scopes:
            if scope.of is not None and not isinstance(scope.of, Box):
                raise GraphFileError(f"cannot save {where}: its scope {scope.name!r} is of "
                                     f"{scope.of!r}, not of a box")
            self._scopes[id(scope)] = len(self._scopes), scope
        return self._scopes[id(scope)][0]

    def scope_table(self) -> list[dict[str, Any]]:
        """The scopes the nodes name, in the order of their indices."""
        return [{"kind": s.kind, "name": s.name,
                 "of": None if s.of is None else self._index[id(s.of)]}
                for _, s in sorted(self._scopes.values(), key=lambda pair: pair[0])]

    def _encode(self, value: Any, where: str) -> Any:
        """A value of a call as JSON: a box by its node, an array by its member."""
        if isinstance(value, Box):
            return {"box": self._index[id(value)]}
        if value is None or type(value) in (bool, str):
            return value
        if type(value) is int:
            return value
        if type(value) is float:
            return value if math.isfinite(value) else {"float": repr(value)}
        if isinstance(value, (np.ndarray, np.generic)):
            return {"scalar" if isinstance(value, np.generic) else "array":
                    self._member(np.asarray(value), where)}
        if isinstance(value, tuple):
            return {"tuple": [self._encode(v, where) for v in value]}
        if isinstance(value, list):
            return [self._encode(v, where) for v in value]
        if isinstance(value, dict) and all(type(k) is str for k in value):
            return {"dict": {k: self._encode(v, where) for k, v in value.items()}}
        if isinstance(value, slice):
            return {"slice": [self._encode(v, where)
                              for v in (value.start, value.stop, value.step)]}
        if value is Ellipsis:
            return {"ellipsis": None}
        if isinstance(value, np.dtype) and _DTYPE.fullmatch(value.str):
            return {"dtype": value.str}
        raise GraphFileError(f"cannot save {where}: one of its settings is "
                             f"{type(value).__name__} {value!r:.60}; a graph file holds "
                             "numbers, text, dtypes, slices, tuples, lists, dicts and arrays "
                             "of numbers")

    def _member(self, array: np.ndarray, where: str) -> str:
        """The member holding ``array`` (one per array object, so shared arrays stay
        shared)."""
        if array.dtype.kind not in "biuf":
            raise GraphFileError(f"cannot save {where}: it holds an array of {array.dtype}; "
                                 "a graph file holds arrays of numbers or booleans")
        if id(array) not in self._members:
            name = f"a{len(self.arrays)}"
            self._members[id(array)] = name
            self.arrays[name] = array
        return self._members[id(array)]


# -- reading -----------------------------------------------------------------------------

def load(path: str | Path, boxes: Iterable[type[Box]] | Mapping[str, type[Box]] | None = None
         ) -> FlowGraph:
    """The graph saved by :func:`save` in the file ``path``. A box of a class of your
    own loads only when its class is passed in ``boxes`` (``[Cube]``, or
    ``{"Cube": Cube}``); nothing the file names is imported or run (see the module's
    documentation). Raises :class:`GraphFileError` for a file that cannot be read safely."""
    return read(path, boxes).graph


def read(path: str | Path, boxes: Iterable[type[Box]] | Mapping[str, type[Box]] | None = None
         ) -> GraphFile:
    """The graph and the info of the graph file ``path`` (see :func:`load`)."""
    path = Path(path)
    custom = custom_classes(boxes)
    try:
        arrays, meta = read_archive(path, "graph", lambda meta: _members(path, meta))
    except GraphFileError:
        raise
    except ModelFileError as error:
        raise GraphFileError(str(error)) from None
    return _Reader(path, meta, arrays, custom).graph_file()


def is_graph_file(path: str | Path) -> bool:
    """Whether ``path`` is a graph file, by the format its metadata declares (read alone:
    no array is unpacked). A file that is no autograd_flow archive at all is not one."""

    class Declared(Exception):
        pass

    def stop(meta: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        raise Declared(meta.get("format") == FORMAT)

    try:
        read_archive(path, "file", stop)
    except Declared as declared:
        return bool(declared.args[0])
    except ModelFileError:
        return False
    return False


def _members(path: Path, meta: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """The arrays the file declares, {member: shape}, after its format and version are
    checked (read_archive then refuses any member that holds more)."""
    where = f"graph file {path}"
    declared = meta.get("format")
    if declared != FORMAT:
        if declared == "autograd_flow.learn.model":
            raise GraphFileError(f"{path} is a model file of 'autograd-flow train', not a "
                                 "graph file: read it with autograd_flow.io.load_model")
        raise GraphFileError(f"{path} is not an autograd_flow graph file (its format is "
                             f"{declared!r:.60})")
    version = meta.get("version")
    if not (type(version) is int and version >= 1):
        raise GraphFileError(f"{where}: its format version {version!r:.60} is not a whole "
                             "number >= 1: the file is damaged or tampered with")
    if version > VERSION:
        raise GraphFileError(f"{where} has graph format version {version}, newer than this "
                             f"autograd_flow reads ({VERSION}): upgrade autograd_flow "
                             "(pip install -U autograd_flow) to load it")
    table = meta.get("arrays")
    if not isinstance(table, dict):
        raise GraphFileError(f"{where}: its 'arrays' entry is not an object")
    return {name: _declared_array(where, name, entry)[0] for name, entry in table.items()}


def _declared_array(where: str, name: str, entry: Any) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) the file's array table declares for the member ``name``."""
    if not (isinstance(entry, dict) and isinstance(entry.get("shape"), list)
            and all(type(s) is int and s >= 0 for s in entry["shape"])
            and isinstance(entry.get("dtype"), str) and _DTYPE.fullmatch(entry["dtype"])):
        raise GraphFileError(f"{where}: the array {name!r} is declared as {entry!r:.80}, "
                             "not a shape of whole numbers and a numeric dtype")
    return tuple(entry["shape"]), np.dtype(entry["dtype"])


class _Reader:
    """Builds the boxes of a file's metadata, one node after the other."""

    def __init__(self, path: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray],
                 custom: dict[str, type[Box]]) -> None:
        self.where = f"graph file {path}"
        self.meta = meta
        self.arrays = arrays
        self.custom = custom
        self.boxes: list[Box] = []
        for name, entry in meta["arrays"].items():
            shape, dtype = _declared_array(self.where, name, entry)
            if name not in arrays or arrays[name].shape != shape or arrays[name].dtype != dtype:
                raise GraphFileError(f"{self.where}: its array {name!r} is not the "
                                     f"{shape} {dtype} it declares: the file is damaged or "
                                     "tampered with")

    def graph_file(self) -> GraphFile:
        nodes = self._list("nodes", dict)
        for position, node in enumerate(nodes):
            self.boxes.append(self._node(position, node))
        scopes = [self._scope(k, entry) for k, entry in
                  enumerate(self._list("scopes", dict))]
        for position, (node, box) in enumerate(zip(nodes, self.boxes)):
            indices = node.get("scopes", [])
            if not (isinstance(indices, list) and all(
                    type(i) is int and 0 <= i < len(scopes) for i in indices)):
                raise self._error(f"node {position}: its scopes {indices!r:.60} are not "
                                  "indices of the scope table")
            box.scopes = tuple(scopes[i] for i in indices)
        outputs = [self._box(i, "an output") for i in self._list("outputs", int)]
        wrt = [self._box(i, "wrt") for i in self._list("wrt", int)]
        try:
            graph = FlowGraph(outputs, wrt=wrt)
        except (FlowGraphError, TypeError, ValueError) as error:
            raise self._error(f"its outputs and wrt make no graph ({one_line(error)})") \
                from None
        info = self.meta.get("info", {})
        if not isinstance(info, dict):
            raise self._error("its 'info' entry is not an object")
        return GraphFile(graph, info)

    def _error(self, what: str) -> GraphFileError:
        return GraphFileError(f"{self.where}: {what}: the file is damaged or tampered with")

    def _list(self, key: str, kind: type) -> list[Any]:
        value = self.meta.get(key)
        if not (isinstance(value, list) and all(
                isinstance(v, kind) and not isinstance(v, bool) for v in value)):
            raise self._error(f"its {key!r} entry is not a list of {kind.__name__}s")
        return value

    def _box(self, index: int, what: str) -> Box:
        if not 0 <= index < len(self.boxes):
            raise self._error(f"{what} refers to box {index}, which comes later or does "
                              "not exist")
        return self.boxes[index]

    def _node(self, position: int, node: dict[str, Any]) -> Box:
        """The box of one node: its class looked up by name, called with its arguments."""
        kind, custom = node.get("kind"), node.get("custom")
        name, created_at = node.get("name"), node.get("created_at")
        args, kwargs = node.get("args"), node.get("kwargs")
        if not (isinstance(name, str) and isinstance(created_at, str)
                and isinstance(args, list) and isinstance(kwargs, dict)):
            raise self._error(f"node {position} lacks a name, a creation line, args or kwargs")
        label = f"box {position} ({name!r:.40})"
        cls: type[Box] | None
        if isinstance(kind, str) and custom is None:
            cls = KINDS.get(kind)
            if cls is None:
                raise GraphFileError(
                    f"{self.where}: {label} is of kind {kind!r:.60}, which is no primitive "
                    "box of autograd_flow (the file is damaged, tampered with, or from a "
                    "newer autograd_flow); nothing was loaded")
        elif isinstance(custom, str) and kind is None:
            cls = self.custom.get(custom)
            if cls is None:
                raise GraphFileError(
                    f"{self.where}: {label}, created at {created_at}, is a box of your own "
                    f"class {custom!r:.60}, which loads only with its class passed: "
                    f"af.load(path, boxes=[{custom:.60}]) in Python (the command line reads "
                    "graphs of autograd_flow's own boxes only)")
        else:
            raise self._error(f"node {position} names no kind")
        try:
            values = [self._decode(a, position, 0) for a in args]
            keywords = {str(k): self._decode(v, position, 0) for k, v in kwargs.items()}
            box = cls(*values, **keywords)
        except GraphFileError:
            raise
        except Exception as error:  # a constructor refusing the file's arguments
            raise self._error(f"{label} cannot be made as {cls.__name__}(...): "
                              f"{type(error).__name__}: {one_line(error)}") from None
        box.name, box.created_at = name, created_at
        value = box.value
        if isinstance(box, (Constant, Parameter)) and not (
                type(value) in (int, float)
                or (isinstance(value, np.ndarray) and value.dtype.kind in "biuf")):
            raise self._error(f"{label}: its value is {type(value).__name__} "
                              f"{np.asarray(value).dtype}, not numbers")
        if isinstance(box, Input):
            self._declare_feed(box, node.get("fed"), label)
        return box

    def _declare_feed(self, box: Input, fed: Any, label: str) -> None:
        """An Input declares the shape (first axis free) and dtype it was last fed,
        unless it declares its own."""
        if fed is None:
            return
        if not (isinstance(fed, dict) and isinstance(fed.get("shape"), list)
                and all(s is None or (type(s) is int and s >= 0) for s in fed["shape"])
                and isinstance(fed.get("dtype"), str) and _DTYPE.fullmatch(fed["dtype"])):
            raise self._error(f"{label}: its feed {fed!r:.80} is not a shape and a dtype")
        if box.shape is None:
            box.shape = tuple(fed["shape"])
        if box.dtype is None:
            box.dtype = np.dtype(fed["dtype"])

    def _scope(self, k: int, entry: dict[str, Any]) -> Scope:
        kind, name, of = entry.get("kind"), entry.get("name"), entry.get("of")
        if not (isinstance(kind, str) and isinstance(name, str)
                and (of is None or type(of) is int)):
            raise self._error(f"scope {k} is not a kind, a name and a box")
        return Scope(kind, name, None if of is None else self._box(of, f"scope {k}"))

    def _decode(self, value: Any, position: int, depth: int) -> Any:
        """A value of a call from its JSON (boxes only from earlier nodes)."""
        if depth > _DEPTH:
            raise self._error(f"node {position}: a setting is nested more than {_DEPTH} deep")
        if value is None or type(value) in (bool, int, float, str):
            return value
        if isinstance(value, list):
            return [self._decode(v, position, depth + 1) for v in value]
        if not (isinstance(value, dict) and len(value) == 1):
            raise self._error(f"node {position}: the setting {value!r:.60} is not one")
        (tag, content), = value.items()
        if tag == "box" and type(content) is int:
            return self._box(content, f"node {position}")
        if tag in ("array", "scalar") and isinstance(content, str) and content in self.arrays:
            array = self.arrays[content]
            return array[()] if tag == "scalar" and array.ndim == 0 else array
        if tag == "tuple" and isinstance(content, list):
            return tuple(self._decode(v, position, depth + 1) for v in content)
        if tag == "dict" and isinstance(content, dict):
            return {k: self._decode(v, position, depth + 1) for k, v in content.items()}
        if tag == "slice" and isinstance(content, list) and len(content) == 3 and all(
                v is None or type(v) is int for v in content):
            return slice(*content)
        if tag == "ellipsis" and content is None:
            return Ellipsis
        if tag == "dtype" and isinstance(content, str) and _DTYPE.fullmatch(content):
            return np.dtype(content)
        if tag == "float" and content in ("nan", "inf", "-inf"):
            return float(content)
        raise self._error(f"node {position}: the setting {value!r:.60} is not one")
