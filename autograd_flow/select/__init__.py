"""Model selection the lecture's way: grid search and random search of training options.

The training set trains each model, the validation set selects the hyper-parameters,
and the test set estimates the generalization error of the chosen configuration only
once. ``grid_search`` tries every combination of the listed values; ``random_search``
samples each hyper-parameter independently from a declared distribution
(:class:`Choice`, :class:`Uniform`, :class:`LogUniform`, :class:`IntUniform`).

A trial is any callable ``objective(config: dict, seed: int) -> dict`` returning at
least ``"valid_error"``; the default, :class:`TrainObjective`, trains an MLP with
:func:`autograd_flow.learn.training.train` (early stopping on validation error, never touching
the test set); after the search the best configuration is retrained with the same seed
(training is deterministic, so it is the same model) and its test error measured once,
with the model kept as ``SearchResult.best_model``.

Trials run in local processes with joblib (all cores by default) or on a Dask
distributed cluster (``scheduler="tcp://host:port"`` or a ``distributed.Client``; the
workers need autograd_flow installed). Every trial gets the same seed, so results do
not depend on the backend. A failing trial (exception, NaN) is recorded with its error
and the search goes on. With ``results_path`` each finished trial is appended to a
JSON-lines file as soon as it ends, and a later search with the same file skips the
trials already there (failed ones run again with ``retry_failed=True``). A Dask cluster
that goes away (its scheduler, or the workers holding the trials' data) stops the search
with :class:`ClusterLostError`; the trials it did not finish are recorded as "lost" and
run again by the next search with the same file.
"""
from ..errors import ClusterLostError
from .results import SearchResult, Trial
from .runners import Objective, grid_search, random_search, read_results, run_search, run_trial
from .space import (
    DISTRIBUTIONS,
    Choice,
    Distribution,
    IntUniform,
    LogUniform,
    Uniform,
    describe_space,
    format_value,
    grid_points,
    parse_distribution,
    parse_value,
    read_space,
    sample_points,
)
from .trials import TrainObjective, train_config

__all__ = [
    "grid_search", "random_search", "run_search", "run_trial", "read_results", "Objective",
    "Choice", "Uniform", "LogUniform", "IntUniform", "Distribution", "DISTRIBUTIONS",
    "parse_value", "parse_distribution", "grid_points", "sample_points", "describe_space",
    "read_space", "format_value", "Trial", "SearchResult", "TrainObjective", "train_config",
    "ClusterLostError",
]
