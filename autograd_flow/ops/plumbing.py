"""The boxes gradients are made of: undoing broadcasting, zeros and ones shaped like a
box, the adjoint of a (multi)linear box, a user box's numeric bprop as a box, and
stop_gradient.

:func:`autograd_flow.grad` writes a gradient with these and the primitives' own bprop
formulas. Shapes are only known when a graph runs (a graph is built once and fed
batches of any size), so a box that needs a shape reads it from a reference input
(``ref``), which gets no gradient. The functions here (:func:`sum_like`, ...) are what
bprop formulas call: on arrays they compute, on boxes they build the box.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.box import Box, opaque
from ..core.broadcast import unbroadcast
from ..errors import BoxError, describe, one_per_input
from .registry import builds, primitive


def on_boxes(*values: Any) -> bool:
    """Whether a formula runs on boxes (for :func:`autograd_flow.grad`), not arrays."""
    return any(isinstance(v, Box) for v in values)


@primitive()
class SumLike(Box):
    """y = g summed back to the shape of ref (numpy broadcasting undone);
    d g = d y broadcast to g's shape"""

    linear_in = (0,)

    def fprop(self, g, ref):
        return unbroadcast(g, np.shape(ref))

    def bprop(self, grad, g, ref):
        return np.broadcast_to(grad, np.shape(g)), None


def sum_like(g: Any, ref: Any) -> Any:
    """g summed back to ref's shape (see :class:`SumLike`)."""
    return SumLike(g, ref) if on_boxes(g, ref) else unbroadcast(g, np.shape(ref))


@primitive()
class BroadcastLike(Box):
    """y = g broadcast to the shape of ref;   d g = d y summed back to g's shape"""

    linear_in = (0,)

    def fprop(self, g, ref):
        return np.broadcast_to(g, np.shape(ref))

    def bprop(self, grad, g, ref):
        return unbroadcast(grad, np.shape(g)), None


@primitive()
class ZerosLike(Box):
    """y = zeros of ref's shape and dtype;   no gradient"""

    def fprop(self, ref):
        return np.zeros_like(ref)

    def bprop(self, grad, ref):
        return None


@builds(np.zeros_like)
def zeros_like(a: Any, dtype: Any = None, order: str = "K", subok: bool = True,
               shape: Any = None) -> Box:
    """``np.zeros_like(box)``: a ZerosLike box (numpy's dtype, order and shape are not
    settings of a box)."""
    if dtype is not None or shape is not None:
        raise TypeError("np.zeros_like(box, ...) takes no dtype= or shape=: the zeros "
                        "have the box's shape and dtype.")
    return ZerosLike(a)


@primitive()
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


@primitive()
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


@primitive("stop_gradient", graphs=False)
class StopGradient(Box):
    """y = a;   no gradient flows back (d a = 0): a value used as a constant"""

    def fprop(self, a):
        return a

    def bprop(self, grad, a):
        return None


def _part(of: Box, position: int, grad: Any, values: Any) -> Any:
    """Input ``position``'s gradient by ``of``'s bprop (by its ``bprop_input`` when it
    has one, which computes that input's alone)."""
    part = getattr(of, "bprop_input", None)
    if part is not None:
        return part(position, grad, *values)
    result = of.bprop(grad, *values)
    return (result,) if len(values) == 1 and not isinstance(result, (tuple, list)) \
        else tuple(result)[position]


def _rebuilt(box: Box, inputs: list[Any]) -> Box:
    """A box of ``box``'s class and settings (axis, shape, ...) on other inputs."""
    clone = object.__new__(type(box))
    clone.__dict__.update(box.__dict__)
    Box.__init__(clone, *inputs, name=box.name)
    return clone


def applied(of: Box, inputs: list[Any]) -> Any:
    """``of``'s operation on other inputs: its value for arrays, a box like it for boxes."""
    return _rebuilt(of, inputs) if on_boxes(*inputs) else of.fprop(*inputs)


