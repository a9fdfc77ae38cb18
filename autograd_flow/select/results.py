"""The trials of a search and their results: :class:`Trial` (one configuration tried)
and :class:`SearchResult` (the table, the best trial, CSV/JSON, the plot)."""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..learn.files import atomic_file, save_figure
from .space import format_value, plain_value

# ---------------------------------------------------------------- trials and results


@dataclass
class Trial:
    """One configuration tried: ``status`` is "ok", "failed" (its training raised or
    gave no finite validation error), "lost" (a Dask cluster went away before it
    finished; it runs again when the search resumes) or "pending"."""

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
        return json.dumps({"config": plain_value(self.config), "seed": self.seed}, sort_keys=True)

    def to_dict(self) -> dict[str, Any]:
        return plain_value(asdict(self))


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
        return [n for n in names if len({format_value(t.config.get(n))
                                         for t in self.trials}) > 1]

    def rows(self) -> list[dict[str, Any]]:
        """One flat dict per trial (index, status, hyper-parameters, metrics, error)."""
        configs = list(dict.fromkeys(n for t in self.trials for n in t.config))
        metrics = list(dict.fromkeys(k for t in self.trials for k, v in t.metrics.items()
                                     if not isinstance(v, (list, dict))))
        return [{"index": t.index, "status": t.status,
                 **{n: format_value(t.config.get(n)) for n in configs},
                 **{k: plain_value(t.metrics.get(k)) for k in metrics},
                 "seconds": round(t.seconds, 3), "error": t.error or ""}
                for t in self.trials]

    def table(self, max_rows: int | None = None) -> str:
        """The trials sorted by validation error (failed last), best marked with *; the
        options held fixed are left out (they are in :meth:`rows` and the CSV)."""
        ordered = sorted(self.trials, key=rank)[:max_rows]
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
        best = ", ".join(f"{k}={format_value(v)}" for k, v in self.best.config.items()
                         if k in varying)
        fixed = ", ".join(f"{k}={format_value(v)}" for k, v in self.best.config.items()
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
        with atomic_file(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["index"])
            writer.writeheader()
            writer.writerows(rows)
        return path

    def to_dict(self) -> dict[str, Any]:
        final = {k: plain_value(v) for k, v in self.final.items() if k != "model"}
        return {"method": self.method, "space": self.space, "seed": self.seed,
                "best": None if self.best is None else self.best.to_dict(),
                "test_error": self.test_error, "final": final,
                "seconds": round(self.seconds, 3),
                "trials": [t.to_dict() for t in self.trials]}

    def to_json(self, path: str | Path) -> Path:
        path = Path(path)
        with atomic_file(path, "w") as handle:
            handle.write(json.dumps(self.to_dict(), indent=2, allow_nan=True) + "\n")
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
                labels = list(dict.fromkeys(format_value(v) for v in values))
                x = [labels.index(format_value(v)) for v in values]
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
            save_figure(figure, path, dpi=110)
        return figure


def rank(trial: Trial) -> tuple:
    """Failed trials last; then by validation error, validation loss (when the
    objective reports one) and trial index."""
    error, loss = trial.valid_error, trial.metrics.get("valid_loss")
    loss = loss if isinstance(loss, (int, float)) and math.isfinite(loss) else math.inf
    return (trial.status != "ok", error if math.isfinite(error) else math.inf, loss,
            trial.index)


def _cell(value: Any, percent: bool = False) -> str:
    if percent and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.2%}"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.3g}"
    return "" if value is None else str(value)
