"""Running a search: each trial in a local process (joblib) or on a Dask cluster, the
finished trials appended to a JSON-lines file (and skipped when the search runs
again), then the best configuration tested once; :func:`grid_search` and
:func:`random_search`."""
from __future__ import annotations

import json
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Generator, Mapping
from pathlib import Path
from typing import Any

from ..learn.files import parse_json
from .results import SearchResult, Trial, rank
from .space import describe_space, grid_points, plain_value, sample_points
from .trials import TrainObjective

# ---------------------------------------------------------------- running the trials


Objective = Callable[[dict, int], Mapping[str, Any]]


def run_trial(objective: Objective, config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Run one trial and never raise: {"status", "metrics", "error", "seconds"}. An
    exception or a missing or non-finite valid_error makes the trial "failed"."""
    start = time.perf_counter()
    try:
        metrics = {k: plain_value(v) for k, v in dict(objective(dict(config), seed)).items()}
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
               n_jobs: int) -> Generator[tuple[int, dict], None, None]:
    """(index, outcome) as each trial ends, in joblib worker processes."""
    from joblib import Parallel, delayed, parallel_config

    if n_jobs == 1:
        for t in trials:
            yield _indexed_trial(objective, t.index, t.config, t.seed)
        return
    if n_jobs < 1 and n_jobs != -1:
        raise ValueError(f"n_jobs must be -1 (all cores) or a number of processes >= 1, "
                         f"got {n_jobs}")
    with parallel_config(backend="loky", initializer=start_worker, initargs=(os.getpid(),)):
        parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        outcomes = parallel(delayed(_indexed_trial)(objective, t.index, t.config, t.seed)
                            for t in trials)
    try:
        yield from outcomes
    finally:  # closing joblib's generator early (Ctrl-C, an error) stops its workers
        outcomes.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _indexed_trial(objective: Objective, index: int, config: dict,
                   seed: int) -> tuple[int, dict]:
    return index, run_trial(objective, config, seed)


_WATCHER = "autograd-flow: exit with the search process"


def start_worker(parent: int) -> None:
    """The initializer of a search's worker processes: Ctrl-C is the search process's
    to handle (it stops the workers; a worker interrupted in the middle of a trial would
    print its own traceback), and the worker ends with the search process
    (:func:`exit_with_parent`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent(parent)


def exit_with_parent(parent: int, interval: float = 0.25) -> None:
    """In a worker process started by the search process ``parent`` (the workers'
    initializer): end this process within ``interval`` seconds of ``parent`` ending in
    any way (``kill -9`` too), rather than finish a trial nobody will read or wait for
    work forever. Starts one daemon thread, which polls the parent's pid (a process
    whose parent dies is given another one); does nothing in a process that is not a
    direct child of ``parent``. POSIX only."""
    if os.name != "posix":  # os.kill(pid, 0) would signal the parent on Windows
        return
    if os.getppid() != parent:
        if not _alive(parent):  # it died while this worker was starting
            os._exit(1)
        return
    if any(t.name == _WATCHER for t in threading.enumerate()):
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name=_WATCHER, daemon=True).start()


def _run_dask(objective: Objective, trials: list[Trial],
              scheduler: Any) -> Generator[tuple[int, dict], None, None]:
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
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = parse_json(line, str(path))
            trial = Trial(int(record["index"]), dict(record["config"]), int(record["seed"]),
                          record["status"], dict(record.get("metrics") or {}),
                          record.get("error"), float(record.get("seconds", 0.0)))
            error = trial.metrics.get("valid_error")
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        if trial.status == "failed" or (trial.status == "ok" and isinstance(
                error, (int, float)) and math.isfinite(error)):  # else: a damaged line
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
    best = min(ok, key=rank) if ok else None
    result = SearchResult(method, describe_space(space), seed, trials, best)
    test = getattr(objective, "test", None)
    if evaluate_test and best is not None and callable(test):
        result.final = dict(test(dict(best.config), best.seed))
        result.test_error = plain_value(result.final.get("test_error"))
    result.seconds = time.perf_counter() - start
    return result


def _run_pending(objective: Objective, trials: list[Trial], pending: list[Trial],
                 n_jobs: int, scheduler: Any, results_path: str | Path | None,
                 progress: bool, method: str) -> None:
    from ..extras import progress_bar

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
    finally:  # on Ctrl-C too: the finished trials are in the log, the workers stop
        outcomes.close()
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
