"""Dropout and the counter-based random bits behind its masks: the generator against its
reference, the masks' statistics (and torch's), per-step masks, modes, gradients."""
import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.nn import Dropout, Sequential
from autograd_flow.nn.randomness import squares32, squares_key, squares_words

RNG = np.random.default_rng(9)


def mask_of(layer, shape, dtype=np.float64):
    """The keep mask (0/1) the layer's training graph draws for an input of ``shape``."""
    x = af.Input("x")
    return af.FlowGraph(layer(x)).fprop({x: np.ones(shape, dtype)}) * (1 - layer.p)


@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_squares_words_equal_the_reference_generator(seed):
    key = squares_key(seed)
    counters = np.concatenate([np.arange(200, dtype=np.uint64),
                               np.uint64(7 << 32) + np.arange(50, dtype=np.uint64),
                               np.array([2**63 + 5, 2**64 - 1], dtype=np.uint64)])
    c = af.Input("c")
    words = af.FlowGraph(squares_words(c, key)).fprop({c: counters})
    assert words.dtype == np.uint64
    np.testing.assert_array_equal(words >> np.uint64(32),
                                  [squares32(int(k), key) for k in counters])


def test_keys_follow_the_papers_rules():
    for seed in range(20):
        digits = f"{squares_key(seed, seed % 3):016x}"
        assert len(digits) == 16 and "0" not in digits
        assert len(set(digits[:8])) == 8 and len(set(digits[8:])) == 8
        assert int(digits[-1], 16) % 2 == 1
    assert squares_key(0) != squares_key(1) != squares_key(0, 1)


def test_the_bits_look_uniform_and_independent():
    c = af.Input("c")
    words = af.FlowGraph(squares_words(c, squares_key(3))).fprop(
        {c: np.arange(2**16, dtype=np.uint64)})
    u = (words >> np.uint64(32)).astype(np.float64) / 2**32
    counts = np.histogram(u, bins=32, range=(0, 1))[0]
    expected = len(u) / 32
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 70  # 31 degrees of freedom: P(chi2 > 70) < 1e-4
    for lag in (1, 2, 64):  # neighbouring counters: no correlation
        assert abs(np.corrcoef(u[:-lag], u[lag:])[0, 1]) < 4 / np.sqrt(len(u))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_keep_fraction_and_scaling(p):
    layer = Dropout(p, seed=2)
    X = RNG.standard_normal((200, 100))
    x = af.Input("x")
    value = af.FlowGraph(layer(x)).fprop({x: X})
    kept = value != 0
    n = X.size
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(value[kept], X[kept] / (1 - p), rtol=1e-15)


def test_dropout_statistics_match_torch():
    torch = pytest.importorskip("torch")
    p, X = 0.3, RNG.uniform(1, 2, (400, 250))
    x = af.Input("x")
    ours = af.FlowGraph(Dropout(p, seed=0)(x)).fprop({x: X})
    torch.manual_seed(0)
    theirs = torch.nn.functional.dropout(torch.tensor(X), p, training=True).numpy()
    n = X.size
    for out in (ours, theirs):  # both: a mean-preserving Bernoulli(1 - p) mask
        assert abs((out == 0).mean() - p) < 5 * np.sqrt(p * (1 - p) / n)
        assert set(np.unique(np.round(out[out != 0] / X[out != 0] * (1 - p), 12))) == {1.0}
    assert abs((ours == 0).mean() - (theirs == 0).mean()) < 7 * np.sqrt(p * (1 - p) / n)
    assert abs(ours.mean() - theirs.mean()) < 7 * X.std() * np.sqrt(p / (1 - p) / n) + 1e-3
    # rows keep the same number of entries in distribution: compare the spread too
    assert abs((ours == 0).mean(axis=1).std() - (theirs == 0).mean(axis=1).std()) < 0.01


def test_masks_change_per_step_and_repeat_within_a_step():
    layer = Dropout(0.5, seed=0)
    x = af.Input("x")
    graph = af.FlowGraph(layer(x))
    X = np.ones((30, 40))
    first = graph.fprop({x: X}).copy()
    np.testing.assert_array_equal(graph.fprop({x: X}), first)  # same step: same mask
    layer.end_step()
    second = graph.fprop({x: X})
    assert layer.step == 1 and (first != second).mean() > 0.4
    layer.step = 0  # back to step 0 (e.g. resuming): the same masks again
    np.testing.assert_array_equal(graph.fprop({x: X}), first)


def test_masks_are_reproducible_from_the_seed_and_differ_between_seeds_and_calls():
    first = mask_of(Dropout(0.5, seed=7), (20, 30))
    np.testing.assert_array_equal(mask_of(Dropout(0.5, seed=7), (20, 30)), first)
    assert (mask_of(Dropout(0.5, seed=8), (20, 30)) != first).mean() > 0.4
    layer = Dropout(0.5, seed=7)
    x = af.Input("x")
    both = af.FlowGraph([layer(x), layer(x)]).fprop({x: np.ones((20, 30))})
    assert (both[0] != both[1]).mean() > 0.4  # each call of the layer: its own stream


def test_masks_fit_any_shape_at_run_time():
    layer = Dropout(0.25, seed=1)
    x = af.Input("x")
    graph = af.FlowGraph(layer(x))
    for shape in [(7,), (3, 5), (2, 3, 4, 5), ()]:
        value = graph.fprop({x: np.ones(shape)})
        assert value.shape == shape
        assert set(np.unique(value)) <= {0.0, 1 / 0.75}


def test_evaluation_mode_and_trivial_rates():
    x = af.Input("x")
    assert Dropout(0.5).eval()(x) is x
    assert Dropout(0.0)(x) is x
    X = RNG.standard_normal((3, 4))
    np.testing.assert_array_equal(af.FlowGraph(Dropout(1.0)(x)).fprop({x: X}), 0)
    net = Sequential(Dropout(0.5, name="d1"), af.tanh)
    net.eval()
    assert not net.steps[0].training
    assert [type(b).__name__ for b in af.FlowGraph(net(x)).order] == ["Input", "Tanh"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_is_the_scaled_mask(dtype):
    layer = Dropout(0.4, seed=3)
    h = af.Parameter(RNG.standard_normal((6, 7)).astype(dtype), name="h")
    graph = af.FlowGraph(layer(h).sum())
    assert graph.fprop().dtype == dtype
    grad = graph.bprop()[h]
    assert grad.dtype == dtype
    mask = mask_of(Dropout(0.4, seed=3), (6, 7))
    np.testing.assert_allclose(grad, mask / 0.6, rtol=1e-6)


def test_gradcheck_in_training_mode():
    x = af.Input("x")
    W = af.Parameter(RNG.standard_normal((4, 5)), name="W")
    out = af.tanh(Dropout(0.5, seed=4)(af.linear(x, W)))
    af.gradcheck(af.FlowGraph(out, wrt=[x, W]), {x: RNG.standard_normal((3, 5))})


def test_bad_arguments_are_explained():
    for p in (-0.1, 1.5, "half", True):
        with pytest.raises(ValueError, match=r"Dropout 'dropout': p is the probability"):
            Dropout(p)
    with pytest.raises(ValueError, match="step must be an integer"):
        Dropout(0.5).step = -1
