"""Scaled dot-product attention and AttentionHead: numpy's formula, the op table's
checks with boolean and float masks, torch (when installed), gradients, masks, errors."""
import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.nn import AttentionHead, attention

from ..ops.table import Aux, Case, parametrize

RNG = np.random.default_rng(13)


def numpy_attention(q, k, v, mask=None, scale=None):
    """PyTorch's definition: a boolean mask sets the scores it masks to -inf, a float
    mask is added to the scores; a row of scores that are all -inf gets weights 0."""
    scores = q @ np.swapaxes(k, -1, -2) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if mask is not None:
        mask = np.asarray(mask)
        scores = np.where(mask, scores, -np.inf) if mask.dtype == bool else scores + mask
    peak = scores.max(axis=-1, keepdims=True)
    closed = peak == -np.inf
    weights = np.exp(scores - np.where(closed, 0, peak))
    total = weights.sum(axis=-1, keepdims=True)
    weights = np.where(closed, 0, weights / np.where(closed, 1, total))
    return weights @ v


def _masked_attention(q, k, v, mask, name=None):
    return attention(q, k, v, mask=mask, name=name)


_masked_attention.__name__ = "attention"


def _bool_mask(shape):
    def make(rng):
        mask = rng.random(shape) > 0.4
        mask[..., 1, :] = False  # a query that attends to nothing
        return mask
    return Aux(make, "bool_mask")


def _float_mask(shape, closed=(Ellipsis, 1, slice(None)), open=(Ellipsis, 0, slice(None))):
    def make(rng):
        mask = np.where(rng.random(shape) > 0.3, rng.standard_normal(shape), -np.inf)
        mask[closed] = -np.inf  # queries that attend to nothing
        mask[open] = rng.standard_normal(mask[open].shape)  # ones that attend to every key
        return mask
    return Aux(make, "float_mask")


TABLE = [
    Case(_masked_attention, ((5, 4), (6, 4), (6, 3), _bool_mask((5, 6))), numpy_attention),
    Case(_masked_attention, ((2, 5, 4), (2, 6, 4), (2, 6, 2), _float_mask((5, 6))),
         numpy_attention),
    Case(_masked_attention,  # broadcast over the queries; batch entry 1 fully masked
         ((2, 3, 4), (4, 4), (4, 2), _float_mask((2, 1, 4), closed=(1,), open=(0,))),
         numpy_attention),
    # a learned additive bias (ALiBi-like): the mask is differentiable too
    Case(_masked_attention, ((3, 4), (5, 4), (5, 2), (3, 5)), numpy_attention),
    Case(_masked_attention, ((2, 3, 4), (5, 4), (5, 2), (1, 5)), numpy_attention),
]


@parametrize(TABLE)
def test_attention_with_masks(case: Case, check) -> None:
    check(case)


CASES = [  # q, k, v shapes
    ((5, 4), (6, 4), (6, 3)),
    ((2, 5, 4), (2, 6, 4), (2, 6, 2)),
    ((3, 2, 4, 8), (3, 2, 4, 8), (3, 2, 4, 8)),
    ((2, 5, 4), (6, 4), (6, 3)),  # keys and values shared by the batch
]


def feed_for(shapes):
    return {name: RNG.standard_normal(shape) for name, shape in zip("qkv", shapes)}


@pytest.mark.parametrize("shapes", CASES)
@pytest.mark.parametrize("masked", [False, True])
def test_matches_numpy_and_gradcheck(shapes, masked):
    feed = feed_for(shapes)
    mask = None
    if masked:
        mask = RNG.random((shapes[0][-2], shapes[1][-2])) > 0.4
        mask[:, 0] = True  # every query attends to something
    q, k, v = af.Input("q"), af.Input("k"), af.Input("v")
    out = attention(q, k, v, mask=mask)
    value = af.FlowGraph(out).fprop(feed)
    np.testing.assert_allclose(value, numpy_attention(feed["q"], feed["k"], feed["v"], mask),
                               atol=1e-12)
    af.gradcheck(af.FlowGraph(out, wrt=[q, k, v]), feed)


