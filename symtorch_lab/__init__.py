"""symtorch_lab: symbolic distillation of PyTorch models.

Record what a submodule computes, run symbolic regression on it, pick an expression from the
Pareto front, and replace the module by that expression. The engine (this package minus
``ui``) runs without any UI installed. Names are loaded lazily so that
``import symtorch_lab`` stays cheap and a broken optional piece cannot break the rest.
"""

from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.1.0"

_EXPORTS = {
    "Expression": "expression",
    "Candidate": "front",
    "ParetoFront": "front",
    "record": "record",
    "Recording": "record",
    "Distiller": "distill",
    "PCAProjection": "pca",
    "SymbolicSurrogate": "surrogate",
    "replace": "surrogate",
    "replaced": "surrogate",
    "Session": "session",
    "SymbolicModel": "facade",
    "save_session": "io",
    "load_session": "session",
    "SlimeExplainer": "slime",
    "Explanation": "explanation",
    "lime_explanation": "lime_baseline",
    "local_fidelity": "neighbourhood",
    "explain_classifier": "gradients",
    "Lab": "ui.lab",  # UI names: imported (with anywidget) on first use
    "SlimeLab": "ui.slimelab",
}
_SUBMODULES = ("metrics", "benchmark", "plots", "demo", "science", "backends", "hooks", "operators")

__all__ = sorted(_EXPORTS) + list(_SUBMODULES)


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        value = getattr(module, name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'symtorch_lab' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return __all__


class _Package(types.ModuleType):
    """Importing a submodule named like an export (``record``) must not replace the export:
    the import system sets ``symtorch_lab.record = <module>`` after loading it."""

    def __setattr__(self, name, value):
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == name:
            return  # the export is resolved by __getattr__ (the submodule is in sys.modules)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the prebuilt side-panel extension shipped in this package."""
    return [{"src": "labextension", "dest": "symtorch-lab"}]
