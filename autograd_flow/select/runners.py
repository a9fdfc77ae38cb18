"""Running a search: each trial in a local process (joblib) or on a Dask cluster, the
finished trials appended to a JSON-lines file (and skipped when the search runs
again), then the best configuration tested once; :func:`grid_search` and
:func:`random_search`."""
from __future__ import annotations

import errno
import json
import logging
import math
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from ..errors import ClusterLostError
from ..learn.files import one_line, parse_json
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
    outcomes = None
    try:
        with parallel_config(backend="loky", initializer=start_worker,
                             initargs=(os.getpid(),)):
            with _stops_deferred():  # start the workers (one small task); the trials
                Parallel(n_jobs=n_jobs)([delayed(os.getpid)()])  # reuse them
            parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
            outcomes = parallel(delayed(_indexed_trial)(objective, t.index, t.config, t.seed)
                                for t in trials)
        yield from outcomes
    finally:  # closing joblib's generator early (Ctrl-C, SIGTERM, an error) stops its workers
        if outcomes is not None:
            with warnings.catch_warnings():  # "N tasks ... have been cancelled": the
                warnings.simplefilter("ignore", UserWarning)  # search says what it kept
                outcomes.close()


#: the signals that stop a search: Ctrl-C and SIGTERM
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


@contextmanager
def _stops_deferred() -> Iterator[None]:
    """Put off Ctrl-C and SIGTERM until the block ends, for the worker processes it
    starts. They are blocked in this thread, and the workers inherit the mask: a signal
    sent to the whole process group while their Python starts (before it can ignore it;
    it would print "Fatal Python error" and a traceback) never reaches them. In the main
    thread, a signal that comes meanwhile (to another thread, or held) is noted and
    raised again after the block, once the workers have started and have no task: stopping
    joblib in the middle of handing out tasks prints a traceback of its own. POSIX only."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    from multiprocessing import resource_tracker

    # joblib starts this helper process with the first worker if it is not running, and
    # Python 3.11 unblocks the signals after starting it: start it first
    resource_tracker.ensure_running()
    noted: list[int] = []
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {number: signal.signal(number, lambda number, _: noted.append(number))
                    for number in STOP_SIGNALS}
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a held signal is noted now
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        if noted:
            signal.raise_signal(noted[0])  # as if it came now


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
    """The initializer of a search's worker processes: Ctrl-C and SIGTERM are the search
    process's to handle (it stops the workers; a worker interrupted in the middle of a
    trial would print its own traceback), so the worker ignores them (it started with
    them held, see :func:`_stops_deferred`), and it ends with the search process
    (:func:`exit_with_parent`)."""
    for number in STOP_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
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
    """(index, outcome) as each trial ends, on a Dask distributed cluster. A trial the
    cluster lost (its scheduler went away, or the workers holding the trial's data) ends
    "lost", not "failed": its training did not fail, and it runs again on resume."""
    from distributed import Client, as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        shared = client.scatter(objective, broadcast=True, hash=False)
        futures = {client.submit(run_trial, shared, t.config, t.seed, pure=False): t.index
                   for t in trials}
        for future in as_completed(futures):
            try:
                outcome = future.result()  # run_trial never raises: the cluster did
            except Exception as error:
                outcome = {"status": LOST if _is_lost(error) else "failed", "metrics": {},
                           "seconds": 0.0, "error": _task_error(error)}
            yield futures[future], outcome
    finally:
        if client is not scheduler:
            _close_quietly(client)


LOST = "lost"


def _is_lost(error: Exception) -> bool:
    """Whether a trial's task failed because the cluster lost it (cancelled when the
    scheduler went away or its data was lost with its workers, workers that died running
    it, a connection closed), rather than because it could not run there."""
    from concurrent.futures import CancelledError

    from distributed import KilledWorker

    return isinstance(error, (CancelledError, KilledWorker, OSError))


def _task_error(error: Exception) -> str:
    """What the cluster raised instead of giving a trial's outcome, in a few words."""
    from distributed import KilledWorker

    reason = getattr(error, "reason", None)
    if reason == "scheduler-connection-lost":
        return "the connection to the scheduler was lost"
    if isinstance(error, KilledWorker):
        return "the workers running it died (KilledWorker)"
    if isinstance(reason, str):
        return f"cancelled by the cluster: {reason}"
    return f"{type(error).__name__}: {one_line(error)}"


def _close_quietly(client: Any) -> None:
    """Close a Dask client this search opened. When its scheduler went away, closing it
    cuts short its attempts to reconnect, which distributed logs as an error with a
    traceback: the search says what happened in one line instead."""
    logger = logging.getLogger("distributed.client")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        client.close()
    finally:
        logger.setLevel(level)


def read_results(path: str | Path) -> dict[str, Trial]:
    """The finished trials ("ok" or "failed") of a JSON-lines results file, by
    :attr:`Trial.key`. Trials a Dask cluster lost are not finished (they run again), and
    a line cut short by an interruption is ignored. A symbolic link is refused."""
    finished: dict[str, Trial] = {}
    path = Path(path)
    refuse_link(path)
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
    log = None if results_path is None else _open_log(Path(results_path))
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
                bar.set_postfix(**_best_so_far(trials))
    finally:  # on Ctrl-C too: the finished trials are in the log, the workers stop
        outcomes.close()
        bar.close()
        if log is not None:
            log.close()
    lost = [t for t in pending if t.status == LOST]
    if lost:
        where = ("" if results_path is None else f"; they are recorded as lost in "
                 f"{results_path} and run again when the search resumes")
        raise ClusterLostError(f"lost the Dask cluster at {_address(scheduler)}: "
                               f"{len(lost)} of {len(pending)} trial(s) did not finish "
                               f"({lost[0].error}){where}")


def _best_so_far(trials: list[Trial]) -> dict[str, str]:
    """The best validation error of the finished trials, in the unit of the results
    table (percent for error rates), for the progress bar: {"best valid error": "3.06%"}."""
    result = SearchResult("", {}, 0, trials, min((t for t in trials if t.status == "ok"),
                                                 key=rank, default=None))
    if result.best is None:
        return {}
    return {f"best valid {result.error_name}": result.format_error(result.best.valid_error)}


def _address(scheduler: Any) -> str:
    """The scheduler's address: as given, or that of a distributed.Client."""
    return str(getattr(getattr(scheduler, "scheduler", None), "address", scheduler))


def _open_log(path: Path) -> IO[str]:
    """The results file, opened to append; never through a symbolic link (the file it
    points to is not the search's). A line an interruption cut short is ended first, so
    it stays one bad line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    refuse_link(path)
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags, 0o666)
    except OSError as error:
        if error.errno == errno.ELOOP:  # made a link since refuse_link looked
            refuse_link(path)
        raise
    cut, size = False, os.fstat(descriptor).st_size
    if size:
        os.lseek(descriptor, size - 1, os.SEEK_SET)
        cut = os.read(descriptor, 1) != b"\n"
    log = os.fdopen(descriptor, "a", encoding="utf-8")
    if cut:
        log.write("\n")
    return log


def refuse_link(path: Path) -> None:
    """Raise ValueError when ``path`` is a symbolic link: a search reads and appends its
    results file, and never the file a link points to."""
    if path.is_symlink():
        raise ValueError(f"{path} is a symbolic link (to {os.readlink(path)}): a search never "
                         "reads or writes its results through a link; remove the link, or "
                         "choose another results file (--out)")


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
