"""Base class of the notebook widgets: a tiny loader ESM instead of a 4.8 MB inline bundle.

Why: anywidget sends a widget's ``_esm`` with every instance and saves it in the notebook. With
plotly.js bundled in, that is 4.8 MB per widget; five such widgets took 9-10 s to render on two
cores, and anywidget aborts a model whose ESM takes over 2 s to initialise. So each widget's ESM
is a ~1 KB loader that imports the one shared bundle from the installed lab extension's static
folder (``<labextensions url>/symtorch-lab/static/widgets.js``); the browser evaluates it once
per page. Front ends without our extension (VS Code, Colab) get the bundle inline instead: see
:func:`set_esm_mode` (chosen automatically there).

The bundle picks the view by the ``_stl_kind`` trait, so one loader serves every widget class.
"""

import importlib.resources
import os
import sys
from pathlib import Path
from typing import Literal

import anywidget
import traitlets

EXTENSION = "symtorch-lab"


def bundle_path(package: Path | None = None) -> Path:
    """The widget bundle, shipped once: in the lab extension's static folder.

    A source checkout or editable install has it in ``symtorch_lab/labextension``; a wheel
    installs the extension under ``<prefix>/share/jupyter/labextensions`` (any Jupyter data dir).
    Returns the first that exists, else the source-checkout path (for the error message).
    """
    package = package or Path(str(importlib.resources.files("symtorch_lab")))
    folders = [
        package / "labextension",
        Path(sys.prefix) / "share/jupyter/labextensions" / EXTENSION,
    ]
    try:
        from jupyter_core.paths import jupyter_path

        folders += [Path(p) / EXTENSION for p in jupyter_path("labextensions")]
    except ImportError:  # jupyter_core comes with Jupyter; without it, the prefix is enough
        pass
    for folder in folders:
        if (folder / "static" / "widgets.js").is_file():
            return folder / "static" / "widgets.js"
    return folders[0] / "static" / "widgets.js"


BUNDLE = bundle_path()  # where it was at import (a later build is found by bundle_path())
EsmMode = Literal["loader", "inline"]
_mode: EsmMode | None = None

_LOADER = """\
// symtorch_lab loader: imports the shared widget bundle served by the lab extension.
const BUNDLE = "%(extension)s/static/widgets.js?v=%(version)s";
let bundle = null;
function bundleUrl() {
  const el = document.getElementById("jupyter-config-data");
  const config = el ? JSON.parse(el.textContent || "{}") : {};
  const base = config.fullLabextensionsUrl || (config.baseUrl || "/") + "lab/extensions";
  return new URL(base.replace(/\\/$/, "") + "/" + BUNDLE, document.baseURI).href;
}
export default {
  async render(props) {
    let mod;
    try {
      mod = await (bundle = bundle || import(bundleUrl()));
    } catch (error) {
      bundle = null;
      props.el.textContent = "symtorch_lab could not load its widget bundle (" + error +
        "). Without the JupyterLab extension call symtorch_lab.ui.widgets.set_esm_mode('inline').";
      return;
    }
    return mod.default.render(props);
  },
};
"""


def _bundle_version() -> str:
    try:
        stat = bundle_path().stat()
    except OSError:
        return "missing"
    return f"{int(stat.st_mtime)}-{stat.st_size}"


def _detected_mode() -> EsmMode:
    env = os.environ.get("SYMTORCH_LAB_ESM", "").strip().lower()
    if env in ("loader", "inline"):
        return env  # type: ignore[return-value]
    if "google.colab" in sys.modules or "VSCODE_PID" in os.environ:
        return "inline"
    return "loader"


def esm_mode() -> EsmMode:
    """How new widgets get their front-end code: ``"loader"`` (JupyterLab) or ``"inline"``."""
    return _mode or _detected_mode()


def set_esm_mode(mode: EsmMode | None) -> None:
    """Choose ``"loader"`` or ``"inline"`` for widgets created from now on (None: automatic).

    ``"inline"`` sends the whole bundle (about 5 MB) with each widget: use it only in front ends
    without the symtorch-lab JupyterLab extension. The ``SYMTORCH_LAB_ESM`` environment variable
    sets the automatic choice.
    """
    global _mode
    if mode not in ("loader", "inline", None):
        raise ValueError(f"esm mode must be 'loader', 'inline' or None, got {mode!r}")
    _mode = mode


def loader_esm() -> str:
    """The loader module source (cache-busted by the bundle's mtime and size)."""
    return _LOADER % {"extension": EXTENSION, "version": _bundle_version()}


def inline_esm() -> str:
    """The whole bundle, for front ends without the lab extension."""
    bundle = bundle_path()
    try:
        return bundle.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{bundle} is missing: the JavaScript was not built (or the symtorch-lab lab "
            "extension was removed). Reinstall symtorch_lab from a wheel, or run `npm run build` "
            "in a source checkout."
        ) from None


class StlWidget(anywidget.AnyWidget):
    """Base of the symtorch_lab widgets; subclasses set ``_stl_kind`` to their view's name."""

    _stl_kind = traitlets.Unicode("").tag(sync=True)

    @property
    def _esm(self) -> str:  # read once by AnyWidget.__init__, then replaced by a synced trait
        return inline_esm() if esm_mode() == "inline" else loader_esm()
