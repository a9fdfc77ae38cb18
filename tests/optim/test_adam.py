"""Adam and RMSprop: the closed-form updates computed independently here, the same
trajectories as torch.optim step for step (when torch is installed), the state that
checkpoints save, and clear errors for bad options."""
import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.optim import SGD, Adam, RMSprop

GRADS = [np.array([[0.5, -1.0, 2.0]]), np.array([[-0.3, 0.0, 1.5]]),
         np.array([[2.0, 1.0, -0.7]]), np.array([[0.1, -0.2, 0.3]])]


def run(optimizer, p, grads):
    values = []
    for g in grads:
        optimizer.step({p: g})
        values.append(p.value.copy())
    return values


def test_adam_matches_its_closed_form():
    p = af.Parameter(np.array([[1.0, -2.0, 0.5]]))
    lr, (b1, b2), eps = 0.01, (0.8, 0.9), 1e-6
    got = run(Adam([p], lr, (b1, b2), eps), p, GRADS)
    theta, m, v = np.array([[1.0, -2.0, 0.5]]), 0.0, 0.0
    for t, (g, value) in enumerate(zip(GRADS, got), start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)  # eps outside the root
        np.testing.assert_allclose(value, theta, rtol=1e-12, atol=1e-15)


def test_adams_first_step_moves_every_entry_by_lr():
    p = af.Parameter(np.array([3.0, -4.0, 1e-3]))
    run(Adam([p], lr=0.1, eps=0.0), p, [np.array([5.0, -0.01, 2.0])])
    np.testing.assert_allclose(p.value, [2.9, -3.9, 1e-3 - 0.1])  # m_hat/sqrt(v_hat) = sign


@pytest.mark.parametrize("momentum, centered", [(0.0, False), (0.5, False), (0.0, True),
                                                (0.3, True)])
def test_rmsprop_matches_its_closed_form(momentum, centered):
    p = af.Parameter(np.array([[1.0, -2.0, 0.5]]))
    lr, alpha, eps = 0.01, 0.9, 1e-6
    got = run(RMSprop([p], lr, alpha, eps, momentum, centered), p, GRADS)
    theta, s, a, b = np.array([[1.0, -2.0, 0.5]]), 0.0, 0.0, 0.0
    for g, value in zip(GRADS, got):
        s = alpha * s + (1 - alpha) * g ** 2
        a = alpha * a + (1 - alpha) * g
        d = g / (np.sqrt(s - a ** 2 if centered else s) + eps)
        b = momentum * b + d
        theta = theta - lr * (b if momentum else d)
        np.testing.assert_allclose(value, theta, rtol=1e-12, atol=1e-15)


def _trajectories(make_ours, make_torch, steps=25):
    """Both optimizers minimizing the same quartic from the same start: the parameters
    after every step."""
    torch = pytest.importorskip("torch")
    start = np.random.default_rng(0).standard_normal((3, 4))
    target = np.random.default_rng(1).standard_normal((3, 4))
    ours = af.Parameter(start.copy())
    theirs = torch.tensor(start.copy(), requires_grad=True)
    optimizer, reference = make_ours([ours]), make_torch([theirs])
    gradient = lambda w: 4 * (w - target) ** 3 + (w - target)  # noqa: E731
    pairs = []
    for _ in range(steps):
        optimizer.step({ours: gradient(ours.value)})
        reference.zero_grad()
        theirs.grad = torch.tensor(gradient(theirs.detach().numpy()))
        reference.step()
        pairs.append((ours.value.copy(), theirs.detach().numpy().copy()))
    return pairs


@pytest.mark.parametrize("name, ours, theirs", [
    ("sgd", lambda p: SGD(p, 0.01, momentum=0.9),
     lambda p, t: t.optim.SGD(p, lr=0.01, momentum=0.9)),
    ("adam", lambda p: Adam(p, 0.05, (0.9, 0.999), 1e-8),
     lambda p, t: t.optim.Adam(p, lr=0.05, betas=(0.9, 0.999), eps=1e-8)),
    ("adam-betas", lambda p: Adam(p, 0.02, (0.5, 0.9), 1e-4),
     lambda p, t: t.optim.Adam(p, lr=0.02, betas=(0.5, 0.9), eps=1e-4)),
    ("rmsprop", lambda p: RMSprop(p, 0.01),
     lambda p, t: t.optim.RMSprop(p, lr=0.01)),
    ("rmsprop-centered-momentum", lambda p: RMSprop(p, 0.01, 0.9, 1e-6, 0.5, True),
     lambda p, t: t.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-6, momentum=0.5,
                                  centered=True)),
])
def test_trajectories_equal_torch_optim_step_for_step(name, ours, theirs):
    torch = pytest.importorskip("torch")
    pairs = _trajectories(ours, lambda p: theirs(p, torch))
    for step, (mine, reference) in enumerate(pairs, start=1):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name}, step {step}")
    assert not np.allclose(pairs[0][0], pairs[-1][0])  # the parameters did move


@pytest.mark.parametrize("make", [lambda p: Adam(p, 0.01), lambda p: RMSprop(p, 0.01, momentum=0.9,
                                                                            centered=True)])
def test_state_dict_continues_identically(make):
    a = af.Parameter(np.array([1.0, -1.0]))
    b = af.Parameter(np.array([1.0, -1.0]))
    first = make([a])
    run(first, a, GRADS_1D[:2])
    second = make([b])
    second.load_state_dict(first.state_dict())
    b.value[...] = a.value
    run(first, a, GRADS_1D[2:])
    run(second, b, GRADS_1D[2:])
    assert np.array_equal(a.value, b.value) and first.t == second.t == 4
    state = first.state_dict()
    state[first.buffers[0]][0][...] = 99.0  # a copy: the optimizer is not changed
    assert not np.any(first.state[first.buffers[0]][0] == 99.0)


GRADS_1D = [g[0, :2] for g in GRADS]


def test_float32_parameters_stay_float32():
    p = af.Parameter(np.ones(3, dtype=np.float32))
    for optimizer in (Adam([p], 0.1), RMSprop([p], 0.1, centered=True)):
        optimizer.step({p: np.array([1.0, -2.0, 0.5], dtype=np.float32)})
        assert p.value.dtype == np.float32


@pytest.mark.parametrize("make, message", [
    (lambda p: Adam(p, lr=-1.0), "learning rate"),
    (lambda p: Adam(p, betas=(1.0, 0.999)), r"beta1 must be in \[0, 1\)"),
    (lambda p: Adam(p, betas=(0.9,)), r"betas must be \(beta1, beta2\)"),
    (lambda p: Adam(p, eps=-1.0), "eps"),
    (lambda p: RMSprop(p, alpha=1.5), r"alpha .* must be in \[0, 1\]"),
    (lambda p: RMSprop(p, momentum=1.0), r"momentum must be in \[0, 1\)"),
    (lambda p: Adam([], 0.1), "at least one Parameter"),
])
def test_bad_options_are_explained(make, message):
    with pytest.raises(ValueError, match=message):
        make([af.Parameter(np.zeros(2))])


def test_state_of_another_optimizer_is_refused():
    p = af.Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="Adam state has no 'exp_avg' buffers"):
        Adam([p]).load_state_dict(SGD([p], 0.1).state_dict())


def test_the_schedule_applies_to_adam_too():
    p = af.Parameter(np.zeros(1))
    adam = Adam([p], lr=0.1, decay="inverse", decay_rate=1.0, warmup=1)
    assert [adam.learning_rate(t) for t in (1, 2, 3)] == [0.1, 0.05, 0.1 / 3]
