"""Indexing (box[index]) through the one table checker, and its errors."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops
from autograd_flow.testing import to_python

from .table import Aux, Case, parametrize


def _source(index: Any) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    shown = []
    for part in parts:
        if part is Ellipsis:
            shown.append("...")
        elif isinstance(part, slice):
            bounds = ["" if b is None else str(b) for b in (part.start, part.stop)]
            shown.append(":".join(bounds) + ("" if part.step is None else f":{part.step}"))
        elif isinstance(part, np.ndarray):
            shown.append(f"{part.dtype.kind}{list(part.shape)}")
        else:
            shown.append(repr(part))
    return ",".join(shown) or "()"


def _item(index: Any) -> Any:
    """The row's box: a[index] through Box.__getitem__."""
    def build(a: af.Box) -> af.Box:
        return a[index]
    build.__name__ = f"getitem[{_source(index)}]"
    return build


def _static(shape: tuple[int, ...], index: Any) -> Case:
    return Case(_item(index), (shape,), lambda a: a[index])


def _boxed(shape: tuple[int, ...], make: Any, label: str, where: Any) -> Case:
    """a[where(i)] with the index array i an input box (an Aux Constant)."""
    def build(a: af.Box, i: af.Box) -> af.Box:
        return a[where(i)]
    build.__name__ = f"getitem[{label}]"
    return Case(build, (shape, Aux(make, "index")), lambda a, i: a[where(i)])


def _ids(high: int, size: Any) -> Any:
    return lambda rng: rng.integers(-high, high, size=size)


REPEATS = np.array([0, 2, 0, -1, 2])
MASK = np.array([[True, False, True, True], [False, False, False, False], [True, True, False,
                                                                          True]])

TABLE: list[Case] = [
    # integers (negative too), slices (steps, negative steps)
    *[_static((5,), i) for i in [2, -1, slice(1, 4), slice(None, None, -2), slice(4, 0, -3),
                                 slice(-3, None), slice(7, 9)]],
    *[_static((3, 4), i) for i in [(1, 2), (-1,), (slice(None), -2), (Ellipsis, 1),
                                   (None, slice(1, 3), None), (slice(None, None, -1), 0)]],
    _static((2, 3, 4), (Ellipsis, None, slice(1, None, 2))),
    _static((2, 3, 4), (1, Ellipsis, -1)),
    # integer arrays: repeated entries accumulate their gradients
    *[_static((5,), i) for i in [REPEATS, [1, 1, 1], np.array([[0, 4], [4, 0]])]],
    _static((3, 4), (slice(None), np.array([[1, 1], [3, 0]]))),
    _static((3, 4, 2), (np.array([0, 2, 0]), slice(None), np.array([1, 0, 1]))),
    _static((3, 4, 2), (slice(None), np.array([0, 3, 3]), np.array([1, 1, 0]))),
    _static((3, 4), (np.array([[0], [2]]), np.array([1, 3, 1]))),  # broadcast together
    _static((3, 4), (None, np.array([2, 2]), Ellipsis)),
    # boolean masks, alone and mixed
    _static((3, 4), MASK),
    _static((3, 4), (MASK[:, 0], slice(1, None))),
    _static((3, 4, 2), (Ellipsis, np.array([True, False]))),
    _static((3, 4), (np.array([True, False, True]), np.array([0, 3]))),
    _static((3, 4), True),
    # 0-d and empty arrays
    *[_static((), i) for i in [(), Ellipsis, None, np.array(True)]],
    _static((0, 3), (slice(None), 1)),
    _static((4,), np.array([], dtype=int)),
    _static((3, 4), np.zeros((3, 4), dtype=bool)),
    _static((3, 0), (Ellipsis, None)),
    # index arrays from input boxes (an embedding lookup; a mask fed at run time)
    _boxed((5, 3), _ids(5, 7), "ids", lambda i: i),
    _boxed((3, 4), _ids(4, (2, 3)), ":,ids", lambda i: (slice(None), i)),
    _boxed((3, 4), lambda rng: rng.random((3, 4)) > 0.4, "mask", lambda i: i),
    _boxed((4, 2, 3), _ids(2, 5), "...,ids,1:", lambda i: (Ellipsis, i, slice(1, None))),
]


def _add_at(shape: tuple, index: Any, values: tuple) -> Case:
    """af.add_at(a, index, values) against np.add.at on a copy."""
    def build(a: af.Box, v: af.Box) -> af.Box:
        return af.add_at(a, index, v)
    build.__name__ = f"add_at[{_source(index)}]"

    def reference(a: np.ndarray, v: np.ndarray) -> np.ndarray:
        y = a.copy()
        np.add.at(y, index, v)
        return y
    return Case(build, (shape, values), reference)


def _added_at_ids(a: af.Box, v: af.Box, i: af.Box) -> af.Box:
    return af.add_at(a, (i, slice(1, None)), v)


