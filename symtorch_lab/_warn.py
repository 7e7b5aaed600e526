"""Warnings that point at the user's line, not at the engine's internals.

Why: ``warnings.warn(..., stacklevel=3)`` counts frames from the warning, and the engine's
call depth differs by path (``Distiller.fit``, ``Session.distill``, the SymTorch facade), so
the warning "operon has no 'inv'" pointed at ``symtorch_lab/_restarts.py:24``. Pointing at the
first frame outside the package also makes Python's default filter show it once per line.
"""

from __future__ import annotations

import os
import sys
import warnings

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn_outside(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` at the first caller outside ``symtorch_lab`` (tests are outside)."""
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
