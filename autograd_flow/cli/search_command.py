"""Grid or random search of training options: each trial trains an MLP with early
stopping and is scored on validation error; the best configuration is retrained and
its test error measured once. Trials run in local processes (--jobs) or on a Dask
cluster (--scheduler tcp://HOST:PORT). The run folder (--out) gets results.csv,
results.json, validation_error.png, best_model.npz, search.json (the options) and
results.jsonl (one line per finished trial, so --resume skips them; --resume with a
larger --trials extends a random search). A lost Dask cluster stops the search with an
error; the trials it did not finish run again on --resume, failed trials only with
--retry-failed. Options not in the space keep the defaults of TrainConfig and
`autograd-flow train` (lr and momentum: those of the trial's optimizer; as train, a
regression search uses Adam unless the space sets the optimizer):
{defaults}

examples:
  autograd-flow search --grid lr=0.01,0.1 --grid hidden=50,100x100 --set epochs=20
  autograd-flow search --random lr=loguniform:1e-3:1 --random l2=loguniform:1e-6:1e-2 \\
      --random activation=tanh,relu --trials 20 --jobs 2
  autograd-flow search --space space.yaml --scheduler tcp://10.0.0.5:8786 --out runs/s1
  autograd-flow search --out runs/s1 --resume
  autograd-flow search --out runs/s2 --random lr=loguniform:1e-3:1 --trials 8
  autograd-flow search --out runs/s2 --resume --trials 16      # 8 more trials

A space file (YAML or JSON) holds `method: grid|random`, `trials: N` and `space:`
(name -> list of values, a distribution such as "loguniform:1e-3:1", or a fixed value).
Distributions: uniform:LOW:HIGH, loguniform:LOW:HIGH, int:LOW:HIGH, choice:A,B (or A,B).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import select
from ..data import NAMES, TASKS
from ..errors import ClusterLostError
from ..extras import require
from ..learn.files import one_line, read_run_settings, write_json
from ..learn.runfolder import RunFolder, RunFolderError, new_run_dir, note
from ..learn.training import TrainConfig
from ..optim.registry import OPTIMIZERS
from ..select.runners import refuse_link
from .arguments import (
    DATA_OPTIONS,
    SEED,
    DataHelp,
    add_data_arguments,
    count,
    dataset_setting,
    default_dataset,
    default_run_dir,
)


def _defaults() -> str:
    """TrainConfig's defaults as name=value, as the trials use them."""
    import textwrap
    from dataclasses import asdict

    text = ", ".join(f"{name}={select.format_value(value)}"
                     for name, value in asdict(TrainConfig()).items())
    return textwrap.fill(text, width=86, initial_indent="  ", subsequent_indent="  ")

RESULTS_LOG = "results.jsonl"
SETTINGS = "search.json"
FILES = (SETTINGS, RESULTS_LOG, "results.csv", "results.json", "validation_error.png",
         "best_model.npz")
RUN_KIND = (SETTINGS, FILES, "dataset", "autograd-flow search")  # as train_command's
DATA_HELP = DataHelp(
    dataset=f"{', '.join(NAMES)}, or a .csv/.npz file (default: digits, or diabetes with "
            "--task regression)",
    task="classification or regression (default: the data set's own: regression for "
         "diabetes)",
    label_column="CSV label column (default: the last)",
    n_samples="examples drawn for a synthetic set (a random subset for digits and files, at "
              "most all of their rows)",
    valid_fraction="fraction held out for validation (chooses the configuration)",
    test_fraction="fraction held out for the test error of the best configuration",
    n_samples_metavar="N")