@pytest.mark.parametrize("shapes", CASES)
def test_matches_torch(shapes):
    torch = pytest.importorskip("torch")
    feed = feed_for(shapes)
    mask = np.tril(np.ones((shapes[0][-2], shapes[1][-2]), bool))  # causal
    boxes = [af.Input(n) for n in "qkv"]
    graph = af.FlowGraph(attention(*boxes, mask=mask), wrt=boxes)
    value = graph.fprop(feed)
    seed = RNG.standard_normal(value.shape)
    grads = graph.bprop(seed)
    tensors = [torch.tensor(feed[n], requires_grad=True) for n in "qkv"]
    expected = torch.nn.functional.scaled_dot_product_attention(
        *tensors, attn_mask=torch.tensor(mask))
    np.testing.assert_allclose(value, expected.detach().numpy(), atol=1e-12)
    expected.backward(torch.tensor(seed))
    for box, tensor in zip(boxes, tensors):
        np.testing.assert_allclose(grads[box], tensor.grad.numpy(), atol=1e-11)


def _torch_masks(kind, shape):
    """A mask of ``kind`` for scores of ``shape`` (L_q, L_k), with one query that
    attends to nothing (its scores all -inf: PyTorch gives it weights 0)."""
    rng = np.random.default_rng(5)
    if kind == "bool":
        mask = np.tril(np.ones(shape, bool))
        mask[1] = False
        return mask
    mask = np.where(np.tril(np.ones(shape, bool)), rng.standard_normal(shape), -np.inf)
    mask[1] = -np.inf
    return mask if kind == "float -inf" else np.where(np.isinf(mask), -30.0, mask)


@pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("kind", ["bool", "float -inf", "float bias"])
@pytest.mark.parametrize("shapes", CASES[:3])
def test_masks_match_torch(shapes, kind, dtype, tolerance):
    """Values and the gradients of q, k, v and of a float mask, as torch's
    scaled_dot_product_attention gives them (fully masked queries included)."""
    torch = pytest.importorskip("torch")
    feed = {name: array.astype(dtype) for name, array in feed_for(shapes).items()}
    mask = _torch_masks(kind, (shapes[0][-2], shapes[1][-2]))
    boxes = [af.Input(n) for n in "qkv"]
    if kind == "bool":
        graph = af.FlowGraph(attention(*boxes, mask=mask), wrt=boxes)
    else:
        feed["m"] = mask.astype(dtype)
        boxes.append(af.Input("m", dtype=dtype))
        graph = af.FlowGraph(attention(*boxes[:3], mask=boxes[3]), wrt=boxes)
    value = graph.fprop(feed)
    seed = RNG.standard_normal(value.shape).astype(dtype)
    grads = graph.bprop(seed)
    tensors = [torch.tensor(feed[n], requires_grad=True) for n in "qkv"]
    torch_mask = torch.tensor(mask if kind == "bool" else feed["m"],
                              requires_grad=kind != "bool")
    expected = torch.nn.functional.scaled_dot_product_attention(*tensors,
                                                                attn_mask=torch_mask)
    expected.backward(torch.tensor(seed))
    assert value.dtype == dtype
    assert kind == "float bias" or np.all(value[..., 1, :] == 0)
    np.testing.assert_allclose(value, expected.detach().numpy(), rtol=tolerance,
                               atol=tolerance)
    for box, tensor in zip(boxes, tensors + [torch_mask]):
        assert grads[box].dtype == dtype
        np.testing.assert_allclose(grads[box], tensor.grad.numpy(), rtol=tolerance,
                                   atol=tolerance)


def test_a_bool_mask_is_the_float_mask_of_zeros_and_minus_infinities():
    feed = feed_for(((2, 5, 4), (2, 6, 4), (2, 6, 3)))
    mask = RNG.random((5, 6)) > 0.5
    mask[2] = False
    boxes = [af.Input(n) for n in "qkv"]
    as_bool = af.FlowGraph(attention(*boxes, mask=mask), wrt=boxes)
    as_float = af.FlowGraph(attention(*boxes, mask=np.where(mask, 0.0, -np.inf)), wrt=boxes)
    value = as_bool.fprop(feed)
    np.testing.assert_array_equal(value, as_float.fprop(feed))
    seed = RNG.standard_normal(value.shape)
    for box, grad in as_bool.bprop(seed).items():
        np.testing.assert_array_equal(grad, as_float.bprop(seed)[box])


