"""Gathering and scattering along an axis (take_along_axis, put_along_axis) through the
one table checker, and their errors."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograd_flow as af

from .table import Aux, Case, parametrize


def _indices(values: Any) -> Aux:
    array = np.array(values)
    return Aux(lambda rng: array, f"i{list(array.shape)}")


def _take(shape: tuple, indices: Any, axis: int | None) -> Case:
    def build(a: af.Box, i: af.Box) -> af.Box:
        return af.take_along_axis(a, i, axis=axis)
    build.__name__ = f"take_along_axis[axis={axis}]"
    return Case(build, (shape, _indices(indices)),
                lambda a, i: np.take_along_axis(a, i, axis=axis))


def _put(shape: tuple, indices: Any, values: tuple, axis: int | None) -> Case:
    def build(a: af.Box, i: af.Box, v: af.Box) -> af.Box:
        return af.put_along_axis(a, i, v, axis=axis)
    build.__name__ = f"put_along_axis[axis={axis}]"

    def reference(a: np.ndarray, i: np.ndarray, v: np.ndarray) -> np.ndarray:
        y = a.copy()
        np.put_along_axis(y, i, v, axis)
        return y
    return Case(build, (shape, _indices(indices), values), reference)


TABLE: list[Case] = [
    _take((5,), [3, 0, 3, -1], 0),  # a repeated index: its gradients add up
    _take((3, 4), [[1, 0], [3, 3], [2, -4]], 1),
    _take((3, 4), [[2, 0, 1, 2]], 0),  # one row of indices broadcast over the columns
    _take((2, 3, 4), np.zeros((2, 5, 1), int) + [[[0], [2], [1], [2], [0]]], 1),
    _take((2, 3), [5, 0, 0], None),
    _take((3,), np.zeros(0, int), -1),
    _put((5,), [1, 3, 1], (3,), 0),  # entry 1 twice: the last value is kept
    _put((3, 4), [[1], [0], [3]], (3, 1), 1),
    _put((3, 4), [[0, 2], [2, 2], [1, -1]], (), 1),  # one value broadcast, repeated entries
    _put((3, 4), [[2, 0, 0, 1]], (1, 4), 0),
    _put((2, 3), [4, 0], (2,), None),
]


@parametrize(TABLE)
def test_scatter(case: Case, check) -> None:
    check(case)


def _fprop_error(box: af.Box) -> str:
    with pytest.raises(af.BoxError) as error:
        af.FlowGraph(box).fprop()
    return str(error.value)


def test_a_value_overwritten_by_a_later_one_gets_no_gradient() -> None:
    a = af.Parameter(np.zeros(4), name="a")
    values = af.Parameter(np.array([1.0, 2.0, 3.0]), name="values")
    y = af.put_along_axis(a, np.array([2, 0, 2]), values, axis=0)
    graph = af.FlowGraph((y * np.array([10.0, 20.0, 30.0, 40.0])).sum())
    assert graph.fprop() == 10.0 * 2.0 + 30.0 * 3.0  # y = [2, 0, 3, 0]
    grads = graph.bprop()
    np.testing.assert_array_equal(grads[values], [0.0, 10.0, 30.0])
    np.testing.assert_array_equal(grads[a], [0.0, 20.0, 0.0, 40.0])
    assert a.value.tolist() == [0.0, 0.0, 0.0, 0.0]  # the input is never written


def test_indices_fed_at_run_time_take_batches_of_any_size() -> None:
    a = af.Parameter(np.arange(6.0).reshape(2, 3), name="a")
    order = af.Input("order")
    graph = af.FlowGraph(af.take_along_axis(a, order, axis=1).sum())
    for feed in (np.array([[2], [0]]), np.array([[0, 0, 1], [2, 2, 2]])):
        graph.fprop({order: feed})
        expected = np.zeros((2, 3))
        np.add.at(expected, (np.arange(2)[:, None], feed), 1.0)
        np.testing.assert_array_equal(graph.bprop()[a], expected)


def test_bad_indices_are_clear_errors_that_name_the_box() -> None:
    a = af.Parameter(np.zeros((3, 4)), name="a")
    message = _fprop_error(af.take_along_axis(a, np.array([[4]]), axis=1))
    assert message.startswith("TakeAlongAxis 'takealongaxis' (created at test_scatter.py:")
    assert "index 4 is out of range for axis 1 of length 4 (the array has shape (3, 4))" \
        in message
    assert "the indices must be integers, got a float64 array" in _fprop_error(
        af.take_along_axis(a, np.array([[1.0]]), axis=1))
    assert "the indices (shape (2,)) must have as many axes as the array (shape (3, 4))" \
        in _fprop_error(af.take_along_axis(a, np.array([0, 1]), axis=0))
    assert "with axis=None the indices must be 1-D" in _fprop_error(
        af.take_along_axis(a, np.array([[0]]), axis=None))
    assert "axis 2 is out of range" in _fprop_error(af.take_along_axis(a, np.zeros(
        (1, 1), int), axis=2))
    assert "do not broadcast against the array of shape (3, 4) off axis 1" in _fprop_error(
        af.take_along_axis(a, np.zeros((2, 1), int), axis=1))
    assert "values of shape (3,) do not broadcast to the shape (3, 2)" in _fprop_error(
        af.put_along_axis(a, np.zeros((3, 2), int), np.ones(3), axis=1))


def test_numpy_put_along_axis_on_a_box_is_refused_not_ignored() -> None:
    """np.put_along_axis writes into its argument and returns None: on a box it would
    change nothing in silence, so it is an error that points at af.put_along_axis."""
    a = af.Parameter(np.zeros(3), name="a")
    with pytest.raises(TypeError, match="np.put_along_axis has no box form"):
        np.put_along_axis(a, np.array([0]), 1.0, 0)
    taken = np.take_along_axis(a, np.array([2, 2]), axis=0)
    assert isinstance(taken, af.Box)
