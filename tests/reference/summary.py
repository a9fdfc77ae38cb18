"""Print the counts of the reference suites by outcome and by op (or HIPS test), and
every case that is not a pass: ``python -m tests.reference.summary [--suite torch|hips]``
(torch's samples need torch and expecttest).

``--failures-only`` leaves the not-expressible cases out of the list; ``--reasons``
lists, instead of the cases, each reason a case is not expressible with its count and
ops (the first 100 characters of the reason: the op-specific details come after)."""
import argparse
import collections
from collections.abc import Iterator
from typing import Any

from .outcomes import NOT_EXPRESSIBLE, OUTCOMES, PASS


def _torch() -> Iterator[tuple[str, str, Any]]:
    from .torch_samples import op_name, outcomes
    for case, outcome in outcomes():
        yield case.id, op_name(case.op), outcome


def _hips() -> Iterator[tuple[str, str, Any]]:
    from .hips_autograd import outcomes
    for check, outcome in outcomes():
        yield check.id, check.id.split("[", 1)[0], outcome


SUITES = {"torch": _torch, "hips": _hips}


def main() -> None:
    """Run every case of the suites once and print the tallies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=[*SUITES, "all"], default="all")
    parser.add_argument("--failures-only", action="store_true")
    parser.add_argument("--reasons", action="store_true")
    arguments = parser.parse_args()
    for suite in SUITES if arguments.suite == "all" else [arguments.suite]:
        _report(suite, SUITES[suite](), arguments.failures_only, arguments.reasons)


def _report(suite: str, results: Iterator[tuple[str, str, Any]], failures_only: bool,
            reasons: bool = False) -> None:
    by_kind: collections.Counter[str] = collections.Counter()
    by_op: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    by_reason: dict[str, collections.Counter[str]] = collections.defaultdict(
        collections.Counter)
    listed = []
    for case, op, outcome in results:
        by_kind[outcome.kind] += 1
        by_op[op][outcome.kind] += 1
        if outcome.kind == NOT_EXPRESSIBLE:
            by_reason[outcome.reason[:100]][op] += 1
        if outcome.kind != PASS and not ((failures_only or reasons)
                                         and outcome.kind == NOT_EXPRESSIBLE):
            listed.append(f"{case}: {outcome.kind}: {outcome.reason}")
    print(f"== {suite}: " + ", ".join(f"{by_kind[k]} {k}" for k in OUTCOMES))
    print("by op (" + " / ".join(OUTCOMES) + "):")
    for name, counts in by_op.items():
        print(f"  {name:48s} " + " ".join(f"{counts[k]:4d}" for k in OUTCOMES))
    print(f"{len(listed)} cases listed:")
    for line in listed:
        print("  " + line[:300])
    if reasons:
        print("not expressible, by reason (count: reason [ops]):")
        for reason, ops in sorted(by_reason.items(), key=lambda item: -item[1].total()):
            print(f"  {ops.total():4d}: {reason} [{', '.join(sorted(ops))}]"[:400])
    print()


if __name__ == "__main__":
    main()
