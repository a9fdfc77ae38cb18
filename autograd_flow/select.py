"""Model selection the lecture's way: grid search and random search of training options.

The training set trains each model, the validation set selects the hyper-parameters,
and the test set estimates the generalization error of the chosen configuration only
once. ``grid_search`` tries every combination of the listed values; ``random_search``
samples each hyper-parameter independently from a declared distribution
(:class:`Choice`, :class:`Uniform`, :class:`LogUniform`, :class:`IntUniform`).

A trial is any callable ``objective(config: dict, seed: int) -> dict`` returning at
least ``"valid_error"``; the default, :class:`TrainObjective`, trains an MLP with
:func:`autograd_flow.train.train` (early stopping on validation error, never touching
the test set); after the search the best configuration is retrained with the same seed
(training is deterministic, so it is the same model) and its test error measured once,
with the model kept as ``SearchResult.best_model``.

Trials run in local processes with joblib (all cores by default) or on a Dask
distributed cluster (``scheduler="tcp://host:port"`` or a ``distributed.Client``; the
workers need autograd_flow installed). Every trial gets the same seed, so results do
not depend on the backend. A failing trial (exception, NaN) is recorded with its error
and the search goes on. With ``results_path`` each finished trial is appended to a
JSON-lines file as soon as it ends, and a later search with the same file skips the
trials already there.
"""
from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

# ---------------------------------------------------------------- distributions


@dataclass(frozen=True)
class Choice:
    """One of ``values``, each with the same probability."""

    values: tuple

    def __init__(self, values: Sequence[Any]) -> None:
        if isinstance(values, (str, bytes)) or not len(values):
            raise ValueError(f"Choice needs a non-empty list of values, got {values!r}")
        object.__setattr__(self, "values", tuple(values))

    def sample(self, rng: np.random.Generator) -> Any:
        return self.values[int(rng.integers(len(self.values)))]

    def spec(self) -> str:
        return "choice:" + ",".join(_format_value(v) for v in self.values)


@dataclass(frozen=True)
class Uniform:
    """A real number uniform in [low, high)."""

    low: float
    high: float

    def __post_init__(self) -> None:
        _check_range(self, self.low, self.high)

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))

    def spec(self) -> str:
        return f"uniform:{self.low:g}:{self.high:g}"


@dataclass(frozen=True)
class LogUniform:
    """A positive real number whose log is uniform in [log low, log high) (for scales
    such as learning rates and penalty weights)."""

    low: float
    high: float

    def __post_init__(self) -> None:
        _check_range(self, self.low, self.high)
        if self.low <= 0:
            raise ValueError(f"LogUniform needs 0 < low, got low={self.low}")

    def sample(self, rng: np.random.Generator) -> float:
        return float(np.exp(rng.uniform(np.log(self.low), np.log(self.high))))

    def spec(self) -> str:
        return f"loguniform:{self.low:g}:{self.high:g}"


