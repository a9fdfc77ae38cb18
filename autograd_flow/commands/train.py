"""Train an MLP the lecture's way: SGD with momentum and learning-rate decay (or Adam,
RMSprop) on the mean cross-entropy of mini-batches (or the mean squared error, with
--task regression) plus L1/L2 penalties on the weights, early stopping on the
validation error. Writes a run folder: model.npz (architecture, parameters and
preprocessing; JSON metadata inside), checkpoint.npz (every epoch, for --resume),
run.json (the settings), metrics.json, history.csv (one row per epoch), curves.png,
graph.svg and, for 2-D data, regions.png. The defaults reach about 2% test error on
digits in a few seconds."""
from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..data import NAMES, TASKS, Splits, load_dataset, natural_task
from ..extras import require
from ..io import read_run_settings, write_json
from ..nn import ACTIVATIONS
from ..train import CHECKPOINT, HISTORY, METRICS, MODEL, TrainConfig, TrainResult, train
from . import (
    OWN_DEFAULT,
    add_optimizer_arguments,
    dataset_setting,
    default_run_dir,
    layer_sizes,
    mark_origin,
)

RUN_SETTINGS = "run.json"
ARTEFACTS = (MODEL, CHECKPOINT, RUN_SETTINGS, METRICS, HISTORY, "curves.png", "regions.png",
             "graph.svg")
DEFAULTS = TrainConfig()  # one set of defaults, shared with the Python API and search


def add_arguments(parser: argparse.ArgumentParser) -> None:
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", "--data", default=None, metavar="NAME|PATH",
                      help=f"{', '.join(NAMES)} (spirals:K for K arms), or a .csv / .npz "
                           "file (npz: arrays X and y) (default: digits, or diabetes with "
                           f"--task regression){OWN_DEFAULT}")
    data.add_argument("--task", default=None, choices=TASKS,
                      help="classification (softmax cross-entropy, error rate) or regression "
                           "(mean squared error, R^2) (default: the data set's own: "
                           f"regression for diabetes, else classification){OWN_DEFAULT}")
    data.add_argument("--label-column", default=None, metavar="NAME|INDEX",
                      help="CSV label column by header name or 0-based index "
                           f"(default: the last column){OWN_DEFAULT}")
    data.add_argument("--n-samples", type=int, default=None,
                      help="points drawn for synthetic sets (default 1000); a random subset "
                           f"of that size for the others (default: all){OWN_DEFAULT}")
    data.add_argument("--valid-fraction", type=float, default=0.2,
                      help="fraction of the examples held out for validation")
    data.add_argument("--test-fraction", type=float, default=0.2,
                      help="fraction of the examples held out for the test error")
    model = parser.add_argument_group("model")
    model.add_argument("--hidden", type=layer_sizes, default=",".join(map(str, DEFAULTS.hidden)),
                       metavar="H1,H2,...",
                       help="hidden layer sizes, comma-separated ('none' for no hidden layer)")
    model.add_argument("--activation", default=DEFAULTS.activation, choices=tuple(ACTIVATIONS),
                       help="activation of the hidden layers")
    model.add_argument("--dtype", default=DEFAULTS.dtype, choices=("float32", "float64"),
                       help="floating-point type of parameters and data")
    model.add_argument("--fuse", action="store_true",
                       help="run linear, cross-entropy and penalties fused (same values "
                            "and gradients, fewer numpy calls)")
    sgd = parser.add_argument_group("optimization")
    add_optimizer_arguments(sgd, DEFAULTS)
    sgd.add_argument("--decay", default="none", choices=("none", "inverse", "power"),
                     help="learning-rate decay: alpha/(1 + delta t) or alpha/t**delta")
    sgd.add_argument("--decay-rate", type=float, default=DEFAULTS.decay_rate,
                     help="delta of the decay (power: 0.5 < delta <= 1)")
    sgd.add_argument("--warmup", type=int, default=DEFAULTS.warmup,
                     help="updates at the constant learning rate before the decay starts")
    sgd.add_argument("--batch-size", type=int, default=DEFAULTS.batch_size,
                     help="examples per update (1 = per-example SGD)")
    sgd.add_argument("--epochs", type=int, default=None,
                     help=f"most epochs (passes over the training set) (default: "
                          f"{DEFAULTS.epochs}; with --resume, the run's own){OWN_DEFAULT}")
    sgd.add_argument("--l1", type=float, default=DEFAULTS.l1,
                     help="lambda of the L1 penalty sum |W|")
    sgd.add_argument("--l2", type=float, default=DEFAULTS.l2,
                     help="lambda of the L2 penalty sum W**2")
    sgd.add_argument("--patience", type=int, default=DEFAULTS.patience,
                     help="early stopping: epochs without a better validation error")
    sgd.add_argument("--seed", type=int, default=DEFAULTS.seed,
                     help="seed of the split, the initialization and the shuffling")
    run = parser.add_argument_group("run")
    run.add_argument("--out", type=Path, default=None, metavar="DIR",
                     help=f"run folder (default: runs/<dataset>-<date>-<time>){OWN_DEFAULT}")
    run.add_argument("--resume", action="store_true",
                     help="continue the run in --out from its last checkpoint with the "
                          "run's own settings (only --epochs may be given to train longer)")
    run.add_argument("--overwrite", action="store_true",
                     help="start a new run in --out even if it holds one already")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--no-plots", action="store_true",
                     help="skip curves.png, regions.png and graph.svg")


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    config = TrainConfig(
        hidden=args.hidden, activation=args.activation, optimizer=args.optimizer,
        lr=args.lr, momentum=args.momentum, betas=args.betas, eps=args.eps,
        rmsprop_alpha=args.rmsprop_alpha,
        decay=None if args.decay == "none" else args.decay, decay_rate=args.decay_rate,
        warmup=args.warmup, batch_size=args.batch_size,
        epochs=DEFAULTS.epochs if args.epochs is None else args.epochs, l1=args.l1,
        l2=args.l2, patience=args.patience, seed=args.seed, dtype=args.dtype, fuse=args.fuse)
    dataset = args.dataset or ("diabetes" if args.task == "regression" else "digits")
    return {"dataset": dataset_setting(dataset), "task": args.task or natural_task(dataset),
            "label_column": args.label_column, "n_samples": args.n_samples,
            "valid_fraction": args.valid_fraction, "test_fraction": args.test_fraction,
            "config": asdict(config)}


