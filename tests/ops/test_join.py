"""Joining and splitting (concatenate, stack, split, array_split, af.array of a list of
boxes) through the one table checker, and their errors."""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops

from .table import Case, parametrize


def _join(function: Any, reference: Any, shapes: tuple, **kwargs: Any) -> Case:
    """function([a, b, ...], **kwargs) against reference([a, b, ...], **kwargs)."""
    def build(*arrays: af.Box) -> af.Box:
        return function(list(arrays), **kwargs)
    build.__name__ = function.__name__ + "".join(f",{k}={v}" for k, v in kwargs.items())
    return Case(build, shapes, lambda *arrays: reference(list(arrays), **kwargs))


def _part(function: Any, reference: Any, shape: tuple, sections: Any, axis: int | None,
          part: int) -> Case:
    """Part ``part`` of function(a, sections, axis=axis) (no axis for hsplit, vsplit and
    dsplit: axis None)."""
    settings = {} if axis is None else {"axis": axis}

    def build(a: af.Box) -> af.Box:
        return function(a, sections, **settings)[part]
    build.__name__ = f"{function.__name__}[{sections},axis={axis}][{part}]"
    return Case(build, (shape,), lambda a: reference(a, sections, **settings)[part])


def _slice(shape: tuple, axis: int, part: int) -> Case:
    """Slice ``part`` of af.unstack(a, axis=axis)."""
    def build(a: af.Box) -> af.Box:
        return af.unstack(a, axis=axis)[part]
    build.__name__ = f"unstack[axis={axis}][{part}]"
    return Case(build, (shape,), lambda a: np.unstack(a, axis=axis)[part])


def _matrix(x: Any, y: Any) -> af.Box:
    return af.array([[x, 0.0], [0.0, y]])


def _rows(x: Any, y: Any) -> af.Box:
    return af.array([x, [1.0, 2.0, 3.0], y * 2.0])


TABLE: list[Case] = [
    _join(af.concatenate, np.concatenate, ((2, 3), (4, 3))),
    _join(af.concatenate, np.concatenate, ((2, 3), (2, 1), (2, 2)), axis=-1),
    _join(af.concatenate, np.concatenate, ((2, 3, 2), (2, 1, 2)), axis=1),
    _join(af.concatenate, np.concatenate, ((2, 3), (4,), ()), axis=None),
    _join(af.concatenate, np.concatenate, ((0, 3), (2, 3))),
    _join(af.concatenate, np.concatenate, ((3,),)),
    _join(af.stack, np.stack, ((3,), (3,))),
    _join(af.stack, np.stack, ((2, 3), (2, 3), (2, 3)), axis=-1),
    _join(af.stack, np.stack, ((2, 3), (2, 3)), axis=1),
    _join(af.stack, np.stack, ((), (), ())),
    _join(af.stack, np.stack, ((0, 2), (0, 2)), axis=-2),
    _part(af.split, np.split, (6,), 3, 0, 1),
    _part(af.split, np.split, (4, 6), [1, 3], -1, 2),
    _part(af.split, np.split, (5, 2), [2, 10], 0, 2),  # an empty part
    _part(af.split, np.split, (5, 2), [-2], 0, 0),
    _part(af.array_split, np.array_split, (7,), 3, 0, 0),
    _part(af.array_split, np.array_split, (2, 7), 3, 1, 2),
    _part(af.array_split, np.array_split, (2, 0), 2, 1, 1),
    *[_slice(shape, axis, part) for shape, axis, part in [
        ((3,), 0, 1), ((2, 3), -1, 2), ((2, 3, 4), 1, 0), ((2, 0), 0, 1)]],
    # numpy's stacks: each array shaped first (atleast_1d/2d/3d, a column), hstack's axis
    # by the arrays' number of axes
    *[_join(af.hstack, np.hstack, shapes) for shapes in [
        ((3,), (2,)), ((2, 3), (2, 1)), ((), (), (2,)), ((2, 1, 2), (2, 3, 2))]],
    *[_join(af.vstack, np.vstack, shapes) for shapes in [
        ((3,), (3,)), ((2, 3), (3,), (1, 3)), ((), ()), ((2, 2, 3), (1, 2, 3))]],
    *[_join(af.dstack, np.dstack, shapes) for shapes in [
        ((3,), (3,)), ((2, 3), (2, 3, 2)), ((), ())]],
    *[_join(af.column_stack, np.column_stack, shapes) for shapes in [
        ((3,), (3,)), ((3,), (3, 2)), ((), ()), ((2, 2, 2), (2, 1, 2))]],
    _part(af.hsplit, np.hsplit, (6,), 3, None, 2),
    _part(af.hsplit, np.hsplit, (2, 4, 3), [1, 3], None, 1),
    _part(af.vsplit, np.vsplit, (4, 3), 2, None, 1),
    _part(af.vsplit, np.vsplit, (5, 2, 2), [-1], None, 0),
    _part(af.dsplit, np.dsplit, (2, 1, 4), 2, None, 0),
    _part(af.dsplit, np.dsplit, (1, 2, 5), [1, 2, 9], None, 2),
    Case(_matrix, ((), ()), lambda x, y: np.array([[x, 0.0], [0.0, y]])),
    Case(_rows, ((3,), (3,)), lambda x, y: np.array([x, [1.0, 2.0, 3.0], y * 2.0]),
         float32=False),  # the list [1.0, 2.0, 3.0] is a float64 array, as in numpy
    *[Case(af.append, shapes, np.append, kwargs=k)
      for shapes, k in [(((2, 3), (4,)), {}), (((2, 3), (1, 3)), {"axis": 0}),
                        (((), ()), {}), (((2, 1), (2, 2)), {"axis": -1})]],
]


