"""Fan a Distiller's output dims out to an executor: local processes or a Dask cluster.

Why a module of its own: the Distiller's own path runs the dims of one module in threads of
the kernel (:func:`symtorch_lab._dims.run_dims`). Here each output dim is one picklable job
(data, names, settings, the same ``random_state`` the thread path gives every dim) handed to
an existing engine, so no scheduler is written here:

* ``"processes"``: a :class:`~concurrent.futures.ProcessPoolExecutor` (forkserver context,
  one Operon thread per job unless ``n_threads`` says otherwise), created and shut down per fit;
* any :class:`concurrent.futures.Executor` the caller owns;
* a ``dask.distributed.Client``: ``client.submit(..., retries=2, pure=False)`` and
  ``distributed.as_completed`` (``pip install symtorch_lab[dask]``).

While jobs run, each one streams its live front per generation back (a Manager queue, or a
``distributed.Queue``) and the caller feeds it to the Distiller's callbacks; ``stop()`` sets a
shared flag (a Manager ``Event``, or a ``distributed.Event``) that the search checks after
each generation, and jobs not started yet return at once without searching. Each finished
front is filed on the Distiller as it arrives (and announced to the callbacks with its dim in
``done``, which is how a Session files it at once). A job that fails (after the engine's
retries) is reported with its dim once the others have ended; nothing goes missing silently.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import queue as queue_module
import time
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _dims
from .front import ParetoFront

PROCESS_RETRIES = 2
"""How often a local process pool that broke (a worker died) is replaced and its lost dims
searched again."""
DASK_RETRIES = 2
"""How often Dask resubmits a job whose worker raised (a worker that dies is rescheduled by
the scheduler on its own, up to ``distributed.scheduler.allowed-failures`` times)."""
STREAM_EVERY_S = 0.2
"""A running job sends its live front at most this often (and always its last generation)."""
STOP_CHECK_S = 0.1
"""A job looks up the shared stop flag at most this often (each look is a round trip)."""


def runner_for(executor, n_workers: int):
    """The runner behind ``Distiller(executor=...)``; None for the thread path."""
    if executor is None or executor == "threads":
        return None
    if executor == "processes":
        return _PoolRunner(_process_pool(n_workers), owned=True)
    if isinstance(executor, cf.Executor):
        return _PoolRunner(executor, owned=False)
    if type(executor).__name__ == "Client" and hasattr(executor, "submit"):
        return _DaskRunner(executor)
    raise TypeError(
        "executor must be None, 'threads', 'processes', a concurrent.futures.Executor or a "
        f"dask.distributed.Client, got {executor!r}"
    )


def _process_pool(n_workers: int) -> cf.ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    # workers fork from a server that has imported the engine once (torch, pyoperon)
    context.set_forkserver_preload(["symtorch_lab.distill"])
    return cf.ProcessPoolExecutor(max_workers=n_workers, mp_context=context)


@dataclass
class DimTask:
    """Everything one dim's search needs in a worker (pickled; no callbacks, no threads)."""

    distiller: Any  # a bare copy of the Distiller: settings only
    backend: Any  # a backend name or instance, rebuilt with ``backend_options`` in the worker
    backend_options: dict
    spec: Any
    names: list
    dim: int
    dims: tuple[int, ...]
    X: np.ndarray
    y: np.ndarray
    w: np.ndarray
    split: tuple[np.ndarray, np.ndarray]


@dataclass
class DimResult:
    dim: int
    front: Any
    n_generations: int
    stopped: bool
    stop_reason: str = "niterations"  # one of symtorch_lab._ending.REASONS


def search_dim(task: DimTask, stop, stream) -> DimResult | None:
    """Worker side: one dim's search and front, or None when a stop came before it started."""
    from .backends import get_backend
    from .polish import warm_up

    if stop.is_set():
        return None
    warm_up()  # sympy's first call in a fresh worker is slow: not inside a polish's limit
    d = task.distiller
    d.fronts_, d.best_, d.n_generations_, d.stopped_ = {}, {}, {}, False
    d.stop_reasons_ = {}
    d.variable_names_ = task.names
    d._stop_event = _CachedFlag(stop)
    d._board = _dims.DimBoard(task.dims)
    d.callbacks = (_Stream(stream, task.dim),) if stream is not None else ()
    backend = get_backend(task.backend, **task.backend_options)
    d._fit_dim(backend, task.spec, task.dim, task.dims, task.X, task.y, task.w, task.split)
    stopped = d.stopped_ or stop.is_set()
    reason = d.stop_reasons_[task.dim]
    return DimResult(task.dim, d.fronts_[task.dim], d.n_generations_[task.dim], stopped, reason)


