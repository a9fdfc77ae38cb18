"""Directional derivatives from gradient graphs: :func:`hvp` (the Hessian times vectors,
without forming the Hessian) and :func:`jvp` (forward mode, the Jacobian times
tangents), both built with :func:`~.grad.grad` twice and kept on the FlowGraph they
were derived from, so that repeated calls only run them."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..core.box import Box, Constant, Input, Parameter
from ..core.graph import FlowGraph
from ..core.order import topological_order
from ..core.scope import scope
from ..errors import FlowGraphError, describe
from ..ops.arithmetic import Add, Mul
from ..ops.plumbing import ZerosLike
from ..ops.reduce import Sum
from .grad import grad


def _boxes(gradient: Box | list[Box]) -> list[Box]:
    """``grad``'s result for a sequence of wrt, as a list."""
    return gradient if isinstance(gradient, list) else [gradient]


def _output_of(graph: FlowGraph | Box) -> Box:
    return graph.outputs[0] if isinstance(graph, FlowGraph) else graph


def _parameters(graph: FlowGraph | Box, params: Sequence[Box] | None) -> list[Box]:
    if params is not None:
        params = list(params)
        for p in params:
            if not isinstance(p, Box) or isinstance(p, Constant):
                raise TypeError(f"params must be Parameters or Inputs of the graph, got {p!r}")
        return params
    found = graph.parameters if isinstance(graph, FlowGraph) else \
        [b for b in topological_order([graph]) if isinstance(b, Parameter)]
    if not found:
        raise FlowGraphError("the graph has no Parameter to differentiate with respect to; "
                             "pass params=[...]")
    return list(found)


class _Derived:
    """A graph derived from the forward graph of ``outputs`` (H v, J v) with one extra
    Input per box of ``wrt`` (the vectors), fed together with the forward feed."""

    def __init__(self, outputs: Sequence[Box], wrt: list[Box], derived: list[Box],
                 vectors: list[Input], who: str) -> None:
        self.wrt, self.vectors, self.who = wrt, vectors, who
        self.forward = FlowGraph(list(outputs), wrt=())
        self.graph = FlowGraph(derived, wrt=())

    def run(self, arrays: Sequence[Any], feed: Mapping[Any, Any] | None) -> list[np.ndarray]:
        """The derived values for ``arrays`` (one per box of wrt) and the forward feed."""
        what = "vectors" if self.who == "hvp" else "tangents"
        if len(arrays) != len(self.wrt):
            raise ValueError(f"{self.who}: {len(arrays)} {what} for {len(self.wrt)} "
                             f"parameters ({', '.join(p.name for p in self.wrt)}): give one "
                             "per parameter")
        full_feed = {}
        for key, value in (feed or {}).items():  # inputs H v or J v does not read are
            if self.graph.input_for(key) is not None or self.forward.input_for(key) is None:
                full_feed[key] = value  # dropped; unknown keys left for fprop to name
        for p, box, v in zip(self.wrt, self.vectors, arrays):
            v = np.asarray(v)
            if isinstance(p, Parameter) and v.shape != np.shape(p.value):
                raise ValueError(f"{self.who}: the {what[:-1]} for {describe(p)} has shape "
                                 f"{v.shape}, but the parameter has shape {np.shape(p.value)}")
            if self.graph.input_for(box) is not None:  # H v need not depend on v (H = 0)
                full_feed[box] = v
        values = self.graph.fprop(full_feed)
        values = values if isinstance(values, tuple) else (values,)
        return [np.array(v) for v in values]


def _hvp_boxes(output: Box, params: Sequence[Box]) -> _Derived:
    """H v = grad <grad, v>, with v fed as Inputs."""
    params = list(params)
    gradient = _boxes(grad(output, params))
    vectors = [Input(f"v[{p.name}]") for p in params]
    with scope("hvp", "<grad, v>"):
        total: Box = Sum(Mul(gradient[0], vectors[0]))
        for g, v in zip(gradient[1:], vectors[1:]):
            total = Add(total, Sum(Mul(g, v)))
    return _Derived([output], params, _boxes(grad(total, params)), vectors, "hvp")


def hvp_graph(graph: FlowGraph | Box, output: Box, params: Sequence[Box]) -> _Derived:
    """The H v boxes of ``output`` for ``params`` (``.run(vectors, feed)``), kept on
    ``graph`` when it is a FlowGraph (so Newton steps and Hessian columns only run them)."""
    return _cached(graph, ("hvp", id(output), *map(id, params)),
                   lambda: _hvp_boxes(output, params))


def _cached(graph: FlowGraph | Box, key: tuple, build: Any) -> Any:
    """A derived graph kept on the FlowGraph (built again for a bare box)."""
    if not isinstance(graph, FlowGraph):
        return build()
    cache = graph.derived
    if key not in cache:
        cache[key] = build()
    return cache[key]


def hvp(graph: FlowGraph | Box, vectors: Sequence[Any], feed: Mapping[Any, Any] | None = None,
        params: Sequence[Box] | None = None) -> list[np.ndarray]:
    """The Hessian of the graph's first (scalar) output times ``vectors``: H v as a list
    of arrays, one per parameter, without forming H.

    ``vectors`` has one array per parameter of ``params`` (default: the graph's
    Parameters), of that parameter's shape. H v is the gradient of <grad, v>, computed
    by differentiating the gradient graph (:func:`grad` twice): the cost of a few
    gradients, in the graph's dtype. The boxes built for it are kept on the FlowGraph,
    so repeated calls only run them.
    """
    output = _output_of(graph)
    params = _parameters(graph, params)
    return hvp_graph(graph, output, params).run(list(vectors), feed)


def _jvp_boxes(outputs: Sequence[Box], wrt: list[Box]) -> _Derived:
    """J v = grad_u <J^T u, v> for every output, with v fed as Inputs."""
    tangents = [Input(f"t[{w.name}]") for w in wrt]
    with scope("jvp", "J v"):
        cotangents = [ZerosLike(o, name=f"u[{o.name}]") for o in outputs]
        total: Box = Constant(0.0)
        for output, u in zip(outputs, cotangents):
            for vjp, t in zip(grad(output, wrt, seed=u), tangents):
                total = Add(total, Sum(Mul(vjp, t)))
        members = set(map(id, topological_order([total])))
        reached = [u for u in cotangents if id(u) in members]
        directional = dict(zip(map(id, reached), grad(total, reached))) if reached else {}
    derived = [directional[id(u)] if id(u) in directional else ZerosLike(o)
               for u, o in zip(cotangents, outputs)]
    return _Derived(outputs, wrt, derived, tangents, "jvp")


def jvp(graph: FlowGraph | Box, tangents: Sequence[Any], feed: Mapping[Any, Any] | None = None,
        wrt: Sequence[Box] | None = None) -> np.ndarray | tuple[np.ndarray, ...]:
    """Forward mode: the directional derivative J v of the graph's outputs along
    ``tangents`` (one array per box of ``wrt``, default the graph's Parameters),
    returned like ``fprop`` (an array, or a tuple for several outputs).

    Built from reverse mode: u -> J^T u is linear, so J v is the gradient in u of
    <J^T u, v> (the transpose of a transpose), with :func:`grad` twice.
    """
    outputs = list(graph.outputs) if isinstance(graph, FlowGraph) else [graph]
    wrt = _parameters(graph, wrt)
    built = _cached(graph, ("jvp", *map(id, outputs), *map(id, wrt)),
                    lambda: _jvp_boxes(outputs, wrt))
    values = built.run(list(tangents), feed)
    if len(outputs) == 1:
        return values[0]
    return tuple(values)
