"""af forms of torch operators that numpy spells another way (see
:mod:`tests.reference.torch_samples`): each function takes a sample's arguments as the
harness passes them (torch's ``dim``/``keepdim`` already renamed ``axis``/``keepdims``)
and returns the af expression torch's operator means.

``torch.masked`` reductions (torch/masked/_ops.py) replace the entries the mask leaves
out by the reduction's identity (0 for sum, 1 for prod, -inf for amax and argmax, +inf
for amin and argmin) and reduce; mean, var and std divide by the number of entries kept
(var and std by that count less ``correction``, clipped at 0). numpy's ``where=`` (with
``initial=`` for amax/amin) is exactly that; numpy's argmax has no ``where=``, so the
left-out entries are replaced by torch's identity first. The mask broadcasts to the
input as numpy broadcasts ``where=``. torch reads ``dim=()`` as every axis (numpy: none).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_flow as af


def _axis(axis: Any) -> Any:
    """torch's ``dim`` as numpy's ``axis``: ``()`` means every axis in torch."""
    return None if axis == () else axis


def _where(mask: Any) -> Any:
    return True if mask is None else mask


def _masked_sum(a: Any, axis: Any = None, keepdims: bool = False, mask: Any = None) -> Any:
    return af.sum(a, axis=_axis(axis), keepdims=keepdims, where=_where(mask))


def _masked_prod(a: Any, axis: Any = None, keepdims: bool = False, mask: Any = None) -> Any:
    return af.prod(a, axis=_axis(axis), keepdims=keepdims, where=_where(mask))


def _masked_amax(a: Any, axis: Any = None, keepdims: bool = False, mask: Any = None) -> Any:
    return af.amax(a, axis=_axis(axis), keepdims=keepdims, initial=-np.inf,
                   where=_where(mask))


def _masked_amin(a: Any, axis: Any = None, keepdims: bool = False, mask: Any = None) -> Any:
    return af.amin(a, axis=_axis(axis), keepdims=keepdims, initial=np.inf,
                   where=_where(mask))


def _masked_mean(a: Any, axis: Any = None, keepdims: bool = False, mask: Any = None) -> Any:
    return af.mean(a, axis=_axis(axis), keepdims=keepdims, where=_where(mask))


def _ddof(unbiased: bool | None, correction: float | None) -> float:
    """torch's ``unbiased``/``correction`` as numpy's ``ddof`` (torch's default: 1)."""
    if correction is not None:
        return correction
    return 1 if unbiased is None else int(bool(unbiased))


def _masked_var(a: Any, axis: Any = None, unbiased: bool | None = None, *,
                correction: float | None = None, keepdims: bool = False,
                mask: Any = None) -> Any:
    return af.var(a, axis=_axis(axis), ddof=_ddof(unbiased, correction), keepdims=keepdims,
                  where=_where(mask))


def _masked_std(a: Any, axis: Any = None, unbiased: bool | None = None, *,
                correction: float | None = None, keepdims: bool = False,
                mask: Any = None) -> Any:
    return af.std(a, axis=_axis(axis), ddof=_ddof(unbiased, correction), keepdims=keepdims,
                  where=_where(mask))


def _masked_arg(find: Callable[..., Any], identity: float) -> Callable[..., Any]:
    def masked_arg(a: Any, axis: Any = None, keepdims: bool = False,
                   mask: Any = None) -> Any:
        kept = a if mask is None else af.where(mask, a, identity)
        return find(kept, axis=axis, keepdims=keepdims)
    return masked_arg


#: torch.masked's reductions with a numpy reference, as af expressions
MASKED: dict[str, Callable[..., Any]] = {
    "masked.sum": _masked_sum,
    "masked.prod": _masked_prod,
    "masked.amax": _masked_amax,
    "masked.amin": _masked_amin,
    "masked.mean": _masked_mean,
    "masked.var": _masked_var,
    "masked.std": _masked_std,
    "masked.argmax": _masked_arg(af.argmax, -np.inf),
    "masked.argmin": _masked_arg(af.argmin, np.inf),
}

#: every torch operator with an af form here, by OpInfo name
FORMS: dict[str, Callable[..., Any]] = {**MASKED}