def _np_added_at_ids(a: np.ndarray, v: np.ndarray, i: np.ndarray) -> np.ndarray:
    y = a.copy()
    np.add.at(y, (i, slice(1, None)), v)
    return y


def _take(shape: tuple, indices: Any, axis: Any) -> Case:
    def build(a: af.Box) -> af.Box:
        return af.take(a, indices, axis=axis)
    build.__name__ = f"take[axis={axis}]"
    return Case(build, (shape,), lambda a: np.take(a, indices, axis=axis))


TABLE += [
    # np.add.at as a new box: repeated entries get every value added
    _add_at((5,), REPEATS, (5,)),
    _add_at((3, 4), (slice(None), np.array([1, 3, 1])), (3, 3)),
    _add_at((3, 4), (np.array([0, 2, 0]), np.array([1, 1, 1])), ()),
    _add_at((3, 4), (Ellipsis, 2), (3,)),
    _add_at((2, 3), np.array([1, 1]), (1, 3)),
    Case(_added_at_ids, ((4, 3), (5, 2), Aux(_ids(4, 5), "index")), _np_added_at_ids),
    # np.take: along an axis, or of the flattened array
    _take((5,), [4, 0, 4], None),
    _take((3, 4), np.array([[1, 1], [-1, 0]]), 1),
    _take((3, 4), 2, 0),
    _take((2, 3, 4), [3, 3, 0], -1),
    _take((2, 3), np.array([5, 0]), None),
]


@parametrize(TABLE)
def test_indexing(case: Case, check) -> None:
    check(case)


def test_repeated_indices_accumulate_their_gradients() -> None:
    x = af.Parameter(np.arange(4.0), name="x")
    ids = af.Input("ids")
    y = (x[ids] * np.array([1.0, 10.0, 100.0, 1000.0])).sum()
    graph = af.FlowGraph(y)
    graph.fprop({ids: np.array([2, 0, 2, -2])})
    np.testing.assert_array_equal(graph.bprop()[x], [10.0, 0.0, 1101.0, 0.0])
    boxed = af.FlowGraph(af.grad(y, x)).fprop({ids: np.array([2, 0, 2, -2])})
    np.testing.assert_array_equal(boxed, [10.0, 0.0, 1101.0, 0.0])
    assert ids.grad is None


def test_an_embedding_lookup_takes_batches_of_any_size() -> None:
    table = af.Parameter(np.arange(12.0).reshape(4, 3), name="embedding")
    tokens = af.Input("tokens")
    graph = af.FlowGraph(table[tokens].sum())
    for batch in (np.array([[1, 1], [3, 0]]), np.array([2])):
        graph.fprop({tokens: batch})
        expected = np.zeros((4, 3))
        np.add.at(expected, batch, 1.0)
        np.testing.assert_array_equal(graph.bprop()[table], expected)


def test_a_mask_from_a_comparison_box_selects_entries() -> None:
    x = af.Parameter(np.array([[-1.0, 2.0], [3.0, -4.0]]), name="x")
    positive = x[x > 0]
    graph = af.FlowGraph((positive * positive).sum())
    assert graph.fprop() == 13.0
    np.testing.assert_array_equal(graph.bprop()[x], [[0.0, 4.0], [6.0, 0.0]])


def _fprop_error(box: af.Box, feed: dict | None = None) -> str:
    with pytest.raises(af.BoxError) as error:
        af.FlowGraph(box).fprop(feed)
    return str(error.value)


def test_an_index_out_of_range_names_the_axis_its_length_and_the_index() -> None:
    x = af.Parameter(np.zeros((3, 4)), name="x")
    message = _fprop_error(x[1, 4])
    assert message.startswith("GetItem 'getitem' (created at test_indexing.py:")
    assert ("index 4 is out of range for axis 1 of length 4 (the array has shape (3, 4)); "
            "valid indices are -4..3.") in message
    assert "indices [-5, 9] are out of range for axis 1 of length 4" in _fprop_error(
        x[:, [0, 9, -5, 9]])
    assert "index -4 is out of range for axis 0 of length 3" in _fprop_error(x[-4])
    ids = af.Input("ids")
    assert "index 3 is out of range for axis 0 of length 3" in _fprop_error(
        x[ids], {ids: np.array([0, 3])})
    assert "axis 0 of length 0" in _fprop_error(
        af.Parameter(np.zeros((0, 2)), name="empty")[0])


def test_too_many_indices_and_two_ellipses_are_clear_errors() -> None:
    x = af.Parameter(np.zeros((3, 4)), name="x")
    assert ("too many indices: the index [0, 1, None, 2] uses 3 axes but the array has "
            "shape (3, 4) (2 axes)") in _fprop_error(x[0, 1, None, 2])
    with pytest.raises(af.BoxError, match=r"one Ellipsis \(\.\.\.\) only"):
        x[..., 0, ...]


