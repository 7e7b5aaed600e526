"""Readable plots and panel in light and dark themes, following a theme switch live.

A Lab widget with a front over fifteen decades and a comparison whose original scores 0, and a
Lab on a model with long module names and shapes in the side panel. Checked: loss ticks are
powers of ten (no "5, 2, 0.1" digits, no "1f, 1p" SI prefixes); the bars say what "mse" is
measured against and the original's zero is marked; scatter labels stay inside the figure; the
selected row has at least 4.5:1 contrast and every row fits the panel; after switching to the
dark theme the existing plots redraw with its font colour. Screenshots go to test-artifacts/.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import write_notebook
from tests.browser.lab import PANEL, open_notebook, run_all

pytestmark = pytest.mark.ui

WIDGET = """\
from symtorch_lab.ui.widgets.lab import LabWidget
points = [dict(dim=0, complexity=c, loss=10.0 ** -c, id=f"e{c}", text=f"expr {c}", latex="x")
          for c in range(1, 16)]
record = dict(label="encoder_projection + decoder_projection",
              paths=["encoder_projection", "decoder_projection"], metric="mse", before=0.0,
              after=0.0123, throughput_before=5.0e5, throughput_after=9.0e5, unit="samples")
w = LabWidget(model="net", module="encoder_projection", module_status="distilled",
              points=points, records=[record, dict(record, label="decoder_projection",
                                                   after=0.002, throughput_after=6.0e5)])
w"""

MODEL = """\
from collections import OrderedDict
import torch
from torch import nn
import symtorch_lab as stl
net = nn.Sequential(OrderedDict(encoder_projection=nn.Linear(1024, 2048), activation=nn.GELU(),
                                decoder_projection=nn.Linear(2048, 1024)))
lab = stl.Lab(net, torch.randn(8, 1024))
print("READY")"""

LOSS_TICKS = (
    "() => [...document.querySelectorAll('.stl-lab-front .ytick text')].map(t => t.textContent)"
)
CONTRAST = f"""() => {{
  // the selected row's lowest text/background contrast (null while the tree re-renders)
  const row = document.querySelector("{PANEL} .stl-tree-row[aria-selected='true']");
  const rgba = s => (s.match(/[\\d.]+/g) || []).map(Number);
  if (!row || rgba(getComputedStyle(row).backgroundColor).length < 3) return null;
  const lum = c => c.slice(0, 3).map(v => v / 255)
    .map(v => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const bg = rgba(getComputedStyle(row).backgroundColor);
  return Math.min(...[...row.querySelectorAll('.stl-tree-name, .stl-tree-type, .stl-tree-params')]
    .map(cell => {{
      const [r, g, b, a = 1] = rgba(getComputedStyle(cell).color);
      const text = [r, g, b].map((v, i) => v * a + bg[i] * (1 - a));
      const [hi, lo] = [lum(text), lum(bg)].sort((x, y) => y - x);
      return (hi + 0.05) / (lo + 0.05);
    }}));
}}"""
OVERFLOWING_ROWS = f"""() => [...document.querySelectorAll('{PANEL} .stl-tree-row')]
  .filter(r => r.scrollWidth > r.clientWidth + 1).map(r => r.dataset.path)"""
TICK_FILL = "() => getComputedStyle(document.querySelector('.stl-lab-front .xtick text')).fill"


def _inside(page, plot: str, text: str) -> list[str]:
    """Labels of `text` elements in `plot` that stick out of the figure's SVG."""
    return page.evaluate(
        """([plot, sel]) => {
          const svg = document.querySelector(plot + ' .main-svg').getBoundingClientRect();
          return [...document.querySelectorAll(plot + ' ' + sel)].filter(t => {
            const b = t.getBoundingClientRect();
            return b.left < svg.left - 1 || b.right > svg.right + 1 || b.top < svg.top - 1;
          }).map(t => t.textContent);
        }""",
        [plot, text],
    )


def _set_theme(page, name: str) -> None:
    page.evaluate(
        "(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", name
    )
    light = "true" if "Light" in name else "false"
    page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{light}'")


def test_plots_and_panel_are_readable_and_follow_the_theme(lab_server, page, artifacts):
    write_notebook(lab_server.root / "theme.ipynb", [WIDGET, MODEL])
    open_notebook(page, lab_server.url, "theme.ipynb")
    run_all(page)
    expect(page.locator(".stl-lab-compare-scatter .textpoint")).to_have_count(3)  # with original
    expect(page.locator(".stl-lab-front .ytick text").first).to_be_visible()

    ticks = page.evaluate(LOSS_TICKS)
    assert ticks and all(re.fullmatch(r"(\d×)?10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]*|1|\d", t) for t in ticks), ticks
    assert not any(re.search(r"[fpnµm]$", t) for t in ticks), ticks

    bars = page.locator(".stl-lab-compare-bars")
    expect(bars.locator(".gtitle")).to_contain_text("mse vs the original network's output")
    expect(page.locator(".stl-lab-compare-scatter .gtitle")).to_contain_text("original network")
    assert _inside(page, ".stl-lab-compare-bars", ".g-ytitle text, .g-y2title text") == []
    expect(bars.locator(".bartext").first).to_have_text("0")
    expect(bars.locator(".scatterlayer .point")).to_have_count(1)  # the zero bar's mark
    assert _inside(page, ".stl-lab-compare-scatter", ".textpoint text") == []

    page.evaluate("() => window.jupyterapp.commands.execute('symtorch-lab:open-panel')")
    expect(page.locator(f"{PANEL} .stl-tree-row")).to_have_count(4)
    shape = page.locator(f"{PANEL} .stl-tree-row[data-path='encoder_projection'] .stl-tree-shape")
    expect(shape).to_have_attribute("title", re.compile(r"^\(1024\)→\(2048\)"))
    assert page.evaluate(OVERFLOWING_ROWS) == []
    row = page.locator(f"{PANEL} .stl-tree-row[data-path='decoder_projection']")
    row.locator(".stl-tree-name").click()
    expect(row).to_have_attribute("aria-selected", "true")
    light = {
        "contrast": page.wait_for_function(CONTRAST).json_value(),
        "fill": page.evaluate(TICK_FILL),
    }
    page.screenshot(path=artifacts / "theme_light.png", full_page=True)
    page.locator(".stl-lab-compare").screenshot(path=artifacts / "theme_compare_light.png")

    try:
        _set_theme(page, "JupyterLab Dark")
        dark_font = page.evaluate(
            "() => getComputedStyle(document.body).getPropertyValue('--jp-ui-font-color1').trim()"
        )
        rgb = ", ".join(re.findall(r"[\d.]+", dark_font)[:3])
        page.wait_for_function(f"() => ({TICK_FILL})().startsWith('rgb({rgb})')")
        dark = {
            "contrast": page.wait_for_function(CONTRAST).json_value(),
            "fill": page.evaluate(TICK_FILL),
        }
        page.screenshot(path=artifacts / "theme_dark.png", full_page=True)
        page.locator(".stl-lab-compare").screenshot(path=artifacts / "theme_compare_dark.png")
    finally:  # the server's settings outlive this test
        _set_theme(page, "JupyterLab Light")
    assert light["fill"] != dark["fill"], (light, dark)
    assert light["contrast"] >= 4.5 and dark["contrast"] >= 4.5, (light, dark)
    assert page.js_errors == []
