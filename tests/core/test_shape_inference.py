"""Issue 20: a box's shape, ndim, size, dtype and len() before its graph runs, worked out
from what its leaves declare (Input shapes and dtypes, Parameters, Constants), and a
ShapeUnknownError naming the box and the reason when they cannot be known."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.errors import ShapeUnknownError


def _network() -> tuple[af.Input, af.Input, af.Parameter, list[af.Box]]:
    x = af.Input("x", shape=(4, 3), dtype=np.float32)
    labels = af.Input("labels", shape=(4,), dtype=np.int64)
    W = af.Parameter(np.ones((3, 5), np.float32), name="W")
    hidden = af.tanh(x @ W + 1.0)
    boxes = [hidden, hidden.sum(axis=0), hidden[:, 1:3], af.logsumexp(hidden),
             hidden.T.reshape(-1), af.concatenate([hidden, hidden], axis=1),
             af.softmax_cross_entropy(hidden, labels, reduction="none"),
             hidden.astype(np.float64) * 2, af.sum(hidden, where=hidden > 0)]
    return x, labels, W, boxes


def test_shape_ndim_size_dtype_and_len_are_those_the_graph_computes() -> None:
    x, labels, W, boxes = _network()
    expected = [(b.shape, b.ndim, b.size, b.dtype, np.shape(b), np.ndim(b), np.size(b))
                for b in boxes]
    lengths = [len(b) if b.ndim else None for b in boxes]
    values = af.FlowGraph(boxes).fprop({x: np.random.default_rng(1).standard_normal(
        (4, 3)).astype(np.float32), labels: np.array([0, 4, 2, 1])})
    for box, value, (shape, ndim, size, dtype, *numpy), length in zip(
            boxes, values, expected, lengths):
        assert (shape, ndim, size, dtype) == (value.shape, value.ndim, value.size,
                                              value.dtype), box
        assert numpy == [value.shape, value.ndim, value.size]
        assert length == (len(value) if value.ndim else None)
    assert W.shape == (3, 5) and W.dtype == np.float32 and len(W) == 3
    assert af.Constant(2.5).shape == () and x.ndim == 2


def test_working_out_a_shape_does_not_touch_a_run_in_progress() -> None:
    x, labels, W, boxes = _network()
    loss = af.mean(boxes[6])
    graph = af.FlowGraph(loss)
    feed = {x: np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3),
            labels: np.array([0, 4, 2, 1])}
    value = graph.fprop(feed)
    expected = graph.bprop()[W].copy()
    graph.fprop(feed)
    assert [b.shape for b in boxes] and boxes[0].value is not None
    assert graph.bprop()[W].tolist() == expected.tolist()
    assert loss.value == value and not np.array_equal(boxes[0].value, 0)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: af.Input("z") * 2, r"Input 'z' .* declares no shape.*af.Input\('z', shape="),
    (lambda: af.tanh(af.Input("z", shape=(None, 3))),
     r"Input 'z' .* declares shape \(None, 3\).*declare the Input's whole shape"),
    (lambda: (lambda x: x[x > 0])(af.Input("z", shape=(3,))),
     r"GetItem .* follows the values fed to its inputs"),
    (lambda: af.Input("z", shape=(2, 3)) @ af.Parameter(np.ones((4, 5)), name="W"),
     r"MatMul .* fails on stand-in values of the declared shapes"),
])
def test_a_shape_not_known_before_a_run_is_a_clear_error(build, message) -> None:
    box = build()
    for read in (lambda: box.shape, lambda: box.ndim, lambda: len(box), lambda: np.shape(box)):
        with pytest.raises(ShapeUnknownError, match=message) as caught:
            read()
        assert f"'{box.name}'" in str(caught.value).split(":")[0]
        assert "feed the graph and read box.value after fprop" in str(caught.value)
    assert not hasattr(box, "shape")  # an AttributeError, so hasattr and getattr work
    with pytest.raises(TypeError):  # and a TypeError for len(), as for any unsized object
        len(box)


def test_a_dtype_needs_every_input_to_declare_one() -> None:
    x = af.Input("x", shape=(2,))
    box = af.exp(x) + af.Parameter(np.ones(2, np.float32), name="b")
    assert box.shape == (2,)
    with pytest.raises(ShapeUnknownError, match=r"Input 'x' .* declares no dtype.*dtype=np"):
        box.dtype  # noqa: B018


def test_a_box_of_ones_own_is_not_run_outside_a_graph_run() -> None:
    class Cube(af.Box):
        calls = 0

        def fprop(self, a):
            Cube.calls += 1
            return a ** 3

        def bprop(self, grad, a):
            return 3 * a ** 2 * grad

    cube = Cube(af.Parameter(np.ones(3), name="p"))
    with pytest.raises(ShapeUnknownError, match=r"Cube .* a box of your own"):
        cube.shape  # noqa: B018
    assert Cube.calls == 0


def test_len_of_a_0d_box_is_numpys_error() -> None:
    with pytest.raises(TypeError, match=r"0-d: it has no len\(\)"):
        len(af.sum(af.Parameter(np.ones(3), name="p")))


def test_a_box_of_known_length_iterates_as_an_array_does() -> None:
    """``for row in box``, ``a, b = box`` and numpy functions that read a box as a
    sequence (np.vstack(box)) give its rows, box[0], box[1], ..., with their gradients."""
    x = af.Input("x", shape=(3, 2))
    W = af.Parameter(np.arange(6.0).reshape(3, 2), name="W")
    first, second, third = W
    rows = [row * 2 for row in x]
    stacked = np.vstack(W)
    feed = {x: np.ones((3, 2))}
    values = af.FlowGraph([first, third, *rows, stacked]).fprop(feed)
    np.testing.assert_array_equal(values[0], [0.0, 1.0])
    np.testing.assert_array_equal(values[1], [4.0, 5.0])
    assert len(rows) == 3 and all(np.array_equal(v, [2.0, 2.0]) for v in values[2:5])
    np.testing.assert_array_equal(values[5], W.value)
    graph = af.FlowGraph(af.sum(second * np.array([3.0, 4.0])))
    graph.fprop()
    gradient = graph.bprop()[W]
    np.testing.assert_array_equal(gradient, [[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])


def test_iterating_a_box_of_unknown_or_no_length_says_why() -> None:
    with pytest.raises(ShapeUnknownError, match=r"Mul 'mul' .*: its length \(to iterate it\) "
                       r"is known only when the graph runs \(Input 'z' .* declares no shape"):
        a, b = af.Input("z") * 2
    with pytest.raises(TypeError, match=r"0-d: it is not iterable, as a 0-d array is not"):
        list(af.sum(af.Parameter(np.ones(3), name="p")))
