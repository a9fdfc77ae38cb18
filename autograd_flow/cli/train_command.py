"""Train an MLP the lecture's way: SGD with momentum and learning-rate decay (or Adam,
RMSprop) on the mean cross-entropy of mini-batches (or, with --task regression, Adam
by default on the mean squared error) plus L1/L2 penalties on the weights, early
stopping on the validation error. Writes a run folder: model.npz (architecture,
parameters and preprocessing; JSON metadata inside), model_graph.npz (the same model as a
graph file, as af.save writes and af.load reads: raw features in, class probabilities or
targets out), checkpoint.npz (every epoch, for --resume), run.json (the settings),
metrics.json, history.csv (one row per epoch), curves.png, graph.svg and, for 2-D data,
regions.png. The defaults reach about 2% test error on digits in a few seconds."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np

from .. import ops
from ..core.box import Box, Constant, Input
from ..core.graph import FlowGraph
from ..core.order import topological_order
from ..data import NAMES, Splits, load_dataset, natural_task
from ..errors import NonFiniteError
from ..extras import require
from ..io import parameter_shapes
from ..learn.checkpoint import read_checkpoint
from ..learn.files import read_run_settings, write_json
from ..learn.graphfile import save
from ..learn.model import Model
from ..learn.runfolder import RunFolder, RunFolderError, new_run_dir, note
from ..learn.training import (
    CHECKPOINT,
    HISTORY,
    METRICS,
    MODEL,
    TrainConfig,
    TrainResult,
    check_training_memory,
    train,
    training_fingerprint,
)
from ..nn import ACTIVATIONS
from ..nn import functions as F
from ..optim.registry import DEFAULT_OPTIMIZER, OPTIMIZER_BUFFERS, SCHEDULES
from .arguments import (
    DATA_OPTIONS,
    SEED,
    DataHelp,
    add_data_arguments,
    add_optimizer_arguments,
    count,
    dataset_setting,
    default_dataset,
    default_run_dir,
    layer_sizes,
    mark_origin,
)

RUN_SETTINGS = "run.json"
GRAPH = "model_graph.npz"  # the model as a graph file (af.save)
ARTEFACTS = (MODEL, GRAPH, CHECKPOINT, RUN_SETTINGS, METRICS, HISTORY, "curves.png",
             "regions.png", "graph.svg", "graph.dot")
#: a train run folder, as RunFolder takes it: its settings file, the files a run may
#: write, the settings key of folders made before the files were listed, the command
RUN_KIND = (RUN_SETTINGS, ARTEFACTS, "config", "autograd-flow train")
SETTING_KEYS = (*DATA_OPTIONS, "config")
DEFAULTS = TrainConfig()  # one set of defaults, shared with the Python API and search
DATA_HELP = DataHelp(
    dataset=f"{', '.join(NAMES)} (spirals:K for K arms), or a .csv / .npz file (npz: arrays "
            "X and y) (default: digits, or diabetes with --task regression)",
    task="classification (softmax cross-entropy, error rate) or regression (mean squared "
         "error, R^2) (default: the data set's own: regression for diabetes, else "
         "classification)",
    label_column="CSV label column by header name or 0-based index (default: the last "
                 "column)",
    n_samples="points drawn for synthetic sets (default 1000); a random subset of that "
              "size for the others (default: all)",
    valid_fraction="fraction of the examples held out for validation",
    test_fraction="fraction of the examples held out for the test error")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``autograd-flow train``."""
    add_data_arguments(parser, DATA_HELP)
    model = parser.add_argument_group("model")
    model.add_argument("--hidden", type=layer_sizes, default=",".join(map(str, DEFAULTS.hidden)),
                       metavar="H1,H2,...",
                       help="hidden layer sizes, comma-separated ('none' for no hidden layer)")
    model.add_argument("--activation", default=DEFAULTS.activation, choices=tuple(ACTIVATIONS),
                       help="activation of the hidden layers")
    model.add_argument("--dtype", default=DEFAULTS.dtype, choices=("float32", "float64"),
                       help="floating-point type of parameters and data")
    sgd = parser.add_argument_group("optimization")
    add_optimizer_arguments(sgd, DEFAULTS)
    sgd.add_argument("--decay", default="none", choices=("none", *SCHEDULES[1:]),
                     help="learning-rate decay: alpha/(1 + delta t), alpha/t**delta, or "
                          "to decay-rate * alpha over --decay-steps updates (linearly, "
                          "by steps, along a cosine)")
    sgd.add_argument("--decay-rate", type=float, default=DEFAULTS.decay_rate,
                     help="delta of the decay (power: 0.5 < delta <= 1), or the factor "
                          "of linear, step and cosine (in [0, 1])")
    sgd.add_argument("--decay-steps", type=count(0), default=DEFAULTS.decay_steps,
                     help="linear, step, cosine: the updates over which alpha is multiplied "
                          "by --decay-rate (step: every that many updates)")
    sgd.add_argument("--warmup", type=count(0), default=DEFAULTS.warmup,
                     help="updates at the constant learning rate before the decay starts")
    sgd.add_argument("--batch-size", type=count(), default=DEFAULTS.batch_size,
                     help="examples per update (1 = per-example SGD)")
    sgd.add_argument("--epochs", type=count(), default=None,
                     help=f"most epochs (passes over the training set) (default: "
                          f"{DEFAULTS.epochs}; with --resume, the run's own)")
    sgd.add_argument("--l1", type=float, default=DEFAULTS.l1,
                     help="lambda of the L1 penalty sum |W|")
    sgd.add_argument("--l2", type=float, default=DEFAULTS.l2,
                     help="lambda of the L2 penalty sum W**2")
    sgd.add_argument("--patience", type=count(), default=DEFAULTS.patience,
                     help="early stopping: epochs without a better validation error")
    sgd.add_argument("--seed", type=SEED, default=DEFAULTS.seed,
                     help="seed of the split, the initialization and the shuffling")
    run = parser.add_argument_group("run")
    run.add_argument("--out", type=Path, default=None, metavar="DIR",
                     help="run folder (default: runs/<dataset>-<date>-<time>)")
    run.add_argument("--resume", action="store_true",
                     help="continue the run in --out from its last checkpoint with the "
                          "run's own settings (only --epochs may be given to train longer)")
    run.add_argument("--overwrite", action="store_true",
                     help="replace the run in --out: the new run is built in "
                          "DIR/.autograd-flow-new and takes the old one's place once it has "
                          "finished (or, interrupted, has a checkpoint); files that no run "
                          "wrote are never replaced")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--jit", action="store_true",
                     help="compile each training step (fprop, bprop and the update) into "
                          "one numba call: the same numbers to float rounding, faster on "
                          "small models (the jit extra)")
    run.add_argument("--no-plots", action="store_true",
                     help="skip curves.png, regions.png and graph.svg")


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    dataset = args.dataset or default_dataset(args.task)
    task = args.task or natural_task(dataset)
    config = TrainConfig(
        hidden=args.hidden, activation=args.activation,
        optimizer=args.optimizer or DEFAULT_OPTIMIZER[task],
        lr=args.lr, momentum=args.momentum, betas=args.betas, eps=args.eps,
        rmsprop_alpha=args.rmsprop_alpha,
        decay=None if args.decay == "none" else args.decay, decay_rate=args.decay_rate,
        warmup=args.warmup, decay_steps=args.decay_steps, batch_size=args.batch_size,
        epochs=DEFAULTS.epochs if args.epochs is None else args.epochs, l1=args.l1,
        l2=args.l2, patience=args.patience, seed=args.seed, dtype=args.dtype)
    return {"dataset": dataset_setting(dataset), "task": task,
            "label_column": args.label_column, "n_samples": args.n_samples,
            "valid_fraction": args.valid_fraction, "test_fraction": args.test_fraction,
            "config": asdict(config)}


