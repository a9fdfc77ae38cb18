"""Random flow graphs: ``flow_graphs`` draws small DAGs of boxes (fan-out, operands of
broadcast shapes, reductions) under a scalar loss, from the built-in vocabulary or your
own Box subclasses, as a ``RandomGraph`` whose repr is the code that rebuilds it.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from ..core.box import Box, Input, Leaf
from ..core.graph import FlowGraph
from ..core.order import topological_order
from ..ops import surface as N
from .builder import LIMIT, Builder, Op
from .codegen import to_python
from .values import SearchStrategy, input_count, shapes
from .vocabulary import BUILTIN_OPS


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


def _custom_op(cls: type) -> Op:
    """A user's Box subclass: its other inputs have the first one's shape (from the
    pool or new leaves); a call whose fprop fails or is not finite is not kept."""
    arity = input_count(cls)

    def make(b: Builder, a: Box) -> Box:
        shape = np.shape(a.value)
        return cls(a, *[b.operand(shape) for _ in range(arity - 1)])

    return Op(cls.__name__, make)


def _vocabulary(boxes: Sequence[str | type] | None) -> list[Op]:
    """The ops named by ``boxes`` (every built-in one when None)."""
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
            or not np.all(np.isfinite(array)) or np.max(np.abs(array)) > LIMIT:
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
        b = Builder(draw, dtype)
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


def _loss(b: Builder) -> Box:
    """The sum of every box no other box reads (so each one reaches the loss)."""
    tops = [box for box in b.pool if id(box) not in b.used]
    terms = [box if np.ndim(box.value) == 0 and not isinstance(box, Leaf) else N.sum(box)
             for box in tops]
    loss = terms[0]
    for term in terms[1:]:
        loss = loss + term
    return loss

