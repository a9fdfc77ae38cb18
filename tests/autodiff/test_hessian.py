"""af.hessian against closed-form Hessians (a quadratic, softmax regression): exact
(differentiating the gradient graph, to 1e-12) and by central differences of gradients."""
import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.autodiff.hessian import TooManyParametersError, hessian


def quadratic(rng, dtype=np.float64):
    """loss = 0.5 ||M u + N vec(V) - c||**2 + u . (C vec(V)); analytic H = J'J + cross."""
    M, N = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    C, c = rng.standard_normal((3, 4)), rng.standard_normal(5)
    u = af.Parameter(rng.standard_normal(3).astype(dtype), name="u")
    V = af.Parameter(rng.standard_normal((2, 2)).astype(dtype), name="V")
    v = V.reshape(-1)
    r = af.Constant(M) @ u + af.Constant(N) @ v - af.Constant(c)
    loss = 0.5 * (r * r).sum() + (u * (af.Constant(C) @ v)).sum()
    J = np.hstack([M, N])
    cross = np.zeros((7, 7))
    cross[:3, 3:], cross[3:, :3] = C, C.T
    return af.FlowGraph(loss), (u, V), J.T @ J + cross


def softmax_regression(rng, n=40, d=3, classes=3, l2=0.01):
    """Mean softmax cross-entropy + l2 ||W||**2, theta = (vec W row-major, b)."""
    X = rng.standard_normal((n, d))
    y = rng.integers(0, classes, n)
    x, labels = af.Input("x"), af.Input("y")
    W = af.Parameter(0.5 * rng.standard_normal((classes, d)), name="W")
    b = af.Parameter(0.1 * rng.standard_normal(classes), name="b")
    loss = af.softmax_cross_entropy(af.linear(x, W, b), labels) + l2 * af.l2_penalty([W])
    return af.FlowGraph(loss), {x: X, labels: y}, (W, b), X, l2


def softmax_regression_hessian(X, W, b, l2):
    """H[(c, j), (k, l)] = mean_n (p_c delta_ck - p_c p_k) x~_j x~_l, x~ = (x, 1),
    plus 2 l2 on the W diagonal."""
    logits = X @ W.T + b
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    S = np.einsum("nc,ck->nck", p, np.eye(len(b))) - np.einsum("nc,nk->nck", p, p)
    Xt = np.hstack([X, np.ones((len(X), 1))])
    full = np.einsum("nck,nj,nl->cjkl", S, Xt, Xt) / len(X)
    classes, d = W.shape
    index = np.empty((classes, d + 1), dtype=int)  # (class, feature or bias) -> theta entry
    index[:, :d] = np.arange(classes * d).reshape(classes, d)
    index[:, d] = classes * d + np.arange(classes)
    H = np.zeros((classes * (d + 1),) * 2)
    H[np.ix_(index.ravel(), index.ravel())] = full.reshape(classes * (d + 1), -1)
    H[np.arange(classes * d), np.arange(classes * d)] += 2 * l2
    return H


def assert_relative(H, exact, rtol=1e-6):
    scale = np.abs(exact).max()
    np.testing.assert_allclose(H, exact, rtol=rtol, atol=rtol * scale)


def test_quadratic_hessian_is_exact():
    graph, params, exact = quadratic(np.random.default_rng(0))
    assert_relative(hessian(graph, params), exact, rtol=1e-12)
    assert_relative(hessian(graph, params, method="differences"), exact)


def test_logistic_regression_hessian_matches_closed_form():
    graph, feed, (W, b), X, l2 = softmax_regression(np.random.default_rng(1))
    H = hessian(graph, [W, b], feed)
    assert H.shape == (12, 12)
    exact = softmax_regression_hessian(X, W.value, b.value, l2)
    assert_relative(H, exact, rtol=1e-12)
    assert_relative(hessian(graph, [W, b], feed, method="differences"), exact)


def test_the_feed_may_come_second_as_in_gradcheck():
    graph, feed, (W, b), _, _ = softmax_regression(np.random.default_rng(1))
    np.testing.assert_array_equal(hessian(graph, feed, [W, b]), hessian(graph, [W, b], feed))


