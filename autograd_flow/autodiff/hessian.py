"""The Hessian of a scalar flow graph with respect to its parameters (lecture: Newton's
method needs the matrix of second derivatives of the loss, practical only for few
parameters).

The exact Hessian is built column by column from Hessian-vector products: column j is
H e_j, the derivative of the gradient along parameter entry j, computed by
differentiating the gradient graph (:func:`autograd_flow.hvp`), so it is exact up to
round-off: n products for n parameter entries, n**2 floats of memory.

``method="differences"`` keeps the earlier way, to check it: central differences of
the engine's exact gradients,

    H[:, j] = (grad(theta + h_j e_j) - grad(theta - h_j e_j)) / (2 h_j),

with h_j = cbrt(machine eps) * max(1, |theta_j|): exact up to O(h**2) truncation.
Both run in float64 and return (H + H^T) / 2.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ..core.box import Box, Parameter
from ..core.graph import FlowGraph
from ..errors import FlowGraphError, TooManyParametersError, describe
from ..extras import tqdm_class
from .directional import hvp_graph
from .gradcheck import CBRT_EPS, float64_feed, in_float64

MAX_PARAMETERS = 2000
METHODS = ("exact", "differences")


def count_entries(params: Sequence[Parameter]) -> int:
    """The number of scalar entries in ``params`` (the size of theta)."""
    return int(sum(np.size(p.value) for p in params))


def check_size(params: Sequence[Parameter], max_parameters: int | None, who: str) -> int:
    """The entry count of ``params``; raises TooManyParametersError above the limit."""
    count = count_entries(params)
    if max_parameters is not None and count > max_parameters:
        gigabytes = count * count * 8 / 1e9
        raise TooManyParametersError(
            f"{who}: the parameters have {count} entries, more than max_parameters="
            f"{max_parameters}; the Hessian would be a {count} x {count} matrix "
            f"({gigabytes:.2g} GB) and cost {count} Hessian-vector products. Pass fewer "
            "parameters (params=[...]), use af.hvp or optim.NewtonCG (no matrix), or raise "
            "max_parameters if you really mean it.")
    return count


def flatten(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenate arrays into one float64 vector (the order of ``params``)."""
    if not arrays:
        return np.zeros(0)
    return np.concatenate([np.asarray(a, dtype=np.float64).reshape(-1) for a in arrays])


def unflatten(vector: np.ndarray, params: Sequence[Parameter]) -> list[np.ndarray]:
    """The inverse of :func:`flatten`: ``vector`` cut into arrays shaped like the
    parameters' values (views of it)."""
    parts, offset = [], 0
    for p in params:
        size = np.size(p.value)
        parts.append(vector[offset:offset + size].reshape(np.shape(p.value)))
        offset += size
    return parts


def default_parameters(graph: FlowGraph) -> list[Parameter]:
    """The Parameters among the boxes ``graph`` differentiates with respect to."""
    return [b for b in graph.wrt if isinstance(b, Parameter)]


def hessian(graph: FlowGraph | Box, params: Sequence[Parameter] | None = None,
            feed: Mapping[Any, Any] | None = None, *, method: str = "exact",
            eps: float | None = None, max_parameters: int | None = MAX_PARAMETERS,
            progress: bool = False) -> np.ndarray:
    """The Hessian d**2 loss / d theta d theta of the graph's first (scalar) output.

    ``theta`` is the entries of ``params`` (default: the graph's Parameters) flattened
    and concatenated in that order, so the result is an (n, n) float64 symmetric array
    with n = total size. ``method="exact"`` (the default) differentiates the gradient
    graph (n Hessian-vector products); ``"differences"`` takes central differences of
    the exact gradients (``eps`` fixes the step). Both run in float64 whatever the
    graph's dtype; parameter values are restored exactly afterwards. Raises
    TooManyParametersError when n > ``max_parameters`` (None: no limit). ``progress``
    shows a progress bar (needs tqdm; in Jupyter the widget bar only when ipywidgets is
    installed, see :func:`autograd_flow.extras.tqdm_class`). The feed may also come
    second, as in gradcheck: ``hessian(graph, feed, params)``.
    """
    if isinstance(params, Mapping):  # gradcheck's order: (graph, feed, wrt)
        params, feed = feed, params
    if method not in METHODS:
        raise ValueError(f"hessian: unknown method {method!r}; choose 'exact' or "
                         "'differences'")
    output = graph.outputs[0] if isinstance(graph, FlowGraph) else graph
    probe = FlowGraph(output)
    params = list(default_parameters(probe) if params is None else params)
    _check_parameters(params)
    count = check_size(params, max_parameters, "hessian")
    feed64 = float64_feed(feed)
    columns = _columns(count, progress)
    with in_float64(probe.order):
        if method == "exact":
            result = _exact(graph, output, params, feed64, columns)
        else:
            result = _differences(output, params, feed64, eps, columns)
    return 0.5 * (result + result.T)


def _check_parameters(params: Sequence[Any]) -> None:
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"hessian: params must be af.Parameter boxes, got {p!r}")
        if np.result_type(p.value).kind != "f":
            raise TypeError(f"hessian: {describe(p)} holds {np.result_type(p.value)} values; "
                            "a Hessian needs floating-point parameters")


def _columns(count: int, progress: bool) -> Iterator[int]:
    if not progress:
        return iter(range(count))
    bar = tqdm_class("hessian(progress=True)")
    return iter(bar(range(count), desc="hessian", unit="column"))


def _exact(graph: FlowGraph | Box, output: Box, params: list[Parameter],
           feed64: dict[Any, np.ndarray], columns: Iterator[int]) -> np.ndarray:
    """H e_j for each j, from the gradient graph differentiated again."""
    built = hvp_graph(graph, output, params)
    vectors = [np.zeros(np.shape(p.value)) for p in params]
    offsets = np.cumsum([0] + [v.size for v in vectors])
    count = int(offsets[-1])
    result = np.empty((count, count))
    for column in columns:
        k = int(np.searchsorted(offsets, column, side="right") - 1)
        flat = vectors[k].reshape(-1)
        flat[column - offsets[k]] = 1.0
        result[:, column] = flatten(built.run(vectors, feed64))
        flat[column - offsets[k]] = 0.0
    return result


def _differences(output: Box, params: list[Parameter], feed64: dict[Any, np.ndarray],
                 eps: float | None, columns: Iterator[int]) -> np.ndarray:
    """Central differences of bprop's gradients, one parameter entry at a time."""
    differentiate = FlowGraph(output, wrt=params)
    entries = [(p, index) for p in params for index in np.ndindex(np.shape(p.value))]
    result = np.empty((len(entries), len(entries)))

    def gradient() -> np.ndarray:
        value = differentiate.fprop(feed64)
        if np.size(value) != 1:
            raise FlowGraphError(f"hessian needs a scalar output; '{output.name}' has "
                                 f"shape {np.shape(value)}.")
        grads = differentiate.bprop()
        return flatten([grads[p] for p in params])

    for column in columns:
        parameter, index = entries[column]
        value = parameter.value  # a float64 copy, perturbed in place
        original = value[index]
        step = eps if eps is not None else CBRT_EPS * max(1.0, abs(float(original)))
        value[index] = original + step
        plus = gradient()
        value[index] = original - step
        minus = gradient()
        value[index] = original
        result[:, column] = (plus - minus) / (2 * step)
    differentiate.fprop(feed64)  # leave the boxes with unperturbed values
    return result
