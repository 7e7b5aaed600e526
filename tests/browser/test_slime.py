"""SlimeLab in a real JupyterLab: click the decision surface, the kernel explains that point;
two fast clicks (the first search stopped and kept); the dark theme redraws the widget;
the side panel's SLIME view explains a chosen row. Every check is on the Python side."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import write_notebook
from tests.browser.lab import PANEL, open_notebook, output, run_all, run_python
from tests.browser.test_theme import _set_theme

pytestmark = pytest.mark.ui

SETUP = """\
import numpy as np, torch, symtorch_lab as stl
from sklearn.datasets import make_moons
torch.set_num_threads(1)
torch.manual_seed(0)
X, y = make_moons(300, noise=0.2, random_state=0)
net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))
opt = torch.optim.Adam(net.parameters(), 0.05)
for _ in range(150):
    opt.zero_grad()
    torch.nn.functional.cross_entropy(net(torch.tensor(X, dtype=torch.float32)),
                                      torch.tensor(y)).backward()
    opt.step()
slime = stl.SlimeLab(net, X, mode="classification", random_state=0, population_size=60,
                     niterations=40)
slime"""
READY = "print('READY', slime.widget.kind)"
SURFACE = ".stl-slime .stl-slime-surface"
# the data coordinates under a page pixel, read from plotly's own axes (the click's truth)
DATA_AT = """([px, py]) => {
  const gd = document.querySelector('.stl-slime-surface');
  const r = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  return [xa.p2l(px - r.left - xa._offset), ya.p2l(py - r.top - ya._offset)];
}"""
STATE = """\
import json
e = slime.explanation
print("RESULT", json.dumps({"x0": e.x0.tolist(), "grid": slime.widget.grid,
      "history": [[h.x0.tolist(), h.stopped] for h in slime.history],
      "shown": slime.widget.summary["x0"], "latex": slime.widget.summary["latex"]}))"""


def _pixel(page, fx: float, fy: float) -> tuple[float, float]:
    """A page pixel at fractions (fx, fy) of the surface's plot area."""
    box = page.locator(f"{SURFACE} .nsewdrag").first.bounding_box()
    assert box is not None, "the surface is not drawn"
    return box["x"] + fx * box["width"], box["y"] + fy * box["height"]


def _click(page, fx: float, fy: float) -> list[float]:
    x, y = _pixel(page, fx, fy)
    page.mouse.move(x, y)
    expect(page.locator(f"{SURFACE} .hoverlayer .hovertext")).to_have_count(1)
    page.mouse.click(x, y)
    return page.evaluate(DATA_AT, [x, y])


def _wait_done(page, request: int) -> None:
    """The first SlimeLab on the page shows explanation ``request``, finished."""
    widget = page.locator(".stl-slime").first
    status = widget.locator(".stl-slime-status")
    expect(status).to_have_attribute("data-request", str(request))
    expect(status).to_have_attribute("data-phase", re.compile("^(done|stopped)$"), timeout=120_000)
    expect(widget.locator(".stl-slime-latex")).to_have_attribute("data-request", str(request))


def _near(point, clicked, grid) -> bool:
    """Within one grid cell (the surface's resolution) in both coordinates."""
    cell = [(grid["x_max"] - grid["x_min"]) / (grid["nx"] - 1),
            (grid["y_max"] - grid["y_min"]) / (grid["ny"] - 1)]  # fmt: skip
    return all(abs(g - w) <= c for g, w, c in zip(point, clicked, cell, strict=True))


def _close(point, clicked, grid) -> None:
    assert _near(point, clicked, grid), (point, clicked, grid)


def test_click_on_the_surface_explains_that_point(lab_server, page, artifacts):
    write_notebook(lab_server.root / "slime.ipynb", [SETUP, READY])
    open_notebook(page, lab_server.url, "slime.ipynb")
    run_all(page)
    expect(output(page, 1)).to_contain_text("READY surface", timeout=120_000)
    expect(page.locator(f"{SURFACE} .heatmaplayer image")).to_have_count(1)
    # the title reads SLIME, not the explainer's key "slime"
    title = page.locator(".stl-slime-title")
    expect(title).to_have_text("SLIME · local explanations of P(class 1)")
    clicked = _click(page, 0.3, 0.4)
    _wait_done(page, 1)
    expect(page.locator(".stl-slime-latex math")).to_have_count(1)
    expect(page.locator(".stl-slime-fidelity tr")).to_have_count(3)  # header, SLIME, LIME
    page.locator(".stl-slime").screenshot(path=artifacts / "slimelab_first.png")
    expect(page.locator(f"{SURFACE} .contourlayer .contourlevel path")).not_to_have_count(0)
    state = run_python(page, STATE)
    _close(state["x0"], clicked, state["grid"])
    assert state["shown"] == state["x0"] and state["latex"]
    page.locator(".stl-slime").screenshot(path=artifacts / "slimelab.png")  # docs/img's source

    # two clicks in a row: the first search is stopped, kept in history; the second is shown
    first = _click(page, 0.7, 0.7)
    second = _click(page, 0.5, 0.2)
    _wait_done(page, 3)
    state = run_python(page, STATE)
    _close(state["x0"], second, state["grid"])
    history = state["history"]  # in the order the searches ended (a stop can end last)
    firsts = [stopped for x, stopped in history if _near(x, first, state["grid"])]
    assert firsts == [True], (first, history)
    assert any(_near(x, second, state["grid"]) for x, _ in history), (second, history)

    # the J slider re-explains the same point with J real neighbours
    page.locator(".stl-slime-num_neighbours input").evaluate(
        "el => { el.value = '15'; el.dispatchEvent(new Event('change')); }"
    )
    _wait_done(page, 4)
    state = run_python(page, STATE + "\nprint('RESULT', json.dumps(len(e.neighbours)))")
    assert state == 15

    # a point of the wrong width: the kernel's message, in the widget
    run_python(page, "try:\n    slime.explain([0.1, 0.2, 0.3])\nexcept ValueError as e:\n"
                     "    print('RESULT', json.dumps(str(e)))")  # fmt: skip
    expect(page.locator(".stl-slime-error")).to_contain_text("x0 must have 2 features")
    expect(page.locator(".stl-slime-latex math")).to_have_count(1)  # the shown one stays
    expect(page.locator(".stl-slime-status")).to_have_attribute("data-request", "4")

    try:  # dark theme: the surface's axis text follows the theme's font colour
        _set_theme(page, "JupyterLab Dark")
        fill = (
            "() => getComputedStyle(document.querySelector('.stl-slime-surface .xtick text')).fill"
        )
        page.wait_for_function(f"() => ({fill})() !== 'rgb(0, 0, 0)' && "
                               f"!({fill})().startsWith('rgba(0, 0, 0')")  # fmt: skip
        page.locator(".stl-slime").screenshot(path=artifacts / "slimelab_dark.png")
    finally:
        _set_theme(page, "JupyterLab Light")
    assert page.js_errors == []


