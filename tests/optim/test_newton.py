"""af.optim.Newton: the lecture's theta <- theta - H^-1 grad, damped."""
import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.autodiff.hessian import TooManyParametersError, hessian
from autograd_flow.optim import SGD, Newton, NewtonCG


def logistic_regression(seed=0, n=200, d=4, l2=1e-3):
    """Binary logistic regression with overlapping classes (a unique finite optimum);
    the last feature has a smaller scale, as raw features often do."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (X @ rng.standard_normal(d) + rng.standard_normal(n) > 0).astype(float)
    X[:, -1] *= 0.2
    x, t = af.Input("x"), af.Input("t")
    w = af.Parameter(np.zeros((1, d)), name="w")
    b = af.Parameter(np.zeros(1), name="b")
    p = af.sigmoid(af.linear(x, w, b)).reshape(-1)
    loss = -(t * af.log(p) + (1 - t) * af.log(1 - p)).mean() + l2 * af.l2_penalty([w])
    return af.FlowGraph(loss), {x: X, t: y}, [w, b]


def gradient_norm(graph, feed):
    graph.fprop(feed)
    return float(np.sqrt(sum(np.sum(g ** 2) for g in graph.bprop().values())))


def iterations_to(step, graph, feed, tolerance, limit):
    for iteration in range(1, limit + 1):
        step()
        if gradient_norm(graph, feed) < tolerance:
            return iteration
    return None


def test_newton_reaches_the_logistic_regression_optimum_where_sgd_needs_hundreds():
    graph, feed, params = logistic_regression()
    newton = Newton(params, damping=1e-3)
    newton_steps = iterations_to(lambda: newton.step(graph, feed), graph, feed, 1e-8, 20)
    assert newton_steps is not None and newton_steps <= 10
    optimum = [p.value.copy() for p in params]

    graph, feed, params = logistic_regression()
    # full-batch gradient descent with the best safe constant step, 1 / L, L the largest
    # curvature (the Hessian's largest eigenvalue, at theta = 0 where it is largest)
    sgd = SGD(params, lr=1 / np.linalg.eigvalsh(hessian(graph, params, feed)).max())

    def sgd_step():
        graph.fprop(feed)
        sgd.step(graph.bprop())

    sgd_steps = iterations_to(sgd_step, graph, feed, 1e-8, 2000)
    assert sgd_steps is not None and sgd_steps > 200, (newton_steps, sgd_steps)
    for mine, best in zip(params, optimum):
        np.testing.assert_allclose(mine.value, best, rtol=1e-6)


def test_undamped_newton_solves_a_quadratic_in_one_step():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((4, 4))
    A = A @ A.T + np.eye(4)
    c = rng.standard_normal(4)
    theta = af.Parameter(rng.standard_normal(4), name="theta")
    loss = 0.5 * (theta * (af.Constant(A) @ theta)).sum() - (af.Constant(c) * theta).sum()
    newton = Newton([theta], damping=0.0)
    newton.step(af.FlowGraph(loss))
    np.testing.assert_allclose(theta.value, np.linalg.solve(A, c), rtol=1e-8)
    assert newton.accepted and newton.t == 1


def test_damping_keeps_a_non_convex_step_sane():
    """f = (x**2 - 1)**2 + y**2 from x = 0.1, where H is indefinite (f_xx = 12 x**2 - 4
    < 0): the raw Newton step heads for the maximum at x = 0; the damped one goes down
    to the minimum at x = 1, the loss never increasing."""
    xy = af.Parameter(np.array([0.1, 0.5]), name="xy")
    square = xy * xy
    loss = ((square - np.array([1.0, 0.0])) ** 2 * np.array([1.0, 0.0])).sum() \
        + (square * np.array([0.0, 1.0])).sum()
    graph = af.FlowGraph(loss)
    H = hessian(graph)
    assert np.linalg.eigvalsh(H).min() < 0
    graph.fprop()
    raw_step = -np.linalg.solve(H, graph.bprop()[xy])
    assert abs(xy.value[0] + raw_step[0]) < abs(xy.value[0])  # raw Newton: towards x = 0
    newton = Newton([xy], damping=0.0)
    losses = [float(graph.fprop())]
    for _ in range(30):
        losses.append(newton.step(graph))
    assert all(later <= earlier for earlier, later in zip(losses, losses[1:]))
    np.testing.assert_allclose(xy.value, [1.0, 0.0], atol=1e-8)


def test_steps_keep_float32_parameters_in_place():
    graph, feed, params = logistic_regression(seed=2)
    for p in params:
        p.value = p.value.astype(np.float32)
    arrays = [p.value for p in params]
    newton = Newton(params)
    first = newton.step(graph, feed)
    second = newton.step(graph, feed)
    assert second < first < np.log(2)
    assert all(p.value is a and a.dtype == np.float32 for p, a in zip(params, arrays))


def test_too_many_parameters_is_a_clear_error():
    W = af.Parameter(np.zeros((30, 40)), name="W")
    with pytest.raises(TooManyParametersError, match=r"1200 entries.*max_parameters=1000"):
        Newton([W], max_parameters=1000)


def test_invalid_settings_are_rejected():
    p = af.Parameter(np.zeros(2), name="p")
    with pytest.raises(ValueError, match="damping"):
        Newton([p], damping=-1.0)
    with pytest.raises(ValueError, match="increase"):
        Newton([p], increase=0.5)
    with pytest.raises(ValueError, match="same Parameter twice"):
        Newton([p, p])


# NewtonCG: truncated Newton on Hessian-vector products (Martens 2010)

def test_newton_cg_reaches_the_logistic_regression_optimum_in_a_few_steps():
    graph, feed, params = logistic_regression()
    solver = NewtonCG(params, damping=1e-3)
    steps = iterations_to(lambda: solver.step(graph, feed), graph, feed, 1e-8, 30)
    assert steps is not None and steps <= 15, steps
    reference, feed_ref, params_ref = logistic_regression()
    newton = Newton(params_ref, damping=1e-3)
    for _ in range(15):
        newton.step(reference, feed_ref)
    for mine, exact in zip(params, params_ref):
        np.testing.assert_allclose(mine.value, exact.value, rtol=1e-6, atol=1e-9)


def test_newton_cg_solves_a_quadratic_in_one_undamped_step():
    rng = np.random.default_rng(11)
    A = rng.standard_normal((6, 6))
    A = A @ A.T + np.eye(6)
    c = rng.standard_normal(6)
    u = af.Parameter(np.zeros(6), name="u")
    loss = 0.5 * (u * (af.Constant(A) @ u)).sum() - (af.Constant(c) * u).sum()
    solver = NewtonCG([u], damping=0.0, cg_tolerance=1e-12)
    solver.step(af.FlowGraph(loss))
    np.testing.assert_allclose(u.value, np.linalg.solve(A, c), rtol=1e-8)
    assert solver.cg_iterations <= 6 and solver.rho == pytest.approx(1.0, rel=1e-6)


def test_newton_cg_lowers_a_non_convex_mlp_loss_at_every_step():
    rng = np.random.default_rng(12)
    X, y = rng.standard_normal((60, 2)), rng.integers(0, 2, 60)
    mlp = af.nn.MLP([2, 8, 2], activation="tanh", seed=1)
    x, t = af.Input("x"), af.Input("t")
    graph = af.FlowGraph(af.softmax_cross_entropy(mlp(x), t))
    feed = {x: X, t: y}
    solver = NewtonCG(mlp.parameters, damping=1.0, max_cg_iterations=20)
    losses = [float(graph.fprop(feed))]
    for _ in range(10):
        losses.append(solver.step(graph, feed, curvature_feed={x: X[:30], t: y[:30]}))
    assert all(b <= a for a, b in zip(losses, losses[1:]))
    assert losses[-1] < 0.8 * losses[0]


def test_newton_cg_refuses_a_step_that_does_not_lower_the_loss():
    """At the minimum x = 1 of (x - 1)**2 + (x - 1)**4 no step lowers the loss: the
    parameters stay exactly where they were and lambda grows."""
    x = af.Parameter(np.array([1.0]), name="x")
    graph = af.FlowGraph(((x - 1) ** 2 + (x - 1) ** 4).sum())
    solver = NewtonCG([x], damping=1e-3)
    after = solver.step(graph)
    assert not solver.accepted and after == 0.0 and x.value[0] == 1.0
    assert solver.damping > 1e-3 and solver.t == 0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"damping": -1.0}, "damping"), ({"increase": 0.5}, "increase"),
    ({"max_cg_iterations": 0}, "max_cg_iterations"), ({"warm_start": 2.0}, "warm_start")])
def test_newton_cg_options_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NewtonCG([af.Parameter(np.zeros(2))], **kwargs)
