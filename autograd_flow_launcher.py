"""The ``autograd-flow`` command's entry point.

It is a module of its own, outside the package, so that it runs before the package
loads (numpy and the engine take a few tenths of a second): Ctrl-C or SIGTERM while the
command starts, or once it has ended, exits at once with one line and status 130 (143
for SIGTERM), as the command itself does, never with a traceback. In between,
:func:`autograd_flow.cli.main` turns them into a clean stop of the command.
"""
from __future__ import annotations

import os
import signal
import sys
from typing import Any


def main() -> int:
    """Run ``autograd-flow`` with the arguments of this process; returns the exit
    status (see :func:`autograd_flow.cli.main`)."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, stop_now)
    from autograd_flow.cli import main as run

    return run()


def stop_now(number: int, frame: Any) -> None:
    """A signal while the command starts or after it ended: there is nothing to stop
    cleanly, so say so in one line and exit with 128 + the signal's number."""
    try:  # what the command printed, if it ended
        sys.stdout.flush()
    except Exception:  # a closed pipe, or a write this signal cut short
        pass
    os.write(2, b"autograd-flow: interrupted\n")
    os._exit(128 + number)
