"""symtorch_lab: symbolic distillation of PyTorch models.

Record what a submodule computes, run symbolic regression on it, pick an expression from the
Pareto front, and replace the module by that expression. The engine (this package minus
``widgets``) runs without any UI installed.
"""

__version__ = "0.1.0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the prebuilt side-panel extension shipped in this package."""
    return [{"src": "labextension", "dest": "symtorch-lab"}]
