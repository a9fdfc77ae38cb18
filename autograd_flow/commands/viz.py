"""Draw the flow graph of an MLP and its training loss (mean softmax cross-entropy plus
optional L1/L2 weight penalties) as SVG, PNG, PDF or DOT: the MLP of a saved model
(``autograd-flow viz model.npz -o graph.svg``), or one described by the training
options (``autograd-flow viz --hidden 100,100 --l2 1e-4 -o graph.svg``). Composites
(layers, the loss, the penalties) are collapsed unless --expand is given."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .. import viz
from ..io import load_model
from ..nn import MLP
from . import layer_sizes

ARCHITECTURE = ("hidden", "activation", "n_in", "n_out")
# options whose default is left out of --help (argparse.SUPPRESS) and reads as None
UNSET = ("output", "format", "collapse") + ARCHITECTURE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", type=Path, default=None,
                        help="a model saved by 'autograd-flow train' (.npz); omit it to "
                             "draw the MLP described by --hidden/--activation/--n-in/--n-out")
    parser.add_argument("-o", "--output", type=Path, default=argparse.SUPPRESS,
                        help="picture to write; its suffix picks the format "
                             "(default: graph.svg, or graph.FORMAT with --format)")
    parser.add_argument("--format", choices=viz.FORMATS + ("dot",), default=argparse.SUPPRESS,
                        help="picture format (default: the --output suffix); 'dot' "
                             "writes the Graphviz source and needs no Graphviz")
    parser.add_argument("--hidden", type=layer_sizes, default=argparse.SUPPRESS,
                        help="hidden layer sizes, comma-separated (default: 100)")
    parser.add_argument("--activation", default=argparse.SUPPRESS,
                        choices=("tanh", "sigmoid", "relu", "linear"),
                        help="hidden activation (default: tanh)")
    parser.add_argument("--n-in", type=int, default=argparse.SUPPRESS,
                        help="input features (default: 64)")
    parser.add_argument("--n-out", type=int, default=argparse.SUPPRESS,
                        help="classes (default: 10)")
    parser.add_argument("--l1", type=float, default=0.0, help="L1 weight penalty in the loss")
    parser.add_argument("--l2", type=float, default=0.0, help="L2 weight penalty in the loss")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--expand", action="store_true",
                       help="draw every composite as a labelled cluster of its boxes")
    shown.add_argument("--collapse", metavar="KINDS", default=argparse.SUPPRESS,
                       help="collapse only these composite kinds, comma-separated (e.g. "
                            "linear,softmax_cross_entropy) (default: all)")
    parser.add_argument("--bprop", action="store_true",
                        help="number boxes in bprop call order and grey out skipped ones")
    parser.add_argument("--examples", type=int, default=0, metavar="N",
                        help="run fprop and bprop on N random examples first, to show value "
                             "statistics and gradient norms (0: draw the structure only)")
    parser.add_argument("--rankdir", choices=("TB", "LR"), default="TB",
                        help="data flows top to bottom (TB) or left to right (LR)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of a new model's weights and of --examples' data")


def run(args: argparse.Namespace) -> int:
    from ..train import objective  # the learning part is only needed here

    for name in UNSET:
        vars(args).setdefault(name, None)
    mlp = _mlp(args)
    problem = objective(mlp, l1=args.l1, l2=args.l2)
    if args.examples:
        rng = np.random.default_rng(args.seed)
        x = rng.standard_normal((args.examples, mlp.sizes[0])).astype(mlp.dtype)
        y = rng.integers(0, mlp.sizes[-1], args.examples)
        problem.graph.fprop({problem.x: x, problem.y: y})
        problem.graph.bprop()
    collapse: bool | list[str] = True
    if args.expand:
        collapse = False
    elif args.collapse is not None:
        collapse = [kind.strip() for kind in args.collapse.split(",") if kind.strip()]
    path = viz.to_svg(problem.graph, _output(args), collapse=collapse, bprop=args.bprop,
                      rankdir=args.rankdir, title=_title(mlp, args))
    print(f"wrote {path}")
    return 0


def _mlp(args: argparse.Namespace) -> MLP:
    """The MLP of the saved model, or a new one from the architecture options."""
    given = [f"--{name.replace('_', '-')}" for name in ARCHITECTURE
             if getattr(args, name) is not None]
    if args.model is not None:
        if given:
            raise ValueError(f"{', '.join(given)} describe a new model: give either a saved "
                             f"model ({args.model}) or these options, not both")
        return load_model(args.model).mlp
    hidden = (100,) if args.hidden is None else args.hidden
    sizes = [args.n_in or 64, *hidden, args.n_out or 10]
    return MLP(sizes, args.activation or "tanh", seed=args.seed)


def _output(args: argparse.Namespace) -> Path:
    """--output, or graph.FORMAT; a --format that contradicts the suffix is an error."""
    if args.output is None:
        return Path(f"graph.{args.format or 'svg'}")
    suffix = args.output.suffix.lstrip(".").lower()
    if args.format is not None and suffix != args.format:
        raise ValueError(f"--format {args.format} but --output {args.output} ends in "
                         f"'.{suffix}': make them agree (or drop --format)")
    return args.output


def _title(mlp: MLP, args: argparse.Namespace) -> str:
    terms = ["cross-entropy"] + [f"{weight:g}·{name}" for name, weight in
                                 (("L1", args.l1), ("L2", args.l2)) if weight]
    return (f"MLP {list(mlp.sizes)} ({mlp.activation}), loss = {' + '.join(terms)}")
