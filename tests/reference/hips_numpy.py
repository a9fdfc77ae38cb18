"""The ``autograd.numpy`` HIPS's tests import as ``np``, ported to af the way a user
porting HIPS code writes it: numpy (boxes go through numpy's dispatch), except where
numpy itself would make an array of boxes, which numpy does not dispatch:

- ``array``, ``r_``, ``c_`` of items among which are boxes: ``af.array``,
  ``af.concatenate`` (``r_``: along axis 0, slices as their ranges; ``c_``: along the
  last axis, 1-D items as columns);
- ``int64(box)`` and the other sized number types: ``box.astype``;
- ``mean``, ``std``, ``var``, ``append``, ``linalg.norm`` of a list of boxes: the numpy
  function of ``af.array(list)``;
- autograd's own names, as autograd defines them: ``make_diagonal`` (offset 0, the
  last two axes only, as autograd), ``linalg.T`` (swap the last two axes) and
  ``linalg._dot`` (the matrix product over the last two axes, by ``einsum``).

Without boxes every call is numpy's own, so the numpy-only parts of the tests are
unchanged. Everything else is looked up in numpy (``numpy.linalg`` for ``linalg``).
"""
from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_flow as af

#: numpy's number types that cast a box (``np.int64(box)``) by ``box.astype``
CASTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
         "float16", "float32", "float64")


def _has_box(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_has_box(v) for v in value)
    return isinstance(value, af.Box)


def _boxed(value: Any) -> Any:
    """af.array(value) for a list or tuple with boxes among its items, else value."""
    return af.array(value) if isinstance(value, (list, tuple)) and _has_box(value) else value


def array(obj: Any, dtype: Any = None, *args: Any, **kwargs: Any) -> Any:
    """``np.array``; ``af.array`` (cast to dtype if given) when obj holds boxes."""
    if not _has_box(obj):
        return np.array(obj, dtype, *args, **kwargs)
    made = af.array(obj)
    return made if dtype is None else made.astype(dtype)


def _pieces(key: Any) -> list[Any]:
    items = key if isinstance(key, tuple) else (key,)
    if any(isinstance(item, str) for item in items):
        raise TypeError("r_/c_ with a directive string and boxes: write af.concatenate")
    return [np.r_[item] if isinstance(item, slice) else item for item in items]


class _Joiner:
    """``np.r_`` (column=False) or ``np.c_`` (column=True), by af.concatenate when
    boxes are among the items."""

    def __init__(self, numpys: Any, column: bool) -> None:
        self._numpys, self._column = numpys, column

    def __getitem__(self, key: Any) -> Any:
        if not _has_box(key):
            return self._numpys[key]
        pieces = [af.atleast_1d(p) if isinstance(p, af.Box) else np.atleast_1d(p)
                  for p in _pieces(key)]
        if not self._column:
            return af.concatenate(pieces, axis=0)
        columns = [p.reshape(-1, 1) if p.ndim == 1 else p for p in pieces]
        return af.concatenate(columns, axis=-1)


r_ = _Joiner(np.r_, column=False)
c_ = _Joiner(np.c_, column=True)


def _cast(name: str) -> type:
    """numpy's number type ``name`` (a dtype as ever), whose call on a box is
    ``box.astype``."""
    numpys = getattr(np, name)

    def new(cls: type, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], af.Box):
            return args[0].astype(numpys)
        return numpys(*args, **kwargs)
    return type(name, (numpys,), {"__new__": new, "__module__": __name__})


def _of_lists(numpys: Callable[..., Any]) -> Callable[..., Any]:
    """numpys, with each list or tuple of boxes among its arguments made one box."""
    def function(*args: Any, **kwargs: Any) -> Any:
        return numpys(*[_boxed(a) for a in args], **kwargs)
    function.__name__ = function.__qualname__ = numpys.__name__
    function.__doc__ = f"``np.{numpys.__name__}``, a list of boxes made one by af.array"
    return function


def make_diagonal(D: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """autograd's ``make_diagonal``: ``A[..., i, i] = D[..., i]``, zeros elsewhere
    (like autograd, only for offset 0 on the last two axes)."""
    if not (offset == 0 and axis1 == -1 and axis2 == -2):
        raise NotImplementedError("make_diagonal only supports offset=0, axis1=-1, axis2=-2")
    return D[..., :, None] * np.eye(np.shape(D)[-1])


def _linalg() -> types.ModuleType:
    linalg = types.ModuleType(f"{__name__}.linalg", "numpy.linalg with autograd's T and _dot")
    linalg.__getattr__ = lambda name: getattr(np.linalg, name)  # type: ignore[attr-defined]
    linalg.norm = _of_lists(np.linalg.norm)  # type: ignore[attr-defined]
    linalg.T = lambda x: np.swapaxes(x, -1, -2)  # type: ignore[attr-defined]
    linalg._dot = lambda a, b: np.einsum("...ij,...jk->...ik", a, b)  # type: ignore[attr-defined]
    return linalg


linalg = _linalg()
random = np.random
mean, std, var, append = (_of_lists(f) for f in (np.mean, np.std, np.var, np.append))
_module = sys.modules[__name__]
for _name in CASTS:
    setattr(_module, _name, _cast(_name))


def __getattr__(name: str) -> Any:
    return getattr(np, name)
