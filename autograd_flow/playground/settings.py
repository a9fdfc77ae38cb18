"""The playground's settings: one dataclass, parsed from the page's form with an error
per field that says what is wrong and what to write instead.

The page sends every control as text (``{"hidden": "8,8", "lr": "0.03", ...}``);
:func:`parse_settings` turns that into a :class:`Settings` or raises
:class:`SettingsError` listing each bad field. Which settings start the network afresh
and which apply while it trains is decided here too (:func:`needs_new_network`).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ..errors import SettingsError
from ..nn import ACTIVATIONS
from ..optim.base import check_fraction, check_schedule

DATASETS = ("moons", "circles", "spirals", "xor", "csv")
DECAYS = ("none", "inverse", "power")
SPEEDS = ("max", "100", "30", "10", "3", "1")  # epochs per second; "max": as the CPU goes
MAX_LAYERS = 6
MAX_UNITS = 128
MAX_BATCH = 100_000

# Settings that change the data or the network's shape: a change draws new weights.
# The others (learning rate, momentum, decay, penalties, batch size, speed) apply to the
# network being trained, so their effect shows on the running curves.
RESTART = ("dataset", "noise", "hidden", "activation", "seed")


@dataclass(frozen=True)
class Settings:
    """Everything the page lets a person choose.

    ``dataset``: moons, circles, spirals, xor, or csv (the uploaded file); ``noise``: the
    standard deviation of the noise added to a synthetic set; ``hidden``: hidden layer
    sizes; ``lr``, ``momentum``, ``decay`` ("none", "inverse" or "power") and
    ``decay_rate``: SGD's options (lecture: alpha, beta, delta); ``l1``, ``l2``: the
    penalties' lambdas on the weights; ``batch_size``: examples per update; ``seed``:
    the weights' and the data's seed; ``speed``: at most this many epochs per second.
    """

    dataset: str = "spirals"
    noise: float = 0.15
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
        return {name: value if isinstance(value, str) else _text(value)
                for name, value in values.items()}

    def epochs_per_second(self) -> float:
        """The speed limit in epochs per second (infinite for "max")."""
        return math.inf if self.speed == "max" else float(self.speed)


def _text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def parse_settings(form: Mapping[str, Any], base: Settings | None = None) -> Settings:
    """The settings the form asks for; fields the form leaves out keep ``base``'s value
    (default: the defaults). Raises :class:`SettingsError` naming every bad field."""
    base = Settings() if base is None else base
    unknown = sorted(set(form) - {f.name for f in fields(Settings)})
    if unknown:
        raise SettingsError({name: f"unknown setting {name!r}" for name in unknown})
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, text in form.items():
        try:
            values[name] = _PARSERS[name](str(text).strip())
        except ValueError as error:
            problems[name] = str(error)
    if not problems:
        settings = replace(base, **values)
        decay = None if settings.decay == "none" else settings.decay
        try:
            check_fraction("momentum", settings.momentum)
        except ValueError as error:
            problems["momentum"] = str(error)
        try:
            check_schedule(settings.lr, decay, settings.decay_rate)
        except ValueError as error:
            problems["decay_rate"] = f"decay rate: {error}"
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


_PARSERS = {
    "dataset": _choice("data set", DATASETS),
    "noise": _number("noise", 0, 1, "0.15"),
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