@primitive()
class Adjoint(Box):
    """The gradient of a (multi)linear box y = L(x_1, ..., x_n) for one input k, as a box:
    d x_k = L_k^T d y, computed by L's own bprop (``of.bprop``) and summed back to x_k's
    shape where L broadcast it.

    Its inputs are (d y, x_1, ..., x_n). Differentiating it again needs no new formula:
    the adjoint of L_k^T is L_k, so d (d y) is L evaluated with x_k replaced by the
    incoming gradient (the other inputs it is linear in set to zero when L is linear in
    them jointly, kept when it is multilinear); and when L is multilinear,
    d x_j = L_j^T d y evaluated with x_k replaced by the incoming gradient.
    Inputs outside ``of.linear_in`` (labels, indices, masks) are parameters of L: kept
    as they are, never differentiated. A box may define ``bprop_input(position, grad,
    *values)`` (MatMul does) so that an adjoint computes its one product only.
    """

    def __init__(self, grad: Box, of: Box, position: int) -> None:
        self.of, self.position = of, position
        super().__init__(grad, *of.inputs, name=f"{type(of).__name__.lower()}^T")

    @property
    def runs_user_code(self) -> bool:  # type: ignore[override]
        """Whether ``of`` is a user's box (which may declare itself linear)."""
        return opaque(self.of)

    def fprop(self, grad, *values):
        return unbroadcast(_part(self.of, self.position, grad, values),
                           np.shape(values[self.position]))

    def _replaced(self, values: tuple[Any, ...], incoming: Any) -> list[Any]:
        """The inputs of ``of`` with x_k := incoming (and, for a jointly linear box, the
        other linear inputs := zeros)."""
        replaced = list(values)
        replaced[self.position] = incoming
        if not self.of.multilinear:
            for j in self.of.linear_in:
                if j != self.position:
                    replaced[j] = np.zeros_like(values[j])
        return replaced

    def bprop(self, grad, dy, *values):
        replaced = self._replaced(values, grad)
        grads: list[Any] = [None] * len(values)
        if self.of.multilinear:
            for j in self.of.linear_in:
                if j != self.position:
                    if on_boxes(dy, *replaced):
                        grads[j] = Adjoint(dy, _rebuilt(self.of, replaced), j)
                    else:
                        grads[j] = _part(self.of, j, dy, replaced)
        return (applied(self.of, replaced), *grads)


@primitive()
class AstypeLike(Box):
    """y = x converted to ref's dtype;   d x = d y converted back to x's dtype"""

    linear_in = (0,)

    def fprop(self, x, ref):
        return np.asarray(x).astype(np.result_type(ref), copy=False)

    def bprop(self, grad, x, ref):
        return np.asarray(grad).astype(np.result_type(x), copy=False), None


def astype_like(x: Any, ref: Any) -> Any:
    """x converted to ref's dtype (see :class:`AstypeLike`)."""
    if on_boxes(x, ref):
        return AstypeLike(x, ref)
    return np.asarray(x).astype(np.result_type(ref), copy=False)


@primitive()
class NumericBprop(Box):
    """A user box's numeric ``bprop`` for one input as a box, for bprops that work on
    arrays only: d x_k = of.bprop(d y, x_1, ..., x_n)[k], summed back to x_k's shape.
    Its inputs are (d y, the box itself, x_1, ..., x_n), so the box's value is computed
    first; it cannot be differentiated (a clear error says why)."""

    runs_user_code = True

    def __init__(self, grad: Box, of: Box, position: int) -> None:
        self.of, self.position = of, position
        super().__init__(grad, of, *of.inputs, name=f"bprop of {of.name}")

    def fprop(self, grad, value, *values):
        gradient = one_per_input(self.of.bprop(grad, *values), self.of)[self.position]
        if gradient is None:
            return np.zeros_like(values[self.position])
        return unbroadcast(np.asarray(gradient), np.shape(values[self.position]))

    def bprop(self, grad, *values):
        of = self.of
        raise BoxError(
            f"a second derivative through {describe(of)} needs its bprop to run on boxes, "
            "and it works on arrays only: write it with operators and numpy or af functions "
            "of its arguments and of self.value (the box's output), without converting them "
            "to arrays, reading self.inputs, or reading what fprop stored on the box. Its "
            "numeric bprop gives first derivatives only.")
