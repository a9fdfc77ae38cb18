"""Sizes checked before the work starts: how much memory an array, a data set or a
network would take, against what this machine has, so that a mistyped size (``--hidden
100000000``, ``--n-samples 100000000000``, a file declaring 2**40 rows) is a one-line
error that says how much it would take, not a MemoryError from deep inside numpy (or
minutes of swapping before the system kills the process).

The limit is the machine's physical memory, or the control group's limit when the
process runs in a container that has one. Estimates are rough (they count the large
arrays, not Python's overhead) and only refuse what cannot fit at all.
"""
from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import TooLargeError

_CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def memory_limit() -> int:
    """Bytes of memory this process may use at most: the physical memory, or a smaller
    control-group (container) limit."""
    try:
        limit = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not POSIX: assume a large machine
        limit = 2 ** 40
    for name in _CGROUP_LIMITS:
        try:
            text = Path(name).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            limit = min(limit, int(text))
    return limit


def format_bytes(count: float) -> str:
    """``count`` bytes in binary units: '512 bytes', '3.0 GiB', '16 TiB', '8.7e+08 EiB'."""
    if count < 1024:
        return f"{count:.0f} bytes"
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        count /= 1024
        if count < 1024 or unit == "EiB":
            return f"{count:.3g} {unit}" if count < 1e6 else f"{count:.2g} {unit}"
    return f"{count:.2g} EiB"  # pragma: no cover - the loop returns


def check_fits(needed: float, what: str, advice: str = "") -> None:
    """Raise :class:`TooLargeError` when ``needed`` bytes (for ``what``, e.g. "an MLP
    [64, 100000000, 10]") exceed :func:`memory_limit`; ``advice`` says what to do."""
    limit = memory_limit()
    if needed > limit or not math.isfinite(needed):
        raise TooLargeError(f"{what} would need about {format_bytes(needed)} of memory, more "
                            f"than this machine's {format_bytes(limit)}"
                            + (f": {advice}" if advice else ""))


def parameter_count(sizes: Sequence[int]) -> int:
    """Weights and biases of an MLP with layer sizes ``sizes``: sum of (n_in + 1) n_out."""
    return sum((int(a) + 1) * int(b) for a, b in zip(sizes[:-1], sizes[1:]))


def mlp_bytes(sizes: Sequence[int], itemsize: int, *, rows: int = 0, copies: float = 4,
              row_copies: float = 6) -> float:
    """Rough memory of an MLP with ``sizes`` in a dtype of ``itemsize`` bytes: ``copies``
    arrays the size of its parameters (values, gradients, optimizer state, a best copy;
    one more in float64 while the weights are drawn) plus, for a batch of ``rows``
    examples, ``row_copies`` values per unit and example (pre-activations, activations
    and their gradients)."""
    parameters = parameter_count(sizes)
    largest = max((int(a) * int(b) for a, b in zip(sizes[:-1], sizes[1:])), default=0)
    return (parameters * itemsize * copies + largest * 8.0
            + float(rows) * sum(int(s) for s in sizes) * itemsize * row_copies)


def describe_sizes(sizes: Sequence[int]) -> str:
    """'an MLP [64, 100000000, 10] (7.4e+09 parameters)'."""
    count = parameter_count(sizes)
    shown = f"{count:,}" if count < 1e7 else f"{count:.2g}"
    return f"an MLP {list(map(int, sizes))} ({shown} parameters)"
