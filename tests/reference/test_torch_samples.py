"""autograd_flow against PyTorch's operator samples (float64, CPU): the value, the
gradient and the Hessian-vector product of every sample of every OpInfo with a numpy
reference that af can express (see :mod:`tests.reference.torch_samples`). A case af
cannot express skips and says what is missing; ``python -m tests.reference.summary``
prints the counts.

Needs torch (CPU build: ``pip install "torch==2.13.0+cpu"``, as ``make bench``) and
expecttest (torch's testing module imports it)."""
import pytest

pytest.importorskip("torch")
pytest.importorskip("expecttest")

from .torch_samples import NOT_EXPRESSIBLE, PASS, cases, run  # noqa: E402

#: cases known to fail, with the reason (strict: a case that passes fails the test, so
#: no entry outlives its bug); none today
KNOWN: dict[str, str] = {}

CASES = cases()


def _marked(case):
    marks = [pytest.mark.xfail(reason=KNOWN[case.id], strict=True)] if case.id in KNOWN else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.slow
@pytest.mark.parametrize("case", [_marked(case) for case in CASES])
def test_torch_sample(case) -> None:
    outcome = run(case)
    if outcome.kind == NOT_EXPRESSIBLE:
        pytest.skip(f"not expressible: {outcome.reason}")
    assert outcome.kind == PASS, f"{case.id}: {outcome.kind}: {outcome.reason}"


def test_the_known_failures_are_cases() -> None:
    """Every entry of KNOWN names a case (a renamed or vanished sample is noticed)."""
    assert set(KNOWN) <= {case.id for case in CASES}
