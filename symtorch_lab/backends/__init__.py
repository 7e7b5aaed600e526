"""Symbolic-regression engines behind one protocol (:class:`~.base.SearchBackend`).

Backends are imported on first use, so ``import symtorch_lab`` neither loads pyoperon's C++
module nor touches PySR (whose import may try to download Julia).
"""

from __future__ import annotations

import importlib
from typing import Any

from .base import Progress, RawCandidate, SearchBackend, SearchSpec, pareto_filter

__all__ = [
    "BACKENDS",
    "Progress",
    "RawCandidate",
    "SearchBackend",
    "SearchSpec",
    "get_backend",
    "pareto_filter",
]

# name -> "module:class", resolved lazily by get_backend.
BACKENDS: dict[str, str] = {
    "operon": "symtorch_lab.backends.operon:OperonBackend",
    "pysr": "symtorch_lab.backends.pysr:PySRBackend",
}


def get_backend(name: str | SearchBackend, **options: Any) -> SearchBackend:
    """Return a backend instance by name (``"operon"``, ``"pysr"``).

    An object that already implements the protocol is returned unchanged, so callers can
    accept either a name or a configured backend. ``options`` go to the backend's constructor
    (``get_backend("pysr", procs=4)`` forwards PySR-only settings).
    """
    if not isinstance(name, str):
        if isinstance(name, SearchBackend):
            if options:
                raise TypeError(f"options {sorted(options)} given with a backend instance")
            return name
        raise TypeError(f"backend must be a name or a SearchBackend, got {type(name).__name__}")
    key = name.strip().lower()
    if key not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; available: {', '.join(sorted(BACKENDS))}")
    module_name, cls_name = BACKENDS[key].split(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    return cls(**options)
