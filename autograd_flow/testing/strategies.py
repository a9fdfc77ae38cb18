"""Hypothesis strategies: arrays in a box's domain, broadcast-compatible shapes, and
random flow graphs (small DAGs of boxes with fan-out, broadcasting and reductions
under a scalar loss).

Values stay in ranges where float64 central differences are accurate (|x| <= 2 by
default, every intermediate value |v| <= 100), so a failure means a wrong bprop, not
round-off.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

from .. import functions as F
from .. import numpy_api as N
from .. import ops
from ..box import Box, Input, Leaf, Parameter, fprop_arity
from ..graph import FlowGraph, topological_order
from .codegen import to_python

SearchStrategy = st.SearchStrategy
Shape = tuple[int, ...]

#: Element ranges per domain: "real" for any box, "positive" for log and fractional
#: powers, "nonzero" for divisors (and away from the kinks of relu, abs, maximum).
DOMAINS = ("real", "positive", "nonzero")
_LIMIT = 100.0  # largest |value| a random graph keeps: differences stay accurate


def floats(domain: str = "real", *, max_magnitude: float | None = None) -> SearchStrategy[float]:
    """Finite float64 numbers of a domain: "real" in [-2, 2], "positive" in [0.1, 3],
    "nonzero" with 0.3 <= |x| <= 2 (away from 0, so away from kinks). No subnormals,
    so differences never divide by a denormal."""
    if domain not in DOMAINS:
        raise ValueError(f"domain must be one of {DOMAINS}, got {domain!r}")
    low, high = {"real": (0.0, 2.0), "positive": (0.1, 3.0), "nonzero": (0.3, 2.0)}[domain]
    high = high if max_magnitude is None else max_magnitude
    magnitude = st.floats(low, high, allow_nan=False, allow_infinity=False,
                          allow_subnormal=False)
    if domain == "positive":
        return magnitude
    return st.tuples(magnitude, st.booleans()).map(lambda t: -t[0] if t[1] else t[0])


def shapes(*, min_dims: int = 0, max_dims: int = 2, min_side: int = 1,
           max_side: int = 3) -> SearchStrategy[Shape]:
    """Array shapes (small by default: gradient checks cost two fprops per entry)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def arrays(dtype: Any = np.float64, shape: int | Shape | SearchStrategy[Shape] | None = None,
           *, elements: SearchStrategy[float] | None = None, domain: str = "real"
           ) -> SearchStrategy[np.ndarray]:
    """Float arrays of ``dtype`` and ``shape`` (the order of
    ``hypothesis.extra.numpy.arrays``; a shape is an int, a tuple or a strategy, default
    :func:`shapes`) with elements from ``elements`` or the ``domain`` (see
    :func:`floats`), drawn in float64 and cast to ``dtype`` (float32 arrays are the
    rounded float64 draws)."""
    if isinstance(dtype, (tuple, list, SearchStrategy)):
        raise TypeError(f"arrays(dtype, shape) takes the dtype first, as "
                        f"hypothesis.extra.numpy.arrays does: got {dtype!r} as the dtype; "
                        f"write arrays(np.float64, {dtype!r})")
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    shape_strategy = shapes() if shape is None else (
        shape if isinstance(shape, SearchStrategy) else st.just(tuple(shape)))
    values = elements if elements is not None else floats(domain)
    return shape_strategy.flatmap(
        lambda s: hnp.arrays(np.float64, s, elements=values).map(
            lambda a: a.astype(dtype)))


_any_shape = shapes(max_dims=2, max_side=4)


def mutually_broadcastable_shapes(num_shapes: int = 2, *, min_dims: int = 0,
                                  max_dims: int = 3, max_side: int = 3
                                  ) -> SearchStrategy[hnp.BroadcastableShapes]:
    """``hypothesis.extra.numpy.mutually_broadcastable_shapes`` with small defaults:
    ``num_shapes`` shapes that numpy broadcasts together, e.g. ((2, 3), (3,)) or
    ((3, 1), (1, 2)), drawn as ``BroadcastableShapes(input_shapes, result_shape)``; as
    ``shapes=`` of :func:`box_inputs` or ``check_box``, for boxes whose bprop must sum
    gradients back."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, max_side=max_side)


def matmul_shapes(*, max_side: int = 4,
                  square: bool = False) -> SearchStrategy[tuple[Shape, Shape]]:
    """Shapes ((n, k), (k, m)) of a matrix product; ``square=True`` forces n = k = m
    (what a test that only tries square matrices would see)."""
    side = st.integers(1, max_side)
    if square:
        return side.map(lambda n: ((n, n), (n, n)))
    return st.tuples(side, side, side).map(lambda t: ((t[0], t[1]), (t[1], t[2])))


def labels(count: int, classes: int) -> SearchStrategy[np.ndarray]:
    """Integer class labels in [0, classes), shape (count,): for pick and
    softmax_cross_entropy."""
    return hnp.arrays(np.int64, (count,), elements=st.integers(0, classes - 1))


def _arity(box_class: type) -> int:
    """How many inputs to draw for ``box_class`` (1 when its fprop takes ``*values``)."""
    return fprop_arity(box_class) or 1


def box_inputs(box_class: type, *, shapes: Any = None, domain: str = "real",
               elements: SearchStrategy[float] | None = None, dtype: Any = np.float64
               ) -> SearchStrategy[tuple[np.ndarray, ...]]:
    """Input arrays for one call of ``box_class``: one array per fprop argument.

    ``shapes``: None (all inputs one random shape), one shape for all inputs, a tuple
    of shapes (one per input), or a strategy of either (e.g. :func:`shapes`,
    :func:`mutually_broadcastable_shapes`, :func:`matmul_shapes`).
    """
    arity = _arity(box_class)
    if shapes is None:
        shape_tuples = _any_shape.map(lambda s: (s,) * arity)
    elif isinstance(shapes, SearchStrategy):
        shape_tuples = shapes
    else:
        shape_tuples = st.just(tuple(shapes))

    def draw_arrays(shape_tuple: Any) -> SearchStrategy[tuple[np.ndarray, ...]]:
        if isinstance(shape_tuple, hnp.BroadcastableShapes):
            shape_tuple = shape_tuple.input_shapes
        if all(isinstance(side, (int, np.integer)) for side in shape_tuple):
            shape_tuple = (tuple(shape_tuple),) * arity  # one shape for every input
        if len(shape_tuple) != arity:
            raise ValueError(f"{box_class.__name__}.fprop takes {arity} input(s) but "
                             f"shapes gave {len(shape_tuple)}: {shape_tuple}")
        return st.tuples(*[arrays(dtype, s, domain=domain, elements=elements)
                           for s in shape_tuple])

    return shape_tuples.flatmap(draw_arrays)


# ----------------------------------------------------------------------------------
# Random flow graphs


@dataclass(eq=False)
class RandomGraph:
    """A drawn flow graph: ``output`` (a scalar box), the ``feed`` for its Inputs, and
    the names of the ops it used. Its repr is Python code that rebuilds it, so a
    hypothesis counterexample prints as a test you can paste."""

    output: Box
    feed: dict[Input, np.ndarray]
    ops: tuple[str, ...]

    @property
    def graph(self) -> FlowGraph:
        """A fresh FlowGraph over the output (default wrt: the Parameters)."""
        return FlowGraph(self.output)

    def code(self, check: str = "assert_gradients_match", **check_kwargs: Any) -> str:
        """Python source rebuilding this graph and running ``af.testing.<check>``."""
        return to_python(self.output, self.feed, check=check, **check_kwargs)

    def __repr__(self) -> str:
        return "RandomGraph rebuilt by:\n" + self.code()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How hypothesis (and IPython) print it: the code, not the fields."""
        printer.text(repr(self))


