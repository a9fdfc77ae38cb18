"""The classes of a reference case (shared by the torch and HIPS suites)."""
from dataclasses import dataclass

PASS = "pass"
WRONG_VALUE = "wrong value"
WRONG_GRADIENT = "wrong gradient"
WRONG_HVP = "wrong hvp"
CRASH = "crash"
NOT_EXPRESSIBLE = "not expressible"
#: the classes of a case, the failures in the middle
OUTCOMES = (PASS, WRONG_VALUE, WRONG_GRADIENT, WRONG_HVP, CRASH, NOT_EXPRESSIBLE)


@dataclass(frozen=True)
class Outcome:
    """What a case gave: one of :data:`OUTCOMES`, and why (empty for a pass)."""

    kind: str
    reason: str = ""
