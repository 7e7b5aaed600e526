"""Each test of the ui package gets a fresh kernel panel (``symtorch_lab.ui.panel.current``),
so no Lab source or select callback of one test reaches the next."""

import pytest

from symtorch_lab.ui import panel as panels


@pytest.fixture(autouse=True)
def kernel_panel():
    panel = panels.Panel(dict)
    previous = panels.set_current(panel)
    yield panel
    panels.set_current(previous)
