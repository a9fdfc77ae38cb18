"""Arrangement primitives (flip, rot90, roll, tile, repeat, pad in its five modes, sort)
through the one table checker; closed forms of their gradients and their errors."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops

from .table import DOMAINS, Aux, Case, parametrize


def pad_with(a, constant_values, pad_width):
    """af.pad with a box as the constant (so the constant gets a gradient too)."""
    return af.pad(a, pad_width, constant_values=constant_values)


def np_pad_with(a, constant_values, pad_width):
    return np.pad(a, pad_width, constant_values=constant_values)


def _unsorted(g, a, axis=-1):
    """g moved back to where each entry of a was before sorting (numpy only)."""
    if axis is None:
        return g[np.argsort(np.argsort(a, axis=None, kind="stable"), kind="stable")].reshape(
            np.shape(a))
    inverse = np.argsort(np.argsort(a, axis=axis, kind="stable"), axis=axis, kind="stable")
    return np.take_along_axis(g, inverse, axis)


def _distinct(shape) -> Aux:
    return Aux(lambda rng: DOMAINS["distinct"].sample(rng, shape), "a")


TABLE: list[Case] = [
    *[Case(af.flip, (s,), np.flip, kwargs=k)
      for s, k in [((2, 3), {}), ((2, 3, 4), {"axis": -1}), ((2, 3, 4), {"axis": (0, 2)}),
                   ((), {}), ((0, 3), {"axis": 1})]],
    Case(af.fliplr, ((2, 3),), np.fliplr),
    Case(af.flipud, ((3,),), np.flipud),
    *[Case(af.rot90, (s,), np.rot90, kwargs=k)
      for s, k in [((2, 3), {}), ((2, 3, 4), {"k": -1, "axes": (1, -1)}), ((3, 3), {"k": 2}),
                   ((2, 3), {"k": 3, "axes": (1, 0)}), ((0, 2), {"k": 1})]],
    *[Case(af.roll, (s,), np.roll, kwargs=k)
      for s, k in [((5,), {"shift": 2}), ((2, 3), {"shift": 1}),
                   ((2, 3, 4), {"shift": (1, -2), "axis": (0, -1)}),
                   ((2, 3), {"shift": (1, 2), "axis": 0}), ((), {"shift": 1}),
                   ((0, 3), {"shift": 1, "axis": 1})]],
    *[Case(af.tile, (s,), np.tile, kwargs={"reps": r})
      for s, r in [((2, 3), 2), ((2, 3), (2, 1, 2)), ((3,), (2, 2)), ((), 3), ((2, 3), (2,)),
                   ((2, 0), 2), ((2, 3), (0, 1))]],
    *[Case(af.repeat, (s,), np.repeat, kwargs=k)
      for s, k in [((2, 3), {"repeats": 2}), ((2, 3), {"repeats": [1, 0, 2], "axis": 1}),
                   ((2, 3), {"repeats": 3, "axis": -2}), ((), {"repeats": 3}),
                   ((3,), {"repeats": [2]}), ((0, 3), {"repeats": 2, "axis": 0}),
                   ((2, 2), {"repeats": [0, 0, 3, 1]})]],
    *[Case(af.pad, (s,), np.pad, kwargs={"pad_width": w})
      for s, w in [((2, 3), 1), ((2, 3), ((1, 0), (2, 1))), ((3,), (0, 2)), ((), 2),
                   ((0, 2), 1)]],
    # copies of the input's entries; widths beyond the axis's length copy copies, as numpy
    *[Case(af.pad, (s,), np.pad, kwargs={"pad_width": w, "mode": m})
      for m in ("edge", "reflect", "symmetric", "wrap")
      for s, w in [((2, 3), ((1, 2), (2, 1))), ((4,), (5, 7)), ((3, 1, 2), 2), ((), 1),
                   ((0, 3), ((0, 0), (1, 2)))]],
    # the constant is a box: it gets the gradient summed over the entries it fills
    *[Case(pad_with, (s, c), np_pad_with, kwargs={"pad_width": w})
      for s, c, w in [((2, 3), (), ((1, 0), (2, 1))), ((3,), (2,), 2), ((2, 3), (2, 2), 1),
                      ((2, 2), (2,), [[1], [2]]), ((2, 3), (2, 1), 1), ((), (), 1)]],
    *[Case(af.sort, (s,), np.sort, domain="distinct", kwargs=k)
      for s, k in [((5,), {}), ((3, 4), {"axis": 0}), ((2, 3, 4), {"axis": -1}),
                   ((2, 3), {"axis": None}), ((0, 3), {}), ((), {"axis": None})]],
    *[Case(ops.Unsort, (g, _distinct(a)), _unsorted, kwargs=k)
      for g, a, k in [((5,), (5,), {}), ((3, 4), (3, 4), {"axis": 0}),
                      ((6,), (2, 3), {"axis": None})]],
]


@parametrize(TABLE)
def test_arrange(case: Case, check) -> None:
    check(case)


def _gradient(box: af.Box, wrt: af.Box, seed=None):
    graph = af.FlowGraph(box, wrt=[wrt])
    graph.fprop()
    return graph.bprop(seed)[wrt]


def test_the_gradient_of_repeat_sums_each_entrys_copies() -> None:
    x = af.Parameter(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), name="x")
    seed = np.arange(1.0, 11.0).reshape(2, 5)  # copies: entry 0 once, 1 never, 2 four times
    grad = _gradient(af.repeat(x, [1, 0, 4], axis=1), x, seed)
    np.testing.assert_array_equal(grad, [[1, 0, 2 + 3 + 4 + 5], [6, 0, 7 + 8 + 9 + 10]])
    np.testing.assert_array_equal(_gradient(af.repeat(x, 3).sum(), x), np.full((2, 3), 3.0))


def test_the_gradient_of_tile_sums_the_tiles() -> None:
    x = af.Parameter(np.array([1.0, 2.0]), name="x")
    seed = np.arange(12.0).reshape(2, 6)
    np.testing.assert_array_equal(_gradient(af.tile(x, (2, 3)), x, seed),
                                  [0 + 2 + 4 + 6 + 8 + 10, 1 + 3 + 5 + 7 + 9 + 11])


def test_the_gradient_of_sort_is_the_inverse_permutation_of_the_upstream_gradient() -> None:
    x = af.Parameter(np.array([3.0, 1.0, 2.0]), name="x")
    seed = np.array([10.0, 20.0, 30.0])  # for the sorted values 1, 2, 3
    np.testing.assert_array_equal(_gradient(af.sort(x), x, seed), [30.0, 10.0, 20.0])
    boxed = af.FlowGraph(af.grad(af.sort(x), x, seed=seed)).fprop()
    np.testing.assert_array_equal(boxed, [30.0, 10.0, 20.0])


def test_sort_gives_tied_entries_their_gradient_in_the_stable_order() -> None:
    """Equal entries keep their order (numpy's stable sort): the first 1.0 of a is the
    first 1.0 of the result."""
    x = af.Parameter(np.array([[1.0, 0.0, 1.0, 1.0]]), name="x")
    seed = np.array([[5.0, 6.0, 7.0, 8.0]])
    np.testing.assert_array_equal(_gradient(af.sort(x), x, seed), [[6.0, 5.0, 7.0, 8.0]])


def test_the_constant_of_pad_gets_the_gradient_of_the_entries_it_fills() -> None:
    x = af.Parameter(np.ones((2, 3)), name="x")
    c = af.Parameter(np.array([[1.0, 2.0], [3.0, 4.0]]), name="c")
    graph = af.FlowGraph(af.pad(x, 1, constant_values=c).sum(), wrt=[x, c])
    value = graph.fprop()
    assert value == np.pad(np.ones((2, 3)), 1, constant_values=c.value).sum()
    grads = graph.bprop()
    np.testing.assert_array_equal(grads[x], np.ones((2, 3)))
    # axis 0 pads one row of 3 before and after; axis 1 then pads whole columns of 4
    np.testing.assert_array_equal(grads[c], [[3.0, 3.0], [4.0, 4.0]])


def test_the_copies_of_pad_give_their_gradient_to_the_entries_they_copy() -> None:
    x = af.Parameter(np.array([1.0, 2.0, 3.0]), name="x")
    seed = np.array([10.0, 20.0, 1.0, 2.0, 3.0, 30.0, 40.0])
    expected = {  # padded with two entries each side
        "edge": [1 + 10 + 20, 2, 3 + 30 + 40],  # 1 1 | 1 2 3 | 3 3
        "reflect": [1 + 40, 2 + 20 + 30, 3 + 10],  # 3 2 | 1 2 3 | 2 1
        "symmetric": [1 + 20, 2 + 10 + 40, 3 + 30],  # 2 1 | 1 2 3 | 3 2
        "wrap": [1 + 30, 2 + 10 + 40, 3 + 20],  # 2 3 | 1 2 3 | 1 2
    }
    for mode, gradient in expected.items():
        assert np.array_equal(af.FlowGraph(af.pad(x, 2, mode=mode)).fprop(),
                              np.pad(x.value, 2, mode=mode))
        np.testing.assert_array_equal(_gradient(af.pad(x, 2, mode=mode), x, seed), gradient,
                                      err_msg=mode)


@pytest.mark.parametrize(("build", "message"), [
    (lambda x: af.pad(x, 1, mode="linear_ramp"),
     r"Pad 'pad' \(created at test_arrange.py:\d+\): mode 'linear_ramp' is not supported; "
     "the modes are 'constant', 'edge', 'reflect', 'symmetric', 'wrap'"),
    (lambda x: af.pad(x, 1, mode="edge", constant_values=2.0),
     r"constant_values fills mode='constant' only; mode 'edge' pads with copies"),
    (lambda x: af.pad(x, 1.5), r"pad_width must be non-negative integers.*got 1.5"),
    (lambda x: af.pad(x, ((1, 2), (3,))), r"pad_width must be non-negative integers"),
    (lambda x: af.pad(x, -1), r"pad_width must be non-negative integers"),
    (lambda x: af.repeat(x, [1, -1]), r"repeats \[1, -1\] has a negative count"),
    (lambda x: af.repeat(x, 1.5), r"repeats must be an integer or a sequence of integers"),
    (lambda x: af.tile(x, (2, -1)), r"reps \(2, -1\) has a negative count"),
    (lambda x: af.roll(x, (1, 2), axis=(0, 1, 2)), r"shift \(1, 2\) and axis \(0, 1, 2\) must"),
    (lambda x: af.rot90(x, axes=(0, 1, 2)), r"axes must name two axes"),
    (lambda x: af.rot90(x, k=0.5), r"k must be an integer"),
    (lambda x: af.sort(x, axis=(0, 1)), r"axis must be an integer"),
])
def test_bad_settings_are_refused_when_the_box_is_made(build, message) -> None:
    with pytest.raises(af.BoxError, match=message):
        build(af.Input("x"))


@pytest.mark.parametrize(("build", "shape", "message"), [
    (lambda x: af.repeat(x, [1, 2, 3], axis=0), (2, 4),
     r"Repeat 'repeat' \(created at test_arrange.py:\d+\): repeats has 3 counts but axis 0 of "
     r"the input of shape \(2, 4\) has 2 entries; give one count per entry, or a single count"),
    (lambda x: af.repeat(x, [1, 2]), (2, 2), r"repeats has 2 counts but the flattened input"),
    (lambda x: af.repeat(x, 2, axis=2), (2, 4), r"axis 2 is out of range .*shape \(2, 4\)"),
    (lambda x: af.repeat(x, 2, axis=1), (), r"axis 1 is out of range .*a 0-d array"),
    (lambda x: af.pad(x, ((1, 1), (2, 2), (3, 3))), (2, 4),
     r"pad_width \[\[1, 1\], \[2, 2\], \[3, 3\]\] does not fit an input of shape \(2, 4\): "
     "give one width, one \\(before, after\\) pair, or 2 pairs"),
    (lambda x: af.pad(x, 1, constant_values=np.zeros((3, 2))), (2, 4),
     r"constant_values of shape \(3, 2\) do not fit an input of shape \(2, 4\)"),
    (lambda x: af.pad(x, ((0, 0), (1, 0)), mode="reflect"), (2, 0),
     r"mode 'reflect' copies entries of the input, and its axis 1 \(shape \(2, 0\)\) has "
     "none; pad it with mode='constant'"),
    (lambda x: af.flip(x, (0, 2)), (2, 4), r"Flip 'flip' .*: axis 2 is out of range"),
    (lambda x: af.fliplr(x), (3,), r"Flip 'fliplr' .*: axis 1 is out of range .*shape \(3,\)"),
    (lambda x: af.rot90(x, axes=(0, -2)), (2, 4),
     r"axes \(0, -2\) names an axis twice for an input of shape \(2, 4\)"),
    (lambda x: af.rot90(x), (4,), r"axes 1 is out of range .*shape \(4,\)"),
    (lambda x: af.roll(x, 1, axis=3), (2, 4), r"axis 3 is out of range"),
    (lambda x: af.sort(x), (), r"Sort 'sort' .*: axis -1 is out of range .*a 0-d array"),
])
def test_an_axis_or_count_that_does_not_fit_the_input_is_a_clear_error(build, shape,
                                                                       message) -> None:
    x = af.Input("x")
    with pytest.raises(af.BoxError, match=message):
        af.FlowGraph(build(x)).fprop({x: np.zeros(shape)})


def test_settings_may_be_numpy_integers_and_arrays() -> None:
    x = af.Parameter(np.arange(6.0).reshape(2, 3), name="x")
    counts = np.array([1, 2, 0])
    for box, expected in [(af.rot90(x, np.array(3)), np.rot90(x.value, 3)),
                          (af.repeat(x, counts, axis=np.int64(1)), np.repeat(x.value, counts, 1)),
                          (af.roll(x, np.int32(-1), axis=0), np.roll(x.value, -1, 0))]:
        np.testing.assert_array_equal(af.FlowGraph(box).fprop(), expected)
