"""The code of the whole step (:mod:`.fused`): each call of the traced step as numba
code, from the storage :mod:`.fused_layout` chose."""
from __future__ import annotations

from typing import Any

import numpy as np

from .fused_layout import (
    FUNCS,
    REDUCE,
    REDUCING,
    UFUNCS,
    VIEWS,
    Storage,
    Unsupported,
    elementwise,
    is_view,
    scalar,
)
from .trace import Node

#: each update's code for one entry, from the gradient ``g``, the Parameter ``p[...]``,
#: buffers ``b0[...]``, ``b1[...]`` and the step's numbers ``h0, h1, ...`` (cast to the
#: Parameter's dtype as numpy casts Python numbers; ``H5``, ``H6`` as they are): the
#: optimizers' own formulas in their order of operations (see autograd_flow/optim)
UPDATES = {
    # theta <- theta - alpha g                                   (h0 = alpha)
    "sgd": ["p[{i}] = D(p[{i}] - D(g * h0))"],
    # v <- beta v + g; theta <- theta - alpha v                  (h0 = alpha, h1 = beta)
    "momentum": ["v = D(D(b0[{i}] * h1) + g)", "b0[{i}] = v", "p[{i}] = D(p[{i}] - D(v * h0))"],
    # Adam (h0 = alpha / (1 - beta1**t), h1 = beta1, h2 = 1 - beta1, h3 = beta2,
    # h4 = 1 - beta2, h5 = sqrt(1 - beta2**t), h6 = eps)
    "adam": ["m = D(D(b0[{i}] * h1) + D(h2 * g))", "b0[{i}] = m",
             "v = D(D(b1[{i}] * h3) + D(D(h4 * g) * g))", "b1[{i}] = v",
             # numpy divides by np.sqrt(1 - beta2**t), a float64: the quotient is float64
             "p[{i}] = D(p[{i}] - D(D(h0 * m) / (np.sqrt(v) / H5 + H6)))"],
}

HELPERS = '''
@numba.njit(inline="always")
def _tanh32(x):
    # Eigen's float32 tanh: a rational function (clamped where tanh is +-1 in float32),
    # which LLVM vectorises; the clamps keep a NaN a NaN
    x = x if not x > np.float32(7.90531110763549805) else np.float32(7.90531110763549805)
    x = x if not x < np.float32(-7.90531110763549805) else np.float32(-7.90531110763549805)
    x2 = x * x
    p = x2 * np.float32(-2.76076847742355e-16) + np.float32(2.00018790482477e-13)
    p = x2 * p + np.float32(-8.60467152213735e-11)
    p = x2 * p + np.float32(5.12229709037114e-08)
    p = x2 * p + np.float32(1.48572235717979e-05)
    p = x2 * p + np.float32(6.37261928875436e-04)
    p = x2 * p + np.float32(4.89352455891786e-03)
    q = x2 * np.float32(1.19825839466702e-06) + np.float32(1.18534705686654e-04)
    q = x2 * q + np.float32(2.26843463243900e-03)
    q = x2 * q + np.float32(4.89352518554385e-03)
    return x * p / q


@numba.njit(inline="always")
def _max(a, b):
    return a if (a >= b or a != a) else b


@numba.njit(inline="always")
def _min(a, b):
    return a if (a <= b or a != a) else b
'''


