"""One browser tab's playground: a :class:`~.trainer.Trainer`, the thread that trains it
while the tab says "start", and the latest state the page draws, kept as ready-made
JSON payloads with version numbers:

- ``setup``: the settings, the data points and the equivalent Python code (changes when
  a setting does);
- ``frame``: epoch, losses, curves, a warning, decision regions, each unit's picture
  and the weights (several times a second while training);
- ``graph``: the training graph as SVG, coloured by gradient norm. Graphviz takes tens
  of milliseconds per drawing, so while training it is redrawn at most once a second
  (less often when a drawing takes longer), and at once after a step, a reset or a
  change of settings;
- ``capacity``: the bias-variance sweep (:mod:`.lessons`), point by point as a thread
  of its own computes it.

Every public method is thread-safe: the HTTP handlers call them from their threads and
the training thread holds the same lock while it steps.
"""
from __future__ import annotations

import base64
import json
import math
import sys
import threading
import time
import traceback
from dataclasses import replace
from typing import Any

import graphviz
import numpy as np

from ..data import DataError
from ..viz import INSTALL_HINT, to_dot
from .datasets import CsvTable, PlaneData, from_csv, parse_csv, synthetic
from .lessons import (
    SWEEP_EPOCHS,
    SWEEP_VALUES,
    SWEEPS,
    TINY_UNITS,
    capacity_point,
    newton_versus_sgd,
    swept,
)
from .settings import FEATURES, Settings, needs_new_network, read_form
from .snippet import python_code
from .trainer import GRID, Trainer, TrainingDiverged

TICK_SECONDS = 0.1        # training time between two frames
GRAPH_SECONDS = 1.0       # the least time between two graph drawings while training
PAYLOADS = ("setup", "frame", "graph", "capacity")


