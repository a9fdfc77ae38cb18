"""The lecture's recipe around the engine: the training objective as a flow graph,
training with mini-batches, early stopping and checkpoints, the trained model with its
preprocessing, data tables from files, run folders, and pictures of a run.

``from autograd_flow.learn import TrainConfig, train`` trains an MLP on a data set's
splits (see :mod:`.training`)."""
from .model import Model
from .training import TrainConfig, TrainResult, train

__all__ = ["TrainConfig", "TrainResult", "train", "Model"]
