"""unbroadcast: summing a gradient back to the shape its input had before numpy
broadcast it, and refusing shapes broadcasting cannot have produced."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_flow as af


@pytest.mark.parametrize(("grad_shape", "shape", "axes"), [
    ((2, 3), (2, 3), ()),
    ((2, 3, 4), (3, 4), (0,)),
    ((5, 2, 3), (3,), (0, 1)),
    ((4,), (), (0,)),
    ((2, 3), (2, 1), (1,)),
    ((2, 3), (1, 3), (0,)),
    ((2, 3), (1, 1), (0, 1)),
    ((5, 2, 3), (1, 3), (0, 1)),
    ((5, 2, 3), (2, 1), (0, 2)),
    ((1, 3), (1, 3), ()),
])
def test_sums_leading_and_stretched_axes(grad_shape, shape, axes) -> None:
    grad = np.random.default_rng(0).standard_normal(grad_shape)
    result = af.unbroadcast(grad, shape)
    assert result.shape == shape
    expected = grad.sum(axis=axes).reshape(shape) if axes else grad
    np.testing.assert_allclose(result, expected, rtol=1e-12)


def test_same_shape_is_returned_as_is() -> None:
    grad = np.ones((2, 3))
    assert af.unbroadcast(grad, (2, 3)) is grad


@pytest.mark.parametrize(("grad_shape", "shape"), [
    ((2, 3), (3, 3)),
    ((2, 3), (2,)),
    ((3,), (2, 3)),
    ((), (1,)),
    ((2, 1), (2, 3)),
    ((4, 3), (2, 3)),
])
def test_impossible_shapes_raise_a_clear_value_error(grad_shape, shape) -> None:
    with pytest.raises(ValueError) as error:
        af.unbroadcast(np.ones(grad_shape), shape)
    assert str(shape) in str(error.value)


@st.composite
def broadcast_pairs(draw):
    """(shape, broadcast shape): shape padded in front and stretched from length 1."""
    shape = tuple(draw(st.lists(st.integers(1, 3), max_size=3)))
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    stretched = tuple(draw(st.integers(1, 3)) if s == 1 else s for s in shape)
    return shape, lead + stretched


@given(broadcast_pairs(), st.integers(0, 2 ** 31))
def test_unbroadcast_is_the_adjoint_of_broadcasting(pair, seed) -> None:
    """<G, broadcast(x)> = <unbroadcast(G), x> for every x and G: the gradient rule."""
    shape, big = pair
    rng = np.random.default_rng(seed)
    x, G = rng.standard_normal(shape), rng.standard_normal(big)
    reduced = af.unbroadcast(G, shape)
    assert reduced.shape == shape
    np.testing.assert_allclose(np.sum(G * np.broadcast_to(x, big)), np.sum(reduced * x),
                               rtol=1e-10, atol=1e-10)


BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
          "div": lambda a, b: a / (b * b + 1), "maximum": af.maximum,
          "matmul-batch": lambda a, b: af.matmul(a.reshape(-1, 1), b.reshape(1, -1))}


@given(broadcast_pairs(), st.sampled_from(sorted(BINARY)), st.booleans(),
       st.integers(0, 2 ** 31))
def test_binary_boxes_on_random_broadcast_shapes(pair, op, swap, seed) -> None:
    """Any broadcast-compatible pair, either side: the scheduler's unbroadcast gives each
    input a gradient of its own shape that matches central differences."""
    shape, big = pair if not swap else pair[::-1]
    rng = np.random.default_rng(seed)
    a = af.Parameter(rng.standard_normal(shape), name="a")
    b = af.Parameter(rng.standard_normal(big), name="b")
    report = af.gradcheck(BINARY[op](a, b), {}, rtol=1e-6, atol=1e-9)
    assert len(report.entries) == a.value.size + b.value.size
    assert a.grad.shape == a.value.shape and b.grad.shape == b.value.shape


def test_the_scheduler_sums_broadcast_gradients_for_every_box() -> None:
    a = af.Parameter(np.ones((2, 1)), name="a")
    b = af.Parameter(np.ones(3), name="b")
    c = af.Parameter(np.array(2.0), name="c")
    graph = af.FlowGraph((a * b + c).sum())
    graph.fprop()
    grads = graph.bprop()
    np.testing.assert_array_equal(grads[a], [[3.0], [3.0]])
    np.testing.assert_array_equal(grads[b], [2.0, 2.0, 2.0])
    assert grads[c].shape == () and grads[c] == 6.0
