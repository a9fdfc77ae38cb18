"""Recording what a formula does with numpy, so that a plan can replay it.

A plan is made by running one step of the graph as the interpreter would (each box's
own fprop and bprop, the one formula of each primitive) on :class:`Traced` values:
arrays that compute as numpy computes and remember every numpy call made on them, as
a :class:`Node` of the step's tape. The tape is then written out as straight-line code
(:mod:`.emit`): the formulas themselves, with buffers, and without the calls whose
results nothing reads.

Only what can be replayed for any data of the plan's signature is recorded: ufuncs,
and numpy functions whose result's shape follows from their arguments' shapes. A
formula that reads a value in Python (``if x > 0``, ``float(x)``), converts a value to
an array, writes into one, or calls another numpy function raises :class:`NotRecorded`
to the tracer, which then calls the box's method itself in the plan instead.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from ..core.box import Box, Constant

_NOT_GIVEN: Any = object()


class NotRecorded(Exception):
    """A formula did something a plan cannot replay for other data: the plan calls the
    box's own method for it instead."""


@dataclass(eq=False)
class Node:
    """One value of the step: a leaf's value, the seed, a constant, or the result of one
    numpy call (``kind`` "ufunc", "func", "method", "getitem"), of a box's own method
    (``kind`` "call", whose results are picked by "item" nodes), or of a rewrite's
    in-place step ("inplace": the result is its first argument's array). ``value`` is
    the array the traced step computed; ``errstate`` numpy's error settings a formula
    set around the call."""

    kind: str
    fn: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    value: Any
    box: Box | None = None
    errstate: dict[str, Any] | None = None
    hint: str = ""
    checked: bool = False  # a box's method's result: its shape and dtype are checked
    effect: bool = False  # emitted even when nothing reads it (a check)
    named: bool = False  # ``hint`` is a role's name (a box's value or gradient), kept
    index: int = -1

    @property
    def inputs(self) -> list[Node]:
        """The nodes this node reads (arguments nested in lists and tuples included)."""
        found: list[Node] = []
        _walk((self.args, tuple(self.kwargs.values())), found.append)
        return found


