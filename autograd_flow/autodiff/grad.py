"""Gradients as flow graphs: :func:`grad` writes d output / d wrt with boxes, so a
gradient can be run, drawn and differentiated again.

``grad`` does what :meth:`FlowGraph.bprop` does, once, with boxes instead of numbers:
it visits the boxes in reverse topological order and runs each box's own ``bprop`` on
boxes (numpy's calls on boxes build boxes; ``self.value`` is the box itself), sums the
gradients of a box used several times with Add boxes in the order bprop sums them, and
undoes broadcasting with SumLike boxes where bprop calls ``unbroadcast``. So the boxes
evaluate to the numbers bprop gives, bit for bit. A box linear in its inputs is
differentiated through its bprop itself (:class:`~autograd_flow.ops.plumbing.Adjoint`).

A user's box whose bprop works only on arrays (it converts its arguments to arrays,
reads a cache its fprop set, reads ``self.inputs``) runs its numeric bprop as one box
(:class:`~autograd_flow.ops.plumbing.NumericBprop`): first derivatives are right, and
a second derivative through it is a clear error naming the box, never a wrong number.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.box import Box, Constant, Leaf, as_box
from ..core.order import needs, topological_order
from ..core.scope import scope
from ..core.twin import Twin, run_state
from ..errors import FlowGraphError, describe, one_per_input
from ..ops.arithmetic import Add
from ..ops.plumbing import Adjoint, NumericBprop, Seed, SeedAs, SumLike, ZerosLike


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
    targets: list[Box] = [wrt] if isinstance(wrt, Box) else list(wrt)
    order = topological_order([output])
    members = set(map(id, order))
    for target in targets:
        _check_target(target, output, members)
    needed = needs(order, targets)
    grads: dict[int, Box] = {}
    if id(output) in needed:
        grads[id(output)] = Seed(output, name="seed") if seed is None else SeedAs(
            as_box(seed), output, name="seed")
    for box in reversed(order):
        upstream = grads.get(id(box))
        if upstream is None or isinstance(box, Leaf):
            continue
        wanted = [id(i) in needed for i in box.inputs]
        if not any(wanted):
            continue
        with scope("bprop", f"d {box.name}", of=box):
            contributions = box_gradients(box, upstream, wanted)
            for source, want, contribution in zip(box.inputs, wanted, contributions):
                if not want or contribution is None:
                    continue
                if len(box.inputs) > 1:
                    contribution = SumLike(contribution, source, name="unbroadcast")
                previous = grads.get(id(source))
                grads[id(source)] = contribution if previous is None else Add(
                    previous, contribution, name=f"d {source.name}")
    result: list[Box] = [grads[id(t)] if id(t) in grads else ZerosLike(t, name=f"d {t.name}")
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


def box_gradients(box: Box, upstream: Box, wanted: list[bool]) -> tuple[Box | None, ...]:
    """The box's gradient per input as boxes (None where there is none): its bprop run on
    boxes, the adjoint of a linear box, or its numeric bprop as one box."""
    cls = type(box)
    bprop: Any = cls.bprop  # run on the box's twin (see :func:`twin`)
    legacy = getattr(box, "bprop_boxes", None)  # a second method, still accepted
    if legacy is not None:
        return _as_boxes(legacy(upstream, *box.inputs), box, "bprop_boxes")
    if box.linear_in:  # a class setting, or a box's own when it has inputs of any count
        return tuple(Adjoint(upstream, box, k) if k in box.linear_in and want else None
                     for k, want in enumerate(wanted))
    if cls.primitive:  # the one formula of a primitive runs on boxes by construction
        return _as_boxes(bprop(twin(box), upstream, *box.inputs), box)
    try:
        return _as_boxes(bprop(twin(box), upstream, *box.inputs), box)
    except Exception:  # noqa: BLE001 (any failure on boxes: the numeric bprop, first order)
        return tuple(NumericBprop(upstream, box, k) if want else None
                     for k, want in enumerate(wanted))


def _as_boxes(result: Any, box: Box, method: str = "bprop") -> tuple[Box | None, ...]:
    """What a bprop run on boxes returned, one box per input (a number or an array is
    a constant gradient)."""
    gradients = one_per_input(result, box, method)
    return tuple(None if g is None else as_box(g) for g in gradients)


def twin(box: Box) -> Twin:
    """The box as its bprop sees it when it runs on boxes: its settings, ``value`` the
    box itself, and neither its ``inputs`` (a bprop reads its arguments) nor what its
    fprop stored on it (run-time state)."""
    return Twin(box, box, run_state(box) | {"inputs"})
