"""The optimizers a training run names ("sgd", "adam", "rmsprop", "adagrad"), as the
command line, the scikit-learn estimators, searches and the playground know them: the
default learning rate and momentum of each, the arrays it keeps per parameter (so memory
can be checked before a run), and how a run's settings make one. The learning-rate
schedules they share are :data:`~autograd_flow.optim.base.SCHEDULES`."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .adagrad import Adagrad
from .adam import Adam, RMSprop
from .base import SCHEDULES, Optimizer
from .sgd import SGD

OPTIMIZERS = ("sgd", "adam", "rmsprop", "adagrad")
DEFAULT_LR = {"sgd": 0.1, "adam": 1e-3, "rmsprop": 1e-3, "adagrad": 1e-2}
# what the CLI and the scikit-learn estimators use when no optimizer is given: SGD at
# lr 0.1 with momentum 0.9 diverges on a squared error (inf within a dozen epochs on
# diabetes), Adam at 0.001 does not
DEFAULT_OPTIMIZER = {"classification": "sgd", "regression": "adam"}
DEFAULT_MOMENTUM = {"sgd": 0.9, "adam": 0.0, "rmsprop": 0.0, "adagrad": 0.0}
TAKE_MOMENTUM = ("sgd", "rmsprop")  # the others refuse a momentum
OPTIMIZER_BUFFERS = {"sgd": SGD.buffers, "adam": Adam.buffers, "rmsprop": RMSprop.buffers,
                     "adagrad": Adagrad.buffers}
__all__ = ["OPTIMIZERS", "SCHEDULES", "DEFAULT_LR", "DEFAULT_OPTIMIZER", "DEFAULT_MOMENTUM",
           "TAKE_MOMENTUM", "OPTIMIZER_BUFFERS", "make_optimizer"]


def make_optimizer(name: str, params: Sequence[Any], *, lr: float, momentum: float = 0.0,
                   decay: str | None = None, decay_rate: float = 0.0, warmup: int = 0,
                   decay_steps: int = 0, betas: tuple[float, float] = (0.9, 0.999),
                   eps: float = 1e-8, rmsprop_alpha: float = 0.99) -> Optimizer:
    """The optimizer ``name`` (one of :data:`OPTIMIZERS`) on ``params`` with these settings
    (each optimizer reads those it has; a momentum given to one that takes none is an
    error)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    if momentum and name not in TAKE_MOMENTUM:
        raise ValueError(f"{name.capitalize()} takes no momentum: leave it unset or use "
                         f"{' or '.join(TAKE_MOMENTUM)}")
    if name == "adam":
        return Adam(params, lr, betas, eps, decay=decay, decay_rate=decay_rate, warmup=warmup,
                    decay_steps=decay_steps)
    if name == "rmsprop":
        return RMSprop(params, lr, rmsprop_alpha, eps, momentum, decay=decay,
                       decay_rate=decay_rate, warmup=warmup, decay_steps=decay_steps)
    if name == "adagrad":
        return Adagrad(params, lr, eps=eps, decay=decay, decay_rate=decay_rate,
                       warmup=warmup, decay_steps=decay_steps)
    return SGD(params, lr, momentum, decay, decay_rate, warmup, decay_steps)
