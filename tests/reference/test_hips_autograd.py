"""autograd_flow against HIPS autograd's own gradient tests (their files, unchanged, in
tests/reference/hips/; see :mod:`tests.reference.hips_autograd`): every check_grads and
combo_check call, its value against numpy and its gradient to second order against
central differences (af.gradcheck). A check af cannot express (a complex input, a numpy
function af does not have) skips and says why; ``python -m tests.reference.summary``
prints the counts."""
import pytest

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