def fan_out(distiller, runner, spec, search, dims, X, Y, w, split, event_type) -> None:
    """Run the dims ``search`` on ``runner``, filing each front on ``distiller`` as it lands.

    A local process pool whose worker died (``BrokenProcessPool``: killed, out of memory) is
    replaced and the dims it lost are searched again, up to :data:`PROCESS_RETRIES` times (Dask
    retries on its own). Raises ``RuntimeError`` naming every dim whose job failed, after the
    others have ended.
    """
    errors: dict[int, BaseException] = {}
    for attempt in range(PROCESS_RETRIES + 1):
        lost = _fan_out_once(distiller, runner, spec, search, dims, X, Y, w, split, event_type)
        broken = {d: e for d, e in lost.items() if isinstance(e, cf.process.BrokenProcessPool)}
        errors.update({d: e for d, e in lost.items() if d not in broken})
        if not broken or not runner.renewable or distiller._stop_event.is_set():
            errors.update(broken)
            break
        if attempt == PROCESS_RETRIES:
            errors.update(broken)
            break
        runner, search = runner.renewed(), sorted(broken)
    if errors:
        lines = "; ".join(f"output dim {d}: {type(e).__name__}: {e}" for d, e in errors.items())
        raise RuntimeError(f"{len(errors)} of {len(dims)} dims failed: {lines}") from next(
            iter(errors.values())
        )


def _fan_out_once(distiller, runner, spec, search, dims, X, Y, w, split, event_type) -> dict:
    with runner:
        stop, stream = runner.shared()
        bare, names = _bare_copy(distiller), distiller.variable_names_
        options = distiller._backend_options()

        def task(dim: int) -> DimTask:
            own = spec[dim] if isinstance(spec, dict) else spec  # a budget per dim (decompose)
            return DimTask(bare, distiller.backend, options, own, names, dim, tuple(dims), X,
                           Y[:, dim], w, split)  # fmt: skip

        key = uuid.uuid4().hex[:8]
        pending = {
            runner.submit(search_dim, task(dim), stop, stream, key=f"symtorch-lab-dim-{dim}-{key}")
            : dim
            for dim in search
        }  # fmt: skip
        return _collect(distiller, runner, pending, stop, stream, event_type, dims)


def _collect(distiller, runner, pending, stop, stream, event_type, dims) -> dict:
    """Wait for every job: file fronts, relay live fronts, pass a stop on (Ctrl-C too)."""
    errors: dict[int, BaseException] = {}
    relay = _Relay(distiller, dims, event_type)
    stopping = False
    while pending:
        try:
            for future in runner.finished(list(pending), _dims._POLL_S):
                dim = pending.pop(future)
                try:
                    result = runner.result(future)
                except BaseException as exc:  # noqa: BLE001 - reported with its dim below
                    errors[dim] = exc
                    distiller.stop_reasons_[dim] = "error"
                    distiller._board.finish(dim, filed=False)
                    continue
                relay.drain(stream)
                relay.file(dim, result)
            relay.drain(stream)
            if distiller._stop_event.is_set() and not stopping:
                stopping = True
                stop.set()
                runner.cancel(list(pending))
        except KeyboardInterrupt:
            distiller._stop_event.set()  # running jobs end after their current generation
    return errors


class _Relay:
    """Caller side: live fronts from the stream → the Distiller's callbacks; results → filed."""

    def __init__(self, distiller, dims, event_type):
        self.d, self.dims, self.event_type = distiller, tuple(dims), event_type

    def drain(self, stream) -> None:
        for payload in _drain(stream):
            dim, generation, elapsed, front = _live_from_json(payload)
            if dim in self.d.fronts_:
                continue  # a late live front of a dim already filed
            self.d._board.start(dim)
            self._announce(dim, generation, elapsed, front)

    def file(self, dim: int, result: DimResult | None) -> None:
        d = self.d
        if result is None:  # stopped before it started: not searched, not filed
            d._board.finish(dim, filed=False)
            return
        d.fronts_[dim], d.best_[dim] = result.front, result.front.selected
        d.n_generations_[dim] = result.n_generations
        if result.stopped:
            d.stopped_dims_.add(dim)
            d.stopped_ = True
        by_callback = result.stop_reason == "user" and getattr(d, "_stop_cause", None) == "callback"
        d.stop_reasons_[dim] = "callback" if by_callback else result.stop_reason
        d._board.finish(dim, filed=True)
        self._announce(dim, result.n_generations, 0.0, result.front)

    def _announce(self, dim, generation, elapsed, front) -> None:
        event = self.event_type(
            dim, self.dims, generation, elapsed, front, **self.d._board.snapshot()
        )
        stop = False
        for cb in self.d.callbacks:
            stop = bool(cb(event)) or stop
        if stop:  # worker jobs see a plain stop: say who asked for it
            self.d._stop_cause = "callback"
            self.d._stop_event.set()


