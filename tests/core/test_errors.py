"""Errors a user can act on: each is an af.FlowGraphError subclass (never a bare numpy
traceback) and names the box and the file:line of this test where the box was made."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import autograd_flow as af


def here() -> str:
    """file:line of the caller, as the engine writes a box's created_at."""
    return f"test_errors.py:{sys._getframe(1).f_lineno}"


def next_line() -> str:
    """file:line of the line after the caller's (for a statement that raises)."""
    return f"test_errors.py:{sys._getframe(1).f_lineno + 1}"


# feeds

def test_missing_feed_names_the_input_and_its_line() -> None:
    x, site = af.Input("x"), here()
    y = af.Input("y")
    graph = af.FlowGraph((x * y).sum())
    with pytest.raises(af.FeedError, match="missing feed") as error:
        graph.fprop({y: np.ones(2)})
    assert "'x'" in str(error.value) and site in str(error.value)
    assert "'y'" not in str(error.value)


def test_unknown_feed_name_lists_the_known_inputs() -> None:
    x = af.Input("x")
    graph = af.FlowGraph(x.sum())
    with pytest.raises(af.FeedError) as error:
        graph.fprop({"z": np.ones(2)})
    assert "'z'" in str(error.value) and "'x'" in str(error.value)


def test_feeding_a_box_that_is_not_an_input_of_the_graph() -> None:
    x = af.Input("x")
    other, site = af.Input("other"), here()
    graph = af.FlowGraph(x.sum())
    with pytest.raises(af.FeedError) as error:
        graph.fprop({x: np.ones(2), other: np.ones(2)})
    assert "'other'" in str(error.value) and site in str(error.value)


def test_a_name_shared_by_two_inputs_must_be_fed_by_box() -> None:
    first, second = af.Input("x"), af.Input("x")
    graph = af.FlowGraph((first - second).sum())
    with pytest.raises(af.FeedError, match="several Inputs"):
        graph.fprop({"x": np.ones(2)})
    assert graph.fprop({first: np.ones(2), second: np.zeros(2)}) == 2.0


def test_an_input_fed_twice_is_an_error() -> None:
    x = af.Input("x")
    graph = af.FlowGraph(x.sum())
    with pytest.raises(af.FeedError, match="'x'"):
        graph.fprop({x: np.ones(2), "x": np.zeros(2)})


def test_declared_input_shape_and_dtype_are_checked() -> None:
    x, site = af.Input("x", shape=(None, 3), dtype=np.float32), here()
    graph = af.FlowGraph(x.sum())
    assert graph.fprop({x: np.ones((5, 3), np.float32)}) == 15
    with pytest.raises(af.FeedError) as error:
        graph.fprop({x: np.ones((5, 4), np.float32)})
    assert "(None, 3)" in str(error.value) and "(5, 4)" in str(error.value)
    assert site in str(error.value)
    with pytest.raises(af.FeedError, match="float32"):
        graph.fprop({x: np.ones((5, 3))})


# shapes

def test_matmul_shape_mismatch_names_the_box_and_both_shapes() -> None:
    x = af.Input("x")
    W = af.Parameter(np.ones((5, 2)), name="W")
    product, site = x @ W, here()
    graph = af.FlowGraph(product.sum())
    with pytest.raises(af.BoxError) as error:
        graph.fprop({x: np.ones((3, 4))})
    message = str(error.value)
    assert "MatMul" in message and site in message
    assert "(3, 4)" in message and "(5, 2)" in message
    assert error.value.__cause__ is None  # no numpy traceback chained for a builtin box


def test_broadcast_shape_mismatch_in_a_composite_names_the_user_line() -> None:
    x = af.Input("x")
    W = af.Parameter(np.ones((4, 3)), name="W")
    b = af.Parameter(np.ones(5), name="b")
    layer, site = af.linear(x, W, b), here()
    graph = af.FlowGraph(layer.sum())
    with pytest.raises(af.BoxError) as error:
        graph.fprop({x: np.ones((2, 3))})
    message = str(error.value)
    assert site in message and "(2, 4)" in message and "(5,)" in message


# labels

