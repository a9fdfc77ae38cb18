"""The playground's settings: one dataclass, parsed from the page's form with an error
per field that says what is wrong and what to write instead.

The page sends controls as text (``{"hidden": "8,8", "lr": "0.03", ...}``): the one it
changed, or all of them when it opens a URL that holds them. :func:`read_form` applies
every field that is good and names each bad one, so one bad field never blocks the
others; :func:`parse_settings` is its strict form (it raises :class:`SettingsError`).
Which settings start the network afresh and which apply while it trains is decided here
too (:func:`needs_new_network`).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ..errors import SettingsError
from ..nn import ACTIVATIONS
from ..optim.base import check_schedule

CLASSIFICATION = ("moons", "circles", "spirals", "xor", "gauss")
REGRESSION = ("plane", "bumps")           # a number to predict at each point of the plane
DATASETS = (*CLASSIFICATION, *REGRESSION, "csv")
DECAYS = ("none", "inverse", "power")
# The rate a decay gets when it is chosen while the rate set does not suit it (power
# needs 0.5 < delta <= 1, so the former default 0 would refuse it at once).
DECAY_RATES = {"none": 0.0, "inverse": 0.001, "power": 0.6}
FEATURES = {"x1": "x1", "x2": "x2", "x1sq": "x1²", "x2sq": "x2²", "x1x2": "x1·x2",
            "sinx1": "sin x1", "sinx2": "sin x2"}  # form name -> how the page writes it
SPEEDS = ("max", "100", "30", "10", "3", "1")  # epochs per second; "max": as the CPU goes
MAX_LAYERS = 6
MAX_UNITS = 128
MAX_BATCH = 100_000

# Settings that change the data or the network's shape: a change draws new weights.
# The others (learning rate, momentum, decay, penalties, batch size, speed) apply to the
# network being trained, so their effect shows on the running curves.
RESTART = ("dataset", "noise", "ratio", "features", "hidden", "activation", "seed")


@dataclass(frozen=True)
class Settings:
    """Everything the page lets a person choose.

    ``dataset``: a class per point (moons, circles, spirals, xor, gauss), a number per
    point (plane, bumps: regression), or csv (the uploaded file); ``noise``: the
    standard deviation of the noise added to a synthetic set; ``ratio``: the percentage
    of the points that train (the rest validate); ``features``: what the network is fed
    (names of FEATURES); ``hidden``: hidden layer sizes; ``lr``, ``momentum``, ``decay``
    ("none", "inverse" or "power") and ``decay_rate``: SGD's options (lecture: alpha,
    beta, delta); ``l1``, ``l2``: the penalties' lambdas on the weights; ``batch_size``:
    examples per update; ``seed``: the weights' and the data's seed; ``speed``: at most
    this many epochs per second.
    """

    dataset: str = "spirals"
    noise: float = 0.15
    ratio: int = 70
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (8, 8)
    activation: str = "tanh"
    lr: float = 0.03
    momentum: float = 0.9
    decay: str = "none"
    decay_rate: float = 0.0
    l1: float = 0.0
    l2: float = 0.001
    batch_size: int = 10
    seed: int = 0
    speed: str = "30"

    def form(self) -> dict[str, str]:
        """The settings as the page's form shows them (all text)."""
        values = asdict(self)
        values["hidden"] = ",".join(map(str, self.hidden)) or "0"
        values["features"] = ",".join(self.features)
        return {name: value if isinstance(value, str) else _text(value)
                for name, value in values.items()}

    @property
    def task(self) -> str:
        """"regression" for the data sets of a number per point, else "classification"."""
        return "regression" if self.dataset in REGRESSION else "classification"

    def epochs_per_second(self) -> float:
        """The speed limit in epochs per second (infinite for "max")."""
        return math.inf if self.speed == "max" else float(self.speed)


