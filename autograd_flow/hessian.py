"""The Hessian of a scalar flow graph with respect to its parameters (lecture: Newton's
method needs the matrix of second derivatives of the loss, practical only for few
parameters).

Column j of the Hessian is the derivative of the gradient along parameter entry j, so
with the engine's exact gradients (bprop) a central difference of gradients is exact up
to O(h**2) truncation and round-off:

    H[:, j] = (grad(theta + h_j e_j) - grad(theta - h_j e_j)) / (2 h_j)

computed in float64 with a per-entry step h_j = cbrt(machine eps) * max(1, |theta_j|),
then symmetrized, (H + H.T) / 2. It costs 2 n forward and backward passes for n
parameter entries and n**2 floats of memory.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .box import Box, Parameter
from .errors import FlowGraphError
from .gradcheck import CBRT_EPS, float64_feed, in_float64
from .graph import FlowGraph

MAX_PARAMETERS = 2000


class TooManyParametersError(FlowGraphError, ValueError):
    """A Hessian (or a Newton step) was asked for more parameter entries than allowed."""


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
            f"({gigabytes:.2g} GB) and cost {2 * count} gradient evaluations. Pass fewer "
            "parameters (params=[...]), or raise max_parameters if you really mean it.")
    return count


def flatten(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenate arrays into one float64 vector (the order of ``params``)."""
    if not arrays:
        return np.zeros(0)
    return np.concatenate([np.asarray(a, dtype=np.float64).reshape(-1) for a in arrays])


def default_parameters(graph: FlowGraph) -> list[Parameter]:
    """The Parameters among the boxes ``graph`` differentiates with respect to."""
    return [b for b in graph.wrt if isinstance(b, Parameter)]


def hessian(graph: FlowGraph | Box, params: Sequence[Parameter] | None = None,
            feed: Mapping[Any, Any] | None = None, *, eps: float | None = None,
            max_parameters: int | None = MAX_PARAMETERS) -> np.ndarray:
    """The Hessian d**2 loss / d theta d theta of the graph's first (scalar) output.

    ``theta`` is the entries of ``params`` (default: the graph's Parameters) flattened
    and concatenated in that order, so the result is an (n, n) float64 symmetric array
    with n = total size. Each column is a central difference of the engine's exact
    gradients (see the module docstring; ``eps`` fixes the step instead of
    cbrt(eps) * max(1, |theta_j|)), computed in float64 whatever the graph's dtype.
    Parameter values are restored exactly afterwards, and the boxes keep the values of
    an unperturbed fprop. Raises TooManyParametersError when n > ``max_parameters``
    (None: no limit).
    """
    output = graph.outputs[0] if isinstance(graph, FlowGraph) else graph
    probe = FlowGraph(output)
    params = list(default_parameters(probe) if params is None else params)
    if not all(isinstance(p, Parameter) for p in params):
        raise TypeError("hessian: params must be af.Parameter boxes, got "
                        f"{[type(p).__name__ for p in params]}")
    count = check_size(params, max_parameters, "hessian")
    feed64 = float64_feed(feed)
    result = np.empty((count, count))
    with in_float64(probe.order):
        differentiate = FlowGraph(output, wrt=params)

        def gradient() -> np.ndarray:
            value = differentiate.fprop(feed64)
            if np.size(value) != 1:
                raise FlowGraphError(f"hessian needs a scalar output; '{output.name}' has "
                                     f"shape {np.shape(value)}.")
            grads = differentiate.bprop()
            return flatten([grads[p] for p in params])

        column = 0
        for parameter in params:
            value = parameter.value  # a float64 copy, perturbed in place
            for index in np.ndindex(value.shape):
                original = value[index]
                step = eps if eps is not None else CBRT_EPS * max(1.0, abs(float(original)))
                value[index] = original + step
                plus = gradient()
                value[index] = original - step
                minus = gradient()
                value[index] = original
                result[:, column] = (plus - minus) / (2 * step)
                column += 1
        differentiate.fprop(feed64)  # leave the boxes with unperturbed values
    return 0.5 * (result + result.T)
