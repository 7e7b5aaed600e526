"""Exact, owned PyTorch hooks and temporary module-state changes.

Why this module exists: the predecessor (SymTorch) registered one forward hook, set
``parent_model.eval()`` and never restored training mode, so Dropout silently stayed off in the
user's training loop. Everything here changes a model only for the duration of a ``with`` block
and undoes exactly what it did: a :class:`HookSet` removes the hook handles it registered and no
others, and :func:`training_mode` puts every module's own ``training`` flag back.

:func:`resolve_module` turns a TransformerLens-style dotted path (the names of
``model.named_modules()``) into the submodule, with an error that lists close matches, because a
typo in ``"blocks.0.mpl"`` is the most common way to start a recording wrong.
"""

from __future__ import annotations

import difflib
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Any

from torch import nn
from torch.utils.hooks import RemovableHandle

__all__ = [
    "HookSet",
    "ModulePathError",
    "eval_mode",
    "module_paths",
    "resolve_module",
    "training_mode",
]

_MAX_LISTED_PATHS = 12


class HookSet:
    """A set of hook handles that this object registered and alone removes.

    Use it as a context manager, or call :meth:`remove` yourself. Hooks registered by the user
    or by other ``HookSet`` instances on the same modules are never touched, so nested
    recordings and user hooks keep working.

    Examples
    --------
    >>> import torch
    >>> layer = torch.nn.Linear(2, 1)
    >>> seen = []
    >>> with HookSet() as hooks:
    ...     _ = hooks.add_forward_hook(layer, lambda m, args, out: seen.append(out.shape))
    ...     _ = layer(torch.zeros(3, 2))
    >>> seen, len(layer._forward_hooks)
    ([torch.Size([3, 1])], 0)
    """

    def __init__(self) -> None:
        self._handles: list[RemovableHandle] = []

    @property
    def handles(self) -> tuple[RemovableHandle, ...]:
        """The handles still owned (empty after :meth:`remove`)."""
        return tuple(self._handles)

    def __len__(self) -> int:
        return len(self._handles)

    def add_forward_hook(
        self,
        module: nn.Module,
        hook: Callable[..., Any],
        *,
        with_kwargs: bool = False,
        prepend: bool = False,
        always_call: bool = False,
    ) -> RemovableHandle:
        """Register ``hook`` as a forward hook on ``module`` and own its handle.

        The signature is ``hook(module, args, output)``, or ``hook(module, args, kwargs,
        output)`` with ``with_kwargs=True`` (see ``nn.Module.register_forward_hook``).
        """
        handle = module.register_forward_hook(
            hook, with_kwargs=with_kwargs, prepend=prepend, always_call=always_call
        )
        self._handles.append(handle)
        return handle

    def add_forward_pre_hook(
        self,
        module: nn.Module,
        hook: Callable[..., Any],
        *,
        with_kwargs: bool = False,
        prepend: bool = False,
    ) -> RemovableHandle:
        """Register ``hook`` as a forward pre-hook on ``module`` and own its handle."""
        handle = module.register_forward_pre_hook(hook, with_kwargs=with_kwargs, prepend=prepend)
        self._handles.append(handle)
        return handle

    def remove(self) -> None:
        """Remove every owned hook; calling it again does nothing.

        Handles are removed in reverse registration order and forgotten, so a second call (or
        the ``with`` exit after an explicit call) cannot touch hooks registered later by others.
        """
        while self._handles:
            self._handles.pop().remove()

    def __enter__(self) -> HookSet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"HookSet({len(self._handles)} hooks)"


