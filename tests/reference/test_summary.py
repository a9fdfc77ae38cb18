"""The reference summary's tallies (no torch needed: the cases are made up)."""
from .outcomes import NOT_EXPRESSIBLE, PASS, WRONG_VALUE, Outcome
from .summary import _report

RESULTS = [
    ("a[0]", "a", Outcome(PASS)),
    ("a[1]", "a", Outcome(NOT_EXPRESSIBLE, "complex tensor")),
    ("b[0]", "b", Outcome(NOT_EXPRESSIBLE, "complex tensor")),
    ("c[0]", "c", Outcome(NOT_EXPRESSIBLE, "a constant")),
    ("c[1]", "c", Outcome(WRONG_VALUE, "output 0: max error 1")),
]


def test_reasons_tallies_the_not_expressible_cases_and_lists_only_failures(capsys) -> None:
    _report("made up", iter(RESULTS), failures_only=False, reasons=True)
    out = capsys.readouterr().out
    assert "== made up: 1 pass, 1 wrong value, 0 wrong gradient" in out
    assert "1 cases listed:\n  c[1]: wrong value: output 0: max error 1\n" in out
    assert "     2: complex tensor [a, b]\n     1: a constant [c]\n" in out


def test_without_reasons_every_case_that_is_not_a_pass_is_listed(capsys) -> None:
    _report("made up", iter(RESULTS), failures_only=False)
    out = capsys.readouterr().out
    assert "4 cases listed:" in out and "by reason" not in out