@dataclass
class _Builder:
    """State while drawing one graph: the boxes made so far (with eager values)."""

    draw: Callable[[SearchStrategy[Any]], Any]
    dtype: Any
    pool: list[Box] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    feed: dict[Input, np.ndarray] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def name(self, prefix: str) -> str:
        index = self.counts.get(prefix, 0)
        self.counts[prefix] = index + 1
        return f"{prefix}{index}"

    def array(self, shape: Shape, domain: str = "real") -> np.ndarray:
        return self.draw(arrays(dtype=self.dtype, shape=shape, domain=domain))

    def leaf(self, shape: Shape, domain: str = "real") -> Box:
        """A new Input (fed) or Parameter with values from ``domain``."""
        value = self.array(shape, domain)
        if self.draw(st.booleans()):
            box: Box = Parameter(value, name=self.name("p"))
        else:
            box = Input(self.name("x"))
            box.value = value
            self.feed[box] = value
        return box

    def labels(self, rows: int, classes: int) -> Input:
        box = Input(self.name("labels"))
        box.value = self.draw(labels(rows, classes))
        self.feed[box] = box.value
        return box

    def partner(self, a: Box, domain: str) -> Any:
        """A second operand that broadcasts with ``a``: a box from the pool (``a``
        itself gives fan-out), a new leaf of a broadcast-reduced shape, or a number."""
        fits = [b for b in self.pool if _domain_ok(b.value, domain)
                and _broadcast_size(a.value, b.value) <= 36]
        choice = self.draw(st.sampled_from(("pool", "leaf", "number") if fits
                                           else ("leaf", "number")))
        if choice == "pool":
            return self.draw(st.sampled_from(fits))
        if choice == "number":
            return self.draw(floats("nonzero" if domain == "nonzero" else "real"))
        shape = np.shape(a.value)
        keep = self.draw(st.integers(0, len(shape)))
        reduced = tuple(1 if self.draw(st.booleans()) else side
                        for side in shape[len(shape) - keep:])
        return self.leaf(reduced, domain)


def _domain_ok(value: Any, domain: str) -> bool:
    """Whether values lie in a domain; "kinkfree" (for relu, abs, l1): |v| >= 0.01, so
    a difference step never straddles the kink at 0 (where x|x|, say, has no
    accurate central difference)."""
    array = np.asarray(value)
    if domain == "positive":
        return bool(np.all(array >= 0.1))
    if domain == "nonzero":
        return bool(np.all(np.abs(array) >= 0.3))
    if domain == "kinkfree":
        return bool(np.all(np.abs(array) >= 0.01))
    return True


def _broadcast_size(a: Any, b: Any) -> int:
    try:
        return int(np.prod(np.broadcast_shapes(np.shape(a), np.shape(b))))
    except ValueError:
        return 10**9


@dataclass(frozen=True)
class _Op:
    """How to add one box of a kind to a random graph."""

    name: str
    make: Callable[[_Builder, Box], Box | None]
    min_dims: int = 0
    max_dims: int = 3
    domain: str = "real"
    bound: float = _LIMIT  # largest |input| it accepts (exp overflows, powers grow)

    def accepts(self, value: Any) -> bool:
        ndim = np.ndim(value)
        return (self.min_dims <= ndim <= self.max_dims and np.size(value) > 0
                and _domain_ok(value, self.domain)
                and bool(np.all(np.abs(value) <= self.bound)))


def _unary(cls: type) -> Callable[[_Builder, Box], Box]:
    return lambda b, a: cls(a)


def _binary(cls: type, domain: str = "real") -> Callable[[_Builder, Box], Box]:
    def make(b: _Builder, a: Box) -> Box:
        other = b.partner(a, domain)
        if domain == "real" and b.draw(st.booleans()):
            return cls(other, a)
        return cls(a, other)
    return make


def _maximum(b: _Builder, a: Box) -> Box | None:
    """max(a, other) only where no entries tie within 0.01 (away from the kink)."""
    box = _binary(ops.Maximum)(b, a)
    left, right = (np.asarray(i.value) for i in box.inputs)
    return box if _domain_ok(left - right, "kinkfree") else None


def _minimum(b: _Builder, a: Box) -> Box | None:
    """min(a, other) only where no entries tie within 0.01 (away from the kink)."""
    box = _binary(ops.Minimum)(b, a)
    left, right = (np.asarray(i.value) for i in box.inputs)
    return box if _domain_ok(left - right, "kinkfree") else None


