"""numpy.fft's real-to-real transforms (af.fft.irfft, irfft2, irfftn, hfft, hfft2,
hfftn) through the one table checker; their gradient against the transpose of the map's
matrix, written out entry by entry; numpy's dispatch and the errors."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.fft

import autograd_flow as af

from .table import Case, parametrize

IRFFT = [((5,), {}), ((3, 4), {"n": 7}), ((3, 4), {"n": 4, "axis": 0, "norm": "ortho"}),
         ((2, 3, 4), {"axis": 1, "norm": "forward"}), ((1, 2), {}), ((6,), {"n": 3})]
IRFFTN = [((3, 4), {}), ((2, 3, 4), {"s": (3, 6)}),
          ((2, 3, 4), {"s": (3, 10), "axes": (1, 2), "norm": "ortho"}),
          ((2, 3, 4), {"axes": (0, -1)}), ((5,), {"s": (8,)}),
          ((2, 3, 3), {"axes": (-3, -2, -1), "norm": "forward"})]



def _axes(kwargs: dict) -> dict:
    """numpy's keywords with the axes s means (the last len(s)) written out: numpy 2
    deprecates s without axes."""
    if "s" in kwargs and "axes" not in kwargs:
        return {**kwargs, "axes": tuple(range(-len(kwargs["s"]), 0))}
    return kwargs


TABLE: list[Case] = [
    *[Case(af.fft.irfft, (s,), np.fft.irfft, kwargs=k) for s, k in IRFFT],
    *[Case(af.fft.hfft, (s,), np.fft.hfft, kwargs=k) for s, k in IRFFT],
    *[Case(af.fft.irfftn, (s,), np.fft.irfftn, kwargs=k, reference_kwargs=_axes(k))
      for s, k in IRFFTN],
    *[Case(af.fft.hfftn, (s,), scipy.fft.hfftn, kwargs=k, reference_kwargs=_axes(k))
      for s, k in IRFFTN],
    Case(af.fft.irfft2, ((2, 3, 4),), np.fft.irfft2, kwargs={"s": (4, 5)}),
    Case(af.fft.hfft2, ((3, 4),), scipy.fft.hfft2, kwargs={"norm": "ortho"}),
]


@parametrize(TABLE)
def test_fft(case: Case, check) -> None:
    check(case)


def _matrix(shape: tuple[int, ...], **kwargs) -> np.ndarray:
    """irfftn's matrix: column j is the transform of the j-th unit array."""
    columns = [np.fft.irfftn(np.eye(int(np.prod(shape)))[j].reshape(shape), **kwargs).ravel()
               for j in range(int(np.prod(shape)))]
    return np.stack(columns, axis=1)


@pytest.mark.parametrize(("shape", "kwargs"), [
    ((5,), {"s": (8,), "axes": (0,)}), ((5,), {"s": (9,), "axes": (0,), "norm": "ortho"}),
    ((3, 4), {"s": (2, 5), "axes": (0, 1)}), ((2, 3, 4), {"s": (3, 6), "axes": (2, 0)})])
def test_the_gradient_is_the_transpose_of_the_matrix(shape, kwargs) -> None:
    """d a = J^T d y for J the map's matrix (column j: the transform of unit array j),
    so the weights, the axes' order and the cut or padded lengths are all as numpy's."""
    rng = np.random.default_rng(0)
    a = af.Parameter(rng.standard_normal(shape), name="a")
    y = af.fft.irfftn(a, **kwargs)
    direction = rng.standard_normal(np.shape(af.FlowGraph(y).fprop()))
    graph = af.FlowGraph(af.sum(y * direction))
    graph.fprop()
    expected = _matrix(shape, **kwargs).T @ direction.ravel()
    np.testing.assert_allclose(graph.bprop()[a], expected.reshape(shape), atol=1e-12)


def test_numpy_calls_on_a_box_build_the_box() -> None:
    a = af.Parameter(np.arange(6.0).reshape(2, 3), name="a")
    for call, built in [(np.fft.irfft, af.fft.irfft), (np.fft.hfft, af.fft.hfft),
                        (np.fft.irfftn, af.fft.irfftn), (np.fft.irfft2, af.fft.irfft2)]:
        np.testing.assert_array_equal(af.FlowGraph(call(a)).fprop(),
                                      af.FlowGraph(built(a)).fprop())


def test_bad_settings_name_the_box() -> None:
    a = af.Parameter(np.zeros((2, 3)), name="a")
    with pytest.raises(af.BoxError, match="norm must be one of backward, ortho, forward"):
        af.fft.hfft(a, norm="sideways")
    with pytest.raises(af.BoxError, match="one entry per axis"):
        af.fft.irfftn(a, s=(2, 3), axes=(0,))
    with pytest.raises(af.BoxError, match=r"axes 2 is out of range"):
        af.FlowGraph(af.fft.irfft(a, axis=2)).fprop()
    with pytest.raises(af.BoxError, match=r"output lengths \(0,\) must be at least 1"):
        af.FlowGraph(af.fft.irfft(af.Parameter(np.zeros(1), name="b"))).fprop()
