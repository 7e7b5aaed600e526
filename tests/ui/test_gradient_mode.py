"""The Lab's symbolic-gradient mode (issue 11): a classifier output or a latent neuron explained
on request, its decision boundary and the pick's level sets on a ``BoundaryWidget``."""

import numpy as np
import pytest
import torch
from torch import nn

from symtorch_lab.gradients import boundary_grid
from symtorch_lab.ui import protocol as P
from symtorch_lab.ui.lab import Lab
from symtorch_lab.ui.schema import ProtocolError, check
from symtorch_lab.ui.widgets.boundary import BoundaryWidget
from tests.ui.messages import request

QUICK = dict(population_size=100, niterations=10, timeout_in_seconds=30)


class Ellipse(nn.Module):
    """Logit 4·(x0² + 2 x1² − 1) through a Linear layer (a 'latent neuron' path to ask for)."""

    def __init__(self):
        super().__init__()
        self.square = nn.Linear(2, 2, bias=False)
        with torch.no_grad():
            self.square.weight.copy_(torch.eye(2))

    def forward(self, X):
        h = self.square(X)
        return 4 * (h[:, :1] ** 2 + 2 * h[:, 1:] ** 2 - 1)


@pytest.fixture
def X():
    return torch.rand(1500, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1


def test_start_distill_in_gradient_mode_explains_the_model_output(X):
    lab = Lab(Ellipse(), X, **QUICK)
    reply = lab.widget.reply(request("start_distill", path="", settings={"mode": "gradient"}))
    assert reply["type"] == "response", reply
    check(reply["result"], P.SearchStatus, "start_distill result")
    assert reply["result"]["state"] == "done" and reply["result"]["path"] == ""
    front = lab.gradient_fronts[""]
    assert front.selected.metrics["cos_mean"] > 0.999, front
    widget = lab.boundary
    assert isinstance(widget, BoundaryWidget) and widget.equation == str(front.selected.expression)
    check(widget.state(), P.BoundaryState, "BoundaryWidget state")
    assert lab.widget.boundary == widget.state() and lab.widget.boundary_grid == widget.grid
    f, g = widget.arrays()
    assert f.shape == g.shape == (widget.ny, widget.nx)
    # the f = 0 boundary is where g takes its boundary level (g is q up to an increasing map)
    near = np.abs(f) < 0.3
    assert np.all(np.abs(g[near] - widget.g_boundary) < 0.2 * np.ptp(g))


def test_a_latent_neuron_by_module_path_and_output(X):
    lab = Lab(Ellipse(), X, **QUICK)
    front = lab.distill("square", mode="gradient", output=1)
    assert front.selected.metrics["cos_mean"] == pytest.approx(1.0, abs=1e-9)  # h1 = x1
    assert front.selected.expression.variables_used == (1,)
    assert lab.boundary.title.startswith("square [1]")


def test_gradient_mode_refuses_data_it_cannot_differentiate(X):
    lab = Lab(Ellipse(), [X[:10]], **QUICK)
    with pytest.raises(ValueError, match=r"module '': gradient mode needs .* got list"):
        lab.distill("", mode="gradient")
    with pytest.raises(ValueError, match="mode='other' is not one of"):
        lab.distill("", mode="other")


def test_settings_mode_is_checked_by_the_protocol():
    good = request("start_distill", path="", settings={"mode": "gradient", "output": 0})
    assert P.parse_request(good)["settings"]["mode"] == "gradient"
    with pytest.raises(ProtocolError):
        P.parse_request(request("start_distill", path="", settings={"mode": "bogus"}))


def test_boundary_widget_sends_the_grid_it_was_given():
    from symtorch_lab.expression import Expression

    X = np.random.default_rng(0).uniform(-1, 1, (500, 2))
    g = Expression.from_infix("x0^2 + 2*x1^2", ["x0", "x1"])
    grid = boundary_grid(Ellipse(), g, X, resolution=12)
    widget = BoundaryWidget.from_grid(grid, equation=str(g))
    f_sent, g_sent = widget.arrays()
    np.testing.assert_allclose(f_sent, grid["f"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(g_sent, grid["g"], rtol=1e-6, atol=1e-6)
    assert len(widget.grid) == 2 * 12 * 12 * 4 and widget.x_range[0] == pytest.approx(X[:, 0].min())
    assert widget.g_levels == sorted(widget.g_levels) and len(widget.g_levels) == 9