def _mask(cls: type) -> Callable[[_Builder, Box], Box | None]:
    """a * (a op other): a comparison used as a mask (its own gradient is none), kept
    only where no entries are within 0.01 of the threshold."""
    def make(b: _Builder, a: Box) -> Box | None:
        other = b.partner(a, "real")
        other_value = other.value if isinstance(other, Box) else other
        if not _domain_ok(np.asarray(a.value) - other_value, "kinkfree"):
            return None
        return ops.Mul(a, cls(a, other))
    return make


def _power(b: _Builder, a: Box) -> Box:
    """a ** other for a positive base and a box (or array) exponent in [-2, 2]."""
    other = b.partner(a, "real")
    if not isinstance(other, Box):
        other = b.leaf(np.shape(a.value))
    return ops.Power(a, other)


def _where(b: _Builder, a: Box) -> Box:
    cond = b.draw(hnp.arrays(np.bool_, np.shape(a.value)))
    other = b.partner(a, "real")
    return ops.Where(cond, a, other) if b.draw(st.booleans()) else ops.Where(cond, other, a)


def _axis(b: _Builder, ndim: int, allow_tuple: bool = True) -> Any:
    options: list[Any] = [None] + list(range(-ndim, ndim))
    if allow_tuple and ndim >= 2:
        options.append((0, ndim - 1))
    return b.draw(st.sampled_from(options))


def _reduction(cls: type) -> Callable[[_Builder, Box], Box]:
    def make(b: _Builder, a: Box) -> Box:
        return cls(a, axis=_axis(b, np.ndim(a.value)), keepdims=b.draw(st.booleans()))
    return make


def _extremum(cls: type) -> Callable[[_Builder, Box], Box | None]:
    """max/min only where the entries differ by 0.01 or more (away from ties)."""
    def make(b: _Builder, a: Box) -> Box | None:
        gaps = np.diff(np.sort(np.ravel(a.value)))
        if np.any(gaps < 0.01):
            return None
        return _reduction(cls)(b, a)
    return make


def _cumulative(cls: type) -> Callable[[_Builder, Box], Box]:
    def make(b: _Builder, a: Box) -> Box:
        ndim = np.ndim(a.value)
        return cls(a, axis=b.draw(st.sampled_from(range(-ndim, ndim))))
    return make


def _logsumexp(b: _Builder, a: Box) -> Box:
    return N.logsumexp(a, axis=_axis(b, np.ndim(a.value), allow_tuple=False),
                       keepdims=b.draw(st.booleans()))


def _pow(b: _Builder, a: Box) -> Box:
    exponents = [2, 3, 0, 1] + ([0.5, -1.0, 1.5] if _domain_ok(a.value, "positive") else [])
    return a ** b.draw(st.sampled_from(exponents))


def _matmul(b: _Builder, a: Box) -> Box | None:
    shape = np.shape(a.value)
    fits = [p for p in b.pool if np.ndim(p.value) >= 1 and _matmul_ok(shape, np.shape(p.value))]
    side = b.draw(st.integers(1, 3))
    options = ["right", "vector"] + (["left"] if len(shape) == 2 else []) + (
        ["pool"] if fits else [])
    choice = b.draw(st.sampled_from(options))
    if choice == "pool":
        return N.matmul(a, b.draw(st.sampled_from(fits)))
    if choice == "left":
        return N.matmul(b.leaf((side, shape[-2])), a)
    return N.matmul(a, b.leaf((shape[-1], side) if choice == "right" else (shape[-1],)))


def _matmul_ok(left: Shape, right: Shape) -> bool:
    try:
        np.matmul(np.empty(left), np.empty(right))
    except ValueError:
        return False
    return True


def _reshape(b: _Builder, a: Box) -> Box:
    shape = np.shape(a.value)
    size = int(np.prod(shape))
    target = b.draw(st.sampled_from([(-1,), tuple(reversed(shape)), (1,) + shape, (size, 1)]))
    return a.reshape(target)


def _transpose(b: _Builder, a: Box) -> Box:
    """Reversed axes, or a permutation with some axes counted from the end (-1, ...)."""
    ndim = np.ndim(a.value)
    permutation = b.draw(st.none() | st.permutations(range(ndim)))
    if permutation is None:
        return N.transpose(a)
    return N.transpose(a, tuple(axis - ndim if b.draw(st.booleans()) else axis
                                for axis in permutation))


def _pick(b: _Builder, a: Box) -> Box:
    rows, classes = np.shape(a.value)
    return N.pick(a, b.labels(rows, classes))


def _cross_entropy(b: _Builder, a: Box) -> Box:
    rows, classes = np.shape(a.value)
    return F.softmax_cross_entropy(a, b.labels(rows, classes))


def _linear(b: _Builder, a: Box) -> Box:
    side = b.draw(st.integers(1, 3))
    W = b.leaf((side, np.shape(a.value)[-1]))
    bias = b.leaf((side,)) if b.draw(st.booleans()) else None
    return F.linear(a, W, bias)


def _penalty(function: Callable[[list[Box]], Box]) -> Callable[[_Builder, Box], Box]:
    def make(b: _Builder, a: Box) -> Box:
        fits = [p for p in b.pool if _domain_ok(p.value, "kinkfree")]
        others = b.draw(st.lists(st.sampled_from(fits), max_size=1)) if fits else []
        return function([a, *others])
    return make


def _softmax_like(function: Callable[..., Box]) -> Callable[[_Builder, Box], Box]:
    return lambda b, a: function(a, axis=b.draw(st.sampled_from(range(-np.ndim(a.value), 0))))


# -- issue 15: elementwise, trigonometric and arithmetic ops -------------------------------

def _kept_if(make: Callable[[_Builder, Box], Box | None],
             ok: Callable[..., Any]) -> Callable[[_Builder, Box], Box | None]:
    """``make``, its box kept only where ``ok(*input values)`` holds for every entry:
    away from the box's kinks, jumps and singularities (where central differences fail)."""
    def kept(b: _Builder, a: Box) -> Box | None:
        box = make(b, a)
        if box is None:
            return None
        return box if bool(np.all(ok(*(np.asarray(i.value) for i in box.inputs)))) else None
    return kept