def _walk(value: Any, visit: Callable[[Node], None]) -> None:
    if isinstance(value, Node):
        visit(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _walk(item, visit)


def _map(value: Any, leaf: Callable[[Traced], Any]) -> Any:
    """``value`` with each Traced replaced by ``leaf(traced)``, lists and tuples kept."""
    if isinstance(value, Traced):
        return leaf(value)
    if isinstance(value, list):
        return [_map(v, leaf) for v in value]
    if isinstance(value, tuple):
        return tuple(_map(v, leaf) for v in value)
    if isinstance(value, Box):
        raise NotRecorded  # a box inside a formula run on arrays: not a plan's business
    return value


def _value(value: Any) -> Any:
    """A recorded argument's value (a node's array, or the setting itself)."""
    return value.value if isinstance(value, Node) else value


def _concrete(value: Any) -> Any:
    return _map(value, lambda t: t.node.value)


def _symbolic(value: Any) -> Any:
    return _map(value, lambda t: t.node)


#: numpy functions whose result's shape and dtype follow from their arguments' shapes,
#: dtypes and settings (never from the values): a plan replays them as they are
REPLAYED: frozenset[Any] = frozenset({
    np.sum, np.prod, np.max, np.min, np.amax, np.amin, np.cumsum, np.cumprod,
    np.reshape, np.transpose, np.swapaxes, np.moveaxis, np.broadcast_to, np.expand_dims,
    np.squeeze, np.ravel, np.flip, np.rot90, np.roll, np.tile, np.repeat, np.pad,
    np.concatenate, np.stack, np.diagonal, np.diag, np.triu, np.tril, np.kron, np.outer,
    np.dot, np.vdot, np.tensordot, np.einsum, np.clip, np.round, np.nan_to_num, np.sinc,
    np.sort, np.argsort, np.take_along_axis, np.zeros_like, np.ones_like, np.full_like,
    np.astype, np.where,
})
#: numpy functions of shapes and dtypes only: answered at once, nothing recorded
STATIC: frozenset[Any] = frozenset({np.shape, np.ndim, np.size, np.result_type})
#: ndarray methods a formula may call, recorded as the numpy function of that name
METHODS = {"sum": np.sum, "reshape": np.reshape, "transpose": np.transpose,
           "swapaxes": np.swapaxes, "ravel": np.ravel, "max": np.max, "min": np.min,
           "prod": np.prod}


class Traced(NDArrayOperatorsMixin):
    """An array of the traced step: computes as numpy does and records each call."""

    __slots__ = ("node", "tracer")

    def __init__(self, node: Node, tracer: Tracer) -> None:
        self.node = node
        self.tracer = tracer

    # what is known without the values
    shape = property(lambda self: np.shape(self.node.value))
    ndim = property(lambda self: np.ndim(self.node.value))
    size = property(lambda self: np.size(self.node.value))
    dtype = property(lambda self: np.result_type(self.node.value))

    def __len__(self) -> int:
        return len(self.node.value)

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method == "reduce" and set(kwargs) <= {"axis", "keepdims"}:
            return self.tracer.record("reduce", ufunc, inputs, kwargs)
        if method != "__call__" or kwargs:
            raise self.tracer.refuse()
        return self.tracer.record("ufunc", ufunc, inputs, {})

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func in STATIC:
            return func(*_concrete(args), **_concrete(kwargs))
        if func not in REPLAYED or (func is np.where and len(args) != 3):
            raise self.tracer.refuse()
        return self.tracer.record("func", func, args, kwargs)

    def __getitem__(self, key: Any) -> Traced:
        parts = key if isinstance(key, tuple) else (key,)
        for part in parts:
            if isinstance(part, Traced) and part.node.value.dtype.kind == "b":
                raise self.tracer.refuse()  # a mask: the shape follows the data
        return self.tracer.record("getitem", None, (self, key), {})

    @property
    def T(self) -> Traced:  # noqa: N802 (ndarray's name)
        return self.tracer.record("func", np.transpose, (self,), {})

    def astype(self, dtype: Any, copy: bool = True) -> Traced:
        return self.tracer.record("func", np.astype, (self, dtype), {"copy": copy})

    def __getattr__(self, name: str) -> Any:
        method = METHODS.get(name)
        if method is None:
            raise self.tracer.refuse()  # .item(), .tolist(), .copy(), ...: not replayed
        return lambda *args, **kwargs: self.tracer.record("func", method, (self, *args), kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise self.tracer.refuse()

    def __bool__(self) -> bool:
        raise self.tracer.refuse()

    def __float__(self) -> float:
        raise self.tracer.refuse()

    def __int__(self) -> int:
        raise self.tracer.refuse()

    def __index__(self) -> int:
        raise self.tracer.refuse()

    def __iter__(self) -> Any:
        raise self.tracer.refuse()

    def __setitem__(self, key: Any, value: Any) -> None:
        raise self.tracer.refuse()


def _key(value: Any) -> Any:
    """A hashable stand-in for an argument, equal only for arguments that make a call
    give the same result (types kept apart: 1, 1.0 and True promote differently)."""
    if isinstance(value, Node):
        return ("node", value.index)
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_key(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((k, _key(v)) for k, v in value.items()))
    if isinstance(value, slice):
        return ("slice", _key(value.start), _key(value.stop), _key(value.step))
    if isinstance(value, np.ndarray):
        return ("array", id(value))
    try:
        hash(value)
    except TypeError:
        return ("object", id(value))
    return (type(value).__name__, value)


class Tracer:
    """The tape of one traced step: every node in the order it was computed. A call
    made twice on the same arguments is recorded once (the L2 penalty's W . W asks for
    W twice, say)."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.errstate: dict[str, Any] = dict(np.geterr())
        self.label = "t"  # the name temporaries take (after the box being traced)
        self.refused = False  # a formula did what cannot be replayed (maybe caught)
        self._seen: dict[Any, Node] = {}

    def refuse(self) -> NotRecorded:
        """The error a traced array raises for what a plan cannot replay, remembered in
        case the formula (or numpy, which turns it into a ValueError when a value is
        assigned into an array) catches it."""
        self.refused = True
        return NotRecorded()

    def add(self, node: Node) -> Traced:
        node.index = len(self.nodes)
        self.nodes.append(node)
        return Traced(node, self)

    def leaf(self, box: Box) -> Traced:
        """The value of a leaf (an Input, a Parameter, a Constant), read each step; a
        Constant's finite Python number is written into the code."""
        value = box.value
        if isinstance(box, Constant) and type(value) in (int, float) and math.isfinite(value):
            return self.add(Node("const", None, (), {}, value, box=box, hint=box.name,
                                 named=True))
        return self.add(Node("leaf", None, (), {}, value, box=box, hint=box.name, named=True))

    def seed(self, value: Any) -> Traced:
        """The gradient bprop starts from (the plan's bprop argument)."""
        return self.add(Node("seed", None, (), {}, value, hint="seed"))

    def record(self, kind: str, fn: Any, args: Any, kwargs: dict[str, Any]) -> Traced:
        """Compute ``fn(*args, **kwargs)`` on the traced arrays and record it."""
        if kind == "ufunc" and fn is np.add and len(args) == 2 and all(
                isinstance(a, Traced) for a in args) and args[0].node is args[1].node:
            doubled = self._doubled(args[0])
            if doubled is not None:
                return doubled
        concrete_args, concrete_kwargs = _concrete(tuple(args)), _concrete(kwargs)
        if kind == "ufunc":
            value = fn(*concrete_args)
        elif kind == "reduce":
            value = fn.reduce(*concrete_args, **concrete_kwargs)
        elif kind == "getitem":
            value = concrete_args[0][concrete_args[1]]
        else:
            value = fn(*concrete_args, **concrete_kwargs)
        if isinstance(value, (tuple, list)):
            raise self.refuse()  # several results (np.split): not replayed
        symbolic_args, symbolic_kwargs = _symbolic(tuple(args)), _symbolic(kwargs)
        if fn is np.reshape and np.shape(value) == np.shape(concrete_args[0]) \
                and isinstance(symbolic_args[0], Node):
            return Traced(symbolic_args[0], self)  # a reshape to its own shape: itself
        state = np.geterr()
        changed = {k: v for k, v in state.items() if self.errstate.get(k) != v} or None
        key = (kind, id(fn), _key(symbolic_args), _key(symbolic_kwargs), _key(changed))
        node = self._seen.get(key)
        if node is not None and node in self.nodes[node.index:node.index + 1]:
            return Traced(node, self)
        traced = self.add(Node(kind, fn, symbolic_args, symbolic_kwargs, value,
                               errstate=changed, hint=self.label))
        self._seen[key] = traced.node
        return traced

    def _doubled(self, term: Any) -> Traced | None:
        """x + x for x = s A (s a number or 0-d, A an array): (2 s) A, one pass over A
        instead of two (the L2 penalty's W . W sends d W = d y W twice). Doubling is
        exact, so both give the same numbers; kept only when they do for the traced
        values (they can differ where s A falls among the subnormal numbers)."""
        node = term.node if isinstance(term, Traced) else None
        if node is None or node.kind != "ufunc" or node.fn is not np.multiply:
            return None
        small = [k for k, a in enumerate(node.args) if np.ndim(_value(a)) == 0]
        if len(small) != 1 or np.ndim(node.value) == 0:
            return None
        s, A = node.args[small[0]], node.args[1 - small[0]]
        twice = np.multiply(_value(s), 2)
        folded = np.multiply(twice, _value(A))
        unfolded = np.add(node.value, node.value)
        if folded.dtype != unfolded.dtype or not np.array_equal(folded, unfolded):
            return None
        scale = self.record("ufunc", np.multiply, (self._traced(s), 2), {})
        return self.record("ufunc", np.multiply, (scale, self._traced(A)), {})

    def _traced(self, value: Any) -> Any:
        return Traced(value, self) if isinstance(value, Node) else value

    def call(self, method: Callable[..., Any], args: tuple[Traced, ...], box: Box,
             what: str, value: Any = _NOT_GIVEN, checked: bool = False) -> Traced:
        """``method(*args)`` run as it is (a box's own fprop or bprop) in the plan; its
        result in the traced step is ``value`` when given (what the interpreter got from
        a user's code, which runs no extra time), else the call's on the arrays.
        ``checked``: the plan checks its shape and dtype at each step."""
        if value is _NOT_GIVEN:
            value = method(*_concrete(args))
        return self.add(Node("call", method, _symbolic(args), {}, value, box=box,
                             hint=f"{box.name}_{what}", named=True, checked=checked))

    def item(self, result: Traced, position: int | None, hint: str) -> Traced | None:
        """Gradient ``position`` of a bprop's result (the result itself for None), checked
        at each step to be what the traced step saw: an array of that shape and dtype,
        or None (then None is returned, and the check stays in the plan)."""
        value = result.node.value if position is None else result.node.value[position]
        traced = self.add(Node("item", position, (result.node,), {}, value, hint=hint,
                               checked=True, effect=value is None, named=True))
        return None if value is None else traced

    def formula(self, run: Callable[[], Any]) -> Any:
        """Run a formula, its numpy calls recorded (numpy's error settings as they are
        outside it are the baseline of what it changes); NotRecorded when it did
        anything that cannot be replayed, even if it caught the error."""
        self.errstate = dict(np.geterr())
        self.refused = False
        result = run()
        if self.refused:
            raise NotRecorded
        return result

    def wrap(self, value: Any) -> Traced:
        """A formula's result as a Traced (a number or array it made from settings alone
        becomes a constant)."""
        if isinstance(value, Traced):
            return value
        return self.add(Node("const", None, (), {}, value, hint="constant", named=True))

    def check(self, test: Callable[..., bool], *args: Traced, hint: str) -> None:
        """A condition on the step's arrays that the plan needs (labels in range, say),
        checked at each step: when it fails, the interpreter runs the step instead."""
        self.add(Node("check", test, _symbolic(args), {}, None, hint=hint, effect=True,
                      named=True))

    def inplace(self, step: Callable[..., Any], target: Traced, *args: Any) -> Traced:
        """``step(target, *args)`` writing into ``target`` (an array the step made and
        nothing else reads) and returning it: a rewrite's scatter."""
        value = step(np.array(target.node.value), *_concrete(args))
        return self.add(Node("inplace", step, _symbolic((target, *args)), {}, value,
                             hint=self.label))