def _resumed_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings in the run's run.json, checked (a hand-edited file gets an error
    naming what is wrong); --epochs replaces the run's."""
    settings = read_run_settings(args.out, RUN_SETTINGS)
    where = f"cannot resume {args.out}: {RUN_SETTINGS}"
    if not isinstance(settings, dict):
        raise ValueError(f"{where} holds a {type(settings).__name__}, not the settings of "
                         "a run")
    missing = sorted(set(SETTING_KEYS) - set(settings))
    unknown = sorted(set(settings) - set(SETTING_KEYS) - {"files"})
    if missing or unknown:
        raise ValueError(f"{where} was edited: " + "; ".join(
            part for part in (missing and f"missing {', '.join(missing)}",
                              unknown and f"unknown {', '.join(unknown)}") if part))
    if not isinstance(settings["config"], dict):
        raise ValueError(f"{where}: 'config' is not an object of training options")
    options = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(settings["config"]) - options)
    if unknown:
        raise ValueError(f"{where}: unknown training option(s) {', '.join(unknown)} in "
                         "'config'")
    if not isinstance(settings["dataset"], str):
        raise ValueError(f"{where}: 'dataset' is not a data set name or path")
    if args.epochs is not None:
        settings["config"]["epochs"] = args.epochs
    try:
        settings["config"] = asdict(TrainConfig(**settings["config"]))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: {error}") from None
    return settings


