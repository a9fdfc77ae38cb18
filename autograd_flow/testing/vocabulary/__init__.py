"""The vocabulary of random flow graphs: for every built-in primitive and composite, an
Op that adds its box to a graph being drawn, in modules by kind (elementwise, reduce,
shape, indexing, linalg, composites), assembled here in the order hypothesis shrinks
towards.
"""
from __future__ import annotations

from collections import Counter

from ..builder import Op
from . import composites, elementwise, indexing, linalg, reduce, shape

_KINDS = (elementwise, reduce, shape, indexing, linalg, composites)

#: Every op by name, simplest first: hypothesis shrinks towards earlier ops, so a
#: failing graph shrinks to arithmetic before einsum. First the ops every graph library
#: has, then the rest of numpy's elementwise functions, shapes and arrangements, indexing,
#: joins and products.
_SHRINK_ORDER = (
    "add", "identity", "neg", "sub", "mul", "div", "sum", "mean", "square", "pow", "tanh",
    "sigmoid", "relu", "abs", "maximum", "minimum", "sign", "greater", "greater_equal", "less",
    "less_equal", "equal", "not_equal", "power", "where", "exp", "log", "matmul", "logsumexp",
    "max", "min", "prod", "cumsum", "cumprod", "reshape", "transpose", "pick", "linear",
    "softmax", "log_softmax", "softmax_cross_entropy", "l1_penalty", "l2_penalty",
    # the rest of numpy's elementwise functions
    "sqrt", "cbrt", "log1p", "expm1", "log2", "log10", "exp2", "softplus", "log_sigmoid",
    "floor", "ceil", "round", "nan_to_num", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
    "sinh", "cosh", "arcsinh", "arccosh", "arctanh", "sinc", "deg2rad", "rad2deg", "arctan2",
    "hypot", "logaddexp", "fmax", "fmin", "mod", "clip",
    # shapes, arrangements and matrix structure
    "expand_dims", "squeeze", "swapaxes", "moveaxis", "broadcast_to", "astype", "pad", "flip",
    "rot90", "roll", "tile", "repeat", "sort", "triu", "tril", "diagonal", "diag", "kron",
    # indexing, joins and products
    "getitem", "concatenate", "stack", "split", "dot", "vdot", "outer", "tensordot", "einsum",
)


def _in_shrink_order() -> dict[str, Op]:
    """The ops of every kind by name, in :data:`_SHRINK_ORDER` (which names each op of
    the kinds exactly once)."""
    defined = Counter(op.name for kind in _KINDS for op in kind.OPS)
    named = Counter(_SHRINK_ORDER)
    if defined != named:
        raise RuntimeError(f"_SHRINK_ORDER must name each op of the vocabulary once: "
                           f"{sorted(defined - named)} are defined more often than named, "
                           f"{sorted(named - defined)} named more often than defined")
    by_name = {op.name: op for kind in _KINDS for op in kind.OPS}
    return {name: by_name[name] for name in _SHRINK_ORDER}


#: Every built-in primitive and composite, by the name of the af function (or box)
#: that makes it. Order matters only for shrinking: earlier ops are "simpler".
BUILTIN_OPS: dict[str, Op] = _in_shrink_order()

#: The box class each primitive op makes (Pow through ``**``, Neg through unary ``-``).
PRIMITIVE_OPS: dict[type, str] = {
    **elementwise.PRIMITIVES, **reduce.PRIMITIVES, **shape.PRIMITIVES,
    **indexing.PRIMITIVES, **linalg.PRIMITIVES,
}

__all__ = ["BUILTIN_OPS", "PRIMITIVE_OPS"]
