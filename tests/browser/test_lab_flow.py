"""The quickstart's interactive path in a real JupyterLab, every step checked in Python.

Open ``notebooks/quickstart.ipynb``, run it up to the Lab, click ``mlp`` in the side panel and
the panel's Distill, click a point of the widget's front, Replace (the module is now a
``SymbolicSurrogate`` whose output equals the clicked expression evaluated on its own),
Compare, Restore, Stop a long search mid-way (its partial front is kept), and bring the picks
back after a kernel restart with ``stl.Lab.load``. Screenshots go to test-artifacts/ (never
compared).
"""

import json
import re
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import expect

from tests.browser.lab import (
    NONZERO,
    NOTEBOOK,
    PANEL,
    QUICKSTART,
    click_plot_point,
    open_notebook,
    restart_kernel,
    run_cells_above,
    run_python,
    wait_idle,
)

pytestmark = pytest.mark.ui

SESSION = "flow_session.json"
PICK_DRAWN = "(plot) => plot.data && plot.data.length > 0 && plot.data[0].marker.size.includes(14)"

# The point a person would click: the simplest one within 3x of the lowest loss (as the
# quickstart's Python twin does); its index in the first trace, which is sorted by complexity.
KNEE_INDEX = """(plot) => {
  const t = plot.data[0];
  const lowest = Math.min(...t.y);
  return t.y.findIndex(loss => loss <= 3 * lowest);
}"""

AFTER_REPLACE = """\
import json, torch
from symtorch_lab import SymbolicSurrogate
cand = lab.selected_candidate
front = lab.session.jobs["mlp"].fronts[cand["dim"]]
expr = next(c for c in front.candidates if c.id == cand["id"]).expression
with torch.no_grad():
    net = model.mlp(X_test).squeeze(1).double().numpy()
direct = expr.numpy(X_test.numpy())   # the clicked expression evaluated on its own
print("RESULT", json.dumps({
    "type": type(model.mlp).__name__, "surrogate": isinstance(model.mlp, SymbolicSurrogate),
    "id": cand["id"], "text": cand["text"], "engine_pick": front.selected.id,
    "gap": float(abs(net - direct).max()), "scale": float(abs(direct).max())}))"""

COMPARED = 'import json\nprint("RESULT", json.dumps(list(lab.widget.records)))'

MODULE_TYPE = 'import json\nprint("RESULT", json.dumps(type(model.mlp).__name__))'

LONG_SEARCH = """\
import json
lab.distill("mlp.4", niterations=100_000, timeout_in_seconds=90)
print("RESULT", json.dumps(lab.session.jobs["mlp.4"].status))"""

AFTER_STOP = """\
import json
job = lab.session.jobs["mlp.4"]
job.handle.wait(30)  # when it returns, the final fronts are filed
print("RESULT", json.dumps({
    "done": job.handle.done, "status": job.status,
    "fronts": {d: len(f) for d, f in job.fronts.items()},
    "generation": job.progress.get("generation"), "elapsed": job.progress.get("elapsed")}))"""

SAVE = f'import json\nlab.save("{SESSION}")\nprint("RESULT", json.dumps(type(model.mlp).__name__))'

LOAD = f"""\
import json
lab = stl.Lab.load("{SESSION}", model)
front = lab.session.jobs["mlp"].fronts[0]
print("RESULT", json.dumps({{"type": type(model.mlp).__name__, "pick": front.selected.id}}))"""


def quickstart_copy(root: Path) -> tuple[str, int]:
    """Copy the quickstart (its own settings: a few seconds here) into ``root``; return its
    name and the index of the cell after ``lab = stl.Lab(...)``."""
    nb = nbformat.read(QUICKSTART, as_version=4)
    lab_cell = next(i for i, c in enumerate(nb.cells) if c.source.startswith("lab = stl.Lab("))
    nbformat.write(nb, root / "quickstart.ipynb")
    return "quickstart.ipynb", lab_cell + 1


def open_panel(page) -> None:
    page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='symtorch-lab-panel']").click()
    expect(page.locator(PANEL)).to_be_visible()


def panel_row(page, path: str):
    return page.locator(f"{PANEL} .stl-tree-row[data-path='{path}']")