def _planned(splits: Splits, no_plots: bool) -> set[str]:
    """The files a run on ``splits`` writes."""
    from ..viz import written_path

    planned = {MODEL, GRAPH, CHECKPOINT, RUN_SETTINGS, METRICS, HISTORY}
    if not no_plots:
        planned |= {"curves.png", written_path("graph.svg").name}
        if splits.n_features == 2 and splits.task == "classification":
            planned.add("regions.png")
    return planned


def run(args: argparse.Namespace) -> int:
    """Run ``autograd-flow train``; returns the exit status."""
    require("sklearn", *(() if args.no_progress else ("tqdm",)),
            *(() if args.no_plots else ("matplotlib",)), feature="autograd-flow train")
    if args.jit:
        require("numba", feature="autograd-flow train --jit")
    # everything is checked before the run folder is touched
    settings = _resumed_settings(args) if args.resume else _settings(args)
    config = TrainConfig(**settings["config"])
    splits = load_dataset(settings["dataset"], task=settings.get("task"), seed=config.seed,
                          label_column=settings["label_column"],
                          n_samples=settings["n_samples"],
                          valid_fraction=settings["valid_fraction"],
                          test_fraction=settings["test_fraction"])
    check_training_memory(config, splits)
    planned = _planned(splits, args.no_plots)
    run_dir = args.out or new_run_dir(default_run_dir(settings["dataset"]))
    with RunFolder(run_dir, *RUN_KIND) as folder:
        note(folder.clean_leftovers())
        target = _target(args, folder, config, splits, planned)
        staged = target != run_dir
        planned |= folder.owned() if args.resume else set()
        try:
            write_json(target / RUN_SETTINGS, {**settings, "files": sorted(planned)})
            sizes = [splits.n_features, *config.hidden, splits.n_outputs]
            print(f"{splits.summary()}; MLP {sizes} ({config.activation}, {config.dtype}, "
                  f"{config.optimizer}); run folder {run_dir}")
            result = train(config, splits, run_dir=target, progress=not args.no_progress,
                           resume=args.resume, jit=args.jit)
            outputs, info = model_graph(result.model)
            save(outputs, target / GRAPH, info=info)
            artefacts = [MODEL, GRAPH, CHECKPOINT, RUN_SETTINGS, METRICS, HISTORY]
            if not args.no_plots:
                artefacts += _draw(result, splits, target)
        except KeyboardInterrupt:
            return _interrupted(folder, target, run_dir, staged)
        except NonFiniteError as error:
            if not staged:
                raise
            folder.discard(target)
            reason = getattr(error, "reason", str(error))
            raise NonFiniteError(f"{reason}; the new run is discarded and the earlier run "
                                 f"in {run_dir} is kept unchanged") from None
        except BaseException:
            if staged:
                folder.discard(target)
            raise
        if staged:
            folder.replace_with(target)
    _report(result, artefacts, run_dir)
    return 0


def _target(args: argparse.Namespace, folder: RunFolder, config: TrainConfig,
            splits: Splits, planned: set[str]) -> Path:
    """Where the run writes: the run folder, or a staging folder inside it when the run
    replaces one (--overwrite). Refuses a run folder that holds a run (unless resuming
    or replacing it) or files of the user's that the run would write over."""
    if args.resume:
        sizes = [splits.n_features, *config.hidden, splits.n_outputs]
        read_checkpoint(folder.path / CHECKPOINT, config, training_fingerprint(splits),
                        parameter_shapes(sizes), OPTIMIZER_BUFFERS[config.optimizer])
        folder.check_no_foreign(planned)
        return folder.path
    folder.check_no_foreign(planned)
    if not folder.holds_run():
        return folder.path
    if not args.overwrite:
        raise RunFolderError(f"{folder.path} already holds a run: add --resume to continue "
                             "it, --overwrite to replace it, or choose another --out")
    return folder.staging()


