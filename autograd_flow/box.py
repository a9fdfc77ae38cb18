"""Boxes: the nodes of a flow graph, and the leaves Input, Parameter, Constant.

A box is an object with ``fprop`` (its value from its inputs' values) and ``bprop``
(given d loss / d its value, d loss / d each input). Creating a box with input boxes
makes a node; nothing is computed until a :class:`~autograd_flow.FlowGraph` runs it.
"""
from __future__ import annotations

import contextlib
import inspect
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from types import FrameType
from typing import Any, TypeVar

import numpy as np

from .errors import BoxError

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


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


def _user_site() -> str:
    """file:line of the first frame outside this package: where the user made the box."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and (
            frame.f_code.co_filename.startswith(_PACKAGE_DIR)
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


class Box:
    """A node of a flow graph.

    Subclass it and define ``fprop(self, *input_values) -> value`` and
    ``bprop(self, grad, *input_values) -> gradient per input`` (a tuple when there are
    several; ``None`` for an input that needs no gradient). ``self.value`` holds the
    box's own output inside ``bprop``. Instantiate with input boxes (numbers and arrays
    become :class:`Constant`) to add a node: ``Cube(x, name="cube")``.
    """

    __array_ufunc__ = None  # so ``ndarray + box`` calls Box.__radd__

    def __init__(self, *inputs: Any, name: str | None = None) -> None:
        self.inputs: tuple[Box, ...] = tuple(as_box(i) for i in inputs)
        self.name: str = name if name is not None else type(self).__name__.lower()
        self.value: Any = None
        self.grad: Any = None
        self.created_at: str = _user_site()
        self.scopes: tuple[Scope, ...] = _scopes.get()
        arity = fprop_arity(type(self))
        if arity is not None and arity != len(self.inputs):
            raise BoxError(
                f"{type(self).__name__} '{self.name}' (created at {self.created_at}): "
                f"fprop takes {arity} input(s) but the box was given {len(self.inputs)}."
            )

    def fprop(self, *values: Any) -> Any:
        """The box's value from its inputs' values."""
        raise NotImplementedError(f"{type(self).__name__} must define fprop")

    def bprop(self, grad: Any, *values: Any) -> Any:
        """Given d loss / d self.value, return d loss / d each input."""
        raise NotImplementedError(f"{type(self).__name__} must define bprop")

    def bprop_boxes(self, grad: Any, *inputs: Any) -> Any:
        """``bprop``'s formula written with boxes: given the box ``grad`` (d loss / d
        this box) and the input boxes, return a box per input (``None`` where there is
        no gradient; ``self`` stands for the box's own value). :func:`autograd_flow.grad`
        uses it to build gradients as flow graphs, which can be differentiated again.

        Optional for your own boxes: without it, ``af.grad`` runs ``bprop`` as one box
        (first derivatives work), and a second derivative through the box raises an
        error that asks for this method. For most boxes it is bprop's own line, since
        boxes have numpy's operators and functions (``af.cos`` for ``np.cos``)."""
        return NotImplemented

    def __getattr__(self, name: str) -> Any:
        """Called only for an attribute not set: the value of a box inside a pattern a
        compiled plan rewrote, computed from its inputs when first read."""
        if name == "value":
            thunk = self.__dict__.get("_value_thunk")
            if thunk is not None:
                value = self.__dict__["value"] = thunk()
                return value
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self) -> str:
        shape = "" if self.value is None else f", shape={np.shape(self.value)}"
        return f"{type(self).__name__}('{self.name}'{shape})"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        """Draw the graph that ends at this box inline in Jupyter (needs autograd_flow.viz)."""
        from .viz import to_dot  # drawing is optional: the core does not need it

        return to_dot(self)._repr_mimebundle_(include=include, exclude=exclude)

    # Operators: each builds a primitive box (see autograd_flow.ops).
    def __add__(self, other: Any) -> Box:
        return ops.Add(self, other)

    def __radd__(self, other: Any) -> Box:
        return ops.Add(other, self)

    def __sub__(self, other: Any) -> Box:
        return ops.Sub(self, other)

    def __rsub__(self, other: Any) -> Box:
        return ops.Sub(other, self)

    def __mul__(self, other: Any) -> Box:
        return ops.Mul(self, other)

    def __rmul__(self, other: Any) -> Box:
        return ops.Mul(other, self)

    def __truediv__(self, other: Any) -> Box:
        return ops.Div(self, other)

    def __rtruediv__(self, other: Any) -> Box:
        return ops.Div(other, self)

    def __matmul__(self, other: Any) -> Box:
        return ops.MatMul(self, other)

    def __rmatmul__(self, other: Any) -> Box:
        return ops.MatMul(other, self)

    def __pow__(self, exponent: Any) -> Box:
        """``box ** 2`` (a number: Pow) or ``box ** other`` (a box or an array: Power)."""
        if isinstance(exponent, Constant):
            exponent = exponent.value
        if isinstance(exponent, Box) or np.ndim(exponent) != 0:
            return ops.Power(self, exponent)
        return ops.Pow(self, exponent=exponent)

    def __rpow__(self, base: Any) -> Box:
        return ops.Power(base, self)

    def __lt__(self, other: Any) -> Box:
        return ops.Less(self, other)

    def __le__(self, other: Any) -> Box:
        return ops.LessEqual(self, other)

    def __gt__(self, other: Any) -> Box:
        return ops.Greater(self, other)

    def __ge__(self, other: Any) -> Box:
        return ops.GreaterEqual(self, other)

    def __abs__(self) -> Box:
        return ops.Abs(self)

    def __neg__(self) -> Box:
        return ops.Neg(self)

    @property
    def T(self) -> Box:
        """Transpose (all axes reversed)."""
        return ops.Transpose(self)

    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Box:
        """Sum over ``axis`` (all axes by default)."""
        return ops.Sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Box:
        """Mean over ``axis`` (all axes by default)."""
        return ops.Mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False,
            initial: float | None = None) -> Box:
        """Maximum over ``axis`` (all axes by default); ties share the gradient."""
        return ops.Max(self, axis=axis, keepdims=keepdims, initial=initial)

    def min(self, axis: int | Sequence[int] | None = None, keepdims: bool = False,
            initial: float | None = None) -> Box:
        """Minimum over ``axis`` (all axes by default); ties share the gradient."""
        return ops.Min(self, axis=axis, keepdims=keepdims, initial=initial)

    def prod(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Box:
        """Product over ``axis`` (all axes by default)."""
        return ops.Prod(self, axis=axis, keepdims=keepdims)

    def cumsum(self, axis: int | None = None) -> Box:
        """Running sum along ``axis`` (of the flattened box by default)."""
        return numpy_api.cumsum(self, axis=axis)

    def cumprod(self, axis: int | None = None) -> Box:
        """Running product along ``axis`` (of the flattened box by default)."""
        return numpy_api.cumprod(self, axis=axis)

    def var(self, axis: int | Sequence[int] | None = None, ddof: int = 0,
            keepdims: bool = False) -> Box:
        """Variance over ``axis``, as ``ndarray.var``."""
        return functions.var(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis: int | Sequence[int] | None = None, ddof: int = 0,
            keepdims: bool = False) -> Box:
        """Standard deviation over ``axis``, as ``ndarray.std``."""
        return functions.std(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def __pos__(self) -> Box:
        return self

    def reshape(self, *shape: Any) -> Box:
        """Same values, new shape (``-1`` allowed, as in numpy)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.Reshape(self, shape=shape)

    # numpy's ndarray operators and methods for the elementwise primitives
    def __mod__(self, other: Any) -> Box:
        return ops.Mod(self, other)

    def __rmod__(self, other: Any) -> Box:
        return ops.Mod(other, self)

    def __round__(self, ndigits: int | None = None) -> Box:
        """``round(box)`` or ``round(box, 2)``: a Round box, as ``round`` of an ndarray
        gives an array (no gradient)."""
        return ops.Round(self, decimals=0 if ndigits is None else ndigits)

    def round(self, decimals: int = 0) -> Box:
        """Rounded to ``decimals`` places, halves to even (no gradient), as ``np.round``."""
        return ops.Round(self, decimals=decimals)

    def clip(self, min: Any = None, max: Any = None) -> Box:  # noqa: A002 (ndarray's names)
        """Limited to [min, max] (numbers, arrays or None), as ``ndarray.clip``; gradient
        1 strictly inside, 0 outside and on the bounds."""
        return ops.Clip(self, a_min=min, a_max=max)
    # ndarray's shape methods: each builds the box of the af function.
    def transpose(self, *axes: Any) -> Box:
        """Permuted axes (reversed by default), as ``ndarray.transpose``:
        ``a.transpose()``, ``a.transpose(1, 0)`` or ``a.transpose((1, 0))``."""
        order = axes[0] if len(axes) == 1 and (axes[0] is None or isinstance(
            axes[0], (tuple, list))) else axes
        return ops.Transpose(self, axes=order or None)

    def flatten(self) -> Box:
        """The entries as a 1-D array (C order): a reshape to (-1,)."""
        return ops.Reshape(self, shape=(-1,), name="flatten")

    def ravel(self) -> Box:
        """The entries as a 1-D array (C order): a reshape to (-1,)."""
        return ops.Reshape(self, shape=(-1,), name="ravel")

    def squeeze(self, axis: int | Sequence[int] | None = None) -> Box:
        """Without the axes of length 1 (those of ``axis``, or all)."""
        return ops.Squeeze(self, axis=axis)

    def swapaxes(self, axis1: int, axis2: int) -> Box:
        """Axes ``axis1`` and ``axis2`` interchanged."""
        return ops.SwapAxes(self, axis1, axis2)

    def repeat(self, repeats: int | Sequence[int], axis: int | None = None) -> Box:
        """Each entry repeated ``repeats`` times along ``axis`` (flattened by default)."""
        return ops.Repeat(self, repeats=repeats, axis=axis)

    def astype(self, dtype: Any) -> Box:
        """Converted to ``dtype``; the gradient comes back in this box's dtype."""
        return ops.Astype(self, dtype)

    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Box:
        """The ``offset`` diagonal of axes (axis1, axis2), as a last axis."""
        return ops.Diagonal(self, offset=offset, axis1=axis1, axis2=axis2)

    def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Box:
        """The sum of the ``offset`` diagonal of axes (axis1, axis2)."""
        return ops.Sum(self.diagonal(offset, axis1, axis2), axis=-1, name="trace")
    # Indexing and products
    def __getitem__(self, index: Any) -> Box:
        """``box[index]`` with any numpy index (integers, slices, integer arrays, boolean
        masks, None, ...); index arrays may be boxes (they get no gradient)."""
        return ops.GetItem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError(
            f"{type(self).__name__} '{self.name}': a box's value cannot be assigned to "
            "(a graph computes it); build the new array instead, e.g. with af.where(mask, "
            "value, box), af.concatenate or af.stack.")

    def __iter__(self) -> Iterator[Box]:
        raise TypeError(
            f"{type(self).__name__} '{self.name}' is not iterable: its length is known only "
            "when the graph runs; index it (box[0], box[1]) or use af.split.")

    def dot(self, other: Any) -> Box:
        """dot(self, other), as ``ndarray.dot`` (numpy's rules)."""
        return ops.Dot(self, other)


class Leaf(Box):
    """A box with no inputs whose value is set from outside (feed, parameter, constant)."""

    def fprop(self) -> Any:
        return self.value

    def bprop(self, grad: Any) -> None:
        return None


class Input(Leaf):
    """A value fed at run time: ``x = af.Input("x")``; ``graph.fprop({x: X})`` or ``{"x": X}``.

    ``shape`` (``None`` for any size along an axis) and ``dtype`` are optional checks
    made when the input is fed.
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
        _refuse_complex(array, f"Parameter {name!r}")
        if array.dtype.kind != "f":
            array = array.astype(np.float64)
        self.value = array


def _refuse_complex(value: Any, what: str, error: type[Exception] = TypeError) -> None:
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
        _refuse_complex(value, "Constant" if name is None else f"Constant {name!r}")
        label = name if name is not None else (
            repr(value) if np.ndim(value) == 0 else f"const{np.shape(value)}")
        super().__init__(name=label)
        self.value = value


def as_box(value: Any) -> Box:
    """A box as it is; a number or an array as a :class:`Constant`."""
    if isinstance(value, Box):
        return value
    if isinstance(value, (int, float, complex, np.ndarray, np.generic, list, tuple)):
        return Constant(value)  # which refuses complex numbers with the reason
    raise TypeError(
        f"cannot use {type(value).__name__} {value!r} in a flow graph: "
        "pass a Box, a number or a numpy array")


# ops subclass Box; the operators and methods above build them and the composites
from . import functions, numpy_api, ops  # noqa: E402
