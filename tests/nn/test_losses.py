"""l1_loss, smooth_l1_loss, huber_loss and af.nn.mse_loss: the op table's seven checks against their
docstrings' formulas written in numpy, torch (when installed) in float64 and float32
with every reduction, the gradients at the seams, and bad options."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_flow as af

from ..ops.table import Case, parametrize

REDUCE = {"mean": np.mean, "sum": np.sum, "none": lambda losses: losses}


def numpy_l1(p, t, reduction="mean"):
    return REDUCE[reduction](np.abs(p - t))


def numpy_smooth_l1(p, t, reduction="mean", beta=1.0):
    if beta == 0:
        return numpy_l1(p, t, reduction)
    z = np.abs(p - t)
    return REDUCE[reduction](np.where(z < beta, 0.5 * z**2 / beta, z - 0.5 * beta))


def numpy_huber(p, t, reduction="mean", delta=1.0):
    z = np.abs(p - t)
    return REDUCE[reduction](np.where(z < delta, 0.5 * z**2, delta * (z - 0.5 * delta)))


def numpy_mse(p, t, reduction="mean"):
    return REDUCE[reduction]((p - t) ** 2)


TABLE: list[Case] = [
    *[Case(af.nn.mse_loss, shapes, numpy_mse, kwargs=k)
      for shapes, k in [(((), ()), {}), (((4,), (4,)), {"reduction": "sum"}),
                        (((2, 3), (3,)), {"reduction": "none"})]],
    *[Case(af.l1_loss, shapes, numpy_l1, domain="nonzero", kwargs=k)
      for shapes, k in [(((4,), ()), {}), (((2, 3), (2, 3)), {"reduction": "sum"}),
                        (((2, 3), (3,)), {"reduction": "none"})]],
    *[Case(af.smooth_l1_loss, shapes, numpy_smooth_l1, kwargs=k)
      for shapes, k in [(((6,), (6,)), {}), (((2, 3), (2, 3)), {"beta": 0.5}),
                        (((2, 3), (3,)), {"reduction": "none", "beta": 2.0}),
                        (((3,), (3,)), {"reduction": "sum", "beta": 0.0})]],
    *[Case(af.huber_loss, shapes, numpy_huber, kwargs=k)
      for shapes, k in [(((6,), (6,)), {}), (((2, 3), (2, 3)), {"delta": 0.5}),
                        (((2, 3), (3,)), {"reduction": "none", "delta": 2.0}),
                        (((), ()), {"reduction": "sum"})]],
]


@parametrize(TABLE)
def test_loss(case: Case, check) -> None:
    check(case)


def _gradients(loss, p, t, **options):
    prediction, target = af.Parameter(p, name="p"), af.Parameter(t, name="t")
    graph = af.FlowGraph(loss(prediction, target, **options), wrt=[prediction, target])
    graph.fprop()
    grads = graph.bprop()
    return grads[prediction], grads[target]


def test_gradients_at_the_seams_are_those_of_torch():
    """z = 0 (l1: 0), z = beta or delta exactly (the linear piece: sign(d) times its
    slope), and inside (d / beta; d for Huber)."""
    p = np.array([1.0, 2.5, -0.5, 0.2, 3.0])
    t = np.array([1.0, 0.5, 1.5, 0.0, 0.0])  # d = 0, 2, -2, 0.2, 3
    grad, target_grad = _gradients(af.l1_loss, p, t, reduction="sum")
    np.testing.assert_array_equal(grad, [0, 1, -1, 1, 1])
    np.testing.assert_array_equal(target_grad, -grad)
    grad, _ = _gradients(af.smooth_l1_loss, p, t, reduction="sum", beta=2.0)
    np.testing.assert_allclose(grad, [0, 1, -1, 0.1, 1], rtol=1e-15)
    grad, _ = _gradients(af.huber_loss, p, t, reduction="sum", delta=2.0)
    np.testing.assert_allclose(grad, [0, 2, -2, 0.2, 2], rtol=1e-15)


def test_huber_is_delta_times_smooth_l1_with_beta_delta():
    rng = np.random.default_rng(4)
    p, t = rng.standard_normal(20) * 3, rng.standard_normal(20)
    for delta in (0.3, 1.0, 2.5):
        huber = af.FlowGraph(af.huber_loss(p, t, delta=delta)).fprop()
        smooth = af.FlowGraph(af.smooth_l1_loss(p, t, beta=delta)).fprop()
        np.testing.assert_allclose(huber, delta * smooth, rtol=1e-14)


OPTIONS = [  # our loss, torch's name, options (the same names in both)
    (af.l1_loss, "l1_loss", {}),
    (af.l1_loss, "l1_loss", {"reduction": "sum"}),
    (af.smooth_l1_loss, "smooth_l1_loss", {}),
    (af.smooth_l1_loss, "smooth_l1_loss", {"beta": 0.3, "reduction": "none"}),
    (af.smooth_l1_loss, "smooth_l1_loss", {"beta": 0.0, "reduction": "sum"}),
    (af.huber_loss, "huber_loss", {}),
    (af.huber_loss, "huber_loss", {"delta": 2.5, "reduction": "none"}),
    (af.huber_loss, "huber_loss", {"delta": 0.1, "reduction": "sum"}),
    (af.nn.mse_loss, "mse_loss", {}),
    (af.nn.mse_loss, "mse_loss", {"reduction": "sum"}),
    (af.nn.mse_loss, "mse_loss", {"reduction": "none"}),
]


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-13), (np.float32, 1e-6)])
@pytest.mark.parametrize("ours, theirs, options", OPTIONS,
                         ids=[f"{t}-{'-'.join(map(str, o.values())) or 'default'}"
                              for _, t, o in OPTIONS])
def test_matches_torch(ours, theirs, options, dtype, rtol):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    p, t = (rng.standard_normal((6, 4)) * 2).astype(dtype), rng.standard_normal((6, 4))
    t = t.astype(dtype)
    prediction, target = af.Parameter(p, name="p"), af.Parameter(t, name="t")
    graph = af.FlowGraph(ours(prediction, target, **options), wrt=[prediction, target])
    value = graph.fprop()
    seed = rng.standard_normal(np.shape(value)).astype(dtype)
    grads = graph.bprop(seed if np.ndim(value) else dtype(seed))
    tp, tt = (torch.tensor(a, requires_grad=True) for a in (p, t))
    expected = getattr(torch.nn.functional, theirs)(tp, tt, **options)
    expected.backward(torch.tensor(seed))
    assert np.result_type(value) == dtype and grads[prediction].dtype == dtype
    np.testing.assert_allclose(value, expected.detach().numpy(), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(grads[prediction], tp.grad.numpy(), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(grads[target], tt.grad.numpy(), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("call, message", [
    (lambda p: af.l1_loss(p, 0, reduction="max"), "l1_loss: unknown reduction 'max'"),
    (lambda p: af.smooth_l1_loss(p, 0, beta=-1), "beta must be >= 0"),
    (lambda p: af.huber_loss(p, 0, delta=0), "delta must be > 0"),
    (lambda p: af.huber_loss(p, 0, reduction="avg"), "huber_loss: unknown reduction"),
    (lambda p: af.nn.mse_loss(p, 0, reduction="avg"), "unknown reduction 'avg'"),
])
def test_bad_options_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call(af.Input("p"))


def test_losses_are_named_and_scoped():
    p = af.Input("p")
    assert af.l1_loss(p, 0).name == "l1_loss"
    assert af.smooth_l1_loss(p, 0, beta=0).name == "smooth_l1_loss"
    assert af.nn.mse_loss(p, 0).name == "mse_loss"
    loss = af.huber_loss(p, 0, name="robust")
    assert loss.name == "robust"
    assert all(b.scopes[0].kind == "huber_loss" for b in af.FlowGraph(loss).order
               if b is not p and b.scopes)
