"""Optimizers that update Parameters in place from their gradients: the lecture's SGD
(momentum, learning-rate decay) and Newton's method, and Adam and RMSprop."""
from .adam import Adam, RMSprop
from .base import Optimizer
from .newton import Newton
from .newton_cg import NewtonCG
from .sgd import SGD

__all__ = ["SGD", "Adam", "RMSprop", "Newton", "NewtonCG", "Optimizer"]
