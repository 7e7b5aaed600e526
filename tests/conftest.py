"""Shared fixtures. One torch thread: the CI machine has two cores and tests run beside
symbolic-regression searches, where oversubscribed OpenMP threads only slow both down."""

import pytest
import torch
from torch import nn

torch.set_num_threads(1)


@pytest.fixture
def tiny_model():
    """``nn.Sequential`` of two Linear layers with a Tanh between them."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
