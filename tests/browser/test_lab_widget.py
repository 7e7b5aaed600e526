"""Lab widget in a real JupyterLab: Distill → live front → click a point → Replace, checked in
Python; also measures click-to-first-front latency (written to test-artifacts/)."""

import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import write_notebook
from tests.browser.lab import PANEL, open_notebook, output, run_all, run_cell

pytestmark = pytest.mark.ui

SETUP = """\
import torch, symtorch_lab as stl
from torch import nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
X = torch.rand(400, 2) * 2 - 1
lab = stl.Lab(model, X, population_size=100, niterations=400, timeout_in_seconds=20,
              max_rows=300)
lab.select("0")
lab"""
CHECK = """\
cand = lab.selected_candidate
print("STATE", cand and cand["id"], type(model[0]).__name__, lab.module_status().get("0"))"""


# distinct texts per second an element shows, counted by a MutationObserver over 3 s
RATE = """(selector) => new Promise(resolve => {
  const node = document.querySelector(selector);
  let n = 0, last = node.textContent;
  const obs = new MutationObserver(() => {
    if (node.textContent !== last) { n++; last = node.textContent; }
  });
  obs.observe(node, {childList: true, characterData: true, subtree: true});
  setTimeout(() => { obs.disconnect(); resolve(n / 3); }, 3000);
})"""


def _record(artifacts, **values) -> None:
    path = artifacts / "lab_latency.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**old, **values}, indent=2))


def _click_point(page, point) -> None:
    box = point.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    expect(page.locator(".stl-lab .hoverlayer .hovertext")).to_have_count(1)
    page.mouse.click(x, y)


def test_distill_click_pick_replace(lab_server, page, artifacts):
    write_notebook(lab_server.root / "lab.ipynb", [SETUP, CHECK])
    page.on("console", lambda m: m.type in ("error", "warning") and print("CONSOLE", m.text))
    open_notebook(page, lab_server.url, "lab.ipynb")
    run_all(page)
    lab = page.locator(".stl-lab")
    expect(lab.locator(".stl-lab-title")).to_contain_text("model › 0")
    expect(output(page, 1)).to_contain_text("STATE None Linear")
    points = lab.locator(".stl-lab-front .scatterlayer .point")
    start = time.perf_counter()
    lab.locator(".stl-lab-distill").click()
    expect(points.first).to_be_attached()
    first_front_s = time.perf_counter() - start
    expect(lab.locator(".stl-lab-progress")).to_have_attribute("data-state", "done")
    _click_point(page, points.first)
    latex = lab.locator(".stl-lab-detail .stl-lab-latex")
    expect(latex).to_have_attribute("data-id", re.compile(r"^[0-9a-f]{12}$"))
    expect(latex.locator("math")).to_have_count(1)  # KaTeX rendered to MathML
    expect(lab.locator(".stl-lab-score")).to_contain_text("held-out MSE")
    expect(
        lab.locator(".stl-lab-parity .scatterlayer, .stl-lab-parity .gl-container")
    ).not_to_have_count(0)
    picked = latex.get_attribute("data-id")
    lab.locator(".stl-lab-replace").click()
    expect(lab.locator(".stl-lab-title")).to_have_attribute("data-status", "replaced")
    lab.screenshot(path=artifacts / "lab_widget.png")
    run_cell(page, 1)
    expect(output(page, 1)).to_contain_text(f"STATE {picked} SymbolicSurrogate replaced")
    expect(lab.locator(".stl-lab-error")).to_be_hidden()
    lab.locator(".stl-lab-compare-button").click()
    compare = lab.locator(".stl-lab-compare")
    expect(compare).to_have_attribute("data-records", "1")
    expect(compare.locator(".js-plotly-plot")).to_have_count(2)
    expect(compare.locator(".stl-lab-compare-bars .bars .point")).to_have_count(4)
    bars = compare.locator(".stl-lab-compare-bars")  # what the throughput was timed on
    expect(bars).to_contain_text("items/s timed on batch 400 items · cpu")
    compare.screenshot(path=artifacts / "lab_compare.png")
    _record(artifacts, click_to_first_front_s=round(first_front_s, 3))
    assert page.js_errors == []


LONG = SETUP.replace(
    "niterations=400, timeout_in_seconds=20", "niterations=100_000, timeout_in_seconds=60"
)
AFTER_STOP = """\
job = lab.session.jobs["2"]
job.handle.wait(30)
print("STOPPED", job.status, len(job.fronts[0]) > 0, job.progress["generation"] < 100_000)"""


def test_panel_selects_distills_and_stops(lab_server, page, artifacts):
    write_notebook(lab_server.root / "panel.ipynb", [LONG, "pass"])
    open_notebook(page, lab_server.url, "panel.ipynb")
    run_all(page)
    lab = page.locator(".stl-lab")
    expect(lab.locator(".stl-lab-title")).to_contain_text("model › 0")
    page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='symtorch-lab-panel']").click()
    row = page.locator(f"{PANEL} .stl-tree-row[data-path='2']")
    expect(row.locator(".stl-tree-shape")).to_have_text("(2)→(1)")
    row.locator(".stl-tree-type").click()
    expect(lab.locator(".stl-lab-title")).to_contain_text("model › 2")
    page.locator(f"{PANEL} .stl-panel-distill").click()
    progress = page.locator(f"{PANEL} .stl-panel-progress")
    expect(progress).to_have_attribute("data-state", "running")
    expect(row.locator(".stl-badge-searching")).to_have_count(1)
    expect(lab.locator(".stl-lab-front .scatterlayer .point").first).to_be_attached()
    expect(progress).to_contain_text(re.compile(r"generation [1-9]"))
    page.screenshot(path=artifacts / "lab_panel_running.png")
    rate = page.evaluate(RATE, "#symtorch-lab-panel .stl-panel-progress")
    widget_rate = page.evaluate(RATE, ".stl-lab .stl-lab-progress")
    _record(artifacts, panel_updates_per_s=rate, widget_updates_per_s=widget_rate)
    assert 1 <= widget_rate <= 5, widget_rate  # live, and coalesced to at most 4/s
    page.locator(f"{PANEL} .stl-panel-stop").click()
    expect(progress).to_have_attribute("data-state", "done")
    expect(row.locator(".stl-badge-distilled")).to_have_count(1)
    write_cell = "() => window.jupyterapp.shell.currentWidget.content.model.sharedModel"
    page.evaluate(f"(code) => ({write_cell})().cells[1].setSource(code)", AFTER_STOP)
    run_cell(page, 1)
    expect(output(page, 1)).to_contain_text("STOPPED distilled True True")
    assert page.js_errors == []
