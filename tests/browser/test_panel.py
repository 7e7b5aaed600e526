"""The side panel in a real JupyterLab: module tree from the notebook's kernel, clicks reach it."""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import write_notebook
from tests.browser.lab import (
    PANEL,
    activate_notebook,
    open_notebook,
    output,
    run_all,
    run_cell,
    wait_idle,
)

pytestmark = pytest.mark.ui

MODELS = """\
from torch import nn
model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
big = nn.Sequential(*[
    nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4), nn.LayerNorm(4))
    for _ in range(125)])
print('READY')"""
SELECTION = "import symtorch_lab.ui.panel as p\nprint('SEL', p.current_selection())"


def open_panel(page) -> None:
    page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='symtorch-lab-panel']").click()
    expect(page.locator(PANEL)).to_be_visible()


def rows(page):
    return page.locator(f"{PANEL} .stl-tree-row")


def test_module_tree_shows_the_notebook_model_and_clicks_reach_the_kernel(
    lab_server, page, artifacts
):
    write_notebook(lab_server.root / "tree.ipynb", [MODELS, SELECTION])
    open_notebook(page, lab_server.url, "tree.ipynb")
    run_all(page)
    expect(output(page, 1)).to_contain_text("SEL None")
    open_panel(page)

    expect(rows(page)).to_have_count(4)
    expected = [
        ("", "model", "Sequential", "58"),
        ("0", "0", "Linear", "40"),
        ("1", "1", "Tanh", "0"),
        ("2", "2", "Linear", "18"),
    ]
    for i, (path, name, type_, params) in enumerate(expected):
        row = rows(page).nth(i)
        expect(row).to_have_attribute("data-path", path)
        expect(row.locator(".stl-tree-name")).to_have_text(name)
        expect(row.locator(".stl-tree-type")).to_have_text(type_)
        expect(row.locator(".stl-tree-params")).to_have_text(params)

    rows(page).nth(1).locator(".stl-tree-type").click()
    expect(page.locator(f"{PANEL} .stl-panel-status")).to_have_text("Selected 0")
    expect(rows(page).nth(1)).to_have_attribute("aria-selected", "true")
    page.screenshot(path=artifacts / "panel_tree.png")
    run_cell(page, 1)
    expect(output(page, 1)).to_contain_text("SEL ('model', '0')")
    assert page.js_errors == []


def test_tree_with_626_modules_renders_only_expanded_rows_quickly(lab_server, page, artifacts):
    write_notebook(lab_server.root / "big.ipynb", [MODELS])
    open_notebook(page, lab_server.url, "big.ipynb")
    run_all(page)
    expect(output(page, 0)).to_contain_text("READY")
    open_panel(page)
    expect(rows(page)).to_have_count(4)
    page.locator(f"{PANEL} .stl-model-select").select_option("big")
    expect(rows(page)).to_have_count(126)  # root + 125 collapsed blocks
    tree = page.locator(f"{PANEL} .stl-tree")
    collapsed_ms = float(tree.get_attribute("data-render-ms"))
    page.locator(f"{PANEL} .stl-tool[data-command='symtorch-lab:expand-all']").click()
    expect(rows(page)).to_have_count(626)
    expanded_ms = float(tree.get_attribute("data-render-ms"))
    page.screenshot(path=artifacts / "panel_tree_big.png")
    timings = {
        "modules": 626,
        "collapsed_rows": 126,
        "collapsed_render_ms": collapsed_ms,
        "expanded_rows": 626,
        "expand_all_render_ms": expanded_ms,
    }
    (artifacts / "tree_render.json").write_text(json.dumps(timings, indent=2))
    assert expanded_ms < 1000, timings


def test_panel_follows_the_active_notebook(lab_server, page):
    root = lab_server.root
    write_notebook(root / "first.ipynb", ["from torch import nn\nalpha = nn.Linear(3, 1)"])
    write_notebook(root / "second.ipynb", ["from torch import nn\nbeta = nn.GRU(2, 3)"])
    open_notebook(page, lab_server.url, "first.ipynb")
    run_all(page)
    wait_idle(page)
    open_panel(page)
    expect(rows(page).first.locator(".stl-tree-name")).to_have_text("alpha")
    page.evaluate(
        "() => window.jupyterapp.commands.execute('docmanager:open', {path: 'second.ipynb'})"
    )
    expect(page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")).to_contain_text(
        "second.ipynb"
    )
    wait_idle(page)
    run_all(page)
    expect(rows(page).first.locator(".stl-tree-name")).to_have_text("beta")
    expect(rows(page).first.locator(".stl-tree-params")).to_have_text("63")
    activate_notebook(page, "first.ipynb")
    expect(rows(page).first.locator(".stl-tree-name")).to_have_text("alpha")


def test_panel_reconnects_after_a_kernel_restart(lab_server, page):
    write_notebook(lab_server.root / "restart.ipynb", [MODELS, SELECTION])
    open_notebook(page, lab_server.url, "restart.ipynb")
    run_all(page)
    expect(output(page, 1)).to_contain_text("SEL None")
    open_panel(page)
    page.locator(f"{PANEL} .stl-model-select").select_option("big")
    expect(rows(page)).to_have_count(126)
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.restartKernel()")
    expect(rows(page)).to_have_count(0)
    wait_idle(page)
    run_all(page)
    expect(output(page, 1)).to_contain_text("SEL None")
    expect(rows(page)).to_have_count(126)  # the chosen model is remembered across the restart
    rows(page).nth(3).locator(".stl-tree-type").click()
    expect(page.locator(f"{PANEL} .stl-panel-status")).to_have_text("Selected 2")
    run_cell(page, 1)
    expect(output(page, 1)).to_contain_text("SEL ('big', '2')")
