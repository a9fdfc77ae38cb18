"""The boxes gradients are made of: undoing broadcasting, zeros and ones shaped like a
box, the adjoint of a (multi)linear box, a custom box's numeric bprop as a box, and
stop_gradient.

:func:`autograd_flow.grad` writes a gradient with these and the primitives' own
``bprop_boxes``. Shapes are only known when a graph runs (a graph is built once and fed
batches of any size), so a box that needs a shape reads it from a reference input
(``ref``), which gets no gradient.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..box import Box
from ..broadcast import unbroadcast
from ..errors import BoxError, describe, one_per_input


class SumLike(Box):
    """y = g summed back to the shape of ref (numpy broadcasting undone);
    d g = d y broadcast to g's shape"""

    def fprop(self, g, ref):
        return unbroadcast(g, np.shape(ref))

    def bprop(self, grad, g, ref):
        return np.broadcast_to(grad, np.shape(g)), None

    def bprop_boxes(self, grad, g, ref):
        return BroadcastLike(grad, g), None


class BroadcastLike(Box):
    """y = g broadcast to the shape of ref;   d g = d y summed back to g's shape"""

    def fprop(self, g, ref):
        return np.broadcast_to(g, np.shape(ref))

    def bprop(self, grad, g, ref):
        return unbroadcast(grad, np.shape(g)), None

    def bprop_boxes(self, grad, g, ref):
        return SumLike(grad, g), None


class ZerosLike(Box):
    """y = zeros of ref's shape and dtype;   no gradient"""

    def fprop(self, ref):
        return np.zeros_like(ref)

    def bprop(self, grad, ref):
        return None

    def bprop_boxes(self, grad, ref):
        return None


class Seed(Box):
    """y = 1 shaped like a scalar output (what bprop starts from);   no gradient"""

    def fprop(self, output):
        if isinstance(output, np.generic):
            return output.dtype.type(1)
        if np.size(output) != 1:
            raise BoxError(
                f"af.grad differentiates a scalar output, but {describe(self.inputs[0])} has "
                f"shape {np.shape(output)}: reduce it (e.g. .sum() or .mean()) or pass "
                "af.grad(output, wrt, seed=...) with a box or array of that shape.")
        return np.ones_like(output)

    def bprop(self, grad, output):
        return None

    def bprop_boxes(self, grad, output):
        return None


class SeedAs(Box):
    """y = seed, checked to have the output's shape;   d seed = d y"""

    def fprop(self, seed, output):
        if np.shape(seed) != np.shape(output):
            raise BoxError(f"af.grad: the seed has shape {np.shape(seed)} but "
                           f"{describe(self.inputs[1])} has shape {np.shape(output)}; "
                           "give d loss / d output, shaped like the output.")
        return seed

    def bprop(self, grad, seed, output):
        return grad, None

    def bprop_boxes(self, grad, seed, output):
        return grad, None


class StopGradient(Box):
    """y = a;   no gradient flows back (d a = 0): a value used as a constant"""

    def fprop(self, a):
        return a

    def bprop(self, grad, a):
        return None

    def bprop_boxes(self, grad, a):
        return None


def _as_tuple(result: Any, count: int) -> tuple[Any, ...]:
    return (result,) if count == 1 and not isinstance(result, (tuple, list)) else tuple(result)


class Adjoint(Box):
    """The gradient of a (multi)linear box y = L(x_1, ..., x_n) for one input k, as a box:
    d x_k = L_k^T d y, computed by L's own bprop (``of.bprop``) and summed back to x_k's
    shape where L broadcast it.

    Its inputs are (d y, x_1, ..., x_n). Differentiating it again needs no new formula:
    the adjoint of L_k^T is L_k, so d (d y) is L evaluated with x_k replaced by the
    incoming gradient (the other inputs it is linear in set to zero when L is linear in
    them jointly, kept when it is multilinear); and when L is multilinear,
    d x_j = L_j^T d y evaluated with x_k replaced by the incoming gradient.
    Inputs outside ``linear`` (labels, indices, masks) are parameters of L: kept as
    they are, never differentiated. A box may define ``bprop_input(position, grad,
    *values)`` (MatMul does) so that an adjoint computes its one product only.
    """

    def __init__(self, grad: Box, of: Box, position: int, linear: tuple[int, ...],
                 multilinear: bool) -> None:
        self.of, self.position = of, position
        self.linear, self.multilinear = linear, multilinear
        super().__init__(grad, *of.inputs, name=f"{type(of).__name__.lower()}^T")

    def fprop(self, grad, *values):
        return unbroadcast(self._part(self.of, self.position, grad, values),
                           np.shape(values[self.position]))

    @staticmethod
    def _part(of: Box, position: int, grad: Any, values: Any) -> Any:
        """Input ``position``'s gradient by ``of``'s bprop (by its ``bprop_input`` when
        it has one, which computes that input's alone)."""
        part = getattr(of, "bprop_input", None)
        if part is not None:
            return part(position, grad, *values)
        return _as_tuple(of.bprop(grad, *values), len(values))[position]

    def _replaced(self, values: list[Any], incoming: Any, zeros: Callable[[Any], Any]) -> list:
        """The inputs of ``of`` with x_k := incoming (and, for a jointly linear box, the
        other linear inputs := zeros)."""
        replaced = list(values)
        replaced[self.position] = incoming
        if not self.multilinear:
            for j in self.linear:
                if j != self.position:
                    replaced[j] = zeros(values[j])
        return replaced

    def bprop(self, grad, dy, *values):
        grad_dy = self.of.fprop(*self._replaced(list(values), grad, np.zeros_like))
        grads: list[Any] = [None] * len(values)
        if self.multilinear:
            for j in self.linear:
                if j != self.position:
                    replaced = self._replaced(list(values), grad, np.zeros_like)
                    grads[j] = self._part(self.of, j, dy, replaced)
        return (grad_dy, *grads)

    def bprop_boxes(self, grad, dy, *inputs):
        grad_dy = _rebuilt(self.of, self._replaced(list(inputs), grad, ZerosLike))
        grads: list[Any] = [None] * len(inputs)
        if self.multilinear:
            for j in self.linear:
                if j != self.position:
                    replaced = _rebuilt(self.of, self._replaced(list(inputs), grad, ZerosLike))
                    grads[j] = Adjoint(dy, replaced, j, self.linear, self.multilinear)
        return (grad_dy, *grads)