def _off_grid(values: Any, offset: float = 0.0, scale: float = 1.0) -> Any:
    """Whether values are at least 0.01 away from the points (k + offset) / scale."""
    shifted = np.asarray(values) * scale - offset
    return np.abs(shifted - np.round(shifted)) >= 0.01 * scale


def _round(b: _Builder, a: Box) -> Box | None:
    """round(a, decimals) for decimals 0 or 1, away from its jumps at the halves."""
    decimals = b.draw(st.sampled_from([0, 1]))
    if not np.all(_off_grid(a.value, 0.5, 10.0 ** decimals)):
        return None
    return N.round(a, decimals)


def _clip(b: _Builder, a: Box) -> Box | None:
    """clip(a, low, high) with numbers (or None) as bounds, at least 0.01 from every value."""
    low, high = b.draw(st.none() | floats()), b.draw(st.none() | floats())
    if low is not None and high is not None and low > high:
        low, high = high, low
    value = np.asarray(a.value)
    if any(bound is not None and np.any(np.abs(value - bound) < 0.01) for bound in (low, high)):
        return None
    return ops.Clip(a, a_min=low, a_max=high)


def _untied(cls: type) -> Callable[[_Builder, Box], Box | None]:
    """fmax/fmin(a, other) only where no entries tie within 0.01 (away from the kink)."""
    return _kept_if(_binary(cls), lambda left, right: np.abs(left - right) >= 0.01)


def _arctan2_ok(y: Any, x: Any) -> Any:
    """Away from arctan2's jump (y = 0, x < 0) and its singularity at the origin."""
    return ((np.abs(y) >= 0.01) | (x >= 0.01)) & (np.hypot(y, x) >= 0.1)


def _mod_ok(a: Any, divisor: Any) -> Any:
    """Away from mod's jumps where a / divisor is an integer (by 0.01 in a and in a / divisor)."""
    quotient = a / divisor
    distance = np.abs(quotient - np.round(quotient))
    return (distance >= 0.01) & (distance * np.abs(divisor) >= 0.01)


_ELEMENTWISE_OPS = [
    _Op("sqrt", _unary(ops.Sqrt), domain="positive"),
    _Op("cbrt", _unary(ops.Cbrt), domain="nonzero"),
    _Op("log1p", _unary(ops.Log1p), bound=0.9),
    _Op("expm1", _unary(ops.Expm1), bound=4.0),
    _Op("log2", _unary(ops.Log2), domain="positive"),
    _Op("log10", _unary(ops.Log10), domain="positive"),
    _Op("exp2", _unary(ops.Exp2), bound=4.0),
    _Op("softplus", _unary(ops.Softplus)),
    _Op("log_sigmoid", _unary(ops.LogSigmoid)),
    _Op("floor", _kept_if(_unary(ops.Floor), _off_grid)),
    _Op("ceil", _kept_if(_unary(ops.Ceil), _off_grid)),
    _Op("round", _round),
    _Op("nan_to_num", _unary(ops.NanToNum)),  # drawn values are finite
    _Op("sin", _unary(ops.Sin)),
    _Op("cos", _unary(ops.Cos)),
    _Op("tan", _unary(ops.Tan), bound=1.2),
    _Op("arcsin", _unary(ops.Arcsin), bound=0.9),
    _Op("arccos", _unary(ops.Arccos), bound=0.9),
    _Op("arctan", _unary(ops.Arctan)),
    _Op("sinh", _unary(ops.Sinh), bound=4.0),
    _Op("cosh", _unary(ops.Cosh), bound=4.0),
    _Op("arcsinh", _unary(ops.Arcsinh)),
    _Op("arccosh", _kept_if(_unary(ops.Arccosh), lambda a: a >= 1.1), domain="positive"),
    _Op("arctanh", _unary(ops.Arctanh), bound=0.9),
    _Op("sinc", _unary(ops.Sinc)),
    _Op("deg2rad", _unary(ops.Deg2rad)),
    _Op("rad2deg", _unary(ops.Rad2deg), bound=1.5),
    _Op("arctan2", _kept_if(_binary(ops.Arctan2), _arctan2_ok)),
    _Op("hypot", _kept_if(_binary(ops.Hypot), lambda a, b: np.hypot(a, b) >= 0.1)),
    _Op("logaddexp", _binary(ops.Logaddexp)),
    _Op("fmax", _untied(ops.Fmax)),
    _Op("fmin", _untied(ops.Fmin)),
    _Op("mod", _kept_if(_binary(ops.Mod, "nonzero"), _mod_ok)),
    _Op("clip", _clip),
]

# -- shapes, arrangements and matrix structure (issue 15): settings drawn from the
# input's shape, so each draw is valid; sort only where no two sorted entries are
# within 0.01 (away from its kinks, the ties).


def _axes(b: _Builder, ndim: int, count: int) -> tuple[int, ...]:
    """``count`` distinct axes of ``ndim``, each counted from the front or the end."""
    chosen = b.draw(st.permutations(range(ndim)))[:count]
    return tuple(axis - ndim if b.draw(st.booleans()) else axis for axis in chosen)


def _expand_dims(b: _Builder, a: Box) -> Box:
    ndim = np.ndim(a.value) + 1
    return N.expand_dims(a, _axes(b, ndim, 1)[0] if b.draw(st.booleans())
                         else _axes(b, ndim + 1, 2))


def _squeeze(b: _Builder, a: Box) -> Box:
    shape = np.shape(a.value)
    ones = [k for k, side in enumerate(shape) if side == 1]
    if not ones or b.draw(st.booleans()):
        return N.squeeze(a)
    return N.squeeze(a, b.draw(st.sampled_from([k - len(shape) for k in ones] + ones)))


def _swapaxes(b: _Builder, a: Box) -> Box:
    ndim = np.ndim(a.value)
    return N.swapaxes(a, *(b.draw(st.integers(-ndim, ndim - 1)) for _ in range(2)))


def _moveaxis(b: _Builder, a: Box) -> Box:
    ndim = np.ndim(a.value)
    count = b.draw(st.integers(1, ndim))
    source, destination = _axes(b, ndim, count), _axes(b, ndim, count)
    if count == 1 and b.draw(st.booleans()):
        return N.moveaxis(a, source[0], destination[0])
    return N.moveaxis(a, source, destination)


