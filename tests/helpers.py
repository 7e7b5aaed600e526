"""Helpers shared by tests (not fixtures)."""

import asyncio
import threading

import torch
from torch import nn


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


def linear_tanh() -> nn.Module:
    """``Sequential(Linear(2, 2), Tanh())`` with fixed weights: two known laws to distil,
    ``2*x0 - 3*x1 + 0.5`` and ``0.5*x0 + x1 - 1``, under a tanh."""
    lin = nn.Linear(2, 2)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[2.0, -3.0], [0.5, 1.0]]))
        lin.bias.copy_(torch.tensor([0.5, -1.0]))
    return nn.Sequential(lin, nn.Tanh())
