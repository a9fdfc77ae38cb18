"""Hypothesis strategies: arrays in a box's domain, broadcast-compatible shapes, and
random flow graphs (small DAGs of boxes with fan-out, broadcasting and reductions
under a scalar loss).

Values stay in ranges where float64 central differences are accurate (|x| <= 2 by
default, every intermediate value |v| <= 100), so a failure means a wrong bprop, not
round-off.

The strategies live in :mod:`.values` (floats, shapes and arrays) and :mod:`.graphs`
(flow graphs), the ops a random graph is made of in :mod:`.vocabulary`; this module is
where to import them from.
"""
from .domains import DOMAINS, Domain, domain
from .graphs import RandomGraph, flow_graphs
from .values import (
    SearchStrategy,
    Shape,
    arrays,
    box_inputs,
    floats,
    labels,
    matmul_shapes,
    mutually_broadcastable_shapes,
    shapes,
)
from .vocabulary import BUILTIN_OPS, PRIMITIVE_OPS

__all__ = [
    "floats", "shapes", "arrays", "mutually_broadcastable_shapes", "matmul_shapes",
    "labels", "box_inputs", "DOMAINS", "Domain", "domain", "flow_graphs", "RandomGraph",
    "BUILTIN_OPS", "PRIMITIVE_OPS", "SearchStrategy", "Shape",
]
