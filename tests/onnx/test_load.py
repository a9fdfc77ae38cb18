"""af.onnx.load: a one-node model of every op it reads (with its attributes) gives
onnxruntime's numbers, float32 and float64, and its gradients pass gradcheck; a model
af.onnx.export wrote comes back with the same numbers; a file that is not a model of
supported ops is one error naming the file and the node."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import autograd_flow as af  # noqa: E402
from autograd_flow.errors import OnnxError  # noqa: E402

from .support import FLOAT32_ONLY, assert_close, run  # noqa: E402
from .test_export import cnn, models  # noqa: E402

DTYPES = [np.float64, np.float32]


@dataclass(frozen=True)
class Ints:
    """An int64 input of the model, fed integers in [low, high)."""

    shape: tuple[int, ...]
    low: int
    high: int


@dataclass(frozen=True)
class Bools:
    """A boolean input of the model."""

    shape: tuple[int, ...]


@dataclass(frozen=True)
class Node:
    """A one-node model: ``op`` of ``inputs`` (a shape: a float input drawn from
    ``domain``; an array: an initializer; Ints, Bools: fed inputs; None: absent)."""

    op: str
    inputs: tuple[Any, ...]
    attributes: dict = field(default_factory=dict)
    domain: str = "real"
    outputs: int = 1
    opset: int = 18
    differentiable: bool = True
    label: str = ""

    @property
    def id(self) -> str:
        return self.op + (f"-{self.label}" if self.label else "")


def _floats(rng, shape, domain):
    return {"real": lambda: rng.standard_normal(shape),
            "positive": lambda: rng.uniform(0.5, 2, shape),
            "unit": lambda: rng.uniform(-0.9, 0.9, shape),
            "above1": lambda: rng.uniform(1.2, 3, shape),
            "nonzero": lambda: rng.choice([-1, 1], shape) * rng.uniform(0.5, 2, shape),
            "wide": lambda: rng.uniform(-4, 4, shape)}[domain]()


def one_node(case: Node, dtype, rng) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    """The model and its feed."""
    element = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    names, inputs, initializers, feed = [], [], [], {}
    for k, spec in enumerate(case.inputs):
        name = f"in{k}"
        if spec is None:
            names.append("")
            continue
        names.append(name)
        if isinstance(spec, np.ndarray):
            array = spec.astype(dtype) if spec.dtype.kind == "f" else spec
            initializers.append(numpy_helper.from_array(array, name))
            continue
        if isinstance(spec, Ints):
            feed[name] = rng.integers(spec.low, spec.high, spec.shape).astype(np.int64)
            inputs.append(helper.make_tensor_value_info(name, TensorProto.INT64, spec.shape))
        elif isinstance(spec, Bools):
            feed[name] = rng.random(spec.shape) > 0.5
            inputs.append(helper.make_tensor_value_info(name, TensorProto.BOOL, spec.shape))
        else:
            feed[name] = np.asarray(_floats(rng, spec, case.domain)).astype(dtype)
            inputs.append(helper.make_tensor_value_info(name, element, spec))
    attributes = {k: (v.astype(dtype) if isinstance(v, np.ndarray) and v.dtype.kind == "f"
                      else v) for k, v in case.attributes.items()}
    for key, value in attributes.items():
        if isinstance(value, np.ndarray):
            attributes[key] = numpy_helper.from_array(value, key)
    outputs = [f"out{k}" for k in range(case.outputs)]
    node = helper.make_node(case.op, names, outputs, name="the node", **attributes)
    graph = helper.make_graph([node], "one node", inputs,
                              [onnx.ValueInfoProto(name=o) for o in outputs],
                              initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", case.opset)])
    model.ir_version = 8
    inferred = onnx.shape_inference.infer_shapes(model)  # the outputs' types
    known = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    for output in model.graph.output:
        output.CopyFrom(known[output.name])
    return model, feed


def f(*values: float) -> np.ndarray:
    return np.array(values, np.float64)


def i(*values: int) -> np.ndarray:
    return np.array(values, np.int64)


RNG = np.random.default_rng(7)
S = (2, 3)
NODES = [
    *[Node(op, (S,)) for op in ["Exp", "Tanh", "Sigmoid", "Relu", "Identity", "Abs", "Neg",
                                "Sin", "Cos", "Atan", "Sinh", "Cosh", "Asinh", "Softplus"]],
    *[Node(op, (S,), domain="positive") for op in ["Log", "Sqrt", "Reciprocal"]],
    *[Node(op, (S,), domain="unit") for op in ["Tan", "Asin", "Acos", "Atanh"]],
    Node("Acosh", (S,), domain="above1"),
    *[Node(op, (S,), domain="wide", differentiable=False)
      for op in ["Sign", "Floor", "Ceil", "Round"]],
    *[Node(op, ((2, 3), (3,))) for op in ["Add", "Sub", "Mul"]],
    Node("Div", ((2, 3), (2, 1)), domain="nonzero"),
    Node("Pow", (S, np.array(3.0)), domain="positive", label="initializer"),
    Node("Pow", (S, (2, 3)), domain="positive", label="tensor"),
    *[Node(op, ((2, 3), (3,), (1, 3))) for op in ["Max", "Min", "Sum", "Mean"]],
    *[Node(op, ((2, 3), (3,)), differentiable=False)
      for op in ["Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual"]],
    *[Node(op, (f(1.0, np.nan, np.inf, -np.inf),), attributes, differentiable=False,
           label=label)
      for op, attributes, label in [("IsNaN", {}, ""), ("IsInf", {}, ""),
                                    ("IsInf", {"detect_negative": 0}, "positive"),
                                    ("IsInf", {"detect_positive": 0}, "negative")]],
    Node("Not", (Bools(S),), differentiable=False),
    *[Node(op, (Bools(S), Bools((3,))), differentiable=False) for op in ["And", "Or", "Xor"]],
    Node("GatherElements", ((4, 3), Ints((4, 1), 0, 3)), {"axis": 1}),
    Node("Erf", (S,)),
    Node("Mod", ((2, 3), (3,)), {"fmod": 1}, domain="nonzero"),
    Node("Mod", (Ints(S, -9, 9), i(4, -3, 5)), label="integers", differentiable=False),
    Node("Det", ((2, 3, 3),)),
    Node("ScatterElements", ((3, 4), i(1, 0, 2, 1, 0, 2).reshape(2, 3), (2, 3)),
         {"axis": 0, "reduction": "add"}),
    Node("ScatterElements", ((3, 4), i(3, 0, -1, 2).reshape(2, 2), (2, 2)), {"axis": 1},
         label="none"),
    Node("LeakyRelu", (S,), {"alpha": 0.2}),
    Node("HardSigmoid", (S,), {"alpha": 0.3, "beta": 0.4}),
    Node("Where", (Bools(S), S, (3,))),
    Node("Clip", (S, np.array(-0.5), np.array(0.7))),
    Node("Clip", (S, None, np.array(0.7)), label="max"),
    Node("MatMul", ((4, 2, 3), (3, 5))),
    Node("Einsum", ((2, 3), (3, 4)), {"equation": "ij,jk->ik"}),
    Node("Einsum", ((4, 4),), {"equation": "ii->i"}, label="diagonal"),
    *[Node(op, ((2, 3, 4), i(-1, 0)), {"keepdims": k}, label=f"keepdims{k}")
      for op in ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
                 "ReduceLogSumExp", "ReduceSumSquare", "ReduceL1", "ReduceL2"]
      for k in (0, 1)],
    Node("ReduceSum", ((2, 3, 4),), {"keepdims": 0}, label="all"),
    Node("ReduceSum", ((2, 3, 4),), {"noop_with_empty_axes": 1}, label="noop"),
    Node("ReduceMean", ((2, 3, 4),), {"axes": [1]}, opset=13, label="opset13"),
    *[Node("CumSum", ((3, 4), i(1)), {"exclusive": e, "reverse": r}, label=f"{e}{r}")
      for e in (0, 1) for r in (0, 1)],
    Node("Reshape", ((2, 3, 4), i(0, -1)), label="copy"),
    Node("Reshape", ((2, 3, 4), i(4, 0, 2)), {"allowzero": 0}, label="middle"),
    Node("Flatten", ((2, 3, 4),), {"axis": 2}),
    Node("Transpose", ((2, 3, 4),), {"perm": [2, 0, 1]}),
    Node("Transpose", ((2, 3, 4),), label="reversed"),
    Node("Squeeze", ((2, 1, 3, 1), i(1, -1))),
    Node("Squeeze", ((2, 1, 3, 1),), label="all"),
    Node("Unsqueeze", ((2, 3), i(0, -1))),
    Node("Unsqueeze", ((2, 3),), {"axes": [1]}, opset=11, label="opset11"),
    Node("Concat", ((2, 3), (4, 3)), {"axis": 0}),
    Node("Split", ((5, 3), i(2, 3)), {"axis": 0}, outputs=2),
    Node("Split", ((3, 7),), {"axis": 1, "num_outputs": 3}, outputs=3, label="equal"),
    Node("Slice", ((5, 6), i(1, -1), i(4, -6), i(0, 1), i(2, -2)), label="steps"),
    Node("Slice", ((5, 6), i(1), i(2 ** 62)), label="to the end"),
    Node("Gather", ((5, 3), i(4, 0, 4)), {"axis": 0}),
    Node("Gather", ((5, 3), np.array(-1)), {"axis": 1}, label="scalar"),
    Node("Gather", ((5, 3), Ints((2, 2), 0, 5)), label="fed"),
    Node("Expand", ((3, 1), i(2, 3, 4))),
    Node("Tile", ((2, 3), i(2, 1))),
    Node("Pad", ((2, 3), i(1, 0, 2, 1), np.array(0.5)), {"mode": "constant"}),
    Node("Pad", ((2, 3), i(0, 1, 2, 0)), label="no value"),
    Node("Trilu", ((3, 4), np.array(1)), {"upper": 1}),
    Node("Trilu", ((3, 4),), {"upper": 0}, label="lower"),
    Node("Cast", (S,), {"to": TensorProto.INT64}, domain="wide", differentiable=False),
    Node("Cast", ((2, 3),), {"to": TensorProto.FLOAT}, label="to float32",
         differentiable=False),
    Node("Constant", (), {"value": f(1.5, 2.5)}),
    Node("ConstantOfShape", (i(2, 3),), {"value": f(0.25)}),
    Node("Shape", ((2, 3, 4),), {"start": 1}, differentiable=False),
    Node("Size", ((2, 3, 4),), differentiable=False),
    Node("Range", (np.array(1.0), np.array(4.0), np.array(0.5)), differentiable=False),
    Node("Dropout", (S,)),
    Node("Gemm", ((3, 4), (5, 4), (5,)), {"transB": 1, "alpha": 0.5, "beta": 2.0}),
    Node("Gemm", ((4, 3), (4, 5)), {"transA": 1}, label="transA"),
    Node("Softmax", ((2, 3, 4),), {"axis": 1}),
    Node("LogSoftmax", ((2, 3, 4),)),
    Node("Conv", ((2, 3, 6, 5), RNG.standard_normal((4, 3, 3, 2)), RNG.standard_normal(4)),
         {"pads": [1, 0, 1, 0], "strides": [2, 1]}),
    Node("Conv", ((1, 2, 5, 5), RNG.standard_normal((3, 2, 3, 3))),
         {"pads": [0, 1, 1, 2], "kernel_shape": [3, 3]}, label="asymmetric pads"),
    Node("MaxPool", ((2, 3, 6, 6),), {"kernel_shape": [2, 2], "strides": [2, 2]}),
    Node("MaxPool", ((1, 2, 5, 5),), {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]},
         label="pads"),
    Node("AveragePool", ((2, 3, 6, 6),), {"kernel_shape": [3, 2], "strides": [1, 2]}),
    Node("AveragePool", ((1, 2, 4, 4),),
         {"kernel_shape": [2, 2], "pads": [1, 1, 1, 1], "count_include_pad": 1},
         label="pads"),
    Node("GlobalAveragePool", ((2, 3, 4, 5),)),
    Node("GlobalMaxPool", ((2, 3, 4, 5),)),
    Node("BatchNormalization", ((2, 3, 4, 4), RNG.uniform(0.5, 2, 3), RNG.standard_normal(3),
                                RNG.standard_normal(3), RNG.uniform(0.5, 2, 3)),
         {"epsilon": 1e-3}),
    Node("LayerNormalization", ((2, 3, 4), RNG.uniform(0.5, 2, (3, 4)),
                                RNG.standard_normal((3, 4))), {"axis": 1}),
    # the older forms: attributes where later opsets take inputs
    Node("Clip", (S,), {"min": -0.5, "max": 0.7}, opset=10, label="opset10"),  # float32 in ort
    Node("Slice", ((5, 6),), {"starts": [1, 0], "ends": [4, 5], "axes": [0, 1]}, opset=9,
         label="opset9"),
    Node("Pad", ((2, 3),), {"pads": [1, 0, 2, 1], "value": 0.5}, opset=10, label="opset10"),
    Node("Split", ((5, 3),), {"axis": 0, "split": [2, 3]}, outputs=2, opset=11,
         label="opset11"),
    Node("Softmax", ((2, 3),), {"axis": 1}, opset=11, label="opset11"),
    Node("ReduceSum", ((2, 3, 4),), {"axes": [1], "keepdims": 0}, opset=11, label="opset11"),
    Node("ReduceMax", ((2, 3, 4),), {"axes": [0, 2]}, opset=13, label="opset13"),
]


def _load(model: onnx.ModelProto, tmp_path: Path) -> tuple[af.FlowGraph, Path]:
    path = tmp_path / "node.onnx"
    onnx.save(model, str(path))
    return af.onnx.load(path), path


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", NODES, ids=[case.id for case in NODES])
def test_a_one_node_model_gives_onnxruntimes_numbers(case, dtype, tmp_path):
    model, feed = one_node(case, dtype, np.random.default_rng(len(case.id)))
    graph, path = _load(model, tmp_path)
    if dtype == np.float64 and (case.op in FLOAT32_ONLY or case.id == "Clip-opset10"):
        pytest.skip(f"onnxruntime has no float64 kernel for {case.op}")
    expected = run(path, feed)
    got = graph.fprop({x.name: feed[x.name] for x in graph.inputs})
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert_close(g, e, dtype)


@pytest.mark.parametrize("case", [c for c in NODES if c.differentiable and c.inputs],
                         ids=[c.id for c in NODES if c.differentiable and c.inputs])
def test_a_loaded_node_passes_gradcheck(case, tmp_path):
    model, feed = one_node(case, np.float64, np.random.default_rng(len(case.id)))
    graph, _ = _load(model, tmp_path)
    af.gradcheck(graph, feed, rtol=1e-5, atol=1e-7)


def test_every_op_read_has_a_one_node_model():
    from autograd_flow.onnx import from_onnx  # noqa: F401 (registers the rules)
    from autograd_flow.onnx.reader import IMPORTS

    assert set(IMPORTS) == {case.op for case in NODES}


# -- round trips ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["mlp", "cnn", "attention", "loss"])
def test_an_exported_model_loads_with_its_numbers_and_gradients(name, tmp_path):
    outputs, feeds = models(np.float64)[name]
    path = tmp_path / "model.onnx"
    af.onnx.export(outputs, path)
    loaded = af.onnx.load(path)
    original = af.FlowGraph(outputs)
    feed = {box: make(4) for box, make in feeds.items()}
    assert [x.name for x in loaded.inputs] == [x.name for x in original.inputs]
    assert [p.name for p in loaded.parameters] == [p.name for p in original.parameters]
    expected = original.fprop(feed)
    got = loaded.fprop({box.name: value for box, value in feed.items()})
    for g, e in zip(*(v if isinstance(v, tuple) else (v,) for v in (got, expected))):
        assert_close(g, e, np.float64)
    seed = np.random.default_rng(0).standard_normal(np.shape(loaded.outputs[0].value))
    grads = original.bprop(seed)
    loaded_grads = loaded.bprop(seed)
    for p, q in zip(original.parameters, loaded.parameters):
        np.testing.assert_allclose(loaded_grads[q], grads[p], rtol=1e-10, atol=1e-12)


def test_a_loaded_cnn_differentiates_to_second_order_and_fine_tunes(tmp_path):
    net = cnn(np.float64)
    images = af.Input("images", shape=(None, 1, 8, 8), dtype=np.float64)
    af.onnx.export(net(images), tmp_path / "cnn.onnx")
    graph = af.onnx.load(tmp_path / "cnn.onnx")
    x = graph.inputs[0]
    labels = af.Input("labels", shape=(None,), dtype=np.int64)
    loss = af.softmax_cross_entropy(graph.outputs[0], labels)
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((6, 1, 8, 8)), rng.integers(0, 10, 6)
    feed = {x: X, labels: y}
    W = graph.parameters[-2]  # the output layer's weights
    gradient = af.grad(loss, W)
    af.gradcheck(af.sum(gradient * rng.standard_normal(W.value.shape)), feed, wrt=[W],
                 rtol=1e-5, atol=1e-7)
    training = af.FlowGraph(loss)
    optimizer = af.optim.SGD(training.parameters, lr=0.1)
    first = training.fprop(feed)
    for _ in range(20):
        training.fprop(feed)
        optimizer.step(training.bprop())
    assert training.fprop(feed) < 0.5 * first
    assert "digraph" in af.viz.to_dot(training).source


def test_shapes_computed_from_a_free_batch_size_give_onnxruntimes_numbers(tmp_path):
    """The shape arithmetic exporters write: the known lengths picked from the shape of
    an input with a free batch size are constants, a shape holding the free one
    reshapes by inference, and an Expand to the whole shape broadcasts like the input."""
    c = numpy_helper.from_array
    nodes = [helper.make_node("Shape", ["x"], ["shape"]),
             helper.make_node("Gather", ["shape", "two"], ["four"], axis=0),
             helper.make_node("Unsqueeze", ["four", "zero"], ["sides"]),
             helper.make_node("Concat", ["minus_one", "sides"], ["rows"], axis=0),
             helper.make_node("Reshape", ["x", "rows"], ["by_rows"]),
             helper.make_node("Slice", ["shape", "zero", "one"], ["batch"]),
             helper.make_node("Concat", ["batch", "twelve"], ["flat"], axis=0),
             helper.make_node("Reshape", ["x", "flat"], ["by_items"]),
             helper.make_node("Expand", ["w", "shape"], ["w_like_x"]),
             helper.make_node("Mul", ["x", "w_like_x"], ["scaled"])]
    graph = helper.make_graph(
        nodes, "free batch",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["batch", 3, 4])],
        [onnx.ValueInfoProto(name=name) for name in ("by_rows", "by_items", "scaled")],
        initializer=[c(np.array(2), "two"), c(np.array([0]), "zero"), c(np.array([1]), "one"),
                     c(np.array([-1]), "minus_one"), c(np.array([12]), "twelve"),
                     c(np.linspace(-1, 1, 4), "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    inferred = onnx.shape_inference.infer_shapes(model)
    known = {v.name: v for v in inferred.graph.value_info}
    for output in model.graph.output:
        output.CopyFrom(known[output.name])
    loaded, path = _load(model, tmp_path)
    w = next(p for p in loaded.parameters if p.name == "w")
    for batch in (2, 5):
        x = np.random.default_rng(batch).standard_normal((batch, 3, 4))
        got = loaded.fprop({"x": x})
        for g, e in zip(got, run(path, {"x": x})):
            assert_close(g, e, np.float64)
    af.gradcheck(af.FlowGraph(loaded.outputs[2]), {loaded.inputs[0]: x}, wrt=[w])


def test_a_value_computed_from_a_free_batch_size_is_refused_where_it_meets_the_graph(
        tmp_path):
    nodes = [helper.make_node("Shape", ["x"], ["shape"]),
             helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
             helper.make_node("Cast", ["batch"], ["n"], to=TensorProto.DOUBLE),
             helper.make_node("Div", ["x", "n"], ["y"], name="per item")]
    graph = helper.make_graph(
        nodes, "free batch",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["batch", 3])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["batch", 3])],
        initializer=[numpy_helper.from_array(np.array(0), "zero")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    with pytest.raises(OnnxError, match=r"node 'per item' \(Div, output 'y'\): it combines "
                                        r"the graph's values with a value computed from the "
                                        r"length of a free axis"):
        _load(model, tmp_path)


# -- files that are not models of supported ops ----------------------------------------------

def test_a_file_that_is_not_onnx_is_one_error_naming_it(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\x00not a model at all\xff" * 10)
    with pytest.raises(OnnxError, match=r"model.onnx is not (an|a valid) ONNX model"):
        af.onnx.load(path)
    with pytest.raises(OnnxError, match="no such file"):
        af.onnx.load(tmp_path / "missing.onnx")


def test_an_op_with_no_box_form_is_refused_naming_the_node(tmp_path):
    model, _ = one_node(Node("Hardmax", (S,)), np.float32, RNG)
    with pytest.raises(OnnxError, match=r"node 'the node' \(Hardmax, output 'out0'\): the op "
                                        r"Hardmax has no box form"):
        _load(model, tmp_path)


def test_integer_division_of_computed_values_is_refused_not_made_float(tmp_path):
    model, _ = one_node(Node("Div", (Ints(S, 1, 9), Ints(S, 1, 9))), np.float64, RNG)
    with pytest.raises(OnnxError, match=r"\(Div, output 'out0'\): it divides integers"):
        _load(model, tmp_path)


def test_integer_division_of_constants_truncates_toward_zero(tmp_path):
    model, _ = one_node(Node("Div", (i(7, -7, 6), i(2, 2, -4))), np.float64, RNG)
    graph, _ = _load(model, tmp_path)
    assert graph.outputs[0].value.tolist() == [3, -3, -1]


REFUSED = [
    (Node("Conv", ((1, 2, 5, 5), RNG.standard_normal((2, 1, 3, 3))), {"group": 2}),
     "group=2 is not supported"),
    (Node("BatchNormalization", ((2, 3, 4), *[RNG.uniform(0.5, 2, (3, 4))] * 4),
          {"spatial": 0}, opset=7), "spatial=0 is not supported"),
    (Node("MaxPool", ((1, 2, 5, 5),), {"kernel_shape": [2, 2], "ceil_mode": 1}),
     "ceil_mode=1 is not supported"),
    (Node("AveragePool", ((1, 2, 5, 5),), {"kernel_shape": [2, 2], "pads": [1, 1, 1, 1]}),
     "pads with count_include_pad=0 are not supported"),
    (Node("Pad", ((2, 3), i(1, 0, 1, 0)), {"mode": "reflect"}), "mode='reflect' is not"),
]


@pytest.mark.parametrize("case, why", REFUSED, ids=[case.op for case, _ in REFUSED])
def test_an_attribute_that_is_not_read_is_refused(case, why, tmp_path):
    model, _ = one_node(case, np.float32, RNG)
    with pytest.raises(OnnxError, match=rf"\({case.op}, output 'out0'\): {why}"):
        _load(model, tmp_path)


def _external(tmp_path: Path) -> tuple[onnx.ModelProto, dict, Path]:
    """A MatMul model keeping its weights in weights.bin beside it (as torch.onnx.export
    writes), its feed, and its path."""
    model, feed = one_node(Node("MatMul", ((2, 3), RNG.standard_normal((3, 4)))),
                           np.float64, np.random.default_rng(0))
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path), save_as_external_data=True, size_threshold=0,
              location="weights.bin")
    return onnx.load(str(path), load_external_data=False), feed, path


def test_a_model_keeping_its_tensors_in_a_file_beside_it_loads_them(tmp_path):
    _, feed, path = _external(tmp_path)
    graph = af.onnx.load(path)
    assert_close(graph.fprop(feed), run(path, feed)[0], np.float64)


def _relocated(model: onnx.ModelProto, path: Path, location: str) -> None:
    for entry in model.graph.initializer[0].external_data:
        if entry.key == "location":
            entry.value = location
    path.write_bytes(model.SerializeToString())


def test_external_data_outside_the_models_folder_is_refused(tmp_path):
    model, _, path = _external(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    moved = tmp_path / "elsewhere" / "model.onnx"
    _relocated(model, moved, "../weights.bin")
    with pytest.raises(OnnxError, match=r"names the file '../weights.bin', outside the "
                                        r"model's folder"):
        af.onnx.load(moved)


def test_missing_or_truncated_external_data_is_one_error_naming_the_tensor(tmp_path):
    model, _, path = _external(tmp_path)
    _relocated(model, path, "gone.bin")
    with pytest.raises(OnnxError, match=r"the file 'gone.bin' holding the tensor 'in1' is "
                                        r"missing"):
        af.onnx.load(path)
    _relocated(model, path, "weights.bin")
    data = tmp_path / "weights.bin"
    data.write_bytes(data.read_bytes()[:50])
    with pytest.raises(OnnxError, match=r"does not hold the 96 bytes of the tensor 'in1'"):
        af.onnx.load(path)