@parametrize(TABLE)
def test_join(case: Case, check) -> None:
    check(case)


def _fprop_error(box: af.Box) -> str:
    with pytest.raises(af.BoxError) as error:
        af.FlowGraph(box).fprop()
    return str(error.value)


def test_concatenating_mismatched_shapes_names_them() -> None:
    a = af.Parameter(np.zeros((2, 3)), name="a")
    b = af.Parameter(np.zeros((2, 4)), name="b")
    message = _fprop_error(af.concatenate([a, b]))
    assert message.startswith("Concatenate 'concatenate' (created at test_join.py:")
    assert ("the arrays must have the same shape except along axis 0, got shapes (2, 3), "
            "(2, 4).") in message
    assert "got shapes (2, 3), (3,)" in _fprop_error(af.concatenate([a, np.zeros(3)], axis=1))
    assert "axis 2 is out of range for arrays of 2 axes" in _fprop_error(
        af.concatenate([a, a], axis=2))
    assert "0-d arrays cannot be concatenated" in _fprop_error(af.concatenate([1.0, 2.0]))
    np.testing.assert_array_equal(af.FlowGraph(af.concatenate([a, b], axis=1)).fprop(),
                                  np.zeros((2, 7)))
    with pytest.raises(af.BoxError, match="needs at least one array"):
        af.concatenate([])


def test_stacking_mismatched_shapes_names_them() -> None:
    a = af.Parameter(np.zeros((2, 3)), name="a")
    assert "must have one shape, got shapes (2, 3), (3, 2)" in _fprop_error(
        af.stack([a, a.T]))
    assert "axis 3 is out of range for stacking arrays of shape (2, 3)" in _fprop_error(
        af.stack([a, a], axis=3))
    with pytest.raises(TypeError, match=r"its length \(to iterate it\) is known only"):
        af.stack(af.Input("z"))  # a box as the sequence: its rows, if it has a known length
    np.testing.assert_array_equal(af.FlowGraph(af.stack(a)).fprop(), np.stack(a.value))


def test_split_gives_a_list_of_boxes_as_numpy_does() -> None:
    x = af.Parameter(np.arange(14.0).reshape(2, 7), name="x")
    for sections in (3, [2, 5], [-1], [4, 2, 9]):
        parts = af.array_split(x, sections, axis=1)
        values = af.FlowGraph(parts).fprop()
        expected = np.array_split(x.value, sections, axis=1)
        assert len(parts) == len(expected)
        for value, want in zip(values if len(parts) > 1 else [values], expected):
            np.testing.assert_array_equal(value, want)
    assert "axis 1 of length 7 (shape (2, 7)) does not split into 3 equal parts; use " \
           "af.array_split" in _fprop_error(af.split(x, 3, axis=1)[0])
    assert "axis 2 is out of range" in _fprop_error(af.split(x, 2, axis=2)[0])
    with pytest.raises(af.BoxError, match="number of sections must be positive"):
        af.split(x, 0)
    with pytest.raises(af.BoxError, match="part 3 does not exist"):
        ops.Split(x, 3, part=3)


