"""The vocabulary of random flow graphs, derived from the declarations of the primitives
and composites (:mod:`autograd_flow.ops.registry`): each declared op is drawn where its
declaration says its inputs may lie (its domain, ranks and bound), by a recipe of the
modules here when it has settings worth drawing (axes, shapes, a partner of a fitting
shape, values kept away from a kink), else from its inputs alone. A new primitive of one
or two inputs is in random graphs with nothing added here.

Hypothesis shrinks towards earlier ops: the ops every graph library has come first
(``common=True`` in their declarations), arithmetic before the rest of them, then the
other ops, each in declaration order.
"""
from __future__ import annotations

from ...core.box import Box, fprop_arity
from ...nn import functions  # noqa: F401 (declares the composites)
from ...ops import DECLARATIONS, PRIMITIVES, Declaration
from ..builder import LIMIT, Builder, Op, Recipe
from ..domains import DOMAINS
from . import (
    calculus,
    composites,
    elementwise,
    indexing,
    linalg,
    logic,
    matrices,
    numeric,
    order,
    reduce,
    scatter,
    shape,
    special,
)

RECIPES: dict[str, Recipe] = {**elementwise.RECIPES, **reduce.RECIPES, **shape.RECIPES,
                              **indexing.RECIPES, **linalg.RECIPES, **matrices.RECIPES,
                              **composites.RECIPES, **scatter.RECIPES, **order.RECIPES,
                              **numeric.RECIPES, **special.RECIPES, **calculus.RECIPES,
                              **logic.RECIPES}


def _domains(declaration: Declaration) -> tuple[str, str]:
    """The domains of an op's first input and of a partner."""
    domain = declaration.domain
    if isinstance(domain, str):
        return domain, domain
    return domain[0], domain[-1]


def _drawn(declaration: Declaration) -> Recipe:
    """An op of one input applied to ``a``, or of two to ``a`` and a partner that
    broadcasts with it (in either order when both are real)."""
    function = declaration.function
    box = declaration.box
    arity = fprop_arity(box) if box is not None else None
    if function is None or arity not in (1, 2):
        raise RuntimeError(f"{declaration.vocabulary_name} takes settings or more inputs: "
                           "give it a recipe in autograd_flow.testing.vocabulary, or "
                           "graphs=False in its declaration")
    first, other = _domains(declaration)

    def unary(b: Builder, a: Box) -> Box:
        return function(a)

    def binary(b: Builder, a: Box) -> Box:
        partner = b.partner(a, other)
        if first == other == "real" and b.boolean():
            return function(partner, a)
        return function(a, partner)

    return unary if arity == 1 else binary


def _op(declaration: Declaration) -> Op:
    name = declaration.vocabulary_name
    first, _ = _domains(declaration)
    if first not in DOMAINS:
        raise RuntimeError(f"{name}: unknown domain {first!r}")
    low, high = declaration.dims
    bound = LIMIT if declaration.bound is None else declaration.bound
    return Op(name, RECIPES.get(name) or _drawn(declaration), min_dims=low, max_dims=high,
              domain=first, bound=bound)


#: The kinds of op (the modules declaring them) in the order random graphs shrink towards
SIMPLEST_FIRST = ("arithmetic", "elementwise", "reduce", "compare", "linalg", "shape",
                  "indexing", "functions")


def _simplicity(declaration: Declaration) -> int:
    kind = declaration.kind
    return SIMPLEST_FIRST.index(kind) if kind in SIMPLEST_FIRST else len(SIMPLEST_FIRST)


def _vocabulary() -> dict[str, Op]:
    drawn = [d for d in DECLARATIONS if d.graphs]
    ordered = sorted((d for d in drawn if d.common), key=_simplicity) + [
        d for d in drawn if not d.common]
    unused = set(RECIPES) - {d.vocabulary_name for d in drawn}
    if unused:
        raise RuntimeError(f"recipes of no declared op: {sorted(unused)}")
    return {d.vocabulary_name: _op(d) for d in ordered}


#: Every built-in primitive and composite drawn in random graphs, by name, simplest
#: first (the order hypothesis shrinks in).
BUILTIN_OPS: dict[str, Op] = _vocabulary()

#: The box class each primitive op makes (Pow through ``**``, Neg through unary ``-``).
PRIMITIVE_OPS: dict[type, str] = {
    d.box: d.vocabulary_name for d in DECLARATIONS
    if d.graphs and d.box is not None and d.box in PRIMITIVES}

__all__ = ["BUILTIN_OPS", "PRIMITIVE_OPS", "RECIPES"]
