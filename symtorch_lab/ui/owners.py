"""Which session installed the ``SymbolicSurrogate`` now standing at a module path.

Why: two Labs (or a Lab and a Session) on one model share its modules. When another one has
replaced ``mlp``, this Lab's session still holds its own (now overwritten) replacement, so its
widget would offer Replace and Distill on a module that is not its to change. Each Lab claims
the surrogates it installs (or finds installed by its session when it starts); a surrogate
claimed by another session, or one its own session never installed, is "replaced elsewhere".
Kept out of ``lab.py``: ownership is a question about the model, not about the Lab's widget.
"""

from __future__ import annotations

import weakref

from torch import nn

from symtorch_lab.session import Session
from symtorch_lab.surrogate import SymbolicSurrogate

_OWNERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # surrogate -> ref(Session)


def _module(model: nn.Module, path: str) -> nn.Module | None:
    try:
        return model.get_submodule(path)
    except AttributeError:
        return None


def claim(session: Session, path: str) -> None:
    """Note that ``session`` installed the surrogate now at ``path`` (no-op for other modules)."""
    module = _module(session.model, path)
    if isinstance(module, SymbolicSurrogate):
        _OWNERS[module] = weakref.ref(session)


def claim_replaced(session: Session) -> None:
    """Claim the session's replaced modules not claimed yet (a loaded session's replacements)."""
    for path, job in list(session.jobs.items()):
        module = _module(session.model, path)
        if job.status == "replaced" and module is not None and module not in _OWNERS:
            claim(session, path)


def replaced_elsewhere(session: Session, path: str) -> bool:
    """True when the module at ``path`` is a surrogate that ``session`` did not install."""
    module = _module(session.model, path)
    if not isinstance(module, SymbolicSurrogate):
        return False
    owner = _OWNERS.get(module)
    if owner is None:
        job = session.jobs.get(path)
        if job is not None and job.status == "replaced":  # replaced through the session itself
            claim(session, path)
            return False
        return True
    return owner() is not session


def elsewhere_message(path: str) -> str:
    return f"module {path!r} is replaced by another Lab/Session: restore it there first"


def refuse_if_elsewhere(session: Session, path: str) -> None:
    """Raise ``RuntimeError`` when another Lab/Session's surrogate stands at ``path``."""
    if replaced_elsewhere(session, path):
        raise RuntimeError(elsewhere_message(path))
