"""Each test of the ui package gets a fresh kernel panel (``symtorch_lab.ui.panel.current``),
so no Lab source or select callback of one test reaches the next."""

import pytest
import torch
from torch import nn

from symtorch_lab.ui import panel as panels


@pytest.fixture(autouse=True)
def kernel_panel():
    panel = panels.Panel(dict)
    previous = panels.set_current(panel)
    yield panel
    panels.set_current(previous)


@pytest.fixture
def model():
    """A tiny_model for Lab tests: 2 → 2 → 1, seeded."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))


@pytest.fixture
def X():
    return torch.rand(300, 2) * 2 - 1
