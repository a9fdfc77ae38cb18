"""Numerical calculus along an axis: ``gradient`` (numpy's second-order central
differences, one-sided of order 1 or 2 at the edges, on uniform or given sample points)
``trapezoid`` (the trapezoidal rule, a composite) and ``linspace`` (the evenly spaced
grid they run on, from start and stop that may be boxes: a composite)."""
from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ..core.box import Box, Input, user_site
from ..core.scope import composite
from ..errors import BoxError, describe
from .arithmetic import Div, Mul, Sub
from .axes import axis_index, integer_setting
from .indexing import GetItem
from .plumbing import astype_like
from .reduce import Sum
from .registry import function, primitive
from .shape import MoveAxis


def stencil(n: int, dx: np.ndarray, edge_order: int) -> tuple[np.ndarray, ...]:
    """np.gradient along an axis of n samples with spacings dx (n - 1 of them) as a sparse
    matrix: (rows, columns, coefficients), out[row] = sum of coefficient * f[column]
    (numpy's formulas: Fornberg's weights for unequal spacings)."""
    dx1, dx2 = dx[:-1], dx[1:]
    inner = np.arange(1, n - 1)
    rows = [inner, inner, inner]
    columns = [inner - 1, inner, inner + 1]
    weights = [-dx2 / (dx1 * (dx1 + dx2)), (dx2 - dx1) / (dx1 * dx2),
               dx1 / (dx2 * (dx1 + dx2))]
    if edge_order == 1:
        rows += [np.array([0, 0]), np.array([n - 1, n - 1])]
        columns += [np.array([0, 1]), np.array([n - 2, n - 1])]
        weights += [np.array([-1, 1]) / dx[0], np.array([-1, 1]) / dx[-1]]
    else:
        h1, h2 = dx[0], dx[1]
        first = [-(2 * h1 + h2) / (h1 * (h1 + h2)), (h1 + h2) / (h1 * h2),
                 -h1 / (h2 * (h1 + h2))]
        h1, h2 = dx[-2], dx[-1]
        last = [h2 / (h1 * (h1 + h2)), -(h2 + h1) / (h1 * h2), (2 * h2 + h1) / (h2 * (h1 + h2))]
        rows += [np.zeros(3, int), np.full(3, n - 1)]
        columns += [np.arange(3), np.arange(n - 3, n)]
        weights += [np.array(first), np.array(last)]
    return np.concatenate(rows), np.concatenate(columns), np.concatenate(weights)


@primitive()
class Gradient(Box):
    """y = np.gradient(f, spacing, axis, edge_order): (f[i+1] - f[i-1]) / (2 h) inside
    (weighted for unequal sample points), one-sided differences of order edge_order at
    the ends;   d f = the transpose of that stencil applied to d y (linear in f)"""

    linear_in = (0,)

    def __init__(self, f: Any, axis: int = 0, spacing: Any = 1.0, edge_order: int = 1,
                 name: str | None = None) -> None:
        super().__init__(f, name=name)
        self.axis = integer_setting(self, axis, "axis")
        order = integer_setting(self, edge_order, "edge_order")
        if order not in (1, 2):
            raise BoxError(f"{describe(self)}: edge_order must be 1 or 2, got {edge_order}.")
        self.edge_order: Literal[1, 2] = 1 if order == 1 else 2
        if isinstance(spacing, Box):
            raise BoxError(f"{describe(self)}: the spacing is a setting (a number or the "
                           "sample points), not a box.")
        spacing = np.asarray(spacing, dtype=np.float64)
        if spacing.ndim > 1:
            raise BoxError(f"{describe(self)}: the spacing must be a number or the 1-D "
                           f"sample points along the axis, got shape {spacing.shape}.")
        self.spacing: np.ndarray = spacing  # 0-d (one step) or the sample points

    def _differences(self, f: Any) -> tuple[int, np.ndarray]:
        """The axis (in [0, ndim)) and the n - 1 spacings along it, checked."""
        axis = axis_index(self, self.axis, np.shape(f))
        n = np.shape(f)[axis]
        if n < self.edge_order + 1:
            raise BoxError(f"{describe(self)}: axis {self.axis} of the input of shape "
                           f"{np.shape(f)} has {n} samples; a gradient of edge_order "
                           f"{self.edge_order} needs at least {self.edge_order + 1}.")
        if self.spacing.ndim == 0:
            return axis, np.full(n - 1, float(self.spacing))
        if len(self.spacing) != n:
            raise BoxError(f"{describe(self)}: {len(self.spacing)} sample points do not fit "
                           f"axis {self.axis} of length {n} (input shape {np.shape(f)}).")
        return axis, np.diff(self.spacing)

    def fprop(self, f):
        axis, _ = self._differences(f)
        return np.gradient(f, self.spacing, axis=axis, edge_order=self.edge_order)

    def bprop(self, grad, f):
        axis, dx = self._differences(f)
        rows, columns, weights = stencil(np.shape(f)[axis], dx, self.edge_order)
        grad = np.moveaxis(grad, axis, 0)
        weights = weights.astype(np.result_type(grad)).reshape((-1,) + (1,) * (grad.ndim - 1))
        grad_f = np.zeros(grad.shape, dtype=np.result_type(grad))
        np.add.at(grad_f, columns, weights * grad[rows])
        return np.moveaxis(grad_f, 0, axis)


