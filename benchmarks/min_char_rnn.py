"""W4: Karpathy's min-char-rnn, his hand-written numpy step against the same model
ported to autograd_flow as a user would port it.

The model (Karpathy, 2015, min-char-rnn.py): a vanilla RNN over one-hot characters,
h_t = tanh(Wxh x_t + Whh h_(t-1) + bh), y_t = Why h_t + by, p_t = softmax(y_t), loss the
sum over 25 unrolled steps of -log p_t[target_t]; gradients clipped to [-5, 5];
Adagrad with learning rate 0.1; the last hidden state carried into the next window.
Float64, hidden size 100, the vocabulary of the text (scikit-learn's bundled data-set
descriptions, so nothing is downloaded).

``karpathy_step`` is his ``lossFun`` and update loop as he wrote them (dicts of column
vectors, ``np.dot``); ``flow_step`` builds the unrolled graph once (Inputs for the
one-hot characters, the targets and the carried state), then each step feeds a window,
runs fprop and bprop, clips with ``af.optim.clip_grad_value`` and updates with
``af.optim.Adagrad``: the user's path.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

import autograd_flow as af

HIDDEN, SEQ, LR = 100, 25, 0.1


def text() -> str:
    """scikit-learn's bundled data-set descriptions, joined (about 100 kB of English)."""
    import sklearn.datasets

    folder = Path(sklearn.datasets.__file__).parent / "descr"
    return "".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.rst")))


class Windows:
    """The text as character indices, cut into consecutive windows of SEQ + 1 characters
    (inputs and next-character targets), cycled as min-char-rnn's pointer moves."""

    def __init__(self, data: str, count: int) -> None:
        chars = sorted(set(data))
        self.vocab = len(chars)
        index = {c: i for i, c in enumerate(chars)}
        ids = np.array([index[c] for c in data[:count * SEQ + 1]])
        self.windows = [(list(ids[k * SEQ:(k + 1) * SEQ]), list(ids[k * SEQ + 1:(k + 1) * SEQ + 1]))
                        for k in range(count)]
        self.position = 0

    def next(self) -> tuple[list[int], list[int]]:
        window = self.windows[self.position]
        self.position = (self.position + 1) % len(self.windows)
        return window


def weights(vocab: int, seed: int = 0) -> dict[str, np.ndarray]:
    """min-char-rnn's initialisation: randn * 0.01, zero biases."""
    rng = np.random.default_rng(seed)
    return {"Wxh": rng.standard_normal((HIDDEN, vocab)) * 0.01,
            "Whh": rng.standard_normal((HIDDEN, HIDDEN)) * 0.01,
            "Why": rng.standard_normal((vocab, HIDDEN)) * 0.01,
            "bh": np.zeros((HIDDEN, 1)), "by": np.zeros((vocab, 1))}


def karpathy_step(start: dict[str, np.ndarray], windows: Windows) -> Callable[[], float]:
    """His step, verbatim but for names: lossFun, clipping, the Adagrad update."""
    Wxh, Whh, Why, bh, by = (start[k].copy() for k in ("Wxh", "Whh", "Why", "bh", "by"))
    vocab = windows.vocab
    mem = [np.zeros_like(p) for p in (Wxh, Whh, Why, bh, by)]
    state = {"hprev": np.zeros((HIDDEN, 1))}

    def loss_fun(inputs, targets, hprev):
        xs, hs, ys, ps = {}, {}, {}, {}
        hs[-1] = np.copy(hprev)
        loss = 0.0
        for t in range(len(inputs)):
            xs[t] = np.zeros((vocab, 1))
            xs[t][inputs[t]] = 1
            hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
            ys[t] = np.dot(Why, hs[t]) + by
            ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
            loss += -np.log(ps[t][targets[t], 0])
        dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
        dbh, dby = np.zeros_like(bh), np.zeros_like(by)
        dhnext = np.zeros_like(hs[0])
        for t in reversed(range(len(inputs))):
            dy = np.copy(ps[t])
            dy[targets[t]] -= 1
            dWhy += np.dot(dy, hs[t].T)
            dby += dy
            dh = np.dot(Why.T, dy) + dhnext
            dhraw = (1 - hs[t] * hs[t]) * dh
            dbh += dhraw
            dWxh += np.dot(dhraw, xs[t].T)
            dWhh += np.dot(dhraw, hs[t - 1].T)
            dhnext = np.dot(Whh.T, dhraw)
        for dparam in (dWxh, dWhh, dWhy, dbh, dby):
            np.clip(dparam, -5, 5, out=dparam)
        return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]

    def step() -> float:
        inputs, targets = windows.next()
        loss, dWxh, dWhh, dWhy, dbh, dby, state["hprev"] = loss_fun(inputs, targets,
                                                                    state["hprev"])
        for param, dparam, m in zip((Wxh, Whh, Why, bh, by), (dWxh, dWhh, dWhy, dbh, dby),
                                    mem):
            m += dparam * dparam
            param += -LR * dparam / np.sqrt(m + 1e-8)
        return float(loss)

    step.params = (Wxh, Whh, Why, bh, by)  # type: ignore[attr-defined]
    return step


def flow_step(start: dict[str, np.ndarray], windows: Windows, **options) -> Callable[[], float]:
    """The same model as a flow graph (``options`` for FlowGraph), trained by the
    project's clipping and Adagrad."""
    vocab = windows.vocab
    params = {k: af.Parameter(v.copy(), name=k) for k, v in start.items()}
    Wxh, Whh, Why, bh, by = (params[k] for k in ("Wxh", "Whh", "Why", "bh", "by"))
    xs = [af.Input(f"x{t}") for t in range(SEQ)]
    targets = [af.Input(f"y{t}") for t in range(SEQ)]
    hprev = af.Input("hprev")
    h = hprev
    losses = []
    for t in range(SEQ):
        h = af.tanh(Wxh @ xs[t] + Whh @ h + bh)
        y = Why @ h + by
        losses.append(af.softmax_cross_entropy(y.T, targets[t]))
    last = h
    graph = af.FlowGraph(sum(losses[1:], losses[0]), **options)
    plist = list(params.values())
    # Karpathy divides by sqrt(mem + 1e-8): an accumulator that starts at 1e-8, no eps
    optimizer = af.optim.Adagrad(plist, lr=LR, initial_accumulator_value=1e-8, eps=0.0)
    eye = np.eye(vocab)
    state = {"hprev": np.zeros((HIDDEN, 1))}

    def step() -> float:
        inputs, labels = windows.next()
        feed = {hprev: state["hprev"]}
        for t in range(SEQ):
            feed[xs[t]] = eye[:, inputs[t]:inputs[t] + 1]
            feed[targets[t]] = np.array(labels[t:t + 1])
        loss = graph.fprop(feed)
        graph.bprop()
        af.optim.clip_grad_value(plist, 5.0)
        optimizer.step()
        state["hprev"] = last.value
        return float(loss)

    step.params = tuple(plist)  # type: ignore[attr-defined]
    return step
