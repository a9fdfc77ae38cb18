"""af.gradcheck: passes on correct graphs (float64 and float32), handles kinks with the
one-sided rule, and on a wrong bprop fails with a report that points at the box."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import autograd_flow as af


def here() -> str:
    return f"test_gradcheck.py:{sys._getframe(1).f_lineno}"


class Cube(af.Box):
    """y = a**3 (correct)."""

    def fprop(self, a):
        return a ** 3

    def bprop(self, grad, a):
        return 3 * a ** 2 * grad


class SignError(af.Box):
    """y = a**2 / 2 with the sign of its gradient wrong."""

    def fprop(self, a):
        return 0.5 * a * a

    def bprop(self, grad, a):
        return -a * grad


class FactorTwo(af.Box):
    """y = sin(a) with a gradient twice too large."""

    def fprop(self, a):
        return np.sin(a)

    def bprop(self, grad, a):
        return 2 * np.cos(a) * grad


def _mlp(dtype=np.float64, seed: int = 0, middle=None):
    """A 3-5-4-3 tanh MLP with softmax cross-entropy and an L2 penalty; ``middle`` (a
    function of a box) is applied to the hidden activation."""
    rng = np.random.default_rng(seed)
    x, y = af.Input("x"), af.Input("y")
    W1 = af.Parameter(rng.uniform(-1, 1, (5, 3)).astype(dtype), name="W1")
    b1 = af.Parameter(rng.uniform(-0.1, 0.1, 5).astype(dtype), name="b1")
    W2 = af.Parameter(rng.uniform(-1, 1, (4, 5)).astype(dtype), name="W2")
    b2 = af.Parameter(np.zeros(4, dtype), name="b2")
    W3 = af.Parameter(rng.uniform(-1, 1, (3, 4)).astype(dtype), name="W3")
    h = af.tanh(af.linear(x, W1, b1))
    if middle is not None:
        h = middle(h)
    h = af.sigmoid(af.linear(h, W2, b2))
    loss = af.softmax_cross_entropy(af.linear(h, W3), y) + 1e-2 * af.l2_penalty([W1, W2, W3])
    feed = {x: rng.standard_normal((6, 3)).astype(dtype), y: rng.integers(0, 3, 6)}
    return af.FlowGraph(loss), feed, [W1, b1, W2, b2, W3]


def test_passes_on_a_correct_mlp_and_checks_every_entry() -> None:
    graph, feed, parameters = _mlp()
    report = af.gradcheck(graph, feed)
    assert report.ok and not report.failures and not report.faults
    checked = {e.box.name for e in report.entries}
    assert checked == {"W1", "b1", "W2", "b2", "W3", "x"}  # float inputs too, not labels
    assert len(report.entries) == sum(p.value.size for p in parameters) + 18
    assert max(e.rel_error for e in report.entries if abs(e.analytic) > 1e-3) < 1e-6


def test_explicit_wrt_and_eps() -> None:
    graph, feed, parameters = _mlp()
    report = af.gradcheck(graph, feed, wrt=parameters[:1], eps=1e-6)
    assert report.ok and {e.box.name for e in report.entries} == {"W1"}


def test_a_float32_mlp_is_rerun_in_float64_and_left_unchanged() -> None:
    graph, feed, parameters = _mlp(np.float32)
    before = [(p.value, p.value.copy()) for p in parameters]
    report = af.gradcheck(graph, feed, rtol=1e-5, atol=1e-8)
    assert report.ok
    for parameter, (array, copy) in zip(parameters, before):
        assert parameter.value is array and array.dtype == np.float32
        np.testing.assert_array_equal(array, copy)


def test_a_float32_graph_with_a_declared_input_dtype() -> None:
    x = af.Input("x", shape=(None, 3), dtype=np.float32)
    W = af.Parameter(np.ones((2, 3), np.float32), name="W")
    af.gradcheck(af.tanh(af.linear(x, W)).sum(), {x: np.ones((4, 3), np.float32)})


def test_a_non_scalar_output_is_checked_through_a_projection() -> None:
    rng = np.random.default_rng(1)
    W = af.Parameter(rng.standard_normal((3, 4)), name="W")
    report = af.gradcheck(af.tanh(W) * W, {})
    assert report.ok and len(report.entries) == 12


@pytest.mark.parametrize("kink", ["relu", "abs", "maximum", "maximum-broadcast"])
def test_kinks_pass_by_the_one_sided_rule(kink: str) -> None:
    a = af.Parameter(np.array([0.0, 0.0, 1.5, -2.0, 0.0]), name="a")
    if kink == "relu":
        out = af.relu(a) * np.arange(1.0, 6.0)
    elif kink == "abs":
        out = af.abs(a) * np.arange(1.0, 6.0)
    elif kink == "maximum":
        b = af.Parameter(np.array([0.0, 1.0, 1.5, -2.0, -1.0]), name="b")
        out = af.maximum(a, b) * np.arange(1.0, 6.0)
    else:
        out = af.maximum(a, 0.0) * np.arange(1.0, 6.0)
    report = af.gradcheck(out.sum(), {})
    assert report.ok
    at_kink = [e for e in report.entries if e.left != pytest.approx(e.right)]
    assert at_kink  # the check really was one-sided somewhere


class WrongAtZero(af.Box):
    """relu whose gradient at exactly 0 is 3: outside [left, right] = [0, 1]."""

    def fprop(self, a):
        return np.maximum(a, 0)

    def bprop(self, grad, a):
        return grad * ((a > 0) + 3.0 * (a == 0))


def test_a_wrong_gradient_at_a_kink_still_fails() -> None:
    a = af.Parameter(np.array([0.0, 1.0, -1.0]), name="a")
    box, site = WrongAtZero(a, name="bad_relu"), here()
    report = af.gradcheck(box.sum(), {}, raise_on_failure=False)
    assert not report.ok and [e.index for e in report.failures] == [(0,)]
    assert report.faults[0].box is box and site in str(report)


def _assert_named_first(error: pytest.ExceptionInfo, box: af.Box, site: str) -> None:
    report = error.value.report
    assert not report.ok and report.faults
    assert report.faults[0].box is box, report.faults
    assert all(f.box.name not in ("cube", "sum", "exp") for f in report.faults)
    first_fault = next(line for line in str(error.value).splitlines() if "bprop is wrong" in line)
    assert f"{type(box).__name__} 'suspect' (created at {site})" in first_fault


@pytest.mark.parametrize("bad", [SignError, FactorTwo])
def test_a_wrong_bprop_is_named_first_among_correct_boxes(bad: type) -> None:
    """The wrong box sits after correct builtin boxes and under a correct custom box."""
    rng = np.random.default_rng(4)
    W = af.Parameter(rng.standard_normal((4, 3)), name="W")
    x = af.Input("x")
    h = af.tanh(W * x + 1.0)
    suspect, site = bad(h, name="suspect"), here()
    loss = af.exp(Cube(suspect, name="cube") * 0.1).sum() + af.sigmoid(h).mean()
    with pytest.raises(af.GradientCheckError) as error:
        af.gradcheck(loss, {x: rng.standard_normal(3)})
    _assert_named_first(error, suspect, site)


@pytest.mark.parametrize("bad", [SignError, FactorTwo])
def test_a_wrong_bprop_is_named_first_even_buried_in_an_mlp(bad: type) -> None:
    made = {}

    def middle(h):
        made["box"], made["site"] = bad(h, name="suspect"), here()
        return Cube(made["box"], name="cube") + af.exp(h)

    graph, feed, _ = _mlp(middle=middle)
    with pytest.raises(af.GradientCheckError) as error:
        af.gradcheck(graph, feed)
    _assert_named_first(error, made["box"], made["site"])


@pytest.mark.parametrize("where", ["parameter", "feed"])
def test_non_contiguous_arrays_are_checked(where: str) -> None:
    M = np.arange(6.0).reshape(2, 3)
    x = af.Input("x")
    W = af.Parameter(M.T if where == "parameter" else M.T.copy(), name="W")
    af.gradcheck((W * W * x).sum(), {x: M.T if where == "feed" else M.T.copy()})


def test_a_wrong_box_on_a_scalar_input_is_named() -> None:
    W = af.Parameter(np.array([0.5, -1.0, 2.0]), name="W")
    bad = SignError(W.sum(), name="suspect")
    report = af.gradcheck(bad, {}, raise_on_failure=False)
    assert not report.ok
    assert report.faults and report.faults[0].box is bad


def test_report_is_a_table_of_the_worst_entries() -> None:
    rng = np.random.default_rng(2)
    W = af.Parameter(rng.standard_normal((4, 5)), name="W")
    report = af.gradcheck(FactorTwo(W, name="twice").sum() + (W * W).sum(), {},
                          raise_on_failure=False)
    assert not report.ok and len(report.failures) == 20
    text = str(report).splitlines()
    assert text[0].startswith("gradcheck: 20 of 20 gradient entries disagree")
    header = next(i for i, line in enumerate(text) if "analytic" in line)
    for column in ("box", "index", "analytic", "numeric", "rel error"):
        assert column in text[header]
    rows = text[header + 1:]
    assert len(rows) == 10 and all(row.startswith("W ") and row.endswith("NO") for row in rows)
    worst = report.worst(10)
    assert [e.rel_error for e in worst] == sorted((e.rel_error for e in worst), reverse=True)
    assert worst[0].rel_error == max(e.rel_error for e in report.entries)


def test_raise_on_failure_false_returns_the_report() -> None:
    a = af.Parameter(np.array([1.0, 2.0]), name="a")
    report = af.gradcheck(SignError(a).sum(), {}, raise_on_failure=False)
    assert isinstance(report, af.GradcheckReport)
    assert report.ok is False and len(report.failures) == 2
    for entry in report.failures:
        assert entry.analytic == pytest.approx(-entry.numeric, rel=1e-6)


def test_max_entries_limits_the_work_per_box() -> None:
    rng = np.random.default_rng(3)
    W = af.Parameter(rng.standard_normal((10, 10)), name="W")
    b = af.Parameter(rng.standard_normal(2), name="b")
    loss = af.tanh(W).sum() + (b * b).sum()
    report = af.gradcheck(loss, {}, max_entries=7)
    by_box = [e.box.name for e in report.entries]
    assert by_box.count("W") == 7 and by_box.count("b") == 2
    again = af.gradcheck(loss, {}, max_entries=7)
    assert [e.index for e in again.entries] == [e.index for e in report.entries]
    other = af.gradcheck(loss, {}, max_entries=7, seed=1)
    assert [e.index for e in other.entries] != [e.index for e in report.entries]


def test_gradient_check_error_is_a_flow_graph_error_and_an_assertion() -> None:
    a = af.Parameter(np.array([1.0]), name="a")
    with pytest.raises(af.GradientCheckError) as error:
        af.gradcheck(SignError(a), {})
    assert isinstance(error.value, af.FlowGraphError)
    assert isinstance(error.value, AssertionError)


def test_a_jump_in_the_second_derivative_is_not_a_wrong_gradient() -> None:
    # d/dx (|x| x) = 2|x| is continuous, but the second derivative jumps at 0, so the
    # central difference there is off by the step itself (~6e-6 > atol)
    x = af.Parameter(np.array([0.0, 1.0, -0.5]), name="x")
    report = af.gradcheck(af.sum(af.abs(x) * x))
    assert report.ok


def test_a_wrong_gradient_at_such_a_point_still_fails() -> None:
    class HalfCube(af.Box):
        """y = |a| a with a bprop off by a constant"""

        def fprop(self, a):
            return np.abs(a) * a

        def bprop(self, grad, a):
            return grad * (2 * np.abs(a) + 1e-3)

    x = af.Parameter(np.array([0.0, 1.0]), name="x")
    with pytest.raises(af.GradientCheckError, match="HalfCube"):
        af.gradcheck(af.sum(HalfCube(x)))
