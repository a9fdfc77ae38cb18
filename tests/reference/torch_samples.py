"""PyTorch's operator samples as a reference for autograd_flow's values, gradients and
Hessian-vector products.

Every OpInfo of ``torch.testing._internal.common_methods_invocations.op_db`` with a
numpy reference (``ref``) is mapped to an af function by name (``af.<name>``,
``af.linalg.<name>``, ``af.nn.<name>``, the name of its numpy reference, or
:data:`ALIASES`), or to its af form (:data:`tests.reference.torch_forms.FORMS`: the
torch.masked reductions, torch-only operators). Each float64 CPU sample is run twice,
by torch and by a graph of Parameters (one per tensor torch differentiates), and
compared three ways:

- the value;
- the gradient of ``sum(out * v)`` (``v`` random) against ``torch.autograd.grad``;
- the Hessian-vector product :func:`autograd_flow.hvp` against torch's double
  backward (forward mode over its backward where that raises; skipped where the
  OpInfo says torch has no second derivative).

The 39 samples of the five ``jiterator_*`` OpInfos (:data:`tests.reference.torch_forms.JITERATOR`)
are not compared with torch, which runs these kernels on CUDA or ROCm GPUs only (on the
CPU it raises): their values are compared with the OpInfo's numpy reference, and their
gradients and H v with central differences of af's own value and gradient in float64
(:mod:`tests.reference.differences`, as the HIPS harness checks HIPS's tests).

:func:`run` classifies a case as one of :data:`OUTCOMES`. Everything is seeded
(torch's samples by the op's name, the random directions by the case's name), so two
runs give the same cases and the same numbers.
"""
from __future__ import annotations

import inspect
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.testing._internal.common_methods_invocations import op_db

import autograd_flow as af

from .differences import gradcheck, hvp_check, reached
from .outcomes import (
    CRASH,
    NOT_EXPRESSIBLE,
    PASS,
    WRONG_GRADIENT,
    WRONG_HVP,
    WRONG_VALUE,
    Outcome,
)
from .torch_forms import FORMS, JITERATOR, without_form

#: OpInfo names whose af function has another name (and is not the numpy reference's)
ALIASES: dict[str, str] = {
    "sub": "subtract",
    "neg": "negative",
    "clamp": "clip",
    "clone": "copy",
    "permute": "transpose",
    "repeat": "tile",
    "pow": "power",
    "nn.functional.relu": "relu",
    "nn.functional.softplus": "softplus",
    "nn.functional.logsigmoid": "log_sigmoid",
    "nn.functional.mse_loss": "mse_loss",
    "max.binary": "maximum",
    "min.binary": "minimum",
    "equal": "array_equal",
    "lgamma": "gammaln",
    "sgn": "sign",
    "special.bessel_j0": "j0",
    "special.bessel_j1": "j1",
    "special.bessel_y0": "y0",
    "special.bessel_y1": "y1",
    "special.modified_bessel_i0": "i0",
    "special.modified_bessel_i1": "i1",
    "special.modified_bessel_k0": "k0",
    "special.modified_bessel_k1": "k1",
    "special.scaled_modified_bessel_k0": "k0e",
    "special.scaled_modified_bessel_k1": "k1e",
    "clamp_min": "clip",
    "clamp_max": "clip",
    "mvlgamma.mvlgamma_p_1": "multigammaln",
    "mvlgamma.mvlgamma_p_3": "multigammaln",
    "mvlgamma.mvlgamma_p_5": "multigammaln",
}

#: OpInfo names whose samples put the arguments in another order than numpy's
REORDER: dict[str, Callable[[list[Any]], list[Any]]] = {
    "where": lambda args: [args[1], args[0], *args[2:]],  # (x, condition, y)
    "polygamma": lambda args: [args[1], args[0], *args[2:]],  # (x, n)
    "special.polygamma": lambda args: [args[1], args[0], *args[2:]],
    "clamp_max": lambda args: [args[0], None, *args[1:]],  # clip(x, a_min=None, a_max)
}

#: torch's keyword names -> numpy's
KEYWORDS = {"dim": "axis", "keepdim": "keepdims"}

RTOL, ATOL = 1e-6, 1e-8

#: OpInfos whose torch values are less accurate than ATOL: torch's own approximations of
#: these Bessel functions are off by up to 4e-7 (j0 at -5.4215: torch -0.0337815018,
#: scipy and mpmath -0.0337813128; y1 at 5.5761: torch -0.0489863143, scipy and mpmath
#: -0.0489859933), so values are compared to this absolute tolerance instead
TORCH_ATOL: dict[str, float] = {"special.bessel_j0": 1e-6, "special.bessel_y1": 1e-6}


