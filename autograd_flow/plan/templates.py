"""Code templates for the primitives that dominate training steps: each writes the same
numpy operations as the box's own fprop and bprop (so the same numbers, bit for bit),
into the plan's buffers where that is safe, and only the gradients that are wanted.
Every other box runs its own bound fprop/bprop from the generated code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import ops
from ..core.box import Box
from ..ops.reduce import reduced_axes
from .writer import Grad, Writer


@dataclass
class Site:
    """One box as the code sees it: the names of its value and of its inputs' values,
    and the shapes and dtypes the plan was made for. ``buffered``: its value may live
    in a buffer of the plan (it is not an output handed to the user)."""

    box: Box
    out: str
    args: list[str]
    shape: tuple[int, ...]
    dtype: Any
    in_shapes: list[tuple[int, ...]]
    in_dtypes: list[Any]  # a Python number's value for a number (numpy's weak scalar)
    buffered: bool
    c: bool = False  # the value is C-contiguous (as the interpreter made it)
    in_c: list[bool] = field(default_factory=list)  # the same for each input
    first: tuple[bool, ...] = ()  # in bprop: which inputs have no gradient yet


def _contiguous(value: Any) -> bool:
    """C-ordered (a number or a 0-d value counts)."""
    return not isinstance(value, np.ndarray) or value.flags.c_contiguous


def _float(dtype: Any) -> bool:
    """A float dtype, or a Python number (weak: it takes the other operand's dtype)."""
    if isinstance(dtype, (int, float)) and not isinstance(dtype, bool):
        return True
    return dtype is not None and np.dtype(dtype).kind == "f"


def _out(w: Writer, s: Site) -> str:
    """``, out=<buffer>`` for a buffered float value the interpreter made C-ordered,
    else nothing (numpy then lays it out as the interpreter did)."""
    if s.buffered and s.c and _float(s.dtype) and s.shape:
        return f", out={w.buffer(s.shape, s.dtype, s.out + '_buf')}"
    return ""


def _scratch(w: Writer, shape: tuple[int, ...], dtype: Any, hint: str, fresh: bool,
             *contiguous: bool) -> str:
    """Where a gradient contribution is written: ``, out=<buffer>`` when it may live in a
    buffer (dtype known, not handed to the user, and its operands C-ordered, so that
    numpy would have made it C-ordered too), else a new array."""
    if fresh or not shape or dtype is None or not _float(dtype) or not all(contiguous):
        return ""
    return f", out={w.buffer(shape, dtype, hint)}"


def _kind(out: str) -> str:
    return "buffer" if out else "fresh"


def _made(name: str, out: str, *contiguous: bool) -> Grad:
    """A contribution just computed: in a buffer, or a new array laid out as its
    operands (C-ordered when they all are)."""
    return Grad(name, _kind(out), c=bool(out) or all(contiguous))


def _result(*dtypes: Any) -> Any:
    """The dtype numpy gives an operation on these dtypes (Python numbers are weak)."""
    if any(d is None for d in dtypes):
        return None
    strong = [d for d in dtypes if not isinstance(d, (int, float))]
    return np.result_type(*strong) if strong else np.result_type(*dtypes)


class Template:
    """fprop writes the value; bprop returns a Grad per input (None where unwanted).
    ``broadcasts``: its gradients have the value's (broadcast) shape, which the plan sums
    back to each input's shape; otherwise they have the input's shape already."""

    broadcasts = False

    def fprop(self, w: Writer, s: Site) -> None:
        raise NotImplementedError

    def bprop(self, w: Writer, s: Site, g: Grad, gdtype: Any, wanted: tuple[bool, ...],
              fresh: tuple[bool, ...]) -> list[tuple[Grad, Any] | None]:
        raise NotImplementedError


class Ufunc(Template):
    """An elementwise box whose fprop is one numpy ufunc call."""

    broadcasts = True

    def __init__(self, ufunc: str, *constants: str) -> None:
        self.ufunc, self.constants = ufunc, constants

    def fprop(self, w: Writer, s: Site) -> None:
        args = ", ".join([*s.args, *self.constants])
        w.line(f"{s.out} = np.{self.ufunc}({args}{_out(w, s)})")


class AddTemplate(Ufunc):
    """y = a + b;   d a = d y,  d b = d y (the same array: an alias)"""

    def __init__(self) -> None:
        super().__init__("add")

    def bprop(self, w, s, g, gdtype, wanted, fresh):
        return [(Grad(g.name, "alias", g.maybe_none, g.c), gdtype) if want else None
                for want in wanted]


class SubTemplate(Ufunc):
    """y = a - b;   d a = d y,  d b = -d y"""

    def __init__(self) -> None:
        super().__init__("subtract")

    def bprop(self, w, s, g, gdtype, wanted, fresh):
        grads: list[tuple[Grad, Any] | None] = [None, None]
        if wanted[0]:
            grads[0] = (Grad(g.name, "alias", c=g.c), gdtype)
        if wanted[1]:
            name = w.identifier(f"d_{s.args[1]}_from_{s.out}")
            out = _scratch(w, s.shape, gdtype, name + "_buf", fresh[1], g.c)
            w.line(f"{name} = np.negative({g.name}{out})")
            grads[1] = (_made(name, out, g.c), gdtype)
        return grads


class MulTemplate(Ufunc):
    """y = a * b;   d a = d y * b,  d b = d y * a"""

    def __init__(self) -> None:
        super().__init__("multiply")

    def bprop(self, w, s, g, gdtype, wanted, fresh):
        grads: list[tuple[Grad, Any] | None] = [None, None]
        for k, other in ((0, 1), (1, 0)):
            if wanted[k]:
                dtype = _result(gdtype, s.in_dtypes[other])
                name = w.identifier(f"d_{s.args[k]}_from_{s.out}")
                layout = (g.c, s.in_c[other])
                out = _scratch(w, s.shape, dtype, name + "_buf", fresh[k], *layout)
                w.line(f"{name} = np.multiply({g.name}, {s.args[other]}{out})")
                grads[k] = (_made(name, out, *layout), dtype)
        return grads


class DivTemplate(Ufunc):
    """y = a / b;   d a = d y / b,  d b = -(d a) * y"""

    def __init__(self) -> None:
        super().__init__("divide")

    def bprop(self, w, s, g, gdtype, wanted, fresh):
        grads: list[tuple[Grad, Any] | None] = [None, None]
        dtype = _result(gdtype, s.in_dtypes[1])
        grad_a = w.identifier(f"d_{s.args[0]}_from_{s.out}")
        layout = (g.c, s.in_c[1])
        out = _scratch(w, s.shape, dtype, grad_a + "_buf", fresh[0] or wanted[1], *layout)
        w.line(f"{grad_a} = np.divide({g.name}, {s.args[1]}{out})")
        made = _made(grad_a, out, *layout)
        if wanted[0]:
            grads[0] = (made, dtype)
        if wanted[1]:
            dtype_b = _result(dtype, s.dtype)
            name = w.identifier(f"d_{s.args[1]}_from_{s.out}")
            out_b = _scratch(w, s.shape, dtype_b, name + "_buf", fresh[1], made.c, s.c)
            w.line(f"{name} = np.multiply(np.negative({grad_a}), {s.out}{out_b})")
            grads[1] = (_made(name, out_b, made.c, s.c), dtype_b)
        return grads


class NegTemplate(Ufunc):
    """y = -a;   d a = -d y"""

    def __init__(self) -> None:
        super().__init__("negative")

    def bprop(self, w, s, g, gdtype, wanted, fresh):
        name = w.identifier(f"d_{s.args[0]}_from_{s.out}")
        out = _scratch(w, s.shape, gdtype, name + "_buf", fresh[0], g.c)
        w.line(f"{name} = np.negative({g.name}{out})")
        return [(_made(name, out, g.c), gdtype)]


class TanhTemplate(Ufunc):
    """y = tanh(a);   d a = d y * (1 - y * y)"""

    def __init__(self) -> None:
        super().__init__("tanh")

    def bprop(self, w, s, g, gdtype, wanted, fresh):
        name = w.identifier(f"d_{s.args[0]}_from_{s.out}")
        dtype = _result(gdtype, s.dtype)
        out = _scratch(w, s.shape, dtype, name + "_buf", fresh[0], g.c, s.c)
        if out:
            w.line(f"{name} = np.multiply({s.out}, {s.out}{out})")
            w.line(f"np.subtract(1, {name}, out={name})")
            w.line(f"np.multiply({g.name}, {name}, out={name})")
        else:
            w.line(f"{name} = {g.name} * (1 - {s.out} * {s.out})")
        return [(_made(name, out, g.c, s.c), dtype)]


class ExpTemplate(Ufunc):
    """y = exp(a);   d a = d y * y"""

    def __init__(self) -> None:
        super().__init__("exp")

    def bprop(self, w, s, g, gdtype, wanted, fresh):
        name = w.identifier(f"d_{s.args[0]}_from_{s.out}")
        dtype = _result(gdtype, s.dtype)
        out = _scratch(w, s.shape, dtype, name + "_buf", fresh[0], g.c, s.c)
        w.line(f"{name} = np.multiply({g.name}, {s.out}{out})")
        return [(_made(name, out, g.c, s.c), dtype)]


class ReluTemplate(Ufunc):
    """y = max(a, 0);   d a = d y * 1[a > 0]"""

    def __init__(self) -> None:
        super().__init__("maximum", "0")

    def bprop(self, w, s, g, gdtype, wanted, fresh):
        name = w.identifier(f"d_{s.args[0]}_from_{s.out}")
        out = _scratch(w, s.shape, gdtype, name + "_buf", fresh[0], g.c, s.in_c[0])
        w.line(f"{name} = np.multiply({g.name}, np.greater({s.args[0]}, 0){out})")
        return [(_made(name, out, g.c, s.in_c[0]), gdtype)]


class SquareTemplate(Template):
    """y = a * a;   d a = 2 a d y"""

    def fprop(self, w, s):
        w.line(f"{s.out} = np.multiply({s.args[0]}, {s.args[0]}{_out(w, s)})")

    def bprop(self, w, s, g, gdtype, wanted, fresh):
        name = w.identifier(f"d_{s.args[0]}_from_{s.out}")
        dtype = _result(gdtype, s.in_dtypes[0])
        out = _scratch(w, s.shape, dtype, name + "_buf", fresh[0], g.c, s.in_c[0])
        w.line(f"{name} = np.multiply(np.multiply(2, {s.args[0]}), {g.name}{out})")
        return [(_made(name, out, g.c, s.in_c[0]), dtype)]


class MatMulTemplate(Template):
    """y = a @ b for 2-D a and b;   d a = d y @ b^T,  d b = (d y^T a)^T (a broadcast
    product when a has one row, as MatMul's bprop)"""

    def fprop(self, w, s):
        w.line(f"{s.out} = np.matmul({s.args[0]}, {s.args[1]}{_out(w, s)})")

    def bprop(self, w, s, g, gdtype, wanted, fresh):
        a, b = s.args
        grads: list[tuple[Grad, Any] | None] = [None, None]
        if wanted[0]:  # a matmul: always a new C-ordered array, as numpy makes it
            dtype = _result(gdtype, s.in_dtypes[1])
            name = w.identifier(f"d_{a}_from_{s.out}")
            out = _scratch(w, s.in_shapes[0], dtype, name + "_buf", fresh[0])
            w.line(f"{name} = np.matmul({g.name}, np.swapaxes({b}, -1, -2){out})")
            grads[0] = (_made(name, out, True), dtype)
        if wanted[1]:
            dtype = _result(s.in_dtypes[0], gdtype)
            name = w.identifier(f"d_{b}_from_{s.out}")
            if s.in_shapes[0][0] == 1:
                layout = (s.in_c[0], g.c)
                out = _scratch(w, s.in_shapes[1], dtype, name + "_buf", fresh[1], *layout)
                w.line(f"{name} = np.multiply({a}.T, {g.name}{out})")
                grads[1] = (_made(name, out, *layout), dtype)
            else:  # (d y^T a)^T, as transposed_product computes it: a transposed view
                out = _scratch(w, s.in_shapes[1][::-1], dtype, name + "_buf", fresh[1])
                w.line(f"{name} = np.matmul({g.name}.T, {a}{out}).T")
                grads[1] = (Grad(name, _kind(out)), dtype)
        return grads


class TransposeTemplate(Template):
    """y = a transposed (a view);   d a = d y transposed back (a view)"""

    def fprop(self, w, s):
        axes = s.box.axes
        w.line(f"{s.out} = np.transpose({s.args[0]}{'' if axes is None else ', ' + repr(axes)})")

    def bprop(self, w, s, g, gdtype, wanted, fresh):
        axes = s.box.axes
        name = w.identifier(f"d_{s.args[0]}_from_{s.out}")
        if axes is None:
            w.line(f"{name} = np.transpose({g.name})")
        else:
            back = tuple(int(k) for k in np.argsort([axis % len(s.shape) for axis in axes]))
            w.line(f"{name} = np.transpose({g.name}, {back})")
        return [(Grad(name, "alias", g.maybe_none, g.c and len(s.shape) <= 1), gdtype)]


class ReshapeTemplate(Template):
    """y = a with a new shape (a view);   d a = d y with a's shape (a view)"""

    def fprop(self, w, s):
        w.line(f"{s.out} = np.reshape({s.args[0]}, {s.shape})")

    def bprop(self, w, s, g, gdtype, wanted, fresh):
        name = w.identifier(f"d_{s.args[0]}_from_{s.out}")
        w.line(f"{name} = np.reshape({g.name}, {tuple(s.in_shapes[0])})")
        return [(Grad(name, "alias", g.maybe_none, g.c), gdtype)]


class SumTemplate(Template):
    """y = sum of a over axis;   d a = d y broadcast back over the summed axes"""

    def fprop(self, w, s):
        keepdims = s.box.keepdims
        w.line(f"{s.out} = np.add.reduce({s.args[0]}, axis={_axes(s)}, keepdims={keepdims})")

    def _spread(self, w: Writer, s: Site, value: str, gdtype: Any, fresh: bool) -> Grad:
        """The broadcast view the box's bprop makes (a copy into a buffer would be laid
        out otherwise, and sums over it would add in another order)."""
        axes = _axes(s)
        kept = tuple(1 if k in axes else side for k, side in enumerate(s.in_shapes[0]))
        name = w.identifier(f"d_{s.args[0]}_from_{s.out}")
        shape = tuple(s.in_shapes[0])
        w.line(f"{name} = np.broadcast_to(np.reshape({value}, {kept}), {shape})")
        return Grad(name, "alias")

    def bprop(self, w, s, g, gdtype, wanted, fresh):
        return [(self._spread(w, s, g.name, gdtype, fresh[0]), gdtype)]


class MeanTemplate(SumTemplate):
    """y = mean of a over axis (n entries each);   d a = d y / n broadcast back"""

    def fprop(self, w, s):
        axes = _axes(s)
        keepdims = s.box.keepdims
        w.line(f"{s.out} = np.add.reduce({s.args[0]}, axis={axes}, keepdims={keepdims}) / "
               f"{_count(s)}")

    def bprop(self, w, s, g, gdtype, wanted, fresh):
        count = _count(s)
        scaled = w.identifier(f"{g.name}_over_n")
        w.line(f"{scaled} = {g.name} / {count}")
        return [(self._spread(w, s, scaled, gdtype, fresh[0]), gdtype)]


class VdotTemplate(Template):
    """y = a . b (flattened);   d a = d y * b,  d b = d y * a; for vdot(W, W), the two
    contributions 2 (d y W) as one array, (d y * 2) W, when W has no gradient yet
    (doubling is exact, so the sum is the same to the bit)"""

    def fprop(self, w, s):
        w.line(f"{s.out} = np.vdot({s.args[0]}, {s.args[1]})")

    def bprop(self, w, s, g, gdtype, wanted, fresh):
        grads: list[tuple[Grad, Any] | None] = [None, None]
        same = s.box.inputs[0] is s.box.inputs[1]
        first = s.first or (False, False)
        for k, other in ((0, 1), (1, 0)):
            if not wanted[k] or (same and k == 1 and grads[0] is not None and first[0]):
                continue
            dtype = _result(gdtype, s.in_dtypes[other])
            name = w.identifier(f"d_{s.args[k]}_from_{s.out}")
            out = _scratch(w, s.in_shapes[k], dtype, name + "_buf", fresh[k], s.in_c[other])
            factor = f"2 * {g.name}" if same and first[0] else g.name
            other_value = s.args[other] if s.in_shapes[other] == s.in_shapes[k] else \
                f"np.reshape({s.args[other]}, {tuple(s.in_shapes[k])})"
            w.line(f"{name} = np.multiply({factor}, {other_value}{out})")
            grads[k] = (_made(name, out, s.in_c[other]), dtype)
        return grads


def _axes(s: Site) -> tuple[int, ...]:
    return reduced_axes(s.box.axis, len(s.in_shapes[0]))


def _count(s: Site) -> int:
    return int(np.prod([s.in_shapes[0][k] for k in _axes(s)], dtype=np.int64))


def _all_float(site: Site) -> bool:
    return all(_float(d) for d in site.in_dtypes) and _float(site.dtype)


def template_for(box: Box, site: Site) -> Template | None:
    """The template that writes this box's code, or None (its bound methods run)."""
    if not _all_float(site):
        return None
    kind = type(box)
    if kind is ops.MatMul:
        return _MATMUL if len(site.in_shapes[0]) == 2 and len(site.in_shapes[1]) == 2 else None
    if kind is ops.Mean and _count(site) == 0:
        return None  # numpy's nan of an empty mean, with its warnings handled by the box
    return _TEMPLATES.get(kind)


_MATMUL = MatMulTemplate()
_TEMPLATES: dict[type, Template] = {
    ops.Add: AddTemplate(), ops.Sub: SubTemplate(), ops.Mul: MulTemplate(),
    ops.Div: DivTemplate(), ops.Neg: NegTemplate(), ops.Tanh: TanhTemplate(),
    ops.Exp: ExpTemplate(), ops.Relu: ReluTemplate(), ops.Square: SquareTemplate(),
    ops.Transpose: TransposeTemplate(), ops.Reshape: ReshapeTemplate(),
    ops.Sum: SumTemplate(), ops.Mean: MeanTemplate(), ops.Vdot: VdotTemplate(),
}
