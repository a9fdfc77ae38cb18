"""The optimizers a training run names ("sgd", "adam", "rmsprop"), as the command line,
the scikit-learn estimators, searches and the playground know them: the default
learning rate and momentum of each, the arrays it keeps per parameter (so memory can be
checked before a run), and how a run's settings make one."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .adam import Adam, RMSprop
from .base import Optimizer
from .sgd import SGD

OPTIMIZERS = ("sgd", "adam", "rmsprop")
DEFAULT_LR = {"sgd": 0.1, "adam": 1e-3, "rmsprop": 1e-3}
# what the CLI and the scikit-learn estimators use when no optimizer is given: SGD at
# lr 0.1 with momentum 0.9 diverges on a squared error (inf within a dozen epochs on
# diabetes), Adam at 0.001 does not
DEFAULT_OPTIMIZER = {"classification": "sgd", "regression": "adam"}
DEFAULT_MOMENTUM = {"sgd": 0.9, "adam": 0.0, "rmsprop": 0.0}
OPTIMIZER_BUFFERS = {"sgd": SGD.buffers, "adam": Adam.buffers, "rmsprop": RMSprop.buffers}


def make_optimizer(name: str, params: Sequence[Any], *, lr: float, momentum: float = 0.0,
                   decay: str | None = None, decay_rate: float = 0.0, warmup: int = 0,
                   betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                   rmsprop_alpha: float = 0.99) -> Optimizer:
    """The optimizer ``name`` (one of :data:`OPTIMIZERS`) on ``params`` with these settings
    (each optimizer reads those it has)."""
    if name == "adam":
        return Adam(params, lr, betas, eps, decay=decay, decay_rate=decay_rate, warmup=warmup)
    if name == "rmsprop":
        return RMSprop(params, lr, rmsprop_alpha, eps, momentum, decay=decay,
                       decay_rate=decay_rate, warmup=warmup)
    if name == "sgd":
        return SGD(params, lr, momentum, decay, decay_rate, warmup)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
