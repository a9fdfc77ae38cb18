"""autograd_flow against HIPS autograd's own gradient tests (their files, unchanged, in
tests/reference/hips/; see :mod:`tests.reference.hips_autograd`): every check_grads and
combo_check call, its value against numpy and its gradient to second order against
central differences (af.gradcheck). A check af cannot express (a complex input, a numpy
function af does not have) skips and says why; ``python -m tests.reference.summary``
prints the counts."""
import numpy as np
import pytest

import autograd_flow as af

from . import hips_numpy
from .hips_autograd import checks, run
from .outcomes import NOT_EXPRESSIBLE, PASS

#: checks known to fail, with the reason (strict: a check that passes fails, so no entry
#: outlives its bug); none today
KNOWN: dict[str, str] = {}

CHECKS = checks()


def _marked(check):
    reason = KNOWN.get(check.id)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(check, id=check.id, marks=marks)


@pytest.mark.slow
@pytest.mark.parametrize("check", [_marked(check) for check in CHECKS])
def test_hips_check(check) -> None:
    outcome = run(check)
    if outcome.kind == NOT_EXPRESSIBLE:
        pytest.skip(f"not expressible: {outcome.reason}")
    assert outcome.kind == PASS, f"{check.id}: {outcome.kind}: {outcome.reason}"


def test_the_known_failures_are_checks() -> None:
    """Every entry of KNOWN names a check (a renamed or vanished one is noticed)."""
    assert set(KNOWN) <= {check.id for check in CHECKS}


def test_what_af_cannot_express_says_why_precisely() -> None:
    """A complex-valued result is not expressible, and says so."""
    outcome = run(next(check for check in CHECKS if check.id == "linalg.test_eig_real[0]"))
    assert outcome.kind == NOT_EXPRESSIBLE and outcome.reason.startswith(
        "np.linalg.eig has no box form in autograd_flow: its results are complex-valued "
        "for a real matrix in general"), outcome


#: the checks where HIPS's code has numpy make an array of boxes (np.array, np.r_, np.c_,
#: np.int64(box), np.mean/std/var/append/linalg.norm of a list of boxes) or calls
#: autograd's own names (np.make_diagonal, np.linalg.T and _dot): hips_numpy ports them
PORTED = [
    *(f"numpy.{name}[0]" for name in (
        "test_simple_append_list_2D", "test_1d_array", "test_2d_array", "test_1d_array_fanout",
        "test_2d_array_fanout", "test_array_from_scalar", "test_array_from_arrays",
        "test_array_from_arrays_2", "test_r_basic", "test_r_double", "test_r_node_and_const",
        "test_r_mixed", "test_r_slicing", "test_c_", "test_c_mixed", "test_cast_to_int",
        "test_max_equal_values", "test_make_diagonal", "test_diagonal")),
    "numpy.test_make_diagonal[1]", "numpy.test_diagonal[1]",
    "numpy.test_max_equal_values_2d[1]", "numpy.test_min_3_way_equality[1]",
    "numpy.test_maximum_equal_values_2d[2]",
    *(f"numpy.test_{name}_list_of_boxes[body]" for name in ("mean", "std", "var")),
    "linalg.test_norm_list_of_boxes[body]",
    *(f"linalg.test_pinv[{k}]" for k in range(12, 24)),
]


@pytest.mark.parametrize("check_id", PORTED)
def test_array_making_and_autograds_own_names_pass(check_id) -> None:
    """Each ported check passes value, gradient and HVP (a body: its assertions hold)."""
    outcome = run(next(check for check in CHECKS if check.id == check_id))
    assert outcome.kind == PASS, outcome


def test_hips_numpy_without_boxes_is_numpy() -> None:
    """Calls with no box among their items are numpy's own: the numpy-only parts of
    HIPS's tests are unchanged, and np.int64 is still numpy's dtype."""
    assert type(hips_numpy.array([1.0, 2.0])) is np.ndarray
    assert hips_numpy.r_[np.ones(2), 0:3].tolist() == [1, 1, 0, 1, 2]
    assert hips_numpy.c_[np.ones(2), np.zeros(2)].shape == (2, 2)
    assert type(hips_numpy.int64(2.7)) is np.int64 and np.dtype(hips_numpy.int64) == np.int64
    assert hips_numpy.mean([1.0, 3.0]) == 2.0 and hips_numpy.sin is np.sin


@pytest.mark.parametrize("build", [
    lambda np_, x, c: np_.r_[x[:, 0], c[0], 1:4],
    lambda np_, x, c: np_.r_[x, c],
    lambda np_, x, c: np_.c_[x, c, x],
    lambda np_, x, c: np_.c_[x[:, 0], c],
    lambda np_, x, c: np_.array([[x[0, 0], 1.0], [x[1, 1], x[2, 0]]], dtype=np.float32),
    lambda np_, x, c: np_.linalg.norm([x[0, 0], x[1, 1]]),
    lambda np_, x, c: np_.make_diagonal(x, axis1=-1, axis2=-2),
])
def test_hips_numpy_with_boxes_is_af_with_numpys_value(build) -> None:
    """With boxes among the items the result is a box whose value is numpy's."""
    data, c = np.arange(6.0).reshape(3, 2), np.full((3, 2), 7.0)
    box = build(hips_numpy, af.Parameter(data, name="x"), c)
    assert isinstance(box, af.Box)
    expected = build(hips_numpy, data, c)
    value = af.FlowGraph(box).fprop()
    assert value.dtype == expected.dtype and np.array_equal(value, expected)


def test_make_diagonal_refuses_what_autograd_refuses() -> None:
    with pytest.raises(NotImplementedError, match="offset=0, axis1=-1, axis2=-2"):
        hips_numpy.make_diagonal(np.ones(3))
