"""Per-output-dimension planning for the Distiller and the Session.

A wide layer is searched one output dimension (or PCA component) at a time, and each search
costs up to its whole budget. This module decides what deserves one and how they run:

* **negligible dimensions are not searched.** A PCA component of a rank-deficient output (a
  ``Linear(3, 32)`` has rank 3) carries only rounding noise; a raw output column can be
  constant. Both get a constant front (their mean, exact), marked with the reason;
* **how many dims run at once** (``n_jobs``): Operon searches release the GIL, so the dims of
  one module run in threads, one Operon thread each, as many as the cores allow;
* **running them**: daemon worker threads (never an executor, whose threads the interpreter
  joins at exit before any ``atexit`` hook can stop them), a stop that reaches every running
  dim and skips the ones not started, and the first error raised once all have ended;
* **where the fit stands**: which dims are done, running and skipped, for honest progress.

Thresholds
----------
``NEGLIGIBLE_VARIANCE = 1e-10``: a PCA component whose variance is below ``1e-10`` of the
total variance (its spread below 1e-5 of the data's) is negligible. Activations recorded in
float32 carry rounding noise near 1e-7 relative, i.e. variance ratios of 1e-15..1e-13: a
rank-deficient layer's extra components land there, far below the threshold, while anything a
surrogate needs is far above it. The same threshold gives the numerical rank that caps
``k_in``/``k_out="auto"``.

``FLOAT32_STEPS = 4``: a raw output column whose values all lie within 4 float32 rounding
steps of its largest magnitude (``ptp <= 4 * 2**-23 * max|y|``) is constant: the search engine
evaluates in float32 and could not tell its values apart.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

NEGLIGIBLE_VARIANCE = 1e-10
FLOAT32_STEPS = 4
_POLL_S = 0.05  # how often a waiting caller looks up (Ctrl-C is delivered between looks)


def negligible_components(ratios: Sequence[float]) -> dict[int, str]:
    """Components (by index) whose share of the total variance is below ``NEGLIGIBLE_VARIANCE``.

    ``ratios`` are a PCA's ``explained_variance_ratio_`` (all zero for constant data). The
    value of each entry is the reason, for the progress text and the front's mark.
    """
    return {
        i: f"negligible variance: {r:.1e} of the total (threshold {NEGLIGIBLE_VARIANCE:g})"
        for i, r in enumerate(np.asarray(ratios, dtype=float))
        if not r >= NEGLIGIBLE_VARIANCE
    }


def numerical_rank(Z: np.ndarray) -> int:
    """How many principal components of ``Z (n, d)`` are not negligible (at least 1)."""
    Z = np.asarray(Z, dtype=float)
    Zc = Z - Z.mean(axis=0)
    variances = np.linalg.svd(Zc, compute_uv=False) ** 2
    total = float(np.sum(Zc**2))
    ratios = variances / total if total > 0 else np.zeros_like(variances)
    return max(1, len(ratios) - len(negligible_components(ratios)))


def constant_columns(Y: np.ndarray, dims: Iterable[int]) -> dict[int, str]:
    """Raw output columns among ``dims`` that are constant up to float32 rounding."""
    out = {}
    eps32 = float(np.finfo(np.float32).eps)
    for d in dims:
        y = Y[:, d]
        spread, size = float(np.ptp(y)), float(np.max(np.abs(y)))
        if spread <= FLOAT32_STEPS * eps32 * size:
            out[d] = f"constant output (values within {spread:.3g} of each other)"
    return out


def default_n_jobs(n_jobs: int | None, n_dims: int, n_threads: int, concurrent: bool) -> int:
    """Dims searched at once: ``n_jobs`` if given, else ``cpu_count // n_threads`` capped at
    the number of dims; 1 when the backend cannot run two searches in one process."""
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, int)):
        raise TypeError(f"n_jobs must be an int or None, got {n_jobs!r}")
    if n_jobs is not None and n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1 (or None for one per core), got {n_jobs}")
    if not concurrent or n_dims <= 1:
        return 1
    wanted = n_jobs if n_jobs is not None else (os.cpu_count() or 1) // max(1, n_threads)
    return max(1, min(wanted, n_dims))


class DimBoard:
    """Which dims of one fit are done, running and skipped (thread-safe)."""

    def __init__(self, dims: Sequence[int]):
        self.dims = tuple(dims)
        self._lock = threading.Lock()
        self._done: list[int] = []
        self._running: set[int] = set()
        self.skipped: dict[int, str] = {}

    def skip(self, dim: int, reason: str) -> None:
        with self._lock:
            self.skipped[dim] = reason
            self._done.append(dim)

    def start(self, dim: int) -> None:
        with self._lock:
            self._running.add(dim)

    def finish(self, dim: int, filed: bool) -> None:
        with self._lock:
            self._running.discard(dim)
            if filed:
                self._done.append(dim)

    def snapshot(self) -> dict[str, tuple[int, ...]]:
        """``done`` (skipped included), ``running`` and ``skipped`` dims, each sorted."""
        with self._lock:
            return {
                "done": tuple(sorted(self._done)),
                "running": tuple(sorted(self._running)),
                "skipped": tuple(sorted(self.skipped)),
            }


def run_dims(
    dims: Sequence[int], fit_one: Callable[[int], None], n_jobs: int, stop: threading.Event
) -> None:
    """Call ``fit_one(dim)`` for every dim, ``n_jobs`` at a time, in dim order.

    Dims not started when ``stop`` is set are left out. With ``n_jobs == 1`` everything runs
    in the calling thread (the backend's own Ctrl-C handling applies). Otherwise workers run
    the dims and the caller waits; Ctrl-C sets ``stop`` (running dims end after their current
    generation, keeping partial fronts) and the wait goes on. An error in one dim sets
    ``stop`` too, and the first error (in dim order) is raised once every worker has ended.
    """
    if n_jobs <= 1:
        for dim in dims:
            if stop.is_set():
                return
            fit_one(dim)
        return
    pending = list(reversed(dims))
    errors: dict[int, BaseException] = {}
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not pending or stop.is_set():
                    return
                dim = pending.pop()
            try:
                fit_one(dim)
            except BaseException as exc:  # noqa: BLE001 - raised by the caller below
                errors[dim] = exc
                stop.set()
                return

    threads: list[threading.Thread] = []
    try:  # Ctrl-C can come while the workers start, too
        for i in range(min(n_jobs, len(dims))):
            threads.append(
                threading.Thread(target=worker, name=f"symtorch-lab-dim-{i}", daemon=True)
            )
            threads[-1].start()
        _wait(threads)
    except KeyboardInterrupt:
        stop.set()  # running dims end after their current generation, keeping their fronts
        _wait(threads)
    if errors:
        raise errors[min(errors)]


def _wait(threads: list[threading.Thread]) -> None:
    """Poll in short sleeps (not ``Thread.join``, which Ctrl-C can corrupt on 3.11)."""
    while any(t.is_alive() for t in threads):
        time.sleep(_POLL_S)


def describe(board_or_progress: Mapping) -> str:
    """``"dim 3 · 2/8 dims done · 1 skipped"``: the progress text of a running search.

    ``board_or_progress`` has ``dims`` (all dims of the module's search), ``done`` (those
    with a final front, skipped ones included), ``running``, ``skipped`` and optionally
    ``partial`` (fronts of dims a stop cut short, not counted as done) and ``note`` (a
    distil that found nothing to search says so first).
    """
    total = len(board_or_progress.get("dims") or ())
    running = list(board_or_progress.get("running") or ())
    parts = [str(board_or_progress["note"])] if board_or_progress.get("note") else []
    if running:
        label = "dim" if len(running) == 1 else "dims"
        parts.append(f"{label} {', '.join(str(d) for d in running)}")
    parts.append(f"{len(board_or_progress.get('done') or ())}/{total} dims done")
    n_partial = len(board_or_progress.get("partial") or ())
    if n_partial:
        parts.append(f"{n_partial} partial")
    n_skipped = len(board_or_progress.get("skipped") or ())
    if n_skipped:
        parts.append(f"{n_skipped} skipped")
    return " · ".join(parts)


def constant_front(y, w, variable_names, reason: str, model_selection: str = "best"):
    """The front of a dim that is not searched: its (weighted) mean, marked ``skipped``."""
    from .expression import Expression
    from .front import Candidate, ParetoFront

    y = np.asarray(y, dtype=float)
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=float)
    value = float(np.sum(w * y) / np.sum(w))
    loss = float(np.sum(w * (y - value) ** 2) / np.sum(w))
    expr = Expression(("const", value), variable_names)
    front = ParetoFront([Candidate(1, loss, expr)], model_selection=model_selection)
    front.skipped = reason
    return front


def plan_search(job, X, Y, names, settings, output_dims, resume: bool) -> list[int]:
    """Decide what the search does: keep finished fronts when resuming the same search, file
    constant fronts for negligible PCA components, and return the dims left to search.

    Sets ``job.progress`` to the plan, so it reads "0/8 dims done · 5 skipped" from the start.
    """
    key = _search_key(X, Y, names, settings)
    if not resume or key != job.search_key:
        job.fronts, job.skipped, job.partial = {}, {}, set()
    job.search_key = job.meta["search_key"] = key
    job.live = {d: job.fronts.pop(d) for d in sorted(job.partial) if d in job.fronts}
    job.partial = set()  # a stopped dim is searched again; its partial front shows meanwhile
    job.meta["partial"] = []
    dims = _check_dims(output_dims, Y.shape[1])
    if job.out_projection is not None:
        ratios = job.out_projection.explained_variance_ratio_.cpu().numpy()
        for dim, reason in negligible_components(ratios).items():
            if dim in dims and dim not in job.fronts:
                job.fronts[dim] = constant_front(
                    Y[:, dim], None, names, reason, settings.get("model_selection", "best")
                )
                job.skipped[dim] = reason
                job.live.pop(dim, None)
    kept = [d for d in dims if d in job.fronts]
    todo = [d for d in dims if d not in job.fronts]
    before = {**job.meta, **job.progress}  # how far the search that made the fronts got
    job.progress = {
        "dims": list(dims),
        "kept": kept,
        "done": kept,
        "running": [],
        "skipped": sorted(d for d in job.skipped if d in dims),
        "generation": 0 if todo else int(before.get("generation", 0)),
        "elapsed": 0.0 if todo else float(before.get("elapsed", 0.0)),
    }
    if not todo:  # said, not a "done: generation 0" that looks like an empty search
        job.progress["note"] = (
            f"nothing to search: every dim ({len(dims)}) has its final front for these rows "
            "and settings (change a setting, or distil with resume=False, to search afresh)"
        )
    return todo


def resume_state(meta: Mapping[str, Any], fronts: Mapping[int, Any]) -> tuple[str | None, set]:
    """``(search_key, partial dims)`` from a saved job's metadata; nothing that is not a
    64-digit hex digest or a dim with a front is taken."""
    key = meta.get("search_key")
    valid = isinstance(key, str) and len(key) == 64 and all(c in "0123456789abcdef" for c in key)
    partial = meta.get("partial", [])
    dims = partial if isinstance(partial, list) else []
    return (key if valid else None), {d for d in dims if type(d) is int and d in fronts}


def _check_dims(output_dims, n_outputs: int) -> list[int]:
    from ._params import check_dims

    return list(check_dims(output_dims, n_outputs))


def _search_key(X, Y, names, settings: Mapping[str, Any]) -> str:
    """A digest of what a search depends on: its rows, variable names and settings (callbacks
    ``n_jobs`` and ``executor`` excluded: they do not change the fronts)."""
    digest = hashlib.sha256()
    for array in (X, Y):
        array = np.ascontiguousarray(array, dtype=np.float64)
        digest.update(repr(array.shape).encode())
        digest.update(array.tobytes())
    digest.update(repr(list(names)).encode())
    ignored = ("callbacks", "n_jobs", "executor", "known_law")  # known_law only marks fronts
    kept = {k: v for k, v in settings.items() if k not in ignored}
    digest.update(repr(sorted(kept.items(), key=lambda kv: kv[0])).encode())
    return digest.hexdigest()


def skip_constant_dims(distiller, dims, X, Y, w, split, event_type) -> list[int]:
    """Start a Distiller fit's per-dim bookkeeping (``_board``, ``skipped_``,
    ``stopped_dims_``), file a constant front for each constant output column (one
    ``event_type`` progress event each, so live views show them at once), and return the
    dims left to search."""
    train, val = split
    distiller.stopped_dims_ = set()
    distiller._board = board = DimBoard(dims)
    distiller.skipped_ = constant_columns(Y[train], dims)
    for dim, reason in distiller.skipped_.items():
        front = constant_front(
            Y[train, dim], w[train], distiller.variable_names_, reason, distiller.model_selection
        )
        if len(val):
            front = front.rescore(X[val], Y[val, dim])
        distiller.fronts_[dim], distiller.best_[dim] = front, front.selected
        distiller.n_generations_[dim] = 0
        board.skip(dim, reason)
    for dim in distiller.skipped_:
        event = event_type(dim, tuple(dims), 0, 0.0, distiller.fronts_[dim], **board.snapshot())
        for cb in distiller.callbacks:
            cb(event)
    return [d for d in dims if d not in distiller.skipped_]