def test_an_unknown_method_is_a_clear_error():
    graph, params, _ = quadratic(np.random.default_rng(0))
    with pytest.raises(ValueError, match="unknown method 'newton'"):
        hessian(graph, params, method="newton")


def test_hessian_is_symmetric_and_positive_semidefinite_for_a_convex_loss():
    graph, feed, params, _, _ = softmax_regression(np.random.default_rng(2))
    H = hessian(graph, params, feed)
    np.testing.assert_array_equal(H, H.T)
    eigenvalues = np.linalg.eigvalsh(H)
    assert eigenvalues.min() > -1e-12 and eigenvalues[1] > 1e-3
    # softmax is unchanged by adding one number to every bias: H is flat along that axis
    shift = np.r_[np.zeros(9), np.ones(3)]
    assert np.abs(H @ shift).max() < 1e-14


def test_default_parameters_and_order_follow_the_graph():
    graph, (u, V), exact = quadratic(np.random.default_rng(3))
    order = [graph.parameters.index(u), graph.parameters.index(V)]
    sizes = [3, 4]
    blocks = np.split(np.arange(7), [3])
    permutation = np.concatenate([blocks[i] for i in np.argsort(order)])
    assert sorted(sizes) == sorted(np.size(p.value) for p in graph.parameters)
    assert_relative(hessian(graph), exact[np.ix_(permutation, permutation)])


def test_a_subset_of_parameters_gives_the_matching_block():
    graph, (u, V), exact = quadratic(np.random.default_rng(4))
    assert_relative(hessian(graph, [V]), exact[3:, 3:])


def test_parameter_values_and_dtype_are_restored_and_float32_is_computed_in_float64():
    graph, (u, V), exact = quadratic(np.random.default_rng(5), dtype=np.float32)
    before = [u.value, u.value.copy(), V.value, V.value.copy()]
    H = hessian(graph, [u, V])
    assert H.dtype == np.float64
    assert u.value is before[0] and V.value is before[2]
    np.testing.assert_array_equal(u.value, before[1])
    np.testing.assert_array_equal(V.value, before[3])
    assert u.value.dtype == np.float32
    # the quadratic's Hessian does not depend on theta, so float32 theta changes nothing
    assert_relative(H, exact)


def test_boxes_keep_the_unperturbed_values():
    graph, feed, params, _, _ = softmax_regression(np.random.default_rng(6))
    loss = graph.fprop(feed)
    hessian(graph, params, feed)
    assert graph.outputs[0].value == pytest.approx(loss, rel=1e-15)


def test_too_many_parameters_is_a_clear_error():
    graph, feed, params, _, _ = softmax_regression(np.random.default_rng(7))
    with pytest.raises(TooManyParametersError, match=r"12 entries.*max_parameters=10"):
        hessian(graph, params, feed, max_parameters=10)


def test_a_non_scalar_output_is_a_clear_error():
    p = af.Parameter(np.ones(3), name="p")
    with pytest.raises(af.FlowGraphError, match="scalar"):
        hessian(af.FlowGraph(p * p), [p])


def test_the_progress_bar_in_jupyter_without_ipywidgets_is_the_text_bar(monkeypatch, capsys):
    """tqdm.auto would pick the widget bar there and warn "IProgress not found": it is
    blocked to show that hessian takes its bar from extras.tqdm_class instead."""
    import sys
    import types

    from autograd_flow import extras

    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    real_find_spec = extras.importlib.util.find_spec
    monkeypatch.setattr(extras.importlib.util, "find_spec",
                        lambda name: None if name == "ipywidgets" else real_find_spec(name))
    graph, params, expected = quadratic(np.random.default_rng(0))
    np.testing.assert_allclose(hessian(graph, params=params, progress=True), expected,
                               atol=1e-12)
    drawn = capsys.readouterr().err
    assert "hessian: 100%" in drawn and "7/7" in drawn  # the text bar, as in a terminal