def test_a_mask_of_the_wrong_shape_names_both_shapes() -> None:
    x = af.Parameter(np.zeros((3, 4)), name="x")
    assert ("a boolean mask of shape (4,) must have the shape (3,) of the axis 0 it indexes "
            "(the array has shape (3, 4))") in _fprop_error(x[np.ones(4, bool)])
    mask = af.Input("mask")
    assert ("a boolean mask of shape (3, 3) must have the shape (3, 4) of the axes 0..1 it "
            "indexes") in _fprop_error(x[mask], {mask: np.ones((3, 3), bool)})


def test_a_non_integer_index_is_refused() -> None:
    x = af.Parameter(np.zeros((3, 4)), name="x")
    with pytest.raises(af.BoxError, match=r"GetItem \(created at test_indexing.py:\d+\): "
                                          r"index arrays must hold integers or booleans, got "
                                          r"a float64 array of shape \(2,\); convert it"):
        x[np.array([0.0, 1.0])]
    ids = af.Input("ids")
    assert "index arrays must hold integers or booleans, got a float32 array of shape (1,)" \
        in _fprop_error(x[ids], {ids: np.array([1.0], np.float32)})
    for bad in (1.5, "a", slice(0, 1.5), slice(None, None, 0)):
        with pytest.raises(af.BoxError, match="GetItem"):
            x[bad]


def test_arrays_that_do_not_broadcast_together_say_so() -> None:
    x = af.Parameter(np.zeros((3, 4)), name="x")
    assert "the index arrays (shapes (2,), (3,)) do not broadcast together" in _fprop_error(
        x[[0, 1], [0, 1, 2]])


def test_a_box_cannot_be_assigned_to() -> None:
    x = af.Parameter(np.zeros(3), name="x")
    with pytest.raises(TypeError, match="cannot be assigned to.*af.where"):
        x[0] = 1.0


def test_pick_is_kept_beside_indexing() -> None:
    a = af.Parameter(np.arange(6.0).reshape(2, 3), name="scores")
    labels = np.array([2, 0])
    picked = af.FlowGraph(af.pick(a, labels)).fprop()
    indexed = af.FlowGraph(a[np.arange(2), labels]).fprop()
    np.testing.assert_array_equal(picked, indexed)


def test_the_code_printed_for_a_graph_rebuilds_its_indexing() -> None:
    x = af.Parameter(np.arange(12.0).reshape(3, 4), name="x")
    ids = af.Input("ids")
    y = (x[ids, 1:, None][..., 0].sum() + x[()][::-2, np.array([True, False, True, True])].sum()
         + ops.GetItem(x, 1, name="row")[1:2].sum())
    feed = {ids: np.array([0, 2, 2])}
    namespace: dict[str, Any] = {}
    exec(to_python(y, feed, check=""), namespace)
    assert af.FlowGraph(namespace["out"]).fprop(namespace["feed"]) == af.FlowGraph(y).fprop(feed)


def test_add_at_returns_a_new_box_and_repeated_entries_add_up() -> None:
    a = af.Parameter(np.zeros(3), name="a")
    values = af.Parameter(np.array([1.0, 2.0, 4.0]), name="values")
    y = af.add_at(a, [2, 0, 2], values)
    graph = af.FlowGraph((y * np.array([10.0, 20.0, 30.0])).sum())
    assert graph.fprop() == 10.0 * 2.0 + 30.0 * 5.0
    grads = graph.bprop()
    np.testing.assert_array_equal(grads[values], [30.0, 10.0, 30.0])
    np.testing.assert_array_equal(grads[a], [10.0, 20.0, 30.0])
    assert a.value.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(TypeError, match=r"np.add.at has no box form"):
        np.add.at(a, [0], 1.0)


def test_add_at_and_take_errors_name_the_box() -> None:
    a = af.Parameter(np.zeros((3, 4)), name="a")
    message = _fprop_error(af.add_at(a, (slice(None), [4]), 1.0))
    assert message.startswith("AddAt 'addat' (created at test_indexing.py:")
    assert "index 4 is out of range for axis 1 of length 4" in message
    assert "values of shape (2,) do not broadcast to the shape (3, 1) of the entries " \
           "indexed by [:, <int64 array (1,)>]" in _fprop_error(
               af.add_at(a, (slice(None), [1]), np.ones(2)))
    with pytest.raises(af.BoxError, match=r"take \(called at test_indexing.py:\d+\): "
                                          r"mode='clip' is not supported"):
        af.take(a, [0], mode="clip")
    with pytest.raises(af.BoxError, match="axis must be an integer or None"):
        af.take(a, [0], axis=1.5)


def test_take_is_a_numpy_call_and_a_method_of_boxes() -> None:
    a = af.Parameter(np.arange(6.0).reshape(2, 3), name="a")
    for box in (np.take(a, [2, 2], axis=1), a.take([2, 2], axis=1)):
        graph = af.FlowGraph(box.sum())
        assert graph.fprop() == 2 * (2.0 + 5.0)
        np.testing.assert_array_equal(graph.bprop()[a], [[0, 0, 2], [0, 0, 2]])