def _jobs(text: str) -> int:
    """--jobs: -1 (all cores) or a number of processes >= 1."""
    value = count(-1)(text)
    if value == 0:
        raise argparse.ArgumentTypeError("'0': give -1 (all cores) or a number of "
                                         "processes >= 1")
    return value


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUES, got {text!r}")
    return name.strip(), value.strip()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``autograd-flow search`` (and its description, with TrainConfig's
    defaults filled in)."""
    parser.description = (parser.description or __doc__ or "").replace(
        "{defaults}", _defaults())
    space = parser.add_argument_group("search space (training options of TrainConfig)")
    space.add_argument("--grid", type=_assignment, action="append", default=[],
                       metavar="NAME=V1,V2", help="grid values of an option (repeatable); "
                       "hidden sizes as 100 or 100x50")
    space.add_argument("--random", type=_assignment, action="append", default=[],
                       metavar="NAME=DIST", help="distribution of an option (repeatable): "
                       "uniform:A:B, loguniform:A:B, int:A:B or V1,V2 (a choice)")
    space.add_argument("--set", type=_assignment, action="append", default=[],
                       metavar="NAME=VALUE", help="a fixed option for every trial, e.g. "
                       "epochs=20 (repeatable)")
    space.add_argument("--space", type=Path, metavar="FILE", help="a YAML or JSON space file")
    space.add_argument("--trials", type=count(), metavar="N", help="random search: number of "
                       "trials (default: the file's 'trials', else 20; with --resume, the "
                       "search's own, and a larger N extends it)")
    space.add_argument("--optimizer", choices=OPTIMIZERS, help="the optimizer of every trial "
                       "(as --set optimizer=NAME; search several with --grid "
                       "optimizer=sgd,adam)")
    add_data_arguments(parser, DATA_HELP)
    run = parser.add_argument_group("running")
    run.add_argument("--out", "--run-dir", type=Path, metavar="DIR",
                     help="run folder (default: runs/search-<dataset>-<date>-<time>)")
    run.add_argument("--jobs", type=_jobs, default=-1,
                     help="local worker processes (-1: all cores, 1: no subprocess)")
    run.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="Dask scheduler "
                     "address: run the trials on that cluster instead of local processes")
    run.add_argument("--resume", action="store_true",
                     help="continue the search in --out, skipping finished trials (with "
                     "its saved space and data unless a new space is given)")
    run.add_argument("--retry-failed", action="store_true",
                     help="with --resume: run the trials whose training failed again too "
                     "(trials a Dask cluster lost always run again)")
    run.add_argument("--seed", type=SEED, default=0,
                     help="seed of the data split, of every trial and of random sampling")
    run.add_argument("--no-test", action="store_true",
                     help="do not retrain the best configuration to measure its test error")
    run.add_argument("--no-progress", "--quiet", action="store_true", help="no progress bar")


def build_space(args: argparse.Namespace) -> tuple[str, dict[str, Any], int]:
    """(method, space, trials) from --space, --grid, --random and --set."""
    if args.grid and args.random:
        raise ValueError("use either --grid (grid search) or --random (random search)")
    method, trials = "grid", None
    space: dict[str, Any] = {}
    if args.space is not None:
        method, space, trials = select.read_space(args.space)
    if args.grid:
        method = "grid"
        for name, values in args.grid:
            space[name] = [select.parse_value(v) for v in values.split(",")]
    if args.random:
        method = "random"
        for name, text in args.random:
            space[name] = select.parse_distribution(text)
    for name, value in args.set:
        space[name] = select.parse_value(value)
    if args.optimizer is not None:
        space["optimizer"] = args.optimizer
    if not space:
        raise ValueError("no search space: give --grid NAME=V1,V2, --random NAME=DIST or "
                         "--space FILE")
    unknown = set(space) - set(_train_options())  # fail before any trial runs
    if unknown:
        raise ValueError(f"unknown training option(s) {', '.join(sorted(unknown))}; the "
                         f"options are: {', '.join(_train_options())}")
    given = args.trials if args.trials is not None else trials
    return method, space, 20 if given is None else given


def _train_options() -> list[str]:
    from dataclasses import fields

    from ..learn.training import TrainConfig

    return [f.name for f in fields(TrainConfig)]


_SPACE_OPTIONS = ("grid", "random", "set", "space", "trials", "optimizer")
_DATA_OPTIONS = (*DATA_OPTIONS, "seed")


def _settings(args: argparse.Namespace, trials: int) -> dict[str, Any]:
    """The options that define a search, saved in the run folder for --resume."""
    settings = {name: getattr(args, name) for name in _SPACE_OPTIONS + _DATA_OPTIONS}
    settings["trials"] = trials
    settings["dataset"] = dataset_setting(args.dataset)
    settings["space"] = None if args.space is None else str(args.space.resolve())
    return settings


def _resume(args: argparse.Namespace) -> None:
    """Restore the saved data options and the space (unless a new one is given); a
    --trials larger than the saved count extends a random search."""
    saved = _saved_settings(args.out)
    new_space = args.grid or args.random or args.set or args.space is not None
    trials = args.trials
    for name in _DATA_OPTIONS + (() if new_space else _SPACE_OPTIONS):
        value = saved.get(name)
        if name in ("grid", "random", "set"):
            value = [tuple(pair) for pair in value or []]
        elif name == "space" and value is not None:
            value = Path(value)
        setattr(args, name, value)
    if trials is None or new_space:  # the saved count, or the new space's own
        return
    method, _, before = build_space(args)
    if method == "grid":
        raise ValueError(f"{args.out} holds a grid search, which tries every point of its "
                         "grid: --trials applies to random searches (extend a grid with "
                         "--grid NAME=V1,V2,...)")
    if trials < before:
        raise ValueError(f"{args.out} holds a random search of {before} trials: --trials "
                         f"{trials} would leave some out; give more than {before} to extend "
                         "it, or leave --trials out to finish it")
    args.trials = trials


# what each saved option may be: a check and what it should be
_SAVED: dict[str, tuple[Callable[[Any], bool], str]] = {
    **{name: (lambda v: v is None or isinstance(v, list) and all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
        for p in v), "a list of [NAME, VALUES] pairs") for name in ("grid", "random", "set")},
    "space": (lambda v: v is None or isinstance(v, str), "a file path or null"),
    "trials": (lambda v: v is None or _is_count(v), "a whole number >= 1"),
    "optimizer": (lambda v: v is None or v in OPTIMIZERS, f"one of {', '.join(OPTIMIZERS)}"),
    "dataset": (lambda v: isinstance(v, str), "a data set name or path"),
    "task": (lambda v: v is None or v in TASKS, "classification, regression or null"),
    "label_column": (lambda v: v is None or isinstance(v, str), "a column name or null"),
    "n_samples": (lambda v: v is None or _is_count(v), "a whole number >= 1 or null"),
    "valid_fraction": (lambda v: _is_fraction(v), "a number between 0 and 1"),
    "test_fraction": (lambda v: _is_fraction(v), "a number between 0 and 1"),
    "seed": (lambda v: _is_count(v, 0), "a whole number >= 0"),
}


def _is_count(value: Any, minimum: int = 1) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _is_fraction(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 1


def _saved_settings(run_dir: Path | None) -> dict[str, Any]:
    """search.json of the search in ``run_dir``, checked (a hand-edited file gets an
    error naming the option that is wrong)."""
    saved = read_run_settings(run_dir, SETTINGS)
    where = f"cannot resume {run_dir}: {SETTINGS}"
    if not isinstance(saved, dict):
        raise ValueError(f"{where} holds a {type(saved).__name__}, not the settings of a "
                         "search")
    unknown = sorted(set(saved) - set(_SAVED) - {"files"})
    if unknown:
        raise ValueError(f"{where} was edited: unknown {', '.join(unknown)}")
    for name, (ok, expected) in _SAVED.items():
        if name in saved and not ok(saved[name]):
            raise ValueError(f"{where}: {name} must be {expected}, got {saved[name]!r}")
    missing = sorted({"dataset", "seed"} - set(saved))
    if missing:
        raise ValueError(f"{where} was edited: missing {', '.join(missing)}")
    return saved


def run(args: argparse.Namespace) -> int:
    """Run ``autograd-flow search``; returns the exit status."""
    from ..data import load_dataset

    require("sklearn", "matplotlib", feature="autograd-flow search")
    trials_given = args.trials is not None
    if args.retry_failed and not args.resume:
        raise ValueError("--retry-failed runs the failed trials of a search again: give it "
                         "with --resume and the search's --out")
    if args.resume:
        _resume(args)
    args.dataset = args.dataset or default_dataset(args.task)
    if args.scheduler:
        require("distributed", feature="search --scheduler")
    elif args.jobs != 1:
        require("joblib", feature="search")
    method, space, trials = build_space(args)
    if method == "grid" and trials_given and not args.resume:
        raise ValueError("--trials sets the number of trials of a random search; a grid "
                         "search tries every point of its grid")
    splits = load_dataset(args.dataset, task=args.task, seed=args.seed,
                          label_column=args.label_column,
                          n_samples=args.n_samples, valid_fraction=args.valid_fraction,
                          test_fraction=args.test_fraction)
    configs = (select.grid_points(space) if method == "grid"
               else select.sample_points(space, trials, args.seed))
    _check_trials(configs, splits, args.seed)
    # everything is checked: now the run folder
    run_dir = args.out or new_run_dir(default_run_dir(args.dataset, prefix="search-"))
    log = run_dir / RESULTS_LOG
    with RunFolder(run_dir, *RUN_KIND) as folder:
        note(folder.clean_leftovers())
        folder.check_no_foreign(FILES)
        refuse_link(log)
        if log.exists() and not args.resume:
            raise RunFolderError(f"{run_dir} already holds a search ({log}): pass --resume "
                                 "to continue it, or choose another --out")
        write_json(run_dir / SETTINGS, {**_settings(args, trials), "files": sorted(FILES)})
        where = args.scheduler or f"{args.jobs if args.jobs > 0 else 'all'} local core(s)"
        print(f"{method} search over {', '.join(space)}: {len(configs)} trials on {splits.name}, "
              f"running on {where}; results in {run_dir}", file=sys.stderr)
        options = dict(splits=splits, seed=args.seed, n_jobs=args.jobs,
                       scheduler=args.scheduler, results_path=log,
                       retry_failed=args.retry_failed, progress=not args.no_progress,
                       evaluate_test=not args.no_test)
        resume = f"autograd-flow search --out {run_dir} --resume" + (
            f" --scheduler {args.scheduler}" if args.scheduler else "")
        try:
            if method == "grid":
                result = select.grid_search(space, **options)
            else:
                result = select.random_search(space, trials, **options)
            _write_results(result, run_dir)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM
            kept = len(select.read_results(log))
            print(f"\ninterrupted: {kept} finished trial(s) are kept in {log}; continue with "
                  f"{resume}", file=sys.stderr)
            return 130
        except ClusterLostError as error:
            kept = len(select.read_results(log))
            raise ClusterLostError(f"{error}; {kept} finished trial(s) are kept there; once "
                                   f"the cluster runs again, continue with {resume}") from None
    print(result)
    print(f"results in {run_dir}/: results.csv, results.json, validation_error.png"
          + (", best_model.npz" if result.best_model is not None else ""))
    if result.best is None:
        print(_all_failed(result, run_dir), file=sys.stderr)
        return 1
    return 0


def _check_trials(configs: list[dict[str, Any]], splits: Any, seed: int) -> None:
    """Refuse a search with a trial that cannot start (an option out of range, such as
    epochs=0, or a network too large for memory) before any trial runs, as train refuses
    its options."""
    from ..learn.training import check_training_memory

    trial = select.TrainObjective(splits)
    for index, config in enumerate(configs):
        try:  # the trial's configuration, as the trial builds it
            check_training_memory(trial.config(config, seed), splits)
        except (TypeError, ValueError) as error:
            raise ValueError(f"trial {index} of {len(configs)} ({_options(config)}) cannot "
                             f"run: {one_line(error)}; fix the search space (no trial has "
                             "run)") from None


def _all_failed(result: Any, run_dir: Path) -> str:
    """One line for standard error: how many trials failed, and why the first did."""
    first = min(result.failed, key=lambda trial: trial.index)
    reason = " ".join((first.error or "no reason recorded").split()).rstrip(".")
    return (f"autograd-flow search: every trial failed ({len(result.failed)} of "
            f"{len(result.trials)}); the first, trial {first.index} "
            f"({_options(first.config)}): {reason}; each trial's error is in "
            f"{run_dir / 'results.csv'}")


def _options(config: dict[str, Any]) -> str:
    return ", ".join(f"{name}={select.format_value(value)}" for name, value in config.items())


def _write_results(result: Any, run_dir: Path) -> None:
    """results.csv, results.json, validation_error.png and best_model.npz (each written
    atomically)."""
    from ..io import save_model

    result.to_csv(run_dir / "results.csv")
    result.to_json(run_dir / "results.json")
    result.plot(run_dir / "validation_error.png")
    if result.best_model is not None:
        save_model(run_dir / "best_model.npz", result.best_model)
