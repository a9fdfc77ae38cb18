"""Optional dependencies: which extra installs each, the one-line hint when one is
missing, and the progress bar (tqdm) that suits where the code runs.

The base install (numpy, graphviz) runs the engine, gradient checks and pictures;
``learn`` adds data sets, training and plots, ``search`` parallel and distributed
model selection, ``testing`` hypothesis for ``af.testing``, ``onnx`` onnx and onnxruntime
for ``af.onnx``.
"""
from __future__ import annotations

import importlib.util
import sys
from typing import Any

from .errors import EXTRAS, MissingExtraError, install_hint

__all__ = ["EXTRAS", "MissingExtraError", "install_hint", "explain", "require",
           "progress_bar", "tqdm_class"]


def explain(error: ModuleNotFoundError, feature: str = "this") -> MissingExtraError | None:
    """The :class:`MissingExtraError` for ``error`` when the missing module belongs to an
    extra, else None (a module missing for another reason is a real bug)."""
    module = error.name or ""
    return MissingExtraError(module, feature) if install_hint(module) else None


def require(*modules: str, feature: str) -> None:
    """Raise :class:`MissingExtraError` unless every module can be imported (checked
    before any work starts, so nothing is half done)."""
    for module in modules:
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):  # e.g. sys.modules[module] is None
            spec = None
        if spec is None:
            raise MissingExtraError(module, feature)


def progress_bar(**options: Any) -> Any:
    """A tqdm bar (see :func:`tqdm_class`); a bar that draws nothing with
    ``disable=True``, which works without tqdm."""
    if options.get("disable"):
        return _NoBar()
    return tqdm_class()(**options)


def tqdm_class(feature: str = "a progress bar") -> Any:
    """The notebook widget bar in Jupyter when ipywidgets is installed, the text bar
    otherwise (where tqdm.auto would warn "IProgress not found"). Without tqdm, a
    :class:`MissingExtraError` saying ``feature`` needs it."""
    try:
        if "ipykernel" in sys.modules and importlib.util.find_spec("ipywidgets"):
            from tqdm.notebook import tqdm
        else:
            from tqdm import tqdm
    except ModuleNotFoundError as error:
        raise explain(error, feature) or error from None
    return tqdm


class _NoBar:
    """What a disabled progress bar does: nothing."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        """Nothing to draw."""

    def set_postfix(self, **values: Any) -> None:
        """Nothing to draw."""

    def close(self) -> None:
        """Nothing to close."""
