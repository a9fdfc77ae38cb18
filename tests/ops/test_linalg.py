"""Linear algebra primitives, through the one table checker."""
from __future__ import annotations

import numpy as np

from autograd_flow import ops

from .table import Case, parametrize

TABLE: list[Case] = [
    *[Case(ops.MatMul, s, np.matmul) for s in [
        ((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
        ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)),
        ((1, 2, 3), (5, 3, 4)), ((3,), (5, 3, 4)), ((5, 2, 3), (3,)),
        ((1, 3), (3, 4)), ((1, 3), (5, 3, 4))]],  # one row: the outer-product branch
]


@parametrize(TABLE)
def test_linalg(case: Case, check) -> None:
    check(case)
