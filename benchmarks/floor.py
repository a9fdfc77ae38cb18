"""The strict numpy floor: one SGD step of an MLP as fast as plain numpy goes.

The workload of ``bench_step.py`` (mean softmax cross-entropy + L2 * sum of squared
weights, learning rate LR), written the way a numpy expert would write it once:
every buffer allocated up front; each matrix product into its buffer with ``out=``; the
bias added in place; the activation and its derivative in place; the softmax
cross-entropy gradient written into the probabilities (lecture:
grad a^(L+1) = -(e(y) - f(x)), divided by the batch size); the L2 gradient folded
into the update, W <- (1 - 2 lr lambda) W - lr dW. Weights are (fan_out, fan_in) as
``af.linear`` takes them; x @ W^T and dW = g^T h are BLAS calls on transposed views
(no copies); at batch 1 dW is an outer product (a broadcast multiply: BLAS is slow
with an inner dimension of 1).
"""
from __future__ import annotations

import numpy as np


class FloorMLP:
    """One training step of an MLP in preallocated numpy buffers.

    ``layers``: [(W, b), ...] with W (fan_out, fan_in) (copied); ``X`` (B, fan_in) and
    integer labels ``Y`` (B,), fixed for every step as in the benchmark; ``activation``
    "tanh" or "relu"; ``lr`` and ``l2`` the step's settings."""

    def __init__(self, layers: list[tuple[np.ndarray, np.ndarray]], activation: str,
                 X: np.ndarray, Y: np.ndarray, lr: float, l2: float) -> None:
        dtype = X.dtype.type
        self.Ws = [W.copy() for W, _ in layers]
        self.bs = [b.copy() for _, b in layers]
        self.X, self.Y = X, Y
        self.relu = activation == "relu"
        B = len(X)
        outs = [len(W) for W in self.Ws]
        self.z = [np.empty((B, o), X.dtype) for o in outs]        # pre-activations, logits
        self.h = [np.empty((B, o), X.dtype) for o in outs[:-1]]   # hidden activations
        self.dh = [np.empty((B, o), X.dtype) for o in outs[:-1]]  # grads of hidden units
        self.tmp = [np.empty((B, o), X.dtype) for o in outs[:-1]]  # activation derivative
        self.rowmax = np.empty((B, 1), X.dtype)
        self.rowsum = np.empty((B, 1), X.dtype)
        self.dW = [np.empty_like(W) for W in self.Ws]
        self.db = [np.empty_like(b) for b in self.bs]
        self.rows = np.arange(B)
        self.inv_B = dtype(1.0 / B)
        self.decay = dtype(1.0 - 2.0 * lr * l2)
        self.lr, self.l2 = dtype(lr), l2
        self.loss = 0.0

    def forward_backward(self) -> None:
        """Loss into ``self.loss``; d loss / d W (without the L2 term) and d loss / d b
        into ``self.dW`` and ``self.db``."""
        Ws, bs, z, h = self.Ws, self.bs, self.z, self.h
        last = len(Ws) - 1
        inputs = self.X
        for k in range(last):
            np.dot(inputs, Ws[k].T, out=z[k])
            z[k] += bs[k]
            if self.relu:
                np.maximum(z[k], 0, out=h[k])
            else:
                np.tanh(z[k], out=h[k])
            inputs = h[k]
        p = z[last]  # logits, then probabilities, then d loss / d logits
        np.dot(inputs, Ws[last].T, out=p)
        p += bs[last]
        np.max(p, axis=1, keepdims=True, out=self.rowmax)
        p -= self.rowmax
        picked = float(p[self.rows, self.Y].sum())
        np.exp(p, out=p)
        np.sum(p, axis=1, keepdims=True, out=self.rowsum)
        p /= self.rowsum
        np.log(self.rowsum, out=self.rowsum)
        penalty = sum(float(np.vdot(W, W)) for W in Ws)
        self.loss = (float(self.rowsum.sum()) - picked) * float(self.inv_B) + self.l2 * penalty
        p[self.rows, self.Y] -= 1
        p *= self.inv_B
        g = p
        for k in range(last, -1, -1):
            below = self.X if k == 0 else h[k - 1]
            if len(g) == 1:
                np.multiply(g.T, below, out=self.dW[k])
            else:
                np.dot(g.T, below, out=self.dW[k])
            np.sum(g, axis=0, out=self.db[k])
            if k:
                d, t = self.dh[k - 1], self.tmp[k - 1]
                np.dot(g, Ws[k], out=d)
                if self.relu:
                    np.greater(h[k - 1], 0, out=t)
                else:
                    np.multiply(h[k - 1], h[k - 1], out=t)
                    np.subtract(1, t, out=t)
                d *= t
                g = d

    def step(self) -> None:
        """One SGD step: W <- (1 - 2 lr lambda) W - lr dW, b <- b - lr db."""
        self.forward_backward()
        for W, dW in zip(self.Ws, self.dW):
            W *= self.decay
            dW *= self.lr
            W -= dW
        for b, db in zip(self.bs, self.db):
            db *= self.lr
            b -= db

    def gradients(self) -> tuple[float, list[np.ndarray]]:
        """The loss and [dW1 (with the L2 term), db1, dW2, ...] at the current weights
        (for checking the floor against autograd_flow, not for timing)."""
        self.forward_backward()
        grads: list[np.ndarray] = []
        for W, dW, db in zip(self.Ws, self.dW, self.db):
            grads += [dW + 2 * self.l2 * W, db.copy()]
        return self.loss, grads