def _text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def read_form(form: Mapping[str, Any], base: Settings | None = None
              ) -> tuple[Settings, dict[str, str]]:
    """``base`` (default: the defaults) with every good field of ``form`` applied, and a
    message for each bad one (those keep ``base``'s value). A decay chosen while the
    rate does not suit it gets its own default rate (DECAY_RATES); a new rate that does
    not suit the decay is a problem of the rate alone."""
    base = Settings() if base is None else base
    known = {f.name for f in fields(Settings)}
    problems = {name: f"unknown setting {name!r}" for name in sorted(set(form) - known)}
    values: dict[str, Any] = {}
    for name in known & set(form):
        try:
            values[name] = _PARSERS[name](str(form[name]).strip())
        except ValueError as error:
            problems[name] = str(error)
    settings = replace(base, **values)
    decay = None if settings.decay == "none" else settings.decay
    try:
        check_schedule(settings.lr, decay, settings.decay_rate)
    except ValueError as error:
        if values.get("decay_rate", base.decay_rate) != base.decay_rate:
            problems["decay_rate"] = f"decay rate: {error}"
        settings = replace(settings, decay_rate=DECAY_RATES[settings.decay])
    return settings, problems


def parse_settings(form: Mapping[str, Any], base: Settings | None = None) -> Settings:
    """The settings the form asks for; fields the form leaves out keep ``base``'s value
    (default: the defaults). Raises :class:`SettingsError` naming every bad field."""
    settings, problems = read_form(form, base)
    if problems:
        raise SettingsError(problems)
    return settings


def needs_new_network(old: Settings, new: Settings) -> bool:
    """True when ``new`` changes the data or the network's shape (see RESTART)."""
    return any(getattr(old, name) != getattr(new, name) for name in RESTART)


def _choice(label: str, choices: tuple[str, ...]) -> Any:
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(f"{label} {text!r}: choose one of {', '.join(choices)}")
        return text
    return parse


def _number(label: str, low: float, high: float, example: str, *,
            low_open: bool = False, high_open: bool = False) -> Any:
    """A finite number in [low, high] (open ends where asked), named in the error."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        inside = (value > low if low_open else value >= low) and \
            (value < high if high_open else value <= high)
        if not (math.isfinite(value) and inside):
            bounds = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
            raise ValueError(f"{label} {text!r}: give a number in {bounds}, e.g. {example}")
        return value
    return parse


def _whole(label: str, low: int, high: int, example: str) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise ValueError(f"{label} {text!r}: give a whole number from {low} to {high}, "
                             f"e.g. {example}")
        return value
    return parse


def parse_hidden(text: str) -> tuple[int, ...]:
    """"8,8" -> (8, 8); "" or "0" -> () (no hidden layer: a linear classifier)."""
    if text.strip() in ("", "0"):
        return ()
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() and 1 <= int(part) <= MAX_UNITS for part in parts) or \
            len(parts) > MAX_LAYERS:
        raise ValueError(f"hidden layers {text!r}: write up to {MAX_LAYERS} sizes from 1 to "
                         f"{MAX_UNITS} separated by commas, e.g. 8,8 (or 0 for no hidden "
                         "layer)")
    return tuple(int(part) for part in parts)


def parse_features(text: str) -> tuple[str, ...]:
    """"x1,x2,x1x2" -> ("x1", "x2", "x1x2") in FEATURES' order; at least one."""
    names = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(names - set(FEATURES))
    if unknown or not names:
        what = f"{', '.join(unknown)} unknown" if unknown else "none chosen"
        raise ValueError(f"features {text!r} ({what}): choose at least one of "
                         f"{', '.join(FEATURES)}, e.g. x1,x2")
    return tuple(name for name in FEATURES if name in names)


_PARSERS = {
    "dataset": _choice("data set", DATASETS),
    "noise": _number("noise", 0, 1, "0.15"),
    "ratio": _whole("training share (%)", 10, 90, "70"),
    "features": parse_features,
    "hidden": parse_hidden,
    "activation": _choice("activation", tuple(ACTIVATIONS)),
    "lr": _number("learning rate", 0, 100, "0.03", low_open=True),
    "momentum": _number("momentum", 0, 1, "0.9", high_open=True),
    "decay": _choice("decay", DECAYS),
    "decay_rate": _number("decay rate", 0, 1e6, "0.001"),
    "l1": _number("L1 lambda", 0, 1e3, "0.001"),
    "l2": _number("L2 lambda", 0, 1e3, "0.001"),
    "batch_size": _whole("batch size", 1, MAX_BATCH, "10"),
    "seed": _whole("seed", 0, 2**31 - 1, "0"),
    "speed": _choice("speed", SPEEDS),
}
