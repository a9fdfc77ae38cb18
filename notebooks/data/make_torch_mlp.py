"""Write torch_mlp.onnx, the model graphs_as_files.ipynb imports: a 64-32-10 relu MLP made
by PyTorch (seed 0, untrained) and exported by ``torch.onnx.export`` with a free batch
size, as anyone would hand one over. Needs torch (the ``bench`` extra) and onnx:

    python notebooks/data/make_torch_mlp.py
"""
from pathlib import Path

import torch

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
torch.onnx.export(model.eval(), (torch.zeros(1, 64),), Path(__file__).parent / "torch_mlp.onnx",
                  input_names=["pixels"], output_names=["scores"],
                  dynamic_axes={"pixels": {0: "batch"}, "scores": {0: "batch"}}, dynamo=False)
