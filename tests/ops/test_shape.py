"""Shape primitives through the one table checker."""
from __future__ import annotations

import numpy as np

import autograd_flow as af
from autograd_flow import ops

from .table import Aux, Case, parametrize


def _pick(a: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return a[np.arange(len(a)), labels]


def _labels(rows: int, classes: int) -> Aux:
    return Aux(lambda rng: rng.integers(0, classes, size=rows), "labels")


TABLE: list[Case] = [
    *[Case(ops.Reshape, ((2, 3, 4),), np.reshape, kwargs={"shape": s},
           reference_kwargs={"shape": s}) for s in [(6, 4), (-1,), (4, 1, 6), (2, -1, 2)]],
    *[Case(ops.Transpose, (s,), np.transpose, kwargs={"axes": x})
      for s, x in [((2, 3), None), ((2, 3, 4), None), ((2, 3, 4), (1, 0, 2)),
                   ((2, 3, 4), (2, 0, 1)), ((3,), None), ((2, 3, 4), (-1, 0, 1))]],
    *[Case(ops.Pick, ((n, c), _labels(n, c)), _pick) for n, c in [(4, 3), (1, 5), (6, 2)]],
]


@parametrize(TABLE)
def test_shape(case: Case, check) -> None:
    check(case)


def test_pick_gives_labels_no_gradient() -> None:
    a = af.Parameter(np.arange(6.0).reshape(2, 3), name="scores")
    labels = af.Input("labels")
    graph = af.FlowGraph(af.pick(a, labels).sum())
    graph.fprop({labels: np.array([2, 0])})
    assert graph.bprop()[a].tolist() == [[0, 0, 1], [1, 0, 0]]
    assert labels.grad is None