def _broadcast_to(b: _Builder, a: Box) -> Box:
    shape = tuple(2 if side == 1 and b.draw(st.booleans()) else side
                  for side in np.shape(a.value))
    return N.broadcast_to(a, (b.draw(st.integers(1, 2)),) * b.draw(st.integers(0, 1)) + shape)


def _astype(b: _Builder, a: Box) -> Box:
    """The input's own dtype, in numpy's spellings (a float32 draw would round, and
    central differences of a rounded value are not accurate)."""
    dtype = np.result_type(a.value)
    return N.astype(a, b.draw(st.sampled_from([dtype, dtype.name, dtype.type])))


def _pad(b: _Builder, a: Box) -> Box:
    ndim = np.ndim(a.value)
    pair = st.tuples(st.integers(0, 1), st.integers(0, 1))
    per_axis = st.lists(pair, min_size=ndim, max_size=ndim) if ndim else pair
    width = b.draw(st.integers(0, 1) | pair | per_axis)
    constant = b.leaf(()) if b.draw(st.booleans()) else b.draw(floats("real"))
    return N.pad(a, width, constant_values=constant)


def _flip(b: _Builder, a: Box) -> Box:
    ndim = np.ndim(a.value)
    return N.flip(a, b.draw(st.sampled_from([None, *range(-ndim, ndim), tuple(range(ndim))])))


def _rot90(b: _Builder, a: Box) -> Box:
    return N.rot90(a, b.draw(st.integers(-2, 3)), _axes(b, np.ndim(a.value), 2))


def _roll(b: _Builder, a: Box) -> Box:
    ndim = np.ndim(a.value)
    shift = b.draw(st.integers(-3, 3))
    if ndim == 0 or b.draw(st.booleans()):
        return N.roll(a, shift)
    return N.roll(a, (shift, b.draw(st.integers(-2, 2))), _axes(b, ndim, 2) if ndim > 1
                  else (0, -1))


def _tile(b: _Builder, a: Box) -> Box:
    return N.tile(a, b.draw(st.integers(1, 2) | st.lists(st.integers(1, 2), min_size=1,
                                                           max_size=np.ndim(a.value) + 1)))


def _repeat(b: _Builder, a: Box) -> Box:
    shape = np.shape(a.value)
    axis = b.draw(st.sampled_from([None, *range(-len(shape), len(shape))]))
    length = int(np.prod(shape)) if axis is None else shape[axis]
    counts = b.draw(st.integers(1, 2) | st.lists(st.integers(0, 2), min_size=length,
                                                 max_size=length).filter(any))
    return N.repeat(a, counts, axis)


def _sort(b: _Builder, a: Box) -> Box | None:
    ndim = np.ndim(a.value)
    axis = b.draw(st.sampled_from([None, *range(-ndim, ndim)]))
    ordered = np.sort(a.value, axis=axis)
    gaps = np.diff(ordered, axis=-1 if axis is None else axis)
    return N.sort(a, axis) if np.all(gaps >= 0.01) else None


def _triangle(function: Callable[..., Box]) -> Callable[[_Builder, Box], Box]:
    return lambda b, a: function(a, b.draw(st.integers(-1, 1)))


def _diagonal(b: _Builder, a: Box) -> Box:
    return N.diagonal(a, b.draw(st.integers(-1, 1)), *_axes(b, np.ndim(a.value), 2))


def _diag(b: _Builder, a: Box) -> Box:
    return N.diag(a, b.draw(st.integers(-1, 1)))


def _kron(b: _Builder, a: Box) -> Box:
    size = np.size(a.value)
    fits = [p for p in b.pool if np.size(p.value) * size <= 36]
    other = b.draw(st.sampled_from(fits)) if fits and b.draw(st.booleans()) else \
        b.leaf(b.draw(shapes(max_dims=2, max_side=2)))
    return N.kron(a, other) if b.draw(st.booleans()) else N.kron(other, a)


_SHAPE_OPS = [
    _Op("expand_dims", _expand_dims),
    _Op("squeeze", _squeeze),
    _Op("swapaxes", _swapaxes, min_dims=1),
    _Op("moveaxis", _moveaxis, min_dims=1),
    _Op("broadcast_to", _broadcast_to),
    _Op("astype", _astype),
    _Op("pad", _pad),
    _Op("flip", _flip),
    _Op("rot90", _rot90, min_dims=2),
    _Op("roll", _roll),
    _Op("tile", _tile),
    _Op("repeat", _repeat),
    _Op("sort", _sort, min_dims=1),
    _Op("triu", _triangle(N.triu), min_dims=1),
    _Op("tril", _triangle(N.tril), min_dims=1),
    _Op("diagonal", _diagonal, min_dims=2),
    _Op("diag", _diag, min_dims=1, max_dims=2),
    _Op("kron", _kron),
]

_SHAPE_PRIMITIVES: dict[type, str] = {
    ops.ExpandDims: "expand_dims", ops.Squeeze: "squeeze", ops.SwapAxes: "swapaxes",
    ops.MoveAxis: "moveaxis", ops.BroadcastTo: "broadcast_to", ops.Astype: "astype",
    ops.Pad: "pad", ops.Flip: "flip", ops.Rot90: "rot90", ops.Roll: "roll",
    ops.Tile: "tile", ops.Repeat: "repeat", ops.Sort: "sort", ops.Triu: "triu",
    ops.Tril: "tril", ops.Diagonal: "diagonal", ops.Diag: "diag", ops.Kron: "kron",
}


