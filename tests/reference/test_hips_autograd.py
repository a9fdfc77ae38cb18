"""autograd_flow against HIPS autograd's own gradient tests (their files, unchanged, in
tests/reference/hips/; see :mod:`tests.reference.hips_autograd`): every check_grads and
combo_check call, its value against numpy and its gradient to second order against
central differences (af.gradcheck). A check af cannot express (a complex input, a numpy
function af does not have) skips and says why; ``python -m tests.reference.summary``
prints the counts."""
import pytest

from .hips_autograd import checks, run
from .outcomes import NOT_EXPRESSIBLE, PASS

_DISPATCH = ("np.dot, np.outer and np.kron on boxes pass numpy's keyword b= on to the Box "
             "(ops/registry.py _numpy_call; dispatch is w3-20a's)")
_STD = "std of one entry has a NaN gradient (fixed on w3-20a)"
#: checks fixed (or to be fixed) on another branch of the same issue, to be deleted when
#: it is merged (strict: a check that passes fails, so no entry outlives its bug)
KNOWN: dict[str, str] = {
    **{f"systematic::test_std[{k}]": _STD for k in (0, 1, 12, 13, 22, 23, 26, 28, 39, 40)},
}
#: the same, for every check of a test (its complex checks still skip)
KNOWN_TESTS: dict[str, str] = {
    **dict.fromkeys(["systematic::test_kron", "systematic::test_dot", "systematic::test_outer",
                     "numpy::test_dot", "numpy::test_dot_with_floats", "numpy::test_outer",
                     "numpy::test_index_dot_slices"], _DISPATCH),
}

CHECKS = checks()


def _marked(check):
    reason = KNOWN.get(check.id) or KNOWN_TESTS.get(check.id.rsplit("[", 1)[0])
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
    assert set(KNOWN_TESTS) <= {check.id.rsplit("[", 1)[0] for check in CHECKS}