PANEL_SETUP = """\
import numpy as np, symtorch_lab as stl
rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, (200, 3))
explainer = stl.SlimeExplainer(lambda Z: Z[:, 0] * Z[:, 1] + np.sin(Z[:, 2]), X,
                               feature_names=["a", "b", "c"], preset="fast", random_state=0,
                               population_size=60, niterations=20)
print("READY")"""


def test_panel_explains_a_row_of_a_notebook_explainer(lab_server, page, artifacts):
    write_notebook(lab_server.root / "slime_panel.ipynb", [PANEL_SETUP])
    open_notebook(page, lab_server.url, "slime_panel.ipynb")
    run_all(page)
    expect(output(page, 0)).to_contain_text("READY", timeout=120_000)
    page.evaluate("() => window.jupyterapp.commands.execute('symtorch-lab:open-panel')")
    view = page.locator(f"{PANEL} .stl-panel-slime")
    expect(view).to_be_visible()
    expect(view.locator(".stl-panel-slime-select")).to_have_value("explainer")
    view.locator(".stl-panel-slime-rowinput").fill("7")
    view.locator(".stl-panel-slime-explain").click()
    status = view.locator(".stl-panel-slime-status")
    expect(status).to_have_attribute("data-phase", re.compile("^(done|stopped)$"), timeout=120_000)
    expect(view.locator(".stl-panel-slime-latex math")).to_have_count(1)
    expect(view.locator(".stl-panel-slime-effects tr")).not_to_have_count(0)
    state = run_python(
        page,
        """\
import json
from symtorch_lab.ui import panel
ctl = panel.current().slime.controller("explainer")
e = ctl.explanation
print("RESULT", json.dumps({"x0": e.x0.tolist(), "row": X[7].tolist(),
      "latex": ctl.summary["latex"], "r2": e.fidelity["r2"]}))""",
    )
    assert state["x0"] == state["row"]
    assert view.locator(".stl-panel-slime-latex").get_attribute("data-request") == "1"
    assert state["latex"]
    page.locator(PANEL).screenshot(path=artifacts / "slime_panel.png")
    try:  # dark theme: the view's text takes the theme's font colour
        _set_theme(page, "JupyterLab Dark")
        color = "() => getComputedStyle(document.querySelector('.stl-panel-slime-body')).color"
        page.wait_for_function(f"() => ({color})() !== 'rgba(0, 0, 0, 0.87)'")
        page.locator(PANEL).screenshot(path=artifacts / "slime_panel_dark.png")
    finally:
        _set_theme(page, "JupyterLab Light")
    assert page.js_errors == []


@pytest.mark.slow
def test_the_teaching_notebook_runs_in_jupyterlab_and_its_surface_explains_clicks(
    lab_server, page, artifacts
):
    """What a teacher does: open notebooks/slime_teaching.ipynb, Run All, click the spirals."""
    import nbformat

    from tests.test_notebooks import SMALL, SMALL_FOR, with_small_settings

    source = Path(__file__).resolve().parents[2] / "notebooks" / "slime_teaching.ipynb"
    small = {**SMALL, **SMALL_FOR["slime_teaching.ipynb"]}
    nb = with_small_settings(nbformat.read(source, as_version=4), small)
    nbformat.write(nb, lab_server.root / "slime_teaching.ipynb")
    open_notebook(page, lab_server.url, "slime_teaching.ipynb")
    run_all(page)
    expect(page.locator(".stl-slime")).to_have_count(2, timeout=300_000)
    expect(page.locator(".stl-slime-pd .scatterlayer .trace")).not_to_have_count(0)
    page.locator(f"{SURFACE} .nsewdrag").first.scroll_into_view_if_needed()
    expect(page.locator(".stl-slime-status").first).to_have_attribute("data-request", "1")
    clicked = _click(page, 0.6, 0.35)
    _wait_done(page, 2)
    state = run_python(page, STATE, timeout_s=300)
    _close(state["x0"], clicked, state["grid"])
    page.locator(".stl-slime").first.screenshot(path=artifacts / "slime_teaching.png")
    assert page.js_errors == []
