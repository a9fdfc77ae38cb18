"""Binary arithmetic primitives with numpy broadcasting, through the one table checker."""
from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import ops

from .table import Aux, Case, parametrize

BINARY_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((4, 2, 3), (2, 1)),
                 ((), (2, 3)), ((2, 3), ())]
NEW_SHAPES = [*BINARY_SHAPES, ((), ()), ((0,), (0,)), ((2, 0), (1,)), ((0, 3), (3,))]


def two_to_the(b):
    """2.0 ** b: a Python number base (issue 20: its float32 gradient was float64)."""
    return 2.0 ** b


TABLE: list[Case] = [
    *[Case(ops.Add, s, np.add) for s in BINARY_SHAPES],
    *[Case(ops.Sub, s, np.subtract) for s in BINARY_SHAPES],
    *[Case(ops.Mul, s, np.multiply) for s in BINARY_SHAPES],
    *[Case(ops.Div, s, np.divide, ("real", "nonzero")) for s in BINARY_SHAPES],
    *[Case(ops.Maximum, s, np.maximum) for s in BINARY_SHAPES],
    *[Case(ops.Pow, ((2, 3),), lambda a, p=p: a ** p, "positive", {"exponent": p},
           reference_kwargs={}) for p in (2, 3, 0.5, -1, -1.5, 1, 0)],
    Case(ops.Pow, ((4,),), lambda a: a ** 3, "real", {"exponent": 3}, reference_kwargs={}),
    *[Case(ops.Minimum, s, np.minimum) for s in BINARY_SHAPES],
    *[Case(ops.Power, s, np.power, ("positive", "real")) for s in BINARY_SHAPES],
    *[Case(two_to_the, (s,), two_to_the) for s in [(), (2, 3)]],
    *[Case(ops.Where, (Aux(lambda rng, s=c: rng.random(s) < 0.5, "cond"), a, b),
           np.where) for c, a, b in [((3,), (3,), (3,)), ((2, 3), (3,), ()),
                                     ((2, 1), (1, 3), (2, 3)), ((), (2,), (2,))]],
    # issue 15: every binary box on the broadcasting shapes and on empty arrays
    *[Case(af.arctan2, s, np.arctan2, ("nonzero", "real")) for s in NEW_SHAPES],
    *[Case(af.arctan2, s, np.arctan2, ("real", "positive")) for s in BINARY_SHAPES[:3]],
    *[Case(af.hypot, s, np.hypot) for s in NEW_SHAPES],
    *[Case(af.logaddexp, s, np.logaddexp, d) for s in NEW_SHAPES for d in ("real", "wide")],
    *[Case(af.fmax, s, np.fmax) for s in NEW_SHAPES],
    *[Case(af.fmin, s, np.fmin) for s in NEW_SHAPES],
    *[Case(af.mod, s, np.mod, ("wide", "nonzero")) for s in NEW_SHAPES],
    *[Case(af.mod, s, np.mod, ("real", "positive")) for s in BINARY_SHAPES[:3]],
    # issue 20: floor division (no gradient) and fmod (the sign of a)
    *[Case(af.floor_divide, s, np.floor_divide, ("wide", "nonzero")) for s in NEW_SHAPES],
    *[Case(af.fmod, s, np.fmod, ("wide", "nonzero")) for s in NEW_SHAPES],
    *[Case(af.fmod, s, np.fmod, ("real", "positive")) for s in BINARY_SHAPES[:3]],
    *[Case(af.clip, (s,), np.clip, "real", bounds) for s in [(), (3,), (2, 3), (0,)]
      for bounds in [{"a_min": -0.5, "a_max": 0.5}, {"a_min": None, "a_max": 0.3},
                     {"a_min": -0.2, "a_max": None}, {"a_min": None, "a_max": None}]],
    # array bounds broadcast with a (float32, so float32 inputs stay float32 as in numpy)
    Case(af.clip, ((2, 3),), np.clip, "real",
         {"a_min": np.array([-1.0, 0.0, -0.5], np.float32), "a_max": 0.4}),
    Case(af.clip, ((3,),), np.clip, "real",
         {"a_min": np.float32(-0.3), "a_max": np.array([[0.1], [0.8]], np.float32)}),
    # box bounds (inputs, with broadcasting; a_min > a_max somewhere in the 3-input rows)
    *[Case(af.clip, shapes, np.clip) for shapes in [((2, 3), (2, 3), (2, 3)),
                                                   ((2, 3), (3,), (2, 1)), ((), (), ()),
                                                   ((3,), (2, 3), ())]],
    Case(lambda a, low: af.clip(a, low, None), ((2, 3), (3,)),
         lambda a, low: np.clip(a, low, None)),
    Case(lambda a, high: af.clip(a, -0.3, high), ((2, 3), (2, 1)),
         lambda a, high: np.clip(a, -0.3, high)),
]


