"""Build a one-hidden-layer network as a flow graph, run fprop and bprop on a few
random examples, print every parameter's gradient and check them with gradcheck."""
from __future__ import annotations

import argparse

import numpy as np

import autograd_flow as af

from ..learn.memory import check_fits, mlp_bytes
from .arguments import SEED, count


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``autograd-flow tour``."""
    parser.add_argument("--batch", type=count(), default=4, help="examples in the batch")
    parser.add_argument("--seed", type=SEED, default=0, help="random seed")


def run(args: argparse.Namespace) -> int:
    """Run ``autograd-flow tour``; returns the exit status."""
    # the tour's network is 3-5-2; gradcheck keeps a few float64 copies of its values
    check_fits(mlp_bytes([3, 5, 2], 8, rows=args.batch, copies=6, row_copies=6),
               f"the tour on a batch of {args.batch:,} examples", "use a smaller --batch")
    rng = np.random.default_rng(args.seed)
    x, y = af.Input("x"), af.Input("y")
    W1 = af.Parameter(rng.uniform(-0.5, 0.5, (5, 3)), name="W1")
    b1 = af.Parameter(np.zeros(5), name="b1")
    W2 = af.Parameter(rng.uniform(-0.5, 0.5, (2, 5)), name="W2")
    b2 = af.Parameter(np.zeros(2), name="b2")
    h = af.tanh(af.linear(x, W1, b1), name="h")
    loss = af.softmax_cross_entropy(af.linear(h, W2, b2), y) + 1e-3 * af.l2_penalty([W1, W2])
    graph = af.FlowGraph(loss)
    feed = {x: rng.standard_normal((args.batch, 3)), y: rng.integers(0, 2, args.batch)}
    print(f"{graph}\nfprop order: {' -> '.join(b.name for b in graph.order)}")
    print(f"loss = {graph.fprop(feed):.6f}")
    np.set_printoptions(precision=4, suppress=True)
    for parameter, grad in graph.bprop().items():
        print(f"d loss / d {parameter.name} {grad.shape}:\n{grad}")
    report = af.gradcheck(graph, feed)
    print(f"gradcheck: all {len(report.entries)} entries agree with central differences "
          f"(worst relative error {report.worst(1)[0].rel_error:.1e})")
    return 0