#: Every built-in primitive and composite, by the name of the af function (or box)
#: that makes it. Order matters only for shrinking: earlier ops are "simpler".
BUILTIN_OPS: dict[str, _Op] = {op.name: op for op in [
    _Op("add", _binary(ops.Add)),
    _Op("identity", _unary(ops.Identity)),
    _Op("neg", _unary(ops.Neg)),
    _Op("sub", _binary(ops.Sub)),
    _Op("mul", _binary(ops.Mul)),
    _Op("div", _binary(ops.Div, "nonzero")),
    _Op("sum", _reduction(ops.Sum)),
    _Op("mean", _reduction(ops.Mean)),
    _Op("square", _unary(ops.Square), bound=10.0),
    _Op("pow", _pow, bound=4.0),
    _Op("tanh", _unary(ops.Tanh)),
    _Op("sigmoid", _unary(ops.Sigmoid)),
    _Op("relu", _unary(ops.Relu), domain="kinkfree"),
    _Op("abs", _unary(ops.Abs), domain="kinkfree"),
    _Op("maximum", _maximum),
    _Op("minimum", _minimum),
    _Op("sign", _unary(ops.Sign), domain="kinkfree"),
    _Op("greater", _mask(ops.Greater)),
    _Op("greater_equal", _mask(ops.GreaterEqual)),
    _Op("less", _mask(ops.Less)),
    _Op("less_equal", _mask(ops.LessEqual)),
    _Op("equal", _mask(ops.Equal)),
    _Op("not_equal", _mask(ops.NotEqual)),
    _Op("power", _power, domain="positive", bound=4.0),
    _Op("where", _where),
    _Op("exp", _unary(ops.Exp), bound=4.0),
    _Op("log", _unary(ops.Log), domain="positive"),
    _Op("matmul", _matmul, min_dims=1, max_dims=2),
    _Op("logsumexp", _logsumexp, min_dims=1),
    _Op("max", _extremum(ops.Max)),
    _Op("min", _extremum(ops.Min)),
    _Op("prod", _reduction(ops.Prod), bound=3.0),
    _Op("cumsum", _cumulative(ops.Cumsum), min_dims=1),
    _Op("cumprod", _cumulative(ops.Cumprod), min_dims=1, bound=3.0),
    _Op("reshape", _reshape),
    _Op("transpose", _transpose, min_dims=2),
    _Op("pick", _pick, min_dims=2, max_dims=2),
    _Op("linear", _linear, min_dims=1, max_dims=2),
    _Op("softmax", _softmax_like(F.softmax), min_dims=1),
    _Op("log_softmax", _softmax_like(F.log_softmax), min_dims=1),
    _Op("softmax_cross_entropy", _cross_entropy, min_dims=2, max_dims=2),
    _Op("l1_penalty", _penalty(F.l1_penalty), domain="kinkfree"),
    _Op("l2_penalty", _penalty(F.l2_penalty)),
    *_ELEMENTWISE_OPS,
    *_SHAPE_OPS,
]}

#: The box class each primitive op makes (Pow through ``**``, Neg through unary ``-``).
PRIMITIVE_OPS: dict[type, str] = {
    ops.Add: "add", ops.Sub: "sub", ops.Mul: "mul", ops.Div: "div", ops.Pow: "pow",
    ops.Maximum: "maximum", ops.Abs: "abs", ops.Exp: "exp", ops.Identity: "identity",
    ops.Log: "log", ops.Neg: "neg", ops.Relu: "relu", ops.Sigmoid: "sigmoid",
    ops.Square: "square", ops.Tanh: "tanh", ops.MatMul: "matmul",
    ops.LogSumExp: "logsumexp", ops.Mean: "mean", ops.Sum: "sum", ops.Pick: "pick",
    ops.Reshape: "reshape", ops.Transpose: "transpose", ops.Minimum: "minimum",
    ops.Sign: "sign", ops.Greater: "greater", ops.GreaterEqual: "greater_equal",
    ops.Less: "less", ops.LessEqual: "less_equal", ops.Equal: "equal",
    ops.NotEqual: "not_equal", ops.Power: "power", ops.Where: "where", ops.Max: "max",
    ops.Min: "min", ops.Prod: "prod", ops.Cumsum: "cumsum", ops.Cumprod: "cumprod",
    ops.Sqrt: "sqrt", ops.Cbrt: "cbrt", ops.Log1p: "log1p", ops.Expm1: "expm1",
    ops.Log2: "log2", ops.Log10: "log10", ops.Exp2: "exp2", ops.Softplus: "softplus",
    ops.LogSigmoid: "log_sigmoid", ops.Floor: "floor", ops.Ceil: "ceil", ops.Round: "round",
    ops.NanToNum: "nan_to_num", ops.Sin: "sin", ops.Cos: "cos", ops.Tan: "tan",
    ops.Arcsin: "arcsin", ops.Arccos: "arccos", ops.Arctan: "arctan", ops.Sinh: "sinh",
    ops.Cosh: "cosh", ops.Arcsinh: "arcsinh", ops.Arccosh: "arccosh", ops.Arctanh: "arctanh",
    ops.Sinc: "sinc", ops.Deg2rad: "deg2rad", ops.Rad2deg: "rad2deg", ops.Arctan2: "arctan2",
    ops.Hypot: "hypot", ops.Logaddexp: "logaddexp", ops.Fmax: "fmax", ops.Fmin: "fmin",
    ops.Mod: "mod", ops.Clip: "clip",
    **_SHAPE_PRIMITIVES,
}


def _custom_op(cls: type) -> _Op:
    """A user's Box subclass: its other inputs have the first one's shape (from the
    pool or new leaves); a call whose fprop fails or is not finite is not kept."""
    arity = _arity(cls)

    def make(b: _Builder, a: Box) -> Box:
        shape = np.shape(a.value)
        others = []
        for _ in range(arity - 1):
            same = [p for p in b.pool if np.shape(p.value) == shape]
            if same and b.draw(st.booleans()):
                others.append(b.draw(st.sampled_from(same)))
            else:
                others.append(b.leaf(shape))
        return cls(a, *others)

    return _Op(cls.__name__, make)


def _vocabulary(boxes: Sequence[str | type] | None) -> list[_Op]:
    if boxes is None:
        return list(BUILTIN_OPS.values())
    vocabulary = []
    for item in boxes:
        if isinstance(item, str):
            if item not in BUILTIN_OPS:
                raise ValueError(f"unknown op {item!r}; built-in ops: {', '.join(BUILTIN_OPS)}")
            vocabulary.append(BUILTIN_OPS[item])
        elif isinstance(item, type) and issubclass(item, Box):
            vocabulary.append(_custom_op(item))
        else:
            raise TypeError(f"boxes takes op names or Box subclasses, not {item!r}")
    return vocabulary