def test_quickstart_click_a_layer_replace_restore_stop_restart(lab_server, page, artifacts):
    name, after_lab = quickstart_copy(lab_server.root)
    open_notebook(page, lab_server.url, name)
    run_cells_above(page, after_lab)
    lab = page.locator(f"{NOTEBOOK} .stl-lab")
    expect(lab.locator(".stl-lab-title")).to_be_visible()

    # click the layer in the side panel, then the panel's Distill: the widget's front fills in
    open_panel(page)
    panel_row(page, "mlp").locator(".stl-tree-type").click()
    expect(lab.locator(".stl-lab-title")).to_contain_text("model › mlp")
    page.locator(f"{PANEL} .stl-panel-distill").click()
    plot = lab.locator(".stl-lab-front")  # the plotly graph div itself
    expect(plot).to_have_attribute("data-points", NONZERO)
    # the notebook's whole search (100 generations) may take minutes on a loaded CI machine
    progress = lab.locator(".stl-lab-progress")
    expect(progress).to_have_attribute("data-state", "done", timeout=240_000)
    expect(panel_row(page, "mlp").locator(".stl-badge-distilled")).to_have_count(1)
    expect(page.locator(f"{PANEL} .stl-panel-progress")).to_contain_text("done")
    # the final (polished) front replaces the live one; it is drawn with the engine's pick
    page.wait_for_function(PICK_DRAWN, arg=plot.element_handle())

    # click a point: the detail shows that expression
    knee = plot.evaluate(KNEE_INDEX)
    clicked_id, text = plot.evaluate("(p, i) => [p.data[0].customdata[i], p.data[0].text[i]]", knee)
    points = plot.locator(".scatterlayer .trace").first.locator(".point")
    hover = click_plot_point(page, points.nth(knee), expect_text=text)
    latex = lab.locator(".stl-lab-detail .stl-lab-latex")
    expect(latex).to_have_attribute("data-id", clicked_id)
    expect(latex.locator("math")).to_have_count(1)
    expect(lab.locator(".stl-lab-score")).not_to_be_empty()
    expect(lab.locator(".stl-lab-parity .main-svg").first).to_be_visible()
    lab.locator(".stl-lab-detail").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "readme_lab.png")  # docs/img/lab.png is a copy of one

    # Replace: the live module is the clicked expression
    lab.locator(".stl-lab-replace").click()
    expect(lab.locator(".stl-lab-title")).to_have_attribute("data-status", "replaced")
    expect(panel_row(page, "mlp").locator(".stl-badge-replaced")).to_have_count(1)
    got = run_python(page, AFTER_REPLACE)
    assert got["surrogate"] and got["type"] == "SymbolicSurrogate", got
    assert got["id"] == clicked_id == got["engine_pick"], got
    assert got["text"] in hover, (got, hover)
    assert got["gap"] <= 1e-5 * max(1.0, got["scale"]), got

    # Compare: original vs hybrid charts; the record is the one the Python API returns
    lab.locator(".stl-lab-compare-button").click()
    expect(lab.locator(".stl-lab-compare .main-svg").first).to_be_visible()
    records = run_python(page, COMPARED)
    assert [r["paths"] for r in records] == [["mlp"]], records
    assert records[0]["throughput_before"] > 0 and records[0]["throughput_after"] > 0, records
    assert 0 <= records[0]["after"] < 1, records  # the law vs the network it was read from
    page.screenshot(path=artifacts / "lab_flow_replaced.png")

    # Restore: the original network is back
    lab.locator(".stl-lab-restore").click()
    expect(lab.locator(".stl-lab-title")).to_have_attribute("data-status", "distilled")
    assert run_python(page, MODULE_TYPE) == "Sequential"

    # Stop a long search mid-way (the kernel stays usable meanwhile): the partial front stays
    assert run_python(page, LONG_SEARCH) == "searching"
    progress = lab.locator(".stl-lab-progress")
    expect(lab.locator(".stl-lab-title")).to_contain_text("model › mlp.4")
    expect(progress).to_have_attribute("data-state", "running")
    expect(plot).to_have_attribute("data-points", NONZERO)
    expect(progress).to_contain_text(re.compile(r"generation [1-9]"))
    lab.locator(".stl-lab-stop").click()
    expect(progress).not_to_have_attribute("data-state", re.compile("running|stopping"))
    expect(plot).to_have_attribute("data-points", NONZERO)
    stopped = run_python(page, AFTER_STOP)
    assert stopped["done"] and stopped["status"] == "distilled", stopped
    assert stopped["fronts"] and all(n > 0 for n in stopped["fronts"].values()), stopped
    assert stopped["generation"] < 100_000 and stopped["elapsed"] < 90, stopped

    # Replace mlp again, save, restart the kernel, rebuild the model, load: picks come back
    panel_row(page, "mlp").locator(".stl-tree-type").click()
    expect(lab.locator(".stl-lab-title")).to_contain_text("model › mlp")
    lab.locator(".stl-lab-replace").click()
    expect(lab.locator(".stl-lab-title")).to_have_attribute("data-status", "replaced")
    assert run_python(page, SAVE) == "SymbolicSurrogate"
    restart_kernel(page)
    assert json.loads((lab_server.root / SESSION).read_text())
    run_cells_above(page, after_lab - 1)  # parameters + training: the model, not the Lab
    loaded = run_python(page, LOAD)
    assert loaded == {"type": "SymbolicSurrogate", "pick": clicked_id}, loaded
    expect(panel_row(page, "mlp").locator(".stl-badge-replaced")).to_have_count(1)
    page.screenshot(path=artifacts / "lab_flow_reloaded.png")

    # close the notebook (its kernel keeps running) and reopen it: the panel shows the picks
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
    expect(tab).not_to_have_class(re.compile(r"\bjp-mod-dirty\b"))
    page.evaluate("() => window.jupyterapp.commands.execute('application:close-all')")
    expect(page.locator(".jp-NotebookPanel")).to_have_count(0)
    page.evaluate("(path) => window.jupyterapp.commands.execute('docmanager:open', {path})", name)
    expect(page.locator(NOTEBOOK)).to_have_count(1)
    wait_idle(page)
    row = panel_row(page, "mlp")
    expect(row.locator(".stl-badge-replaced")).to_have_count(1)
    expect(row.locator(".stl-tree-type")).to_have_text("SymbolicSurrogate")
    assert page.js_errors == []
