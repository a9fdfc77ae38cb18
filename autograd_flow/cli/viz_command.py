"""Draw the flow graph of an MLP and its training loss (mean softmax cross-entropy, or
mean squared error for regression, plus the L1/L2 weight penalties) as SVG, PNG, PDF
or DOT: the MLP of a saved model with the penalties it was trained with
(``autograd-flow viz model.npz -o graph.svg``, or the run folder holding model.npz),
or one described by the training options, with the defaults of ``autograd-flow train``
(``autograd-flow viz --hidden 100,100 -o graph.svg``); or any graph file of af.save as
it is (``autograd-flow viz cnn.npz -o cnn.svg``; --examples feeds its Inputs random
values of the shapes and dtypes they declare). Composites (layers, the loss, the
penalties) are collapsed unless --expand is given. An existing file is replaced only
with --overwrite."""
from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import viz
from ..core.box import Input
from ..core.graph import FlowGraph
from ..data import TASKS
from ..errors import describe
from ..io import load_model
from ..learn.graphfile import is_graph_file, load
from ..learn.memory import check_fits, describe_sizes, mlp_bytes
from ..learn.training import MODEL, TrainConfig
from ..nn import ACTIVATIONS, MLP
from .arguments import SEED, count, layer_sizes, mark_origin, non_negative, saved_penalty
from .output import add_overwrite_argument, check_output

DEFAULTS = TrainConfig()  # the training defaults, for a model described by options
ARCHITECTURE = ("hidden", "activation", "n_in", "n_out", "task")
# options whose default is left out of --help (argparse.SUPPRESS) and reads as None
UNSET = ("output", "format", "collapse", "l1", "l2") + ARCHITECTURE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``autograd-flow viz``."""
    parser.add_argument("model", nargs="?", type=Path, default=None,
                        help="a model saved by 'autograd-flow train' (.npz), or its run "
                             "folder, or a graph file (af.save); omit it to draw the MLP "
                             "described by --hidden/--activation/--n-in/--n-out")
    parser.add_argument("-o", "--output", type=Path, default=argparse.SUPPRESS,
                        help="picture to write, in a folder that exists; its suffix picks the "
                             "format (default: graph.svg, or graph.FORMAT with --format)")
    add_overwrite_argument(parser, "--output")
    parser.add_argument("--format", choices=viz.FORMATS + ("dot",), default=argparse.SUPPRESS,
                        help="picture format (default: the --output suffix); 'dot' "
                             "writes the Graphviz source and needs no Graphviz")
    hidden = ",".join(map(str, DEFAULTS.hidden))
    parser.add_argument("--hidden", type=layer_sizes, default=argparse.SUPPRESS,
                        help=f"hidden layer sizes, comma-separated (default: {hidden})")
    parser.add_argument("--activation", default=argparse.SUPPRESS, choices=tuple(ACTIVATIONS),
                        help=f"hidden activation (default: {DEFAULTS.activation})")
    parser.add_argument("--n-in", type=count(), default=argparse.SUPPRESS,
                        help="input features (default: 64, as digits)")
    parser.add_argument("--n-out", type=count(), default=argparse.SUPPRESS,
                        help="outputs: classes, or targets (default: 10, or 1 for "
                             "regression)")
    parser.add_argument("--task", default=argparse.SUPPRESS, choices=TASKS,
                        help="the loss: cross-entropy or squared error (default: "
                             "classification)")
    parser.add_argument("--l1", type=non_negative, default=argparse.SUPPRESS,
                        help="L1 weight penalty in the loss (default: a saved model's own, "
                             f"else {DEFAULTS.l1:g})")
    parser.add_argument("--l2", type=non_negative, default=argparse.SUPPRESS,
                        help="L2 weight penalty in the loss (default: a saved model's own, "
                             f"else {DEFAULTS.l2:g})")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--expand", action="store_true",
                       help="draw every composite as a labelled cluster of its boxes")
    shown.add_argument("--collapse", metavar="KINDS", default=argparse.SUPPRESS,
                       help="collapse only these composite kinds, comma-separated (e.g. "
                            "linear,softmax_cross_entropy) (default: all)")
    parser.add_argument("--bprop", action="store_true",
                        help="number boxes in bprop call order and grey out skipped ones")
    parser.add_argument("--examples", type=count(0), default=0, metavar="N",
                        help="run fprop and bprop on N random examples first, to show value "
                             "statistics and gradient norms (0: draw the structure only)")
    parser.add_argument("--rankdir", choices=("TB", "LR"), default="TB",
                        help="data flows top to bottom (TB) or left to right (LR: a deep "
                             "network makes a wide picture instead of a tall one)")
    parser.add_argument("--seed", type=SEED, default=0,
                        help="seed of a new model's weights and of --examples' data")


def run(args: argparse.Namespace) -> int:
    """Run ``autograd-flow viz``; returns the exit status."""
    from ..learn.objective import objective

    for name in UNSET:
        vars(args).setdefault(name, None)
    if args.model is not None and is_graph_file(args.model):
        return _draw_graph_file(args)
    mlp, task, l1, l2 = _model(args)
    output = _output(args)
    check_output(viz.written_path(output), "--output", args.overwrite,
                 reads=() if args.model is None else (args.model, args.model / MODEL))
    problem = objective(mlp, l1=l1, l2=l2, task=task)
    mark_origin(problem.graph, "viz" + (f" {args.model}" if args.model else ""))
    if args.examples:
        rng = np.random.default_rng(args.seed)
        x = rng.standard_normal((args.examples, mlp.sizes[0])).astype(mlp.dtype)
        y = (rng.standard_normal((args.examples, mlp.sizes[-1])).astype(mlp.dtype)
             if task == "regression" else rng.integers(0, mlp.sizes[-1], args.examples))
        problem.graph.fprop({problem.x: x, problem.y: y})
        problem.graph.bprop()
    path = viz.to_svg(problem.graph, output, overwrite=args.overwrite,
                      collapse=_collapse(args), bprop=args.bprop, rankdir=args.rankdir,
                      title=_title(mlp, task, l1, l2))
    print(f"wrote {path}")
    return 0


def _collapse(args: argparse.Namespace) -> bool | list[str]:
    """Which composites are drawn as one box: all, none (--expand) or --collapse's kinds."""
    if args.expand:
        return False
    if args.collapse is not None:
        return [kind.strip() for kind in args.collapse.split(",") if kind.strip()]
    return True