@pytest.mark.parametrize("closed", [np.zeros((3, 4), bool), np.full((3, 4), -np.inf)],
                         ids=["bool", "float"])
def test_a_query_with_every_key_masked_gets_zeros_not_nan(closed):
    """As PyTorch's (2.5 and later): output 0 and gradients 0 on that query, first and
    second order, and the other queries are untouched."""
    mask = np.ones((3, 4), bool) if closed.dtype == bool else np.zeros((3, 4))
    mask[1] = closed[1]
    feed = feed_for(((3, 2), (4, 2), (4, 2)))
    q, k, v = af.Input("q"), af.Input("k"), af.Input("v")
    graph = af.FlowGraph(attention(q, k, v, mask=mask), wrt=[q, k, v])
    value = graph.fprop(feed)
    np.testing.assert_array_equal(value[1], 0)
    np.testing.assert_allclose(np.delete(value, 1, axis=0),
                               np.delete(numpy_attention(feed["q"], feed["k"], feed["v"]), 1,
                                         axis=0), rtol=1e-13)
    grads = graph.bprop(np.ones_like(value))
    np.testing.assert_array_equal(grads[q][1], 0)
    assert all(np.all(np.isfinite(g)) for g in grads.values())
    gradient = af.grad(af.sum(attention(q, k, v, mask=mask) ** 2), q)
    second = af.FlowGraph(af.sum(gradient * RNG.standard_normal((3, 2))), wrt=[q, k, v])
    second.fprop(feed)
    second_grads = second.bprop()
    np.testing.assert_array_equal(second_grads[q][1], 0)
    assert all(np.all(np.isfinite(g)) for g in second_grads.values())
    af.gradcheck(graph, feed)
    af.gradcheck(second, feed)


def test_the_mask_dtype_is_read_when_the_graph_is_built():
    q, k, v = af.Input("q"), af.Input("k"), af.Input("v")
    feed = feed_for(((3, 2), (4, 2), (4, 2)))
    bool_mask = np.tril(np.ones((3, 4), bool))
    float_mask = np.where(bool_mask, 0.0, -np.inf)
    expected = numpy_attention(feed["q"], feed["k"], feed["v"], bool_mask)
    scores = af.Input("s")
    for mask, fed in [(af.Input("m", dtype=bool), bool_mask),
                      (af.Input("m", dtype=np.float32), float_mask.astype(np.float32)),
                      (af.astype(af.Input("m"), bool), bool_mask.astype(np.int64)),
                      (af.astype(af.Input("m"), float), float_mask),
                      (scores > 0, bool_mask - 0.5)]:
        graph = af.FlowGraph(attention(q, k, v, mask=mask))
        names = {b.name for b in graph.inputs}
        value = graph.fprop({**feed, "m" if "m" in names else "s": fed})
        np.testing.assert_allclose(value, expected, rtol=1e-13)
    with pytest.raises(ValueError, match=r"the Input 'm' declares no dtype.*"
                                         r"af.Input\('mask', dtype=bool\)"):
        attention(q, k, v, mask=af.Input("m"))
    with pytest.raises(ValueError, match=r"the Mul box .* makes it.*af.astype\(mask, float\)"):
        attention(q, k, v, mask=af.Input("m", dtype=float) * 2.0)
    with pytest.raises(ValueError, match=r"must hold booleans .* or floats .*int32"):
        attention(q, k, v, mask=af.Input("m", dtype=np.int32))


def test_masked_keys_get_no_weight_and_no_gradient():
    feed = feed_for(((4, 3), (5, 3), (5, 2)))
    mask = np.ones((4, 5), bool)
    mask[:, 2] = False  # nobody attends to key 2
    q, k, v = af.Input("q"), af.Input("k"), af.Input("v")
    graph = af.FlowGraph(attention(q, k, v, mask=mask).sum(), wrt=[q, k, v])
    graph.fprop(feed)
    grads = graph.bprop()
    assert np.all(grads[k][2] == 0) and np.all(grads[v][2] == 0)
    assert np.all(np.isfinite(grads[q]))
    changed = dict(feed, v=feed["v"].copy())
    changed["v"][2] += 100
    np.testing.assert_allclose(graph.fprop(changed), graph.fprop(feed), rtol=1e-12)