def test_split_takes_sections_and_indices_as_arrays_as_numpy_does() -> None:
    """A 0-d array is a number of sections and a 1-d one indices (PyTorch's operator
    samples pass torch.tensor(3) to tensor_split; numpy's reference takes its array)."""
    x = af.Parameter(np.arange(14.0).reshape(2, 7), name="x")
    for sections in (np.array(3), np.int64(3), np.array([2, 5])):
        parts = af.array_split(x, sections, axis=1)
        expected = np.array_split(x.value, sections, axis=1)
        assert len(parts) == len(expected)
        for value, want in zip(af.FlowGraph(parts).fprop(), expected):
            np.testing.assert_array_equal(value, want)


def test_every_part_of_a_split_gets_its_gradient() -> None:
    x = af.Parameter(np.arange(6.0), name="x")
    first, second, third = af.split(x, 3)
    loss = (first * 1.0).sum() + (second * 2.0).sum() + (third * 3.0).sum()
    graph = af.FlowGraph(loss)
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop()[x], [1, 1, 2, 2, 3, 3])


def test_an_array_of_boxes_and_numbers_keeps_float32() -> None:
    x = af.Parameter(np.float32(1.5), name="x")
    y = af.Parameter(np.float32(-2.0), name="y")
    matrix = af.array([[x, 0.0], [0.0, y]], name="diag")
    graph = af.FlowGraph(af.einsum("ii", matrix * matrix))
    assert graph.fprop() == np.float32(6.25) and graph.fprop().dtype == np.float32
    grads = graph.bprop()
    assert grads[x] == np.float32(3.0) and grads[x].dtype == np.float32
    assert matrix.name == "diag"
    constant = af.array([[1, 2], [3, 4]])
    assert isinstance(constant, af.Constant) and constant.value.dtype.kind == "i"
    assert af.array(x) is x
    stacked = af.FlowGraph(af.stack([[x, 1.0], [y, 2.0]], axis=1)).fprop()
    np.testing.assert_array_equal(stacked, [[1.5, -2.0], [1.0, 2.0]])
    assert stacked.dtype == np.float32


def test_hstack_and_hsplit_choose_their_axis_when_the_graph_runs() -> None:
    """A graph is fed arrays of any number of axes: 1-D ones join and split along axis
    0, others along axis 1, as numpy."""
    x = af.Input("x")
    joined, parts = af.hstack([x, x]), af.hsplit(x, 2)
    for value in (np.arange(4.0), np.arange(8.0).reshape(2, 4)):
        np.testing.assert_array_equal(af.FlowGraph(joined).fprop({x: value}),
                                      np.hstack([value, value]))
        for part, expected in zip(af.FlowGraph(parts).fprop({x: value}),
                                  np.hsplit(value, 2)):
            np.testing.assert_array_equal(part, expected)


def test_stacks_and_splits_of_too_few_axes_or_unequal_shapes_say_so() -> None:
    a = af.Parameter(np.zeros((2, 3)), name="a")
    assert "vsplit splits arrays of at least 2 axes, got shape (3,)" in _fprop_error(
        af.vsplit(af.Parameter(np.zeros(3)), 3)[0])
    assert "dsplit splits arrays of at least 3 axes, got shape (2, 3)" in _fprop_error(
        af.dsplit(a, 3)[0])
    assert "hsplit splits arrays of at least 1 axes, got shape ()" in _fprop_error(
        af.hsplit(af.Parameter(np.zeros(())), 1)[0])
    assert "does not split into 2 equal parts" in _fprop_error(af.hsplit(a, 2)[0])
    assert ("the arrays (shaped by vstack) must have the same shape except along axis 0, "
            "got shapes (2, 3), (1, 2)") in _fprop_error(af.vstack([a, np.zeros(2)]))
    with pytest.raises(af.BoxError, match="layout must be one of hstack, vstack"):
        ops.Concatenate(a, layout="zstack")


def test_unstack_gives_every_slice_its_gradient_as_torch_unbind() -> None:
    x = af.Parameter(np.arange(6.0).reshape(2, 3))
    parts = af.unstack(x, axis=1)
    assert isinstance(parts, tuple) and len(parts) == 3
    graph = af.FlowGraph(sum(af.sum(part * (k + 1)) for k, part in enumerate(parts)))
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop()[x], [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    assert len(np.unstack(x)) == 2  # numpy's own call builds the same boxes


@pytest.mark.parametrize(("shape", "axis"), [((), 0), ((2, 3), 2), ((2, 3), -3), ((2,), 0.5)])
def test_unstack_of_no_such_axis_says_so(shape, axis) -> None:
    message = re.escape(f"axis {axis!r} is not an axis of an array of shape {shape}")
    with pytest.raises(af.BoxError, match="unstack .*" + message):
        af.unstack(af.Parameter(np.ones(shape)), axis=axis)
