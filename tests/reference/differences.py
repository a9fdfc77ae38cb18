"""Derivatives checked against central differences of af's own values in float64, for
the reference cases with no other reference for their derivatives: HIPS autograd's
checks (as HIPS's ``check_grads`` does) and the torch samples torch runs on GPUs only.
"""
from __future__ import annotations

from typing import Any

import numpy as np

import autograd_flow as af

#: the tolerances of af.gradcheck's comparisons, used for H v as well
RTOL, ATOL = 1e-4, 1e-6


def gradcheck(target: Any, wrt: list[Any]) -> str:
    """Empty when af.gradcheck agrees (bprop against central differences of the
    value), else its report's first line."""
    report = af.gradcheck(target, wrt=wrt, raise_on_failure=False)
    return "" if report.ok else str(report).splitlines()[0]


def reached(output: Any, parameters: list[Any]) -> list[Any]:
    """The parameters output depends on (af.grad refuses the others by name)."""
    found = {id(p) for p in af.FlowGraph(output).parameters}
    return [p for p in parameters if id(p) in found]


def hvp_check(loss: Any, parameters: list[Any], vectors: list[np.ndarray]) -> str:
    """Empty when :func:`af.hvp` of the scalar ``loss`` along ``vectors`` agrees with the
    central difference (g(x + h v) - g(x - h v)) / 2h of af's gradient g, else where
    it does not. Every parameter is float64; their values are restored."""
    graph = af.FlowGraph(loss)
    graph.fprop()
    ours = af.hvp(graph, vectors, params=parameters)
    originals = [np.array(p.value, dtype=np.float64) for p in parameters]
    largest = max([1.0] + [float(np.max(np.abs(x), initial=0.0)) for x in originals])
    step = float(np.cbrt(np.finfo(np.float64).eps)) * largest

    def gradient(sign: float) -> list[np.ndarray]:
        for parameter, x, v in zip(parameters, originals, vectors):
            parameter.value[...] = x + sign * step * v
        graph.fprop()
        found = graph.bprop()
        return [np.asarray(found.get(p, np.zeros(np.shape(x))), dtype=np.float64)
                for p, x in zip(parameters, originals)]

    try:
        plus, minus = gradient(1.0), gradient(-1.0)
    finally:
        for parameter, x in zip(parameters, originals):
            parameter.value[...] = x
        graph.fprop()
    for position, (h_v, up, down) in enumerate(zip(ours, plus, minus)):
        differences = (up - down) / (2 * step)
        if not np.allclose(h_v, differences, rtol=RTOL, atol=ATOL):
            error = np.abs(np.asarray(h_v) - differences)
            worst = int(np.argmax(error))
            return (f"input {position}: H v {np.ravel(h_v)[worst]:.6g}, central "
                    f"differences of the gradient {np.ravel(differences)[worst]:.6g}")
    return ""
