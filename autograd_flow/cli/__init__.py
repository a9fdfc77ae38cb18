"""The ``autograd-flow`` command line: one sub-command per module
``autograd_flow.cli.<verb>_command``, each with ``add_arguments(parser)`` and
``run(args)``; the option types and the data options they share are in
:mod:`autograd_flow.cli.arguments`, the checks of the files they write where the user
names them in :mod:`autograd_flow.cli.output`."""
from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

from ..errors import FlowGraphError
from ..extras import MissingExtraError, explain
from ..learn.files import one_line

#: the signals that stop a command: Ctrl-C and SIGTERM
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

# (name, module under autograd_flow.cli, one-line help)
COMMANDS = (
    ("train", "train_command", "train an MLP the lecture's way (the main job)"),
    ("predict", "predict_command", "apply a saved model to a data file"),
    ("search", "search_command", "grid or random search of training options"),
    ("viz", "viz_command", "draw a flow graph as SVG"),
    ("gradcheck", "gradcheck_command", "check a model's gradients against finite differences"),
    ("tour", "tour_command", "build a small flow graph, run fprop/bprop and print the gradients"),
    ("playground", "playground_command", "watch an MLP learn 2-D data in the browser, live"),
)


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on standard error (what is wrong,
    and where to read about the options), with exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = Parser(
        prog="autograd-flow",
        description="Flow-graph automatic differentiation: train, draw and check graphs.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name, summary in COMMANDS:
        module = importlib.import_module(f"{__name__}.{module_name}")
        sub = subparsers.add_parser(name, help=summary, description=module.__doc__,
                                    formatter_class=HelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def version() -> str:
    """The installed package's version (from its metadata)."""
    from .. import __version__

    return __version__


def within(feature: str, command: str) -> str:
    """``feature`` as said after "autograd-flow COMMAND: error:", which already names the
    command: "autograd-flow search" -> "", "search --scheduler" -> "--scheduler"."""
    words = feature.split()
    for prefix in (["autograd-flow", command], [command]):
        if words[:len(prefix)] == prefix:
            return " ".join(words[len(prefix):])
    return feature


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter,
                    argparse.RawDescriptionHelpFormatter):
    """Every command's --help: an option's default when it has one (not "None", "False"
    or "[]": such an option says in its help what it does unset); the command's
    description (its module docstring, examples included) as written."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None or action.default is False or action.default == []:
            return action.help or ""
        return super()._get_help_string(action) or ""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``autograd-flow``; returns the exit status: 0, 1 (a check failed,
    e.g. gradcheck), 2 (an error, one line on standard error), 130 (interrupted by
    Ctrl-C) or 143 (stopped by SIGTERM, which a command handles as Ctrl-C)."""
    received: list[int] = []
    command = "autograd-flow"
    try:
        with _stops_interrupt(received):
            args = build_parser().parse_args(argv)
            command = f"autograd-flow {args.command}"
            status = _run(args)
    except KeyboardInterrupt:
        print(f"\n{command}: interrupted", file=sys.stderr)
        status = 130
    return 128 + received[-1] if status == 130 and received else status


def _run(args: argparse.Namespace) -> int:
    """Run the command of ``args``; its errors as one line on standard error (status 2)."""
    try:
        return int(args.run(args) or 0)
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (FlowGraphError, OSError, ValueError) as error:
        message: object = error
    except MissingExtraError as error:  # checked by the command before it starts
        message = error.hint(within(error.feature, args.command))
    except ModuleNotFoundError as error:  # an optional package: say which extra has it
        missing = explain(error, "")
        if missing is None:
            raise
        message = missing
    except MemoryError:
        message = ("out of memory: the data or the network is too large for this machine "
                   "(use fewer examples, smaller layers or a smaller batch)")
    print(f"autograd-flow {args.command}: error: {one_line(message)}", file=sys.stderr)
    return 2


@contextmanager
def _stops_interrupt(received: list[int]) -> Iterator[None]:
    """Within the block, Ctrl-C and SIGTERM raise KeyboardInterrupt, so a command stops
    the same way for both (its files whole, what can be resumed said); the signals'
    numbers are appended to ``received``. The earlier handlers come back after the block.
    Does nothing outside the main thread (only it can set handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(number: int, frame: Any) -> None:
        received.append(number)
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, interrupt) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
