"""af.onnx.export: the lecture's models (MLP, CNN at evaluation, attention, a loss with
labels) and every row of the op tables, run in onnxruntime, give fprop's numbers
(float32 rtol 1e-5, float64 rtol 1e-12), and pass onnx.checker; a box with no ONNX form
is one error naming it and the line that created it."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

import autograd_flow as af  # noqa: E402
from autograd_flow import nn, ops  # noqa: E402
from autograd_flow.errors import OnnxError, describe  # noqa: E402
from autograd_flow.onnx.no_form import NO_FORM  # noqa: E402

from ..ops.table import Aux, Case, _rng  # noqa: E402
from ..ops.test_table import ALL_ROWS  # noqa: E402
from .support import FLOAT32_ONLY, assert_close, ort, run  # noqa: E402

DTYPES = [np.float64, np.float32]
RNG = np.random.default_rng(21)


def exported(outputs, tmp_path: Path, **options) -> Path:
    path = tmp_path / "model.onnx"
    af.onnx.export(outputs, path, **options)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    return path


# -- models -----------------------------------------------------------------------------------

def cnn(dtype):
    """The layers notebook's CNN at evaluation (no dropout box), with running statistics
    and batch-norm weights away from their initial values."""
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, bias=False, seed=1, dtype=dtype, name="conv1"),
        nn.BatchNorm(4, dtype=dtype, name="bn1"), af.relu,
        lambda h: nn.max_pool2d(h, 2, name="pool1"),
        nn.Conv2d(4, 6, 3, padding=1, seed=2, dtype=dtype, name="conv2"),
        nn.BatchNorm(6, dtype=dtype, name="bn2"), af.relu,
        lambda h: nn.max_pool2d(h, 2, name="pool2"),
        lambda h: h.reshape(-1, 6 * 2 * 2),
        nn.Linear(6 * 2 * 2, 10, seed=3, dtype=dtype, name="output"))
    for layer in net.layers():
        if isinstance(layer, nn.BatchNorm):
            C = layer.num_features
            layer.running_mean.value[:] = RNG.standard_normal(C)
            layer.running_var.value[:] = RNG.uniform(0.5, 2, C)
            layer.weight.value[:] = RNG.uniform(0.5, 2, C)
            layer.bias.value[:] = RNG.standard_normal(C)
    return net.eval()


def models(dtype):
    """name -> (outputs, {input: a function of the batch size giving its feed})."""
    x = af.Input("x", shape=(None, 64), dtype=dtype)
    mlp = nn.MLP([64, 16, 10], activation="relu", dtype=dtype)
    images = af.Input("images", shape=(None, 1, 8, 8), dtype=dtype)
    tokens = af.Input("tokens", shape=(None, 5, 8), dtype=dtype)
    head = nn.AttentionHead(8, 4, seed=4, dtype=dtype)
    causal = np.tril(np.ones((5, 5), bool))
    labels = af.Input("labels", shape=(None,), dtype=np.int64)
    return {
        "mlp": (af.softmax(mlp(x)), {x: lambda n: RNG.standard_normal((n, 64))}),
        "cnn": (cnn(dtype)(images), {images: lambda n: RNG.standard_normal((n, 1, 8, 8))}),
        "attention": (head(tokens, mask=causal),
                      {tokens: lambda n: RNG.standard_normal((n, 5, 8))}),
        "loss": ([af.softmax_cross_entropy(mlp(x), labels), mlp(x)],
                 {x: lambda n: RNG.standard_normal((n, 64)),
                  labels: lambda n: RNG.integers(0, 10, n)}),
    }


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["mlp", "cnn", "attention", "loss"])
def test_a_model_runs_in_onnxruntime_as_in_fprop(name, dtype, tmp_path):
    outputs, feeds = models(dtype)[name]
    path = exported(outputs, tmp_path)
    graph = af.FlowGraph(outputs)
    for batch in (1, 3, 17):  # the batch axis is free in the model
        feed = {box: make(batch).astype(box.dtype) for box, make in feeds.items()}
        expected = graph.fprop(feed)
        expected = expected if isinstance(expected, tuple) else (expected,)
        got = run(path, {box.name: value for box, value in feed.items()})
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_close(g, e, dtype)


def test_the_model_is_named_as_the_graph(tmp_path):
    x = af.Input("x", shape=(None, 3), dtype=np.float32)
    W = af.Parameter(np.ones((2, 3), np.float32), name="W")
    y = af.tanh(af.linear(x, W), name="hidden")
    model = onnx.load(str(exported(y, tmp_path)))
    assert [i.name for i in model.graph.input] == ["x"]
    assert [i.name for i in model.graph.initializer] == ["W"]
    assert [o.name for o in model.graph.output] == ["hidden"]
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param and dims[1].dim_value == 3


def test_without_a_declared_shape_the_last_feed_gives_it(tmp_path):
    x = af.Input("x")
    graph = af.FlowGraph(af.exp(x))
    graph.fprop({x: np.ones((4, 2), np.float32)})
    model = onnx.load(str(exported(graph, tmp_path)))
    tensor = model.graph.input[0].type.tensor_type
    assert [d.dim_value for d in tensor.shape.dim] == [4, 2]
    assert tensor.elem_type == onnx.TensorProto.FLOAT


def test_export_leaves_the_graph_as_it_was(tmp_path):
    x = af.Input("x", shape=(None, 3), dtype=np.float64)
    W = af.Parameter(RNG.standard_normal(3), name="W")
    out = af.sum(af.square(x) * W)
    graph = af.FlowGraph(out)
    X = RNG.standard_normal((2, 3))
    value = graph.fprop({x: X})
    exported(graph, tmp_path)
    assert x.value is X and out.value == value
    np.testing.assert_array_equal(graph.bprop()[W], np.sum(X * X, axis=0))


@pytest.mark.parametrize("opset", [13, 14, 17, 18])
def test_opset_n_writes_exactly_opset_n(opset, tmp_path):
    outputs, feeds = models(np.float64)["cnn"]
    path = exported(outputs, tmp_path, opset=opset)
    assert [(o.domain, o.version) for o in onnx.load(str(path)).opset_import] == [("", opset)]
    feed = {box: make(2) for box, make in feeds.items()}
    assert_close(run(path, {b.name: v for b, v in feed.items()})[0],
                 af.FlowGraph(outputs).fprop(feed), np.float64)


@pytest.mark.parametrize("opset", [12, 0, "18", 1.5, True, 10_000])
def test_an_opset_out_of_range_is_refused(opset, tmp_path):
    with pytest.raises(OnnxError, match="opset must be an integer from 13"):
        af.onnx.export(af.exp(af.Input("x", shape=(2,), dtype=np.float64)),
                       tmp_path / "m.onnx", opset=opset)
    assert not (tmp_path / "m.onnx").exists()


def test_an_op_newer_than_the_opset_is_refused_by_name(tmp_path):
    x = af.Input("x", shape=(3, 3), dtype=np.float64)
    with pytest.raises(OnnxError, match=r"Triu 'triu' \(created at test_export.py:\d+\).*"
                                        r"opset 14"):
        af.onnx.export(af.triu(x), tmp_path / "m.onnx", opset=13)


class Cube(af.Box):
    def fprop(self, a):
        return a ** 3

    def bprop(self, grad, a):
        return 3 * a * a * grad


def test_a_custom_box_is_refused_naming_it_and_its_line(tmp_path):
    x = af.Input("x", shape=(2,), dtype=np.float64)
    cube = Cube(af.exp(x), name="cube")
    line = cube.created_at
    with pytest.raises(OnnxError) as error:
        af.onnx.export(af.sum(cube), tmp_path / "m.onnx")
    message = str(error.value)
    assert f"Cube 'cube' (created at {line})" in message and "no ONNX form" in message
    assert "\n" not in message
    assert not (tmp_path / "m.onnx").exists()


def test_an_input_with_no_shape_and_no_feed_is_refused(tmp_path):
    with pytest.raises(OnnxError, match="Input 'x'.*declares no shape and dtype and was "
                                        "never fed"):
        af.onnx.export(af.exp(af.Input("x")), tmp_path / "m.onnx")


def test_a_length_that_follows_a_free_axis_is_refused_where_a_box_needs_it(tmp_path):
    x = af.Input("x", shape=(None, 3), dtype=np.float64)
    with pytest.raises(OnnxError, match="Roll 'roll'.*axis 0 of its input.*free"):
        af.onnx.export(af.roll(x, 1, axis=0), tmp_path / "m.onnx")
    af.onnx.export(af.roll(x, 1, axis=1), tmp_path / "m.onnx")  # a fixed axis is fine


def test_two_inputs_of_one_name_are_refused(tmp_path):
    a, b = af.Input("x", shape=(2,), dtype=np.float64), af.Input("x", shape=(2,),
                                                                  dtype=np.float64)
    with pytest.raises(OnnxError, match="another Input of the graph is named 'x'"):
        af.onnx.export(a + b, tmp_path / "m.onnx")


# -- every row of the op tables --------------------------------------------------------------



def _on_inputs(case: Case, dtype) -> tuple[af.Box, dict]:
    """The row's box with its float inputs as Inputs (fed the row's arrays), so the
    model reads them as inputs; Aux inputs stay Constants."""
    feed, inputs = {}, []
    for k, (spec, array) in enumerate(zip(case.inputs, case.arrays(_rng(case, 1), dtype))):
        if isinstance(spec, Aux):
            inputs.append(af.Constant(array, name=spec.label))
        else:
            x = af.Input(f"in{k}", shape=np.shape(array), dtype=np.result_type(array))
            x.value = feed[x] = np.asarray(array)  # rows that read their input's value
            inputs.append(x)
    return case.box(*inputs, **case.kwargs), feed


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ALL_ROWS, ids=[case.id for case in ALL_ROWS])
def test_every_op_table_row_runs_in_onnxruntime_as_in_fprop(case, dtype, tmp_path):
    box, feed = _on_inputs(case, dtype)
    graph = af.FlowGraph(box, compile=False)
    expected = graph.fprop(feed)
    path = tmp_path / "row.onnx"
    try:
        model = af.onnx.export(graph, path)
    except OnnxError as error:
        from autograd_flow.core.box import Leaf
        from autograd_flow.onnx.writer import RULES

        unruled = [b for b in graph.order if type(b) not in RULES and not isinstance(b, Leaf)]
        if unruled and type(unruled[0]) in NO_FORM:  # the first is named, with its reason
            first = unruled[0]
            assert f"{describe(first)} has no ONNX form: {NO_FORM[type(first)]}" \
                in str(error), str(error)
        elif unruled:  # a user's box (the numeric bprop's rows)
            assert not type(unruled[0]).__module__.startswith("autograd_flow.")
            assert f"{describe(unruled[0])} is a custom box" in str(error), str(error)
        else:
            assert isinstance(box, ops.Astype) and "ONNX has no" in str(error), str(error)
        assert "(created at " in str(error)
        return
    assert not {type(b) for b in graph.order} & set(NO_FORM), "a listed box was written"
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    try:
        got = run(path, {x.name: value for x, value in feed.items()})[0]
    except ort.capi.onnxruntime_pybind11_state.NotImplemented:
        used = {node.op_type for node in model.graph.node} & FLOAT32_ONLY
        if dtype == np.float64 and used:
            pytest.skip(f"onnxruntime has no float64 kernel for {', '.join(sorted(used))}")
        raise
    assert_close(got, expected, dtype)


def test_every_primitive_has_an_export_rule_or_a_reason_it_has_none():
    from autograd_flow.onnx.writer import RULES

    everything = set(ops.PRIMITIVES) | set(ops.PLUMBING)
    assert everything - set(NO_FORM) <= set(RULES)
    assert not set(NO_FORM) & set(RULES)
    assert set(NO_FORM) <= everything


# -- the edges of the new rules --------------------------------------------------------------

def _runs_as_fprop(box: af.Box, feed: dict, tmp_path: Path) -> None:
    path = exported(box, tmp_path)
    np.testing.assert_array_equal(run(path, {x.name: v for x, v in feed.items()})[0],
                                  af.FlowGraph(box).fprop(feed))


def test_floor_divide_is_numpys_not_the_floor_of_the_quotient(tmp_path):
    """1 // 0.1 is 9 in numpy (1 - fmod(1, 0.1) = 0.9 exactly, over 0.1), floor(1 / 0.1)
    is 10; integers floor too."""
    x = af.Input("x", shape=(5,), dtype=np.float64)
    _runs_as_fprop(af.floor_divide(x, 0.1), {x: np.array([1.0, -1.0, 0.3, 2.5, 7.0])},
                   tmp_path)
    i = af.Input("i", shape=(4,), dtype=np.int64)
    _runs_as_fprop(af.floor_divide(i, np.array([2, 2, -2, -2])), {i: np.array([7, -7, 7, -7])},
                   tmp_path)


def test_copysign_reads_the_sign_of_a_negative_zero(tmp_path):
    x = af.Input("x", shape=(4,), dtype=np.float64)
    y = af.copysign(x, np.array([-0.0, 0.0, -2.0, 3.0]))
    _runs_as_fprop(y, {x: np.array([1.0, -1.0, 2.0, -3.0])}, tmp_path)


def test_put_along_axis_keeps_numpys_last_value_and_add_at_adds_each(tmp_path):
    x = af.Input("x", shape=(2, 3), dtype=np.float64)
    twice = np.array([[0, 0], [2, 2]])
    values = np.array([[1.0, 2.0], [3.0, 4.0]])
    feed = {x: RNG.standard_normal((2, 3))}
    _runs_as_fprop(af.put_along_axis(x, twice, values, axis=1), feed, tmp_path)
    _runs_as_fprop(af.add_at(x, (np.array([0, 0, 1]), np.array([1, 1, 2])),
                             np.array([1.0, 2.0, 3.0])), feed, tmp_path)


def test_an_index_computed_in_the_graph_is_refused_by_name(tmp_path):
    x = af.Input("x", shape=(3,), dtype=np.float64)
    i = af.Input("i", shape=(2,), dtype=np.int64)
    with pytest.raises(OnnxError, match=r"TakeAlongAxis .*index input 'i' is computed"):
        af.onnx.export(af.take_along_axis(x, i, axis=0), tmp_path / "m.onnx")


def test_a_box_with_no_onnx_form_is_refused_with_its_reason(tmp_path):
    x = af.Input("x", shape=(3, 3), dtype=np.float64)
    graph = af.FlowGraph(af.linalg.cholesky(x))
    graph.fprop({x: np.eye(3)})  # the export runs it on its last feed
    with pytest.raises(OnnxError, match=r"Cholesky 'cholesky' \(created at test_export.py:"
                                        r"\d+\) has no ONNX form: ONNX has no matrix "
                                        "decomposition"):
        af.onnx.export(graph, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("spacing", [0.3, np.array([0.0, 0.5, 0.7, 1.6, 2.0]),
                                     np.array([1.0, 2.0, 3.0, 4.0, 5.0])],
                         ids=["step", "points", "even points"])
@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_gives_numpys_numbers_bit_for_bit(dtype, spacing, edge_order, tmp_path):
    x = af.Input("x", shape=(3, 5), dtype=dtype)
    y = af.gradient(x, spacing, axis=1, edge_order=edge_order)
    _runs_as_fprop(y, {x: RNG.standard_normal((3, 5)).astype(dtype)}, tmp_path)


@pytest.mark.parametrize("method", ["linear", "lower", "nearest", "hazen", "inverted_cdf"])
def test_quantile_gives_numpys_numbers_and_nan_where_a_row_holds_one(method, tmp_path):
    x = af.Input("x", shape=(3, 5), dtype=np.float64)
    y = af.quantile(x, [0.1, 0.5, 0.95], axis=1, method=method)
    X = RNG.standard_normal((3, 5))
    X[1, 2] = np.nan
    path = exported(y, tmp_path)
    got = run(path, {"x": X})[0]
    np.testing.assert_allclose(got, np.quantile(X, [0.1, 0.5, 0.95], axis=1, method=method),
                               rtol=1e-12)
    assert np.isnan(got[:, 1]).all() and not np.isnan(got[:, [0, 2]]).any()


@pytest.mark.parametrize("method", ["linear", "lower", "nearest", "weibull"])
def test_nanquantile_reads_the_entries_that_are_not_nan_in_each_row(method, tmp_path):
    x = af.Input("x", shape=(4, 5), dtype=np.float64)
    y = af.nanquantile(x, [0.1, 0.5, 0.95], axis=1, method=method)
    X = RNG.standard_normal((4, 5))
    X[1, [0, 3]] = np.nan
    X[2, :4] = np.nan  # one entry left
    X[3] = np.nan  # none: NaN
    got = run(exported(y, tmp_path), {"x": X})[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (numpy's all-NaN slice)
        expected = np.nanquantile(X, [0.1, 0.5, 0.95], axis=1, method=method)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("function", ["quantile", "nanquantile"])
def test_the_gradient_of_a_quantile_exports_with_ties_and_nans_in_numpys_order(function,
                                                                              tmp_path):
    x = af.Input("x", shape=(3, 6), dtype=np.float64)
    dy = af.Input("dy", shape=(3, 3), dtype=np.float64)
    spread = ops.QuantileGrad(dy, x, q=[0.2, 0.5, 0.9], axis=1, function=function)
    X = np.array([[1.0, 3.0, 1.0, 2.0, 3.0, 1.0],  # ties: numpy's stable order
                  [np.nan, 0.5, np.inf, np.nan, -1.0, 0.5],  # NaNs after +inf
                  RNG.standard_normal(6)])
    _runs_as_fprop(spread, {x: X, dy: RNG.standard_normal((3, 3))}, tmp_path)


@pytest.mark.parametrize("running", [af.cummax, af.cummin])
@pytest.mark.parametrize("axis", [0, 1, None])
def test_cummax_and_cummin_give_numpys_values_with_ties_and_nans(running, axis, tmp_path):
    x = af.Input("x", shape=(3, 5), dtype=np.float64)
    X = np.array([[1.0, 3.0, 3.0, -np.inf, 2.0],
                  [0.5, np.nan, 4.0, 0.5, np.inf],
                  [-1.0, -1.0, -2.0, -2.0, 7.0]])
    path = exported(running(x, axis=axis), tmp_path)
    got = run(path, {"x": X})[0]
    ufunc = np.maximum if running is af.cummax else np.minimum
    expected = ufunc.accumulate(X.ravel() if axis is None else X, axis=axis or 0)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("reverse", [False, True])
def test_logcumsumexp_keeps_large_and_infinite_entries_as_numpy(reverse, tmp_path):
    x = af.Input("x", shape=(4, 4), dtype=np.float64)
    X = np.array([[1000.0, 999.0, -1000.0, 1001.0],
                  [-np.inf, -np.inf, 0.5, -np.inf],
                  [0.1, np.inf, 2.0, -3.0],
                  [1.0, np.nan, 2.0, 3.0]])
    path = exported(ops.LogCumSumExp(x, axis=1, reverse=reverse), tmp_path)
    got = run(path, {"x": X})[0]
    flip = (lambda v: v[:, ::-1]) if reverse else (lambda v: v)
    with np.errstate(invalid="ignore"):  # (inf - inf inside numpy's logaddexp)
        expected = flip(np.logaddexp.accumulate(flip(X), axis=1))
    np.testing.assert_allclose(got, expected, rtol=1e-12)


EDGES = np.array([[0.0, -0.0, np.nan, np.inf, -np.inf, 2.5],
                  [-1.0, 3.0, 3.0, np.nan, -np.inf, 0.0]])


@pytest.mark.parametrize("make", [
    af.logical_not, af.isfinite, af.isinf, af.isposinf, af.isneginf, af.isreal,
    af.reciprocal, af.angle, lambda x: af.angle(x, deg=True),
    lambda x: af.heaviside(x, np.array([0.5, 0.25, 1.0, 2.0, 3.0, np.nan])),
    lambda x: af.logical_xor(x, np.array([0.0, 1.0, np.nan, 0.0, 0.0, 0.0])),
    lambda x: af.logical_and(x, 1), lambda x: af.logical_or(x > 0, 0.0),
    af.all, af.any, lambda x: af.all(x, axis=1), lambda x: af.any(af.equal(x, 3.0), axis=0),
    lambda x: af.any(x, axis=(), keepdims=True),
    af.count_nonzero, lambda x: af.count_nonzero(x, axis=1, keepdims=True),
    af.argmax, af.argmin, lambda x: af.argmax(x, axis=1), lambda x: af.argmin(x, axis=0),
    lambda x: af.argmax(x, keepdims=True), lambda x: af.argmin(x, axis=-1, keepdims=True),
    lambda x: af.argmax(af.nan_to_num(x)), lambda x: af.argmin(af.nan_to_num(x), axis=1),
    lambda x: af.isclose(x, np.array([1e-9, 0.0, np.nan, np.inf, np.inf, 2.5 + 2e-5])),
    lambda x: af.isclose(x, x * 1.00001, rtol=1e-6, atol=0.0, equal_nan=True),
    lambda x: af.isclose(x, 2.5 + 2e-5), lambda x: af.isclose(0.0, x, atol=1.0),
    lambda x: af.allclose(x, x), lambda x: af.allclose(x, x, equal_nan=True),
    lambda x: af.allclose(af.nan_to_num(x), af.nan_to_num(x) + 1e-9),
    lambda x: af.array_equal(x, x), lambda x: af.array_equal(x, x, equal_nan=True),
    lambda x: af.array_equal(x, x[0]), lambda x: af.array_equal(x[:, :2], x[:, 1:3]),
], ids=lambda make: getattr(make, "__name__", "make"))
def test_the_logic_and_searching_rules_give_numpys_values_at_nan_inf_and_minus_zero(
        make, tmp_path):
    x = af.Input("x", shape=EDGES.shape, dtype=np.float64)
    with np.errstate(all="ignore"):  # (log and 1 / x of 0, inf and NaN, as numpy)
        _runs_as_fprop(make(x), {x: EDGES}, tmp_path)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
@pytest.mark.parametrize("make", [
    af.logical_not, af.isfinite, af.isinf, af.isneginf, af.isreal, af.all, af.any,
    lambda x: af.any(x, axis=1), af.count_nonzero, af.argmax, lambda x: af.argmin(x, axis=1),
    lambda x: af.logical_or(x, np.array([0, 1, 0])), lambda x: af.array_equal(x, x),
], ids=lambda make: getattr(make, "__name__", "make"))
def test_the_logic_and_searching_rules_take_integers_and_booleans(make, dtype, tmp_path):
    x = af.Input("x", shape=(2, 3), dtype=dtype)
    _runs_as_fprop(make(x), {x: np.array([[0, 2, 0], [-1, 0, 2]]).astype(dtype)}, tmp_path)


@pytest.mark.parametrize("make", [af.all, af.any, af.count_nonzero,
                                  lambda x: af.all(x, axis=1), lambda x: af.any(x, axis=1)],
                         ids=lambda make: getattr(make, "__name__", "make"))
def test_all_any_and_count_nonzero_of_an_empty_slice_are_numpys(make, tmp_path):
    x = af.Input("x", shape=(2, 0), dtype=np.float64)
    _runs_as_fprop(make(x), {x: np.zeros((2, 0))}, tmp_path)


def test_entr_is_scipys_at_zero_negative_and_nan(tmp_path):
    x = af.Input("x", shape=EDGES.shape, dtype=np.float64)
    got = run(exported(af.entr(x), tmp_path), {"x": EDGES})[0]
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(got, af.FlowGraph(af.entr(x)).fprop({x: EDGES}),
                                   rtol=1e-15)  # (onnxruntime's Log: within an ulp)


def test_reciprocal_of_integers_and_array_equal_of_a_free_axis_are_refused(tmp_path):
    i = af.Input("i", shape=(2,), dtype=np.int64)
    with pytest.raises(OnnxError, match="Reciprocal 'reciprocal'.*integer 1 / a"), \
            np.errstate(all="ignore"):  # (the probe runs numpy's 1 / 0)
        af.onnx.export(af.reciprocal(i), tmp_path / "m.onnx")
    x = af.Input("x", shape=(None, 2), dtype=np.float64)
    with pytest.raises(OnnxError, match="ArrayEqual 'arrayequal'.*axis 0 of its input"):
        af.onnx.export(af.array_equal(x, x), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("v", [np.array([[np.nan, 2.0, 5.0], [-np.inf, 1.0, 0.5]]), 0.1,
                               np.float32(0.1)], ids=["array", "float", "float32"])
def test_searchsorted_counts_as_numpys_binary_search_with_ties_and_nans(side, v, tmp_path):
    for a in (np.array([1.0, 2.0, 2.0, np.nan, np.nan]), np.array([0.1, 2.0], np.float32)):
        x = af.Input("x", shape=a.shape, dtype=a.dtype)
        _runs_as_fprop(af.searchsorted(x, v, side=side), {x: a}, tmp_path)
    x = af.Input("x", shape=(3,), dtype=np.float64)
    _runs_as_fprop(af.searchsorted(x, v, side=side, sorter=[2, 0, 1]),
                   {x: np.array([3.0, np.nan, 2.0])}, tmp_path)
    i = af.Input("i", shape=(0,), dtype=np.int64)
    _runs_as_fprop(af.searchsorted(i, v, side=side), {i: np.zeros(0, np.int64)}, tmp_path)


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_of_rows_with_a_sorter_per_row_as_fprop(side, tmp_path):
    a = np.array([[3.0, 1.0, 2.0], [0.0, np.nan, -1.0]])
    x = af.Input("x", shape=a.shape, dtype=a.dtype)
    v = np.array([[2.0, 0.0], [np.nan, 6.0]])
    _runs_as_fprop(af.searchsorted(x, v, side=side, sorter=np.argsort(a, axis=-1)),
                   {x: a}, tmp_path)


def test_isclose_to_a_python_number_bounds_as_numpy_in_float32(tmp_path):
    """numpy computes atol + rtol |y| of a Python y in double, then compares in float32."""
    x = af.Input("x", shape=(4,), dtype=np.float32)
    X = np.array([1.0, 1.0001, 1e-7, np.inf], np.float32)
    for y, rtol in ((1.0, 1e-4), (1e300, 1.0), (1.0, 1 / 3)):
        with np.errstate(over="ignore"):  # (1e300 in float32, as numpy warns)
            _runs_as_fprop(af.isclose(x, y, rtol=rtol, atol=1e-7), {x: X}, tmp_path)


def test_array_equal_compares_a_python_number_in_float64_as_numpy(tmp_path):
    x = af.Input("x", shape=(), dtype=np.float32)
    got = run(exported(af.array_equal(x, 0.1), tmp_path), {"x": np.float32(0.1)})[0]
    assert not got and not np.array_equal(np.float32(0.1), 0.1)


def test_signbit_is_refused_for_a_nans_sign_bit(tmp_path):
    x = af.Input("x", shape=(2,), dtype=np.float64)
    with pytest.raises(OnnxError, match="Signbit 'signbit'.*cannot read the sign bit of a "
                                        "NaN"):
        af.onnx.export(af.signbit(x), tmp_path / "m.onnx")
