"""_misfit.call_checked: a model that refuses the data names the module, its type and shape."""

import pytest
import torch
from torch import nn

from symtorch_lab._misfit import DataMismatchError, call_checked


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(5, 32), nn.Tanh(), nn.Linear(32, 1))

    def forward(self, x):
        return self.mlp(x)


def test_the_innermost_linear_is_named_with_its_in_features_and_the_shape():
    model = Net()
    x = torch.rand(100, 3)
    with pytest.raises(DataMismatchError) as info:
        call_checked(model, lambda: model(x))
    message = str(info.value)
    assert "module 'mlp.0' (Linear, in_features=5) got input of shape (100, 3)" in message
    assert isinstance(info.value, ValueError) and isinstance(info.value.__cause__, RuntimeError)


def test_a_conv_names_its_in_channels():
    model = nn.Sequential(nn.Conv2d(3, 4, 3))
    x = torch.rand(2, 1, 8, 8)
    with pytest.raises(ValueError, match=r"'0' \(Conv2d, in_channels=3\) got input of shape "
                       r"\(2, 1, 8, 8\)"):  # fmt: skip
        call_checked(model, lambda: model(x))


def test_errors_outside_any_module_and_successes_pass_through():
    model = Net()
    assert call_checked(model, lambda: model(torch.rand(4, 5))).shape == (4, 1)

    def broken_data():
        raise RuntimeError("the loader broke")

    with pytest.raises(RuntimeError, match="the loader broke") as info:
        call_checked(model, broken_data)
    assert not isinstance(info.value, DataMismatchError)