@dataclass(frozen=True)
class IntUniform:
    """An integer uniform in low..high, both included."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if int(self.low) != self.low or int(self.high) != self.high:
            raise ValueError(f"IntUniform needs integer bounds, got {self.low}, {self.high}")
        _check_range(self, self.low, self.high, allow_equal=True)

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(int(self.low), int(self.high) + 1))

    def spec(self) -> str:
        return f"int:{int(self.low)}:{int(self.high)}"


Distribution = Choice | Uniform | LogUniform | IntUniform
DISTRIBUTIONS = (Choice, Uniform, LogUniform, IntUniform)
_SPEC_NAMES: dict[str, Callable[[Any, Any], Distribution]] = {
    "uniform": Uniform, "loguniform": LogUniform, "int": IntUniform, "intuniform": IntUniform}


def _check_range(distribution: Any, low: float, high: float, allow_equal: bool = False) -> None:
    ok = low <= high if allow_equal else low < high
    if not (ok and math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{type(distribution).__name__} needs finite low < high, got "
                         f"low={low}, high={high}")


def parse_value(text: str) -> Any:
    """A command-line value: int, float, ``none``, ``true``/``false``, ``100x50`` (a
    tuple of ints, for hidden layer sizes), or the text itself."""
    text = text.strip()
    lowered = text.lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    parts = lowered.split("x")
    if len(parts) > 1 and all(p.isdigit() for p in parts):
        return tuple(int(p) for p in parts)
    return text


def parse_distribution(text: str) -> Distribution:
    """``uniform:LOW:HIGH``, ``loguniform:LOW:HIGH``, ``int:LOW:HIGH`` or
    ``choice:A,B,...`` (a bare ``A,B,...`` is a choice too)."""
    kind, _, rest = text.partition(":")
    kind = kind.strip().lower()
    if kind in _SPEC_NAMES:
        bounds = rest.split(":")
        if len(bounds) != 2:
            raise ValueError(f"{text!r}: write {kind}:LOW:HIGH")
        low, high = (parse_value(b) for b in bounds)
        return _SPEC_NAMES[kind](low, high)
    if kind == "choice":
        return Choice([parse_value(v) for v in rest.split(",")])
    if ":" in text:
        raise ValueError(f"unknown distribution in {text!r}: use uniform:LOW:HIGH, "
                         "loguniform:LOW:HIGH, int:LOW:HIGH or choice:A,B,...")
    return Choice([parse_value(v) for v in text.split(",")])


# ---------------------------------------------------------------- search spaces


def grid_points(space: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every combination of the listed values, in the order of ``space`` (the last
    name varies fastest). A list (or Choice) is an axis; anything else (a number, a
    string, None, a tuple such as hidden=(50, 50)) is held fixed."""
    axes = {}
    for name, values in space.items():
        if isinstance(values, Choice):
            values = list(values.values)
        elif isinstance(values, DISTRIBUTIONS):
            raise ValueError(f"grid search needs a list of values for {name!r}, got "
                             f"{values.spec()}: list the values, or use random_search")
        elif isinstance(values, list):
            if not values:
                raise ValueError(f"the grid axis {name!r} has no values")
            values = list(values)
        else:
            values = [values]
        axes[name] = values
    return [dict(zip(axes, combination)) for combination in itertools.product(*axes.values())]


def sample_points(space: Mapping[str, Any], n_trials: int, seed: int = 0) -> list[dict]:
    """``n_trials`` configurations, each hyper-parameter sampled independently from its
    distribution (a list is a Choice, a single value is held fixed). Sampled in order
    from one generator seeded with ``seed``: the first k of n trials are the k trials."""
    if int(n_trials) != n_trials or n_trials < 1:
        raise ValueError(f"random search needs n_trials >= 1, got {n_trials}")
    rng = np.random.default_rng(seed)
    space = {name: Choice(v) if isinstance(v, list) else v for name, v in space.items()}
    return [{name: v.sample(rng) if isinstance(v, DISTRIBUTIONS) else v
             for name, v in space.items()} for _ in range(int(n_trials))]


def describe_space(space: Mapping[str, Any]) -> dict[str, Any]:
    """The space as JSON-ready values (distributions as their spec strings)."""
    return {name: v.spec() if isinstance(v, DISTRIBUTIONS) else _plain(v)
            for name, v in space.items()}


def read_space(path: str | Path) -> tuple[str, dict[str, Any], int | None]:
    """Read a search space from YAML or JSON: ``method`` (grid or random), ``trials``
    (random search) and ``space`` ({name: list of values, distribution spec string such
    as "loguniform:1e-3:1", or a single fixed value}). Returns (method, space, trials)."""
    path = Path(path)
    text = path.read_text()
    if path.suffix.lower() == ".json":
        document = json.loads(text)
    else:
        import yaml

        document = yaml.safe_load(text)
    if not isinstance(document, dict) or not isinstance(document.get("space"), dict):
        raise ValueError(f"{path}: expected a mapping with a 'space:' mapping of "
                         "hyper-parameter -> values (and optional 'method:', 'trials:')")
    method = str(document.get("method", "grid")).lower()
    if method not in ("grid", "random"):
        raise ValueError(f"{path}: method must be 'grid' or 'random', got {method!r}")
    space = {}
    for name, value in document["space"].items():
        if isinstance(value, str) and ":" in value:
            value = parse_distribution(value)
        space[str(name)] = value
    trials = document.get("trials")
    return method, space, None if trials is None else int(trials)