def _known_ndim(f: Any) -> int:
    """f's number of axes, when it is known before the graph runs."""
    if not isinstance(f, Box):
        return int(np.ndim(f))
    if f.value is not None:
        return int(np.ndim(f.value))
    if isinstance(f, Input) and f.shape is not None:
        return len(f.shape)
    raise BoxError(f"gradient (called at {user_site()}): with axis=None the gradient is "
                   f"taken along every axis of {describe(f)}, whose number of axes is known "
                   "only when the graph runs; pass axis=... (an int or a tuple).")


@function("gradient", box=Gradient, numpy=np.gradient)
def gradient(f: Any, *varargs: Any, axis: int | tuple[int, ...] | None = None,
             edge_order: int = 1, name: str | None = None) -> Box | list[Box]:
    """The derivative of the samples ``f`` along ``axis`` (every axis when None), as
    ``np.gradient``: central differences inside, one-sided of order ``edge_order`` at
    the ends. ``varargs``: one spacing for all axes, or one per axis (a number or the
    sample points). One box for one axis, else a list of boxes (one per axis)."""
    axes = tuple(range(_known_ndim(f))) if axis is None else (
        (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis))
    if not varargs:
        spacings: list[Any] = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        spacings = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacings = list(varargs)
    else:
        raise TypeError(f"gradient: {len(varargs)} spacings for {len(axes)} axes; give none, "
                        "one, or one per axis.")
    boxes: list[Box] = [Gradient(f, axis=k, spacing=h, edge_order=edge_order, name=name)
             for k, h in zip(axes, spacings)]
    return boxes[0] if len(boxes) == 1 else boxes


def _along_last(part: slice) -> tuple[Any, ...]:
    return (Ellipsis, part)


@function("trapezoid", numpy=np.trapezoid, graphs=False)
@composite("trapezoid")
def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1,
              name: str | None = None) -> Box:
    """The integral of the samples ``y`` along ``axis`` by the trapezoidal rule, as
    ``np.trapezoid``: sum of (x[i+1] - x[i]) (y[i+1] + y[i]) / 2, with sample points
    ``x`` (1-D, or of y's shape) or a spacing ``dx``. Each sample gets the gradient of
    the two trapezoids it bounds (and so do the sample points, when x is a box; a 1-D
    box x takes axis 0 or -1)."""
    if axis != -1:  # the axis last (MoveAxis checks it when the graph runs)
        y = MoveAxis(y, axis, -1)
        if isinstance(x, Box):  # (of y's shape, or 1-D for axis 0)
            x = MoveAxis(x, axis, -1)
        elif x is not None and np.ndim(x) > 1:
            x = np.moveaxis(x, axis, -1)
    if x is None:
        widths: Any = dx
    else:
        widths = Sub(GetItem(x, _along_last(slice(1, None))),
                     GetItem(x, _along_last(slice(None, -1))), name="widths")
    heights = GetItem(y, _along_last(slice(1, None))) + GetItem(y, _along_last(slice(None, -1)))
    return Sum(Div(Mul(widths, heights), 2.0), axis=-1, name=name or "trapezoid")


@function("linspace", numpy=np.linspace, graphs=False)
@composite("linspace")
def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, axis: int = 0,
             name: str | None = None) -> Box:
    """``num`` evenly spaced numbers from ``start`` to ``stop`` (included if
    ``endpoint``), as ``np.linspace``; start and stop may be boxes (arrays: the numbers
    run along the new axis ``axis``): y = start + f (stop - start) for the fractions
    f = k / (num - 1) (k / num without the endpoint), so d start = sum of (1 - f) d y
    and d stop = sum of f d y."""
    if not isinstance(num, (int, np.integer)) or isinstance(num, bool) or num < 0:
        raise BoxError(f"linspace (at {user_site()}): num must be an integer >= 0, not "
                       f"{num!r}")
    fractions = np.linspace(0.0, 1.0, int(num), endpoint=endpoint)
    delta = stop - start
    ndim = max(np.ndim(start), np.ndim(stop))
    grid = start + astype_like(fractions.reshape((-1,) + (1,) * ndim), delta) * delta
    if axis != 0:
        grid = MoveAxis(grid, 0, axis)
    return grid.named(name or "linspace") if isinstance(grid, Box) else grid
