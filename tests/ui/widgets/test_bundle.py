"""The widget bundle ships once, in the lab extension, and the inline fallback finds it there."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from symtorch_lab.ui.widgets import esm_loader as _base
from symtorch_lab.ui.widgets.front import FrontWidget

ROOT = Path(__file__).resolve().parents[3]


def test_inline_mode_reads_the_bundle_from_an_installed_labextension(tmp_path, monkeypatch):
    # a wheel install: no labextension folder inside the package, the extension under the prefix
    static = tmp_path / "prefix/share/jupyter/labextensions/symtorch-lab/static"
    static.mkdir(parents=True)
    (static / "widgets.js").write_text("export default {render() {}}; // installed copy")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    package = tmp_path / "site-packages/symtorch_lab"
    package.mkdir(parents=True)
    assert _base.bundle_path(package) == static / "widgets.js"
    monkeypatch.setattr(_base.importlib.resources, "files", lambda name: package)
    _base.set_esm_mode("inline")
    try:
        assert FrontWidget([])._esm.endswith("// installed copy")
    finally:
        _base.set_esm_mode(None)


def test_a_missing_bundle_names_the_path_and_the_fix(tmp_path, monkeypatch):
    import jupyter_core.paths

    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    monkeypatch.setattr(jupyter_core.paths, "jupyter_path", lambda *parts: [])
    monkeypatch.setattr(_base.importlib.resources, "files", lambda name: tmp_path / "pkg")
    assert _base.bundle_path() == tmp_path / "pkg/labextension/static/widgets.js"
    with pytest.raises(FileNotFoundError, match=r"pkg/labextension/static/widgets.js is missing"):
        _base.inline_esm()


@pytest.mark.slow
def test_the_wheel_ships_the_widget_bundle_once(tmp_path):
    if not (ROOT / "symtorch_lab/labextension/static/widgets.js").is_file():
        pytest.skip("JS not built (the wheel build would run npm)")
    cmd = [sys.executable, "-m", "pip", "wheel", str(ROOT), "-w", str(tmp_path), "--no-deps", "-q"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=900)
    (wheel,) = tmp_path.glob("symtorch_lab-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    bundles = [n for n in names if n.endswith("/widgets.js")]
    assert len(bundles) == 1, bundles
    assert bundles[0].endswith(
        ".data/data/share/jupyter/labextensions/symtorch-lab/static/widgets.js"
    )
    assert not any(n.startswith("symtorch_lab/labextension/") for n in names)
