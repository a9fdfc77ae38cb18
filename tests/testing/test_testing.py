"""af.testing itself: its strategies draw what they promise, its assertions catch
deliberately wrong boxes, and a printed counterexample is code that reproduces the
failure."""
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import autograd_flow as af
import autograd_flow.testing as aft
from autograd_flow.testing import strategies as S

# A failing search must stop at the same minimal example every run.
# (The explain phase traces every line: slow, and not needed to check the result.)
FIND = settings(settings.default, derandomize=True, database=None, deadline=None, max_examples=200,
                report_multiple_bugs=False, phases=set(Phase) - {Phase.explain},
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# --- correct custom boxes ---------------------------------------------------------

class Cube(af.Box):
    """y = a**3;   d a = 3 a**2 d y"""

    def fprop(self, a):
        return a ** 3

    def bprop(self, grad, a):
        return 3 * a ** 2 * grad


class BiasAdd(af.Box):
    """y = a + b with b broadcast;   d a = d y,  d b = d y summed over broadcast axes
    (returned unreduced: the scheduler sums it back)"""

    def fprop(self, a, b):
        return a + b

    def bprop(self, grad, a, b):
        return grad, grad


class LoopMatMul(af.Box):
    """y = a @ b with explicit loops over the output entries."""

    def fprop(self, a, b):
        return a @ b

    def bprop(self, grad, a, b):
        grad_a, grad_b = np.zeros_like(a), np.zeros_like(b)
        for i in range(a.shape[0]):
            for j in range(b.shape[1]):
                grad_a[i] += grad[i, j] * b[:, j]
                grad_b[:, j] += grad[i, j] * a[i]
        return grad_a, grad_b


# --- the three planted bugs ---------------------------------------------------------

class SignErrorCube(Cube):
    def bprop(self, grad, a):
        return -3 * a ** 2 * grad


class MeanBiasAdd(BiasAdd):
    """Reduces the broadcast gradient with a mean where a sum belongs."""

    def bprop(self, grad, a, b):
        axes = tuple(range(grad.ndim - b.ndim)) + tuple(
            i + grad.ndim - b.ndim for i, side in enumerate(b.shape)
            if side == 1 and grad.shape[i + grad.ndim - b.ndim] != 1)
        return grad, grad.mean(axis=axes).reshape(b.shape)


class SquareOnlyMatMul(LoopMatMul):
    """Loops over the wrong bound: right only when a has as many rows as b columns."""

    def bprop(self, grad, a, b):
        grad_a, grad_b = np.zeros_like(a), np.zeros_like(b)
        for i in range(a.shape[0]):
            for j in range(a.shape[0]):  # bug: should be b.shape[1]
                grad_a[i] += grad[i, j] * b[:, j]
                grad_b[:, j] += grad[i, j] * a[i]
        return grad_a, grad_b


def reproduce(error, fix=None, **names):
    """Run the code a failure printed (with the box class renamed to ``fix``, if given);
    return the exception it raises, or None."""
    code = error.code
    if fix is not None:
        code = code.replace(next(iter(names)), fix)
    namespace = dict(names)
    try:
        exec(compile(code, "<counterexample>", "exec"), namespace)
    except AssertionError as raised:
        return raised
    return None


# --- strategies ---------------------------------------------------------------------

@given(S.arrays(domain="positive"), S.arrays(domain="nonzero"), S.arrays(np.float32))
def test_arrays_respect_domain_and_dtype(positive, nonzero, single):
    assert np.all(positive >= 0.1)
    assert np.all(np.abs(nonzero) >= 0.3)
    assert single.dtype == np.float32 and np.all(np.abs(single) <= 2)


@given(S.mutually_broadcastable_shapes(3), S.matmul_shapes(), S.labels(4, 3))
def test_shape_strategies(shapes, matmul, labels):
    assert len(shapes.input_shapes) == 3  # hypothesis's BroadcastableShapes
    assert np.broadcast_shapes(*shapes.input_shapes) == shapes.result_shape
    (n, k), (k2, m) = matmul
    assert k == k2
    assert labels.shape == (4,) and labels.min() >= 0 and labels.max() < 3


@given(S.arrays(np.float32, 3), S.arrays(np.float64, (2, 1), domain="positive"))
def test_arrays_take_dtype_then_shape_as_hypothesis_does(vector, column):
    assert vector.shape == (3,) and vector.dtype == np.float32
    assert column.shape == (2, 1) and np.all(column > 0)


def test_the_old_shape_first_spelling_is_a_clear_error():
    with pytest.raises(TypeError, match=r"takes the dtype first.*arrays\(np.float64, \(2, 3\)\)"):
        S.arrays((2, 3))


def test_unknown_domain_and_op_are_named():
    with pytest.raises(ValueError, match="domain must be one of"):
        S.floats("complex")
    with pytest.raises(ValueError, match="unknown op 'conv'"):
        S.flow_graphs(["conv"])


@given(S.flow_graphs())
def test_random_graphs_are_small_scalar_and_fully_fed(random):
    graph = random.graph
    boxes = [b for b in graph.order if not isinstance(b, af.core.Leaf)]
    assert np.size(graph.fprop(random.feed)) == 1
    assert len(random.ops) <= 6 and len(boxes) <= 40
    assert set(map(id, random.feed)) == set(map(id, graph.inputs))
    assert all(np.all(np.abs(b.value) <= 1e3) for b in graph.order)


def test_random_graphs_have_fan_out_broadcasting_and_reductions():
    """How the builder draws (fan-out, broadcast partners, reductions over an axis), on a
    vocabulary small enough that 200 draws meet each whatever ops are added elsewhere."""
    seen = {"fan_out": False, "broadcast": False, "reduction": False}

    @FIND
    @given(S.flow_graphs(["add", "mul", "sum", "mean", "max", "tanh", "exp"]))
    def collect(random):
        order = random.graph.order
        readers = [i for b in order for i in b.inputs]
        seen["fan_out"] |= any(readers.count(b) > 1 for b in order)
        seen["broadcast"] |= any(len({np.shape(i.value) for i in b.inputs} - {()}) > 1
                                 for b in order if isinstance(b, af.ops.Add))
        reductions = (af.ops.Sum, af.ops.Mean, af.ops.Max, af.ops.Min, af.ops.Prod,
                      af.ops.LogSumExp)
        seen["reduction"] |= any(isinstance(b, reductions) and b.axis is not None
                                 for b in order)

    collect()
    assert all(seen.values()), seen


# --- check_box: correct boxes pass, planted bugs are caught --------------------------

def test_check_box_passes_correct_boxes():
    aft.check_box(Cube)
    aft.check_box(BiasAdd, shapes=S.mutually_broadcastable_shapes(2))
    aft.check_box(LoopMatMul, shapes=S.matmul_shapes())


def test_sign_error_is_caught_and_the_code_reproduces_it():
    with pytest.raises(af.GradientCheckError) as caught:
        aft.check_box(SignErrorCube, settings=FIND)
    assert "SignErrorCube 'signerrorcube'" in str(caught.value)
    assert isinstance(reproduce(caught.value, SignErrorCube=SignErrorCube),
                      af.GradientCheckError)
    # the fixed box passes the same code
    assert reproduce(caught.value, "Cube", SignErrorCube=SignErrorCube) is None


def test_mean_instead_of_sum_for_a_broadcast_input_is_caught():
    with pytest.raises(af.GradientCheckError) as caught:
        aft.check_box(MeanBiasAdd, shapes=S.mutually_broadcastable_shapes(2), settings=FIND)
    assert "MeanBiasAdd" in str(caught.value)
    assert isinstance(reproduce(caught.value, MeanBiasAdd=MeanBiasAdd), af.GradientCheckError)


def test_box_right_only_for_square_matrices_is_caught():
    aft.check_box(SquareOnlyMatMul, shapes=S.matmul_shapes(square=True))  # the trap
    with pytest.raises(AssertionError) as caught:
        aft.check_box(SquareOnlyMatMul, shapes=S.matmul_shapes(), settings=FIND)
    assert isinstance(reproduce(caught.value, SquareOnlyMatMul=SquareOnlyMatMul),
                      AssertionError)
    assert reproduce(caught.value, "LoopMatMul", SquareOnlyMatMul=SquareOnlyMatMul) is None


class Mutating(Cube):
    def bprop(self, grad, a):
        result = 3 * a ** 2 * grad
        a *= 1.0 + 1e-3  # writes into the input's value
        return result


class MutatingFprop(Cube):
    def fprop(self, a):
        result = a ** 3
        a[...] = 2 * a  # writes into the fed array
        return result


class Noisy(Cube):
    def fprop(self, a):
        return a ** 3 + np.random.default_rng().uniform(0, 1e-12, np.shape(a))


class Accumulating(Cube):
    """Keeps a running total across bprop calls (hidden state)."""

    total = 0.0

    def bprop(self, grad, a):
        self.total = self.total + 3 * a ** 2 * grad
        return self.total


class SquaredSeed(Cube):
    """Right for the seed 1 (a scalar loss) but not linear in the upstream gradient."""

    def bprop(self, grad, a):
        return 3 * a ** 2 * grad ** 2


class Promoting(Cube):
    def fprop(self, a):
        return a ** 3 * np.float64(1.0)

    def bprop(self, grad, a):
        return 3 * a ** 2 * grad


FAULTY = [  # (box, the property it breaks, a feed for its input, what the error says)
    (Mutating, aft.assert_inputs_not_mutated, [0.5, 2.0], "changed the value"),
    (MutatingFprop, aft.assert_inputs_not_mutated, [0.5, 2.0], "changed the array fed"),
    (Noisy, aft.assert_fprop_deterministic, [0.5, 2.0], "different values on two runs"),
    (Accumulating, aft.assert_bprop_repeatable, [0.5, 2.0], "accumulates across runs"),
    (SquaredSeed, aft.assert_bprop_linear, [0.5, 2.0], "not linear in the upstream"),
    (Promoting, aft.assert_box_properties, [0.5, 2.0], "float32 inputs gave a float64 value"),
]


@pytest.mark.parametrize("box_class, assertion, value, message", FAULTY,
                         ids=[f[1].__name__ for f in FAULTY])
def test_each_property_catches_the_box_that_breaks_it(box_class, assertion, value, message):
    x = af.Input("x")
    feed = {x: np.array(value)}
    with pytest.raises(aft.PropertyError, match=message) as caught:
        assertion(box_class(x), feed)
    assert isinstance(reproduce(caught.value, **{box_class.__name__: box_class}),
                      aft.PropertyError)
    assertion(Cube(x), feed)  # the correct box passes the same check


@pytest.mark.parametrize("box_class", [f[0] for f in FAULTY],
                         ids=[f[0].__name__ for f in FAULTY])
def test_check_box_catches_every_faulty_box(box_class):
    with pytest.raises(AssertionError, match="Reproduce with:"):
        aft.check_box(box_class, domain="nonzero", settings=FIND)


class Transposing(LoopMatMul):
    def bprop(self, grad, a, b):
        return (grad @ b.T).T, a.T @ grad


def test_gradient_shapes_are_checked_before_and_after_summing_back():
    with pytest.raises(aft.PropertyError, match=r"gradient of shape \(3, 2\) for its input"):
        aft.check_box(Transposing, shapes=((2, 3), (3, 2)), settings=FIND)
    with pytest.raises(aft.PropertyError, match="is its broadcast shape"):
        aft.check_box(BiasAdd, shapes=((2, 3), (3,)), strict_shapes=True, settings=FIND)


# --- graphs: assert_gradients_match, counterexamples as code -----------------------

class SignErrorTanh(af.Box):
    def fprop(self, a):
        return np.tanh(a)

    def bprop(self, grad, a):
        return -grad * (1 - self.value ** 2)


def test_random_graphs_find_a_planted_bug_and_print_runnable_code():
    @FIND
    @given(S.flow_graphs([SignErrorTanh, "add", "mul", "sum", "matmul"]))
    def gradients_match(random):
        aft.assert_gradients_match(random.output, random.feed)

    with pytest.raises(af.GradientCheckError) as caught:
        gradients_match()
    error = caught.value
    assert "SignErrorTanh(" in error.code
    notes = "\n".join(getattr(error, "__notes__", []))
    assert "RandomGraph rebuilt by:" in notes and "af.testing.assert_gradients_match" in notes
    assert isinstance(reproduce(error, SignErrorTanh=SignErrorTanh), af.GradientCheckError)
    assert len(error.code.splitlines()) <= 16  # shrunk to a few lines


def test_code_rebuilds_a_graph_exactly():
    x = af.Input("x")
    W = af.Parameter(np.array([[0.1, -1 / 3], [2.5e-7, 1.0]]), name="W")
    b = af.Parameter(np.array([0.2, -0.3], dtype=np.float32), name="bias term")
    y = af.Input("y")
    h = af.tanh(af.linear(x, W, b), name="h")
    z = (h ** 2).sum(axis=1) / 3.0 - af.maximum(h.T, 0.5).sum(axis=0, keepdims=True)
    z = z.reshape(-1)
    loss = af.softmax_cross_entropy(h, y) + af.logsumexp(z, axis=-1) + af.mean(-z)
    feed = {x: np.array([[0.5, -1e-300], [np.pi, 7.0]]), y: np.array([1, 0])}
    code = aft.to_python(loss, feed)
    namespace = {}
    exec(code, namespace)
    assert namespace["out"] is not loss
    rebuilt = af.FlowGraph(namespace["out"]).fprop(namespace["feed"])
    assert rebuilt == af.FlowGraph(loss).fprop(feed)  # bit for bit
    assert "name='bias term'" in code and "dtype=np.float32" in code


def test_literal_round_trips_floats():
    values = np.array([0.1, 1 / 3, -0.0, 1e-300, np.nan, -np.inf, 5e-324])
    for array in (values, values.astype(np.float32), np.array(2.5), np.array([1, -2])):
        rebuilt = eval(aft.codegen.literal(array), {"np": np})
        assert rebuilt.dtype == array.dtype
        assert np.array_equal(rebuilt, array, equal_nan=True)
        assert np.array_equal(np.signbit(rebuilt), np.signbit(array))


def test_assert_gradients_match_reports_worst_entries_by_box_and_index():
    W = af.Parameter(np.array([[0.5, -1.0], [2.0, 0.25]]), name="W")
    loss = af.sum(SignErrorTanh(W) * 2.0)
    with pytest.raises(aft.GradientMismatch) as caught:
        aft.assert_gradients_match(loss)
    message = str(caught.value)
    assert "SignErrorTanh 'signerrortanh'" in message and "(1, 0)" in message
    assert caught.value.report.failures
    report = aft.assert_gradients_match(af.sum(af.tanh(W) * 2.0))
    assert report.ok and len(report.entries) == 4


class Rotation(af.Box):
    """bprop (b, -a) is the 'gradient' of no function: its Jacobian is antisymmetric."""

    def fprop(self, a, b):
        return a * b

    def bprop(self, grad, a, b):
        return grad * b, -grad * a


def test_hessian_is_symmetric_for_a_true_gradient_and_not_for_a_fake_one():
    A = np.array([[1.0, 2.0], [-0.5, 3.0]])
    x = af.Parameter(np.array([0.3, -0.7]), name="x")
    quadratic = af.sum(x * af.matmul(A, x))
    np.testing.assert_allclose(af.hessian(quadratic), A + A.T, atol=1e-6)
    aft.assert_hessian_symmetric(quadratic)
    aft.assert_hessian_symmetric(quadratic, matrix=af.hessian(quadratic))
    a, b = af.Parameter(np.array(0.5), name="a"), af.Parameter(np.array(-2.0), name="b")
    with pytest.raises(aft.PropertyError, match="Hessian is not symmetric"):
        aft.assert_hessian_symmetric(Rotation(a, b))
    with pytest.raises(aft.PropertyError, match=r"H\[0, 1\]"):
        aft.assert_hessian_symmetric(quadratic, matrix=A)


@given(st.data())
def test_box_inputs_match_the_fprop_arity(data):
    values = data.draw(S.box_inputs(LoopMatMul, shapes=S.matmul_shapes()))
    assert len(values) == 2 and values[0].shape[1] == values[1].shape[0]
    with pytest.raises(ValueError, match="takes 2 input"):
        data.draw(S.box_inputs(LoopMatMul, shapes=((2, 2),)))


def test_inputs_not_mutated_ignores_values_left_by_an_earlier_run():
    x = af.Input("x")
    p = af.Parameter(np.array([0.5, -1.0]), name="p")
    y = (af.tanh(x) * p).sum()
    af.FlowGraph(y).fprop({x: np.zeros(2)})  # inner boxes now hold this run's values
    aft.assert_inputs_not_mutated(y, {x: np.ones(2)})
