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

import autograd_flow as af  # noqa: E402

from .torch_forms import FORMS, JITERATOR, WITHOUT_FORM, without_form  # noqa: E402
from .torch_samples import (  # noqa: E402
    NOT_EXPRESSIBLE,
    PASS,
    WRONG_GRADIENT,
    WRONG_HVP,
    WRONG_VALUE,
    Outcome,
    cases,
    op_name,
    run,
)

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


def _last_case(name: str):
    return [case for case in CASES if op_name(case.op) == name][-1]


@pytest.mark.parametrize("name", sorted(FORMS))
def test_a_case_of_each_af_form_is_compared(name) -> None:
    """The last sample of each operator written as an af form (torch.masked's
    reductions with a mask, native_layer_norm, ...) passes value, gradient and HVP."""
    case = _last_case(name)
    outcome = run(case)
    assert outcome.kind == PASS, f"{case.id}: {outcome.kind}: {outcome.reason}"


def test_batched_searchsorted_is_compared() -> None:
    """torch searches each row of an N-D sorted sequence; af.searchsorted does too."""
    batched = [case for case in CASES if case.op.name == "searchsorted"
               and case.sample.input.ndim > 1 and case.sample.input.numel() > 0]
    assert batched
    for case in batched[:4]:
        assert run(case).kind == PASS, case.id


def test_every_operator_without_form_is_classified_with_its_reason() -> None:
    """Each entry of WITHOUT_FORM names OpInfos that exist, whose cases say why."""
    for key, why in WITHOUT_FORM.items():
        named = [case for case in CASES if without_form(op_name(case.op)) == why]
        assert named, key
        assert run(named[0]) == Outcome(NOT_EXPRESSIBLE, why)


def test_an_hvp_torch_cannot_double_backward_is_compared_by_forward_mode() -> None:
    """native_layer_norm without a weight: torch's double backward raises, so torch's
    H v comes from forward mode over its backward, and the case is compared."""
    case = next(case for case in CASES if case.id == "native_layer_norm[1]")
    assert case.sample.args[1] is None  # no weight
    outcome = run(case)
    assert outcome.kind == PASS, outcome.reason


@pytest.mark.parametrize("name", ["fft.irfft", "fft.irfft2", "fft.irfftn", "fft.hfft",
                                  "fft.hfft2", "fft.hfftn"])
def test_the_real_to_real_ffts_are_compared(name) -> None:
    """af.fft's transforms of a real input to a real output: the first sample (s, axes
    and norm="ortho" given) and the last (the default lengths) pass value, gradient and
    HVP against torch."""
    named = [case for case in CASES if op_name(case.op) == name]
    for case in (named[0], named[-1]):
        outcome = run(case)
        assert outcome.kind == PASS, f"{case.id}: {outcome.kind}: {outcome.reason}"


def test_the_jiterator_samples_are_compared_with_numpy_and_differences() -> None:
    """The 39 samples of the jiterator OpInfos (torch runs them on GPUs only) pass: the
    value against the OpInfo's numpy reference, the gradient and H v against central
    differences of af's own value and gradient."""
    named = [case for case in CASES if op_name(case.op) in JITERATOR]
    assert len(named) == 39
    assert {case.id: run(case).kind for case in named} == {case.id: PASS for case in named}


@pytest.mark.parametrize(("kind", "form"), [
    (WRONG_VALUE, lambda x: x * x - x),
    # the right value, a wrong gradient (2x instead of 2x + 1)
    (WRONG_GRADIENT, lambda x: x * x + af.stop_gradient(x)),
    # the right value and gradient (2x + 1), a wrong H v (0 instead of 2 v)
    (WRONG_HVP, lambda x: 2 * af.stop_gradient(x) * x - af.stop_gradient(x * x) + x),
])
def test_a_wrong_jiterator_form_fails(monkeypatch, kind, form) -> None:
    """A jiterator form (x * x + x) that is wrong in its value, its gradient or its
    H v alone is caught by the comparison that covers it."""
    monkeypatch.setitem(FORMS, "jiterator_unary", form)
    case = next(case for case in CASES if op_name(case.op) == "jiterator_unary")
    assert run(case).kind == kind
