"""FrontWidget in a real JupyterLab: a click on a plotly point sets ``selected`` in Python."""

import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import write_notebook
from tests.browser.lab import open_notebook, output, run_all, run_cell

pytestmark = pytest.mark.ui

WIDGET = """\
from symtorch_lab.ui.widgets import FrontWidget
points = [dict(dim=0, complexity=c, loss=10.0 ** -i, id=f"e{c}", text=f"expr {c}", latex="x")
          for i, c in enumerate([1, 3, 5, 7, 9])]
w = FrontWidget(points, title="front")
w"""


def test_clicking_a_point_sets_selected_in_python(lab_server, page, artifacts):
    write_notebook(lab_server.root / "front.ipynb", [WIDGET, "print('SELECTED', w.selected)"])
    bundles: list[str] = []
    page.on("request", lambda r: "widgets.js" in r.url and bundles.append(r.url))
    open_notebook(page, lab_server.url, "front.ipynb")
    run_all(page)
    expect(output(page, 1)).to_contain_text("SELECTED None")
    points = page.locator(".stl-front .scatterlayer .point")
    expect(points).to_have_count(5)
    # the 1 KB loader ESM fetched the one shared bundle from the lab extension
    assert len(bundles) == 1 and "/lab/extensions/symtorch-lab/static/widgets.js?v=" in bundles[0]
    box = points.nth(1).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    expect(page.locator(".hoverlayer .hovertext")).to_contain_text("expr 3")
    page.mouse.click(x, y)
    expect(page.locator(".stl-front-selected")).to_have_attribute("data-selected", "e3")
    page.screenshot(path=artifacts / "front_widget.png")
    run_cell(page, 1)
    expect(output(page, 1)).to_contain_text("SELECTED e3")
    assert page.js_errors == []


TEN = """\
from IPython.display import display
from symtorch_lab.ui.widgets import FrontWidget
for k in range(10):
    display(FrontWidget([dict(dim=d, complexity=c, loss=(k + 1) * 10.0 ** -c, id=f"e{d}_{c}",
                              text=f"expr {c}", latex="x") for d in range(2) for c in range(1, 9)],
                        title=f"front {k}"))"""


def test_ten_widgets_render_fast_and_keep_the_notebook_small(lab_server, page, artifacts):
    path = lab_server.root / "ten.ipynb"
    write_notebook(path, [TEN])
    open_notebook(page, lab_server.url, "ten.ipynb")
    start = time.perf_counter()
    run_all(page)
    expect(page.locator(".stl-front .js-plotly-plot")).to_have_count(10)
    expect(page.locator(".stl-front .scatterlayer .point")).to_have_count(160)
    render_s = time.perf_counter() - start
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    expect(page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")).not_to_have_class(
        re.compile(r"\bjp-mod-dirty\b")
    )
    saved = json.loads(path.read_text())
    size = path.stat().st_size
    has_state = "widgets" in saved["metadata"]
    result = {
        "widgets": 10,
        "points_each": 16,
        "run_to_rendered_s": round(render_s, 2),
        "ipynb_bytes": size,
        "widget_state_saved": has_state,
    }
    (artifacts / "ten_widgets.json").write_text(json.dumps(result, indent=2))
    page.screenshot(path=artifacts / "ten_widgets.png")
    assert has_state, "widget state was not saved, so the size says nothing"
    assert size < 200_000, result
