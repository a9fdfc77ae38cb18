"""Boxes: the nodes of a flow graph, and the leaves Input, Parameter, Constant.

A box is an object with ``fprop`` (its value from its inputs' values) and ``bprop``
(given d loss / d its value, d loss / d each input). Creating a box with input boxes
makes a node; nothing is computed until a :class:`~autograd_flow.FlowGraph` runs it.

Boxes take part in numpy's own protocols (NEP 13 and 18): ``box + 1``, ``np.exp(box)``
and ``np.sum(box, axis=0)`` build boxes. That is how one bprop formula runs on arrays
(the backward pass) and on boxes (:func:`autograd_flow.grad`). The core knows no
primitive: :mod:`autograd_flow.ops` declares them and fills the tables numpy's calls are
looked up in (:mod:`.numpy_protocol`), and attaches ndarray's methods (``.sum``,
``.reshape``, ``.T``, ``box[index]``, ...).
"""
from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Iterator, Sequence
from functools import wraps
from types import FrameType
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from ..errors import BoxError, ShapeUnknownError, describe
from .numpy_protocol import call_function, call_ufunc
from .scope import current_scopes

#: where code that makes boxes on the user's behalf lives: this package, and numpy
#: (whose operators and functions build boxes through its protocols)
_NOT_THE_USER = (os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,
                 os.path.dirname(os.path.abspath(np.__file__)) + os.sep)