@pytest.mark.parametrize("bad", [3, -1, 7])
def test_labels_out_of_range_negative_too(bad: int) -> None:
    logits = af.Parameter(np.zeros((4, 3)), name="logits")
    labels = af.Input("y")
    loss, site = af.softmax_cross_entropy(logits, labels), here()
    graph = af.FlowGraph(loss)
    with pytest.raises(af.LabelError) as error:
        graph.fprop({labels: np.array([0, bad, 1, 2])})
    message = str(error.value)
    assert site in message and "[0, 3)" in message and str(bad) in message


def test_labels_that_are_not_integers() -> None:
    logits = af.Parameter(np.zeros((2, 3)), name="logits")
    labels = af.Input("y")
    loss, site = af.softmax_cross_entropy(logits, labels), here()
    graph = af.FlowGraph(loss)
    with pytest.raises(af.LabelError, match="integers") as error:
        graph.fprop({labels: np.array([0.0, 1.0])})
    assert site in str(error.value) and "float64" in str(error.value)


def test_labels_of_the_wrong_shape() -> None:
    logits = af.Parameter(np.zeros((2, 3)), name="logits")
    loss = af.softmax_cross_entropy(logits, af.Input("y"))
    with pytest.raises(af.LabelError, match=r"\(2,\)"):
        af.FlowGraph(loss).fprop({"y": np.array([[0], [1]])})


# graph structure

def test_a_cycle_names_a_box_on_it() -> None:
    x = af.Input("x")
    a, site = af.tanh(x), here()
    b = af.exp(a)
    a.inputs = (b,)
    with pytest.raises(af.CycleError, match="acyclic") as error:
        af.FlowGraph(b.sum())
    assert "Tanh" in str(error.value) and site in str(error.value)


def test_a_box_that_reads_itself_is_a_cycle() -> None:
    a = af.tanh(af.Input("x"))
    a.inputs = (a,)
    with pytest.raises(af.CycleError):
        af.FlowGraph(a)


def test_bprop_on_a_non_scalar_output_without_a_seed() -> None:
    W = af.Parameter(np.ones((2, 3)), name="W")
    out, site = af.tanh(W), here()
    graph = af.FlowGraph(out)
    graph.fprop()
    with pytest.raises(af.FlowGraphError, match="scalar") as error:
        graph.bprop()
    assert site in str(error.value) and "(2, 3)" in str(error.value)


def test_bprop_seed_of_the_wrong_shape() -> None:
    W = af.Parameter(np.ones((2, 3)), name="W")
    graph = af.FlowGraph(af.tanh(W))
    graph.fprop()
    with pytest.raises(af.FlowGraphError, match=r"\(3,\)"):
        graph.bprop(seed=np.ones(3))


def test_bprop_before_fprop() -> None:
    W = af.Parameter(np.ones(2), name="W")
    loss, site = W.sum(), here()
    with pytest.raises(af.FlowGraphError, match="fprop") as error:
        af.FlowGraph(loss).bprop()
    assert site in str(error.value)


def test_wrt_a_box_the_outputs_do_not_depend_on() -> None:
    W = af.Parameter(np.ones(2), name="W")
    V, site = af.Parameter(np.ones(2), name="V"), here()
    with pytest.raises(af.FlowGraphError) as error:
        af.FlowGraph(W.sum(), wrt=[V])
    assert "'V'" in str(error.value) and site in str(error.value)


# non-finite values

def test_check_finite_names_the_first_box_producing_nan() -> None:
    x = af.Input("x")
    bad, site = af.log(x), here()
    loss = (af.exp(bad) * 2).sum()
    graph = af.FlowGraph(loss, check_finite=True)
    with np.errstate(invalid="ignore"), pytest.raises(af.NonFiniteError) as error:
        graph.fprop({x: np.array([1.0, -1.0])})
    message = str(error.value)
    assert message.startswith("Log 'log'") and site in message


def test_check_finite_names_the_first_box_producing_inf() -> None:
    W = af.Parameter(np.array([1.0, 1000.0]), name="W")
    big, site = af.exp(W), here()
    graph = af.FlowGraph(af.log(big).sum(), check_finite=True)
    with np.errstate(over="ignore"), pytest.raises(af.NonFiniteError) as error:
        graph.fprop()
    assert str(error.value).startswith("Exp 'exp'") and site in str(error.value)


