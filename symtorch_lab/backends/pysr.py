"""Optional PySR backend: the same protocol over ``pysr.PySRRegressor``.

PySR needs Julia and SymbolicRegression.jl. Where they are missing, ``import pysr`` tries to
download Julia with ``urllib`` and no timeout (research §3), which can hang a notebook kernel on
a network that drops packets. So availability is probed once in a subprocess with a timeout
and in offline mode, and ``pysr`` is imported in-process only when that probe succeeded.

PySR's ``fit`` blocks until its budget is spent and offers no Python callback, so the live
front is streamed by running the search in chunks: one ``PySRRegressor`` with
``warm_start=True`` (documented: "Tells fit to continue from where the last call to fit
finished") is fitted ``iterations_per_update`` iterations at a time, and after each chunk its
hall of fame (``equations_``) goes to ``on_generation``. Stop requests are honoured between
chunks, so they take effect within one chunk. (Polling the hall-of-fame CSV that PySR writes
to ``output_directory/run_id/hall_of_fame.csv`` during a fit would show progress too, but could
not stop the search.) What PySR cannot give here is a Python-callable loss (PySR's custom losses
are Julia code).
"""

from __future__ import annotations

import importlib.util
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from ._data import check_inputs, subsample
from .base import LossFn, Progress, ProgressCallback, RawCandidate, SearchSpec, pareto_filter

# Canonical name -> PySR spelling, where they differ (unary names are PySR's own).
_PYSR_SPELLING = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}
_ISLAND = 27  # PySR's default population_size: spec.population_size is split into islands
_PYSR_MIN_MAXSIZE = 7  # PySR refuses smaller
_UNBOUNDED_ITERATIONS = 10**9  # a time budget alone: PySR needs an iteration count

_availability: bool | None = None
_availability_lock = threading.Lock()


def pysr_available(timeout: float = 60.0, *, refresh: bool = False) -> bool:
    """Whether PySR can run here, probed once per process in a subprocess.

    The probe runs ``import pysr`` with ``PYTHON_JULIAPKG_OFFLINE=yes`` so it never downloads
    anything: it succeeds only where Julia and PySR's Julia packages are already installed.
    It never imports ``pysr`` into this process. ``refresh=True`` probes again.
    """
    global _availability
    with _availability_lock:
        if _availability is None or refresh:
            _availability = _installed() and _probe_command(
                [sys.executable, "-c", "import pysr"],
                timeout,
                env={**os.environ, "PYTHON_JULIAPKG_OFFLINE": "yes"},
            )
        return _availability


def _installed() -> bool:
    """Whether the pysr package is on the path (finding it imports nothing)."""
    return importlib.util.find_spec("pysr") is not None


def _probe_command(command: Sequence[str], timeout: float, env=None) -> bool:
    """True when ``command`` exits with 0 within ``timeout`` s; kills its process group if not."""
    try:
        proc = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # so a Julia child started by the probe dies with it
        )
    except OSError:
        return False
    try:
        return proc.wait(timeout=timeout) == 0
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return False


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            proc.kill()
    except OSError:
        pass
    proc.wait()


def pysr_params(spec: SearchSpec) -> dict[str, Any]:
    """``PySRRegressor`` keyword arguments equivalent to ``spec``."""
    if spec.maxsize < _PYSR_MIN_MAXSIZE:
        raise ValueError(f"PySR requires maxsize >= {_PYSR_MIN_MAXSIZE}, got {spec.maxsize}")
    island = min(_ISLAND, spec.population_size)
    params: dict[str, Any] = {
        "binary_operators": [_PYSR_SPELLING.get(n, n) for n in spec.binary_operators],
        "unary_operators": list(spec.unary_operators),
        "maxsize": spec.maxsize,
        "niterations": spec.niterations or _UNBOUNDED_ITERATIONS,
        "timeout_in_seconds": spec.timeout_in_seconds,
        "populations": max(1, math.ceil(spec.population_size / island)),
        "population_size": island,
        "random_state": spec.random_state,
        "verbosity": 0,
        "progress": False,
        "temp_equation_file": True,  # no outputs/ folder in the user's working directory
        "delete_tempfiles": True,
    }
    if spec.n_threads == 1:  # PySR is reproducible only serially
        params.update(parallelism="serial", deterministic=True)
    else:
        params.update(parallelism="multithreading", procs=spec.n_threads, deterministic=False)
    return params


def candidates_from_equations(equations) -> list[RawCandidate]:
    """RawCandidates from PySR's ``equations_`` table (complexity, loss, equation columns).

    PySR writes equations with the ``variable_names`` given to ``fit``, so the strings are
    already in the caller's names. The table is Pareto-filtered like every backend's output.
    """
    missing = [c for c in ("complexity", "loss", "equation") if c not in equations.columns]
    if missing:
        raise ValueError(f"PySR equations_ lacks columns {missing}; has {list(equations.columns)}")
    rows = equations[["complexity", "loss", "equation"]].itertuples(index=False)
    cands = [RawCandidate(int(c), float(loss), str(eq)) for c, loss, eq in rows]
    return pareto_filter(cands)


