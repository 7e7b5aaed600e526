"""Small Playwright helpers for driving JupyterLab notebooks (waits on locators, no sleeps)."""

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

QUICKSTART = Path(__file__).resolve().parents[2] / "notebooks" / "quickstart.ipynb"
PANEL = "#symtorch-lab-panel"  # the side panel's DOM id
NONZERO = re.compile(r"^[1-9]\d*$")  # a positive count in a data-* attribute

NOTEBOOK = ".jp-NotebookPanel:visible"


def open_notebook(page: Page, url: str, name: str, *, reset: bool = True) -> None:
    """Open ``name`` and wait until its kernel is idle."""
    page.goto(f"{url}/lab/tree/{name}" + ("?reset" if reset else ""))
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell")
    expect(page.locator(NOTEBOOK)).to_be_visible()
    wait_idle(page)


def activate_notebook(page: Page, name: str) -> None:
    """Bring an already open notebook to the front by its tab."""
    page.locator(f".lm-DockPanel-tabBar .lm-TabBar-tab[title*='{name}']").first.click()
    expect(page.locator(f"{NOTEBOOK}")).to_have_count(1)


def wait_idle(page: Page) -> None:
    page.wait_for_function(
        """() => {
          const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
          const k = w && w.sessionContext && w.sessionContext.session &&
                    w.sessionContext.session.kernel;
          return k && k.status === 'idle';
        }"""
    )


def run_all(page: Page) -> None:
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")


def cell(page: Page, index: int) -> Locator:
    return page.locator(f"{NOTEBOOK} .jp-Cell").nth(index)


def run_cell(page: Page, index: int) -> None:
    """Select cell ``index`` by clicking its prompt area and run it with Shift+Enter."""
    target = cell(page, index)
    target.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Shift+Enter")


def output(page: Page, index: int) -> Locator:
    return cell(page, index).locator(".jp-OutputArea-output")


def run_cells_above(page: Page, index: int) -> None:
    """Run every cell above cell ``index`` (and wait until the kernel is idle again)."""
    page.evaluate(
        """async (i) => {
          const panel = window.jupyterapp.shell.currentWidget;
          panel.content.activeCellIndex = i;
          await window.jupyterapp.commands.execute('notebook:run-all-above');
        }""",
        index,
    )
    wait_idle(page)


def run_python(page: Page, code: str, timeout_s: float = 120) -> Any:
    """Append a code cell with ``code`` to the open notebook, run it, return its ``RESULT``.

    ``code`` must print one line ``RESULT <json>``; that JSON is returned. The run command's
    promise settles when the cell has finished, so a traceback fails at once with its text;
    a cell still running after ``timeout_s`` fails the test instead of hanging it.
    """
    index = page.evaluate(
        """async ([code, timeoutMs]) => {
          const panel = window.jupyterapp.shell.currentWidget;
          const shared = panel.content.model.sharedModel;
          shared.insertCell(shared.cells.length, {cell_type: 'code', source: code});
          const i = shared.cells.length - 1;
          panel.content.activeCellIndex = i;
          await panel.content.scrollToItem(i);
          const run = window.jupyterapp.commands.execute('notebook:run-cell');
          const late = new Promise((_, reject) =>
            setTimeout(() => reject(new Error(`cell ${i} still running`)), timeoutMs));
          await Promise.race([run, late]);
          return i;
        }""",
        [code, timeout_s * 1000],
    )
    text = "\n".join(output(page, index).all_text_contents())
    lines = [ln for ln in text.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"cell {index} printed no RESULT line:\n{text}"
    return json.loads(lines[-1][len("RESULT ") :])


def click_plot_point(page: Page, point: Locator, expect_text: str | None = None) -> str:
    """Hover a plotly point at its centre (points sit under plotly's drag layer), click it,
    and return the hover label's text; with ``expect_text``, first wait until the label shows
    it (so a redraw that moved the point cannot send the click elsewhere)."""
    point.scroll_into_view_if_needed()
    box = point.bounding_box()
    assert box is not None, "the point is not rendered"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    label = page.locator(".hoverlayer .hovertext").first
    expect(label).to_be_visible()
    if expect_text is not None:
        expect(label).to_contain_text(expect_text)
    text = label.text_content() or ""
    page.mouse.click(x, y)
    return text


def restart_kernel(page: Page) -> None:
    """Restart the current notebook's kernel without the confirmation dialog."""
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.restartKernel()")
    wait_idle(page)
