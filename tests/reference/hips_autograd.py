"""HIPS autograd's own gradient tests (``tests/reference/hips/``, their files unchanged)
run on autograd_flow.

Their test functions are run once, with ``autograd`` replaced by a stand-in: its numpy
is :mod:`tests.reference.hips_numpy`, numpy with the array making from boxes that numpy
does not dispatch ported to af (so their functions, called on Parameters, build af
boxes), its ``grad`` is :func:`autograd_flow.grad`, and its ``check_grads`` /
``combo_check`` record each check (function, inputs, which arguments, order) instead of
running it. :func:`run` then checks a recorded call the way HIPS does, with af: the value
against numpy on plain arrays, the gradient of ``sum(out * v)`` with :func:`af.gradcheck`
(central differences), and, to second order, the gradient of ``<grad, u>`` (the
Hessian-vector product) the same way. A test function whose own body fails (an
``assert grad(f)(x) == ...``) is a case too, and so is one that calls ``grad`` and no
``check_grads`` (a pass when its assertions hold). Every random draw is seeded per test.
"""
from __future__ import annotations

import builtins
import importlib.util
import re
import sys
import types
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

import autograd_flow as af

from . import differences, hips_numpy
from .outcomes import (
    CRASH,
    NOT_EXPRESSIBLE,
    PASS,
    WRONG_GRADIENT,
    WRONG_HVP,
    WRONG_VALUE,
    Outcome,
)

HIPS = Path(__file__).parent / "hips"
#: the files, as HIPS names them (tests/test_<name>.py)
FILES = ("systematic", "scalar_ops", "numpy", "linalg")
RTOL, ATOL = 1e-6, 1e-8
#: what af says when a numpy call has no box form (numpy's dispatch), or needs the
#: array or the length of a box before the graph runs (np.array of boxes, len, int)
NOT_A_BOX = ("has no box form", "known only when the graph runs", "not iterable")


@dataclass(frozen=True)
class Check:
    """One check of a HIPS test: ``fun(*args, **kwargs)`` differentiated in the
    arguments ``argnums`` to ``order``; or the error its test body raised; or (neither)
    the body of a test that differentiates with ``grad`` but has no check_grads call,
    which ran with its assertions holding."""

    id: str
    fun: Callable[..., Any] | None = None
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    argnums: tuple[int, ...] = (0,)
    order: int = 2
    error: BaseException | None = None


def _stand_in(record: Callable[..., None], differentiated: list[bool]
              ) -> dict[str, types.ModuleType]:
    """The modules that stand for autograd while HIPS's files load and run (a call of
    their ``grad`` sets ``differentiated[0]``)."""
    autograd = types.ModuleType("autograd")

    def grad(fun: Callable[..., Any], argnum: int = 0) -> Callable[..., Any]:
        differentiated[0] = True
        return _grad(fun, argnum)

    autograd.grad = grad  # type: ignore[attr-defined]
    autograd.tuple = builtins.tuple  # type: ignore[attr-defined]
    test_util = types.ModuleType("autograd.test_util")

    def check_grads(fun: Callable[..., Any], argnum: int | tuple[int, ...] = 0,
                    modes: Any = None, order: int = 2) -> Callable[..., None]:
        argnums = tuple(argnum) if isinstance(argnum, (tuple, list)) else (argnum,)
        return lambda *args, **kwargs: record(fun, args, kwargs, argnums, order)

    def combo_check(fun: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., None]:
        def combos(*arguments: Any, **keywords: Any) -> None:
            pairs = [[(k, x) for x in xs] for k, xs in keywords.items()]
            for chosen in product(*arguments):
                for chosen_keywords in product(*pairs):
                    check_grads(fun, *args, **kwargs)(*chosen, **dict(chosen_keywords))
        return combos

    test_util.check_grads = check_grads  # type: ignore[attr-defined]
    test_util.combo_check = combo_check  # type: ignore[attr-defined]
    autograd.test_util = test_util  # type: ignore[attr-defined]
    autograd.numpy = hips_numpy  # type: ignore[attr-defined]
    return {"autograd": autograd, "autograd.numpy": hips_numpy,
            "autograd.numpy.random": np.random, "autograd.test_util": test_util}


