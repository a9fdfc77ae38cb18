"""numpy's own calls on boxes (NEP 13 and NEP 18): ``np.exp(box)``, ``box + 1`` and
``np.sum(box, axis=0)`` build boxes, so a bprop written with numpy runs on arrays and on
boxes alike.

The core knows no primitive: the tables below are filled at import by the module that
declares the primitives (:mod:`autograd_flow.ops.registry`), and never change after.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

#: numpy ufunc -> the function that builds its box (``np.add`` -> ``af.add``)
UFUNCS: dict[np.ufunc, Callable[..., Any]] = {}
#: numpy function -> the function that builds its box from numpy's own arguments
FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {}


#: numpy functions that read an attribute of a box (known before a run when its leaves
#: declare their shapes, see :func:`autograd_flow.core.box.example`)
_ATTRIBUTES: dict[Callable[..., Any], str] = {np.shape: "shape", np.ndim: "ndim", np.size: "size"}


#: numpy functions left out because their results are complex in general, with what
#: serves for the real case
_COMPLEX_VALUED: dict[Callable[..., Any], str] = {np.linalg.eig: "np.linalg.eigh",
                                                  np.linalg.eigvals: "np.linalg.eigvalsh"}


def _no_box_form(what: str) -> TypeError:
    return TypeError(
        f"{what} has no box form in autograd_flow: a box is a node of a flow graph, "
        "computed only when the graph runs. Use the af function of the same name where "
        "there is one, or compute it inside the fprop of a Box of your own.")


def _numpy_name(function: Callable[..., Any]) -> str:
    """``np.linalg.eig`` for numpy.linalg's eig (the name a user wrote)."""
    module = getattr(function, "__module__", None) or "numpy"
    return module.replace("numpy", "np", 1) + f".{getattr(function, '__name__', function)}"


#: a ufunc's keyword arguments at numpy's defaults, which change nothing on boxes
_UFUNC_DEFAULTS: dict[str, Any] = {"where": True, "dtype": None, "casting": "same_kind",
                                   "order": "K", "subok": True, "signature": None}


def _is_ufunc_default(key: str, value: Any) -> bool:
    if key == "out":
        return value is None or (isinstance(value, tuple) and all(v is None for v in value))
    default = _UFUNC_DEFAULTS.get(key, object())
    return value is default or (isinstance(value, str) and value == default)


def call_ufunc(ufunc: np.ufunc, method: str, inputs: tuple[Any, ...],
               kwargs: dict[str, Any]) -> Any:
    """``ufunc(*inputs)`` where an input is a box: the box of that primitive."""
    build = UFUNCS.get(ufunc)
    if build is None or method != "__call__":
        name = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        raise _no_box_form(name)
    given = [key for key, value in kwargs.items() if not _is_ufunc_default(key, value)]
    if given:
        raise TypeError(f"np.{ufunc.__name__} on boxes takes no keyword arguments "
                        f"({', '.join(given)}): a box's value is computed by its graph, "
                        "so there is no out=, where= or dtype= to give.")
    return build(*inputs)


def call_function(function: Callable[..., Any], args: tuple[Any, ...],
                  kwargs: dict[str, Any]) -> Any:
    """``function(*args, **kwargs)`` (a numpy function) where an argument is a box."""
    attribute = _ATTRIBUTES.get(function)
    if attribute is not None and len(args) == 1 and not kwargs:
        return getattr(args[0], attribute)  # np.shape(box): box.shape, known or explained
    build = FUNCTIONS.get(function)
    if function in _COMPLEX_VALUED:
        raise TypeError(
            f"{_numpy_name(function)} has no box form in autograd_flow: its results are "
            "complex-valued for a real matrix in general (a non-symmetric one), and "
            "autograd_flow computes with real arrays only. For a symmetric matrix use "
            f"{_COMPLEX_VALUED[function]}.")
    if build is None:
        raise _no_box_form(_numpy_name(function))
    return build(*args, **kwargs)
