"""Gradients as flow graphs: :func:`grad` writes d output / d wrt with boxes, so a
gradient can be run, drawn and differentiated again; :func:`hvp` and :func:`jvp` are
built on it.

``grad`` does what :meth:`FlowGraph.bprop` does, once, with boxes instead of numbers:
it visits the boxes in reverse topological order, asks each for its gradient in box
form (``bprop_boxes``; a box without one runs its numeric ``bprop`` as one box), sums
the gradients of a box used several times with Add boxes in the order bprop sums them,
and undoes broadcasting with SumLike boxes where bprop calls ``unbroadcast``. So the
boxes evaluate to the numbers bprop gives.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import ops
from .box import Box, Constant, Input, Leaf, Parameter, as_box, scope
from .errors import BoxError, FlowGraphError, describe
from .graph import FlowGraph, topological_order
from .ops.gradient import NumericBprop, Seed, SeedAs, SumLike, ZerosLike


def grad(output: Box, wrt: Box | Sequence[Box], seed: Any = None) -> Box | list[Box]:
    """d output / d wrt as boxes: a Box for one ``wrt``, a list for a sequence.

    ``output`` must evaluate to a scalar unless ``seed`` (a box or an array shaped like
    the output, d loss / d output) is given. The result evaluates, in any FlowGraph fed
    like the output's, to what ``FlowGraph(output, wrt=...).bprop(seed)`` returns, and
    it can be given to ``grad`` again::

        x = af.Parameter(np.array(2.0))
        dy = af.grad(x ** 3, x)              # 3 x**2, a box
        d2y = af.grad(dy, x)                 # 6 x
        af.FlowGraph([dy, d2y]).fprop()      # (12.0, 12.0)

    The new boxes belong to scopes of kind "bprop" (``box.scopes[-1].of`` is the
    forward box each differentiates), so pictures can tell them apart.
    """
    if not isinstance(output, Box):
        raise TypeError(f"af.grad differentiates a box, got {type(output).__name__} {output!r}")
    single = isinstance(wrt, Box)
    targets = [wrt] if single else list(wrt)
    order = topological_order([output])
    members = set(map(id, order))
    for target in targets:
        _check_target(target, output, members)
    needs = set(map(id, targets))
    for box in order:
        if any(id(i) in needs for i in box.inputs):
            needs.add(id(box))
    grads: dict[int, Box] = {}
    if id(output) in needs:
        grads[id(output)] = Seed(output, name="seed") if seed is None else SeedAs(
            as_box(seed), output, name="seed")
    for box in reversed(order):
        upstream = grads.get(id(box))
        if upstream is None or isinstance(box, Leaf):
            continue
        wanted = [id(i) in needs for i in box.inputs]
        if not any(wanted):
            continue
        with scope("bprop", f"d {box.name}", of=box):
            contributions = _box_form(box, upstream, wanted)
            for source, want, contribution in zip(box.inputs, wanted, contributions):
                if not want or contribution is None:
                    continue
                if len(box.inputs) > 1:
                    contribution = SumLike(contribution, source, name="unbroadcast")
                previous = grads.get(id(source))
                grads[id(source)] = contribution if previous is None else ops.Add(
                    previous, contribution, name=f"d {source.name}")
    result = [grads[id(t)] if id(t) in grads else ZerosLike(t, name=f"d {t.name}")
              for t in targets]
    return result[0] if single else result


def _check_target(target: Any, output: Box, members: set[int]) -> None:
    if not isinstance(target, Box):
        raise TypeError(f"af.grad: wrt holds {type(target).__name__} {target!r}, not a box")
    if isinstance(target, Constant):
        raise FlowGraphError(f"af.grad: {describe(target)} is a Constant: it has no gradient "
                             "to ask for (make it a Parameter or an Input).")
    if id(target) not in members:
        raise FlowGraphError(f"af.grad: {describe(target)} is not in the graph of "
                             f"{describe(output)}: the output does not depend on it.")


def _box_form(box: Box, upstream: Box, wanted: list[bool]) -> tuple[Any, ...]:
    """The box's gradient per input as boxes (None where there is none)."""
    count = len(box.inputs)
    result = box.bprop_boxes(upstream, *box.inputs)
    if result is NotImplemented:  # a box with a numeric bprop only
        return tuple(NumericBprop(upstream, box, k) if want else None
                     for k, want in enumerate(wanted))
    if count == 1 and not isinstance(result, (tuple, list)):
        result = (result,)
    if not isinstance(result, (tuple, list)) or len(result) != count:
        raise BoxError(f"{describe(box)}: bprop_boxes must return one gradient per input "
                       f"({count}), a tuple when several.")
    return tuple(None if r is None else as_box(r) for r in result)


