"""Value strategies: floats and arrays in a box's domain, small shapes, shapes that
broadcast together or multiply as matrices, class labels, and the input arrays of one
call of a box.

Values stay in ranges where float64 central differences are accurate (|x| <= 2 by
default), so a failure means a wrong bprop, not round-off.
"""
from __future__ import annotations

from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

from ..core.box import fprop_arity
from . import domains

SearchStrategy = st.SearchStrategy
Shape = tuple[int, ...]

def floats(domain: str = "real", *, max_magnitude: float | None = None) -> SearchStrategy[float]:
    """Finite float64 numbers of a domain of :data:`~.domains.DOMAINS`: "real" in
    [-2, 2], "positive" in [0.1, 3], "nonzero" with 0.3 <= |x| <= 2 (away from 0, so
    away from kinks), ... No subnormals, so differences never divide by a denormal."""
    return domains.domain(domain).floats(max_magnitude)


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


def input_count(box_class: type) -> int:
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
    arity = input_count(box_class)
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