def _bare_copy(distiller):
    """The Distiller's settings without callbacks, locks, handles or fitted attributes."""
    bare = object.__new__(type(distiller))
    bare.__dict__ = {
        k: v for k, v in vars(distiller).items() if not k.startswith("_") and not k.endswith("_")
    }
    bare.callbacks = ()
    bare.executor = None
    bare.decompose = False  # the caller decomposes (decompose.fan_out): the network stays there
    bare.pysr_kwargs = dict(distiller.pysr_kwargs)  # a read-only mapping does not pickle
    return bare


class _Stream:
    """Worker side: send the live front of one dim, at most every ``STREAM_EVERY_S``."""

    def __init__(self, stream, dim: int):
        self.stream, self.dim, self.sent = stream, dim, 0.0

    def __call__(self, event) -> None:
        now = time.monotonic()
        if event.front is None or now - self.sent < STREAM_EVERY_S:
            return None
        self.sent = now
        self.stream.put(_live_to_json(self.dim, event.generation, event.elapsed, event.front))
        return None


def _live_to_json(dim: int, generation: int, elapsed: float, front) -> str:
    """A live front as JSON text: the stream is a queue on the cluster's scheduler that other
    clients can reach, so the caller reads data from it and never unpickles it."""
    data = {"dim": dim, "generation": generation, "elapsed": elapsed, "front": front.to_json()}
    return json.dumps(data)


def _live_from_json(payload: str):
    data = json.loads(payload)
    front = ParetoFront.from_json(data["front"])
    return int(data["dim"]), int(data["generation"]), float(data["elapsed"]), front


class _CachedFlag:
    """A shared stop flag looked up at most every ``STOP_CHECK_S`` (``is_set`` is remote)."""

    def __init__(self, flag):
        self.flag, self.checked, self.value = flag, 0.0, False

    def is_set(self) -> bool:
        now = time.monotonic()
        if not self.value and now - self.checked >= STOP_CHECK_S:
            self.checked, self.value = now, bool(self.flag.is_set())
        return self.value

    def set(self) -> None:  # Ctrl-C inside a worker's search
        self.value = True
        self.flag.set()


def _drain(stream) -> list:
    if hasattr(stream, "get_nowait"):  # a Manager queue
        out = []
        while True:
            try:
                out.append(stream.get_nowait())
            except queue_module.Empty:
                return out
    return list(stream.get(batch=True))  # a distributed.Queue: whatever is waiting


class _PoolRunner:
    """A ``concurrent.futures.Executor``; the stop flag and stream live in a Manager."""

    def __init__(self, pool: cf.Executor, owned: bool):
        self.pool, self.owned = pool, owned

    @property
    def renewable(self) -> bool:
        """A pool of our own can be replaced when it breaks; a caller's is theirs."""
        return self.owned and isinstance(self.pool, cf.ProcessPoolExecutor)

    def renewed(self) -> _PoolRunner:
        return _PoolRunner(_process_pool(self.pool._max_workers), owned=True)

    def __enter__(self):
        self.manager = multiprocessing.get_context("forkserver").Manager()
        return self

    def __exit__(self, *exc):
        if self.owned:
            self.pool.shutdown(wait=True, cancel_futures=True)
        self.manager.shutdown()

    def shared(self):
        return self.manager.Event(), self.manager.Queue()

    def submit(self, fn, *args, key: str):
        return self.pool.submit(fn, *args)

    def finished(self, futures, timeout: float):
        done, _ = cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return done

    def result(self, future):
        return None if future.cancelled() else future.result()

    def cancel(self, futures) -> None:
        for future in futures:
            future.cancel()  # only queued ones; running ones end on the stop flag


class _DaskRunner:
    """A ``dask.distributed.Client``: retried futures, a shared Event and Queue."""

    renewable = False  # Dask reschedules a dead worker's job itself

    def __init__(self, client):
        self.client = client

    def __enter__(self):
        from distributed import as_completed

        self.completed = as_completed()
        return self

    def __exit__(self, *exc):
        pass

    def shared(self):
        from distributed import Event, Queue

        name = uuid.uuid4().hex
        return (
            Event(f"symtorch-lab-stop-{name}", client=self.client),
            Queue(f"symtorch-lab-fronts-{name}", client=self.client),
        )

    def submit(self, fn, *args, key: str):
        future = self.client.submit(fn, *args, key=key, retries=DASK_RETRIES, pure=False)
        self.completed.add(future)
        return future

    def finished(self, futures, timeout: float):
        if not self.completed.has_ready():
            time.sleep(timeout)
        return self.completed.next_batch(block=False) if self.completed.has_ready() else []

    def result(self, future):
        return future.result()

    def cancel(self, futures) -> None:
        pass  # queued jobs see the stop flag and return at once; running ones keep partials
