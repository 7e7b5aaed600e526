"""Shared fixtures. One torch thread: the CI machine has two cores and tests run beside
symbolic-regression searches, where oversubscribed OpenMP threads only slow both down."""

import pytest
import torch
from torch import nn

torch.set_num_threads(1)


@pytest.fixture
def tiny_model():
    """``nn.Sequential`` of two Linear layers with a Tanh between them."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))


@pytest.fixture
def python_sigint():
    """Ctrl-C as Python's KeyboardInterrupt for this test, however the runner was started.

    A runner started in the background (``nohup ... &``) inherits SIGINT ignored; then
    ``_thread.interrupt_main()`` and ``os.kill(pid, SIGINT)`` do nothing and a test waiting
    for Ctrl-C waits forever (a full CI run hung so, twice).
    """
    import signal

    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)