class ModulePathError(KeyError):
    """A dotted module path that ``model.named_modules()`` does not contain.

    A ``KeyError`` so ``except KeyError`` works, but printed as plain text (``KeyError`` would
    quote the whole message).
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def module_paths(model: nn.Module) -> list[str]:
    """All dotted paths of ``model``, shared submodules listed under every alias."""
    return [name for name, _ in model.named_modules(remove_duplicate=False)]


def resolve_module(model: nn.Module, path: str) -> nn.Module:
    """Return the submodule of ``model`` at dotted ``path`` (``""`` is the model itself).

    Raises
    ------
    ModulePathError
        If ``path`` is not one of the names of ``model.named_modules()``; the message names the
        path, suggests close matches (``difflib``) and lists available paths.
    TypeError
        If ``path`` is not a string.
    """
    if not isinstance(path, str):
        raise TypeError(f"module path must be a str, got {type(path).__name__} {path!r}")
    modules = dict(model.named_modules(remove_duplicate=False))
    if path in modules:
        return modules[path]
    raise ModulePathError(_missing_path_message(model, path, list(modules)))


def _missing_path_message(model: nn.Module, path: str, names: list[str]) -> str:
    paths = [name for name in names if name]
    parts = [f"no submodule {path!r} in {type(model).__name__}"]
    owner, _, leaf = path.rpartition(".")
    if owner in names and leaf and hasattr(model.get_submodule(owner), leaf):
        parts.append(f"{leaf!r} is an attribute of {owner or 'the model'!r}, not a submodule")
    close = difflib.get_close_matches(path, paths, n=3, cutoff=0.6)
    if close:
        parts.append("did you mean " + " or ".join(repr(c) for c in close) + "?")
    if paths:
        listed = ", ".join(repr(n) for n in paths[:_MAX_LISTED_PATHS])
        more = len(paths) - _MAX_LISTED_PATHS
        parts.append("available paths: " + listed + (f", ... ({more} more)" if more > 0 else ""))
    else:
        parts.append("it has no submodules ('' is the model itself)")
    return "; ".join(parts)


class _ModeHold:
    """Threads inside ``training_mode(model, mode)`` blocks on one model, and its saved flags."""

    def __init__(self, model: nn.Module, mode: bool, previous: _ModeHold | None) -> None:
        self.mode, self.count, self.owner = mode, 0, threading.get_ident()
        self.previous = previous  # an outer block of the other mode in the owner thread
        self.saved = [(module, module.training) for module in model.modules()]


_HOLDS: weakref.WeakKeyDictionary[nn.Module, _ModeHold] = weakref.WeakKeyDictionary()
_HOLDS_LOCK = threading.Lock()


@contextmanager
def training_mode(model: nn.Module, mode: bool) -> Iterator[nn.Module]:
    """Temporarily call ``model.train(mode)``; restore every module's own flag on exit.

    The flags are restored per module (not with one ``model.train(previous)``), because a model
    may mix modes on purpose, e.g. a frozen BatchNorm kept in eval inside a training model.
    They are restored on normal exit and when the block raises.

    Re-entrant across threads: blocks of the same mode on one model share one saved state and
    the last one to leave restores it (two threads each saving and restoring used to leave the
    model in eval). A block of the other mode while another thread holds the model raises.
    """
    with _HOLDS_LOCK:
        hold = _HOLDS.get(model)
        if hold is not None and hold.mode != mode and hold.owner != threading.get_ident():
            raise RuntimeError(
                f"{type(model).__name__} is held in {'train' if hold.mode else 'eval'} mode by "
                f"another thread; cannot switch it to {'train' if mode else 'eval'} meanwhile"
            )
        if hold is None or hold.mode != mode:  # first holder, or nested in the owner thread
            hold = _ModeHold(model, mode, previous=hold)
            _HOLDS[model] = hold
            model.train(mode)
        hold.count += 1
    try:
        yield model
    finally:
        with _HOLDS_LOCK:
            hold.count -= 1
            if hold.count == 0:
                for module, flag in hold.saved:
                    module.training = flag
                if hold.previous is not None:
                    _HOLDS[model] = hold.previous
                elif _HOLDS.get(model) is hold:
                    del _HOLDS[model]


def eval_mode(model: nn.Module) -> AbstractContextManager[nn.Module]:
    """Shorthand for ``training_mode(model, False)``."""
    return training_mode(model, False)
