"""Optimizers that update Parameters in place from their gradients: the lecture's SGD
(momentum, learning-rate decay) and Newton's method, and Adam, RMSprop and Adagrad;
gradient clipping by norm or by value."""
from .adagrad import Adagrad
from .adam import Adam, RMSprop
from .base import Optimizer
from .clip import clip_grad_norm, clip_grad_value
from .newton import Newton
from .newton_cg import NewtonCG
from .sgd import SGD

__all__ = ["SGD", "Adam", "RMSprop", "Adagrad", "Newton", "NewtonCG", "Optimizer",
           "clip_grad_norm", "clip_grad_value"]