@dataclass(frozen=True)
class Case:
    """One sample of one OpInfo."""

    id: str
    op: Any
    sample: Any


class NotExpressible(Exception):
    """The case cannot be written with af (the reason says what is missing)."""


def op_name(op: Any) -> str:
    """The OpInfo's name with its variant (``max.binary``)."""
    return f"{op.name}.{op.variant_test_name}" if op.variant_test_name else op.name


def _ops() -> list[Any]:
    return [op for op in op_db if op.ref is not None
            and torch.float64 in op.supported_dtypes("cpu")]


def cases() -> list[Case]:
    """Every float64 CPU sample of every OpInfo with a numpy reference, in op_db order."""
    found = []
    for op in _ops():
        name = op_name(op)
        torch.manual_seed(zlib.crc32(name.encode()))
        differentiated = op.supports_autograd or name in JITERATOR
        samples = op.sample_inputs("cpu", torch.float64, requires_grad=differentiated)
        for index, sample in enumerate(samples):
            found.append(Case(f"{name}[{index}]", op, sample))
    return found


def af_function(op: Any) -> Callable[..., Any] | None:
    """The af function an OpInfo maps to, or None."""
    parts = op.name.split(".")
    if op_name(op) in FORMS:
        return FORMS[op_name(op)]
    if op_name(op) in ALIASES:
        names = [ALIASES[op_name(op)]]
    else:
        names = [parts[-1]]
        reference = getattr(op.ref, "__name__", "")
        if reference and any(m in (getattr(op.ref, "__module__", "") or "")
                             for m in ("numpy", "scipy")):
            names.append(reference)
    # torch.nn.functional's names: af.nn's function first (af.nn.softplus takes beta)
    spaces: list[Any] = [af.nn, af] if parts[0] == "nn" else [af, af.nn]
    if parts[0] in ("linalg", "fft"):
        spaces = [getattr(af, parts[0])] + ([af] if parts[0] == "linalg" else [])
    elif parts[0] in ("masked", "signal"):  # af has no such namespace
        return None
    for name in names:
        for space in spaces:
            fn = getattr(space, name, None) if space is not None else None
            if callable(fn):
                return fn
    return None


def _reference(op: Any) -> str:
    """What numpy or scipy calls the op, if its reference names a function of theirs."""
    module = getattr(op.ref, "__module__", "") or ""
    name = getattr(op.ref, "__name__", "")
    if name and name != "<lambda>" and module.split(".")[0] in ("numpy", "scipy") \
            and not op.name.startswith(("masked.", "signal.", "jiterator")):
        return f"numpy/scipy: {module}.{name}"
    return "its reference is not a numpy or scipy function"


