"""SearchHandle: background searches, their done-callbacks, and a clean interpreter exit."""

import subprocess
import sys
import threading

import numpy as np
import pytest

from symtorch_lab.background import SearchHandle
from symtorch_lab.distill import Distiller


@pytest.fixture(scope="module")
def product_data():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (300, 3))
    return X, X[:, 0] * X[:, 1]


def quick(**kw):
    params = dict(
        population_size=200, niterations=15, timeout_in_seconds=30, random_state=0, max_rows=300
    )
    return Distiller(**{**params, **kw})


def test_done_callbacks_run_in_the_search_thread_after_the_fronts_are_filed(product_data):
    X, y = product_data
    d = quick(niterations=3)
    seen = []
    handle = d.fit_async(X, y)
    assert isinstance(handle, SearchHandle)
    handle.add_done_callback(
        lambda h: seen.append((h, threading.current_thread().name, h.done, sorted(d.fronts_)))
    )
    handle.add_done_callback(lambda h: 1 / 0)  # a broken listener is logged, not raised
    handle.wait(timeout=30)
    assert seen == [(handle, "symtorch-lab-search", True, [0])]
    handle.add_done_callback(lambda h: seen.append("late"))  # already done: called at once
    assert seen[-1] == "late"


EXIT_DURING_SEARCH = """
import numpy as np, time
from symtorch_lab.distill import Distiller
X = np.random.default_rng(0).uniform(-1, 1, (300, 2))
Distiller(population_size=100, niterations=100_000, max_rows=300).fit_async(X, X[:, 0] * X[:, 1])
time.sleep(0.5)
"""


def test_interpreter_exit_during_a_background_search_ends_cleanly():
    out = subprocess.run([sys.executable, "-c", EXIT_DURING_SEARCH], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-500:]