@parametrize(TABLE)
def test_arithmetic(case: Case, check) -> None:
    check(case)


def test_maximum_splits_the_gradient_at_ties() -> None:
    """max(a, b) gives half the gradient to each side where a == b (a subgradient)."""
    a, b = af.Parameter(np.array([1.0, 2.0, 3.0])), af.Parameter(np.array([1.0, 0.0, 5.0]))
    graph = af.FlowGraph(af.maximum(a, b).sum())
    graph.fprop()
    grads = graph.bprop()
    assert grads[a].tolist() == [0.5, 1.0, 0.0]
    assert grads[b].tolist() == [0.5, 0.0, 1.0]


def test_pow_zero_exponent_has_zero_gradient_at_zero() -> None:
    a = af.Parameter(np.array([0.0, 2.0]))
    graph = af.FlowGraph((a ** 0).sum())
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop()[a], [0.0, 0.0])


def test_a_numpy_scalar_exponent_does_not_promote_float32() -> None:
    x = af.Input("x")
    value = af.FlowGraph(x ** np.float64(2.0)).fprop({x: np.full(2, 3, np.float32)})
    assert value.dtype == np.float32 and value.tolist() == [9.0, 9.0]


@pytest.mark.parametrize("exponent", [np.array([1.0, 2.0]), "2"])
def test_pow_refuses_an_array_exponent(exponent) -> None:
    with pytest.raises(af.BoxError, match=r"Pow .* takes a number as exponent, not .*"
                                          r"for a box exponent write a \*\* b"):
        ops.Pow(af.Parameter(np.ones(2)), exponent=exponent)


def test_a_box_or_array_exponent_builds_power_with_both_gradients() -> None:
    a = af.Parameter(np.array([2.0, 3.0]), name="a")
    b = af.Parameter(np.array([3.0, 0.5]), name="b")
    graph = af.FlowGraph((a ** b).sum())
    graph.fprop()
    grads = graph.bprop()
    np.testing.assert_allclose(grads[a], b.value * a.value ** (b.value - 1))
    np.testing.assert_allclose(grads[b], a.value ** b.value * np.log(a.value))
    assert isinstance(a ** np.array([1.0, 2.0]), ops.Power)
    assert isinstance(2.0 ** a, ops.Power)
    assert isinstance(a ** 2, ops.Pow) and isinstance(a ** af.Constant(2), ops.Pow)


def test_power_gives_the_exponent_no_gradient_where_the_base_is_not_positive() -> None:
    a = af.Parameter(np.array([0.0, -2.0, 2.0]), name="a")
    b = af.Parameter(np.array([2.0, 2.0, 2.0]), name="b")
    graph = af.FlowGraph((a ** b).sum())
    graph.fprop()
    np.testing.assert_array_equal(graph.bprop()[b], [0.0, 0.0, 4 * np.log(2.0)])


# -- issue 15: closed forms, stability, NaN and ties, mod's signs, clip's bounds ----------

def _both_grads(function, *arrays: np.ndarray) -> tuple:
    """The value of function(*arrays), and d sum(function) / d each input by the numeric
    bprop and by the box form (af.grad)."""
    params = [af.Parameter(a, name=f"in{k}") for k, a in enumerate(arrays)]
    out = function(*params)
    graph = af.FlowGraph(out)
    value = graph.fprop()
    numeric = graph.bprop(seed=np.ones_like(value))
    boxed = af.FlowGraph(af.grad(af.sum(out), params)).fprop()
    boxed = boxed if isinstance(boxed, tuple) else (boxed,)
    return value, [numeric[p] for p in params], list(boxed)


