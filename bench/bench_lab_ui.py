"""The lab in a real browser: how fast the front appears and refreshes, how fast a big module
tree renders, and how big a notebook with 10 widgets gets when saved.

Measured in JupyterLab driven by Playwright on /usr/bin/chromium (the browser tests' server
fixture and helpers are reused), all timestamps taken in the page (``performance.now()``):

* click-to-first-front: from the click on **Distill** (in the side panel, then in the widget;
  a capture listener on the button) to the first ``plotly_afterplot`` of ``.stl-lab-front``
  that shows points of the new search (``DemoModel.mlp``, population 300, 12 s searches);
* front refresh rate: front redraws whose data changed, per second, while the search runs
  (the kernel coalesces updates to at most 4 per second);
* module-tree render: the panel's own ``data-render-ms`` for a 626-module model (as in
  tests/browser/test_panel.py), collapsed and after "expand all";
* notebook size: the saved .ipynb (widget state included) with 10 FrontWidgets (the cell of
  tests/browser/test_front_widget.py) and with 10 distilled Lab widgets each showing a picked
  candidate (LaTeX + parity plot).

Run: ``python bench/bench_lab_ui.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import contextlib
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tests.browser import conftest  # noqa: E402
from tests.browser.conftest import write_notebook  # noqa: E402
from tests.browser.lab import NOTEBOOK, open_notebook, run_all, wait_idle  # noqa: E402
from tests.browser.test_front_widget import TEN  # noqa: E402
from tests.browser.test_panel import MODELS  # noqa: E402

SEARCH_S = 12
LIVE = f"""\
import torch, symtorch_lab as stl
from symtorch_lab.demo import DemoModel, make_data, train
torch.manual_seed(0)
X, y = make_data(4000, seed=0)
model = DemoModel(width=32)
train(model, X, y, steps=300, log=lambda line: None)
lab = stl.Lab(model, X, niterations=100_000, timeout_in_seconds={SEARCH_S}, population_size=300,
              unary_operators=["sin", "square"], maxsize=20)
lab.select("mlp")
lab"""
TEN_LABS = """\
import torch, time, symtorch_lab as stl
from torch import nn
from IPython.display import display
torch.manual_seed(0)
X = torch.rand(1000, 3) * 2 - 1
labs = []
for k in range(10):
    net = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    lab = stl.Lab(net, X, niterations=8, population_size=60, maxsize=12)
    job = lab.distill("2")
    job.handle.wait()
    while not job.fronts:
        time.sleep(0.02)
    lab.pick(job.fronts[0].selected.id)
    labs.append(lab)
    display(lab)"""

INSTRUMENT = """([plot, button]) => {
  const log = { click: null, draws: [], states: [] };
  window.__stlBench = log;
  const signature = () => JSON.stringify((plot.data || []).map(t => [t.customdata, t.y]));
  let last = signature();
  plot.on('plotly_afterplot', () => {
    const sig = signature();
    if (sig !== last) log.draws.push([performance.now(), Number(plot.dataset.points || 0)]);
    last = sig;
  });
  const progress = plot.closest('.stl-lab').querySelector('.stl-lab-progress');
  new MutationObserver(() => log.states.push([performance.now(), progress.dataset.state]))
    .observe(progress, { attributes: true, attributeFilter: ['data-state'] });
  const mark = () => { log.click = performance.now(); };
  button.addEventListener('click', mark, { capture: true, once: true });
}"""
SEARCH_ENDED = """() => {
  const states = window.__stlBench.states.map(([, s]) => s);
  return states.includes('running') && states[states.length - 1] === 'done';
}"""


GOALS = {
    "click_to_first_front_ms": "~2000 (issue 3)",
    "refresh_per_s": "<= 4 (kernel-side coalescing)",
    "expanded_626_rows_ms": "< 1000 (tests/browser/test_panel.py)",
    "ipynb_kb": "small; < 195 (tests/browser/test_front_widget.py)",
}


class _TmpFactory:
    """The one method of pytest's ``tmp_path_factory`` the server fixture uses."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def mktemp(self, name: str) -> Path:
        path = Path(tempfile.mkdtemp(prefix=name, dir=self.base))
        return path


@contextlib.contextmanager
def jupyter_lab(base: Path):
    """The browser tests' ``lab_server`` fixture, outside pytest."""
    gen = conftest.lab_server.__wrapped__(_TmpFactory(base))
    try:
        yield next(gen)
    finally:
        gen.close()


def open_panel(page) -> None:
    page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='symtorch-lab-panel']").click()
    expect(page.locator("#symtorch-lab-panel")).to_be_visible()


