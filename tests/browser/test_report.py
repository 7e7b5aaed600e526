"""The HTML report in a real Chromium with the network cut: plots draw, formulas typeset,
no request leaves the file, no console error. No JupyterLab and no kernel are involved."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

import symtorch_lab as stl

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    X = torch.rand(300, 2) * 2 - 1
    s = stl.Session(model, X, population_size=200, niterations=10, max_rows=300)
    s.distill("0")
    with torch.no_grad():
        s.compare((X, model(X)), metric="mse", example=X, repeats=2, warmup=1)
    return s.report(tmp_path_factory.mktemp("report") / "report.html")


def test_report_renders_offline_with_no_requests_and_no_errors(report, page, artifacts):
    requests, errors = [], []

    def only_the_file(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:  # the network is cut: anything else is recorded and refused
            requests.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_file)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(report.as_uri())
    plots = page.locator(".js-plotly-plot")
    # front, two parity plots, one comparison: each draws its SVG
    plots.nth(3).locator(".main-svg").first.wait_for(state="attached")
    assert plots.count() == 4
    assert page.locator(".plotly .main-svg").count() >= 4
    assert page.locator(".plotly .scatterlayer .trace").count() >= 3  # markers were drawn
    widths = page.eval_on_selector_all(
        ".stl-formula math", "els => els.map(e => e.getBoundingClientRect().width)"
    )
    assert len(widths) == 2 and all(w > 20 for w in widths)  # typeset, not empty boxes
    page.screenshot(path=str(artifacts / "report.png"), full_page=True)
    assert requests == [] and errors == []
