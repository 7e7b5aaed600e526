"""Decomposed search (decompose.py): the network splits, the pieces are searched and
recombined; the plain search's candidates stay on the front."""

import numpy as np
import pytest
import torch
from torch import nn

import symtorch_lab as stl
from symtorch_lab.science.recovery import recovers

LAW = "x0*x1^2 + sin(x2)"
SMALL = dict(
    unary_operators=["sin"], niterations=20, population_size=100, maxsize=15,
    timeout_in_seconds=None, random_state=0,
)  # fmt: skip


def law(x):
    return (x[:, 0] * x[:, 1] ** 2 + torch.sin(x[:, 2])).reshape(-1, 1)


@pytest.fixture(scope="module")
def data():
    X = np.random.default_rng(0).uniform(0.5, 2, (500, 3))
    return X, law(torch.as_tensor(X)).numpy()


def on_front(front) -> bool:
    return any(recovers(c.expression, LAW, ["x0", "x1", "x2"]) for c in front)


def test_decomposed_search_recovers_a_law_the_plain_search_misses(data):
    X, y = data
    plain = stl.Distiller(**SMALL).fit(X, y).fronts_[0]
    assert not on_front(plain)  # this budget and seed: the plain search misses sin(x2)
    split = stl.Distiller(decompose=True, **SMALL).fit(X, y, network=law).fronts_[0]
    assert on_front(split)
    assert split.decomposition == "additive: (x0, x1) + (x2)"
    assert recovers(split.selected.expression, LAW, ["x0", "x1", "x2"])
    assert split.selected.metrics["decomposed"] == 1.0
    assert "decomposition tested on the network: additive" in repr(split)
    back = stl.ParetoFront.from_json(split.to_json())
    assert back.decomposition == split.decomposition


def test_the_plain_search_result_is_never_hidden(data):
    X, y = data
    plain = stl.Distiller(**SMALL).fit(X, y).fronts_[0]
    split = stl.Distiller(decompose=True, **SMALL).fit(X, y, network=law).fronts_[0]
    plain_only = [c for c in split if "decomposed" not in c.metrics]
    for cand in plain_only:  # what is left of the plain front is the plain front's own rows
        assert cand.id in plain.ids()
    kept = {c.complexity: c.loss for c in split}
    for cand in plain:  # a plain candidate only leaves the front when something dominates it
        assert any(c <= cand.complexity and loss <= cand.loss for c, loss in kept.items())


def test_decompose_needs_the_network(data):
    X, y = data
    with pytest.raises(ValueError, match="decompose=True needs network="):
        stl.Distiller(decompose=True, **SMALL).fit(X, y)


def test_session_decomposes_the_recorded_module():
    torch.manual_seed(0)

    class Law(nn.Module):
        def forward(self, x):
            return law(x)

    X = torch.rand(400, 3, dtype=torch.float64) * 1.5 + 0.5
    session = stl.Session(nn.Sequential(Law()), X)
    job = session.distill("0", decompose=True, **SMALL)
    front = job.fronts[0]
    assert front.decomposition == "additive: (x0, x1) + (x2)"
    assert on_front(front)
    with pytest.raises(ValueError, match="decompose=True searches the module's own inputs"):
        session.distill("0", decompose=True, k_in=2, **SMALL)


def test_a_network_with_parameters_is_decomposed(data):
    X, y = data
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1)).double()
    with torch.no_grad():  # a network that ignores x2: additive (x0, x1) + (x2)
        net[0].weight[:, 2] = 0
    target = net(torch.as_tensor(X)).detach().numpy()
    front = stl.Distiller(decompose=True, **SMALL).fit(X, target, network=net).fronts_[0]
    assert front.decomposition == "additive: (x0, x1) + (x2)"