def _evaluate(box: Box) -> bool:
    """Compute the values of the box and of the boxes a composite made for it now;
    keep the box only if its value is finite and moderate."""
    try:
        with np.errstate(all="ignore"):
            for node in topological_order([box]):
                if not isinstance(node, Leaf) and node.value is None:
                    node.value = node.fprop(*[i.value for i in node.inputs])
    except Exception:
        return False
    array = np.asarray(box.value)
    if array.dtype.kind not in "fc" or array.size == 0 or array.size > 64 \
            or not np.all(np.isfinite(array)) or np.max(np.abs(array)) > _LIMIT:
        return False
    return True


def flow_graphs(boxes: Sequence[str | type] | None = None, *, max_boxes: int = 6,
                dtype: Any = np.float64, domain: str | None = None
                ) -> SearchStrategy[RandomGraph]:
    """Random flow graphs: up to ``max_boxes`` ops drawn from ``boxes`` (names from
    :data:`BUILTIN_OPS`, or your own Box subclasses; default every built-in primitive
    and composite) on one or two leaves (Inputs or Parameters), with boxes used
    several times (fan-out), operands of broadcast shapes, reductions, and the sum of
    every unused box as the scalar loss at the top.

    Each op is applied only where its domain holds (log on positive values, exp on
    |x| <= 4, ...); leaves take ``domain`` (default: the domain of the ops when they
    all need the same one, else "real") and ``dtype``. A composite counts as one op.
    """
    vocabulary = _vocabulary(boxes)
    min_dims = min(op.min_dims for op in vocabulary)
    max_dims = max(min_dims, min(2, *(op.max_dims for op in vocabulary)))
    if domain is None:
        domains = {"nonzero" if op.domain == "kinkfree" else op.domain for op in vocabulary}
        domain = domains.pop() if len(domains) == 1 else "real"

    @st.composite
    def draw_graph(draw: Callable[[SearchStrategy[Any]], Any]) -> RandomGraph:
        b = _Builder(draw, dtype)
        shape = draw(shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=3))
        b.pool.append(b.leaf(shape, domain))
        if draw(st.booleans()):
            options = [s for s in [shape, shape[1:], (1,) + shape[1:]] if len(s) >= min_dims]
            b.pool.append(b.leaf(draw(st.sampled_from(options)), domain))
        names = []
        for _ in range(draw(st.integers(1, max_boxes))):
            usable = [n for n in b.pool if any(op.accepts(n.value) for op in vocabulary)]
            if not usable:
                break
            a = usable[-1 - draw(st.integers(0, len(usable) - 1))]
            op = draw(st.sampled_from([op for op in vocabulary if op.accepts(a.value)]))
            box = op.make(b, a)
            if box is None or not _evaluate(box):
                continue
            b.used.update(id(i) for i in box.inputs)
            b.pool.append(box)
            names.append(op.name)
        loss = _loss(b)
        order = topological_order([loss])
        for box in order:  # messages would otherwise point into hypothesis
            box.created_at = "af.testing.flow_graphs"
        members = set(map(id, order))
        feed = {box: value for box, value in b.feed.items() if id(box) in members}
        return RandomGraph(loss, feed, tuple(names))

    return draw_graph()


def _loss(b: _Builder) -> Box:
    """The sum of every box no other box reads (so each one reaches the loss)."""
    tops = [box for box in b.pool if id(box) not in b.used]
    terms = [box if np.ndim(box.value) == 0 and not isinstance(box, Leaf) else N.sum(box)
             for box in tops]
    loss = terms[0]
    for term in terms[1:]:
        loss = loss + term
    return loss


# -- indexing, joins and linear algebra (issue 15) ---------------------------------------


def _index_part(b: _Builder, side: int, array_shape: Shape) -> Any:
    """One part of an index for an axis of length ``side``."""
    kind = b.draw(st.sampled_from(["int", "slice", "all", "array", "mask", "input"]))
    if kind == "int":
        return b.draw(st.integers(-side, side - 1))
    if kind == "slice":
        bound = st.none() | st.integers(-side - 1, side + 1)
        step = st.none() | st.sampled_from([-2, -1, 1, 2, 3])
        return slice(b.draw(bound), b.draw(bound), b.draw(step))
    if kind == "array":
        return b.draw(hnp.arrays(np.int64, array_shape, elements=st.integers(-side, side - 1)))
    if kind == "mask":
        return b.draw(hnp.arrays(np.bool_, (side,)))
    if kind == "input":  # index arrays fed at run time (an embedding lookup)
        ids = Input(b.name("ids"))
        ids.value = b.draw(hnp.arrays(np.int64, array_shape,
                                      elements=st.integers(-side, side - 1)))
        b.feed[ids] = ids.value
        return ids
    return slice(None)


def _getitem(b: _Builder, a: Box) -> Box:
    """a[index] with an index drawn to fit a's shape: integers, slices (negative steps),
    integer arrays (repeated entries), masks, index arrays from Inputs, None, Ellipsis."""
    shape = np.shape(a.value)
    array_shape = b.draw(st.sampled_from([(1,), (2,), (3,), (2, 2)]))
    parts: list[Any] = []
    for side in shape[:b.draw(st.integers(min(1, len(shape)), len(shape)))]:
        if b.draw(st.integers(0, 4)) == 0:
            parts.append(None)
        parts.append(_index_part(b, side, array_shape))
    if b.draw(st.booleans()):
        parts.insert(b.draw(st.integers(0, len(parts))), Ellipsis)
    return a[tuple(parts)]


def _partner_like(b: _Builder, a: Box, shape: Shape) -> Box:
    """A box of ``shape``: ``a`` itself when it fits (fan-out), one from the pool, or a
    new leaf."""
    fits = [p for p in b.pool if np.shape(p.value) == shape]
    if fits and b.draw(st.booleans()):
        return b.draw(st.sampled_from(fits))
    return b.leaf(shape)


