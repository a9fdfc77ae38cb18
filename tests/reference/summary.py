"""Print the counts of PyTorch's operator samples by outcome and by op, and every case
that is not a pass: ``python -m tests.reference.summary`` (needs torch and expecttest).

``--failures-only`` leaves out the not-expressible cases from the list."""
import argparse
import collections

from .torch_samples import NOT_EXPRESSIBLE, OUTCOMES, PASS, op_name, outcomes


def main() -> None:
    """Run every case once and print the tallies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures-only", action="store_true")
    arguments = parser.parse_args()
    by_kind: collections.Counter[str] = collections.Counter()
    by_op: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    listed = []
    for case, outcome in outcomes():
        by_kind[outcome.kind] += 1
        by_op[op_name(case.op)][outcome.kind] += 1
        if outcome.kind != PASS and not (arguments.failures_only
                                          and outcome.kind == NOT_EXPRESSIBLE):
            listed.append(f"{case.id}: {outcome.kind}: {outcome.reason}")
    print("by outcome: " + ", ".join(f"{by_kind[k]} {k}" for k in OUTCOMES))
    print("\nby op (" + " / ".join(OUTCOMES) + "):")
    for name, counts in by_op.items():
        print(f"  {name:40s} " + " ".join(f"{counts[k]:4d}" for k in OUTCOMES))
    print(f"\n{len(listed)} cases that are not a pass:")
    for line in listed:
        print("  " + line[:300])


if __name__ == "__main__":
    main()
