"""Background searches: the handle of a search running in its own thread.

Why a module of its own: a :class:`SearchHandle` is what a notebook holds while the kernel
stays responsive (``stop()``, ``wait()``, ``done``, done-callbacks like pyoperon's
``on_fit_end``), and what must be stopped cleanly when the interpreter exits; none of that is
the Distiller's search logic.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Protocol


class Distiller(Protocol):
    """What a handle needs of the searcher it runs (``symtorch_lab.distill.Distiller``)."""

    def stop(self) -> None: ...


log = logging.getLogger(__name__)

START_LOCK = threading.Lock()  # check-and-start of background searches
_RUNNING: weakref.WeakSet[SearchHandle] = weakref.WeakSet()
EXIT_WAIT_S = 30.0
"""At interpreter exit, how long to wait for stopped background searches to end."""


@atexit.register
def _stop_searches_at_exit() -> None:
    """Stop background searches and wait for them (bounded) before the interpreter exits:
    a daemon thread killed inside pyoperon's C++ aborted the process (SIGABRT)."""
    handles = [h for h in list(_RUNNING) if not h.done]
    for handle in handles:
        handle.stop()
    deadline = time.monotonic() + EXIT_WAIT_S
    for handle in handles:
        handle._thread.join(max(0.0, deadline - time.monotonic()))


class SearchHandle:
    """A search running in a background thread: ``stop()``, ``wait()``, ``done``, ``error``,
    and ``add_done_callback(fn)`` (like pyoperon's ``on_fit_end``)."""

    def __init__(self, distiller: Distiller):
        self.distiller = distiller
        self.error: BaseException | None = None
        self.started_at = time.monotonic()
        self._thread: threading.Thread | None = None
        self._done = False
        self._callbacks: list[Callable[[SearchHandle], None]] = []
        self._lock = threading.Lock()

    def _start(self, fn) -> None:
        def run():
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - surfaced by wait()
                self.error = exc
            finally:
                with self._lock:
                    self._done = True
                    callbacks, self._callbacks = self._callbacks, []
                for callback in callbacks:
                    self._call(callback)

        self._thread = threading.Thread(target=run, name="symtorch-lab-search", daemon=True)
        _RUNNING.add(self)
        self._thread.start()

    def add_done_callback(self, fn: Callable[[SearchHandle], None]) -> None:
        """Call ``fn(handle)`` when the search has ended and its results are filed.

        It runs in the search thread (after ``fn`` passed to the search has returned or
        raised), or at once in the calling thread if the search is already done. An exception
        in ``fn`` is logged, never raised into the search.
        """
        with self._lock:
            if not self._done:
                self._callbacks.append(fn)
                return
        self._call(fn)

    def _call(self, fn: Callable[[SearchHandle], None]) -> None:
        try:
            fn(self)
        except Exception:  # noqa: BLE001 - a broken listener must not break the search
            log.exception("symtorch_lab: a search done-callback failed")

    @property
    def done(self) -> bool:
        """True once the search has ended and its results are filed (before done-callbacks)."""
        return self._done

    def stop(self) -> None:
        self.distiller.stop()

    def wait(self, timeout: float | None = None) -> Distiller:
        """Block until the search ends; re-raise its error; return the fitted Distiller."""
        assert self._thread is not None
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"search still running after {timeout} s")
        if self.error is not None:
            raise self.error
        return self.distiller
