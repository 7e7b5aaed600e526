"""Notebook 7 (not JupyterLab): the side panel activates in its left area and shows the tree.

It used to fail to activate there (``No provider for: @jupyterlab/application:ILabShell``).
The quickstart is opened at ``/notebooks/`` (Notebook 7's notebook page), its cells up to the
model are run, and the panel must list ``model`` with its module tree from the kernel.
"""

import shutil

import pytest
from playwright.sync_api import expect

from tests.browser.lab import PANEL, QUICKSTART, run_cells_above, wait_idle

pytestmark = pytest.mark.ui

LAB_CELL = 5  # `lab = stl.Lab(...)`: everything above it trains the demo model


def test_the_panel_shows_the_quickstart_model_in_notebook_7(lab_server, page, artifacts):
    pytest.importorskip("notebook", minversion="7")
    shutil.copy(QUICKSTART, lab_server.root / "quickstart.ipynb")
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    stacks: list[str] = []
    page.on("pageerror", lambda exc: stacks.append(exc.stack or str(exc)))
    page.goto(f"{lab_server.url}/notebooks/quickstart.ipynb")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget")
    assert page.evaluate("() => window.jupyterapp.name") == "Jupyter Notebook"
    wait_idle(page)
    run_cells_above(page, LAB_CELL)
    page.evaluate("() => window.jupyterapp.commands.execute('symtorch-lab:open-panel')")
    expect(page.locator(PANEL)).to_be_visible()
    rows = page.locator(f"{PANEL} .stl-tree-row")
    expect(rows.first).to_have_attribute("data-path", "")
    expect(rows.first.locator(".stl-tree-name")).to_have_text("model")
    expect(page.locator(f"{PANEL} .stl-tree-row[data-path='mlp']")).to_have_count(1)
    page.screenshot(path=artifacts / "notebook7_panel.png")
    failed = [line for line in console if "failed to activate" in line.lower()]
    assert not any("symtorch-lab" in line for line in failed), failed
    # Notebook 7.6's own shortcuts plugin throws "reading 'schema'" on this page; judge ours only
    ours = [s for s in stacks if "symtorch" in s]
    assert ours == [], ours
