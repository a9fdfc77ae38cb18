"""Search spaces: the distributions random search samples from (:class:`Choice`,
:class:`Uniform`, :class:`LogUniform`, :class:`IntUniform`), their text forms for the
command line and space files, and the configurations of a grid or random search."""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..learn.files import parse_json

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
        return "choice:" + ",".join(format_value(v) for v in self.values)


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
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)):
            raise ValueError(f"{text!r}: the bounds of {kind}:LOW:HIGH must be numbers")
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
    return {name: v.spec() if isinstance(v, DISTRIBUTIONS) else plain_value(v)
            for name, v in space.items()}


def read_space(path: str | Path) -> tuple[str, dict[str, Any], int | None]:
    """Read a search space from YAML or JSON: ``method`` (grid or random), ``trials``
    (random search) and ``space`` ({name: list of values, distribution spec string such
    as "loguniform:1e-3:1", or a single fixed value}). Returns (method, space, trials)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not a text file ({error.reason} at byte "
                         f"{error.start})") from None
    if path.suffix.lower() == ".json":
        document = parse_json(text, str(path))
    else:
        document = _parse_yaml(text, path)
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
    if trials is not None and (isinstance(trials, bool) or not isinstance(trials, int)
                               or trials < 1):
        raise ValueError(f"{path}: trials must be a whole number >= 1, got {trials!r}")
    return method, space, trials


def _parse_yaml(text: str, path: Path) -> Any:
    """The YAML document ``text`` (safe loading: plain values only, no Python objects),
    with one-line errors that name the file, line and column."""
    import yaml

    try:
        return yaml.safe_load(text)
    except RecursionError:
        raise ValueError(f"{path}: the YAML is nested too deeply to read") from None
    except yaml.constructor.ConstructorError as error:
        raise ValueError(f"{path}{_where(error)}: {error.problem} (space files hold plain "
                         "values, names, numbers and lists; no Python objects are built)") \
            from None
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or str(error)
        raise ValueError(f"{path} is not valid YAML{_where(error)}: "
                         f"{' '.join(str(problem).split())}") from None


def _where(error: Any) -> str:
    mark = getattr(error, "problem_mark", None)
    return f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


# ---------------------------------------------------------------- values as JSON and text


def plain_value(value: Any) -> Any:
    """JSON-ready: numpy scalars as Python numbers, tuples as lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    return value


def format_value(value: Any) -> str:
    """A value as short text: sizes (100, 50) as 100x50."""
    if isinstance(value, (list, tuple)):
        return "x".join(format_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return "none" if value is None else str(value)
