"""Decomposed search (decompose.py): the network splits, the pieces are searched and
recombined; the plain search's candidates stay on the front."""

import concurrent.futures as cf

import numpy as np
import pytest
import torch
from torch import nn

import symtorch_lab as stl
from symtorch_lab._pieces import split_budget
from symtorch_lab.backends.base import SearchSpec
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
    d = stl.Distiller(decompose=True, **SMALL).fit(X, y, network=law)
    split = d.fronts_[0]
    assert on_front(split)
    # ... within the plain search's budget: its share plus the pieces' add up to at most it
    report = d.decomposition_[0]
    spent = [report["plain"]["generations"]] + [p["generations"] for p in report["pieces"]]
    assert report["plain"]["generations"] == d.n_generations_[0] < SMALL["niterations"]
    assert len(spent) >= 2 and all(g >= 1 for g in spent)
    assert sum(spent) <= SMALL["niterations"]
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


def test_the_budget_is_shared_only_when_the_network_splits():
    spec = SearchSpec(niterations=40, timeout_in_seconds=10.0)
    plain, piece = split_budget(spec, test_s=0.25, n_pieces=0, n_lanes=1)
    assert plain == {"niterations": 40, "timeout_in_seconds": 9.75} and piece == {}
    plain, piece = split_budget(spec, test_s=0.25, n_pieces=3, n_lanes=1)
    assert plain["niterations"] + 3 * piece["niterations"] <= 40
    assert plain["timeout_in_seconds"] + 3 * piece["timeout_in_seconds"] <= 9.75
    _, side_by_side = split_budget(spec, test_s=0.25, n_pieces=3, n_lanes=3)
    assert side_by_side["niterations"] == piece["niterations"]  # generations are work
    assert side_by_side["timeout_in_seconds"] == pytest.approx(3 * piece["timeout_in_seconds"])


def test_pieces_run_on_an_executor_as_they_run_here(data):
    """Real threads through the executor seam: the plain search and then the pieces side by
    side; the same seeds and generations give the in-process front."""
    X, y = data
    here = stl.Distiller(decompose=True, **SMALL).fit(X, y, network=law)
    with cf.ThreadPoolExecutor(2) as pool:
        there = stl.Distiller(decompose=True, executor=pool, n_jobs=2, **SMALL)
        there.fit(X, y, network=law)
    for report in (here.decomposition_[0], there.decomposition_[0]):
        assert report.pop("test_s") >= 0  # seconds: the rest is counts and must match
    assert there.decomposition_ == here.decomposition_
    assert [str(c.expression) for c in there.fronts_[0]] == [
        str(c.expression) for c in here.fronts_[0]
    ]
    assert on_front(there.fronts_[0])


@pytest.mark.slow
def test_pieces_run_in_processes(data):
    X, y = data
    d = stl.Distiller(decompose=True, executor="processes", n_jobs=2, **SMALL)
    front = d.fit(X, y, network=law).fronts_[0]
    assert front.decomposition == "additive: (x0, x1) + (x2)"
    assert on_front(front)