# ---------------------------------------------------------------- trials and results


@dataclass
class Trial:
    """One configuration tried: ``status`` is "ok", "failed" or "pending"."""

    index: int
    config: dict[str, Any]
    seed: int
    status: str = "pending"
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    @property
    def valid_error(self) -> float:
        return float(self.metrics.get("valid_error", math.nan))

    @property
    def key(self) -> str:
        """What identifies a trial in a results file: its configuration and seed."""
        return json.dumps({"config": _plain(self.config), "seed": self.seed}, sort_keys=True)

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


@dataclass
class SearchResult:
    """The trials of a search, the best one (lowest validation error) and its test
    error, measured once after the search (None when not measured)."""

    method: str
    space: dict[str, Any]
    seed: int
    trials: list[Trial]
    best: Trial | None
    test_error: float | None = None
    final: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def best_config(self) -> dict[str, Any] | None:
        return None if self.best is None else dict(self.best.config)

    @property
    def best_model(self) -> Any:
        """The model retrained with the best configuration (TrainObjective), if any."""
        return self.final.get("model")

    @property
    def failed(self) -> list[Trial]:
        return [t for t in self.trials if t.status == "failed"]

    @property
    def names(self) -> list[str]:
        """The hyper-parameters that vary across the trials."""
        names = list(dict.fromkeys(n for t in self.trials for n in t.config))
        return [n for n in names if len({_format_value(t.config.get(n))
                                         for t in self.trials}) > 1]

    def rows(self) -> list[dict[str, Any]]:
        """One flat dict per trial (index, status, hyper-parameters, metrics, error)."""
        configs = list(dict.fromkeys(n for t in self.trials for n in t.config))
        metrics = list(dict.fromkeys(k for t in self.trials for k, v in t.metrics.items()
                                     if not isinstance(v, (list, dict))))
        return [{"index": t.index, "status": t.status,
                 **{n: _format_value(t.config.get(n)) for n in configs},
                 **{k: _plain(t.metrics.get(k)) for k in metrics},
                 "seconds": round(t.seconds, 3), "error": t.error or ""}
                for t in self.trials]

    def table(self, max_rows: int | None = None) -> str:
        """The trials sorted by validation error (failed last), best marked with *; the
        options held fixed are left out (they are in :meth:`rows` and the CSV)."""
        ordered = sorted(self.trials, key=_rank)[:max_rows]
        by_index = {row["index"]: row for row in self.rows()}
        rows = [by_index[t.index] for t in ordered]
        if not rows:
            return "(no trials)"
        names = self.names
        fixed = set(n for t in self.trials for n in t.config) - set(names) if names else set()
        columns = [c for c in rows[0] if c not in ("seconds", "error") and c not in fixed] \
            + ["seconds", "error"]
        rate = self.error_is_rate
        cells = [[_cell(row[c], percent=rate and c.endswith("_error")) for c in columns]
                 for row in rows]
        widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
        lines = ["  " + "  ".join(c.ljust(w) for c, w in zip(columns, widths))]
        for trial, row in zip(ordered, cells):
            mark = "* " if self.best is not None and trial.index == self.best.index else "  "
            lines.append(mark + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        return "\n".join(lines)

    def summary(self) -> str:
        failed = len(self.failed)
        head = (f"{self.method} search: {len(self.trials)} trials, {failed} failed, "
                f"{self.seconds:.1f} s")
        if self.best is None:
            return head + "; no trial succeeded."
        varying = self.names or list(self.best.config)
        best = ", ".join(f"{k}={_format_value(v)}" for k, v in self.best.config.items()
                         if k in varying)
        fixed = ", ".join(f"{k}={_format_value(v)}" for k, v in self.best.config.items()
                          if k not in varying)
        head += f"; fixed: {fixed}" if fixed else ""
        text = (f"{head}\nbest (validation {self.error_name} "
                f"{self.format_error(self.best.valid_error)}): {best}")
        if self.test_error is not None:
            text += (f"\ntest {self.error_name} of the best configuration (measured once): "
                     f"{self.format_error(self.test_error)}")
        return text

    @property
    def error_is_rate(self) -> bool:
        """Whether the trials' errors are error rates (shown in percent): the default
        objective on a classification task says so in each trial's metrics."""
        ok = [t for t in self.trials if t.status == "ok"]
        return bool(ok) and all(t.metrics.get("task") == "classification" for t in ok)

    @property
    def error_name(self) -> str:
        """What the error is: "error" (a rate), "MSE" (regression) or "error"."""
        regression = any(t.metrics.get("task") == "regression" for t in self.trials)
        return "MSE" if regression else "error"

    def format_error(self, value: Any) -> str:
        """An error as text: a rate in percent, anything else with 4 digits."""
        if not isinstance(value, (int, float)):
            return str(value)
        return f"{value:.2%}" if self.error_is_rate else f"{value:.4g}"

    def __str__(self) -> str:
        return self.summary() + "\n" + self.table()

    def to_csv(self, path: str | Path) -> Path:
        """One row per trial, in trial order."""
        import csv

        path = Path(path)
        rows = self.rows()
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["index"])
            writer.writeheader()
            writer.writerows(rows)
        return path

    def to_dict(self) -> dict[str, Any]:
        final = {k: _plain(v) for k, v in self.final.items() if k != "model"}
        return {"method": self.method, "space": self.space, "seed": self.seed,
                "best": None if self.best is None else self.best.to_dict(),
                "test_error": self.test_error, "final": final,
                "seconds": round(self.seconds, 3),
                "trials": [t.to_dict() for t in self.trials]}

    def to_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2, allow_nan=True) + "\n")
        return path

    def plot(self, path: str | Path | None = None) -> Any:
        """Validation error against each varying hyper-parameter (one panel each; the
        best trial is a star, failed trials are counted in the title). Returns the
        matplotlib Figure, saved to ``path`` when given (.png, .svg, .pdf)."""
        from matplotlib.figure import Figure

        names = self.names or list(dict.fromkeys(n for t in self.trials for n in t.config))
        names = names or ["index"]
        figure = Figure(figsize=(4 * len(names), 3.4), layout="constrained")
        axes = figure.subplots(1, len(names), squeeze=False)[0]
        ok = [t for t in self.trials if t.status == "ok"]
        for ax, name in zip(axes, names):
            values = [t.index if name == "index" else t.config.get(name) for t in ok]
            scale = 100.0 if self.error_is_rate else 1.0
            errors = [scale * t.valid_error for t in ok]
            numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool)
                          for v in values)
            if numeric:
                x = [float(v) for v in values if v is not None]
                positive = [v for v in x if v > 0]
                if len(positive) == len(x) and x and max(x) / min(x) >= 10:
                    ax.set_xscale("log")
            else:
                labels = list(dict.fromkeys(_format_value(v) for v in values))
                x = [labels.index(_format_value(v)) for v in values]
                ax.set_xticks(range(len(labels)), labels)
                ax.set_xlim(-0.5, len(labels) - 0.5)
            ax.scatter(x, errors, alpha=0.7)
            if self.best is not None and self.best.status == "ok":
                best = ok.index(self.best)
                ax.scatter([x[best]], [errors[best]], marker="*", s=200, color="C3",
                           label="best", zorder=3)
                ax.legend(loc="best")
            ax.set_xlabel(name)
            ax.set_ylabel(f"validation {self.error_name}"
                          + (" (%)" if self.error_is_rate else ""))
            ax.grid(alpha=0.3)
        figure.suptitle(f"{self.method} search: {len(ok)} trials"
                        + (f" ({len(self.failed)} failed, not shown)" if self.failed else ""))
        if path is not None:
            figure.savefig(path, dpi=110)
        return figure


