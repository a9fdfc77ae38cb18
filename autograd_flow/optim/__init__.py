"""Optimizers that update Parameters in place from their gradients."""
from .newton import Newton
from .newton_cg import NewtonCG
from .sgd import SGD

__all__ = ["SGD", "Newton", "NewtonCG"]
