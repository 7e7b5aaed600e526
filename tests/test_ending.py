"""Why a search ended, per dim (walk issue: the pinn notebook said "(stopped)" when a
callback, ``stop_when_fitted``, ended the search, and a timeout looked like a finished run),
and progress while the candidates are polished (the demo looked frozen for minutes)."""

import numpy as np
import pytest

from symtorch_lab._ending import describe
from symtorch_lab.distill import Distiller


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (200, 2))
    return X, X[:, 0] * X[:, 1] + np.sin(X[:, 0])


def small(**kw):
    params = dict(population_size=100, niterations=15, timeout_in_seconds=None, max_rows=200)
    return Distiller(**{**params, **kw})


def test_a_callback_stop_is_not_reported_as_the_users_stop(data):
    d = small(callbacks=[lambda e: e.generation >= 2]).fit(*data)
    assert d.stopped_ and d.n_generations_[0] < 15
    assert d.stop_reasons_ == {0: "callback"}
    assert describe(d.stop_reasons_, d) == "stopped by a callback"


def test_the_users_stop_says_so(data):
    holder = {}

    def stop_at_two(event):
        if event.generation >= 2:
            holder["d"].stop()

    d = holder["d"] = small(callbacks=[stop_at_two])
    d.fit(*data)
    assert d.stop_reasons_ == {0: "user"}
    assert describe(d.stop_reasons_, d) == "stopped by you"


def test_all_generations_run_is_the_generation_budget(data):
    d = small(niterations=3).fit(*data)
    assert not d.stopped_ and d.stop_reasons_ == {0: "niterations"}
    assert describe(d.stop_reasons_, d) == "generation budget reached (niterations=3)"


def test_a_search_cut_by_its_time_budget_says_timeout(data):
    d = small(niterations=None, timeout_in_seconds=0.5).fit(*data)
    assert d.stop_reasons_ == {0: "timeout"}
    assert describe(d.stop_reasons_, d) == "time budget reached (timeout_in_seconds=0.5)"


def test_dims_that_ended_differently_are_named(data):
    X, y = data
    d = small(niterations=3, n_jobs=1, callbacks=[lambda e: e.dim == 1 and e.generation >= 1])
    d.fit(X, np.column_stack([y, X[:, 1] ** 2]))
    assert d.stop_reasons_ == {0: "niterations", 1: "callback"}
    assert describe(d.stop_reasons_, d) == (
        "dim 0: generation budget reached (niterations=3); dim 1: stopped by a callback"
    )


class PolishWatcher:
    def __init__(self):
        self.events = []

    def __call__(self, event):
        return None

    def on_polish(self, event):
        self.events.append(event)


def test_a_callback_with_on_polish_sees_each_candidate_polished(data):
    watcher = PolishWatcher()
    d = small(niterations=5, callbacks=[watcher]).fit(*data)
    done = [e.done for e in watcher.events]
    total = watcher.events[0].total
    assert total >= 2 and done == list(range(total + 1))
    assert {(e.dim, e.generation, e.stop_reason) for e in watcher.events} == {(0, 5, "niterations")}
    assert len(d.fronts_[0]) >= 1


def test_the_demo_says_why_its_search_ended_and_counts_the_polish(data, capsys):
    """``symtorch-lab demo``: the bar stopped at 52/100 at the time budget, then nothing
    printed for minutes while the candidates were polished."""
    from symtorch_lab.demo import TqdmProgress

    lines = []
    bar = TqdmProgress(100, log=lines.append)
    d = small(niterations=100_000, timeout_in_seconds=0.5, callbacks=[bar]).fit(*data)
    n = len(d.fronts_[0])
    assert len(lines) == 1 and lines[0].startswith(
        f"dim 0: time budget reached at generation {d.n_generations_[0]}; polishing "
    )
    total = int(lines[0].split("polishing ")[1].split()[0])
    assert total >= n
    assert f"{total}/{total}" in capsys.readouterr().err  # the polish bar ran to its end