def _rebuilt(box: Box, inputs: list[Box]) -> Box:
    """A box of ``box``'s class and settings (axis, shape, ...) on other inputs."""
    clone = object.__new__(type(box))
    clone.__dict__.update(box.__dict__)
    Box.__init__(clone, *inputs, name=box.name)
    return clone


def linear_in(*positions: int) -> Callable[..., tuple[Box | None, ...]]:
    """``bprop_boxes`` of a box that is linear (jointly) in the inputs at ``positions``
    (all others are parameters such as labels or indices): each gradient is an
    :class:`Adjoint` of the box. Its bprop must use the inputs' shapes only."""
    return _adjoints(positions, multilinear=False)


def multilinear_in(*positions: int) -> Callable[..., tuple[Box | None, ...]]:
    """``bprop_boxes`` of a box that is linear in each input at ``positions`` separately
    (a product: matmul, einsum): each gradient is an :class:`Adjoint` of the box."""
    return _adjoints(positions, multilinear=True)


def _adjoints(positions: tuple[int, ...], multilinear: bool) -> Callable[..., Any]:
    def bprop_boxes(self: Box, grad: Box, *inputs: Box) -> Any:
        adjoints = tuple(Adjoint(grad, self, k, positions, multilinear) if k in positions
                         else None for k in range(len(inputs)))
        return adjoints[0] if len(inputs) == 1 else adjoints

    bprop_boxes.__doc__ = (f"Gradients as boxes: the adjoint of this box, which is "
                           f"{'multi' if multilinear else ''}linear in inputs {positions}.")
    return bprop_boxes


class AstypeLike(Box):
    """y = x converted to ref's dtype;   d x = d y converted back to x's dtype"""

    def fprop(self, x, ref):
        return np.asarray(x).astype(np.result_type(ref), copy=False)

    def bprop(self, grad, x, ref):
        return np.asarray(grad).astype(np.result_type(x), copy=False), None

    bprop_boxes = linear_in(0)


class NumericBprop(Box):
    """A box's numeric ``bprop`` for one input as a box, for boxes without
    ``bprop_boxes``: d x_k = of.bprop(d y, x_1, ..., x_n)[k], summed back to x_k's
    shape. Its inputs are (d y, the box itself, x_1, ..., x_n), so the box's value is
    computed first; it cannot be differentiated (a clear error says what to add)."""

    def __init__(self, grad: Box, of: Box, position: int) -> None:
        self.of, self.position = of, position
        super().__init__(grad, of, *of.inputs, name=f"bprop of {of.name}")

    def fprop(self, grad, value, *values):
        gradient = one_per_input(self.of.bprop(grad, *values), self.of)[self.position]
        if gradient is None:
            return np.zeros_like(values[self.position])
        return unbroadcast(np.asarray(gradient), np.shape(values[self.position]))

    def _refuse(self) -> None:
        of = self.of
        arguments = ", ".join(["grad", *(f"x{k}" for k in range(len(of.inputs)))])
        raise BoxError(
            f"a second derivative through {describe(of)} needs its gradient written with "
            f"boxes: give {type(of).__name__} a method `def bprop_boxes(self, {arguments}):` "
            "that returns bprop's formula built from af functions on the boxes (one box per "
            "input, None where there is none; `self` is the box's own value). Its numeric "
            "bprop gives first derivatives only.")

    def bprop(self, grad, *values):
        self._refuse()

    def bprop_boxes(self, grad, *inputs):
        self._refuse()
