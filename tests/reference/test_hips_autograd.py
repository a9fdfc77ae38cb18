"""autograd_flow against HIPS autograd's own gradient tests (their files, unchanged, in
tests/reference/hips/; see :mod:`tests.reference.hips_autograd`): every check_grads and
combo_check call, its value against numpy and its gradient to second order against
central differences (af.gradcheck). A check af cannot express (a complex input, a numpy
function af does not have) skips and says why; ``python -m tests.reference.summary``
prints the counts."""
import pytest

from .hips_autograd import ARRAY_OF_BOXES, checks, run
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


@pytest.mark.parametrize(("check_id", "reason"), [
    ("numpy.test_1d_array[0]", ARRAY_OF_BOXES),
    ("numpy.test_mean_list_of_boxes[body]", f"the test body: {ARRAY_OF_BOXES}"),
    ("numpy.test_make_diagonal[body]", "the test body: np.make_diagonal is HIPS autograd's "
                                       "own function (autograd.numpy adds it); numpy has no"),
    ("linalg.test_pinv[12]", "np.linalg._dot is HIPS autograd's own function"),
    ("linalg.test_eig_real[0]", "np.linalg.eig has no box form in autograd_flow: its results "
                                "are complex-valued for a real matrix in general"),
])
def test_what_af_cannot_express_says_why_precisely(check_id, reason) -> None:
    """numpy's own array making, autograd's own names and complex-valued results are
    not expressible, each with its reason."""
    outcome = run(next(check for check in CHECKS if check.id == check_id))
    assert outcome.kind == NOT_EXPRESSIBLE and outcome.reason.startswith(reason), outcome