class PySRBackend:
    """PySR behind the :class:`~.base.SearchBackend` protocol (needs Julia).

    Parameters
    ----------
    iterations_per_update : int
        PySR iterations per chunk of the search: the live front is updated, and a stop
        request is seen, after each chunk. Smaller means a livelier front and a quicker stop;
        each chunk costs one ``fit`` call's setup.
    **pysr_options
        Extra ``PySRRegressor`` arguments (``procs``, ``parsimony``, ...); they override the
        values derived from the :class:`~.base.SearchSpec` (``warm_start`` stays True: the
        chunks depend on it).
    """

    name = "pysr"
    supports_custom_loss = False

    def __init__(self, *, iterations_per_update: int = 5, **pysr_options: Any) -> None:
        if (
            isinstance(iterations_per_update, bool)
            or not isinstance(iterations_per_update, int)
            or iterations_per_update < 1
        ):
            raise ValueError(
                f"iterations_per_update must be an integer >= 1, got {iterations_per_update!r}"
            )
        self.iterations_per_update = iterations_per_update
        self.pysr_options = dict(pysr_options)

    def search(
        self,
        X,
        y,
        variable_names: Sequence[str],
        spec: SearchSpec,
        *,
        sample_weight=None,
        on_generation: ProgressCallback | None = None,
        stop_event: threading.Event | None = None,
        loss: LossFn | None = None,
    ) -> list[RawCandidate]:
        started = time.monotonic()
        X, y, names, weights = check_inputs(X, y, variable_names, sample_weight)
        if loss is not None:
            raise NotImplementedError(
                "the pysr backend takes no Python loss callable (PySR losses are Julia code, "
                "pass elementwise_loss=... as a PySR option); the Distiller rescores "
                "candidates under the loss works with any backend"
            )
        params = {**pysr_params(spec), **self.pysr_options}
        if not pysr_available():
            raise RuntimeError(_UNAVAILABLE)
        if stop_event is not None and stop_event.is_set():
            return []
        rows = subsample(len(X), spec.max_rows, spec.random_state)
        fit_kwargs: dict[str, Any] = {"variable_names": list(names)}
        if weights is not None:
            fit_kwargs["weights"] = weights[rows]
        model = self._make_regressor({**params, "warm_start": True})
        chunks = _Chunks(params, self.iterations_per_update, started, on_generation, stop_event)
        return chunks.run(model, X[rows], y[rows], fit_kwargs)

    @staticmethod
    def _make_regressor(params: dict[str, Any]):
        from pysr import PySRRegressor  # only after pysr_available(): may start Julia

        return PySRRegressor(**params)


class _Chunks:
    """One PySR search run as warm-started ``fit`` calls of a few iterations each.

    The iteration budget is split exactly (the chunks add up to ``niterations``); a time
    budget is shared: each chunk gets what is left of ``timeout_in_seconds``.
    """

    def __init__(self, params, per_chunk: int, started: float, on_generation, stop_event):
        self.total = int(params["niterations"])
        self.timeout = params.get("timeout_in_seconds")
        self.per_chunk, self.started = per_chunk, started
        self.on_generation, self.stop_event = on_generation, stop_event
        self.done = 0

    def run(self, model, X, y, fit_kwargs) -> list[RawCandidate]:
        front: list[RawCandidate] = []
        while self.done < self.total:
            settings = self._next_settings()
            if settings is None:
                break  # the time budget is spent
            model.set_params(**settings)
            try:
                model.fit(X, y, **fit_kwargs)
            except KeyboardInterrupt:
                if self.stop_event is not None:
                    self.stop_event.set()  # later searches of the same fit stop too
                break  # the front of the last finished chunk is the partial result
            self.done += settings["niterations"]
            front = candidates_from_equations(model.equations_)
            if self._should_stop(front):
                break
        return front

    def _next_settings(self) -> dict[str, Any] | None:
        settings: dict[str, Any] = {"niterations": min(self.per_chunk, self.total - self.done)}
        if self.timeout is not None:
            left = self.timeout - (time.monotonic() - self.started)
            if left <= 0:
                return None
            settings["timeout_in_seconds"] = left
        return settings

    def _should_stop(self, front: list[RawCandidate]) -> bool:
        if self.on_generation is not None:
            progress = Progress(self.done, time.monotonic() - self.started, tuple(front))
            if self.on_generation(progress):
                return True
        return self.stop_event is not None and self.stop_event.is_set()


_UNAVAILABLE = (
    "PySR is not usable here: it needs the pysr package plus Julia and SymbolicRegression.jl "
    "installed beforehand (this check never downloads them). Install with "
    "`pip install pysr` and run `python -c 'import pysr'` once with network access, then "
    "call symtorch_lab.backends.pysr.pysr_available(refresh=True). Or use backend='operon', "
    "the embedded engine, which needs no Julia."
)
