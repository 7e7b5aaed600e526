"""shapes.probe_shapes: every module's input/output shape from one small forward pass."""

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import symtorch_lab as stl
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


def test_data_with_the_wrong_number_of_features_names_the_module():
    model = nn.Sequential(nn.Linear(5, 32), nn.Tanh(), nn.Linear(32, 1))
    # the user's shape (100, 3), not the probe's first 8 rows (it read "shape (8, 3)")
    with pytest.raises(ValueError, match=r"module '0' \(Linear, in_features=5\) got input of "
                       r"shape \(100, 3\) \(tried on its first 8 rows"):  # fmt: skip
        probe_shapes(model, torch.rand(100, 3))
    with pytest.raises(ValueError, match=r"got input of shape \(4, 3\): mat1"):
        probe_shapes(model, torch.rand(4, 3))  # the probe is the whole data


def test_the_lab_refuses_data_that_does_not_fit_instead_of_logging_a_traceback(caplog):
    model = nn.Sequential(nn.Linear(5, 32), nn.Tanh(), nn.Linear(32, 1))
    with pytest.raises(ValueError, match=r"data does not fit the model: module '0' \(Linear"):
        stl.Lab(model, torch.rand(100, 3))
    assert not caplog.records