class Session:
    """The playground of one tab. ``running`` says whether it trains; ``closed`` once
    the tab went away (:meth:`close`)."""

    def __init__(self, session_id: str, settings: Settings | None = None) -> None:
        self.id = session_id
        self.settings = Settings() if settings is None else settings
        self.csv: CsvTable | None = None
        self.trainer = Trainer(self.settings, self._data(self.settings))
        self.running = False
        self.closed = False
        self.error: str | None = None
        self.expanded = False           # draw composites as clusters of their boxes
        self.streams = 0                # event streams (open pages) attached
        self.detached_since: float | None = time.monotonic()
        self._lock = threading.RLock()
        self._news = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._versions = dict.fromkeys(PAYLOADS, 0)
        self._payloads: dict[str, str] = {}
        self._drawings = 0              # graph drawings started; the newest one wins
        self._last_drawing = (0.0, 0.05)  # (when it ended, how long it took)
        self._rate = (time.monotonic(), 0, 0.0)  # (since, epoch then, epochs per second)
        self._permutations = 0          # permute presses, to vary the units swapped
        self._sweeps = 0                # capacity sweeps started; the newest one runs
        self._publish("capacity", {"sweep": None, "rows": [], "running": False})
        self._publish("setup", self._setup())
        self._publish("frame", self._frame())
        self._draw(self._graph_source())

    # -- controls (called by the server) ---------------------------------------------

    def apply(self, form: dict[str, Any]) -> dict[str, str]:
        """Apply the form's good settings: a new network when the data or the network's
        shape changes, otherwise on the one training. Returns a message per bad field
        (those keep their value); one bad field never blocks the others."""
        with self._lock:
            settings, problems = read_form(form, self.settings)
            if settings.dataset == "csv" and self.csv is None:
                problems["dataset"] = ("data set 'csv': choose a CSV file first (two "
                                       "feature columns, the label last)")
                settings = replace(settings, dataset=self.settings.dataset)
            if needs_new_network(self.settings, settings):
                self.trainer = Trainer(settings, self._data(settings))
            else:
                self.trainer.configure(settings)
            self.settings = settings
            if not problems:
                self.error = None
            source = self._changed()
        self._draw(source)
        return problems

    def upload_csv(self, text: str, filename: str) -> Settings:
        """Use an uploaded CSV file (two feature columns, the label last) as the data
        set. Raises DataError saying what in the file is wrong; the old data stays."""
        table = parse_csv(text, filename)
        with self._lock:
            settings = replace(self.settings, dataset="csv")
            self.trainer = Trainer(settings, from_csv(table, settings.seed, settings.ratio))
            self.csv, self.settings, self.error = table, settings, None
            source = self._changed()
        self._draw(source)
        return self.settings

    def start(self) -> None:
        """Train in a background thread until :meth:`pause` or :meth:`close`."""
        with self._lock:
            if self.running or self.closed:
                return
            self.running, self.error = True, None
            self._rate = (time.monotonic(), self.trainer.epoch, self._rate[2])
            self._thread = threading.Thread(target=self._train, name=f"playground-{self.id}",
                                            daemon=True)
            self._thread.start()
            self._publish("frame", self._frame())

    def pause(self) -> None:
        """Stop training after the current tick; the page keeps the network."""
        with self._lock:
            self.running = False
            source = self._changed(setup=False)
        self._draw(source)

    def step(self) -> None:
        """Pause, then make one SGD update (one mini-batch)."""
        with self._lock:
            self.running = False
            self._guarded_steps(1, math.inf)
            source = self._changed(setup=False)
        self._draw(source)

    def reset(self) -> None:
        """New weights (from the seed), epoch 0; the settings and data stay."""
        with self._lock:
            self.running = False
            self.trainer = Trainer(self.settings, self._data(self.settings))
            self.error = None
            source = self._changed()
        self._draw(source)

    def permute(self) -> str:
        """Swap two hidden units of the first layer (another pair each time): the same
        function with other weights. Returns what happened, the losses before and after
        included. Raises ValueError when there are not two units to swap."""
        with self._lock:
            size = self.settings.hidden[0] if self.settings.hidden else 0
            if size < 2:
                raise ValueError("permute swaps two units of the first hidden layer: give "
                                 "it at least two (hidden sizes, e.g. 8,8)")
            self._permutations += 1
            rng = np.random.default_rng([self.settings.seed, self._permutations])
            i, j = sorted(int(k) for k in rng.choice(min(size, 16), 2, replace=False))
            before = self.trainer.evaluate()
            self.trainer.permute(i, j)
            after = self.trainer.evaluate()
            source = self._changed(setup=False)
        self._draw(source)
        change = abs(after.train_loss - before.train_loss)
        return (f"Swapped units {i + 1} and {j + 1} of hidden layer 1 (their incoming and "
                f"outgoing weights): the training loss was {before.train_loss:.6f} and is "
                f"{after.train_loss:.6f}" + (f" (they differ by {change:.1g}: the same sum "
                                              "added in another order)" if change else "")
                + ". The same function, other weights: hidden units are not identifiable.")

    def capacity(self, sweep: str, epochs: int) -> None:
        """Start the bias-variance sweep of ``sweep`` (a name of SWEEPS), ``epochs``
        epochs per point, in a thread of its own; it publishes each point as it ends and
        stops when another sweep starts or the tab closes."""
        if sweep not in SWEEPS:
            raise ValueError(f"sweep {sweep!r}: choose one of {', '.join(SWEEPS)}")
        if epochs not in SWEEP_EPOCHS:
            raise ValueError(f"sweep epochs {epochs}: choose one of "
                             f"{', '.join(map(str, SWEEP_EPOCHS))}")
        with self._lock:
            self._sweeps += 1
            number, settings = self._sweeps, self.settings
            rows: list[dict[str, Any]] = []
            payload = {"sweep": sweep, "label": SWEEPS[sweep], "epochs": epochs,
                       "values": list(SWEEP_VALUES[sweep]), "rows": rows, "running": True,
                       "task": self.trainer.data.task}
            self._publish("capacity", payload)

        def stop() -> bool:
            return self.closed or self._sweeps != number

        def run() -> None:
            for value in SWEEP_VALUES[sweep]:
                variant = swept(settings, sweep, value)
                with self._lock:
                    data = self._data(variant)
                row = capacity_point(variant, data, epochs, stop)
                with self._lock:
                    if row is None or stop():
                        return
                    rows.append({"value": value, **row})
                    payload["running"] = len(rows) < len(SWEEP_VALUES[sweep])
                    self._publish("capacity", payload)

        threading.Thread(target=run, name=f"playground-capacity-{self.id}",
                         daemon=True).start()

    def compare(self) -> dict[str, Any]:
        """Newton versus gradient descent on a tiny network and this tab's data: each
        method's losses per iteration, time, errors and decision regions."""
        with self._lock:
            settings, data = self.settings, self.trainer.data
        methods = newton_versus_sgd(settings, data)
        parameters = sum(p.value.size for p in methods[0]["trainer"].mlp.parameters)
        for method in methods:
            plane = method.pop("trainer").plane()
            method["plane"] = {key: _b64(plane[key]) for key in
                               ("predicted", "confidence", "value") if key in plane}
        return {"methods": methods, "grid": GRID, "hidden": TINY_UNITS,
                "parameters": int(parameters), "task": data.task}

    def show_expanded(self, expanded: bool) -> None:
        """Draw composites (layers, the loss, penalties) expanded or as one box each."""
        with self._lock:
            self.expanded = bool(expanded)
            source = self._graph_source()
        self._draw(source)

    def close(self) -> None:
        """The tab went away: stop training for good and wake its event streams."""
        with self._lock:
            self.running = False
            self.closed = True
            self._news.notify_all()

    # -- event streams ------------------------------------------------------------------

    def attach(self) -> None:
        """An event stream (an open page) starts listening."""
        with self._lock:
            self.streams += 1
            self.detached_since = None

    def detach(self) -> None:
        """An event stream ended: with none left the tab is gone, so training stops."""
        with self._lock:
            self.streams -= 1
            if self.streams == 0:
                self.running = False
                self.detached_since = time.monotonic()
                self._publish("frame", self._frame())

    def news(self, seen: dict[str, int], timeout: float) -> list[tuple[str, str]]:
        """Wait up to ``timeout`` s for payloads newer than ``seen`` (updated in place);
        return them as (name, json) pairs, oldest kind first."""
        with self._news:
            self._news.wait_for(lambda: self.closed or any(
                self._versions[name] > seen.get(name, 0) for name in PAYLOADS), timeout)
            fresh = [name for name in PAYLOADS if self._versions[name] > seen.get(name, 0)]
            for name in fresh:
                seen[name] = self._versions[name]
            return [(name, self._payloads[name]) for name in fresh]

    def latest(self, name: str) -> dict[str, Any]:
        """The newest payload of one kind ("setup", "frame" or "graph"), decoded."""
        with self._lock:
            return json.loads(self._payloads[name])

    def state(self) -> dict[str, Any]:
        """A small summary (for the API and tests)."""
        with self._lock:
            return {"id": self.id, "running": self.running, "closed": self.closed,
                    "epoch": self.trainer.epoch, "updates": self.trainer.updates,
                    "streams": self.streams, "error": self.error,
                    "settings": self.settings.form()}

    # -- training thread ----------------------------------------------------------------

    def _train(self) -> None:
        try:
            self._train_until_paused()
        except Exception as error:  # a bug must not leave the page saying "training"
            traceback.print_exc(file=sys.stderr)
            with self._lock:
                self.running = False
                self.error = (f"internal error while training ({type(error).__name__}: "
                              f"{error}); reset or reload the page")
                self._publish("frame", self._frame())

    def _train_until_paused(self) -> None:
        carry = 0.0  # fractional updates owed under a speed limit
        while True:
            started = time.monotonic()
            with self._lock:
                if not self.running or self._thread is not threading.current_thread():
                    return
                rate = self.settings.epochs_per_second() * self.trainer.steps_per_epoch()
                allowed = rate * TICK_SECONDS + carry
                done = self._guarded_steps(allowed, started + TICK_SECONDS)
                carry = min(allowed - done, 1.0) if math.isfinite(allowed) else 0.0
                self._publish("frame", self._frame())
                last_end, last_took = self._last_drawing
                due = time.monotonic() - last_end >= max(GRAPH_SECONDS, 10 * last_took)
                source = self._graph_source() if due or not self.running else None
            if source is not None:
                self._draw(source)
            time.sleep(max(0.01, TICK_SECONDS - (time.monotonic() - started))
                       if math.isfinite(rate) else 0.01)

    def _guarded_steps(self, limit: float, deadline: float) -> int:
        """Whole updates, at most ``limit`` and (after the first) until ``deadline``;
        a divergence pauses and shows the error. Returns the updates made."""
        done = 0
        try:
            while done + 1 <= limit and (done == 0 or time.monotonic() < deadline):
                self.trainer.step()
                done += 1
        except TrainingDiverged as error:
            self.running, self.error = False, str(error)
        return done

    # -- payloads -----------------------------------------------------------------------

    def _data(self, settings: Settings) -> PlaneData:
        if settings.dataset == "csv":
            if self.csv is None:
                raise DataError("no CSV file was uploaded")
            return from_csv(self.csv, settings.seed, settings.ratio)
        return synthetic(settings.dataset, settings.noise, settings.seed, settings.ratio)

    def _changed(self, setup: bool = True) -> tuple[int, graphviz.Digraph]:
        """Publish what changed; return the graph to draw (outside the lock)."""
        if setup:
            self._publish("setup", self._setup())
        self._publish("frame", self._frame())
        return self._graph_source()

    def _publish(self, name: str, payload: dict[str, Any]) -> None:
        with self._news:
            # allow_nan=False: a NaN would make the payload invalid JSON for the page
            self._payloads[name] = json.dumps(payload, separators=(",", ":"), allow_nan=False)
            self._versions[name] += 1
            self._news.notify_all()

    def _setup(self) -> dict[str, Any]:
        data = self.trainer.data

        def points(X: np.ndarray, y: np.ndarray) -> list[list[float]]:
            return [[round(float(a), 3), round(float(b), 3),
                     int(c) if data.classes else round(float(c[0]), 3)]
                    for (a, b), c in zip(X, y)]

        return {"settings": self.settings.form(),
                "sizes": list(self.trainer.mlp.sizes),
                "inputs": [FEATURES[name] for name in self.settings.features],
                "data": {"name": data.name, "task": data.task, "classes": data.classes,
                         "features": data.feature_names, "extent": data.extent,
                         "note": data.note, "train": points(data.X_train, data.y_train),
                         "valid": points(data.X_valid, data.y_valid)},
                "python": python_code(self.settings, self.csv)}

    def _frame(self) -> dict[str, Any]:
        trainer = self.trainer
        now = time.monotonic()
        since, epoch_then, rate = self._rate
        if now - since >= 1.0:
            rate = (trainer.epoch - epoch_then) / (now - since) if self.running else 0.0
            self._rate = (now, trainer.epoch, rate)
        plane = trainer.plane()
        for key in ("predicted", "confidence", "value"):
            if key in plane:
                plane[key] = _b64(plane[key])
        for layer in [{"units": plane["inputs"]}, *plane["layers"], {"units": plane["outputs"]}]:
            for unit in layer["units"]:
                unit["pixels"] = _b64(unit["pixels"])
        return {"running": self.running, "error": self.error, "epoch": trainer.epoch,
                "warning": None if self.error else trainer.warning(), "chance": trainer.chance,
                "updates": trainer.updates, "steps_per_epoch": trainer.steps_per_epoch(),
                "lr_now": trainer.optimizer.learning_rate() if trainer.optimizer else None,
                "epochs_per_second": round(rate, 1),
                "evaluation": _finite(vars(trainer.evaluate())),
                "curves": [_finite(row) for row in trainer.curves()], "plane": plane}

    def _graph_source(self) -> tuple[int, graphviz.Digraph]:
        trainer = self.trainer
        self._drawings += 1
        title = (f"the training graph after update {trainer.updates} (epoch "
                 f"{trainer.epoch}): values and gradients of its mini-batch")
        with np.errstate(all="ignore"):  # statistics of values that overflowed
            dot = to_dot(trainer.graph, collapse=not self.expanded, title=title)
        return self._drawings, dot

    def _draw(self, source: tuple[int, graphviz.Digraph]) -> None:
        """Run Graphviz (outside the lock) and publish the SVG unless a newer drawing
        was published meanwhile."""
        number, dot = source
        started = time.monotonic()
        try:
            payload = {"svg": dot.pipe(format="svg", encoding="utf-8"), "message": None}
        except graphviz.ExecutableNotFound:
            payload = {"svg": None, "message": f"Graphviz 'dot' was not found, so the flow "
                                               f"graph cannot be drawn. {INSTALL_HINT}"}
        except graphviz.CalledProcessError as error:
            payload = {"svg": None, "message": f"Graphviz failed to draw the graph: {error}"}
        with self._lock:
            self._last_drawing = (time.monotonic(), time.monotonic() - started)
            if number >= self._drawings:
                self._publish("graph", payload)


def _finite(row: dict[str, float]) -> dict[str, float | None]:
    """NaN and infinities (after a divergence) as None: JSON has no NaN."""
    return {name: value if math.isfinite(value) else None for name, value in row.items()}


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")