def live_front(page, server) -> dict[str, dict]:
    """Search ``mlp`` twice: started from the panel's Distill, then from the widget's."""
    write_notebook(server.root / "live.ipynb", [LIVE])
    open_notebook(page, server.url, "live.ipynb")
    run_all(page)
    plot = page.locator(f"{NOTEBOOK} .stl-lab .stl-lab-front.js-plotly-plot")
    expect(plot).to_be_attached()
    wait_idle(page)
    open_panel(page)
    page.locator("#symtorch-lab-panel .stl-tree-row[data-path='mlp'] .stl-tree-type").click()
    results = {}
    for where, button in [
        ("panel", "#symtorch-lab-panel .stl-panel-distill"),
        ("widget", f"{NOTEBOOK} .stl-lab .stl-lab-distill"),
    ]:
        page.evaluate(INSTRUMENT, [plot.element_handle(), page.locator(button).element_handle()])
        page.locator(button).click()
        page.wait_for_function(SEARCH_ENDED, timeout=(SEARCH_S + 60) * 1000)
        results[f"live front, Distill in the {where}"] = front_timings(
            page.evaluate("() => window.__stlBench")
        )
    return results


def front_timings(log: dict) -> dict:
    running = [t for t, s in log["states"] if s == "running"]
    done = [t for t, s in log["states"] if s == "done"]
    shown = [(t, n) for t, n in log["draws"] if n > 0]
    first = shown[0][0]
    end = done[-1]
    during = [t for t, _ in shown if t < end]
    gaps = [b - a for a, b in zip(during, during[1:], strict=False)]
    return {
        "click_to_running_ms": round(running[0] - log["click"], 1),
        "click_to_first_front_ms": round(first - log["click"], 1),
        "search_s": round((end - log["click"]) / 1000, 2),
        "front_updates": len(during),
        "refresh_per_s": round((len(during) - 1) / ((during[-1] - first) / 1000), 2)
        if len(during) > 1
        else None,
        "median_gap_ms": round(statistics.median(gaps), 1) if gaps else None,
    }


def tree_render(page, server) -> dict:
    write_notebook(server.root / "big.ipynb", [MODELS])
    open_notebook(page, server.url, "big.ipynb")
    run_all(page)
    wait_idle(page)
    open_panel(page)
    rows = page.locator("#symtorch-lab-panel .stl-tree-row")
    page.locator("#symtorch-lab-panel .stl-model-select").select_option("big")
    expect(rows).to_have_count(126)
    tree = page.locator("#symtorch-lab-panel .stl-tree")
    collapsed = float(tree.get_attribute("data-render-ms"))
    page.locator("#symtorch-lab-panel .stl-tool[data-command='symtorch-lab:expand-all']").click()
    expect(rows).to_have_count(626)
    return {
        "modules": 626,
        "collapsed_126_rows_ms": collapsed,
        "expanded_626_rows_ms": float(tree.get_attribute("data-render-ms")),
    }


def saved_size(page, server, name: str, code: str, selector: str) -> dict:
    path = server.root / name
    write_notebook(path, [code])
    open_notebook(page, server.url, name)
    start = time.perf_counter()
    run_all(page)
    expect(page.locator(f"{NOTEBOOK} {selector}")).to_have_count(10, timeout=120_000)
    wait_idle(page)
    rendered_s = time.perf_counter() - start
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
    expect(tab).not_to_have_class(re.compile(r"\bjp-mod-dirty\b"))
    saved = json.loads(path.read_text())
    return {
        "run_to_rendered_s": round(rendered_s, 2),
        "ipynb_kb": round(path.stat().st_size / 1024, 1),
        "widget_state_saved": "widgets" in saved["metadata"],
    }


def main() -> None:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, jupyter_lab(Path(tmp)) as server:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=conftest.CHROMIUM, args=conftest.CHROMIUM_ARGS, headless=True
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(60_000)
            results = {
                **live_front(page, server),
                "module tree (panel)": tree_render(page, server),
                "10 FrontWidgets, saved": saved_size(
                    page, server, "ten_fronts.ipynb", TEN, ".stl-front .js-plotly-plot"
                ),
                "10 Lab widgets with a pick, saved": saved_size(
                    page, server, "ten_labs.ipynb", TEN_LABS, ".stl-lab .stl-lab-latex math"
                ),
            }
            browser.close()
    width = max(len(k) for r in results.values() for k in r)
    print(f"\n{'':<{width + 2}}  {'measured':>10}  goal")
    for section, numbers in results.items():
        print(section)
        for key, value in numbers.items():
            print(f"  {key:<{width}}  {value!s:>10}  {GOALS.get(key, '')}")
    print(f"\n(bench took {time.perf_counter() - t0:.0f} s)")
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "bench_lab_ui.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
