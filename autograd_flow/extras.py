"""Optional dependencies: which extra installs each, the one-line hint when one is
missing, and the progress bar (tqdm) that suits where the code runs.

The base install (numpy, graphviz) runs the engine, gradient checks and pictures;
``learn`` adds data sets, training and plots, ``search`` parallel and distributed
model selection, ``testing`` hypothesis for ``af.testing``.
"""
from __future__ import annotations

import importlib.util
import sys
from typing import Any

# top-level module -> (extra, what to install)
EXTRAS: dict[str, tuple[str, str]] = {
    "sklearn": ("learn", "scikit-learn"),
    "matplotlib": ("learn", "matplotlib"),
    "tqdm": ("learn", "tqdm"),
    "joblib": ("search", "joblib"),
    "yaml": ("search", "pyyaml"),
    "dask": ("search", "dask[distributed]"),
    "distributed": ("search", "dask[distributed]"),
    "hypothesis": ("testing", "hypothesis"),
}


class MissingExtraError(ModuleNotFoundError):
    """A feature needs a package of an extra that is not installed; the message is one
    line that says which ``pip install`` brings it. ``name`` is the missing module and
    ``feature`` what needs it; a ModuleNotFoundError, so ``except ModuleNotFoundError``
    and ``pytest.importorskip`` treat it as the missing module it is."""

    def __init__(self, module: str, feature: str = "this") -> None:
        super().__init__(self._hint(module, feature), name=module)
        self.feature = feature

    def hint(self, feature: str) -> str:
        """The message with ``feature`` in place of the one given; "" names only the
        package, for a line that already says what needs it (the command line's
        "autograd-flow train: error: ...")."""
        return self._hint(self.name or "", feature)

    @staticmethod
    def _hint(module: str, feature: str) -> str:
        return install_hint(module, feature) or (
            f"{feature} needs the module {module}, which is not installed" if feature
            else f"the module {module} is not installed")


def install_hint(module: str, feature: str = "this") -> str | None:
    """The one-line hint for a missing ``module`` of an extra, or None if it belongs to
    no extra. ``feature`` says what needs it ("": nothing, only the package)."""
    top = module.partition(".")[0]
    if top not in EXTRAS:
        return None
    extra, package = EXTRAS[top]
    install = f'pip install "autograd_flow[{extra}]"'
    if not feature:
        return f"{package} is not installed: {install}"
    return f"{feature} needs {package}, which is not installed: {install}"


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
