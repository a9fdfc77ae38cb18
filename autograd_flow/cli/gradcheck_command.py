"""Check a model's gradients against central differences in float64: the MLP of a
saved model with the loss it was trained with, or one described by the options (with
the defaults of ``autograd-flow train``), on a few random standardized examples or on
examples of a data set (--dataset). Prints the worst entries; exits with status 1 when
a gradient disagrees, naming the first box whose own bprop is wrong."""
from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd_flow as af
from autograd_flow.data import NAMES, TASKS
from autograd_flow.io import load_model
from autograd_flow.learn.memory import check_fits, describe_sizes, mlp_bytes
from autograd_flow.learn.objective import objective, prepare
from autograd_flow.nn import ACTIVATIONS, MLP

from ..learn.training import TrainConfig
from .arguments import SEED, count, layer_sizes, mark_origin, non_negative, saved_penalty

DEFAULTS = TrainConfig()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``autograd-flow gradcheck``."""
    parser.add_argument("model", nargs="?", help="a saved model (.npz), or its run folder; "
                        "default: a new MLP built from --hidden, --activation, --n-in and "
                        "--n-out")
    parser.add_argument("--dataset", default=None,
                        help=f"check on examples of a data set ({', '.join(NAMES)}, or a "
                             ".csv/.npz file; needs the learn extra) (default: random "
                             f"standardized examples)")
    parser.add_argument("--label-column", default=None,
                        help="label column of a CSV file")
    parser.add_argument("--task", default=None, choices=TASKS,
                        help="the loss: cross-entropy or squared error (default: the saved "
                             "model's or the data set's, else classification)")
    parser.add_argument("--hidden", type=layer_sizes,
                        default=",".join(map(str, DEFAULTS.hidden)),
                        help="hidden layer sizes of a new model, e.g. 100,100")
    parser.add_argument("--activation", default=DEFAULTS.activation,
                        choices=tuple(ACTIVATIONS))
    parser.add_argument("--n-in", type=count(), default=64,
                        help="input features of a new model on random examples")
    parser.add_argument("--n-out", type=count(), default=None,
                        help="outputs of a new model on random examples (default: 10, or 1 "
                             "for regression)")
    parser.add_argument("--l1", type=non_negative, default=None,
                        help="L1 penalty weight lambda (default: a saved model's own, else "
                             f"{DEFAULTS.l1:g})")
    parser.add_argument("--l2", type=non_negative, default=None,
                        help="L2 penalty weight lambda (default: a saved model's own, else "
                             f"{DEFAULTS.l2:g})")
    parser.add_argument("--examples", type=count(), default=8, help="examples in the batch")
    parser.add_argument("--max-entries", type=count(), default=200,
                        help="entries checked per parameter (a seeded sample)")
    parser.add_argument("--rtol", type=non_negative, default=1e-4, help="relative tolerance")
    parser.add_argument("--atol", type=non_negative, default=1e-6, help="absolute tolerance")
    parser.add_argument("--seed", type=SEED, default=DEFAULTS.seed, help="random seed")


def run(args: argparse.Namespace) -> int:
    """Run ``autograd-flow gradcheck``; returns the exit status."""
    saved = load_model(args.model) if args.model else None
    l1 = args.l1 if args.l1 is not None else saved_penalty(saved, "l1") if saved else DEFAULTS.l1
    l2 = args.l2 if args.l2 is not None else saved_penalty(saved, "l2") if saved else DEFAULTS.l2
    if args.dataset is not None:
        mlp, task, x, y, where = _on_dataset(args, saved)
    else:
        task = args.task or (saved.task if saved else "classification")
        n_out = args.n_out if args.n_out is not None else 1 if task == "regression" else 10
        sizes = saved.mlp.sizes if saved else (args.n_in, *args.hidden, n_out)
        _check_memory(sizes, args.examples)
        mlp = saved.mlp if saved else MLP(sizes, args.activation, args.seed)
        x, y = _random_examples(args.examples, sizes[0], sizes[-1], task, args.seed)
        where = "random standardized examples"
    loss = objective(mlp, l1, l2, task=task)
    mark_origin(loss.graph, "gradcheck" + (f" {args.model}" if args.model else ""))
    report = af.gradcheck(af.FlowGraph(loss.loss), {loss.x: x, loss.y: y},
                          wrt=mlp.parameters, rtol=args.rtol, atol=args.atol,
                          max_entries=args.max_entries, seed=args.seed,
                          raise_on_failure=False)
    print(f"{mlp!r} on {len(x)} {where}, loss: {_loss_formula(task, l1, l2)}")
    print(report)
    return 0 if report.ok else 1


def _loss_formula(task: str, l1: float, l2: float) -> str:
    """The loss checked, in words: "mean softmax cross-entropy + 0.0001 * sum W**2"."""
    terms = ["mean squared error" if task == "regression" else "mean softmax cross-entropy"]
    terms += [f"{l1:g} * sum |W|"] if l1 else []
    terms += [f"{l2:g} * sum W**2"] if l2 else []
    return " + ".join(terms)


def _check_memory(sizes: Sequence[int], examples: int) -> None:
    """Refuse a network or batch too large for this machine before anything is built
    (the check runs in float64 and keeps a few copies of the parameters)."""
    check_fits(mlp_bytes(sizes, 8, rows=examples, copies=6, row_copies=10),
               f"checking {describe_sizes(sizes)} on {examples:,} examples",
               "use smaller layers or fewer --examples")


def _random_examples(n: int, n_in: int, n_out: int, task: str,
                     seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, n_in))
    y = rng.standard_normal((n, n_out)) if task == "regression" else rng.integers(0, n_out, n)
    return x, y


def _on_dataset(args: argparse.Namespace, saved: Any
                ) -> tuple[MLP, str, np.ndarray, np.ndarray, str]:
    """The model, task and the first --examples training examples of --dataset, as the
    network is fed them (standardized; class codes or standardized targets)."""
    from autograd_flow.data import load_dataset

    task = args.task or (saved.task if saved else None)
    splits = load_dataset(args.dataset, task=task, seed=args.seed,
                          label_column=args.label_column)
    if saved is not None:
        if saved.n_features != splits.n_features:
            raise ValueError(f"{args.model} takes {saved.n_features} features but "
                             f"{args.dataset} has {splits.n_features}")
        mlp = saved.mlp
    else:
        sizes = [splits.n_features, *args.hidden, splits.n_outputs]
        _check_memory(sizes, min(args.examples, len(splits.y_train)))
        mlp = MLP(sizes, args.activation, args.seed)
    x, y = prepare(splits).sets["train"]
    return mlp, splits.task, x[:args.examples], y[:args.examples], \
        f"examples of {args.dataset}"
