"""Adagrad: its closed form computed independently here (always), the same trajectories
as torch.optim.Adagrad step for step with every option (when torch is installed), the
state a checkpoint saves, and clear errors for bad options."""
import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.optim import Adagrad
from autograd_flow.optim.registry import make_optimizer

START = np.array([[1.0, -2.0, 0.5]])
GRADS = [np.array([[0.5, -1.0, 2.0]]), np.array([[-0.3, 0.0, 1.5]]),
         np.array([[2.0, 1.0, -0.7]]), np.array([[0.1, -0.2, 0.3]])]
OPTIONS = [{}, {"lr_decay": 0.1}, {"weight_decay": 0.05}, {"initial_accumulator_value": 0.3},
           {"lr_decay": 0.2, "weight_decay": 0.01, "initial_accumulator_value": 1.0,
            "eps": 1e-4}]


@pytest.mark.parametrize("options", OPTIONS)
def test_adagrad_matches_its_closed_form(options):
    lr, lr_decay = 0.1, options.get("lr_decay", 0.0)
    weight_decay, eps = options.get("weight_decay", 0.0), options.get("eps", 1e-10)
    p = af.Parameter(START.copy())
    optimizer = Adagrad([p], lr, **options)
    theta, G = START.copy(), np.full_like(START, options.get("initial_accumulator_value", 0.0))
    for t, g in enumerate(GRADS, start=1):
        optimizer.step({p: g})
        g = g + weight_decay * theta
        G = G + g * g
        theta = theta - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(G) + eps)
        np.testing.assert_allclose(p.value, theta, rtol=1e-12, atol=1e-15)


def test_adagrads_first_step_moves_every_entry_by_lr():
    p = af.Parameter(np.array([3.0, -4.0, 1e-3]))
    Adagrad([p], lr=0.1, eps=0.0).step({p: np.array([5.0, -0.01, 2.0])})
    np.testing.assert_allclose(p.value, [2.9, -3.9, 1e-3 - 0.1])  # g / sqrt(g**2) = sign


@pytest.mark.parametrize("options", OPTIONS)
def test_trajectories_equal_torch_adagrad_step_for_step(options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    start, target = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    ours = af.Parameter(start.copy())
    theirs = torch.tensor(start.copy(), requires_grad=True)
    optimizer = Adagrad([ours], 0.05, **options)
    reference = torch.optim.Adagrad([theirs], lr=0.05, **options)
    gradient = lambda w: 4 * (w - target) ** 3 + (w - target)  # noqa: E731
    for step in range(1, 26):
        optimizer.step({ours: gradient(ours.value)})
        theirs.grad = torch.tensor(gradient(theirs.detach().numpy()))
        reference.step()
        np.testing.assert_allclose(ours.value, theirs.detach().numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=f"{options}, step {step}")
    assert not np.allclose(ours.value, start)


def test_float32_parameters_stay_float32():
    p = af.Parameter(np.ones(3, dtype=np.float32))
    Adagrad([p], 0.1, weight_decay=0.1).step({p: np.array([1.0, -2.0, 0.5], np.float32)})
    assert p.value.dtype == np.float32


def test_state_dict_continues_identically():
    a, b = af.Parameter(START.copy()), af.Parameter(START.copy())
    first = Adagrad([a], 0.1, lr_decay=0.1, initial_accumulator_value=0.5)
    for g in GRADS[:2]:
        first.step({a: g})
    second = Adagrad([b], 0.1, lr_decay=0.1)  # its accumulator comes from the state
    second.load_state_dict(first.state_dict())
    b.value[...] = a.value
    for g in GRADS[2:]:
        first.step({a: g})
        second.step({b: g})
    assert np.array_equal(a.value, b.value) and first.t == second.t == 4


def test_the_registry_makes_it_and_refuses_a_momentum():
    p = af.Parameter(np.zeros(2))
    optimizer = make_optimizer("adagrad", [p], lr=0.1, eps=1e-6, decay="step",
                               decay_rate=0.5, decay_steps=2)
    assert isinstance(optimizer, Adagrad) and optimizer.eps == 1e-6
    assert [optimizer.learning_rate(t) for t in (1, 2, 3)] == [0.1, 0.1, 0.05]
    with pytest.raises(ValueError, match="Adagrad takes no momentum"):
        make_optimizer("adagrad", [p], lr=0.1, momentum=0.9)


@pytest.mark.parametrize("options, message", [
    ({"lr": -1.0}, "learning rate"),
    ({"lr_decay": -0.1}, "lr_decay must be a finite number >= 0"),
    ({"weight_decay": float("nan")}, "weight_decay"),
    ({"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
    ({"eps": -1e-8}, "eps"),
])
def test_bad_options_are_explained(options, message):
    with pytest.raises(ValueError, match=message):
        Adagrad([af.Parameter(np.zeros(2))], **options)
