"""The handle of a SLIME explanation running in a background thread.

It is the engine's :class:`~symtorch_lab.background.SearchHandle` (``stop()``, ``wait()``,
``done``, ``add_done_callback``; stopped and joined at interpreter exit) plus ``result()``,
which returns the :class:`~symtorch_lab.explanation.Explanation`. ``done`` works both as the
engine's property (``handle.done``) and as a call (``handle.done()``, concurrent.futures).
"""

from __future__ import annotations

import threading

from .background import SearchHandle


class _Done:
    """A truth value that can also be called: ``handle.done`` and ``handle.done()``."""

    __slots__ = ("value",)

    def __init__(self, value: bool):
        self.value = value

    def __bool__(self) -> bool:
        return self.value

    def __call__(self) -> bool:
        return self.value

    def __eq__(self, other) -> bool:
        return bool(other) == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return repr(self.value)


class ExplanationHandle(SearchHandle):
    """A running explanation: ``stop()`` ends its search keeping the front found so far."""

    def __init__(self):
        self.event = threading.Event()
        self._searcher = None
        self._result = None
        super().__init__(self)  # the handle is its own stoppable "distiller"

    def _attach(self, distiller) -> None:
        """The Distiller now searching (each repeat has its own); a pending stop reaches it."""
        self._searcher = distiller
        if self.event.is_set():
            distiller.stop()

    def _start(self, fn) -> None:
        def run():
            self._result = fn()

        super()._start(run)

    def stop(self) -> None:
        self.event.set()
        searcher = self._searcher
        if searcher is not None:
            searcher.stop()

    @property
    def done(self) -> _Done:  # type: ignore[override]
        return _Done(self._done)

    def result(self, timeout: float | None = None):
        """Wait for the explanation (re-raising its error) and return it."""
        self.wait(timeout)
        return self._result
