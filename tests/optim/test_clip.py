"""Gradient clipping: clip_grad_norm scales every .grad in place (the arrays bprop
returned too) and returns the total norm before clipping, as
torch.nn.utils.clip_grad_norm_ does (closed forms always, torch itself when installed);
clip_grad_value clamps every entry as min-char-rnn's np.clip does."""
import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.optim import SGD, clip_grad_norm, clip_grad_value


def parameters_with(*grads):
    params = []
    for k, grad in enumerate(grads):
        p = af.Parameter(np.zeros_like(grad), name=f"p{k}")
        p.grad = np.array(grad)
        params.append(p)
    return params


def test_the_total_norm_is_the_norm_of_all_gradients_as_one_vector():
    a, b = parameters_with(np.array([3.0, 0.0]), np.array([[0.0], [4.0]]))
    total = clip_grad_norm([a, b], max_norm=1.0)
    assert total == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad, [3 / (5 + 1e-6), 0.0])  # scaled by 1 / (5 + 1e-6)
    np.testing.assert_allclose(b.grad, [[0.0], [4 / (5 + 1e-6)]])


def test_gradients_within_the_norm_are_left_as_they_are():
    (a,) = parameters_with(np.array([0.3, -0.4]))
    assert clip_grad_norm(a, max_norm=1.0) == pytest.approx(0.5)  # one Parameter
    np.testing.assert_array_equal(a.grad, [0.3, -0.4])


@pytest.mark.parametrize("norm_type, total", [(1.0, 7.0), (float("inf"), 4.0),
                                               (3.0, 91 ** (1 / 3))])
def test_other_norms(norm_type, total):
    a, b = parameters_with(np.array([3.0, 0.0]), np.array([-4.0]))
    assert clip_grad_norm([a, b], 2.0, norm_type) == pytest.approx(total)
    np.testing.assert_allclose(np.concatenate([a.grad, b.grad]),
                               np.array([3.0, 0.0, -4.0]) * 2.0 / (total + 1e-6))


def test_the_arrays_bprop_returned_are_clipped_and_the_step_uses_them():
    w = af.Parameter(np.array([1.0, 2.0], dtype=np.float32), name="w")
    graph = af.FlowGraph(af.sum(af.square(w * 10.0)))
    for _ in range(3):  # the interpreter twice, then the compiled plan
        start = w.value.copy()
        graph.fprop()
        grads = graph.bprop()
        total = clip_grad_norm([w], max_norm=0.5)
        assert total == pytest.approx(200 * np.linalg.norm(start), rel=1e-6)
        assert grads[w] is w.grad and w.grad.dtype == np.float32
        assert np.linalg.norm(w.grad) == pytest.approx(0.5, rel=1e-5)
        SGD([w], lr=1.0).step(grads)
        np.testing.assert_allclose(w.value, start - w.grad)


def test_clip_grad_value_clamps_every_entry_in_place():
    a, b = parameters_with(np.array([-7.0, 0.5, 5.0]), np.array([[6.0, -1.0]]))
    grads = [a.grad, b.grad]
    assert clip_grad_value([a, b], 5.0) is None
    np.testing.assert_array_equal(a.grad, [-5.0, 0.5, 5.0])
    np.testing.assert_array_equal(b.grad, [[5.0, -1.0]])
    assert grads[0] is a.grad and grads[1] is b.grad


def test_parameters_without_a_gradient_are_skipped_but_not_all_of_them():
    (a,) = parameters_with(np.array([6.0, 8.0]))
    idle = af.Parameter(np.zeros(2), name="idle")
    assert clip_grad_norm([a, idle], 5.0) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="none of the 1 Parameters has a gradient; run "
                                         r"graph.bprop\(\) first"):
        clip_grad_value([idle], 1.0)


def test_a_non_finite_norm_is_refused_when_asked():
    (a,) = parameters_with(np.array([np.inf, 1.0]))
    with pytest.raises(ValueError, match="total 2-norm of the gradients is inf"):
        clip_grad_norm([a], 1.0, error_if_nonfinite=True)


@pytest.mark.parametrize("call, message", [
    (lambda ps: clip_grad_norm(ps, -1.0), "max_norm must be a number >= 0"),
    (lambda ps: clip_grad_value(ps, float("nan")), "clip_value must be a number >= 0"),
    (lambda ps: clip_grad_norm([np.zeros(2)], 1.0), "clips the gradients of Parameters"),
])
def test_bad_arguments_are_explained(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call(parameters_with(np.ones(2)))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.1, 100.0])
def test_clip_grad_norm_equals_torchs(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5), rng.standard_normal(())]
    ours = parameters_with(*grads)
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(theirs, grads):
        t.grad = torch.tensor(g)
    total = clip_grad_norm(ours, max_norm, norm_type)
    reference = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total == pytest.approx(float(reference), rel=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12, atol=0)


def test_clip_grad_value_equals_torchs():
    torch = pytest.importorskip("torch")
    grads = [np.random.default_rng(1).standard_normal((4, 5)) * 3]
    ours = parameters_with(*grads)
    theirs = torch.zeros(4, 5, dtype=torch.float64, requires_grad=True)
    theirs.grad = torch.tensor(grads[0])
    clip_grad_value(ours, 2.0)
    torch.nn.utils.clip_grad_value_([theirs], 2.0)
    np.testing.assert_array_equal(ours[0].grad, theirs.grad.numpy())
