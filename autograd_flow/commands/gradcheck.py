"""Check a model's gradients against central differences in float64: the MLP of a
saved model, or one described by the options, with its training loss on a few
examples of a data set. Prints the worst entries; exits with status 1 when a gradient
disagrees, naming the first box whose own bprop is wrong."""
from __future__ import annotations

import argparse

import autograd_flow as af
from autograd_flow.commands import layer_sizes
from autograd_flow.data import load_dataset
from autograd_flow.io import load_model
from autograd_flow.nn import ACTIVATIONS, MLP
from autograd_flow.train import objective


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", help="a saved model (.npz); default: a new MLP "
                        "built from --hidden and --activation")
    parser.add_argument("--dataset", default="digits",
                        help="digits, moons, circles, spirals, or a .csv/.npz file")
    parser.add_argument("--label-column", default=None, help="label column of a CSV file")
    parser.add_argument("--hidden", type=layer_sizes, default="16",
                        help="hidden layer sizes, e.g. 100,100")
    parser.add_argument("--activation", default="tanh", choices=sorted(ACTIVATIONS))
    parser.add_argument("--l1", type=float, default=0.0, help="L1 penalty weight lambda")
    parser.add_argument("--l2", type=float, default=1e-3, help="L2 penalty weight lambda")
    parser.add_argument("--examples", type=int, default=8, help="examples in the batch")
    parser.add_argument("--max-entries", type=int, default=200,
                        help="entries checked per parameter (a seeded sample)")
    parser.add_argument("--rtol", type=float, default=1e-4, help="relative tolerance")
    parser.add_argument("--atol", type=float, default=1e-6, help="absolute tolerance")
    parser.add_argument("--fuse", action="store_true",
                        help="check the fused run plan (FlowGraph(fuse=True))")
    parser.add_argument("--seed", type=int, default=0, help="random seed")


def run(args: argparse.Namespace) -> int:
    splits = load_dataset(args.dataset, seed=args.seed, label_column=args.label_column)
    if args.model:
        mlp = load_model(args.model).mlp
        if mlp.sizes[0] != splits.n_features:
            raise ValueError(f"{args.model} takes {mlp.sizes[0]} features but {args.dataset} "
                             f"has {splits.n_features}")
    else:
        mlp = MLP([splits.n_features, *args.hidden, splits.n_classes], args.activation,
                  args.seed)
    loss = objective(mlp, args.l1, args.l2)
    feed = {loss.x: splits.X_train[:args.examples], loss.y: splits.y_train[:args.examples]}
    report = af.gradcheck(af.FlowGraph(loss.loss, fuse=args.fuse), feed, wrt=mlp.parameters,
                          rtol=args.rtol, atol=args.atol, max_entries=args.max_entries,
                          seed=args.seed, raise_on_failure=False)
    print(f"{mlp!r} on {args.examples} examples of {args.dataset}")
    print(report)
    return 0 if report.ok else 1
