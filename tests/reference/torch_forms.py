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



def _shape(a: Any) -> tuple[int, ...]:
    return tuple(np.shape(a))


def _native_layer_norm(a: Any, normalized_shape: Any, weight: Any, bias: Any,
                       eps: float) -> tuple[Any, Any, Any]:
    """torch.native_layer_norm: (y, mean, 1/sqrt(biased var + eps)) over the trailing
    ``normalized_shape`` axes, the statistics with those axes kept as 1s."""
    axes = tuple(range(len(_shape(a)) - len(normalized_shape), len(_shape(a))))
    mean = af.mean(a, axis=axes, keepdims=True)
    rstd = 1.0 / af.sqrt(af.var(a, axis=axes, keepdims=True) + eps)
    y = (a - mean) * rstd
    y = y if weight is None else y * weight
    return (y if bias is None else y + bias), mean, rstd


def _native_group_norm(a: Any, weight: Any, bias: Any, n: int, channels: int, hw: int,
                       groups: int, eps: float) -> tuple[Any, Any, Any]:
    """torch.native_group_norm: (y, mean, rstd), the statistics of each (example,
    group) over its channels and positions, of shape (n, groups)."""
    rows = af.reshape(a, (n, groups, channels // groups * hw))
    mean = af.mean(rows, axis=-1, keepdims=True)
    rstd = 1.0 / af.sqrt(af.var(rows, axis=-1, keepdims=True) + eps)
    y = af.reshape((rows - mean) * rstd, _shape(a))
    per_channel = (1, channels) + (1,) * (len(_shape(a)) - 2)
    y = y if weight is None else y * af.reshape(weight, per_channel)
    y = y if bias is None else y + af.reshape(bias, per_channel)
    return y, af.reshape(mean, (n, groups)), af.reshape(rstd, (n, groups))


def _squeeze(a: Any, axis: Any = None) -> Any:
    """torch.squeeze: the given axes (every axis by default) of size 1 are dropped, the
    others kept (numpy refuses them); axis 0 or -1 of a 0-d tensor is no axis."""
    shape = _shape(a)
    if axis is None or not shape:
        return af.squeeze(a) if shape else af.reshape(a, ())
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return af.squeeze(a, axis=tuple(k for k in axes if shape[k] == 1))


def _flatten(a: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    """torch.flatten: axes start_dim..end_dim merged into one (a 0-d tensor: one entry)."""
    shape = _shape(a)
    if not shape:
        return af.reshape(a, (1,))
    start, end = start_dim % len(shape), end_dim % len(shape)
    return af.reshape(a, (*shape[:start], -1, *shape[end + 1:]))


def _scaled(op: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    """torch.add/sub: a op alpha * b."""
    def scaled(a: Any, b: Any, alpha: float = 1) -> Any:
        return op(a, b) if alpha == 1 else op(a, alpha * b)
    return scaled


def _addbmm(a: Any, b1: Any, b2: Any, beta: float = 1, alpha: float = 1) -> Any:
    """torch.addbmm: beta a + alpha sum_k b1[k] @ b2[k] (a is left out for beta = 0)."""
    products = alpha * af.sum(af.matmul(b1, b2), axis=0)
    return products if beta == 0 else beta * a + products


def _aminmax(a: Any, axis: Any = None, keepdims: bool = False) -> tuple[Any, Any]:
    return af.amin(a, axis=axis, keepdims=keepdims), af.amax(a, axis=axis, keepdims=keepdims)


def _logit(a: Any, eps: float | None = None) -> Any:
    """torch.logit: the input clamped to [eps, 1 - eps] first, if eps is given."""
    return af.logit(a if eps is None else af.clip(a, eps, 1 - eps))


def _linalg_vander(a: Any, N: int | None = None) -> Any:  # noqa: N803 (torch's)
    """torch.linalg.vander: np.vander(increasing=True) of each row of the last axis."""
    shape = _shape(a)
    if len(shape) <= 1:
        return af.vander(af.reshape(a, (-1,)), N, increasing=True)
    columns = shape[-1] if N is None else N
    rows = af.vander(af.reshape(a, (-1,)), columns, increasing=True)
    return af.reshape(rows, (*shape, columns))


def _cat(arrays: Any, axis: int = 0) -> Any:
    """torch.cat: np.concatenate, but 1-d tensors of no entries are left out (torch's
    legacy rule, whatever their other shapes)."""
    kept = [a for a in arrays if _shape(a) != (0,)]
    return af.concatenate(kept or arrays, axis=axis)


def _transpose(a: Any, axis1: int, axis2: int) -> Any:
    """torch.transpose: np.swapaxes; a 0-d tensor has axes 0 and -1 (itself)."""
    return af.swapaxes(a, axis1, axis2) if _shape(a) else af.reshape(a, ())


def _float_bits(a: Any) -> Any:
    """The float64 bit patterns of ``a`` as uint64 (ndarray.view(np.uint64)) from
    np.frexp: sign 2^63 + (exponent + 1022) 2^52 + (2 |mantissa| - 1) 2^52, and the sign
    alone for a zero; exact for zeros and normal numbers (the exponent of a subnormal
    number, an infinity or NaN has other bits: refused)."""
    plain = np.asarray(a, dtype=np.float64)
    if not np.all((plain == 0) | (np.isfinite(plain) & (np.abs(plain) >= np.finfo(float).tiny))):
        raise ValueError("the bit patterns are written for zeros and normal numbers only")
    mantissa, exponent = af.frexp(plain)
    sign = af.astype(af.signbit(plain), np.uint64) * 2**63
    fraction = af.astype((2.0 * af.abs(mantissa) - 1.0) * 2.0**52, np.uint64)
    bits = sign + af.astype(exponent + 1022, np.uint64) * 2**52 + fraction
    return af.where(plain == 0, sign, bits)


def _hash_tensor(a: Any, axis: Any = (), keepdims: bool = False, mode: int = 0) -> Any:
    """torch.hash_tensor (mode 0): np.bitwise_xor.reduce of the float64 bit patterns
    over ``axis`` (``()``: every axis), written bit by bit: bit k of the result is the
    parity of the sum of the entries' bits k."""
    if mode != 0:
        raise ValueError(f"only mode 0 (xor) has a reference, got {mode}")
    bits = _float_bits(a)
    axes = None if axis == () else axis
    result = 0
    for k in range(64):
        ones = af.sum((bits // 2**k) % 2, axis=axes, keepdims=keepdims)
        result = result + (ones % 2) * 2**k
    return af.astype(result, np.uint64)


#: torch operators numpy writes as an expression, or with other arguments
TORCH_ONLY: dict[str, Callable[..., Any]] = {
    "linalg.vander": _linalg_vander,
    "cat": _cat,
    "transpose": _transpose,
    "broadcast_tensors": af.broadcast_arrays,
    "fill": lambda a, value: af.full_like(a, value),  # np.full_like
    "native_layer_norm": _native_layer_norm,
    "native_group_norm": _native_group_norm,
    "squeeze": _squeeze,
    "squeeze.multiple": _squeeze,
    "squeeze_copy": _squeeze,
    "view_copy": af.reshape,
    "unbind": lambda a, axis=0: af.unstack(a, axis=axis),  # np.unstack
    "unbind_copy": lambda a, axis=0: af.unstack(a, axis=axis),
    "flatten": _flatten,
    "add": _scaled(af.add),
    "sub": _scaled(af.subtract),
    "addbmm": _addbmm,
    "bmm.triton_optimized": af.matmul,
    "aminmax": _aminmax,
    "logit": _logit,
    "rsqrt": lambda a: 1.0 / af.sqrt(a),
    "frac": lambda a: a - af.trunc(a),  # torch: x - trunc(x)
    "special.spherical_bessel_j0": lambda a: af.sinc(a / np.pi),  # sin(x) / x
    "special.airy_ai": lambda a: af.airy(a)[0],  # scipy.special.airy's Ai
    "item": lambda a: af.reshape(a, ()),
    "hash_tensor": _hash_tensor,
}

def _window(shape: Callable[..., Any]) -> Callable[..., Any]:
    """A torch.signal.windows function of M points from ``shape(M, sym, **parameters)``
    (an af expression of M > 1 points): no points for M = 0, a 1 for M = 1, as torch;
    the tensor options (dtype, device, layout, requires_grad) are torch's, a float64
    window is numpy's own."""
    def window(M: int, *, sym: bool = True, dtype: Any = None, device: Any = None,  # noqa: N803
               layout: Any = None, requires_grad: bool = False, **parameters: Any) -> Any:
        del device, layout, requires_grad  # where torch keeps the window, not its value
        points = (af.full_like(af.linspace(0.0, 1.0, M), 1.0) if M <= 1
                  else shape(M, sym, **parameters))
        return points if dtype is None else af.astype(points, dtype)
    return window


def _line(M: int, start: float, step: float) -> Any:  # noqa: N803 (torch's)
    """torch.linspace(start, start + (M - 1) step, M), which torch's windows are built on."""
    return af.linspace(start, start + (M - 1) * step, M)


def _general_cosine(M: int, sym: bool, a: Any) -> Any:  # noqa: N803
    """sum_i (-1)^i a_i cos(2 pi i n / (M - 1)) (M for sym=False), n = 0..M-1."""
    k = _line(M, 0.0, 2 * np.pi / (M - 1 if sym else M))
    return sum((-1) ** i * w * af.cos(i * k) for i, w in enumerate(a))


def _cosines(a: list[float]) -> Callable[..., Any]:
    return lambda M, sym: _general_cosine(M, sym, a)  # noqa: N803


def _bartlett(M: int, sym: bool) -> Any:  # noqa: N803
    """1 - |k| for k from -1 in steps of 2 / (M - 1) (2 / M for sym=False)."""
    return 1.0 - af.abs(_line(M, -1.0, 2.0 / (M - 1 if sym else M)))


def _cosine(M: int, sym: bool) -> Any:  # noqa: N803
    """sin(pi (n + 1/2) / M) (M + 1 for sym=False)."""
    step = np.pi / (M if sym else M + 1)
    return af.sin(_line(M, 0.5 * step, step))


def _center(M: int, sym: bool) -> float:  # noqa: N803
    return (M - 1 if sym else M) / 2.0


def _exponential(M: int, sym: bool, tau: float = 1.0, center: float | None = None) -> Any:  # noqa: N803
    """exp(-|n - center| / tau), center (M - 1) / 2 (M / 2 for sym=False)."""
    middle = _center(M, sym) if center is None else center
    return af.exp(-af.abs(_line(M, -middle / tau, 1.0 / tau)))


def _gaussian(M: int, sym: bool, std: float = 1.0) -> Any:  # noqa: N803
    """exp(-(n - center)^2 / (2 std^2)), center as for the exponential window."""
    scale = 1.0 / (std * np.sqrt(2.0))
    return af.exp(-af.square(_line(M, -_center(M, sym) * scale, scale)))


def _kaiser(M: int, sym: bool, beta: float = 12.0) -> Any:  # noqa: N803
    """i0(sqrt(beta^2 - k^2)) / i0(beta) for k from -beta in steps of 2 beta / (M - 1)
    (2 beta / M for sym=False), k clipped at beta as torch's linspace end is."""
    k = af.minimum(_line(M, -beta, 2.0 * beta / (M - 1 if sym else M)), beta)
    return af.i0(af.sqrt(beta * beta - af.square(k))) / np.i0(beta)


#: torch.signal.windows (torch/signal/windows/windows.py), as af expressions of n = 0..M-1
WINDOWS: dict[str, Callable[..., Any]] = {
    "signal.windows.bartlett": _window(_bartlett),
    "signal.windows.blackman": _window(_cosines([0.42, 0.5, 0.08])),
    "signal.windows.cosine": _window(_cosine),
    "signal.windows.exponential": _window(_exponential),
    "signal.windows.gaussian": _window(_gaussian),
    "signal.windows.general_cosine": _window(_general_cosine),
    "signal.windows.general_hamming":
        _window(lambda M, sym, alpha=0.54: _general_cosine(M, sym, [alpha, 1.0 - alpha])),  # noqa: N803
    "signal.windows.hamming": _window(_cosines([0.54, 0.46])),
    "signal.windows.hann": _window(_cosines([0.5, 0.5])),
    "signal.windows.kaiser": _window(_kaiser),
    "signal.windows.nuttall": _window(_cosines([0.3635819, 0.4891775, 0.1365995, 0.0106411])),
}

def _four_inputs(i0: Any, i1: Any, i2: Any, i3: Any, *, alpha: float = 1,
                 beta: float = 1) -> Any:
    """jiterator_4inputs_with_extra_args: alpha i0 + beta i1 + i2 + i3."""
    return alpha * i0 + beta * i1 + i2 + i3


#: the jiterator OpInfos (common_methods_invocations.py): CUDA C++ kernels torch compiles
#: at run time and runs on GPUs only (on the CPU torch raises), each with a numpy
#: reference (``op.ref``); the harness compares their values with that reference and
#: their gradients and H v with central differences of af's own values, not with torch
JITERATOR: dict[str, Callable[..., Any]] = {
    "jiterator_unary": lambda x: x * x + x,
    "jiterator_binary": _scaled(af.add),  # input + alpha * other
    "jiterator_4inputs_with_extra_args": _four_inputs,
    "jiterator_binary_return_by_ref": af.add,
    "jiterator_2inputs_2outputs": lambda i0, i1: (i0 + i1, i0 - i1),
}

#: every torch operator with an af form here, by OpInfo name
FORMS: dict[str, Callable[..., Any]] = {**MASKED, **TORCH_ONLY, **WINDOWS, **JITERATOR}

#: OpInfos with no af form, by name or name prefix, and why (precisely)
WITHOUT_FORM: dict[str, str] = {
    **{f"fft.{name}": f"its value is complex (scipy.fft.{name} of a real array is a complex "
       "array), and af's arrays are real (af.fft has the transforms with real values: "
       "irfft, irfft2, irfftn, hfft, hfft2, hfftn)"
       for name in ("fft", "fft2", "fftn", "ifft", "ifft2", "ifftn", "rfft", "rfft2",
                    "rfftn", "ihfft", "ihfft2", "ihfftn")},
}


def without_form(name: str) -> str:
    """Why the OpInfo ``name`` has no af form (empty if no reason is recorded)."""
    return next((why for key, why in WITHOUT_FORM.items()
                 if name == key or (key.endswith(("_", ".")) and name.startswith(key))), "")