def test_without_check_finite_nan_flows_through() -> None:
    x = af.Input("x")
    graph = af.FlowGraph(af.log(x).sum())
    with np.errstate(invalid="ignore"):
        assert np.isnan(graph.fprop({x: np.array([-1.0])}))


def test_check_finite_in_bprop() -> None:
    W = af.Parameter(np.array([0.0, 1.0]), name="W")
    graph = af.FlowGraph((W ** 0.5).sum(), check_finite=True)
    graph.fprop()
    with np.errstate(divide="ignore"), pytest.raises(af.NonFiniteError, match="gradient"):
        graph.bprop()


def test_check_finite_in_bprop_names_the_box_that_produced_it() -> None:
    W = af.Parameter(np.array([0.0, 1.0]), name="W")
    root, site = W ** 0.5, here()
    graph = af.FlowGraph(root.sum(), check_finite=True)
    graph.fprop()
    with np.errstate(divide="ignore"), pytest.raises(af.NonFiniteError) as error:
        graph.bprop()
    assert "Pow 'pow'" in str(error.value) and site in str(error.value)


# custom boxes

class TwoInputs(af.Box):
    """y = a * b with a configurable (wrong) bprop."""

    def __init__(self, a, b, result=None, name=None):
        self.result = result
        super().__init__(a, b, name=name)

    def fprop(self, a, b):
        return a * b

    def bprop(self, grad, a, b):
        return self.result(grad, a, b)


@pytest.mark.parametrize("result", [lambda g, a, b: g * b, lambda g, a, b: (g, g, g)],
                         ids=["one", "three"])
def test_custom_box_with_the_wrong_number_of_gradients(result) -> None:
    a, b = af.Parameter(np.ones(2), name="a"), af.Parameter(np.ones(2), name="b")
    box, site = TwoInputs(a, b, result, name="pair"), here()
    graph = af.FlowGraph(box.sum())
    graph.fprop()
    with pytest.raises(af.BoxError, match="one gradient per input") as error:
        graph.bprop()
    assert "'pair'" in str(error.value) and site in str(error.value)


class OneInputTwoGradients(af.Box):
    def fprop(self, a):
        return 2 * a

    def bprop(self, grad, a):
        return 2 * grad, 2 * grad


def test_one_input_custom_box_returning_two_gradients() -> None:
    a = af.Parameter(np.ones(3), name="a")
    graph = af.FlowGraph(OneInputTwoGradients(a).sum())
    graph.fprop()
    with pytest.raises(af.BoxError, match="one gradient per input"):
        graph.bprop()


def test_custom_box_gradient_shape_that_cannot_be_unbroadcast() -> None:
    a, b = af.Parameter(np.ones((2, 3)), name="a"), af.Parameter(np.ones(3), name="b")
    box, site = TwoInputs(a, b, lambda g, a, b: (g, np.ones(4)), name="pair"), here()
    graph = af.FlowGraph(box.sum())
    graph.fprop()
    with pytest.raises(af.BoxError) as error:
        graph.bprop()
    message = str(error.value)
    assert "'pair'" in message and site in message
    assert "(4,)" in message and "(3,)" in message and "'b'" in message


class Product(af.Box):
    def fprop(self, a, b):
        return a * b

    def bprop(self, grad, a, b):
        return grad * b, grad * a


def test_fprop_arity_mismatch_at_construction() -> None:
    a = af.Parameter(np.ones(2))
    with pytest.raises(af.BoxError, match="takes 2 input") as error:
        site = next_line()
        Product(a, a, a, name="product")
    assert "'product'" in str(error.value) and site in str(error.value)


class Failing(af.Box):
    def fprop(self, a):
        return a + np.ones(7)

    def bprop(self, grad, a):
        raise RuntimeError("bprop exploded")


