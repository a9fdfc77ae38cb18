"""Every primitive box of the package is in a table, with several rows."""
from __future__ import annotations

import importlib
import pkgutil

import autograd_flow as af
from autograd_flow import ops
from autograd_flow.core.box import Leaf

from . import table
from .test_arithmetic import TABLE as ARITHMETIC
from .test_arrange import TABLE as ARRANGE
from .test_bessel import TABLE as BESSEL
from .test_calculus import TABLE as CALCULUS
from .test_compare import TABLE as COMPARE
from .test_correlation import TABLE as CORRELATION
from .test_cumulative import TABLE as CUMULATIVE
from .test_decompositions import TABLE as DECOMPOSITIONS
from .test_elementwise import TABLE as ELEMENTWISE
from .test_fft import TABLE as FFT
from .test_gradient import TABLE as GRADIENT
from .test_indexing import TABLE as INDEXING
from .test_inverse import TABLE as INVERSE
from .test_join import TABLE as JOIN
from .test_linalg import TABLE as LINALG
from .test_logic import TABLE as LOGIC
from .test_matrix import TABLE as MATRIX
from .test_nan import TABLE as NAN
from .test_norms import TABLE as NORMS
from .test_numeric import TABLE as NUMERIC
from .test_order import TABLE as ORDER
from .test_reduce import TABLE as REDUCE
from .test_scatter import TABLE as SCATTER
from .test_searching import TABLE as SEARCHING
from .test_shape import TABLE as SHAPE
from .test_special import TABLE as SPECIAL
from .test_trig import TABLE as TRIG

TABLES = [ARITHMETIC, COMPARE, ELEMENTWISE, GRADIENT, LINALG, REDUCE, SHAPE, TRIG, ARRANGE,
          MATRIX, INDEXING, JOIN, SCATTER, CUMULATIVE, NAN, ORDER, NUMERIC, CALCULUS, CORRELATION,
          SPECIAL, INVERSE, DECOMPOSITIONS, NORMS, LOGIC, SEARCHING,
          BESSEL, FFT]
ALL_ROWS = [case for t in TABLES for case in t]


def _package_box_classes() -> set[type]:
    """Every Box subclass defined in the autograd_flow package (its importable modules
    loaded first), without the leaves and private bases."""
    for module in pkgutil.walk_packages(af.__path__, prefix="autograd_flow."):
        if not module.name.startswith(("autograd_flow.cli", "autograd_flow.playground")):
            importlib.import_module(module.name)
    found: set[type] = set()
    stack = [af.Box]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if (sub.__module__.startswith("autograd_flow.")
                    and not sub.__name__.startswith("_")
                    and not issubclass(sub, Leaf)):
                found.add(sub)
    return found


def test_every_box_class_of_the_package_is_a_primitive_or_plumbing() -> None:
    listed = set(ops.PRIMITIVES) | set(ops.PLUMBING)
    assert _package_box_classes() - listed == set()


def test_every_primitive_and_plumbing_box_is_in_a_table() -> None:
    built = table.box_classes(ALL_ROWS)
    assert set(ops.PRIMITIVES) | set(ops.PLUMBING) <= built


def test_every_primitive_has_at_least_three_rows() -> None:
    rows: dict[type, int] = {}
    for case in ALL_ROWS:
        box, _ = case.build(case.arrays(__import__("numpy").random.default_rng(0)))
        rows[type(box)] = rows.get(type(box), 0) + 1
    thin = {cls.__name__: rows.get(cls, 0) for cls in ops.PRIMITIVES if rows.get(cls, 0) < 3}
    assert thin == {}