def user_site() -> str:
    """file:line of the first frame outside this package and numpy: where the user made
    the box."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and (
            frame.f_code.co_filename.startswith(_NOT_THE_USER)
            or (frame.f_code.co_name == "__init__"
                and isinstance(frame.f_locals.get("self"), Box))):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"


_ARITY: dict[type, int | None] = {}


def fprop_arity(cls: type) -> int | None:
    """How many inputs ``cls.fprop`` takes (None if it takes *args); cached per class."""
    if cls not in _ARITY:
        parameters = list(inspect.signature(cls.fprop).parameters.values())[1:]  # type: ignore[attr-defined]
        if any(p.kind is p.VAR_POSITIONAL for p in parameters):
            _ARITY[cls] = None
        else:
            _ARITY[cls] = len(parameters)
    return _ARITY[cls]


def _unknown_until_run(box: Box, what: str) -> TypeError:
    return TypeError(f"{describe(box)}: {what} is known only when the graph runs (a box is a "
                     "node of the graph, not an array); read box.value after fprop, or build "
                     "the computation with af functions and operators.")


class Box(NDArrayOperatorsMixin):
    """A node of a flow graph.

    Subclass it and define ``fprop(self, *input_values) -> value`` and
    ``bprop(self, grad, *input_values) -> gradient per input`` (a tuple when there are
    several; ``None`` for an input that needs no gradient). Inside ``bprop``,
    ``self.value`` is the box's own output. Instantiate with input boxes (numbers and
    arrays become :class:`Constant`) to add a node: ``Cube(x, name="cube")``.

    One bprop serves both ways of differentiating: the backward pass calls it with
    arrays, and :func:`autograd_flow.grad` (second derivatives, Hessians) calls it with
    boxes, where ``self.value`` is the box itself. Written with operators and numpy or
    ``af`` functions of its arguments and of ``self.value``, it works both ways; a bprop
    that only works on arrays still gives first derivatives, and a second derivative
    through it is a clear error.
    """

    #: Set by :mod:`autograd_flow.ops` on the primitives it declares: their values and
    #: gradients are numpy arrays by construction, so runs do not check them.
    primitive: ClassVar[bool] = False
    #: Positions of the inputs the box is linear in (jointly): :func:`autograd_flow.grad`
    #: then differentiates bprop itself (an ``Adjoint`` box) instead of running it on
    #: boxes. A class setting, or a box's own (a join of any number of inputs).
    linear_in: tuple[int, ...] = ()
    #: With ``linear_in``: linear in each of those inputs separately (a product), not jointly.
    multilinear: bool = False
    #: Set on primitives that run a user's code (NumericBprop runs a user's bprop): like
    #: a user's own box, they are only ever run, never traced nor run twice by a plan.
    runs_user_code: bool = False
    #: An ``__init__`` argument kept under another attribute name (``{"shape":
    #: "new_shape"}``): ``shape``, ``ndim``, ``size`` and ``dtype`` are the box's output's.
    setting_attributes: ClassVar[dict[str, str]] = {}

    # boxes are compared and hashed by identity (they key dicts and feeds); np.equal
    # builds an Equal box
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    def __init__(self, *inputs: Any, name: str | None = None) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a str, not "
                            f"{type(name).__name__} {name!r:.60} (was a setting given "
                            f"by position where the box takes its name?)")
        self.inputs: tuple[Box, ...] = tuple(as_box(i) for i in inputs)
        self.name: str = name if name is not None else type(self).__name__.lower()
        self.value: Any = None
        self.grad: Any = None
        self.created_at: str = user_site()
        self.scopes = current_scopes()
        arity = fprop_arity(type(self))
        if arity is not None and arity != len(self.inputs):
            raise BoxError(
                f"{type(self).__name__} '{self.name}' (created at {self.created_at}): "
                f"fprop takes {arity} input(s) but the box was given {len(self.inputs)}.")
        if type(self).__init__ is Box.__init__:
            _constructed(self)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A user's box remembers its settings once made (see :func:`run_state`): its
        ``__init__`` (the outermost one) ends by noting its attributes."""
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return

        @wraps(init)
        def made(self: Box, *args: Any, **kwargs: Any) -> None:
            init(self, *args, **kwargs)
            if type(self).__init__ is made:  # the outermost __init__ of the box's class
                _constructed(self)

        cls.__init__ = made  # type: ignore[method-assign]

    def named(self, name: str) -> Box:
        """This box, renamed ``name`` (as pictures and errors call it): names a box an
        operator made, inline, ``a1 = (x @ W.T + b).named("a1")``."""
        if not isinstance(name, str):
            raise TypeError(f"a box's name is a str, not {type(name).__name__} {name!r:.60}")
        self.name = name
        return self

    def fprop(self, *values: Any) -> Any:
        """The box's value from its inputs' values."""
        raise NotImplementedError(f"{type(self).__name__} must define fprop")

    def bprop(self, grad: Any, *values: Any) -> Any:
        """Given d loss / d self.value, return d loss / d each input."""
        raise NotImplementedError(f"{type(self).__name__} must define bprop")

    # -- numpy's protocols -------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return call_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return call_function(func, args, kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """Refused: numpy asks for an array where it makes one of a box (np.array,
        np.asarray, np.r_, np.int64(box), a list of boxes given to np.mean), calls it
        does not dispatch to boxes, and an array is what it must get back."""
        raise TypeError(
            f"{describe(self)}: its array is known only when the graph runs (a box is a "
            "node of the graph, not an array), and numpy makes arrays of boxes itself "
            "(np.array, np.asarray, np.r_, np.c_, np.int64(box), a list of boxes given to "
            "a numpy function) without asking autograd_flow; build the array with "
            "af.array([...]), af.stack or af.concatenate, convert with box.astype, or read "
            "box.value after fprop.")

    # ``box += 1`` makes a new box and rebinds the name, as for any immutable value
    __iadd__ = NDArrayOperatorsMixin.__add__
    __isub__ = NDArrayOperatorsMixin.__sub__
    __imul__ = NDArrayOperatorsMixin.__mul__
    __imatmul__ = NDArrayOperatorsMixin.__matmul__
    __itruediv__ = NDArrayOperatorsMixin.__truediv__
    __ipow__ = NDArrayOperatorsMixin.__pow__
    __imod__ = NDArrayOperatorsMixin.__mod__
    __ifloordiv__ = NDArrayOperatorsMixin.__floordiv__

    def __bool__(self) -> bool:
        raise _unknown_until_run(self, "its truth value")

    def __float__(self) -> float:
        raise _unknown_until_run(self, "its number")

    def __int__(self) -> int:
        raise _unknown_until_run(self, "its number")

    def __len__(self) -> int:
        return _length(self, "its length", "it has no len(), as a 0-d array has none")

    def __iter__(self) -> Iterator[Box]:
        """``box[0], box[1], ...``, as iterating an array gives its rows (``for row in
        box``, ``a, b = box``, ``np.vstack(box)``): the length must be known before the
        graph runs (see :func:`example`)."""
        count = _length(self, "its length (to iterate it)",
                        "it is not iterable, as a 0-d array is not")
        return (self[i] for i in range(count))

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError(
            f"{type(self).__name__} '{self.name}': a box's value cannot be assigned to "
            "(a graph computes it); build the new array instead, e.g. with af.where(mask, "
            "value, box), af.concatenate or af.stack.")

    if TYPE_CHECKING:  # attached by autograd_flow.ops (the GetItem primitive)
        def __getitem__(self, index: Any) -> Box: ...

    def __getattr__(self, name: str) -> Any:
        """Called only for an attribute not set. ``value``: a box whose value a compiled
        plan left unset (inside a pattern it runs as one step) computes it from its
        inputs' values when first read. ndarray's methods are attached by
        :mod:`autograd_flow.ops`. (Reads attributes without ``self.__dict__``, which
        would slow every later store into the box.)"""
        try:
            inputs = object.__getattribute__(self, "inputs")
        except AttributeError:  # not initialized (copying, unpickling)
            inputs = None
        if name == "value" and inputs is not None:
            value = self.fprop(*[i.value for i in inputs])
            object.__setattr__(self, "value", value)
            return value
        if name in ("shape", "ndim", "size") and inputs is not None:
            return getattr(example(self, f"its {name}")[0], name)
        if name == "dtype" and inputs is not None:
            value, typed = example(self, "its dtype")
            if not typed:
                raise ShapeUnknownError(
                    f"{describe(self)}: its dtype is known only when the graph runs "
                    f"({_undeclared_dtype(self)} declares no dtype): feed the graph and read "
                    "box.value.dtype after fprop, or declare the Input's dtype: "
                    "af.Input(name, shape=..., dtype=np.float32).")
            return value.dtype
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self) -> str:
        shape = "" if self.value is None else f", shape={np.shape(self.value)}"
        return f"{type(self).__name__}('{self.name}'{shape})"


def example(box: Box, what: str) -> tuple[np.ndarray, bool]:
    """An array of the shape and dtype ``box`` will have, worked out before its graph
    runs: its primitives' fprops run on the values of its Parameters and Constants and
    on stand-ins of the shapes its Inputs declare (normal values for floats, zeros for
    integers, which are valid indices). Also whether the dtype is known (every Input on
    the way declares one). A ShapeUnknownError says why when it cannot be known: an
    Input that declares no (whole) shape, a box of the user's own (its fprop is not run
    outside a graph run), a shape that follows the values (a mask fed at run time), or
    a box that fails on the stand-ins."""
    values: dict[int, tuple[Any, bool, bool]] = {}  # id -> (value, stand-in, typed)
    stack: list[Box] = [box]
    while stack:
        top = stack[-1]
        if id(top) in values:
            stack.pop()
            continue
        pending = [i for i in top.inputs if id(i) not in values]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        values[id(top)] = _example_of(top, [values[id(i)] for i in top.inputs], box, what)
    value, _, typed = values[id(box)]
    return np.asarray(value), typed


def _length(box: Box, what: str, zero_d: str) -> int:
    """The length of ``box`` (its first side) before its graph runs."""
    shape = example(box, what)[0].shape
    if not shape:
        raise TypeError(f"{describe(box)} is 0-d: {zero_d}.")
    return int(shape[0])


def _example_of(box: Box, inputs: list[tuple[Any, bool, bool]], asked: Box,
                what: str) -> tuple[Any, bool, bool]:
    def unknown(reason: str, remedy: str = "") -> ShapeUnknownError:
        return ShapeUnknownError(f"{describe(asked)}: {what} is known only when the graph "
                                 f"runs ({reason}): feed the graph and read box.value after "
                                 f"fprop{remedy}.")

    if isinstance(box, Input):
        if box.shape is None or any(side is None for side in box.shape):
            declared = "no shape" if box.shape is None else f"shape {box.shape}"
            raise unknown(f"{describe(box)} declares {declared}", ", or declare the Input's "
                          f"whole shape: af.Input({box.name!r}, shape=(32, 64))")
        shape = tuple(int(side) for side in box.shape if side is not None)
        dtype = box.dtype if box.dtype is not None else np.dtype(np.float64)
        placeholder = (np.random.default_rng(0).standard_normal(shape).astype(dtype)
                       if dtype.kind == "f" else np.zeros(shape, dtype))
        return placeholder, True, box.dtype is not None
    if isinstance(box, Leaf):
        if box.value is None:
            raise unknown(f"{describe(box)} has no value until the graph runs")
        return box.value, False, True
    if opaque(box):
        raise unknown(f"{describe(box)} is a box of your own, whose fprop runs only in a "
                      "graph run")
    stand_in = any(made_up for _, made_up, _ in inputs)
    if stand_in and getattr(box, "data_dependent_shape", False):
        raise unknown(f"the shape of {describe(box)} follows the values fed to its inputs")
    try:
        with np.errstate(all="ignore"):
            value = box.fprop(*[v for v, _, _ in inputs])
    except Exception as error:  # noqa: BLE001 (any failure: the shape is not known)
        raise unknown(f"{describe(box)} fails on stand-in values of the declared shapes "
                      f"({str(error).splitlines()[0] if str(error) else type(error).__name__})"
                      ) from None
    return value, stand_in, all(typed for _, _, typed in inputs)


def _undeclared_dtype(box: Box) -> str:
    """The first Input ``box`` depends on that declares no dtype, described."""
    stack, seen = [box], set()
    while stack:
        top = stack.pop()
        if isinstance(top, Input) and top.dtype is None:
            return describe(top)
        seen.add(id(top))
        stack.extend(i for i in top.inputs if id(i) not in seen)
    return "an Input"


def _constructed(box: Box) -> None:
    """Note a user's box's attributes once it is made: its settings. (Primitives and
    leaves, which have no bprop of a user's, skip this: reading a box's ``__dict__``
    slows every later store into it.)"""
    if not type(box).primitive and not isinstance(box, Leaf):
        object.__setattr__(box, "_settings", dict(vars(box)))


def opaque(box: Box) -> bool:
    """Whether running the box runs a user's code (a user's box, or a primitive running
    one): a compiled plan calls it, and never calls it more often than the interpreter."""
    return not box.primitive or box.runs_user_code


class Leaf(Box):
    """A box with no inputs whose value is set from outside (feed, parameter, constant)."""

    def fprop(self) -> Any:
        return self.value

    def bprop(self, grad: Any) -> None:
        return None

    def __getstate__(self) -> dict[str, Any]:
        """Pickled and copied without the guard of the graphs that run it (a lock, made
        again by the graphs of the copy)."""
        state = dict(self.__dict__)
        state.pop("_guard", None)
        return state


class Input(Leaf):
    """A value fed at run time: ``x = af.Input("x")``; ``graph.fprop({x: X})`` or ``{"x": X}``.

    ``shape`` (``None`` for any size along an axis) and ``dtype`` are optional checks
    made when the input is fed: ``af.Input("x", shape=(None, 64), dtype=np.float32)``.
    """

    def __init__(self, name: str, shape: Sequence[int | None] | None = None,
                 dtype: Any = None) -> None:
        super().__init__(name=name)
        self.shape = None if shape is None else tuple(shape)
        self.dtype = None if dtype is None else np.dtype(dtype)


class Parameter(Leaf):
    """A trainable array: optimizers update ``.value`` in place from ``.grad``."""

    def __init__(self, value: Any, name: str = "parameter") -> None:
        super().__init__(name=name)
        array = np.asarray(value)
        refuse_complex(array, f"Parameter {name!r}")
        if array.dtype.kind != "f":
            array = array.astype(np.float64)
        self.value = array


def holds_box(value: Any) -> bool:
    """Whether ``value`` is a box or a (nested) list or tuple holding one."""
    return isinstance(value, Box) or (
        isinstance(value, (list, tuple)) and any(holds_box(v) for v in value))


def refuse_complex(value: Any, what: str, error: type[Exception] = TypeError) -> None:
    """Complex numbers have no place in a real-valued flow graph: say so where they enter
    (a Parameter, a Constant, a feed)."""
    if np.iscomplexobj(value):
        raise error(f"{what}: complex values ({np.result_type(value)}, shape "
                    f"{np.shape(value)}) are not supported; autograd_flow differentiates "
                    "real arrays: use the real and imaginary parts as two real arrays.")


class Constant(Leaf):
    """A value that is never trained. Python numbers stay Python numbers, so they do
    not promote a float32 graph to float64."""

    def __init__(self, value: Any, name: str | None = None) -> None:
        if isinstance(value, Box):
            raise TypeError(f"Constant wraps a number or an array, not a box ({value!r})")
        if isinstance(value, np.generic) and value.dtype.kind in "iuf":
            value = value.item()  # a numpy scalar is a number: keep it weak, like 0.5
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            value = np.asarray(value)
        refuse_complex(value, "Constant" if name is None else f"Constant {name!r}")
        label = name if name is not None else (
            repr(value) if np.ndim(value) == 0 else f"const{np.shape(value)}")
        super().__init__(name=label)
        self.value = value


def as_box(value: Any) -> Box:
    """A box as it is; a list or tuple holding boxes as their stack (``np.stack`` of its
    entries, nested lists stacked first: what numpy makes of a list of arrays); a
    number or an array as a :class:`Constant`."""
    if isinstance(value, Box):
        return value
    if isinstance(value, (list, tuple)) and holds_box(value):
        entries = [as_box(v) if isinstance(v, (list, tuple)) else v for v in value]
        return call_function(np.stack, (entries,), {})
    if isinstance(value, (int, float, complex, np.ndarray, np.generic, list, tuple)):
        return Constant(value)  # which refuses complex numbers with the reason
    raise TypeError(
        f"cannot use {type(value).__name__} {value!r} in a flow graph: "
        "pass a Box, a number or a numpy array")