def _grad(fun: Callable[..., Any], argnum: int = 0) -> Callable[..., Any]:
    """autograd's ``grad`` with af: a box when called on a box (``grad(grad(f))``), else
    the number."""
    def gradient(*args: Any) -> Any:
        x = args[argnum]
        if isinstance(x, af.Box):
            return af.grad(fun(*args), x)
        x = np.asarray(x)
        parameter = af.Parameter(x if np.issubdtype(x.dtype, np.floating) else x.astype(float),
                                 name="x")
        arguments = list(args)
        arguments[argnum] = parameter
        return af.FlowGraph(af.grad(fun(*arguments), parameter)).fprop()
    return gradient


def _load(name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"hips_{name}", HIPS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def checks() -> list[Check]:
    """Every check of HIPS's test functions, in file order (ids ``file.test[k]``)."""
    found: list[Check] = []
    current = [""]
    count = [0]
    differentiated = [False]

    def record(fun: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
               argnums: tuple[int, ...], order: int) -> None:
        found.append(Check(f"{current[0]}[{count[0]}]", fun, args, kwargs, argnums, order))
        count[0] += 1

    modules = _stand_in(record, differentiated)
    saved = {k: sys.modules.get(k) for k in [*modules, "numpy_utils"]}
    random_state = np.random.get_state()  # HIPS draws from numpy's global generator
    sys.modules.update(modules)  # while HIPS's files load and their tests run
    try:
        sys.modules["numpy_utils"] = _load("numpy_utils")
        _run_tests(current, count, differentiated, found)
    finally:
        np.random.set_state(random_state)
        for key, value in saved.items():
            if value is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = value
    return found


def _run_tests(current: list[str], count: list[int], differentiated: list[bool],
               found: list[Check]) -> None:
    """Run every test function of HIPS's files (checks record themselves; a body that
    fails is a check of its own, and so is one that differentiates and records none)."""
    for file in FILES:
        module = _load(f"{file}_tests")
        for name, test in vars(module).items():
            if not (name.startswith("test_") and callable(test)):
                continue
            for keywords in _parametrized(test):
                label = "".join(f"[{k}={v}]" for k, v in keywords.items())
                current[0], count[0], differentiated[0] = f"{file}.{name}{label}", 0, False
                np.random.seed(zlib.crc32(current[0].encode()))
                try:
                    test(**keywords)
                except Exception as error:  # noqa: BLE001 (the body's failure is the finding)
                    found.append(Check(f"{current[0]}[body]", error=error))
                else:
                    if differentiated[0] and count[0] == 0:
                        found.append(Check(f"{current[0]}[body]"))


def _parametrized(test: Callable[..., Any]) -> list[dict[str, Any]]:
    """The keyword sets of a test's ``pytest.mark.parametrize`` marks ([{}] if none)."""
    combinations: list[dict[str, Any]] = [{}]
    for mark in getattr(test, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        names = [n.strip() for n in mark.args[0].split(",")]
        values = [v if len(names) > 1 else (v,) for v in mark.args[1]]
        combinations = [{**c, **dict(zip(names, v))} for c in combinations for v in values]
    return combinations


def _parameters(value: Any, made: list[Any]) -> Any:
    """A Parameter for every number or array in value (lists and tuples kept)."""
    if isinstance(value, (list, tuple)):
        return type(value)(_parameters(v, made) for v in value)
    array = np.asarray(value)
    if np.iscomplexobj(array):
        raise TypeError("complex")
    if not np.issubdtype(array.dtype, np.floating):
        return value
    parameter = af.Parameter(array.astype(float), name=f"x{len(made)}")
    made.append(parameter)
    return parameter


def _outputs(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return [item for v in value for item in _outputs(v)]
    return [value]


def _complex(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_complex(v) for v in value)
    return isinstance(value, (complex, np.ndarray, np.generic)) and np.iscomplexobj(value)


def _first_clause(error: BaseException) -> str:
    """af's message without where the box was made, up to its advice."""
    return re.sub(r" \(created at [^)]*\)", "", str(error)).split(";")[0].split(": a box")[0]


def _not_a_box(error: BaseException) -> bool:
    return isinstance(error, TypeError) and any(text in str(error) for text in NOT_A_BOX)


def _body(check: Check) -> Outcome:
    error = check.error
    text = f"{type(error).__name__}: {error}"
    if _not_a_box(error):
        return Outcome(NOT_EXPRESSIBLE, f"the test body: {_first_clause(error)}"[:300])
    if isinstance(error, AssertionError):
        return Outcome(WRONG_GRADIENT, f"the test body's assertion failed {text}"[:300])
    return Outcome(CRASH, f"the test body: {text}"[:300])


def run(check: Check) -> Outcome:
    """Check one recorded call with af, as HIPS's check_grads does with autograd."""
    if check.error is not None:
        return _body(check)
    if check.fun is None:
        return Outcome(PASS)  # a body that differentiated, its assertions holding
    if _complex(check.args) or _complex(list(check.kwargs.values())):
        return Outcome(NOT_EXPRESSIBLE, "complex input")
    made: list[Any] = []
    arguments = [(_parameters(a, made) if i in check.argnums else a)
                 for i, a in enumerate(check.args)]
    try:
        with warnings.catch_warnings():  # np.row_stack is deprecated (numpy 2)
            warnings.simplefilter("ignore", DeprecationWarning)
            outputs = _outputs(check.fun(*arguments, **check.kwargs))
        boxes = [o for o in outputs if isinstance(o, af.Box)]
        computed = iter(_outputs(af.FlowGraph(boxes).fprop()) if boxes else [])
        values = [next(computed) if isinstance(o, af.Box) else o for o in outputs]
    except Exception as error:  # noqa: BLE001 (any exception is the finding)
        if _not_a_box(error):
            return Outcome(NOT_EXPRESSIBLE, _first_clause(error))
        return Outcome(CRASH, f"{type(error).__name__}: {error}"[:300])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        expected = _outputs(check.fun(*check.args, **check.kwargs))
    for position, (ours, theirs) in enumerate(zip(values, expected)):
        if np.shape(ours) != np.shape(theirs) or not np.allclose(
                ours, theirs, rtol=RTOL, atol=ATOL, equal_nan=True):
            return Outcome(WRONG_VALUE, f"output {position}: {ours!r} != numpy {theirs!r}"[:300])
    rng = np.random.default_rng(zlib.crc32(check.id.encode()))
    terms = [af.sum(b * rng.standard_normal(np.shape(value)))
             for b, value in zip(outputs, values) if isinstance(b, af.Box)
             and np.issubdtype(np.asarray(value).dtype, np.floating)]
    if not terms or not made:
        return Outcome(PASS)
    loss = terms[0]
    for term in terms[1:]:
        loss = loss + term
    try:
        reached = differences.reached(loss, made)
        if not reached:
            return Outcome(PASS)
        why = differences.gradcheck(loss, reached)
        if why:
            return Outcome(WRONG_GRADIENT, why)
        if check.order < 2:
            return Outcome(PASS)
        gradients = af.grad(loss, reached)
        dot = af.sum(gradients[0] * rng.standard_normal(np.shape(reached[0].value)))
        for g, p in zip(gradients[1:], reached[1:]):
            dot = dot + af.sum(g * rng.standard_normal(np.shape(p.value)))
        second = differences.reached(dot, reached)
        why = differences.gradcheck(dot, second) if second else ""
    except Exception as error:  # noqa: BLE001
        return Outcome(CRASH, f"differentiating: {type(error).__name__}: {error}"[:300])
    return Outcome(WRONG_HVP, why) if why else Outcome(PASS)


def outcomes() -> Iterator[tuple[Check, Outcome]]:
    """Every check with its outcome."""
    for check in checks():
        yield check, run(check)