def _concatenate(b: _Builder, a: Box) -> Box:
    shape = np.shape(a.value)
    if not shape:
        return N.concatenate([a, _partner_like(b, a, (b.draw(st.integers(1, 3)),))],
                             axis=None)
    axis = b.draw(st.sampled_from([None, *range(-len(shape), len(shape))]))
    other = list(shape)
    if axis is not None:
        other[axis] = b.draw(st.integers(1, 3))
    arrays = [a, _partner_like(b, a, tuple(other))]
    if b.draw(st.booleans()):
        arrays.reverse()
    return N.concatenate(arrays, axis=axis)


def _stack(b: _Builder, a: Box) -> Box:
    shape = np.shape(a.value)
    arrays = [a] + [_partner_like(b, a, shape) for _ in range(b.draw(st.integers(0, 2)))]
    return N.stack(arrays, axis=b.draw(st.integers(-len(shape) - 1, len(shape))))


def _split(b: _Builder, a: Box) -> Box:
    """The parts of a split (or array_split), joined back in reverse order."""
    shape = np.shape(a.value)
    axis = b.draw(st.integers(-len(shape), len(shape) - 1))
    length = shape[axis]
    choice = b.draw(st.sampled_from(["equal", "unequal", "indices"]))
    if choice == "equal":
        sections = b.draw(st.sampled_from([n for n in range(1, length + 1) if length % n == 0]))
        parts = N.split(a, sections, axis=axis)
    elif choice == "unequal":
        parts = N.array_split(a, b.draw(st.integers(1, length + 1)), axis=axis)
    else:
        indices = b.draw(st.lists(st.integers(-length, length + 1), max_size=3))
        parts = N.array_split(a, indices, axis=axis)
    return N.concatenate(parts[::-1], axis=axis)


def _dot(b: _Builder, a: Box) -> Box:
    shape = np.shape(a.value)
    if not shape:
        return N.dot(a, b.leaf(b.draw(shapes(max_dims=2))))
    k, side = shape[-1], b.draw(st.integers(1, 3))
    if len(shape) == 1 and b.draw(st.booleans()):  # a on the right: the left's last axis
        return N.dot(b.leaf(b.draw(st.sampled_from([(k,), (side, k), (2, side, k), ()]))), a)
    return N.dot(a, _partner_like(b, a, b.draw(st.sampled_from([(k,), (k, side),
                                                                 (side, k, 2), ()]))))


def _vdot(b: _Builder, a: Box) -> Box:
    """a . a (a squared norm) or a . other for another array of a's size."""
    if b.draw(st.booleans()):
        return N.vdot(a, a)
    size = int(np.size(a.value))
    other = _partner_like(b, a, b.draw(st.sampled_from([np.shape(a.value), (size,)])))
    return N.vdot(a, other) if b.draw(st.booleans()) else N.vdot(other, a)


def _outer(b: _Builder, a: Box) -> Box | None:
    other = _partner_like(b, a, b.draw(shapes(max_dims=2)))
    return N.outer(a, other) if b.draw(st.booleans()) else N.outer(other, a)


def _tensordot(b: _Builder, a: Box) -> Box:
    """A sum over some of a's axes (paired with axes of a new leaf in drawn places),
    written as a count or as two axis lists."""
    shape = np.shape(a.value)
    summed = b.draw(st.lists(st.sampled_from(range(len(shape))), unique=True)) if shape else []
    free = b.draw(st.lists(st.integers(1, 3), max_size=1))
    positions = b.draw(st.permutations(range(len(summed) + len(free))))
    other = [0] * len(positions)
    for position, axis in zip(positions, summed):
        other[position] = shape[axis]
    for position, side in zip(positions[len(summed):], free):
        other[position] = side
    axes: Any = (summed, list(positions[:len(summed)]))
    if b.draw(st.booleans()) and summed == list(range(len(shape) - len(summed), len(shape))) \
            and list(positions[:len(summed)]) == list(range(len(summed))):
        axes = len(summed)
    return N.tensordot(a, b.leaf(tuple(other)), axes=axes)


def _einsum(b: _Builder, a: Box) -> Box:
    """einsum with subscripts drawn to fit a's shape: a repeated index (a diagonal) where
    lengths agree, a second operand sharing indices or not, an explicit output (any
    subset of the indices, in any order) or the implicit one, '...' for a's first axis."""
    letters: dict[str, int] = {}
    spare = iter("ijklmn")
    term = ""
    for side in np.shape(a.value):
        same = [c for c, n in letters.items() if n == side]
        if same and b.draw(st.integers(0, 2)) == 0:
            term += b.draw(st.sampled_from(same))
        else:
            term += next(spare)
            letters[term[-1]] = side
    terms, operands = [term], [a]
    if b.draw(st.booleans()):
        other = ""
        for _ in range(b.draw(st.integers(0, 2))):
            if letters and b.draw(st.booleans()):
                other += b.draw(st.sampled_from(sorted(letters)))
            else:
                other += next(spare)
                letters[other[-1]] = b.draw(st.integers(1, 3))
        terms.append(other)
        operands.append(b.leaf(tuple(letters[c] for c in other)))
    ellipsis = bool(term) and "".join(terms).count(term[0]) == 1 and b.draw(st.booleans())
    if ellipsis:
        terms[0] = "..." + term[1:]
    named = sorted(set("".join(terms).replace(".", "")))
    if b.draw(st.booleans()):
        subscripts = ",".join(terms)
    else:
        output = b.draw(st.lists(st.sampled_from(named), unique=True)) if named else []
        subscripts = ",".join(terms) + "->" + ("..." if ellipsis else "") + "".join(output)
    return N.einsum(subscripts, *operands)


BUILTIN_OPS.update({op.name: op for op in [
    _Op("getitem", _getitem),
    _Op("concatenate", _concatenate),
    _Op("stack", _stack),
    _Op("split", _split, min_dims=1),
    _Op("dot", _dot),
    _Op("vdot", _vdot, bound=10.0),
    _Op("outer", _outer),
    _Op("tensordot", _tensordot),
    _Op("einsum", _einsum),
]})
PRIMITIVE_OPS.update({
    ops.GetItem: "getitem", ops.Concatenate: "concatenate", ops.Stack: "stack",
    ops.Split: "split", ops.Dot: "dot", ops.Vdot: "vdot", ops.Outer: "outer",
    ops.TensorDot: "tensordot",
    ops.Einsum: "einsum",
})