def _rank(trial: Trial) -> tuple:
    """Failed trials last; then by validation error, validation loss (when the
    objective reports one) and trial index."""
    error, loss = trial.valid_error, trial.metrics.get("valid_loss")
    loss = loss if isinstance(loss, (int, float)) and math.isfinite(loss) else math.inf
    return (trial.status != "ok", error if math.isfinite(error) else math.inf, loss,
            trial.index)


# ---------------------------------------------------------------- the default objective


@dataclass
class TrainObjective:
    """Train an MLP with ``autograd_flow.train.train`` on ``splits`` for a trial: the
    trial's options over ``base`` (fixed TrainConfig options), the trial's seed unless
    ``seed`` is searched. Trials never evaluate the test set (``evaluate_test=False``);
    :meth:`test` retrains the chosen configuration (same seed, so the same model:
    training is deterministic) and measures its test error once."""

    splits: Any
    base: Mapping[str, Any] = field(default_factory=dict)

    def config(self, options: Mapping[str, Any], seed: int) -> Any:
        """The TrainConfig of a trial (unknown option names are an error)."""
        return train_config({**self.base, "seed": seed, **options})

    def __call__(self, options: Mapping[str, Any], seed: int) -> dict[str, Any]:
        from .train import train

        result = train(self.config(options, seed), self.splits, evaluate_test=False)
        best = next((h for h in result.history if h["epoch"] == result.best_epoch), {})
        return {"valid_error": result.valid_error, "train_error": result.train_error,
                "valid_loss": best.get("valid_loss"), "best_epoch": result.best_epoch,
                "epochs": len(result.history), "stopped": result.stopped,
                "task": result.task}

    def test(self, options: Mapping[str, Any], seed: int) -> dict[str, Any]:
        from .train import train

        result = train(self.config(options, seed), self.splits, evaluate_test=True)
        return {"test_error": result.test_error, "valid_error": result.valid_error,
                "train_error": result.train_error, "task": result.task,
                "model": result.model}


