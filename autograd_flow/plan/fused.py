"""The whole step as one numba function (``FlowGraph(..., jit=True)`` driven by an
``af.optim`` optimizer): :func:`write` turns a traced step (:mod:`.step`) into the
source of one function that runs fprop, bprop and the optimizer's update, so one
Python call runs one training step, with no Python between the kernels.

What it writes, from the tape (the formulas' own numpy calls, nothing else):

- elementwise ufuncs (broadcast as numpy does) as loops: consecutive ones of one shape
  share one loop nest, a call whose only readers are in a later nest of its shape moves
  into that nest, and a value that nothing outside its nest reads stays in a register;
- matrix products as ``np.dot`` into their buffers (BLAS, as numpy calls it);
- reductions (sum, max, min, prod over axes), ``vdot`` (BLAS's dot), transposes,
  reshapes, basic slices, gathers ``a[rows, labels]`` and the cross-entropy's in-place
  scatter, whose indices are bounds-checked (one out of range: the function returns 1
  before any update, and the interpreter's step names the error);
- the loss checked to be finite before any update (a NaN: it returns 2, nothing
  updated), then the optimizer's update (:data:`UPDATES`), each Parameter's inside the
  loop that makes its gradient when nothing reads the Parameter after it;
- other checks of a step (made by a rewrite) run before the call, in Python.

Anything else (a user's box, a call the list lacks) raises :class:`Unsupported`: the
graph then runs its plan, as without the whole-step compile. Every stored value is a
view of one array per dtype (the arena), so a box's ``.value`` after the step is a
view made once; the gradients of the Parameters are new arrays each step.

Numbers: the same formulas in the same order, but sums add one by one where numpy adds
pairwise, exp and log are LLVM's, and a float32 tanh is Eigen's rational form (within 6
ulp of numpy's): not bit for bit the interpreter (the tests state the tolerance).
"""
from __future__ import annotations

import numpy as np

from .fused_emit import HELPERS, UPDATES, Emitter, ident
from .fused_layout import Layout, Unsupported, Update, scalar
from .step import Step

__all__ = ["Layout", "Unsupported", "Update", "UPDATES", "write"]


def write(step: Step, update: Update | None) -> tuple[str, Layout]:
    """The source of ``step(L..., C..., A_<dtype>..., G..., P..., B..., h...)`` for a
    traced step and an optimizer's update (None: fprop and bprop only), and where it
    keeps each value. Unsupported when the step has a call it does not write."""
    if not step.with_bprop:
        raise Unsupported("a bprop the plan leaves to the interpreter")
    w = Emitter(step, update)
    w.plan()
    layout = w.layout
    for at, (kind, offset, shape) in layout.slots.items():
        if kind == "G":
            w.names[at] = f"G{offset}"
        elif shape:
            w.names[at] = f"t{at}"
    prologue = [f"    t{i} = A_{ident(k)}[{o}:{o + int(np.prod(s))}].reshape({s!r})"
                for i, (k, o, s) in layout.slots.items() if k != "G" and s]
    if update is not None:
        leaf = {id(b): k for k, b in enumerate(layout.leaves)}
        w.params = [f"L{leaf[id(p)]}" if id(p) in leaf else f"P{n}"
                    for n, p in enumerate(update.params)]
        layout.passed = [n for n, p in enumerate(update.params) if id(p) not in leaf]
    output = step.values[id(step.schedule.outputs[0])].node
    if update is not None and not scalar(output.value):
        raise Unsupported("an update from an output that is not one number")
    w.updated_in = w.updates_in_loops() if update is not None else {}
    if w.updated_in:  # the step's numbers in the Parameters' dtype, for those updates
        dtype = update.params[0].value.dtype.name  # type: ignore[union-attr]
        prologue += [f"    h{h} = np.{dtype}(H{h})" for h in range(len(update.scalars))]  # type: ignore[union-attr]
    w.check_finite = output.index if update is not None else -1
    w.emit()
    for box in step.schedule.wrt:  # a gradient that is a view or shared: copied out
        traced = step.grads.get(id(box))
        if traced is None or any(b is box for b in layout.grads):
            continue
        shape = np.shape(traced.node.value)
        w.line(f"# the gradient of {box.name}, a new array")
        indent = w.loops(shape)
        index = ", ".join(f"i{d}" for d in range(len(shape))) or "()"
        dtype = np.asarray(traced.node.value).dtype
        w.line(f"G{len(layout.grads)}[{index}] = {w.read(traced.node, shape, dtype)}", indent)
        layout.grads.append(box)
    body = w.lines
    update_lines: list[str] = []
    if update is not None:
        position = {id(b): k for k, b in enumerate(layout.grads)}
        done = set(w.updated_in.values())
        for n, p in enumerate(update.params):
            if id(p) not in position or p.value.dtype.kind != "f":
                raise Unsupported(f"the update of Parameter {p.name}")
            if n in done:
                continue
            update_lines += [f"    h{h} = np.{p.value.dtype.name}(H{h})"
                             for h in range(len(update.scalars))]
            w.lines, w.group = [], set()
            shape = p.value.shape
            indent = w.loops(shape)
            index = ", ".join(f"i{d}" for d in range(len(shape))) or "()"
            update_lines += w.lines
            update_lines += w.update_code(n, f"G{position[id(p)]}[{index}]", index, indent)
    arguments = [f"L{k}" for k in range(len(layout.leaves))] + \
        [f"C{k}" for k in range(len(layout.constants))] + \
        [f"A_{ident(k)}" for k in layout.sizes] + [f"G{k}" for k in range(len(layout.grads))]
    if update is not None:
        arguments += [f"P{n}" for n in layout.passed]
        arguments += [f"B{b}_{n}" for b in range(len(update.buffers))
                               for n in range(len(update.params))]
        arguments += [f"H{h}" for h in range(len(update.scalars))]
    source = "\n".join([
        '"""One training step of an autograd_flow graph, written by autograd_flow.plan.fused',
        '(fprop, bprop and the update in one call). Generated: do not edit."""',
        "import numba", "import numpy as np", HELPERS, "",
        '@numba.njit(cache=True, error_model="numpy", nogil=True)',
        f"def step({', '.join(arguments)}):",
        *prologue, *body, *update_lines, "    return 0", ""])
    return source, layout
