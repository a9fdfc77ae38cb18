"""The linear, step and cosine learning-rate decays: their closed forms (micrograd's
linear decay among them) always, torch's LinearLR, StepLR and CosineAnnealingLR step
for step when torch is installed, after a warm-up, on every optimizer, and clear errors
for a decay without its horizon."""
import math

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.optim import SGD, Adagrad, Adam, RMSprop


def rates(decay, updates, lr=1.0, **options):
    optimizer = SGD([af.Parameter(np.zeros(1))], lr, decay=decay, **options)
    return [optimizer.learning_rate(t) for t in range(1, updates + 1)]


def test_micrograds_linear_decay():
    # micrograd's demo: learning_rate = 1.0 - 0.9 * k / 100 at step k = 0..99
    got = rates("linear", 120, decay_rate=0.1, decay_steps=100)
    np.testing.assert_allclose(got[:100], [1.0 - 0.9 * k / 100 for k in range(100)],
                               rtol=1e-14)
    assert got[100:] == pytest.approx([0.1] * 20)  # then it stays at decay_rate * alpha


def test_step_decay_multiplies_by_the_rate_every_decay_steps_updates():
    assert rates("step", 7, lr=0.1, decay_rate=0.5, decay_steps=3) == pytest.approx(
        [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025])


def test_cosine_decay_follows_half_a_cosine_then_stays_at_its_floor():
    got = rates("cosine", 6, lr=1.0, decay_rate=0.2, decay_steps=4)
    half = [(1 + math.cos(math.pi * s / 4)) / 2 for s in range(5)]
    assert got == pytest.approx([0.2 + 0.8 * h for h in half] + [0.2])
    assert got[2] == pytest.approx(0.6) and got[4] == pytest.approx(0.2)


def test_a_warmup_comes_first():
    got = rates("step", 6, lr=0.1, decay_rate=0.1, decay_steps=2, warmup=2)
    assert got == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.01, 0.01])


@pytest.mark.parametrize("make", [
    lambda ps, **o: Adam(ps, 0.1, **o), lambda ps, **o: RMSprop(ps, 0.1, **o),
    lambda ps, **o: Adagrad(ps, 0.1, **o), lambda ps, **o: SGD(ps, 0.1, 0.9, **o)])
def test_every_optimizer_takes_the_schedules(make):
    optimizer = make([af.Parameter(np.zeros(1))], decay="linear", decay_rate=0.0,
                     decay_steps=4)
    assert [optimizer.learning_rate(t) for t in (1, 3, 5, 9)] == pytest.approx(
        [0.1, 0.05, 0.0, 0.0])
    assert "decay='linear', decay_rate=0.0, decay_steps=4" in repr(optimizer)


@pytest.mark.parametrize("decay, options, message", [
    ("cosine", {}, "the cosine decay needs decay_steps, .* got 0"),
    ("linear", {"decay_steps": 2.5}, "the linear decay needs decay_steps"),
    ("step", {"decay_steps": 10}, r"step decay needs decay_rate, .* in \(0, 1\], got 0.0"),
    ("linear", {"decay_steps": 10, "decay_rate": 1.5}, r"in \[0, 1\], got 1.5"),
    ("cosine", {"decay_steps": 10, "decay_rate": -0.1}, r"in \[0, 1\], got -0.1"),
])
def test_a_decay_without_its_horizon_or_factor_is_explained(decay, options, message):
    with pytest.raises(ValueError, match=message):
        SGD([af.Parameter(np.zeros(1))], 0.1, decay=decay, **options)


def torch_scheduler(torch, optimizer, decay, rate, steps, lr):
    schedulers = torch.optim.lr_scheduler
    if decay == "linear":
        return schedulers.LinearLR(optimizer, start_factor=1.0, end_factor=rate,
                                   total_iters=steps)
    if decay == "step":
        return schedulers.StepLR(optimizer, step_size=steps, gamma=rate)
    return schedulers.CosineAnnealingLR(optimizer, T_max=steps, eta_min=rate * lr)


@pytest.mark.parametrize("decay, rate, updates", [
    ("linear", 0.1, 30), ("linear", 0.0, 30), ("step", 0.5, 30), ("cosine", 0.05, 21),
    ("cosine", 0.0, 21)])
def test_rates_and_trajectories_equal_torchs_schedulers(decay, rate, updates):
    torch = pytest.importorskip("torch")
    lr, steps = 0.01, 20  # cosine compared up to its end: past it, torch's goes back up
    rng = np.random.default_rng(0)
    start, target = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    ours = af.Parameter(start.copy())
    theirs = torch.tensor(start.copy(), requires_grad=True)
    optimizer = SGD([ours], lr, momentum=0.9, decay=decay, decay_rate=rate,
                    decay_steps=steps)
    reference = torch.optim.SGD([theirs], lr=lr, momentum=0.9)
    scheduler = torch_scheduler(torch, reference, decay, rate, steps, lr)
    gradient = lambda w: 4 * (w - target) ** 3 + (w - target)  # noqa: E731
    for update in range(1, updates + 1):
        assert optimizer.learning_rate() == pytest.approx(reference.param_groups[0]["lr"],
                                                          rel=1e-12, abs=1e-15), update
        optimizer.step({ours: gradient(ours.value)})
        theirs.grad = torch.tensor(gradient(theirs.detach().numpy()))
        reference.step()
        scheduler.step()
        np.testing.assert_allclose(ours.value, theirs.detach().numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=f"{decay}, update {update}")
    assert np.isfinite(ours.value).all() and not np.allclose(ours.value, start)