def test_arctan2_and_hypot_derivatives_match_their_closed_forms() -> None:
    a, b = np.meshgrid(np.linspace(-3, 3, 7), np.array([-2.0, -0.5, 0.5, 2.0]))
    value, numeric, boxed = _both_grads(af.arctan2, a, b)
    np.testing.assert_allclose(value, np.arctan2(a, b), rtol=1e-15)
    np.testing.assert_allclose(numeric[0], b / (a ** 2 + b ** 2), rtol=1e-14)
    np.testing.assert_allclose(numeric[1], -a / (a ** 2 + b ** 2), rtol=1e-14)
    value, numeric, boxed_hypot = _both_grads(af.hypot, a, b)
    np.testing.assert_allclose(numeric[0], a / np.sqrt(a ** 2 + b ** 2), rtol=1e-14)
    np.testing.assert_allclose(numeric[1], b / np.sqrt(a ** 2 + b ** 2), rtol=1e-14)
    for n, bx in zip(numeric, boxed_hypot):
        np.testing.assert_array_equal(bx, n)


def test_hypot_gradient_at_the_origin_is_zero_as_abs_at_zero() -> None:
    a = np.array([0.0, 0.0, 3.0], np.float32)
    b = np.array([0.0, 2.0, 0.0], np.float32)
    with np.errstate(all="raise"):
        value, numeric, boxed = _both_grads(af.hypot, a, b)
    assert value.tolist() == [0.0, 2.0, 3.0]
    assert numeric[0].tolist() == boxed[0].tolist() == [0.0, 0.0, 1.0]
    assert numeric[1].tolist() == boxed[1].tolist() == [0.0, 1.0, 0.0]
    assert numeric[0].dtype == boxed[1].dtype == np.float32


def test_hypot_does_not_overflow() -> None:
    a = np.array([3e300, 3e-300])
    with np.errstate(all="raise"):
        value, numeric, _ = _both_grads(af.hypot, a, a * 4 / 3)
    np.testing.assert_allclose(value, a * 5 / 3, rtol=1e-15)
    np.testing.assert_allclose(numeric[0], [0.6, 0.6], rtol=1e-15)


# Underflow is not an error here: e^-2000 rounds to 0, the exact float (numpy's own
# np.logaddexp(1000.0, -1000.0) raises under all="raise" for the same reason).
NO_OVERFLOW = {"all": "raise", "under": "ignore"}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logaddexp_is_exact_at_plus_and_minus_1000(dtype) -> None:
    a = np.array([1000.0, -1000.0, 1000.0, -1000.0], dtype)
    b = np.array([-1000.0, 1000.0, 1000.0, -1000.0], dtype)
    with np.errstate(**NO_OVERFLOW):
        value, (d_a, d_b), (boxed_a, boxed_b) = _both_grads(af.logaddexp, a, b)
    assert value.dtype == d_a.dtype == boxed_b.dtype == dtype
    log2 = math.log(2)
    np.testing.assert_allclose(value, [1000, 1000, 1000 + log2, -1000 + log2],
                               rtol=np.finfo(dtype).eps)
    assert d_a.tolist() == boxed_a.tolist() == [1.0, 0.0, 0.5, 0.5]
    assert d_b.tolist() == boxed_b.tolist() == [0.0, 1.0, 0.5, 0.5]


@pytest.mark.parametrize(("function", "extreme"), [(af.fmax, np.fmax), (af.fmin, np.fmin)])
def test_fmax_and_fmin_ignore_nan_and_split_ties(function, extreme) -> None:
    nan = np.nan
    a = np.array([1.0, 2.0, nan, 3.0, nan, 4.0, -1.0])
    b = np.array([2.0, 1.0, 5.0, nan, nan, 4.0, -1.0])
    value, (d_a, d_b), (boxed_a, boxed_b) = _both_grads(function, a, b)
    np.testing.assert_array_equal(value, extreme(a, b))
    winner_a = 1.0 if extreme is np.fmin else 0.0  # who wins the first two entries
    assert d_a.tolist() == boxed_a.tolist() == [winner_a, 1 - winner_a, 0, 1, 0, 0.5, 0.5]
    assert d_b.tolist() == boxed_b.tolist() == [1 - winner_a, winner_a, 1, 0, 0, 0.5, 0.5]


def test_fmax_broadcasts_and_sums_the_gradient_back() -> None:
    a = np.array([[1.0, np.nan], [3.0, 0.0]])
    b = np.array([2.0, 2.0])
    _, (d_a, d_b), (boxed_a, boxed_b) = _both_grads(af.fmax, a, b)
    assert d_a.tolist() == boxed_a.tolist() == [[0.0, 0.0], [1.0, 0.0]]
    assert d_b.tolist() == boxed_b.tolist() == [1.0, 2.0]


