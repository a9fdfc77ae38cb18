"""Compiling a FlowGraph for one input signature into straight-line Python.

:func:`compile_plan` reads the graph and the values of its last (interpreted) fprop,
and writes one function pair::

    def fprop():      # every box in topological order, one line or a few each
    def bprop(seed):  # the boxes of the bprop plan in reverse, only wanted gradients

Templates (:mod:`.templates`) write the hot primitives as numpy calls into the plan's
buffers; rewrites (:mod:`.rewrites`) replace patterns of primitives; every other box
runs its own bound fprop/bprop. A gradient with one source is that source's array;
several are summed in place where the accumulator is the plan's own; no gradient is
zero-filled to be added to (zeros appear only where a wanted gradient has no source,
and in a jit run's table). Gradients handed to the user are never buffers.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.box import Box, Constant, Leaf
from ..core.broadcast import summed_axes
from ..core.interpreter import checked_bprop, checked_fprop
from ..core.order import Schedule
from . import jit
from .rewrites import REWRITES, Match
from .templates import Site, _contiguous, _result, template_for
from .writer import Grad, Writer


@dataclass
class Plan:
    """The generated code of one signature: ``fprop()`` returns the outputs' values,
    ``bprop(seed)`` the gradients of ``wrt`` (a tuple, in order); ``source`` is the
    Python code itself."""

    source: str
    fprop: Callable[[], Any]
    bprop: Callable[[Any], tuple[Any, ...]]
    #: the arrays the plan writes into every step (its buffers and jit tables)
    written: tuple[np.ndarray, ...] = ()

    def __post_init__(self) -> None:
        self._owners = frozenset(map(id, self.written))

    def shares_memory(self, value: Any) -> bool:
        """Whether ``value`` lies in memory the plan writes during a step (the
        ``.value`` of a box fed back as the next step's input, say): the step would
        overwrite its own input before bprop reads it."""
        if not self.written or not isinstance(value, np.ndarray):
            return False
        owner = value
        while isinstance(owner, np.ndarray) and owner.base is not None:
            owner = owner.base
        if isinstance(owner, np.ndarray):
            return id(owner) in self._owners
        return any(np.may_share_memory(value, array) for array in self.written)


def _is_number(box: Box) -> bool:
    """A Constant holding a finite Python number: written into the code as it is."""
    return isinstance(box, Constant) and type(box.value) in (int, float) and \
        math.isfinite(box.value)


def find_rewrites(graph: Schedule) -> dict[int, Match]:
    """Non-overlapping matches, the inner boxes of each read only inside it and neither
    an output nor asked for in wrt; keyed by id of the pattern's output."""
    consumers: dict[int, list[Box]] = {}
    for box in graph.order:
        for source in box.inputs:
            consumers.setdefault(id(source), []).append(box)
    protected = set(map(id, graph.outputs)) | set(map(id, graph.wrt))
    taken: set[int] = set()
    found: dict[int, Match] = {}
    for box in reversed(graph.order):
        if isinstance(box, Leaf) or id(box) in taken:
            continue
        for rewrite in REWRITES:
            match = rewrite.match(box)
            if match is None:
                continue
            inner = {id(b) for b in match.inner}
            allowed = inner | {id(box)}
            if inner & (protected | taken) or any(
                    id(c) not in allowed for i in inner for c in consumers.get(i, ())):
                continue
            found[id(box)] = match
            taken |= allowed
            break
    return found


class _Compiler:
    def __init__(self, graph: Schedule, jit_runs: bool) -> None:
        self.graph = graph
        # (box, ((position, input), ...)) in bprop order; position -1: a primitive of
        # one input returns its gradient bare, not in a tuple
        self.steps = [(step.box, tuple((-1 if step.box.primitive and len(step.box.inputs) == 1
                                        else k, source) for k, source in step.targets))
                      for step in graph.steps]
        self.w = Writer()
        self.rewrites = find_rewrites(graph)
        self.inner = {id(b) for m in self.rewrites.values() for b in m.inner}
        self.var: dict[int, str] = {}
        self.bound: dict[int, str] = {}
        for box in graph.order:
            if _is_number(box):  # a number is written into the code as it is
                self.var[id(box)] = repr(box.value)
            else:
                self.var[id(box)] = self.w.identifier(box.name)
        for box in graph.order:
            self.bound[id(box)] = self.w.bind(box, box.name + "_box")
        self.output_ids = set(map(id, graph.outputs))
        self.in_run: set[int] = set()
        self.kernels: dict[int, jit.Run] = {}  # id of a run's last box -> its kernels (jit)
        if jit_runs:
            skip = self.inner | set(self.rewrites) | set(map(id, graph.wrt))
            for run in jit.runs(graph.order, skip):
                self.in_run |= {id(b) for b in run}
                kernels = self.kernels[id(run[-1])] = jit.Run(run, self._incoming(run),
                                                              set(graph.needs))
                self.w.written += [kernels.table, kernels.grads]

    def _incoming(self, run: list[Box]) -> list[Box]:
        """The boxes of a run whose gradient comes from outside it (the seed, or a box
        whose bprop runs)."""
        members = {id(b) for b in run}
        reached = {id(b) for b, _ in self.steps}
        consumers: dict[int, list[Box]] = {}
        for box in self.graph.order:
            for source in box.inputs:
                consumers.setdefault(id(source), []).append(box)
        return [b for b in run if b is self.graph.outputs[0] or any(
            id(c) not in members and id(c) in reached for c in consumers.get(id(b), ()))]

    def jit_fprop(self, kernels: jit.Run) -> None:
        """One numba call for a whole run. Every box's value is a row of the run's table,
        set once (again only when something else wrote a value into the run); an output
        gets a copy."""
        w, run = self.w, kernels.boxes
        name = w.bind(kernels, f"{self.var[id(run[-1])]}_run")
        pairs = w.bind(tuple(zip(run, kernels.values)), f"{self.var[id(run[-1])]}_rows")
        first = w.bind(kernels.values[0], f"{self.var[id(run[0])]}_row")
        w.line(f"# {len(run)} boxes from {run[0].name} to {run[-1].name}: one numba call "
               "(jit)")
        w.line(f"{name}.fprop({', '.join(self.var[id(i)] for i in kernels.inputs)})")
        w.line(f"if {self.bound[id(run[0])]}.__dict__.get('value') is not {first}:")
        w.line(f"    for box, row in {pairs}:")
        w.line("        box.value, box.grad = row, None")
        read = {id(i) for b in self.graph.order if id(b) not in self.in_run for i in b.inputs}
        for k, box in enumerate(run):
            if id(box) in self.output_ids:
                w.line(f"{self.var[id(box)]} = {self.bound[id(box)]}.value = "
                       f"{name}.values[{k}].copy()")
            elif id(box) in read:
                row = w.bind(kernels.values[k], self.var[id(box)] + "_row")
                w.line(f"{self.var[id(box)]} = {row}")

    def jit_bprop(self, kernels: jit.Run) -> None:
        """One numba call: the gradients arriving from outside the run in, the gradients
        of the run's inputs out (new arrays)."""
        w, run = self.w, kernels.boxes
        dtype = np.asarray(run[0].value).dtype
        arriving = []
        for box in kernels.incoming:
            g = self.grads.get(id(box))
            arriving.append("None" if g is None else g.name)
        made = [w.identifier(f"d_{self.var[id(s)]}_from_{self.var[id(run[-1])]}")
                for s in kernels.sources]
        w.line(f"# {len(run)} boxes from {run[-1].name} back to {run[0].name}: one numba "
               "call (jit)")
        target = f"{', '.join(made)}," if made else "_"
        w.line(f"{target} = {self.var[id(run[-1])]}_run.bprop({', '.join(arriving)})")
        for source, name in zip(kernels.sources, made):
            self.accumulate(source, (Grad(name, "fresh"), dtype), False)

    # -- fprop -----------------------------------------------------------------------
    def site(self, box: Box) -> Site:
        value = np.asarray(box.value)
        return Site(box, self.var[id(box)], [self.var[id(i)] for i in box.inputs],
                    value.shape, value.dtype,
                    [np.shape(i.value) for i in box.inputs],
                    [i.value if _is_number(i) else np.asarray(i.value).dtype
                     for i in box.inputs],
                    buffered=id(box) not in self.output_ids, c=_contiguous(box.value),
                    in_c=[_contiguous(i.value) for i in box.inputs])

    def fprop(self) -> tuple[list[str], tuple[Box, ...]]:
        w = self.w
        lazy = tuple(b for b in self.graph.order if id(b) in self.inner)
        w.lines, w.indent = [], 1
        if lazy:  # values of boxes inside rewrites: computed from their inputs when read
            w.line(f"for attributes in {w.bind(tuple(b.__dict__ for b in lazy), 'lazy')}:")
            w.line("    attributes.pop('value', None)")
        for box in self.graph.order:
            v, b = self.var[id(box)], self.bound[id(box)]
            if isinstance(box, Leaf):
                if not _is_number(box):
                    w.line(f"{v} = {b}.value")
                continue
            if id(box) in self.inner:
                continue
            if id(box) in self.in_run:
                if id(box) in self.kernels:
                    self.jit_fprop(self.kernels[id(box)])
                continue
            match = self.rewrites.get(id(box))
            if match is not None:
                w.line(f"# {box.name}: {type(match.rewrite).__name__} of "
                       f"{', '.join(i.name for i in match.inputs)}   [{box.created_at}]")
                site = self.site(box)
                match.rewrite.fprop(w, match, v, [self.var[id(i)] for i in match.inputs],
                                    site.buffered, site.shape, site.dtype)
            else:
                w.comment(box)
                site = self.site(box)
                template = template_for(box, site)
                if template is not None:
                    template.fprop(w, site)
                else:
                    self.generic_fprop(box, site)
            w.line(f"{b}.value = {v}")
        outputs = [self.var[id(o)] for o in self.graph.outputs]
        w.line(f"return {outputs[0] if len(outputs) == 1 else '(' + ', '.join(outputs) + ',)'}")
        return w.lines, lazy

    def generic_fprop(self, box: Box, site: Site) -> None:
        w = self.w
        method = box.fprop if box.primitive else checked_fprop(box)
        call = w.bind(method, site.out + "_fprop")
        w.line(f"{site.out} = {call}({', '.join(site.args)})")
        if not box.primitive or getattr(box, "data_dependent_shape", False):
            w.line(f"if np.shape({site.out}) != {site.shape}:")
            w.line("    raise Fallback")

    # -- bprop -----------------------------------------------------------------------
    def bprop(self) -> list[str]:
        w = self.w
        w.lines, w.indent = [], 1
        graph = self.graph
        wrt_ids = [id(b) for b in graph.wrt]
        entries = [(box, targets) for box, targets in self.steps
                   if id(box) not in self.inner]
        self.grads: dict[int, Grad] = {}
        self.gdtypes: dict[int, Any] = {}
        arriving = {id(b) for k in self.kernels.values() for b in k.incoming}
        cleared = w.bind(tuple(b for b in graph.reset if id(b) not in self.in_run
                               or id(b) in arriving), "with_gradients")
        w.line(f"for box in {cleared}:  # last step's gradients go before the new ones come")
        w.line("    box.grad = None")
        output = graph.outputs[0]
        self.grads[id(output)] = Grad("seed", "alias", c=np.ndim(output.value) == 0)
        self.gdtypes[id(output)] = np.asarray(output.value).dtype
        for box, targets in entries:
            if id(box) in self.in_run:
                if id(box) in self.kernels:
                    self.jit_bprop(self.kernels[id(box)])
                continue
            g = self.grads.get(id(box))
            if g is None:
                continue
            sources = self._sources(box, targets)
            if not sources:
                continue
            guarded = g.maybe_none
            if guarded:
                w.line(f"if {g.name} is not None:")
                w.indent += 1
            contributions = self.contributions(box, g, sources, wrt_ids)
            for (_, source), contribution in zip(sources, contributions):
                if contribution is None:
                    continue
                self.accumulate(source, contribution, guarded)
            if guarded:
                w.indent -= 1
        self.finish(wrt_ids)
        return w.lines

    def _sources(self, box: Box, targets: Any) -> list[tuple[int, Box]]:
        match = self.rewrites.get(id(box))
        if match is None:
            return [(max(position, 0), source) for position, source in targets]
        needs = self.graph.needs
        return [(k, source) for k, source in enumerate(match.inputs) if id(source) in needs]

    def contributions(self, box: Box, g: Grad, sources: list[tuple[int, Box]],
                      wrt_ids: list[int]) -> list[tuple[Grad, Any] | None]:
        """The box's gradient for each source (position, source), as Grads."""
        w = self.w
        gdtype = self.gdtypes.get(id(box))
        match = self.rewrites.get(id(box))
        inputs = match.inputs if match is not None else list(box.inputs)
        wanted = tuple(any(k == position for position, _ in sources)
                       for k in range(len(inputs)))
        # a contribution to a wrt gradient is a new array: it is handed to the user (or
        # summed into the one that is), so no buffer of the plan's holds its memory
        fresh = tuple(any(k == position and id(source) in wrt_ids
                          for position, source in sources) for k in range(len(inputs)))
        if match is not None:
            w.line(f"# {box.name}: {type(match.rewrite).__name__} (bprop)   [{box.created_at}]")
        else:
            w.comment(box, "   (bprop)")
        if match is not None:
            shapes = [np.shape(i.value) for i in inputs]
            dtypes = [np.asarray(i.value).dtype for i in inputs]
            made = match.rewrite.bprop(w, match, self.var[id(box)],
                                       [self.var[id(i)] for i in inputs], g, gdtype,
                                       wanted, fresh, shapes, dtypes)
            return [made[position] for position, _ in sources]
        site = self.site(box)
        site.first = tuple(id(i) not in self.grads for i in box.inputs)
        template = template_for(box, site) if gdtype is not None else None
        if template is not None:
            made = template.bprop(w, site, g, gdtype, wanted, fresh)
            result = []
            for position, source in sources:
                item = made[position]
                if item is not None and template.broadcasts:
                    item = self.unbroadcast(item, site, position, source)
                result.append(item)
            return result
        return self.generic_bprop(box, site, g, sources)

    def unbroadcast(self, item: tuple[Grad, Any], site: Site, position: int,
                    source: Box) -> tuple[Grad, Any]:
        """Sum a contribution of the broadcast shape back to its source's shape, with the
        calls ``unbroadcast`` makes."""
        grad, dtype = item
        shape, target = tuple(site.shape), tuple(np.shape(source.value))
        if shape == target:
            return item
        w = self.w
        name = w.identifier(f"{grad.name}_summed")
        leading, stretched = summed_axes(shape, target)
        expression = grad.name
        if leading:
            expression = f"{expression}.sum(axis={leading})"
        if stretched:
            expression = f"{expression}.sum(axis={stretched}, keepdims=True)"
        w.line(f"{name} = {expression}")
        return Grad(name, "fresh", c=grad.c), dtype

    def generic_bprop(self, box: Box, site: Site, g: Grad,
                      sources: list[tuple[int, Box]]) -> list[tuple[Grad, Any] | None]:
        w = self.w
        method = box.bprop if box.primitive else checked_bprop(box)
        call = w.bind(method, site.out + "_bprop")
        result = w.identifier(f"d_{site.out}_inputs")
        w.line(f"{result} = {call}({g.name}, {', '.join(site.args)})")
        bare = box.primitive and len(box.inputs) == 1
        items: list[tuple[Grad, Any] | None] = []
        for position, source in sources:
            name = w.identifier(f"d_{self.var[id(source)]}_from_{site.out}")
            w.line(f"{name} = {result}" if bare else f"{name} = {result}[{position}]")
            shape = tuple(np.shape(source.value))
            w.line(f"if {name} is not None and {name}.shape != {shape}:")
            w.line(f"    {name} = unbroadcast({name}, {shape})")
            items.append((Grad(name, "alias", maybe_none=True), None))
        return items

    def accumulate(self, source: Box, item: tuple[Grad, Any], guarded: bool) -> None:
        w = self.w
        grad, dtype = item
        previous = self.grads.get(id(source))
        target = f"d_{self.var[id(source)]}"
        if previous is None:
            if guarded or grad.maybe_none:
                name = w.identifier(target)
                self.w.lines.insert(0, f"    {name} = None")
                w.line(f"{name} = accumulate({name}, {grad.name})")
                self.grads[id(source)] = Grad(name, "alias", maybe_none=True)
            else:
                self.grads[id(source)] = grad
            self.gdtypes[id(source)] = dtype
            return
        total_dtype = _result(self.gdtypes.get(id(source)), dtype)
        if previous.maybe_none or grad.maybe_none or guarded:
            if not previous.maybe_none:  # make it a variable that may also stay None
                name = w.identifier(target)
                self.w.lines.insert(0, f"    {name} = None")
                w.line(f"{name} = {previous.name}")
                previous = Grad(name, previous.kind, maybe_none=True)
            w.line(f"{previous.name} = accumulate({previous.name}, {grad.name})")
            self.grads[id(source)] = Grad(previous.name, "alias", maybe_none=True)
        elif previous.owned and total_dtype is not None \
                and total_dtype == self.gdtypes.get(id(source)) \
                and np.shape(source.value) != () \
                and (isinstance(source, Leaf) or (previous.c and grad.c)):
            # in place: the same sums, element by element; the layout of the result only
            # matters where the gradient flows on (a leaf's goes nowhere in the plan)
            w.line(f"np.add({previous.name}, {grad.name}, out={previous.name})")
        else:
            name = w.identifier(target)
            w.line(f"{name} = {previous.name} + {grad.name}")
            self.grads[id(source)] = Grad(name, "fresh", c=previous.c and grad.c)
        self.gdtypes[id(source)] = total_dtype

    def finish(self, wrt_ids: list[int]) -> None:
        """Set every box's ``.grad`` and return the gradients of wrt, copied where the
        plan would otherwise hand out an array it writes again (or twice the same)."""
        w = self.w
        wrt = {id(box) for box in self.graph.wrt}  # theirs are set below, with the copies
        for box in self.graph.reset:
            g = self.grads.get(id(box))
            if id(box) not in wrt and id(box) not in self.inner and g is not None and (
                    id(box) not in self.in_run or not g.maybe_none):
                w.line(f"{self.bound[id(box)]}.grad = {g.name}")
        returned = []
        seen: set[str] = set()
        for box in self.graph.wrt:
            g = self.grads.get(id(box))
            if g is not None and not g.maybe_none and g.kind == "fresh" and g.name not in seen:
                name = g.name  # made in this step for this box alone: handed out as it is
            else:
                name = w.identifier(f"d_{self.var[id(box)]}_out")
                if g is None:
                    w.line(f"{name} = np.zeros_like({self.var[id(box)]})")
                elif g.maybe_none:
                    w.line(f"{name} = np.zeros_like({self.var[id(box)]}) if {g.name} is None "
                           f"else np.array({g.name})")
                else:
                    w.line(f"{name} = np.array({g.name})")
            seen.add(g.name if g is not None else name)
            w.line(f"{self.bound[id(box)]}.grad = {name}")
            returned.append(name)
        w.line(f"return ({', '.join(returned)}{',' if returned else ''})")


def compile_plan(graph: Schedule, jit_runs: bool = False) -> Plan:
    """The plan of ``graph`` for the shapes and dtypes of its boxes' current values (set
    by the interpreter's last fprop)."""
    compiler = _Compiler(graph, jit_runs)
    fprop_lines, lazy = compiler.fprop()
    shared = sorted(set(compiler.w.variables))  # what fprop computes, bprop may read
    bprop_lines = compiler.bprop()
    declare = f"    nonlocal {', '.join(shared)}" if shared else ""
    source = "\n".join([
        "def make():",
        *(f"    {name} = None" for name in shared),
        "",
        "    def fprop():",
        declare and "    " + declare,
        *("    " + line for line in fprop_lines),
        "",
        "    def bprop(seed):",
        *("    " + line for line in bprop_lines),
        "",
        "    return fprop, bprop",
    ])
    namespace = dict(compiler.w.namespace)
    exec(compile(source, f"<plan of {graph!r}>", "exec"), namespace)  # noqa: S102
    fprop, bprop = namespace["make"]()
    return Plan(source, fprop, bprop, tuple(compiler.w.written))
