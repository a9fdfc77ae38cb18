"""Scaled dot-product attention and AttentionHead: numpy's formula, torch (when
installed), gradients, masks, errors."""
import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.nn import AttentionHead, attention

RNG = np.random.default_rng(13)


def numpy_attention(q, k, v, mask=None, scale=None):
    scores = q @ np.swapaxes(k, -1, -2) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ v


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
    with pytest.raises(ValueError, match="the mask must hold booleans"):
        attention(q, k, v, mask=np.ones((2, 2)))
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
    graph = af.FlowGraph(attention(q, k, v, name="attn"))
    with pytest.raises(af.BoxError, match=r"attn: q k\^T.*\(5, 4\).*\(3, 6\)"):
        graph.fprop({q: np.ones((5, 4)), k: np.ones((6, 3)), v: np.ones((6, 2))})
