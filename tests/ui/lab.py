"""Small Playwright helpers for driving JupyterLab notebooks (waits on locators, no sleeps)."""

from playwright.sync_api import Locator, Page, expect

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
