"""The ``autograd-flow`` command line: one sub-command per module of
:mod:`autograd_flow.commands`, each with ``add_arguments(parser)`` and ``run(args)``."""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .errors import FlowGraphError
from .extras import MissingExtraError, explain

# (name, module under autograd_flow.commands, one-line help)
COMMANDS = (
    ("train", "train", "train an MLP the lecture's way (the main job)"),
    ("predict", "predict", "apply a saved model to a data file"),
    ("search", "search", "grid or random search of training options"),
    ("viz", "viz", "draw a flow graph as SVG"),
    ("gradcheck", "gradcheck", "check a model's gradients against finite differences"),
    ("tour", "tour", "build a small flow graph, run fprop/bprop and print the gradients"),
    ("playground", "playground", "watch an MLP learn 2-D data in the browser, live"),
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="autograd-flow",
        description="Flow-graph automatic differentiation: train, draw and check graphs.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name, summary in COMMANDS:
        module = importlib.import_module(f"autograd_flow.commands.{module_name}")
        sub = subparsers.add_parser(name, help=summary, description=module.__doc__,
                                    formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def version() -> str:
    """The installed package's version (from its metadata)."""
    from . import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``autograd-flow``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except (FlowGraphError, OSError, ValueError, MissingExtraError) as error:
        print(f"autograd-flow {args.command}: error: {error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:  # an optional package: say which extra has it
        missing = explain(error, f"autograd-flow {args.command}")
        if missing is None:
            raise
        print(f"autograd-flow {args.command}: error: {missing}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
