"""FrontWidget state against the protocol, and the loader/inline ESM choice (no browser)."""

import subprocess
import sys

import pytest
import traitlets

from symtorch_lab.ui import protocol as P
from symtorch_lab.ui.schema import check
from symtorch_lab.ui.widgets import FrontWidget, esm_loader, esm_mode, set_esm_mode

POINTS = [
    {
        "dim": 0,
        "complexity": c,
        "loss": 1.0 / c,
        "id": f"e{c}",
        "text": f"expr {c}",
        "latex": f"x_{c}",
    }
    for c in (1, 3, 5)
]


@pytest.fixture(autouse=True)
def automatic_mode(monkeypatch):
    monkeypatch.delenv("SYMTORCH_LAB_ESM", raising=False)
    monkeypatch.delenv("VSCODE_PID", raising=False)
    set_esm_mode(None)
    yield
    set_esm_mode(None)


def test_state_is_a_protocol_front_state():
    widget = FrontWidget(POINTS, title="net.0")
    check(widget.state(), P.FrontState, "state")
    assert widget.selected is None and widget._stl_kind == "front"


def test_bad_points_are_rejected_with_the_field_named():
    with pytest.raises(traitlets.TraitError, match=r"points\[0\].loss: expected a finite"):
        FrontWidget([{**POINTS[0], "loss": float("nan")}])
    with pytest.raises(traitlets.TraitError, match="missing field"):
        FrontWidget([{"dim": 0}])


def test_a_click_from_the_browser_sets_selected():
    widget = FrontWidget(POINTS)
    widget.set_state({"selected": "e3"})  # what ipywidgets does with the browser's update
    assert widget.selected == "e3"


def test_loader_esm_is_small_and_points_at_the_extension_bundle():
    widget = FrontWidget(POINTS)
    assert esm_mode() == "loader"
    assert len(widget._esm) < 2_000
    assert "symtorch-lab/static/widgets.js?v=" in widget._esm
    assert "jupyter-config-data" in widget._esm


@pytest.mark.skipif(not esm_loader.BUNDLE.exists(), reason="JS not built")
def test_inline_mode_sends_the_whole_bundle(monkeypatch):
    monkeypatch.setenv("VSCODE_PID", "1")
    assert esm_mode() == "inline"
    set_esm_mode("loader")
    assert esm_mode() == "loader"
    set_esm_mode("inline")
    assert len(FrontWidget(POINTS)._esm) > 1_000_000


def test_set_esm_mode_rejects_unknown_modes():
    with pytest.raises(ValueError, match="'loader', 'inline' or None"):
        set_esm_mode("cdn")


def test_the_engine_imports_no_ui_package():
    code = (
        "import importlib, pathlib, sys, symtorch_lab\n"
        "root = pathlib.Path(symtorch_lab.__file__).parent\n"
        "for f in sorted(root.rglob('*.py')):\n"
        "    parts = f.relative_to(root.parent).with_suffix('').parts\n"
        "    if parts[1] in ('ui', '__main__'):\n"
        "        continue\n"
        "    importlib.import_module('.'.join(p for p in parts if p != '__init__'))\n"
        "bad = sorted(n for n in ('anywidget', 'ipywidgets', 'jupyterlab', 'comm', 'IPython')\n"
        "             if n in sys.modules)\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_the_synced_traits_are_the_front_state_fields():
    from symtorch_lab.ui.schema import fields
    from symtorch_lab.ui.widgets.esm_loader import StlWidget

    own = set(FrontWidget.class_traits(sync=True)) - set(StlWidget.class_traits(sync=True))
    assert own == set(fields(P.FrontState)[0])
    widget = FrontWidget()
    assert widget.state() == {"points": [], "selected": None, "title": ""}
