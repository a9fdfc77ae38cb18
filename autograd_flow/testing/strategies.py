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


def _axis(b: _Builder, ndim: int, allow_tuple: bool = True) -> Any:
    options: list[Any] = [None] + list(range(-ndim, ndim))
    if allow_tuple and ndim >= 2:
        options.append((0, ndim - 1))
    return b.draw(st.sampled_from(options))


def _reduction(cls: type) -> Callable[[_Builder, Box], Box]:
    def make(b: _Builder, a: Box) -> Box:
        return cls(a, axis=_axis(b, np.ndim(a.value)), keepdims=b.draw(st.booleans()))
    return make


def _logsumexp(b: _Builder, a: Box) -> Box:
    return F.logsumexp(a, axis=_axis(b, np.ndim(a.value), allow_tuple=False),
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
        return F.matmul(a, b.draw(st.sampled_from(fits)))
    if choice == "left":
        return F.matmul(b.leaf((side, shape[-2])), a)
    return F.matmul(a, b.leaf((shape[-1], side) if choice == "right" else (shape[-1],)))


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
        return F.transpose(a)
    return F.transpose(a, tuple(axis - ndim if b.draw(st.booleans()) else axis
                                for axis in permutation))


def _pick(b: _Builder, a: Box) -> Box:
    rows, classes = np.shape(a.value)
    return F.pick(a, b.labels(rows, classes))


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
    _Op("exp", _unary(ops.Exp), bound=4.0),
    _Op("log", _unary(ops.Log), domain="positive"),
    _Op("matmul", _matmul, min_dims=1, max_dims=2),
    _Op("logsumexp", _logsumexp, min_dims=1),
    _Op("reshape", _reshape),
    _Op("transpose", _transpose, min_dims=2),
    _Op("pick", _pick, min_dims=2, max_dims=2),
    _Op("linear", _linear, min_dims=1, max_dims=2),
    _Op("softmax", _softmax_like(F.softmax), min_dims=1),
    _Op("log_softmax", _softmax_like(F.log_softmax), min_dims=1),
    _Op("softmax_cross_entropy", _cross_entropy, min_dims=2, max_dims=2),
    _Op("l1_penalty", _penalty(F.l1_penalty), domain="kinkfree"),
    _Op("l2_penalty", _penalty(F.l2_penalty)),
]}

#: The box class each primitive op makes (Pow through ``**``, Neg through unary ``-``).
PRIMITIVE_OPS: dict[type, str] = {
    ops.Add: "add", ops.Sub: "sub", ops.Mul: "mul", ops.Div: "div", ops.Pow: "pow",
    ops.Maximum: "maximum", ops.Abs: "abs", ops.Exp: "exp", ops.Identity: "identity",
    ops.Log: "log", ops.Neg: "neg", ops.Relu: "relu", ops.Sigmoid: "sigmoid",
    ops.Square: "square", ops.Tanh: "tanh", ops.MatMul: "matmul",
    ops.LogSumExp: "logsumexp", ops.Mean: "mean", ops.Sum: "sum", ops.Pick: "pick",
    ops.Reshape: "reshape", ops.Transpose: "transpose",
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
    terms = [box if np.ndim(box.value) == 0 and not isinstance(box, Leaf) else F.sum(box)
             for box in tops]
    loss = terms[0]
    for term in terms[1:]:
        loss = loss + term
    return loss
