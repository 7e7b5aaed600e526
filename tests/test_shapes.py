"""shapes.probe_shapes: every module's input/output shape from one small forward pass."""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from symtorch_lab.shapes import probe_shapes


def test_shapes_of_a_dataloader_model_with_tuple_outputs():
    class Attn(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
            self.out = nn.Linear(8, 3)

        def forward(self, x):
            return self.out(self.attn(x, x, x)[0])

    data = DataLoader(TensorDataset(torch.randn(20, 5, 8)), batch_size=4)
    shapes = probe_shapes(Attn(), data)
    assert shapes["attn"] == ([5, 8], [5, 8]) and shapes["out"] == ([5, 8], [5, 3])
    assert probe_shapes(Attn(), None) == {}