def test_scale_replaces_one_over_sqrt_d():
    feed = feed_for(((3, 4), (5, 4), (5, 2)))
    out = attention(af.Input("q"), af.Input("k"), af.Input("v"), scale=0.7)
    np.testing.assert_allclose(af.FlowGraph(out).fprop(feed),
                               numpy_attention(feed["q"], feed["k"], feed["v"], scale=0.7),
                               atol=1e-12)


@pytest.mark.parametrize("cross", [False, True])
def test_attention_head_matches_numpy_and_gradcheck(cross):
    head = AttentionHead(6, 4, d_value=3, seed=2, name="head")
    X, C = RNG.standard_normal((2, 5, 6)), RNG.standard_normal((2, 7, 6))
    x, c = af.Input("x"), af.Input("c")
    mask = np.tril(np.ones((5, 7 if cross else 5), bool))
    out = head(x, mask=mask, context=c if cross else None)
    feed = {x: X, c: C} if cross else {x: X}
    source = C if cross else X
    q, k, v = X @ head.W_q.value.T, source @ head.W_k.value.T, source @ head.W_v.value.T
    np.testing.assert_allclose(af.FlowGraph(out).fprop(feed), numpy_attention(q, k, v, mask),
                               atol=1e-12)
    assert [p.name for p in head.parameters] == ["head.W_q", "head.W_k", "head.W_v"]
    af.gradcheck(af.FlowGraph(out, wrt=[x] + head.parameters), feed)


def test_attention_head_initialization_and_scope():
    head = AttentionHead(8, 4, seed=1, dtype=np.float32, name="h")
    bound = np.sqrt(6 / 12)
    for W in head.parameters:
        assert W.value.shape == (4, 8) and W.value.dtype == np.float32
        assert 0.8 * bound < np.abs(W.value).max() <= bound
    x = af.Input("x")
    out = head(x)
    kinds = {s.kind for b in af.FlowGraph(out).order for s in b.scopes[:1]}
    assert kinds == {"attention_head"}
    assert af.FlowGraph(out).fprop({x: np.ones((3, 8), np.float32)}).dtype == np.float32


def test_bad_input_is_explained():
    q, k, v = af.Input("q"), af.Input("k"), af.Input("v")
    with pytest.raises(ValueError, match=r"'attention'.*must hold booleans.*or floats.*int64"):
        attention(q, k, v, mask=np.ones((2, 2), np.int64))
    with pytest.raises(ValueError, match=r"'q'.*needs at least 2 axes"):
        attention(af.Input("q", shape=(4,)), k, v)
    with pytest.raises(ValueError, match=r"AttentionHead 'head'.*\(None, 5\).*d_model=6"):
        AttentionHead(6, 4, name="head")(af.Input("x", shape=(None, 5)))
    with pytest.raises(ValueError, match="d_head must be an integer >= 1"):
        AttentionHead(6, 0)
    x = af.Input("x")
    head_graph = af.FlowGraph(AttentionHead(6, 4, name="head")(x))
    with pytest.raises(af.BoxError, match=r"head: q = x W_q\^T, x \(\.\.\., L, d_model=6\)"
                                          r".*\(2, 5, 7\)"):
        head_graph.fprop({x: np.ones((2, 5, 7))})
    feed = {q: np.ones((3, 2)), k: np.ones((4, 2)), v: np.ones((4, 2))}
    for mask, box in [(np.zeros((3, 5)), r"scores \+ mask"), (np.ones((3, 5), bool),
                                                            "masked scores")]:
        with pytest.raises(af.BoxError, match=rf"'{box}'.*broadcast.*\(3, 5\)"):
            af.FlowGraph(attention(q, k, v, mask=mask)).fprop(feed)  # 4 keys, not 5
    graph = af.FlowGraph(attention(q, k, v, name="attn"))
    with pytest.raises(af.BoxError, match=r"attn: q k\^T.*\(5, 4\).*\(3, 6\)"):
        graph.fprop({q: np.ones((5, 4)), k: np.ones((6, 3)), v: np.ones((6, 2))})