def model_graph(model: Model) -> tuple[list[Box], dict[str, Any]]:
    """The trained model as a graph from raw features to what it predicts, and the info
    ``predict`` reads in its file: the Input x (N, features) float64, standardized with
    the training statistics inside the graph, the MLP, then the class probabilities
    f(x) = softmax (info "outputs": "probabilities", "classes": the labels of its
    columns) or the targets in their units ("outputs": "targets"); the numbers of
    ``model.predict_proba`` / ``model.predict`` bit for bit."""
    x = Input("x", shape=(None, model.n_features), dtype=np.float64)
    standardized = ops.Div(ops.Sub(x, Constant(model.mean, name="mean")),
                           Constant(model.std, name="std"), name="standardized x")
    output = model.mlp(ops.Astype(standardized, model.mlp.dtype))
    info: dict[str, Any] = {"task": model.task, "feature_names": model.feature_names,
                            "training": model.info}
    if model.task == "classification":
        info.update(outputs="probabilities", classes=model.classes.tolist())
        prediction = F.softmax(output, name="f(x)")
    else:
        info["outputs"] = "targets"
        prediction = ops.Add(ops.Mul(ops.Astype(output, np.float64),
                                     Constant(model.target_std, name="target std")),
                             Constant(model.target_mean, name="target mean"),
                             name="prediction")
        if model.single_target:
            prediction = ops.GetItem(prediction, (slice(None), 0), name="prediction")
    for box in topological_order([prediction]):
        box.created_at = "autograd-flow train (the model's graph)"
    return [prediction], info


def _interrupted(folder: RunFolder, target: Path, run_dir: Path, staged: bool) -> int:
    """Ctrl-C: keep what can be resumed (a staged run with a checkpoint replaces the
    earlier one; without one the earlier run stays) and say how to continue."""
    resumable = (target / CHECKPOINT).exists()
    if staged and resumable:
        folder.replace_with(target)
    elif staged:
        folder.discard(target)
        print(f"\ninterrupted before the first epoch ended: the earlier run in {run_dir} is "
              "kept unchanged", file=sys.stderr)
        return 130
    if resumable:
        print(f"\ninterrupted: continue with autograd-flow train --resume --out {run_dir}",
              file=sys.stderr)
    else:
        print(f"\ninterrupted before the first epoch ended: start again with "
              f"autograd-flow train --overwrite --out {run_dir} (with the same options)",
              file=sys.stderr)
    return 130


def _draw(result: TrainResult, splits: Splits, run_dir: Path) -> list[str]:
    """Write curves.png, regions.png (2-D classification) and graph.svg; return the names
    of the files written. A picture that cannot be drawn costs only itself: one warning
    line says which and why, and the run (finished, its files written) stands."""
    from ..learn import plots

    def curves() -> str:
        plots.learning_curves(result.history, run_dir / "curves.png", result.best_epoch,
                              title=f"{splits.name}: MLP {list(result.model.mlp.sizes)}",
                              task=result.task)
        return "curves.png"

    def regions() -> str:
        plots.decision_regions(result.model, splits.X_train, splits.y_train,
                               run_dir / "regions.png",
                               title=f"{splits.name}: decision regions (training examples)")
        return "regions.png"

    pictures: list[tuple[str, Callable[[], str]]] = []
    if result.history:
        pictures.append(("curves.png", curves))
    if splits.n_features == 2 and splits.task == "classification":
        pictures.append(("regions.png", regions))
    graph = result.objective.graph if result.objective is not None else None
    if graph is not None:
        pictures.append(("graph.svg", lambda: _graph(graph, run_dir / "graph.svg")))
    drawn = []
    for name, draw in pictures:
        try:
            drawn.append(draw())
        except Exception as error:  # whatever failed, the finished run matters more
            (run_dir / name).unlink(missing_ok=True)  # a resumed run's picture is stale
            reason = " ".join(f"{type(error).__name__}: {error}".split())
            print(f"warning: {name} was not drawn ({reason}); the run is complete without it",
                  file=sys.stderr)
    return drawn


def _graph(graph: FlowGraph, path: Path) -> str:
    """Draw the training graph into ``path``; the name of the file written (its DOT
    source, with a note, when Graphviz is not installed)."""
    from ..viz import GraphvizNotFoundError, to_svg

    mark_origin(graph, "train")
    try:
        to_svg(graph, path, collapse=True, annotate=False)
    except GraphvizNotFoundError as error:  # the run's results matter more than its picture
        print(f"note: {error}")
        return error.dot_path.name
    return path.name


def _report(result: TrainResult, artefacts: list[str], run_dir: Path) -> None:
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
    print(f"run folder {run_dir}: {', '.join(artefacts)}")
