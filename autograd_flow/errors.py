"""Every exception autograd_flow raises on purpose, and how messages describe a box.

Every error about a box names it (its op, its name and the file:line of the user code
that created it), so a message points at the line to fix, not at numpy internals. The
engine's errors derive from :class:`FlowGraphError`; the data, file, run-folder and
playground errors are ValueErrors (bad input), a missing optional package a
ModuleNotFoundError.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


class FlowGraphError(Exception):
    """Base class of every error autograd_flow raises on purpose."""


class FeedError(FlowGraphError, KeyError):
    """An Input was not fed, was fed twice, or a feed names no Input of the graph."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class BoxError(FlowGraphError, ValueError):
    """A box could not compute its value or gradient (shapes, dtypes, domain)."""


class LabelError(BoxError):
    """Class labels that are not integers or out of range."""


class CycleError(FlowGraphError, ValueError):
    """The boxes form a cycle, so no topological order exists."""


class NonFiniteError(FlowGraphError, FloatingPointError):
    """A box produced NaN or Inf (raised when the graph checks finiteness)."""


class ConcurrentUseError(FlowGraphError, RuntimeError):
    """A graph was run from a second thread while another thread was using it (its
    boxes hold one step's values: one thread at a time)."""


class ShapeUnknownError(FlowGraphError, AttributeError, TypeError):
    """A box's shape, dtype or length was asked for before its graph runs, and the
    leaves it depends on do not declare them (an Input without ``shape=``/``dtype=``)."""


class GradientCheckError(FlowGraphError, AssertionError):
    """Analytic gradients disagree with finite differences; ``.report`` has the details."""

    def __init__(self, report: Any) -> None:
        super().__init__(str(report))
        self.report = report


def one_per_input(result: Any, box: Any, method: str = "bprop") -> tuple[Any, ...]:
    """What a box's ``bprop`` (or ``bprop_boxes``) returned, as one gradient per input:
    a lone gradient for a one-input box becomes a 1-tuple; a wrong count is a BoxError
    naming the box."""
    count = len(box.inputs)
    if count == 1 and not isinstance(result, (tuple, list)):
        return (result,)
    if not isinstance(result, (tuple, list)) or len(result) != count:
        got = len(result) if isinstance(result, (tuple, list)) else 1
        raise BoxError(f"{describe(box)}: {method} must return one gradient per input "
                       f"({count}), a tuple when several; it returned {got}.")
    return tuple(result)


def describe(box: Any) -> str:
    """``Tanh 'h1' (created at model.py:12)``: how every message names a box."""
    return f"{type(box).__name__} '{box.name}' (created at {box.created_at})"


def describe_array(value: Any) -> str:
    """Shape and dtype of a value, for messages: ``(32, 64) float32``."""
    if value is None:
        return "no value"
    if isinstance(value, (int, float, bool)):
        return f"python {type(value).__name__}"
    array = np.asarray(value)
    return f"{array.shape} {array.dtype}"


# -- Hessians, pictures, property tests; data, files and runs; the playground ----

class GraphvizNotFoundError(FlowGraphError, RuntimeError):
    """The Graphviz ``dot`` program is missing; ``.dot_path`` holds the DOT source written
    instead of the picture."""

    def __init__(self, path: Path, dot_path: Path) -> None:
        super().__init__(
            f"cannot draw {path}: the Graphviz 'dot' program was not found. {INSTALL_HINT} "
            f"The graph's DOT source was written to {dot_path}; draw it later with "
            f"'dot -T{path.suffix.lstrip('.') or 'svg'} {dot_path} -o {path}'.")
        self.path = path
        self.dot_path = dot_path


class TooManyParametersError(FlowGraphError, ValueError):
    """A Hessian (or a Newton step) was asked for more parameter entries than allowed."""


class DataError(ValueError):
    """A data set that cannot be used: the message says what is wrong and where."""


class ModelFileError(ValueError):
    """A model or checkpoint file that cannot be loaded safely (message names the file)."""


class OnnxError(FlowGraphError, ValueError):
    """A graph that cannot be written as ONNX (a box with no ONNX form, an opset out of
    range) or an ONNX model that cannot be read as a flow graph (an op without a box
    form, a file that is not ONNX): the message names the box or the node."""


class GraphFileError(ModelFileError):
    """A graph that cannot be saved, or a graph file that cannot be loaded safely
    (``af.save`` / ``af.load``; the message names the file, or the box, and says why)."""


class OtherRunError(ValueError):
    """The checkpoint belongs to a run with other settings or other data."""


class TooLargeError(ValueError):
    """The work would need more memory than the machine has (the message says how much)."""


class RunFolderError(ValueError):
    """The run folder cannot be used as asked (the message says why and what to do)."""


class FolderBusyError(RunFolderError):
    """Another run holds the folder's lock."""


class ClusterLostError(FlowGraphError, ConnectionError):
    """The Dask cluster of a search went away while trials ran (its scheduler, or the
    workers holding the trials' data): the message says how many trials it lost."""


class PropertyError(FlowGraphError, AssertionError):
    """A gradient property does not hold; ``.code`` reproduces the case."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(f"{message}\n\nReproduce with:\n{code}")
        self.code = code


class GradientMismatch(GradientCheckError):
    """bprop disagrees with central differences (a :class:`GradientCheckError` whose
    message also holds the code that rebuilds the graph); ``.report``, ``.code``."""

    def __init__(self, report: Any, code: str) -> None:
        super().__init__(report)
        self.args = (f"{report}\n\nReproduce with:\n{code}",)
        self.code = code

    def __str__(self) -> str:
        return str(self.args[0])


class BrowserMissing(RuntimeError):
    """Chromium, its driver or Selenium is not installed."""


class SettingsError(ValueError):
    """Bad settings: ``problems`` maps each bad field to a one-line message."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


class TrainingDiverged(ValueError):
    """The loss or a parameter became NaN or infinite."""


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


# -- optional packages and programs -------------------------------------------

# top-level module -> (extra, what to install)
EXTRAS: dict[str, tuple[str, str]] = {
    "sklearn": ("learn", "scikit-learn"),
    "matplotlib": ("learn", "matplotlib"),
    "tqdm": ("learn", "tqdm"),
    "scipy": ("learn", "scipy"),
    "joblib": ("search", "joblib"),
    "yaml": ("search", "pyyaml"),
    "dask": ("search", "dask[distributed]"),
    "distributed": ("search", "dask[distributed]"),
    "hypothesis": ("testing", "hypothesis"),
    "onnx": ("onnx", "onnx"),
    "onnxruntime": ("onnx", "onnxruntime"),
    "numba": ("jit", "numba"),
}


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


INSTALL_HINT = ("Install Graphviz: 'sudo apt-get install graphviz' (Debian/Ubuntu), "
                "'brew install graphviz' (macOS) or 'conda install -c conda-forge graphviz', "
                "then make sure 'dot' is on your PATH.")
