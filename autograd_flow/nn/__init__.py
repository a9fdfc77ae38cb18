"""Networks built from boxes: the lecture's MLP, and layers (linear, convolution, max
pooling, batch, layer, group and RMS normalization, dropout, attention), activations
(gelu, silu, mish, elu, selu, celu, softsign, hardsigmoid, prelu, threshold,
tanhshrink, softplus), losses (l1, smooth l1, Huber, squared error) and distances
(pairwise_distance, pdist) as composites of primitive boxes.

A layer holds Parameters; calling it on a box wires its composite and returns the
output box (``Conv2d(1, 16, 3)(x)``); the functions (``conv2d``, ``max_pool2d``,
``attention``) take the parameters as arguments. Every composite records its scope, so
``af.viz.to_dot(graph, collapse=True)`` draws each layer as one box.

Training and evaluation (see :class:`Layer`): a layer builds the boxes of its mode when
it is called, so build the training graph after ``net.train()`` and the evaluation
graph after ``net.eval()``; call ``net.end_step()`` once after each training step
(BatchNorm's running statistics, Dropout's next masks).
"""
from .activations import (
    celu,
    elu,
    gelu,
    hardsigmoid,
    mish,
    prelu,
    selu,
    silu,
    softplus,
    softsign,
    tanhshrink,
    threshold,
)
from .attention import AttentionHead, attention
from .conv import conv2d, conv_transpose1d, conv_transpose2d, conv_transpose3d, max_pool2d
from .conv_layers import Conv2d, ConvTranspose2d
from .distances import pairwise_distance, pdist
from .dropout import Dropout
from .example_norm import GroupNorm, LayerNorm, RMSNorm, group_norm, layer_norm, rms_norm
from .layer import Layer, Linear, Sequential, glorot_uniform, init_bound
from .losses import huber_loss, l1_loss, mse_loss, smooth_l1_loss
from .mlp import ACTIVATIONS, MLP
from .norm import BatchNorm

__all__ = ["MLP", "ACTIVATIONS", "init_bound", "glorot_uniform", "Layer", "Linear", "Sequential",
           "Conv2d", "conv2d", "ConvTranspose2d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "max_pool2d", "BatchNorm", "LayerNorm", "layer_norm", "RMSNorm",
           "rms_norm", "GroupNorm", "group_norm", "Dropout", "attention", "AttentionHead", "gelu",
           "silu", "mish", "elu", "selu", "celu", "softsign", "hardsigmoid", "l1_loss",
           "smooth_l1_loss", "huber_loss", "prelu", "threshold", "tanhshrink", "softplus",
           "mse_loss", "pairwise_distance", "pdist"]
