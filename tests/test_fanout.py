"""Fanning output dims out (symtorch_lab.fanout): a real Dask LocalCluster (2 worker processes)
and a local process pool give the serial run's fronts, a worker killed mid-search has its job
retried with nothing lost, Stop returns partial fronts, and a Session files fronts as they land.
"""

import os
import threading

import numpy as np
import pytest
import torch
from torch import nn

from symtorch_lab.backends.operon import OperonBackend
from symtorch_lab.distill import Distiller
from symtorch_lab.session import Session

distributed = pytest.importorskip("distributed")

BUDGET = dict(niterations=6, population_size=50, maxsize=10, timeout_in_seconds=None)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    Y = np.column_stack([X[:, 0] * X[:, 1], X[:, 2] - X[:, 0], X[:, 1] ** 2, X[:, 0] + 2.0])
    return X, Y


def fronts(distiller):
    return {
        dim: [(c.complexity, c.loss, str(c.expression)) for c in front.candidates]
        for dim, front in distiller.fronts_.items()
    }


@pytest.fixture(scope="module")
def serial(data):
    return fronts(Distiller(n_jobs=1, random_state=5, **BUDGET).fit(*data))


class DieOnce:
    """The Operon backend, but the first job to reach generation 2 kills its own worker
    process (a marker file tells later attempts it already happened)."""

    name = "operon"
    supports_custom_loss = False

    def __init__(self, marker):
        self.marker = str(marker)

    def search(self, X, y, names, spec, *, on_generation=None, **kwargs):
        def on_gen(progress):
            if progress.generation >= 2 and not os.path.exists(self.marker):
                with open(self.marker, "w") as f:
                    f.write(str(os.getpid()))
                os._exit(1)  # the worker dies mid-search, as on an OOM kill or a lost node
            return on_generation(progress) if on_generation is not None else None

        return OperonBackend().search(X, y, names, spec, on_generation=on_gen, **kwargs)


def test_dask_gives_the_serial_fronts_and_streams_live_ones(client, data, serial):
    events = []
    d = Distiller(executor=client, random_state=5, callbacks=[events.append], **BUDGET)
    assert fronts(d.fit(*data)) == serial
    assert not d.stopped_ and d.n_generations_ == {0: 6, 1: 6, 2: 6, 3: 6}
    assert d.stop_reasons_ == dict.fromkeys(range(4), "niterations")
    finals = [e for e in events if e.dim in e.done]
    assert sorted(e.dim for e in finals) == [0, 1, 2, 3]  # each front announced once filed
    assert all(e.front is not None for e in events)


def test_a_worker_killed_mid_search_is_retried_and_nothing_is_lost(client, data, serial, tmp_path):
    marker = tmp_path / "killed"
    d = Distiller(DieOnce(marker), executor=client, random_state=5, **BUDGET)
    assert fronts(d.fit(*data)) == serial
    assert marker.exists() and int(marker.read_text()) != os.getpid()  # a worker really died


def test_a_failing_job_is_reported_with_its_dim(client, data):
    d = Distiller(executor=client, random_state=5, loss=lambda p, t, w: 1 / 0, **BUDGET)
    with pytest.raises(RuntimeError, match=r"4 of 4 dims failed: output dim \d: ZeroDivision"):
        d.fit(*data)
    assert d.stop_reasons_ == dict.fromkeys(range(4), "error")


@pytest.mark.parametrize("engine", ["dask", "processes"])
def test_stop_reaches_every_worker_and_keeps_partial_fronts(engine, client, data):
    running = threading.Event()
    d = Distiller(
        executor=client if engine == "dask" else "processes", n_jobs=2, random_state=5,
        niterations=None, timeout_in_seconds=120.0, population_size=50, maxsize=10,
        callbacks=[lambda e: running.set()],
    )  # fmt: skip
    handle = d.fit_async(*data)
    assert running.wait(60), "no live front came back from the workers"
    handle.stop()
    handle.wait(60)
    assert d.stopped_ and d.stopped_dims_ and d.stopped_dims_ <= set(d.fronts_)
    assert len(d.fronts_) < 4  # 2 workers: the queued dims were not searched
    assert all(len(d.fronts_[dim].candidates) >= 1 for dim in d.stopped_dims_)
    assert {d.stop_reasons_[dim] for dim in d.stopped_dims_} == {"user"}


def test_processes_give_the_serial_fronts(data, serial):
    d = Distiller(executor="processes", n_jobs=2, random_state=5, **BUDGET)
    assert fronts(d.fit(*data)) == serial


def test_a_session_files_each_front_as_it_lands(client):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3))
    session = Session(model, torch.randn(200, 3), executor=client, random_state=5, **BUDGET)
    seen = []

    def check(event):
        if event.dim in event.done and len(event.done) < 3:
            seen.append((event.dim, event.dim in session.jobs["0"].fronts))

    job = session.distill("0", callbacks=[check])
    assert seen and all(filed for _, filed in seen)  # filed while others still ran
    assert sorted(job.fronts) == [0, 1, 2, 3] and job.progress_text() == "4/4 dims done"


def test_a_process_worker_killed_mid_search_is_retried_and_nothing_is_lost(data, serial, tmp_path):
    marker = tmp_path / "killed"
    d = Distiller(DieOnce(marker), executor="processes", n_jobs=2, random_state=5, **BUDGET)
    assert fronts(d.fit(*data)) == serial
    assert marker.exists() and int(marker.read_text()) != os.getpid()  # a worker really died
