"""Shape primitives through the one table checker, and their errors."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops

from .table import Aux, Case, parametrize


def _pick(a: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return a[np.arange(len(a)), labels]


def _labels(rows: int, classes: int) -> Aux:
    return Aux(lambda rng: rng.integers(0, classes, size=rows), "labels")


def _meshgrid(count: int, part: int, **settings: Any) -> Case:
    """Grid ``part`` of the meshgrid of ``count`` vectors (lengths 2, 3, 4, ...)."""
    def build(*xi: af.Box) -> af.Box:
        return af.meshgrid(*xi, **settings)[part]
    build.__name__ = "meshgrid" + "".join(f",{k}={v}" for k, v in settings.items())
    shapes = tuple((n,) for n in range(2, count + 2))
    return Case(build, shapes, lambda *xi: np.meshgrid(*xi, **settings)[part])


def _broadcast(*shapes: tuple) -> Case:
    """sum_k (k + 1) b_k of the arrays b_k of af.broadcast_arrays (each gets a gradient)."""
    def weighted(parts: Any) -> Any:
        return sum((k + 1.0) * part for k, part in enumerate(parts))

    def build(*arrays: af.Box) -> af.Box:
        return weighted(af.broadcast_arrays(*arrays))
    build.__name__ = "broadcast_arrays"
    return Case(build, shapes, lambda *arrays: weighted(np.broadcast_arrays(*arrays)))


def _sparse_grids_added(*xi: af.Box) -> af.Box:
    first, *others = af.meshgrid(*xi, sparse=True)
    for grid in others:
        first = first + grid
    return first


def _meshgrid_of_a_matrix(a: af.Box) -> af.Box:
    return af.meshgrid(a)[0]


TABLE: list[Case] = [
    *[Case(ops.Reshape, ((2, 3, 4),), np.reshape, kwargs={"shape": s},
           reference_kwargs={"shape": s}) for s in [(6, 4), (-1,), (4, 1, 6), (2, -1, 2)]],
    *[Case(ops.Transpose, (s,), np.transpose, kwargs={"axes": x})
      for s, x in [((2, 3), None), ((2, 3, 4), None), ((2, 3, 4), (1, 0, 2)),
                   ((2, 3, 4), (2, 0, 1)), ((3,), None), ((2, 3, 4), (-1, 0, 1))]],
    *[Case(ops.Pick, ((n, c), _labels(n, c)), _pick) for n, c in [(4, 3), (1, 5), (6, 2)]],
    *[Case(f, (s,), getattr(np, f.__name__)) for f in (af.atleast_1d, af.atleast_2d,
                                                        af.atleast_3d)
      for s in [(), (3,), (2, 3), (2, 1, 3), (0,)]],
    *[_meshgrid(n, k, **settings) for n, k, settings in [
        (2, 0, {}), (2, 1, {}), (3, 2, {}), (3, 0, {"indexing": "ij"}),
        (2, 1, {"indexing": "ij"}), (1, 0, {})]],
    Case(_sparse_grids_added, ((2,), (3,), (4,)), lambda *xi: sum(np.meshgrid(*xi, sparse=True))),
    Case(_meshgrid_of_a_matrix, ((2, 3),), lambda a: np.meshgrid(a)[0]),
    # -- issue 15 --
    *[Case(af.expand_dims, (s,), np.expand_dims, kwargs={"axis": x})
      for s, x in [((2, 3), 0), ((2, 3), -1), ((2, 3), (0, 3)), ((3,), (-1, 0)), ((), 0),
                   ((2, 0), 1)]],
    *[Case(af.squeeze, (s,), np.squeeze, kwargs=k)
      for s, k in [((1, 3, 1), {}), ((1, 3, 1), {"axis": -1}), ((1, 3, 1), {"axis": (0, 2)}),
                   ((2, 3), {}), ((), {}), ((), {"axis": 0}), ((1, 0), {"axis": 0})]],
    *[Case(af.swapaxes, (s,), np.swapaxes, kwargs={"axis1": i, "axis2": j})
      for s, i, j in [((2, 3), 0, 1), ((2, 3, 4), -1, 0), ((2, 3, 4), 1, 1), ((0, 3), 0, -1)]],
    *[Case(af.moveaxis, (s,), np.moveaxis, kwargs={"source": i, "destination": j})
      for s, i, j in [((2, 3, 4), 0, -1), ((2, 3, 4), (0, 1), (-1, 0)), ((2, 3), 1, 0),
                      ((2, 0, 3), [0, 2], [2, 0])]],
    *[Case(af.broadcast_to, (s,), np.broadcast_to, kwargs={"shape": t})
      for s, t in [((3,), (2, 3)), ((2, 1), (2, 4)), ((), (2, 2)), ((1, 3), (0, 3)),
                   ((2, 3), (2, 3)), ((), ())]],
    *[Case(lambda a, value=value: af.full_like(a, value), (s,),
           lambda a, value=value: np.full_like(a, value), differentiable=False)
      for s, value in [((2, 3), 2.5), ((), -1.0), ((0, 2), 1.0), ((3,), np.inf)]],
    *[_broadcast(*shapes) for shapes in [
        ((3,), (2, 1)), ((1, 2, 1), (1, 1), (5, 1, 1)), ((), (2,)), ((0, 1), (3,)),
        ((2, 3),)]],
    *[Case(function, (s,), np.ravel) for function, s in [
        (af.flatten, (2, 3)), (af.ravel, (2, 3, 4)), (af.flatten, ()), (af.ravel, (0, 3))]],
    *[Case(af.astype, (s,), lambda a, dtype: a.astype(dtype), kwargs={"dtype": d},
           float32=False) for s, d in [((2, 3), np.float64), ((3,), "float64"), ((), float),
                                       ((2, 0), np.float64)]],
    # extended precision: the gradient comes back in float64
    Case(af.astype, ((2, 3),), lambda a, dtype: a.astype(dtype),
         kwargs={"dtype": np.longdouble}, float32=False),
    # no gradient through integers and booleans (piecewise constant): values only
    *[Case(af.astype, (s,), lambda a, dtype: a.astype(dtype), kwargs={"dtype": d},
           differentiable=False) for s, d in [((2, 3), np.int64), ((3,), bool), ((), "int32")]],
    # float64 -> float32 rounds: central differences of it are not accurate, so the
    # values are checked here and the gradient in test_astype_gradient_comes_back_...
    Case(af.astype, ((2, 3),), lambda a, dtype: a.astype(dtype), kwargs={"dtype": np.float32},
         differentiable=False),
    *[Case(af.rollaxis, ((2, 3, 4),), np.rollaxis, kwargs=k)
      for k in ({"axis": 2}, {"axis": 0, "start": 3}, {"axis": -1, "start": -3},
                {"axis": 1, "start": 1})],
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


def _value(box: af.Box, feed=None):
    return af.FlowGraph(box).fprop(feed or {})


def test_transpose_method_takes_numpys_spellings() -> None:
    a = af.Parameter(np.arange(24.0).reshape(2, 3, 4))
    array = a.value
    for box, expected in [(a.transpose(), array.transpose()),
                          (a.transpose(None), array.transpose()),
                          (a.transpose(1, 0, 2), array.transpose(1, 0, 2)),
                          (a.transpose((2, 0, 1)), array.transpose((2, 0, 1))),
                          (a.transpose([-1, 0, 1]), array.transpose([-1, 0, 1]))]:
        assert isinstance(box, ops.Transpose)
        np.testing.assert_array_equal(_value(box), expected)


def test_flatten_and_ravel_methods_are_reshapes_to_one_axis() -> None:
    a = af.Parameter(np.arange(6.0).reshape(2, 3))
    for box in (a.flatten(), a.ravel(), af.flatten(a), af.ravel(a)):
        assert isinstance(box, ops.Reshape)
        np.testing.assert_array_equal(_value(box), np.arange(6.0))


def test_methods_build_the_boxes_of_the_functions() -> None:
    a = af.Parameter(np.arange(6.0).reshape(1, 2, 3))
    assert isinstance(a.squeeze(0), ops.Squeeze)
    assert isinstance(a.swapaxes(0, 2), ops.SwapAxes)
    assert isinstance(a.astype(np.float32), ops.Astype)
    np.testing.assert_array_equal(_value(a.squeeze()), a.value.squeeze())
    np.testing.assert_array_equal(_value(a.swapaxes(-1, 0)), a.value.swapaxes(-1, 0))


def test_a_graph_of_shape_boxes_takes_batches_of_any_size() -> None:
    """Settings are axes, never shapes: one graph runs on inputs of different sizes."""
    x = af.Input("x")
    y = af.moveaxis(af.expand_dims(x, 0), 0, -1).squeeze(-1).swapaxes(0, 1)
    graph = af.FlowGraph(y)
    for shape in [(2, 3), (5, 1), (0, 4)]:
        value = np.ones(shape)
        assert graph.fprop({x: value}).shape == shape[::-1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_astype_gradient_comes_back_in_the_input_dtype(dtype) -> None:
    other = np.float64 if dtype == np.float32 else np.float32
    x = af.Parameter(np.array([1.5, -2.0, 3.25], dtype), name="x")
    y = af.astype(x, other)
    graph = af.FlowGraph((y * y).sum())
    assert graph.fprop().dtype == other
    grad = graph.bprop()[x]
    assert grad.dtype == dtype
    np.testing.assert_array_equal(grad, 2 * x.value)  # exact: these values fit float32
    boxed = _value(af.grad((y * y).sum(), x))
    assert boxed.dtype == dtype
    np.testing.assert_array_equal(boxed, grad)


def test_astype_to_an_integer_gives_no_gradient() -> None:
    x = af.Parameter(np.array([1.7, -2.2]), name="x")
    graph = af.FlowGraph((af.astype(x, int) * x).sum())
    assert graph.fprop() == 1 * 1.7 + (-2) * -2.2
    np.testing.assert_array_equal(graph.bprop()[x], [1.0, -2.0])  # only the direct x


@pytest.mark.parametrize(("build", "message"), [
    (lambda x: af.astype(x, np.complex128),
     r"Astype 'astype' \(created at test_shape.py:\d+\): complex dtypes \(complex128\) "
     "are not supported"),
    (lambda x: af.astype(x, "no such dtype"), "'no such dtype' is not a dtype"),
    (lambda x: af.astype(x, str), "astype converts to a boolean, integer or float dtype"),
    (lambda x: af.expand_dims(x, 1.0), "Expand.*axis must be an integer or a sequence"),
    (lambda x: af.moveaxis(x, (0, 1), 0), "source \\(0, 1\\) and destination 0 must name"),
    (lambda x: af.broadcast_to(x, (2, -1)), r"shape \(2, -1\) has a negative length"),
    (lambda x: af.squeeze(x, axis="0"), "axis must be an integer"),
    (lambda x: af.swapaxes(x, 0, None), "axis2 must be an integer"),
])
def test_bad_settings_are_refused_when_the_box_is_made(build, message) -> None:
    x = af.Input("x")
    with pytest.raises(af.BoxError, match=message):
        build(x)


@pytest.mark.parametrize(("build", "shape", "message"), [
    (lambda x: af.expand_dims(x, 3), (2, 3),
     r"ExpandDims 'expanddims' \(created at test_shape.py:\d+\): axis 3 is out of range for "
     r"an input of shape \(2, 3\) \(axes -3..2\)"),
    (lambda x: af.expand_dims(x, (0, -3)), (2,), r"axis \(0, -3\) names an axis twice"),
    (lambda x: af.squeeze(x, 1), (1, 3, 1),
     r"axis 1 of the input of shape \(1, 3, 1\) has length 3, not 1: only axes of length 1"),
    (lambda x: af.squeeze(x, -4), (1, 3, 1), r"axis -4 is out of range .*shape \(1, 3, 1\)"),
    (lambda x: af.swapaxes(x, 0, 2), (2, 3), r"axis2 2 is out of range .*shape \(2, 3\)"),
    (lambda x: af.moveaxis(x, (0, 0), (1, 2)), (2, 3, 4),
     r"source \(0, 0\) names an axis twice for an input of shape \(2, 3, 4\)"),
    (lambda x: af.moveaxis(x, 0, 1), (2,), r"destination 1 is out of range .*\(axes -1..0\)"),
    (lambda x: af.swapaxes(x, 0, 0), (), r"axis1 0 is out of range .*\(a 0-d array has no axes"),
    (lambda x: af.broadcast_to(x, (3, 4)), (2, 4),
     r"BroadcastTo 'broadcastto' .*: cannot broadcast an input of shape \(2, 4\) to shape "
     r"\(3, 4\)"),
])
def test_an_axis_or_shape_that_does_not_fit_the_input_is_a_clear_error(build, shape,
                                                                       message) -> None:
    x = af.Input("x")
    with pytest.raises(af.BoxError, match=message):
        af.FlowGraph(build(x)).fprop({x: np.zeros(shape)})


def test_complex_values_are_refused_where_they_enter() -> None:
    """Issue 15: complex dtypes stay unsupported, with a clear error (not complex
    gradients leaking into real parameters)."""
    with pytest.raises(TypeError,
                       match=r"Parameter 'w': complex values \(complex128, shape \(2,\)\)"):
        af.Parameter(np.array([1 + 1j, 2.0]), name="w")
    with pytest.raises(TypeError, match=r"Constant: complex values \(complex128, shape \(\)\)"):
        af.Parameter(np.ones(2)) * (1 + 2j)
    with pytest.raises(TypeError, match=r"Constant: complex values \(complex64, shape \(2,\)\)"):
        af.Parameter(np.ones(2)) + np.ones(2, np.complex64)
    x = af.Input("x")
    with pytest.raises(af.FeedError, match=r"feed of Input 'x'.*complex values \(complex128, "
                                           r"shape \(2,\)\).*real and imaginary parts"):
        af.FlowGraph(x * af.Parameter(np.ones(2))).fprop({x: np.ones(2, complex)})


class _Complexify(af.Box):
    def fprop(self, a):
        return a * 1j

    def bprop(self, grad, a):
        return grad


def test_astype_refuses_a_complex_value_from_a_custom_box() -> None:
    x = af.Input("x")
    with pytest.raises(af.BoxError, match="complex inputs \\(complex128\\) are not supported"):
        af.FlowGraph(af.astype(_Complexify(x), np.float64)).fprop({x: np.ones(2)})


def test_broadcast_to_gradient_sums_the_copies() -> None:
    x = af.Parameter(np.array([[1.0], [2.0]]), name="x")
    graph = af.FlowGraph(af.broadcast_to(x, (3, 2, 4)).sum())
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop()[x], np.full((2, 1), 12.0))


def test_graphs_of_the_new_boxes_are_written_back_as_code() -> None:
    """af.testing prints a failing random graph as code: every box of issue 15 too."""
    import autograd_flow.testing as aft

    x = af.Input("x")
    c = af.Parameter(np.array(0.5), name="c")
    y = af.expand_dims(af.squeeze(af.astype(x, "float64"), 0), (0, -1)).swapaxes(0, 1)
    y = af.moveaxis(af.broadcast_to(y, (2, 3, 1, 1)), (0, 1), (-1, 0)).reshape(3, 2)
    y = af.pad(af.flip(af.rot90(y, 1), 0), 1, constant_values=c)
    y = af.roll(af.tile(y, (1, 2)), (1, -1), (0, 1)).repeat([1, 0, 2, 1], axis=0)
    y = af.sort(af.kron(af.triu(y, 1) + af.tril(y, -1), af.diag(af.diagonal(y, 1))), 0)
    loss = af.trace(y) + af.diag(y).sum() + af.astype(y, int).sum()
    feed = {x: np.arange(3.0).reshape(1, 3) / 7}
    code = aft.to_python(loss, feed)
    for name in ["ExpandDims", "Squeeze", "SwapAxes", "MoveAxis", "BroadcastTo", "Astype",
                 "Pad", "Flip", "Rot90", "Roll", "Tile", "Repeat", "Sort", "Triu", "Tril",
                 "Diagonal", "Diag", "Kron"]:
        assert f"af.ops.{name}(" in code
    namespace: dict = {}
    exec(code, namespace)
    rebuilt = af.FlowGraph(namespace["out"]).fprop(namespace["feed"])
    assert rebuilt == af.FlowGraph(loss).fprop(feed)


def test_atleast_takes_several_arrays_as_numpy() -> None:
    a, b = af.Parameter(np.float32(2.0), name="a"), af.Parameter(np.ones((2, 3)), name="b")
    boxes = af.atleast_2d(a, b)
    assert isinstance(boxes, tuple) and len(boxes) == 2
    values = af.FlowGraph(list(boxes)).fprop()
    assert values[0].shape == (1, 1) and values[0].dtype == np.float32
    assert values[1].shape == (2, 3)
    assert af.FlowGraph(np.atleast_1d(a)).fprop().shape == (1,)
    with pytest.raises(af.BoxError, match="ndmin must be 1, 2 or 3"):
        ops.AtLeast(a, 4)


def test_meshgrid_grids_share_their_vectors_gradient() -> None:
    x = af.Parameter(np.array([1.0, 2.0, 3.0]), name="x")
    y = af.Parameter(np.array([10.0, 20.0]), name="y")
    gx, gy = np.meshgrid(x, y)
    graph = af.FlowGraph((gx * gy).sum())
    assert graph.fprop() == np.sum(np.multiply(*np.meshgrid(x.value, y.value)))
    grads = graph.bprop()
    np.testing.assert_array_equal(grads[x], [30.0, 30.0, 30.0])
    np.testing.assert_array_equal(grads[y], [6.0, 6.0])
    with pytest.raises(af.BoxError, match="indexing must be 'xy' or 'ij'"):
        af.meshgrid(x, y, indexing="ji")
    assert af.meshgrid() == []


@pytest.mark.parametrize(("axis", "start"), [(3, 0), (0, 4), (0, -4)])
def test_rollaxis_out_of_range_is_numpys_axis_error(axis, start) -> None:
    with pytest.raises(np.exceptions.AxisError):
        af.rollaxis(af.Parameter(np.zeros((2, 3, 4))), axis, start)


def test_broadcast_arrays_of_shapes_that_do_not_broadcast_names_them() -> None:
    with pytest.raises(af.BoxError, match=r"broadcast_arrays .*the shapes \(2, 3\), \(4,\) "
                                          r"do not broadcast"):
        af.broadcast_arrays(af.Parameter(np.ones((2, 3))), np.ones(4))


def test_broadcast_arrays_is_numpys_call_on_boxes() -> None:
    x = af.Parameter(np.ones((2, 1)))
    parts = np.broadcast_arrays(x, np.zeros(3))
    assert [af.FlowGraph(p).fprop().shape for p in parts] == [(2, 3), (2, 3)]


def test_full_like_casts_the_value_to_the_boxes_dtype_and_gives_no_gradient() -> None:
    x = af.Parameter(np.array([1.0, np.nan], np.float32))
    y = af.full_like(x, True)
    graph = af.FlowGraph(af.sum(y * x))
    graph.fprop()
    assert af.FlowGraph(y).fprop().dtype == np.float32
    np.testing.assert_array_equal(af.FlowGraph(y).fprop(), [1.0, 1.0])
    np.testing.assert_array_equal(graph.bprop()[x], [1.0, 1.0])  # through x only
