"""numpy.fft's transforms that take a real array to a real array: ``af.fft.irfft``,
``irfft2``, ``irfftn`` and ``hfft``, ``hfft2``, ``hfftn``, on a real input (a real x is
the spectrum x + 0i). Each is a linear map of x, so its gradient is the map's transpose
(an ``rfft`` of the gradient with the Hermitian weights, then ``fft`` along the other
axes), and a second derivative is the map again (the core's ``Adjoint``). The
transforms with complex values (fft, rfft, ihfft, ...) are not here: af's arrays are
real."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, cast

import numpy as np

from ..core.box import Box
from ..errors import BoxError, describe
from .axes import as_tuple, axis_indices, integers_setting
from .registry import function, primitive

Norm = Literal["backward", "ortho", "forward"]
NORMS = ("backward", "ortho", "forward")
#: numpy's hfft is irfft with the normalization on the other side (hfft(x) = n irfft(x))
_SWAPPED: dict[str, Norm] = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


def _fit(a: np.ndarray, length: int, axis: int) -> np.ndarray:
    """``a`` cut or padded with zeros to ``length`` entries along ``axis``."""
    side = a.shape[axis]
    if side >= length:
        return np.take(a, np.arange(length), axis=axis)
    widths = [(0, 0)] * a.ndim
    widths[axis] = (0, length - side)
    return np.pad(a, widths)


@primitive()
class Irfftn(Box):
    """y = np.fft.irfftn(a, s, axes, norm) of a real a (the spectrum a + 0i): the
    inverse FFT along ``axes``, the last one's a Hermitian half-spectrum of s[-1]
    points;   d a = Re of the transpose: rfft(d y) along the last axis times the
    Hermitian weights (1, 2, ..., 2, 1 for an even length), fft along the others, each
    with the normalization on the other side, cut or padded back to a's lengths"""

    linear_in = (0,)

    def __init__(self, a: Any, s: Sequence[int] | None = None, axes: Any = None,
                 norm: str | None = None, name: str | None = None) -> None:
        super().__init__(a, name=name)
        self.s = None if s is None else as_tuple(integers_setting(self, s, "s"))
        self.axes = None if axes is None else as_tuple(integers_setting(self, axes, "axes"))
        if norm not in (None, *NORMS):
            raise BoxError(f"{describe(self)}: norm must be one of {', '.join(NORMS)} or "
                           f"None, got {norm!r}.")
        self.norm = cast("Norm | None", norm)
        if self.s is not None and self.axes is not None and len(self.s) != len(self.axes):
            raise BoxError(f"{describe(self)}: s {self.s} and axes {self.axes} must have "
                           "one entry per axis.")

    def resolved(self, shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(s, axes) as numbers for an input of ``shape``: the axes (default: the last
        len(s), or all) as indices, the output lengths (default: the input's, the last
        2 (m - 1))."""
        count = len(shape) if self.s is None else len(self.s)
        axes = self.axes if self.axes is not None else tuple(range(-count, 0))
        axes = axis_indices(self, axes, shape, "axes")
        if not axes:
            raise BoxError(f"{describe(self)}: axes must name at least one axis (numpy "
                           "refuses none).")
        if self.s is not None:
            s = self.s
        else:
            s = (*(shape[k] for k in axes[:-1]), 2 * (shape[axes[-1]] - 1))
        if any(length < 1 for length in s):
            raise BoxError(f"{describe(self)}: the output lengths {s} must be at least 1 "
                           f"for an input of shape {shape} (give s).")
        return s, axes

    def fprop(self, a):
        s, axes = self.resolved(np.shape(a))
        value = np.fft.irfftn(a, s, axes, self.norm)
        return value.astype(np.result_type(a, np.float32), copy=False)

    def bprop(self, grad, a):
        s, axes = self.resolved(np.shape(a))
        norm = _SWAPPED[self.norm or "backward"]
        last, n = axes[-1], s[-1]
        weights = np.full(n // 2 + 1, 2.0)
        weights[0] = 1.0
        if n % 2 == 0:
            weights[-1] = 1.0
        along_last = weights.reshape((-1,) + (1,) * (np.ndim(grad) - last - 1))
        spectrum = _fit(np.fft.rfft(grad, axis=last, norm=norm) * along_last,
                        np.shape(a)[last], last)
        for axis in axes[:-1]:
            spectrum = _fit(np.fft.fft(spectrum, axis=axis, norm=norm),
                            np.shape(a)[axis], axis)
        return spectrum.real.astype(np.result_type(a, grad), copy=False)


def _one(n: int | None, axis: int) -> tuple[tuple[int, ...] | None, tuple[int, ...]]:
    return (None if n is None else (n,)), (axis,)


def _swapped(norm: str | None) -> str | None:
    """hfft's norm as irfft's (an unknown one as it is, for the box to refuse)."""
    return _SWAPPED.get(norm or "backward", norm)


@function("fft.irfft", box=Irfftn, numpy=np.fft.irfft)
def irfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None,
          name: str | None = None) -> Box:
    """The inverse of rfft of a real half-spectrum ``a`` along ``axis`` (n output
    points, default 2 (m - 1)), as ``np.fft.irfft``."""
    s, axes = _one(n, axis)
    return Irfftn(a, s, axes, norm, name=name or "irfft")


@function("fft.irfft2", box=Irfftn, numpy=np.fft.irfft2, graphs=False)
def irfft2(a: Any, s: Sequence[int] | None = None, axes: Any = (-2, -1),
           norm: str | None = None, name: str | None = None) -> Box:
    """np.fft.irfft2: :func:`irfftn` over the last two axes by default."""
    return Irfftn(a, s, axes, norm, name=name or "irfft2")


@function("fft.irfftn", box=Irfftn, numpy=np.fft.irfftn, graphs=False)
def irfftn(a: Any, s: Sequence[int] | None = None, axes: Any = None,
           norm: str | None = None, name: str | None = None) -> Box:
    """The inverse of rfftn of a real ``a`` over ``axes`` (default: the last len(s), or
    all), as ``np.fft.irfftn``."""
    return Irfftn(a, s, axes, norm, name=name or "irfftn")


@function("fft.hfft", box=Irfftn, numpy=np.fft.hfft, graphs=False)
def hfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None,
         name: str | None = None) -> Box:
    """The FFT of a signal whose real half-spectrum is ``a``, as ``np.fft.hfft``:
    irfft with the normalization on the other side (n irfft(a) by default)."""
    s, axes = _one(n, axis)
    return Irfftn(a, s, axes, _swapped(norm), name=name or "hfft")


@function("fft.hfft2", box=Irfftn, graphs=False)
def hfft2(a: Any, s: Sequence[int] | None = None, axes: Any = (-2, -1),
          norm: str | None = None, name: str | None = None) -> Box:
    """scipy.fft.hfft2 (torch.fft.hfft2) of a real ``a``: :func:`hfftn` over the last
    two axes by default."""
    return Irfftn(a, s, axes, _swapped(norm), name=name or "hfft2")


@function("fft.hfftn", box=Irfftn, graphs=False)
def hfftn(a: Any, s: Sequence[int] | None = None, axes: Any = None,
          norm: str | None = None, name: str | None = None) -> Box:
    """scipy.fft.hfftn (torch.fft.hfftn) of a real ``a``: irfftn of its conjugate (a
    itself) with the normalization on the other side."""
    return Irfftn(a, s, axes, _swapped(norm), name=name or "hfftn")
