"""Helpers shared by tests (not fixtures)."""

import asyncio
import threading


def run_in_fresh_loop(coro):
    """``asyncio.run(coro)`` on a thread of its own.

    The browser tests' sync Playwright keeps an event loop running on the main thread for the
    whole session, so a plain ``asyncio.run`` in a later test fails with "cannot be called from
    a running event loop". A thread has no running loop; the result or error comes back here.
    """
    box: dict = {}

    def target():
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="stl-test-loop")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")
