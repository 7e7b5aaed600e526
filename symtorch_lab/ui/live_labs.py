"""The live ``Lab`` objects of this kernel, and the cell hook that publishes their state.

Why a module of its own: search threads only *mark* a Lab's coalescer; a cell that waited on a
search must still leave the final front in the widget state it stores (nbclient keeps the
widget state of each cell's messages). IPython's ``post_execute`` runs on the kernel thread
before the cell's reply, so every live Lab flushes there. Labs are held weakly.
"""

from __future__ import annotations

import weakref
from typing import Any

LIVE: weakref.WeakSet = weakref.WeakSet()  # flushed after every cell (see after_cell)
_hooked_shells: weakref.WeakSet = weakref.WeakSet()


def add(lab: Any) -> None:
    """Track ``lab`` (anything with a ``_coalescer``) and hook the shell once."""
    LIVE.add(lab)
    _hook_after_cell()


def after_cell(*_: Any) -> None:
    """IPython ``post_execute`` (kernel thread, before the cell's reply): publish what search
    threads marked meanwhile."""
    for lab in list(LIVE):
        lab._coalescer.flush_pending()


def _hook_after_cell() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return
    shell = get_ipython()
    if shell is not None and shell not in _hooked_shells:
        shell.events.register("post_execute", after_cell)
        _hooked_shells.add(shell)