def train_config(options: Mapping[str, Any]) -> Any:
    """A TrainConfig from plain values: names checked, numbers cast to the field's
    type, ``hidden`` from an int (one layer), a list, or text such as "100x50"."""
    from .train import TrainConfig

    known = {f.name: f for f in fields(TrainConfig)}
    values = {}
    for name, value in options.items():
        if name not in known:
            raise ValueError(f"unknown training option {name!r}; the options are: "
                             f"{', '.join(known)}")
        default = known[name].default
        if name == "hidden":
            value = parse_value(value) if isinstance(value, str) else value
            value = (int(value),) if isinstance(value, (int, np.integer)) \
                else tuple(int(v) for v in value)
        elif name == "betas":
            parts = value.replace(":", "x").split("x") if isinstance(value, str) else value
            value = tuple(float(v) for v in parts)
        elif name in ("lr", "momentum") and value is not None and not isinstance(value, str):
            value = float(value)
        elif isinstance(value, str) and value.lower() in ("none", "null"):
            value = None
        elif isinstance(default, bool):
            value = bool(value)
        elif isinstance(default, int) and value is not None:
            if float(value) != int(value):
                raise ValueError(f"training option {name!r} needs a whole number, got "
                                 f"{value!r}")
            value = int(value)
        elif isinstance(default, float) and value is not None:
            value = float(value)
        values[name] = value
    return TrainConfig(**values)


# ---------------------------------------------------------------- running the trials


Objective = Callable[[dict, int], Mapping[str, Any]]