def _draw_graph_file(args: argparse.Namespace) -> int:
    """Draw the graph of a graph file as it is (with --examples, after fprop, and bprop
    when its first output is a scalar, on random values of its Inputs' declared shapes)."""
    given = [f"--{name.replace('_', '-')}" for name in (*ARCHITECTURE, "l1", "l2")
             if getattr(args, name) is not None]
    if given:
        raise ValueError(f"{', '.join(given)} describe an MLP and its loss; the graph file "
                         f"{args.model} is drawn as it is: drop them")
    graph = load(args.model)
    output = _output(args)
    check_output(viz.written_path(output), "--output", args.overwrite, reads=(args.model,))
    if args.examples:
        graph.fprop(_random_feed(graph, args.examples, args.seed, args.model))
        if graph.wrt and np.size(graph.outputs[0].value) == 1:
            graph.bprop()
    count = sum(p.value.size for p in graph.parameters)
    path = viz.to_svg(graph, output, overwrite=args.overwrite, collapse=_collapse(args),
                      bprop=args.bprop, rankdir=args.rankdir,
                      title=f"{args.model.name}: {len(graph.order)} boxes, {count:,} "
                            "parameters")
    print(f"wrote {path}")
    return 0


def _random_feed(graph: FlowGraph, examples: int, seed: int, path: Path) -> dict[Input, Any]:
    """For each Input, ``examples`` rows of its declared shape and dtype (as many rows
    as it declares, if it does): standard normal floats, zeros for integers and
    booleans (a valid class label, a valid index)."""
    wanted: dict[Input, tuple[tuple[int, ...], np.dtype]] = {}
    for box in graph.inputs:
        shape, dtype = box.shape, box.dtype if box.dtype is not None else np.dtype(np.float64)
        if shape is None or None in shape[1:]:
            raise ValueError(f"--examples needs the shape of every Input, but {describe(box)} "
                             f"in {path} declares {'none' if shape is None else shape} (a "
                             "graph saved before it was fed): drop --examples")
        wanted[box] = tuple(examples if side is None else side for side in shape), dtype
    # before anything is drawn: the shapes come from the file (floats drawn in float64)
    check_fits(10.0 * sum(math.prod(sizes) * max(dtype.itemsize, 8)
                          for sizes, dtype in wanted.values()),
               f"the graph of {path} run on {examples:,} example{'s' * (examples != 1)}",
               "use fewer --examples")
    rng = np.random.default_rng(seed)
    return {box: rng.standard_normal(sizes).astype(dtype) if dtype.kind == "f"
            else np.zeros(sizes, dtype) for box, (sizes, dtype) in wanted.items()}