def test_mod_follows_numpys_signs_and_its_divisor_gradient_is_minus_floor() -> None:
    a = np.array([7.5, -7.5, 7.5, -7.5, 0.25])
    b = np.array([2.0, 2.0, -2.0, -2.0, 3.0])
    value, (d_a, d_b), (boxed_a, boxed_b) = _both_grads(af.mod, a, b)
    assert value.tolist() == np.mod(a, b).tolist() == [1.5, 0.5, -0.5, -1.5, 0.25]
    assert d_a.tolist() == boxed_a.tolist() == [1.0] * 5
    assert d_b.tolist() == boxed_b.tolist() == (-np.floor(a / b)).tolist()


def test_percent_operator_and_remainder_build_mod() -> None:
    x = af.Input("x")
    assert af.remainder is af.mod
    for box, expected in [(x % 3.0, np.mod([-4.0, 5.0], 3.0)),
                          (10.0 % x, np.mod(10.0, [-4.0, 5.0])),
                          (af.remainder(x, -3), np.mod([-4.0, 5.0], -3))]:
        assert isinstance(box, ops.Mod)
        assert af.FlowGraph(box).fprop({x: np.array([-4.0, 5.0])}).tolist() == expected.tolist()


def test_fmod_takes_the_sign_of_a_and_its_divisor_gradient_is_minus_trunc() -> None:
    """Issue 20: y = a - b trunc(a / b); d a = 1, d b = -trunc(a / b)."""
    a = np.array([7.5, -7.5, 7.5, -7.5, 0.25, -0.25])
    b = np.array([2.0, 2.0, -2.0, -2.0, 3.0, 3.0])
    value, (d_a, d_b), (boxed_a, boxed_b) = _both_grads(af.fmod, a, b)
    assert value.tolist() == np.fmod(a, b).tolist() == [1.5, -1.5, 1.5, -1.5, 0.25, -0.25]
    assert d_a.tolist() == boxed_a.tolist() == [1.0] * 6
    assert d_b.tolist() == boxed_b.tolist() == (-np.trunc(a / b)).tolist() \
        == [-3.0, 3.0, 3.0, -3.0, 0.0, 0.0]


