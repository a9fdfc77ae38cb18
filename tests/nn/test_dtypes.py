"""Every layer of af.nn that makes Parameters takes ``dtype=`` (float64 by default, as
numpy's own arrays): with float32 its parameters, values and gradients stay float32
(float64, numpy's default, makes a training step slower: see the README's tour)."""
import inspect

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import nn

# each layer that holds Parameters, built small with the given dtype, and an input
LAYERS = {
    "MLP": (lambda **o: nn.MLP([4, 5, 3], **o), (6, 4)),
    "Linear": (lambda **o: nn.Linear(4, 3, **o), (6, 4)),
    "Conv2d": (lambda **o: nn.Conv2d(2, 3, 3, padding=1, **o), (2, 2, 5, 5)),
    "ConvTranspose2d": (lambda **o: nn.ConvTranspose2d(2, 4, 3, stride=2, groups=2, **o),
                        (2, 2, 3, 3)),
    "BatchNorm": (lambda **o: nn.BatchNorm(3, **o), (6, 3)),
    "AttentionHead": (lambda **o: nn.AttentionHead(4, 2, **o), (5, 4)),
    "LayerNorm": (lambda **o: nn.LayerNorm(4, **o), (6, 4)),
    "RMSNorm": (lambda **o: nn.RMSNorm(4, **o), (6, 4)),
    "GroupNorm": (lambda **o: nn.GroupNorm(2, 4, **o), (3, 4, 2, 2)),
}


def test_every_layer_with_parameters_is_in_the_table_and_takes_dtype():
    layers = {name for name in nn.__all__ if isinstance(getattr(nn, name), type)
              and issubclass(getattr(nn, name), nn.Layer)}
    holding = {name for name in layers if name not in ("Layer", "Sequential", "Dropout")}
    assert holding == set(LAYERS)  # a new layer with parameters belongs in LAYERS
    for name in holding:
        default = inspect.signature(getattr(nn, name)).parameters["dtype"].default
        assert np.dtype(default) == np.float64, name


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parameters_values_and_gradients_keep_the_layers_dtype(name, dtype):
    make, shape = LAYERS[name]
    layer = make(dtype=dtype)
    assert layer.parameters and all(p.value.dtype == dtype for p in layer.parameters)
    x = af.Input("x")
    graph = af.FlowGraph(af.sum(af.square(nn.Sequential(layer, nn.Dropout(0.5))(x))),
                         wrt=layer.parameters)
    for _ in range(3):  # the interpreter, then the compiled plan
        value = graph.fprop({x: np.random.default_rng(0).standard_normal(shape).astype(dtype)})
        assert value.dtype == dtype
        assert all(g.dtype == dtype for g in graph.bprop().values())


@pytest.mark.parametrize("name", LAYERS)
def test_the_default_is_float64_and_float32_draws_the_same_numbers(name):
    make, _ = LAYERS[name]
    default, single = make(), make(dtype=np.float32)
    for p, q in zip(default.parameters, single.parameters):
        assert p.value.dtype == np.float64
        assert np.array_equal(p.value.astype(np.float32), q.value)


@pytest.mark.parametrize("name", LAYERS)
def test_an_integer_dtype_is_refused_naming_the_layer(name):
    make, _ = LAYERS[name]
    with pytest.raises(ValueError, match="dtype must be a float dtype, got int64"):
        make(dtype=np.int64)