# -- numbers from gradient graphs ------------------------------------------------------


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


class HvpGraph:
    """The boxes of H v for a scalar output and params, with v fed as Inputs:
    H v = grad <grad, v>."""

    def __init__(self, output: Box, params: list[Box]) -> None:
        self.params = params
        gradient = grad(output, params)
        self.vectors = [Input(f"v[{p.name}]") for p in params]
        with scope("hvp", "<grad, v>"):
            terms = [ops.Sum(ops.Mul(g, v)) for g, v in zip(gradient, self.vectors)]
            total = terms[0]
            for term in terms[1:]:
                total = ops.Add(total, term)
        self.graph = FlowGraph(grad(total, params), wrt=())

    def run(self, vectors: Sequence[Any], feed: Mapping[Any, Any] | None) -> list[np.ndarray]:
        """H v for ``vectors`` (one array per parameter) and the graph's ``feed``."""
        if len(vectors) != len(self.params):
            raise ValueError(f"hvp: {len(vectors)} vectors for {len(self.params)} parameters "
                             f"({', '.join(p.name for p in self.params)}): give one per "
                             "parameter")
        full_feed = dict(feed or {})
        for p, box, v in zip(self.params, self.vectors, vectors):
            v = np.asarray(v)
            if isinstance(p, Parameter) and v.shape != np.shape(p.value):
                raise ValueError(f"hvp: the vector for {describe(p)} has shape {v.shape}, "
                                 f"but the parameter has shape {np.shape(p.value)}")
            full_feed[box] = v
        values = self.graph.fprop(full_feed)
        values = values if isinstance(values, tuple) else (values,)
        return [np.array(v) for v in values]


def hvp_graph(graph: FlowGraph | Box, output: Box, params: list[Box]) -> HvpGraph:
    """The H v boxes of ``output`` for ``params``, kept on ``graph`` when it is a
    FlowGraph (so Newton steps and Hessian columns only run them)."""
    return _cached(graph, ("hvp", id(output), *map(id, params)),
                   lambda: HvpGraph(output, params))


def _cached(graph: FlowGraph | Box, key: tuple, build: Any) -> Any:
    """A derived graph kept on the FlowGraph (built again for a bare box)."""
    if not isinstance(graph, FlowGraph):
        return build()
    cache = graph.__dict__.setdefault("_derived", {})
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


class _JvpGraph:
    """The boxes of J v for every output: the transpose of the transposed Jacobian."""

    def __init__(self, outputs: Sequence[Box], wrt: list[Box]) -> None:
        self.tangents = [Input(f"t[{w.name}]") for w in wrt]
        with scope("jvp", "J v"):
            cotangents = [ZerosLike(o, name=f"u[{o.name}]") for o in outputs]
            total: Box | None = None
            for output, u in zip(outputs, cotangents):
                transposed = grad(output, wrt, seed=u)
                for vjp, t in zip(transposed, self.tangents):
                    term = ops.Sum(ops.Mul(vjp, t))
                    total = term if total is None else ops.Add(total, term)
            assert total is not None
            directional = grad(total, cotangents)
        self.graph = FlowGraph(directional, wrt=())


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
    tangents = list(tangents)
    if len(tangents) != len(wrt):
        raise ValueError(f"jvp: {len(tangents)} tangents for {len(wrt)} boxes of wrt "
                         f"({', '.join(w.name for w in wrt)}): give one per box")
    built = _cached(graph, ("jvp", *map(id, outputs), *map(id, wrt)),
                    lambda: _JvpGraph(outputs, wrt))
    full_feed = dict(feed or {})
    for box, w, t in zip(built.tangents, wrt, tangents):
        t = np.asarray(t)
        if isinstance(w, Parameter) and t.shape != np.shape(w.value):
            raise ValueError(f"jvp: the tangent for {describe(w)} has shape {t.shape}, "
                             f"but it has shape {np.shape(w.value)}")
        full_feed[box] = t
    values = built.graph.fprop(full_feed)
    if len(outputs) == 1:
        return np.array(values)
    return tuple(np.array(v) for v in values)