def test_custom_fprop_error_is_wrapped_and_chained() -> None:
    box, site = Failing(af.Input("x"), name="failing"), here()
    graph = af.FlowGraph(box.sum())
    with pytest.raises(af.BoxError, match="fprop") as error:
        graph.fprop({"x": np.ones(3)})
    assert "'failing'" in str(error.value) and site in str(error.value)
    assert isinstance(error.value.__cause__, ValueError)  # the user's own traceback is kept


def test_custom_bprop_error_is_wrapped() -> None:
    W = af.Parameter(np.ones(7), name="W")
    box, site = Failing(W, name="failing"), here()
    graph = af.FlowGraph(box.sum())
    graph.fprop()
    with pytest.raises(af.BoxError, match="bprop exploded") as error:
        graph.bprop()
    assert site in str(error.value)


class ReturnsABox(af.Box):
    """A typical slip: building a box inside fprop instead of computing with numpy."""

    def fprop(self, a):
        return af.tanh(a)

    def bprop(self, grad, a):
        return grad


def test_custom_fprop_returning_a_box_is_blamed_on_that_box() -> None:
    W = af.Parameter(np.ones(2), name="W")
    box, site = ReturnsABox(W, name="slip"), here()
    graph = af.FlowGraph((box * 2.0).sum())
    with pytest.raises(af.BoxError) as error:
        graph.fprop()
    assert "'slip'" in str(error.value) and site in str(error.value)


# Pow with a box exponent

def test_a_box_exponent_is_power_not_an_error() -> None:
    """Issue 15: ``a ** b`` and ``2 ** a`` with boxes now build Power (both gradients)."""
    a = af.Parameter(np.ones(2), name="a")
    assert isinstance(a ** a, af.ops.Power)
    assert isinstance(2 ** a, af.ops.Power)


def test_pow_with_a_string_exponent_says_what_to_write() -> None:
    with pytest.raises(af.BoxError, match=r"takes a number as exponent.*a \*\* b"):
        af.ops.Pow(af.Parameter(np.ones(2)), exponent="2")


def test_a_constant_in_wrt_is_refused() -> None:
    c = af.Constant(np.ones(2), name="c")
    with pytest.raises(af.FlowGraphError, match="'c'.*Constant"):
        af.FlowGraph((c * af.Parameter(np.ones(2))).sum(), wrt=[c])


# Issue 13, item 8: engine errors that explain themselves

def test_a_box_as_second_argument_of_flowgraph_is_explained_as_wrt() -> None:
    a = af.Parameter(np.ones(2), name="a")
    b = af.tanh(a, name="b")
    with pytest.raises(TypeError, match=r"second argument is wrt.*'b'.*FlowGraph\(\[a, b\]\)"):
        af.FlowGraph(a, b)


@pytest.mark.parametrize("outputs", [5, [], "loss", [np.ones(2)]])
def test_outputs_that_are_not_boxes_are_named(outputs) -> None:
    with pytest.raises(TypeError, match="needs a box or a list of boxes as outputs, got"):
        af.FlowGraph(outputs)


@pytest.mark.parametrize("returned", [np.array([object(), object()]), "x", {"a": 1}])
def test_a_bprop_returning_something_else_than_numbers_is_named(returned) -> None:
    class Bad(af.Box):
        def fprop(self, a):
            return a

        def bprop(self, grad, a):
            return returned

    a = af.Parameter(np.ones(2), name="a")
    graph = af.FlowGraph(Bad(a, name="bad").sum())
    graph.fprop()
    with pytest.raises(af.BoxError, match=r"Bad 'bad'.*bprop returned .* for input #0, not "
                                          r"numbers"):
        graph.bprop()


@pytest.mark.parametrize("make", [lambda x: af.logit(x, 0.2), lambda x: af.tanh(x, name=3),
                                  lambda x: af.Parameter([1.0], name=0.5)],
                         ids=["by position", "by keyword", "a leaf"])
def test_a_name_that_is_not_a_str_is_refused_naming_the_box_class(make) -> None:
    """af.logit(x, 0.2) once named the box "0.2" in silence (torch's eps by position)."""
    with pytest.raises(TypeError, match=r"^\w+: name must be a str, not (float|int) "):
        make(af.Parameter(np.array([0.3, 0.6])))