def _model(args: argparse.Namespace) -> tuple[MLP, str, float, float]:
    """(MLP, task, l1, l2): a saved model's with the penalties it was trained with, or
    a new one from the options and the training defaults."""
    given = [f"--{name.replace('_', '-')}" for name in ARCHITECTURE
             if getattr(args, name) is not None]
    if args.model is not None:
        if given:
            raise ValueError(f"{', '.join(given)} describe a new model: give either a saved "
                             f"model ({args.model}) or these options, not both")
        model = load_model(args.model)
        _check_memory(model.mlp.sizes, args.examples)
        l1 = saved_penalty(model, "l1") if args.l1 is None else args.l1
        l2 = saved_penalty(model, "l2") if args.l2 is None else args.l2
        return model.mlp, model.task, l1, l2
    task = args.task or "classification"
    hidden = DEFAULTS.hidden if args.hidden is None else args.hidden
    n_out = args.n_out if args.n_out is not None else 1 if task == "regression" else 10
    sizes = [64 if args.n_in is None else args.n_in, *hidden, n_out]
    _check_memory(sizes, args.examples)
    mlp = MLP(sizes, args.activation or DEFAULTS.activation, seed=args.seed)
    l1 = DEFAULTS.l1 if args.l1 is None else args.l1
    l2 = DEFAULTS.l2 if args.l2 is None else args.l2
    return mlp, task, l1, l2


def _check_memory(sizes: Sequence[int], examples: int) -> None:
    """Refuse a network (or a batch of --examples) too large for this machine before
    anything is built."""
    on = f" run on {examples:,} examples" if examples else ""
    check_fits(mlp_bytes(sizes, 8, rows=examples, copies=3, row_copies=10),
               f"{describe_sizes(sizes)}{on}", "use smaller layers or fewer --examples")


def _output(args: argparse.Namespace) -> Path:
    """--output, or graph.FORMAT; a --format that contradicts the suffix is an error."""
    if args.output is None:
        return Path(f"graph.{args.format or 'svg'}")
    suffix = args.output.suffix.lstrip(".").lower()
    if args.format is not None and suffix != args.format:
        raise ValueError(f"--format {args.format} but --output {args.output} ends in "
                         f"'.{suffix}': make them agree (or drop --format)")
    return args.output


def _title(mlp: MLP, task: str, l1: float, l2: float) -> str:
    loss = "squared error" if task == "regression" else "cross-entropy"
    terms = [loss] + [f"{weight:g}·{name}" for name, weight in (("L1", l1), ("L2", l2))
                      if weight]
    return f"MLP {list(mlp.sizes)} ({mlp.activation}), loss = {' + '.join(terms)}"