def _resumed_settings(args: argparse.Namespace) -> dict[str, Any]:
    settings = read_run_settings(args.out, RUN_SETTINGS)
    if args.epochs is not None:
        settings["config"]["epochs"] = args.epochs
    return settings


def run(args: argparse.Namespace) -> int:
    require("sklearn", *(() if args.no_progress else ("tqdm",)),
            *(() if args.no_plots else ("matplotlib",)), feature="autograd-flow train")
    if args.resume:
        settings = _resumed_settings(args)
        run_dir = args.out
    else:
        settings = _settings(args)
        run_dir = args.out or default_run_dir(settings["dataset"])
        if (run_dir / CHECKPOINT).exists() and not args.overwrite:
            raise ValueError(f"{run_dir} already holds a run: add --resume to continue it, "
                             "--overwrite to replace it, or choose another --out")
        for name in ARTEFACTS:  # nothing of an earlier run may stay behind
            (run_dir / name).unlink(missing_ok=True)
    config = TrainConfig(**settings["config"])
    splits = load_dataset(settings["dataset"], task=settings.get("task"), seed=config.seed,
                          label_column=settings["label_column"],
                          n_samples=settings["n_samples"],
                          valid_fraction=settings["valid_fraction"],
                          test_fraction=settings["test_fraction"])
    write_json(run_dir / RUN_SETTINGS, settings)
    sizes = [splits.n_features, *config.hidden, splits.n_outputs]
    print(f"{splits.summary()}; MLP {sizes} ({config.activation}, {config.dtype}, "
          f"{config.optimizer}); run folder {run_dir}")
    try:
        result = train(config, splits, run_dir=run_dir, progress=not args.no_progress,
                       resume=args.resume)
    except KeyboardInterrupt:
        print(f"\ninterrupted: continue with  autograd-flow train --resume --out {run_dir}",
              file=sys.stderr)
        return 130
    artefacts = [MODEL, CHECKPOINT, RUN_SETTINGS, METRICS, HISTORY]
    if not args.no_plots:
        artefacts += _draw(result, splits, run_dir)
    _report(result, artefacts)
    return 0


def _draw(result: TrainResult, splits: Splits, run_dir: Path) -> list[str]:
    """Write curves.png, regions.png (2-D classification) and graph.svg; return their
    names."""
    from .. import plots

    drawn = []
    if result.history:
        plots.learning_curves(result.history, run_dir / "curves.png", result.best_epoch,
                              title=f"{splits.name}: MLP {list(result.model.mlp.sizes)}",
                              task=result.task)
        drawn.append("curves.png")
    if splits.n_features == 2 and splits.task == "classification":
        plots.decision_regions(result.model, splits.X_train, splits.y_train,
                               run_dir / "regions.png",
                               title=f"{splits.name}: decision regions (training examples)")
        drawn.append("regions.png")
    from ..viz import GraphvizNotFoundError, to_svg

    graph = result.objective.graph if result.objective is not None else None
    if graph is not None:
        mark_origin(graph, "train")
        try:
            to_svg(graph, run_dir / "graph.svg", collapse=True, annotate=False)
            drawn.append("graph.svg")
        except GraphvizNotFoundError as error:  # the run's results matter more than its picture
            print(f"note: {error}")
            drawn.append(error.dot_path.name)
    return drawn


def _report(result: TrainResult, artefacts: list[str]) -> None:
    errors = {"train": result.train_error, "valid": result.valid_error,
              "test": result.test_error}
    if result.task == "regression":
        print(f"\n{'split':<8}{'MSE':>12}{'RMSE':>10}{'R^2':>9}")
        for split, error in errors.items():
            if error is not None:
                print(f"{split:<8}{error:>12.4g}{error ** 0.5:>10.4g}"
                      f"{result.r2.get(split) or 0.0:>9.3f}")
    else:
        print(f"\n{'split':<8}{'error':>9}{'accuracy':>11}")
        for split, error in errors.items():
            if error is not None:
                print(f"{split:<8}{error:>9.2%}{1 - error:>11.2%}")
    how = "early stopping" if result.stopped == "early" else "the last epoch"
    print(f"\nbest epoch {result.best_epoch} of {len(result.history)} (stopped by {how}); "
          f"{result.seconds:.1f} s")
    print(f"run folder {result.run_dir}: {', '.join(artefacts)}")
