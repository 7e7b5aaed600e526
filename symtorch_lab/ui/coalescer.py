"""Hand updates from worker threads to the kernel thread, coalesced.

Why: engine callbacks (search progress, new front points) arrive on worker threads, many per
second. Comms and widget traits must only be touched from the kernel thread, and the browser
only needs a few updates per second. A :class:`Coalescer` collects *keys* of what changed from
any thread and calls ``flush(keys)`` on the kernel's event loop at most every ``interval``
seconds, with every key marked since the last flush. The flush reads the current state, so
intermediate states are skipped, never queued.

This module imports no UI package (only ``asyncio`` and ``threading``).
"""

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Hashable

log = logging.getLogger(__name__)


class Coalescer:
    """Coalesce change notifications and flush them on the kernel's event loop.

    Parameters
    ----------
    flush : callable
        ``flush(keys: set)``, called on the loop's thread. Exceptions are logged, not raised.
    interval : float
        Minimum seconds between two flushes.
    loop : asyncio.AbstractEventLoop, optional
        Defaults to the loop running in the calling thread (the kernel's, when created from a
        cell or a comm handler). Without one, flushes run synchronously in ``mark``.
    """

    def __init__(
        self,
        flush: Callable[[set[Hashable]], None],
        interval: float = 0.25,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._flush = flush
        self.interval = interval
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
        self._loop = loop
        self._loop_thread = threading.get_ident() if loop is not None else None
        self._lock = threading.Lock()
        self._pending: set[Hashable] = set()
        self._scheduled = False
        self._timer: asyncio.TimerHandle | None = None
        self._last = float("-inf")

    def mark(self, key: Hashable) -> None:
        """Note that ``key`` changed; safe from any thread."""
        with self._lock:
            self._pending.add(key)
            due = self._last + self.interval <= time.monotonic()
            on_loop = threading.get_ident() == self._loop_thread
            if self._loop is None or (on_loop and due):
                # Synchronous: no loop at all, or the kernel thread itself is busy in a cell
                # (its loop would only run after the cell), so publish now.
                run_now = True
            elif self._scheduled:
                return
            else:
                run_now = False
                self._scheduled = True
        if run_now:
            self._run()
        elif self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(self._schedule)
            except RuntimeError:  # loop closed (kernel shutting down): drop the update
                with self._lock:
                    self._scheduled = False

    def flush_now(self) -> None:
        """Flush pending keys immediately (call from the loop's thread).

        A flush already scheduled is cancelled: it would fire inside the next interval and
        double the rate (seen in the browser: 8 updates/s instead of 4).
        """
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._run()

    def _schedule(self) -> None:
        with self._lock:
            if not self._scheduled:  # flush_now ran between mark() and this callback
                return
        delay = max(0.0, self._last + self.interval - time.monotonic())
        assert self._loop is not None
        self._timer = self._loop.call_later(delay, self._timer_fired)

    def _timer_fired(self) -> None:
        self._timer = None
        self._run()

    def _run(self) -> None:
        with self._lock:
            keys, self._pending = self._pending, set()
            self._scheduled = False
            self._last = time.monotonic()
        if not keys:
            return
        try:
            self._flush(keys)
        except Exception:  # noqa: BLE001 - a broken view must not take the engine down
            log.exception("symtorch_lab: publishing an update failed")