def run_trial(objective: Objective, config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Run one trial and never raise: {"status", "metrics", "error", "seconds"}. An
    exception or a missing or non-finite valid_error makes the trial "failed"."""
    start = time.perf_counter()
    try:
        metrics = {k: _plain(v) for k, v in dict(objective(dict(config), seed)).items()}
        error = metrics.get("valid_error")
        if not isinstance(error, (int, float)) or not math.isfinite(error):
            raise FloatingPointError(f"the objective returned valid_error={error!r} (a "
                                     "finite number is needed to rank the trial)")
        outcome: dict[str, Any] = {"status": "ok", "metrics": metrics, "error": None}
    except Exception as error:  # a failed trial is recorded; the search goes on
        outcome = {"status": "failed", "metrics": {},
                   "error": f"{type(error).__name__}: {error}"}
    outcome["seconds"] = time.perf_counter() - start
    return outcome


def _run_local(objective: Objective, trials: list[Trial],
               n_jobs: int) -> Iterator[tuple[int, dict]]:
    """(index, outcome) as each trial ends, in joblib worker processes."""
    from joblib import Parallel, delayed

    if n_jobs == 1:
        for t in trials:
            yield _indexed_trial(objective, t.index, t.config, t.seed)
        return
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    yield from parallel(delayed(_indexed_trial)(objective, t.index, t.config, t.seed)
                        for t in trials)


def _indexed_trial(objective: Objective, index: int, config: dict,
                   seed: int) -> tuple[int, dict]:
    return index, run_trial(objective, config, seed)


def _run_dask(objective: Objective, trials: list[Trial],
              scheduler: Any) -> Iterator[tuple[int, dict]]:
    """(index, outcome) as each trial ends, on a Dask distributed cluster."""
    from distributed import Client, as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        shared = client.scatter(objective, broadcast=True, hash=False)
        futures = {client.submit(run_trial, shared, t.config, t.seed, pure=False): t.index
                   for t in trials}
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except Exception as error:  # the worker died or the task could not run
                outcome = {"status": "failed", "metrics": {}, "seconds": 0.0,
                           "error": f"{type(error).__name__}: {error}"}
            yield futures[future], outcome
    finally:
        if client is not scheduler:
            client.close()


def read_results(path: str | Path) -> dict[str, Trial]:
    """The finished trials of a JSON-lines results file, by :attr:`Trial.key` (a line
    cut short by an interruption is ignored)."""
    finished: dict[str, Trial] = {}
    path = Path(path)
    if not path.exists():
        return finished
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
            trial = Trial(int(record["index"]), dict(record["config"]), int(record["seed"]),
                          record["status"], dict(record.get("metrics") or {}),
                          record.get("error"), float(record.get("seconds", 0.0)))
        except (ValueError, KeyError, TypeError):
            continue
        finished[trial.key] = trial
    return finished


def run_search(method: str, space: Mapping[str, Any], configs: list[dict[str, Any]], *,
               objective: Objective, seed: int = 0, n_jobs: int = -1,
               scheduler: Any = None, results_path: str | Path | None = None,
               retry_failed: bool = False, progress: bool = False,
               evaluate_test: bool = True) -> SearchResult:
    """Run ``configs`` as trials (see :func:`grid_search` for the options), choose the
    best on validation error and, if the objective has a ``test`` method, measure the
    test error of the best configuration once."""
    start = time.perf_counter()
    trials = [Trial(i, dict(c), seed) for i, c in enumerate(configs)]
    finished = read_results(results_path) if results_path is not None else {}
    pending = []
    for trial in trials:
        done = finished.get(trial.key)
        if done is not None and (done.status == "ok" or not retry_failed):
            trial.status, trial.metrics = done.status, done.metrics
            trial.error, trial.seconds = done.error, done.seconds
        else:
            pending.append(trial)
    if pending:
        _run_pending(objective, trials, pending, n_jobs, scheduler, results_path, progress,
                     method)
    ok = [t for t in trials if t.status == "ok"]
    best = min(ok, key=_rank) if ok else None
    result = SearchResult(method, describe_space(space), seed, trials, best)
    test = getattr(objective, "test", None)
    if evaluate_test and best is not None and callable(test):
        result.final = dict(test(dict(best.config), best.seed))
        result.test_error = _plain(result.final.get("test_error"))
    result.seconds = time.perf_counter() - start
    return result


def _run_pending(objective: Objective, trials: list[Trial], pending: list[Trial],
                 n_jobs: int, scheduler: Any, results_path: str | Path | None,
                 progress: bool, method: str) -> None:
    from .extras import progress_bar

    by_index = {t.index: t for t in trials}
    outcomes = (_run_dask(objective, pending, scheduler) if scheduler is not None
                else _run_local(objective, pending, n_jobs))
    log = None
    if results_path is not None:
        path = Path(results_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        cut = path.exists() and path.stat().st_size and not path.read_bytes().endswith(b"\n")
        log = path.open("a")
        if cut:  # end the line an interruption cut short, so it stays one bad line
            log.write("\n")
    bar = progress_bar(total=len(trials), initial=len(trials) - len(pending), unit="trial",
               desc=f"{method} search", disable=not progress)
    try:
        for index, outcome in outcomes:
            trial = by_index[index]
            trial.status, trial.metrics = outcome["status"], outcome["metrics"]
            trial.error, trial.seconds = outcome["error"], outcome["seconds"]
            if log is not None:
                log.write(json.dumps(trial.to_dict()) + "\n")
                log.flush()
            bar.update()
            if trial.status == "ok":
                best = min(t.valid_error for t in trials if t.status == "ok")
                bar.set_postfix(best_valid_error=f"{best:.4g}")
    finally:
        bar.close()
        if log is not None:
            log.close()


def _objective(objective: Objective | None, splits: Any,
               base: Mapping[str, Any] | None) -> Objective:
    if objective is not None:
        if splits is not None or base:
            raise ValueError("pass either objective= or splits= (with base=), not both")
        return objective
    if splits is None:
        raise ValueError("pass splits= (e.g. autograd_flow.data.load_dataset('digits')) "
                         "to train MLPs, or objective=callable(config, seed) -> dict")
    return TrainObjective(splits, dict(base or {}))


def grid_search(space: Mapping[str, Any], splits: Any = None, *,
                objective: Objective | None = None, base: Mapping[str, Any] | None = None,
                seed: int = 0, n_jobs: int = -1, scheduler: Any = None,
                results_path: str | Path | None = None, retry_failed: bool = False,
                progress: bool = False, evaluate_test: bool = True) -> SearchResult:
    """Try every combination of the listed values (lecture: "try all possible
    configurations") and choose the one with the lowest validation error.

    ``space``: {option: list of values, or a single fixed value}, e.g.
    ``{"lr": [0.01, 0.1], "hidden": [[50], [100]], "epochs": 20}``.
    ``splits`` (autograd_flow.data.Splits) trains MLPs with :class:`TrainObjective`
    (``base``: fixed TrainConfig options); or pass ``objective(config, seed) -> dict``
    with "valid_error" (and optionally a ``test`` method). ``seed``: the seed of every
    trial. ``n_jobs``: local processes (-1: all cores, 1: in this process);
    ``scheduler``: a Dask scheduler address ("tcp://host:port") or a distributed.Client
    to run the trials there instead. ``results_path``: a JSON-lines file where each
    finished trial is appended; trials already in it are skipped (failed ones are run
    again only with ``retry_failed``). ``progress``: a tqdm bar over trials.
    ``evaluate_test``: measure the test error of the best configuration once.
    """
    return run_search("grid", space, grid_points(space),
                      objective=_objective(objective, splits, base), seed=seed,
                      n_jobs=n_jobs, scheduler=scheduler, results_path=results_path,
                      retry_failed=retry_failed, progress=progress,
                      evaluate_test=evaluate_test)


def random_search(space: Mapping[str, Any], n_trials: int, splits: Any = None, *,
                  objective: Objective | None = None, base: Mapping[str, Any] | None = None,
                  seed: int = 0, n_jobs: int = -1, scheduler: Any = None,
                  results_path: str | Path | None = None, retry_failed: bool = False,
                  progress: bool = False, evaluate_test: bool = True) -> SearchResult:
    """Sample ``n_trials`` configurations, each hyper-parameter independently from its
    distribution (lecture: "sample independently each hyper-parameter ... and repeat as
    many times as wanted"), and choose the one with the lowest validation error.

    ``space``: {option: Choice/Uniform/LogUniform/IntUniform, a list (a Choice), or a
    single fixed value}, e.g. ``{"lr": LogUniform(1e-3, 1), "hidden": [[50], [100]]}``.
    Sampling uses ``seed`` too, so a larger ``n_trials`` extends a search (with the same
    ``results_path`` only the new trials run). The other options are as in
    :func:`grid_search`.
    """
    return run_search("random", space, sample_points(space, n_trials, seed),
                      objective=_objective(objective, splits, base), seed=seed,
                      n_jobs=n_jobs, scheduler=scheduler, results_path=results_path,
                      retry_failed=retry_failed, progress=progress,
                      evaluate_test=evaluate_test)


# ---------------------------------------------------------------- formatting helpers


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars as Python numbers, tuples as lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _format_value(value: Any) -> str:
    """A value as short text: sizes (100, 50) as 100x50."""
    if isinstance(value, (list, tuple)):
        return "x".join(_format_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return "none" if value is None else str(value)


def _cell(value: Any, percent: bool = False) -> str:
    if percent and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.2%}"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.3g}"
    return "" if value is None else str(value)