def test_floor_division_is_numpys_and_has_no_gradient() -> None:
    """Issue 20: //, //=, np.floor_divide and af.floor_divide build FloorDivide, whose
    gradient is 0 in both inputs (piecewise constant, as floor)."""
    a = np.array([7.5, -7.5, 7.5, -7.5, 0.25])
    b = np.array([2.0, 2.0, -2.0, -2.0, 3.0])
    value, (d_a, d_b), (boxed_a, boxed_b) = _both_grads(af.floor_divide, a, b)
    assert value.tolist() == np.floor_divide(a, b).tolist() == [3.0, -4.0, -4.0, 3.0, 0.0]
    assert d_a.tolist() == d_b.tolist() == boxed_a.tolist() == boxed_b.tolist() == [0.0] * 5
    x = af.Input("x")
    feed = np.array([-4.0, 5.0])
    y = x
    y //= 3.0
    for box, expected in [(x // 3.0, feed // 3.0), (10.0 // x, 10.0 // feed), (y, feed // 3.0),
                          (np.floor_divide(x, -3), np.floor_divide(feed, -3)),
                          (np.fmod(x, 3.0), np.fmod(feed, 3.0))]:
        assert isinstance(box, (ops.FloorDivide, ops.Fmod))
        assert af.FlowGraph(box).fprop({x: feed}).tolist() == expected.tolist()
    ints = af.Input("ints")
    assert af.FlowGraph(ints // 4).fprop({ints: np.array([-9, 9])}).tolist() == [-3, 2]


def test_clip_gradient_is_one_strictly_inside_and_zero_on_and_outside_the_bounds() -> None:
    a = np.array([-2.0, -1.0, -0.5, 0.0, 0.999, 1.0, 3.0])
    value, (numeric,), (boxed,) = _both_grads(lambda p: af.clip(p, -1, 1), a)
    assert value.tolist() == np.clip(a, -1, 1).tolist()
    assert numeric.tolist() == boxed.tolist() == [0, 0, 1, 1, 1, 0, 0]
    _, (numeric,), (boxed,) = _both_grads(lambda p: p.clip(max=0.0), a)
    assert numeric.tolist() == boxed.tolist() == [1, 1, 1, 0, 0, 0, 0]
    _, (numeric,), (boxed,) = _both_grads(lambda p: p.clip(2.0, 1.0), a)  # a_min > a_max
    assert numeric.tolist() == boxed.tolist() == [0] * 7


def test_clip_method_and_array_bounds() -> None:
    x = af.Input("x")
    a = np.linspace(-2, 2, 6).reshape(2, 3)
    low = np.array([-1.0, 0.0, 0.5])
    for box, expected in [(x.clip(-1, 1), np.clip(a, -1, 1)), (x.clip(low), a.clip(low)),
                          (x.clip(None, low), a.clip(None, low)),
                          (af.clip(x, [[-3.0], [0.1]], 1.5), np.clip(a, [[-3], [0.1]], 1.5)),
                          (x.clip(), a.clip())]:
        assert isinstance(box, ops.Clip)
        np.testing.assert_array_equal(af.FlowGraph(box).fprop({x: a}), expected)


def test_clip_numpy_scalar_bounds_do_not_promote_float32() -> None:
    x = af.Input("x")
    box = af.clip(x, np.float64(-0.5), np.array(0.5))
    assert box.a_min == -0.5 and type(box.a_min) is float and type(box.a_max) is float
    value = af.FlowGraph(box).fprop({x: np.array([-1.0, 0.2, 1.0], np.float32)})
    assert value.dtype == np.float32 and value.tolist() == [-0.5, np.float32(0.2), 0.5]


@pytest.mark.parametrize(("bounds", "message"), [
    ((0.0, "1"), "a_max must be a number, an array or None, not '1'"),
    ((np.array(["a"]), None), "a_min must hold real numbers"),
    ((True, None), "a_min must be a number"),
])
def test_clip_refuses_bounds_it_cannot_use(bounds, message) -> None:
    with pytest.raises(af.BoxError, match=message):
        af.clip(af.Input("x"), *bounds)


@pytest.mark.parametrize("build", [lambda a, b: af.power(a, b), lambda a, b: a ** b,
                                   lambda a, b: np.power(a, b)])
def test_power_with_a_zero_exponent_has_gradient_zero_at_a_zero_base(build) -> None:
    """Issue 20: d/da a**0 at a = 0 was 0 * 0**-1 = NaN; HIPS autograd and torch give 0.
    Away from a = 0 the mixed second derivative d/db (b a**(b-1)) = 1/a stays exact."""
    a = af.Parameter(np.array([0.0, 2.0, -1.5]), name="a")
    b = af.Parameter(np.array(0.0), name="b")
    value, numeric, boxed = _both_grads(build, a.value, b.value)
    np.testing.assert_array_equal(value, [1.0, 1.0, 1.0])
    for grads in (numeric, boxed):
        np.testing.assert_array_equal(grads[0], [0.0, 0.0, 0.0])
        assert grads[1] == pytest.approx(np.log(2.0))
    x = af.Parameter(np.array([2.0, -1.5]), name="x")
    y = af.Parameter(np.array(0.0), name="y")
    mixed = af.FlowGraph(af.grad(af.sum(af.grad(af.sum(build(x, y)), x)), y)).fprop()
    assert mixed == pytest.approx(1 / 2.0 + 1 / -1.5)


def test_power_of_a_number_base_keeps_float32_gradients() -> None:
    x = af.Parameter(np.array([0.5, 1.0], np.float32), name="x")
    graph = af.FlowGraph(af.sum(2.0 ** x))
    assert graph.fprop().dtype == np.float32
    assert graph.bprop()[x].dtype == np.float32
    assert af.FlowGraph(af.grad(af.sum(2.0 ** x), x)).fprop().dtype == np.float32


def test_clip_box_bounds_get_the_gradient_where_they_bind_as_torch() -> None:
    """y = min(max(a, low), high): a's gradient strictly inside, low's where a < low <=
    high, high's where max(a, low) > high (so where low > high, high wins, as numpy)."""
    a = np.array([-2.0, 0.0, 2.0, 0.5, 3.0])
    low = np.array([-1.0, -1.0, -1.0, 1.0, 2.5])
    high = np.array([1.0, 1.0, 1.0, 0.0, 1.0])
    x, lo, hi = af.Parameter(a), af.Parameter(low), af.Parameter(high)
    graph = af.FlowGraph(af.sum(np.clip(x, lo, hi)))
    assert graph.fprop() == np.clip(a, low, high).sum()
    gradients = graph.bprop()
    assert gradients[x].tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]
    assert gradients[lo].tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert gradients[hi].tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]