class Emitter(Storage):
    """Writes the step's body, line by line, into ``self.lines``."""

    def name(self, value: Any) -> str:
        """An argument as the code names it (a raw array becomes a constant)."""
        if isinstance(value, Node):
            return self.names[value.index]
        if isinstance(value, np.ndarray):
            self.layout.constants.append(np.ascontiguousarray(value))
            return f"C{len(self.layout.constants) - 1}"
        if isinstance(value, (bool, int, float, np.generic)):
            return repr(value.item() if isinstance(value, np.generic) else value)
        raise Unsupported(f"an argument {type(value).__name__}")

    def read(self, value: Any, shape: tuple[int, ...], dtype: np.dtype) -> str:
        """``value`` at the loop's index ``i0, i1, ...`` of an array of ``shape``
        (broadcast as numpy does); a Python number as the result's dtype (numpy's weak
        scalars)."""
        if not isinstance(value, Node):
            if isinstance(value, (float, int)) and not isinstance(value, bool) \
                    and dtype.kind in "fc":
                return f"np.{dtype.name}({value!r})"
            return self.name(value)
        if value.index in self.group:
            return f"v{value.index}"
        name = self.names[value.index]
        own = np.shape(value.value)
        if not own:
            return f"{name}[()]" if isinstance(value.value, np.ndarray) \
                and value.kind in ("leaf", "const") else name
        offset = len(shape) - len(own)
        index = [f"i{offset + d}" if own[d] == shape[offset + d] else "0"
                 for d in range(len(own))]
        return f"{name}[{', '.join(index)}]"

    def cast(self, node: Node, expression: str) -> str:
        dtype = np.asarray(node.value).dtype
        if dtype.kind == "b":
            return f"bool({expression})"
        return f"np.{dtype.name}({expression})"

    def scalar_of(self, node: Node, shape: tuple[int, ...]) -> str:
        """The scalar expression of an elementwise call."""
        dtype = np.asarray(node.value).dtype
        if node.kind == "ufunc":
            args = [self.read(a, shape, dtype) for a in node.args]
            if node.fn is np.tanh and dtype == np.float32:
                return f"_tanh32({args[0]})"
            return self.cast(node, UFUNCS[node.fn].format(*args))
        if node.fn is np.where:
            c, a, b = (self.read(a, shape, dtype) for a in node.args)
            return self.cast(node, f"({a} if {c} else {b})")
        if node.fn in VIEWS:  # of a number
            return self.cast(node, self.read(node.args[0], shape, dtype))
        read = [node.args[1]] if node.fn is np.full_like else [] if node.fn in (
            np.zeros_like, np.ones_like) else [node.args[0]]
        args = ["", *(self.read(a, shape, dtype) for a in read)] if node.fn is np.full_like \
            else [self.read(a, shape, dtype) for a in read]
        return self.cast(node, FUNCS[node.fn].format(*args))

    # -- writing -----------------------------------------------------------------------
    def line(self, text: str, indent: int = 1) -> None:
        self.lines.append("    " * indent + text)

    def loops(self, shape: tuple[int, ...], indent: int = 1) -> int:
        for d, size in enumerate(shape):
            self.line(f"for i{d} in range({size}):", indent + d)
        return indent + len(shape)

    def target(self, node: Node) -> str:
        return self.names[node.index]

    def emit(self) -> None:
        started = {g[-1]: g for g in self.groups}  # a nest is written at its last call
        grouped = {i for g in self.groups for i in g}
        for node in self.nodes:
            if node.index not in self.live or node.kind in ("leaf", "const", "seed", "check"):
                continue
            if node.index in started:
                self.emit_group(started[node.index])
            elif node.index in grouped:
                continue
            elif is_view(node):
                self.emit_view(node)
            elif elementwise(node) and scalar(node.value):
                self.names[node.index] = f"s{node.index}"
                self.line(f"s{node.index} = {self.scalar_of(node, ())}")
                self.keep_scalar(node)
            elif node.kind == "reduce" or (node.kind == "func" and node.fn in REDUCING):
                self.emit_reduce(node)
            elif (node.kind == "ufunc" and node.fn is np.matmul) or (
                    node.kind == "func" and node.fn is np.dot):
                self.emit_dot(node)
            elif node.kind == "func" and node.fn is np.vdot:
                self.emit_vdot(node)
            elif node.kind == "getitem":
                self.emit_gather(node)
            elif node.kind == "inplace" and getattr(node.fn, "__name__", "") == "_subtract_at":
                self.emit_subtract_at(node)
            else:
                raise Unsupported(f"{node.kind} {getattr(node.fn, '__name__', node.fn)}")
            if node.index == self.check_finite:  # before any update
                self.line(f"if not np.isfinite({self.name(node)}):")
                self.line("return 2  # a NaN or infinite loss: no update", 2)

    def update_code(self, n: int, grad: str, index: str, indent: int) -> list[str]:
        """The update of the ``n``-th Parameter of the optimizer at ``index``, from its
        gradient ``grad`` there (:data:`UPDATES`)."""
        assert self.update is not None
        dtype = f"np.{self.update.params[n].value.dtype.name}"
        lines = [f"g = {grad}"] + [
            code.format(i=index).replace("D(", f"{dtype}(").replace("p[", f"{self.params[n]}[")
            .replace("b0[", f"B0_{n}[").replace("b1[", f"B1_{n}[")
            for code in UPDATES[self.update.kind]]
        return ["    " * indent + line for line in lines]

    def keep_scalar(self, node: Node) -> None:
        slot = self.layout.slots.get(node.index)
        if slot is not None:
            self.line(f"A_{ident(slot[0])}[{slot[1]}] = s{node.index}")

    def emit_group(self, members: list[int]) -> None:
        shape = np.shape(self.nodes[members[0]].value)
        self.group = set()
        indent = self.loops(shape)
        index = ", ".join(f"i{d}" for d in range(len(shape)))
        for i in members:
            node = self.nodes[i]
            self.line(f"v{i} = {self.scalar_of(node, shape)}", indent)
            self.group.add(i)
            if i in self.layout.slots:
                self.line(f"{self.target(node)}[{index}] = v{i}", indent)
            if i in self.updated_in:  # the Parameter's update, as its gradient is made
                self.lines += self.update_code(self.updated_in[i], f"v{i}", index, indent)
        self.group = set()

    def emit_view(self, node: Node) -> None:
        source = self.name(node.args[0])
        shape = np.shape(node.value)
        if node.kind == "getitem":
            code = f"{source}[{_key(node.args[1])}]"
        elif node.fn in (np.transpose, np.swapaxes) and _permutation(node) == (1, 0):
            code = f"{source}.T"  # (BLAS takes it as it is: no copy)
        elif node.fn in (np.transpose, np.swapaxes):
            code = f"{source}.transpose({_permutation(node)!r})"
        else:  # reshape, expand_dims, squeeze: the same entries in another shape
            code = f"{source}.reshape({tuple(shape)!r})"
        self.names[node.index] = f"w{node.index}"
        self.line(f"w{node.index} = {code}")

    def emit_reduce(self, node: Node) -> None:
        ufunc = node.fn if node.kind == "reduce" else REDUCING[node.fn]
        source = node.args[0]
        extra = set(node.kwargs) - {"axis", "keepdims"}
        if ufunc not in REDUCE or extra or not isinstance(source, Node) \
                or scalar(source.value):
            raise Unsupported("a reduction")
        dtype = np.asarray(node.value).dtype
        if ufunc in (np.maximum, np.minimum) and dtype.kind != "f":
            raise Unsupported("an integer max")
        axis = node.kwargs.get("axis", node.args[1] if len(node.args) > 1 else (
            0 if node.kind == "reduce" else None))
        keep = bool(node.kwargs.get("keepdims", False))
        shape = np.shape(source.value)
        axes = set(range(len(shape))) if axis is None else {
            a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))}
        update, start = REDUCE[ufunc]
        read = self.read(source, shape, dtype)
        if scalar(node.value):
            self.names[node.index] = f"s{node.index}"
            self.line(f"acc = np.{dtype.name}({start})")
            indent = self.loops(shape)
            self.line(f"x = {read}", indent)
            self.line(f"acc = np.{dtype.name}({update})", indent)
            self.line(f"s{node.index} = acc")
            self.keep_scalar(node)
            return
        out = self.target(node)
        self.line(f"{out}.fill({start})")
        indent = self.loops(shape)
        index = ", ".join("0" if d in axes else f"i{d}" for d in range(len(shape))
                          if keep or d not in axes)
        self.line(f"acc = {out}[{index}]", indent)
        self.line(f"x = {read}", indent)
        self.line(f"{out}[{index}] = np.{dtype.name}({update})", indent)

    def emit_dot(self, node: Node) -> None:
        a, b = node.args[:2]
        if node.kwargs or len(node.args) != 2 or not all(
                isinstance(x, Node) and 1 <= np.ndim(x.value) <= 2 for x in (a, b)):
            raise Unsupported("a product of other than vectors and matrices")
        if np.asarray(a.value).dtype != np.asarray(b.value).dtype or \
                np.asarray(a.value).dtype.kind != "f":
            raise Unsupported("a product of mixed or integer dtypes")
        if scalar(node.value):
            self.names[node.index] = f"s{node.index}"
            self.line(f"s{node.index} = np.dot({self.name(a)}, {self.name(b)})")
            self.keep_scalar(node)
            return
        self.line(f"np.dot({self.name(a)}, {self.name(b)}, {self.target(node)})")

    def emit_vdot(self, node: Node) -> None:
        a, b = node.args
        if not (isinstance(a, Node) and isinstance(b, Node)) or \
                np.shape(a.value) != np.shape(b.value) or scalar(a.value):
            raise Unsupported("a vdot of two shapes")
        dtype = np.asarray(node.value).dtype
        if dtype.kind != "f" or any(np.asarray(x.value).dtype != dtype for x in (a, b)):
            raise Unsupported("a vdot of mixed or integer dtypes")
        self.names[node.index] = f"s{node.index}"
        # numpy's vdot is BLAS's dot of the flat arrays (contiguous ones: C layout)
        self.line(f"s{node.index} = np.dot(np.ascontiguousarray({self.name(a)}).ravel(), "
                  f"np.ascontiguousarray({self.name(b)}).ravel())")
        self.keep_scalar(node)

    def _indices(self, source: Node, key: Any, indent: int) -> str:
        """Bounds-checked integer indices ``j0, j1, ...`` of entry ``k`` of a gather."""
        dims = np.shape(source.value)
        for d, part in enumerate(key):
            self.line(f"j{d} = {self.name(part)}[k]", indent)
            self.line(f"if j{d} < 0:", indent)
            self.line(f"j{d} += {dims[d]}", indent + 1)
            self.line(f"if j{d} < 0 or j{d} >= {dims[d]}:", indent)
            self.line("return 1  # an index out of range: the interpreter says which", indent + 1)
        return ", ".join(f"j{d}" for d in range(len(key)))

    def _gather_key(self, source: Any, key: Any) -> tuple[Any, ...]:
        if not isinstance(source, Node) or not isinstance(key, tuple) \
                or len(key) != np.ndim(source.value):
            raise Unsupported("an index")
        sizes = set()
        for part in key:
            value = part.value if isinstance(part, Node) else part
            if not isinstance(value, np.ndarray) or value.dtype.kind not in "iu" \
                    or value.ndim != 1:
                raise Unsupported("an index other than integer vectors")
            sizes.add(value.size)
        if len(sizes) != 1:
            raise Unsupported("index vectors of several lengths")
        return key

    def emit_gather(self, node: Node) -> None:
        source, key = node.args
        key = self._gather_key(source, key)
        self.line(f"for k in range({np.size(node.value)}):")
        where = self._indices(source, key, 2)
        self.line(f"{self.target(node)}[k] = {self.name(source)}[{where}]", 2)

    def emit_subtract_at(self, node: Node) -> None:
        target, rows, labels, scale = node.args
        key = self._gather_key(target, (rows, labels))
        dtype = np.asarray(node.value).dtype
        self.names[node.index] = self.target(target)
        rows = key[0].value if isinstance(key[0], Node) else key[0]
        self.line(f"for k in range({np.size(rows)}):")
        where = self._indices(target, key, 2)
        out = self.target(target)
        self.line(f"{out}[{where}] = np.{dtype.name}({out}[{where}] - "
                  f"{self.read(scale, (), dtype)})", 2)


def ident(dtype_str: str) -> str:
    return dtype_str.replace("<", "l").replace(">", "b").replace("|", "n").replace("=", "n")


def _key(key: Any) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    text = []
    for part in parts:
        if isinstance(part, slice):
            text.append(":".join("" if b is None else repr(int(b)) for b in (part.start, part.stop))
                        + ("" if part.step is None else f":{int(part.step)}"))
        elif part is Ellipsis:
            text.append("...")
        elif part is None:
            text.append("None")
        else:
            text.append(repr(int(part)))
    return ", ".join(text) + ("," if len(parts) == 1 and isinstance(key, tuple) else "")


def _permutation(node: Node) -> tuple[int, ...]:
    ndim = np.ndim(node.args[0].value)
    if node.fn is np.swapaxes:
        i, j = (a % ndim for a in node.args[1:3])
        order = list(range(ndim))
        order[i], order[j] = order[j], order[i]
        return tuple(order)
    axes = node.kwargs.get("axes", node.args[1] if len(node.args) > 1 else None)
    return tuple(reversed(range(ndim))) if axes is None else tuple(a % ndim for a in axes)