def _accepted_keywords(fn: Callable[..., Any]) -> set[str] | None:
    """The keyword names fn takes (None: any)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters}


def _check_positional(fn: Callable[..., Any], arguments: list[Any]) -> None:
    """Refuse more positional arguments than fn takes before ``name`` (torch's extra
    ones, such as logit's eps, would otherwise become the box's name)."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return
    taken = [p.name for p in parameters if p.name != "name"
             and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(arguments) > len(taken):
        raise NotExpressible(f"af.{fn.__name__} takes {len(taken)} positional arguments "
                             f"({', '.join(taken)}), the sample gives {len(arguments)}")


def _keywords(op: Any, kwargs: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
    """torch's keywords as numpy's (``dim`` -> ``axis``, ``correction`` -> ``ddof``,
    searchsorted's ``right`` -> ``side``, the N-D FFTs' ``dim`` -> ``axes``, diagflat's
    ``offset`` -> ``k``, tensorsolve's ``dims`` -> ``axes``)."""
    out = {KEYWORDS.get(k, k): v for k, v in kwargs.items()}
    if op.name in ("std", "var"):
        unbiased = out.pop("unbiased", None)
        correction = out.pop("correction", None)
        out["ddof"] = (correction if correction is not None
                       else 1 if unbiased is None else int(bool(unbiased)))
    if op.name == "diagflat" and "offset" in out:  # numpy calls it k
        out["k"] = out.pop("offset")
    if op.name == "linalg.tensorsolve" and "dims" in out:  # numpy calls it axes
        out["axes"] = out.pop("dims")
    if op.name.startswith("fft.") and op.name.endswith(("2", "n")) and "axis" in out:
        out["axes"] = out.pop("axis")  # torch's dim of the 2-D and N-D transforms
    if op.name == "searchsorted":  # out_int32 is the output's dtype (values compared)
        out.pop("out_int32", None)
        right = out.pop("right", None)
        if right is not None and "side" not in out:
            out["side"] = "right" if right else "left"
    accepted = _accepted_keywords(fn)
    for key in out:
        if accepted is not None and key not in accepted:
            raise NotExpressible(f"keyword {key}= is not taken by af.{fn.__name__}")
    return out


class _Converter:
    """torch arguments -> af arguments: a Parameter per tensor torch differentiates."""

    def __init__(self) -> None:
        self.tensors: list[torch.Tensor] = []
        self.parameters: list[Any] = []

    def __call__(self, value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            if value.is_complex():
                raise NotExpressible("complex tensor")
            array = value.detach().numpy().copy()
            if value.requires_grad:
                parameter = af.Parameter(array, name=f"p{len(self.parameters)}")
                self.tensors.append(value)
                self.parameters.append(parameter)
                return parameter
            return array
        if isinstance(value, torch.Size):
            return tuple(value)
        if isinstance(value, (list, tuple)):
            return type(value)(self(v) for v in value)
        if isinstance(value, torch.dtype) and not value.is_complex:  # numpy's dtype=
            return torch.empty((), dtype=value).numpy().dtype
        if isinstance(value, (torch.dtype, torch.device, torch.memory_format, torch.layout)):
            raise NotExpressible(f"a torch {type(value).__name__} argument")
        if isinstance(value, complex):
            raise NotExpressible("complex scalar")
        return value


def _outputs(value: Any) -> list[Any]:
    if isinstance(value, (tuple, list)):
        return [item for v in value for item in _outputs(v)]
    return [value]


def _as_array(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().numpy(force=True)
    return np.asarray(value)


def _disagreement(ours: Any, theirs: Any, atol: float = ATOL, against: str = "torch") -> str:
    """Empty when ours equals theirs (to RTOL/atol, NaN where theirs has NaN), else why
    (``against`` names where theirs comes from)."""
    ours, theirs = np.asarray(ours), _as_array(theirs)
    if ours.shape != theirs.shape:
        return f"shape {ours.shape}, {against} {theirs.shape}"
    if not np.issubdtype(theirs.dtype, np.inexact):
        return "" if np.array_equal(ours, theirs) else "entries differ"
    if np.allclose(ours, theirs, rtol=RTOL, atol=atol, equal_nan=True):
        return ""
    flat_ours = np.asarray(ours, float).ravel()
    flat_theirs = np.asarray(theirs, float).ravel()
    error = np.abs(flat_ours - flat_theirs)
    error[np.isnan(flat_ours) != np.isnan(flat_theirs)] = np.inf
    error[np.isnan(flat_ours) & np.isnan(flat_theirs)] = 0.0
    worst = int(np.argmax(error))
    where = tuple(int(i) for i in np.unravel_index(worst, theirs.shape))
    return (f"max error {error[worst]:.3g} at {where}: "
            f"{flat_ours[worst]:.6g}, {against} {flat_theirs[worst]:.6g}")


def _numpy_refuses(fn: Callable[..., Any], arguments: list[Any],
                   keywords: dict[str, Any]) -> str:
    """Why numpy's function of the same name refuses these arguments (empty if it takes
    them, or if numpy has no such function)."""
    numpy_function = getattr(np, fn.__name__, None)
    if numpy_function is None:
        return ""

    def plain(value: Any) -> Any:
        if isinstance(value, af.Parameter):
            return value.value
        if isinstance(value, (list, tuple)):
            return type(value)(plain(v) for v in value)
        return value

    try:
        numpy_function(*plain(arguments), **plain(keywords))
    except Exception as error:  # noqa: BLE001 (any refusal will do)
        return f"numpy refuses it too ({type(error).__name__}: {error})"
    return ""


def _directions(case: Case, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    return [rng.standard_normal(shape) for shape in shapes]


def run(case: Case) -> Outcome:
    """Run one case with torch and with af, and classify it."""
    sample, op = case.sample, case.op
    fn = af_function(op)
    if fn is None:
        return Outcome(NOT_EXPRESSIBLE, without_form(op_name(op))
                       or f"no af function for {op.name} ({_reference(op)})")
    convert = _Converter()
    try:
        arguments = [convert(sample.input), *map(convert, sample.args)]
        arguments = REORDER.get(op.name, list)(arguments)
        _check_positional(fn, arguments)
        keywords = _keywords(op, {k: convert(v) for k, v in sample.kwargs.items()}, fn)
    except NotExpressible as reason:
        return Outcome(NOT_EXPRESSIBLE, str(reason))
    if op_name(op) in JITERATOR:  # torch runs it on GPUs only
        return _against_numpy(case, lambda: fn(*arguments, **keywords), convert.parameters)
    expected = _outputs(op(sample.input, *sample.args, **sample.kwargs))
    try:
        built = fn(*arguments, **keywords)
        boxes = _outputs(built)
        values = _outputs(af.FlowGraph(boxes).fprop()) if boxes else []
    except Exception as error:  # noqa: BLE001 (any exception is the finding)
        refused = _numpy_refuses(fn, arguments, keywords)
        if refused:
            return Outcome(NOT_EXPRESSIBLE, refused)
        if isinstance(error, TypeError) and "argument" in str(error):
            return Outcome(NOT_EXPRESSIBLE, f"af.{fn.__name__}: {error}")
        if isinstance(error, af.BoxError) and "is a setting" in str(error):
            return Outcome(NOT_EXPRESSIBLE, f"af.{fn.__name__} refuses a box: {error}")
        if op.name.startswith("nn.functional.") and isinstance(error, ValueError):
            # a form only torch has (an unbatched image), refused by af in one line
            return Outcome(NOT_EXPRESSIBLE, f"af.nn.{fn.__name__} refuses: {error}")
        return Outcome(CRASH, f"{type(error).__name__}: {error}")
    if len(boxes) != len(expected):
        return Outcome(WRONG_VALUE, f"{len(boxes)} outputs, torch {len(expected)}")
    for position, (ours, theirs) in enumerate(zip(values, expected)):
        why = _disagreement(ours, theirs, TORCH_ATOL.get(op_name(op), ATOL))
        if why:
            return Outcome(WRONG_VALUE, f"output {position}: {why}")
    return _derivatives(case, boxes, expected, convert)


def _against_numpy(case: Case, build: Callable[[], Any], parameters: list[Any]) -> Outcome:
    """A case torch cannot run on the CPU: af's value against the OpInfo's numpy
    reference, the gradient of ``sum(out * v)`` and its H v against central differences
    of af's own value and gradient (float64)."""
    sample = case.sample
    expected = _outputs(case.op.ref(*[_as_array(a) for a in (sample.input, *sample.args)],
                                    **sample.kwargs))
    try:
        boxes = _outputs(build())
        values = _outputs(af.FlowGraph(boxes).fprop())
    except Exception as error:  # noqa: BLE001 (any exception is the finding)
        return Outcome(CRASH, f"{type(error).__name__}: {error}")
    if len(boxes) != len(expected):
        return Outcome(WRONG_VALUE, f"{len(boxes)} outputs, numpy {len(expected)}")
    for position, (ours, theirs) in enumerate(zip(values, expected)):
        why = _disagreement(ours, theirs, against="numpy")
        if why:
            return Outcome(WRONG_VALUE, f"output {position}: {why}")
    directions = _directions(case, [np.shape(value) for value in values])
    loss = sum(af.sum(b * v) for b, v in zip(boxes, directions))
    wrt = reached(loss, parameters)
    if not wrt:
        return Outcome(PASS)
    try:
        why = gradcheck(loss, wrt)
        if why:
            return Outcome(WRONG_GRADIENT, why)
        vectors = _directions(Case(case.id + "/hvp", case.op, sample),
                              [p.value.shape for p in wrt])
        why = hvp_check(loss, wrt, vectors)
    except Exception as error:  # noqa: BLE001
        return Outcome(CRASH, f"differentiating: {type(error).__name__}: {error}")
    return Outcome(WRONG_HVP, why) if why else Outcome(PASS)


def _derivatives(case: Case, boxes: list[Any], expected: list[Any],
                 convert: _Converter) -> Outcome:
    """The gradient and HVP comparisons of a case whose values agree."""
    outputs = [k for k, t in enumerate(expected) if isinstance(t, torch.Tensor)
               and t.requires_grad and t.dtype.is_floating_point]
    differentiable = [(boxes[k], expected[k]) for k in outputs]
    tensors, parameters = convert.tensors, convert.parameters
    if not differentiable or not tensors:
        return Outcome(PASS)
    directions = _directions(case, [tuple(t.shape) for _, t in differentiable])
    loss_t = sum((t * torch.from_numpy(v)).sum() for (_, t), v in zip(differentiable, directions))
    loss = sum(af.sum(b * v) for (b, _), v in zip(differentiable, directions))
    gradients_t = torch.autograd.grad(loss_t, tensors, allow_unused=True,
                                      create_graph=case.op.supports_gradgrad)
    try:
        graph = af.FlowGraph(loss)
        graph.fprop()
        gradients = graph.bprop()
    except Exception as error:  # noqa: BLE001
        return Outcome(CRASH, f"bprop: {type(error).__name__}: {error}")
    for position, (parameter, theirs) in enumerate(zip(parameters, gradients_t)):
        theirs = torch.zeros_like(tensors[position]) if theirs is None else theirs
        ours = gradients.get(parameter, np.zeros(parameter.value.shape))
        why = _disagreement(ours, theirs)
        if why:
            return Outcome(WRONG_GRADIENT, f"input {position}: {why}")
    if not case.op.supports_gradgrad:
        return Outcome(PASS)
    # H v of a parameter the output does not depend on is 0 (af.hvp is given only the
    # others: af.grad refuses a parameter outside the graph by name)
    reached = [i for i, p in enumerate(parameters) if p in gradients]
    tensors = [tensors[i] for i in reached]
    gradients_t = tuple(gradients_t[i] for i in reached)
    parameters = [parameters[i] for i in reached]
    if not parameters:
        return Outcome(PASS)
    vectors = _directions(Case(case.id + "/hvp", case.op, case.sample),
                          [p.value.shape for p in parameters])
    dot = sum(((g * torch.from_numpy(v)).sum() for g, v in zip(gradients_t, vectors)
               if g is not None and g.requires_grad), torch.zeros((), dtype=torch.float64))
    try:
        hvp_t = (torch.autograd.grad(dot, tensors, allow_unused=True) if dot.requires_grad
                 else [None] * len(tensors))
    except RuntimeError:  # torch's double backward lacks a case (native_layer_norm
        # without a weight): its H v by forward mode over its backward instead
        tangents = [torch.zeros_like(t) for t in convert.tensors]
        for i, v in zip(reached, vectors):
            tangents[i] = torch.from_numpy(v)
        hvp_t = _forward_over_reverse(case, convert.tensors, outputs, directions, tangents)
        hvp_t = [hvp_t[i] for i in reached]
    try:
        hvp = af.hvp(graph, vectors, params=parameters)
    except Exception as error:  # noqa: BLE001
        return Outcome(CRASH, f"hvp: {type(error).__name__}: {error}")
    for position, (ours, theirs) in enumerate(zip(hvp, hvp_t)):
        theirs = torch.zeros_like(tensors[position]) if theirs is None else theirs
        why = _disagreement(ours, theirs)
        if why:
            return Outcome(WRONG_HVP, f"input {position}: {why}")
    return Outcome(PASS)


def _forward_over_reverse(case: Case, tensors: list[torch.Tensor], outputs: list[int],
                          directions: list[np.ndarray],
                          tangents: list[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """torch's H v of the loss sum(out[k] * direction) (outputs k), by forward mode over
    its reverse mode (torch.func.jvp of torch.func.grad): the op rerun on the tensors."""

    def loss(*values: torch.Tensor) -> torch.Tensor:
        swapped = {id(t): v for t, v in zip(tensors, values)}

        def swap(value: Any) -> Any:
            if isinstance(value, torch.Tensor):
                return swapped.get(id(value), value.detach())
            if isinstance(value, (list, tuple)) and not isinstance(value, torch.Size):
                return type(value)(swap(v) for v in value)
            return value

        sample = case.sample
        out = _outputs(case.op(swap(sample.input), *map(swap, sample.args),
                               **{k: swap(v) for k, v in sample.kwargs.items()}))
        return sum((out[k] * torch.from_numpy(v)).sum() for k, v in zip(outputs, directions))

    gradient = torch.func.grad(loss, argnums=tuple(range(len(tensors))))
    primals = tuple(t.detach() for t in tensors)
    with warnings.catch_warnings():  # torch.func's forward rules script torch's own code
        warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated",
                                DeprecationWarning)
        return torch.func.jvp(gradient, primals, tuple(tangents))[1]


def outcomes() -> Iterator[tuple[Case, Outcome]]:
    """Every case with its outcome."""
    for case in cases():
        yield case, run(case)
