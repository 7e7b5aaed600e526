"""plots: the figure builders return plotly figures built from the engine's own objects."""

import numpy as np
import pytest
import torch
from torch import nn

from symtorch_lab.benchmark import compare
from symtorch_lab.expression import Expression
from symtorch_lab.front import Candidate, ParetoFront
from symtorch_lab.plots import comparison_figure, front_figure, parity_figure

go = pytest.importorskip("plotly.graph_objects")
NAMES = ("x0", "x1")


def cand(text, loss):
    expr = Expression.from_infix(text, NAMES)
    return Candidate(complexity=expr.complexity, loss=loss, expression=expr)


def test_front_figure_has_a_line_and_a_marked_pick_per_dim():
    fronts = {
        1: ParetoFront([cand("x0", 2.0), cand("x0 * x1", 0.0)]),
        0: ParetoFront([cand("x1", 1.0), cand("x0 * x1 + x1", 0.5)], model_selection="accuracy"),
    }
    fig = front_figure(fronts, title="t")
    assert isinstance(fig, go.Figure) and fig.layout.title.text == "t"
    names = [trace.name for trace in fig.data]
    assert names == ["dim 0", "pick dim 0", "dim 1", "pick dim 1"]
    line0, pick0, line1, pick1 = fig.data
    assert list(line0.x) == [c.complexity for c in fronts[0]]
    assert list(pick0.x) == [fronts[0].selected.complexity] and pick0.y[0] == 0.5
    # a zero loss is drawn at a tiny positive value: the axis is logarithmic
    assert fig.layout.yaxis.type == "log" and 0 < min(line1.y) < 1e-200
    assert list(pick1.text) == [str(fronts[1].selected.expression)]


def test_parity_figure_flattens_and_spans_both_outputs():
    y_net = np.array([[0.0], [1.0], [4.0]])
    y_expr = np.array([-1.0, 1.5, 3.0])
    rows, identity = parity_figure(y_net, y_expr).data
    assert list(rows.x) == [0.0, 1.0, 4.0] and list(rows.y) == [-1.0, 1.5, 3.0]
    assert list(identity.x) == [-1.0, 4.0] == list(identity.y)


def test_comparison_figure_from_a_real_comparison_and_its_dict():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3), nn.Tanh())
    X = torch.randn(32, 3)
    result = compare(model, {"1": nn.Identity()}, (X, X), repeats=1, warmup=0)
    for source in (result, result.to_dict()):
        fig = comparison_figure(source)
        titles = [a.text for a in fig.layout.annotations]
        assert titles == ["mse vs targets", "items/s", "peak memory (MB)"]
        metric, _, memory = fig.data
        assert list(metric.y) == [result.before, result.after]
        assert memory.y[0] == pytest.approx(result.memory_before / 2**20)


def test_comparison_figure_drops_panels_without_numbers():
    record = {
        "metric": "mse",
        "before": 1.0,
        "after": 2.0,
        "unit": "items",
        "throughput_before": None,
        "throughput_after": 10.0,
        "memory_before": None,
        "memory_after": None,
    }
    fig = comparison_figure(record)
    assert [a.text for a in fig.layout.annotations] == ["mse"] and len(fig.data) == 1


def test_loss_axis_labels_one_tick_per_decade_as_powers():
    fig = front_figure({0: ParetoFront([cand("x0", 2.0), cand("x0 * x1", 1e-6)])})
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.dtick == 1
    assert fig.layout.yaxis.exponentformat == "power"


def test_comparison_bars_carry_their_values_and_the_metric_its_reference():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3), nn.Tanh())
    X = torch.randn(32, 3)
    c = compare(model, {"1": nn.Identity()}, (X, model(X).detach()), repeats=1, warmup=0)
    c = {**c.to_dict(), "reference": "the original network's output"}
    fig = comparison_figure(c)
    assert fig.layout.annotations[0].text == "mse vs the original network's output"
    metric = fig.data[0]
    assert c["before"] == 0  # the zero bar has no height: its label is what shows it
    assert list(metric.text) == ["0", f"{c['after']:.4g}"] and metric.textposition == "outside"
