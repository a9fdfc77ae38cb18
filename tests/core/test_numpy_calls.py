"""Issue 20: numpy's own calls on boxes with numpy's default arguments (``out=None``,
``dtype=None``, ``where=True``, ...) build the same boxes as without them; other values
are refused by name; inputs given by keyword (``np.dot(a, b=b)``) are inputs."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_flow as af


def _value(box: af.Box) -> np.ndarray:
    return af.FlowGraph(box).fprop()


VALUE = np.arange(1.0, 7.0).reshape(2, 3)


@pytest.mark.parametrize(("call", "reference"), [
    (lambda x: np.exp(x, out=None, dtype=None, where=True, casting="same_kind", order="K",
                      subok=True), np.exp(VALUE)),
    (lambda x: np.add(x, 1.0, out=(None,)), VALUE + 1),
    (lambda x: np.fmod(x, 4.0, out=None), np.fmod(VALUE, 4.0)),
    (lambda x: np.dot(x, x.T, out=None), VALUE @ VALUE.T),
    (lambda x: af.dot(x, b=x.T), VALUE @ VALUE.T),
    (lambda x: af.add(a=x, b=2.0, name="sum"), VALUE + 2),
    (lambda x: np.sum(x, axis=0, dtype=None, out=None), VALUE.sum(axis=0)),
    (lambda x: np.cumsum(x, 1, None, None), np.cumsum(VALUE, 1)),
    (lambda x: np.std(x, axis=1, ddof=1, out=None), np.std(VALUE, axis=1, ddof=1)),
])
def test_numpys_default_arguments_build_the_same_boxes(call, reference) -> None:
    x = af.Parameter(VALUE, name="x")
    np.testing.assert_allclose(_value(call(x)), reference, rtol=1e-15)


@pytest.mark.parametrize(("call", "argument"), [
    (lambda x: np.exp(x, out=np.zeros((2, 3))), "out"),
    (lambda x: np.exp(x, where=VALUE > 2), "where"),
    (lambda x: np.exp(x, dtype=np.float32), "dtype"),
])
def test_other_ufunc_arguments_are_refused_by_name(call, argument) -> None:
    x = af.Parameter(VALUE, name="x")
    with pytest.raises(TypeError, match=rf"np.exp on boxes takes no keyword arguments "
                                        rf"\({argument}\)"):
        call(x)


def test_np_select_on_boxes_picks_the_first_true_condition_with_its_gradient() -> None:
    """np.select reaches a box form through numpy's dispatch (af.select stays the
    hyper-parameter search): the value is numpy's, each choice gets d y where picked."""
    rng = np.random.default_rng(3)
    conditions = [rng.standard_normal((3, 4)) > 0 for _ in range(3)]
    values = [rng.standard_normal((3, 4)) for _ in range(3)]
    choices = [af.Parameter(v, name=f"c{k}") for k, v in enumerate(values)]
    chosen = np.select(conditions, choices, default=1.5)
    np.testing.assert_array_equal(_value(chosen), np.select(conditions, values, default=1.5))
    graph = af.FlowGraph(af.sum(chosen * 2.0))
    graph.fprop()
    gradients = graph.bprop()
    taken = np.zeros((3, 4), bool)
    for condition, choice in zip(conditions, choices):
        np.testing.assert_array_equal(gradients[choice], 2.0 * (condition & ~taken))
        taken |= condition
    assert af.gradcheck(af.sum(chosen ** 2), wrt=choices, raise_on_failure=False).ok
    assert af.select.__name__ == "autograd_flow.select"


@pytest.mark.parametrize(("conditions", "message"), [
    ([np.ones(2, bool)], r"list of cases must be same length .*2 cases, 1 conditions"),
    ([np.ones(2), np.ones(2, bool)], "invalid entry 0 in condlist: should be boolean"),
])
def test_np_select_on_boxes_refuses_what_numpy_refuses(conditions, message) -> None:
    x = af.Parameter(np.ones(2), name="x")
    with pytest.raises((TypeError, ValueError), match=message):
        np.select(conditions, [x, x])


@pytest.mark.parametrize(("call", "message"), [
    (np.linalg.eig, r"np.linalg.eig has no box form .*complex-valued .*use np.linalg.eigh\."),
    (np.linalg.eigvals, r"np.linalg.eigvals has no box form .*use np.linalg.eigvalsh\."),
    (np.fft.fft, r"np.fft.fft has no box form in autograd_flow: a box is a node"),
])
def test_a_numpy_function_without_a_box_form_is_named_as_written(call, message) -> None:
    with pytest.raises(TypeError, match=message):
        call(af.Parameter(np.eye(3), name="x"))


@pytest.mark.parametrize("call", [lambda x: np.array([x, x + 1.0]), lambda x: np.mean([x, x]),
                                  lambda x: np.r_[x], lambda x: np.int64(x)])
def test_numpy_making_an_array_of_a_box_says_what_to_use(call) -> None:
    """numpy makes these arrays without dispatching to boxes: the error says so and
    names af.array / af.stack."""
    with pytest.raises(TypeError, match=r"Parameter 'x' .*numpy makes arrays of boxes itself "
                       r".*without asking autograd_flow; build the array with af.array"):
        call(af.Parameter(np.ones(2), name="x"))
