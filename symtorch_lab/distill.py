"""The Distiller: symbolic regression per output dimension, with a live Pareto front.

It turns a recording (``X`` → ``Y``) into one :class:`~symtorch_lab.front.ParetoFront` per
output dimension. It owns what every backend shares: PySR-compatible parameter names,
operator validation before any search starts, float64 constant refits (Operon evaluates in
float32), custom losses, validation rescoring, progress callbacks, Stop, and running in a
background thread so a notebook kernel stays responsive. Backends only search.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Iterable, Sequence

import numpy as np

from . import _dims, _ending, _params, _restarts, dimensional, fanout, units
from . import decompose as _decompose
from ._live_front import (  # noqa: F401 - DistillProgress, Callback: public here
    Callback,
    DistillProgress,
    _LiveFront,
    _target_scale,
    _unscaled,
    _within,
)
from .backends import get_backend
from .backends.base import RawCandidate, SearchSpec
from .background import START_LOCK, SearchHandle
from .expression import Expression
from .front import Candidate, ParetoFront
from .operators import validate_operators
from .polish import polish

log = logging.getLogger(__name__)


class Distiller:
    """Search closed-form expressions for each output dimension of a recording.

    Parameters follow PySR's names (``binary_operators``, ``unary_operators``, ``maxsize``,
    ``niterations``, ``timeout_in_seconds``, ``population_size``, ``model_selection``,
    ``random_state``); PySR-only tuning knobs are accepted and ignored on Operon with a
    warning, and unknown names raise ``TypeError`` with suggestions.

    Parameters
    ----------
    backend : {"operon", "pysr"} or SearchBackend
        ``"operon"`` (embedded, default) or ``"pysr"`` (needs Julia).
    loss : callable, optional
        ``loss(pred, target, weight) -> scalar torch tensor``. Constants of every candidate
        are refitted under it and candidates are ranked by it.
    callbacks : sequence of callables
        ``on_generation_end(progress) -> bool | None``; ``True`` stops the search.
    max_rows : int
        Recordings are subsampled to this many rows for the search (refits use them too).
    validation_fraction : float
        Share of rows held out to rescore candidates (``val_loss``) and pick by it.
    n_jobs : int, optional
        Output dims searched at once, each in its own thread with ``n_threads`` Operon
        threads. Default: one per core (``os.cpu_count() // n_threads``), at most one per dim.
        Every dim is searched with the same ``random_state`` and its own data, so the searches
        (and the fronts' complexities and losses) equal a serial run's (``n_jobs=1``); the
        float64 refit of an over-parameterised candidate can land on another equally good set
        of constants in a worker thread. The PySR backend always runs one dim at a time.
    executor : None, "threads", "processes", concurrent.futures.Executor or dask Client
        Where the output dims run (see :mod:`symtorch_lab.fanout`). None / ``"threads"``:
        threads of this process (above). ``"processes"``: a local process pool of ``n_jobs``
        workers; an ``Executor`` or a ``dask.distributed.Client``: one job per dim there
        (retried twice on Dask). Fronts equal the serial run's; live fronts stream back to
        ``callbacks`` and ``stop()`` reaches every job (a callback returning True stops them
        all). ``loss`` must then be picklable (a module-level function).
    known_law : str, optional
        A law in infix over the variable names (``"k*q1*q2/r^2"``): each final front marks
        the candidates that recover it (``ParetoFront.mark_law``, metric ``recovers_law``).
    units : mapping, optional
        Units per variable and output (``{"x": "m", "t": "s", "y": "m/s"}``, see
        :mod:`symtorch_lab.units`): each final front marks its candidates dimensionally
        consistent or not (metric ``dim_consistent``). Constants are wildcards unless
        ``dimensionless_constants``. The pick (not Operon's search, which cannot take it)
        multiplies inconsistent candidates' losses by ``1 + units_penalty``.
    restarts : int
        Independent searches per dim (seeds ``random_state + i * 7919``) run in threads and
        merged into one front: both cores on one dim (:mod:`symtorch_lab._restarts`).
    decompose : bool
        Test the network (``fit(..., network=f)``) for additive / multiplicative separability
        and symmetries on its autograd derivatives; when one holds, search the pieces and put
        the recombined candidates on the same front (:mod:`symtorch_lab.decompose`). The test
        runs first; when a split holds the plain search gets half the budget and the pieces the
        rest (with an ``executor``, side by side), else the plain search gets all of it.
    dimensional_analysis : bool
        With ``units`` of the inputs and output, also search in the inputs' dimensionless groups
        (Buckingham π) and put the rebuilt laws on the same front (:mod:`.dimensional`).
    noise_floor : float, optional
        The error the distilled network itself leaves (e.g. its validation MSE), for
        ``model_selection="floor"``: the simplest candidate at that floor is picked.

    Attributes
    ----------
    fronts_ : dict[int, ParetoFront]
        One front per distilled output dimension.
    best_ : dict[int, Candidate]
        The pick on each front.
    n_generations_ : dict[int, int]
    decomposition_ : dict[int, dict]
        With ``decompose``: per dim, the split, the test's seconds and the budget and
        generations of the plain search and of each piece.
    stopped_ : bool
        True when the search was stopped before its budget ran out.
    stopped_dims_ : set[int]
        Dims whose search ended because of a stop (their fronts are partial).
    stop_reasons_ : dict[int, str]
        Why each searched dim ended: ``"niterations"``, ``"timeout"``, ``"user"`` (``stop()``,
        Ctrl-C), ``"callback"`` (one returned True) or ``"error"`` (:mod:`._ending`).
    skipped_ : dict[int, str]
        Dims not searched, with the reason: a constant output column (float32 cannot tell its
        values apart) gets its mean as the only candidate, on a front marked ``skipped``.
    """

    def __init__(
        self,
        backend="operon",
        *,
        binary_operators: Sequence[str] = ("+", "-", "*", "/"),
        unary_operators: Sequence[str] = (),
        maxsize: int = 20,
        niterations: int | None = None,
        timeout_in_seconds: float | None = 60.0,
        population_size: int = 500,
        model_selection: str = "best",
        random_state: int = 0,
        n_threads: int = 1,
        n_jobs: int | None = None,
        executor=None,
        max_rows: int = 2000,
        loss=None,
        callbacks: Iterable[Callback] = (),
        validation_fraction: float = 0.0,
        refit: bool = True,
        known_law: str | None = None,
        units=None,
        dimensionless_constants: bool = False,
        units_penalty: float = 1000.0,
        decompose: bool = False,
        decompose_tol: float = 0.05,
        dimensional_analysis: bool = False,
        noise_floor: float | None = None,
        restarts: int = 1,
        **pysr_kwargs,
    ):
        self.backend = backend
        self.binary_operators = tuple(binary_operators)
        self.unary_operators = tuple(unary_operators)
        self.maxsize = maxsize
        self.niterations = niterations
        self.timeout_in_seconds = timeout_in_seconds
        self.population_size = population_size
        self.model_selection = model_selection
        self.random_state = random_state
        self.n_threads = n_threads
        self.n_jobs = n_jobs
        self.executor = executor
        self.max_rows = max_rows
        self.loss = loss
        self.callbacks = tuple(callbacks)
        self.validation_fraction = validation_fraction
        self.refit = refit
        self.known_law = known_law
        self.units = units
        self.dimensionless_constants = dimensionless_constants
        self.units_penalty = units_penalty
        self.decompose, self.decompose_tol = decompose, decompose_tol
        self.dimensional_analysis = dimensional_analysis
        self.noise_floor = noise_floor
        if isinstance(restarts, bool) or not isinstance(restarts, int) or restarts < 1:
            raise ValueError(f"restarts must be a positive int, got {restarts!r}")
        self.restarts = restarts
        own = [p for p in inspect.signature(Distiller.__init__).parameters if p != "self"]
        self.pysr_kwargs = _params.check_pysr_kwargs(pysr_kwargs, backend, own)
        self._stop_event, self._stop_cause = threading.Event(), None

    # --- public ----------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, *, variable_names=None, output_dims=None, network=None):
        """Run one search per output dimension; returns ``self``.

        ``stop()`` (or a callback returning True, or Ctrl-C) ends the search after the
        current generation; dimensions finished so far and the partial front are kept.
        ``network`` (a torch callable from X rows to y, the network being distilled) is
        what ``decompose=True`` tests for separability (:mod:`symtorch_lab.decompose`).
        """
        self._stop_event.clear()
        self._stop_cause = None  # "callback" when a fan-out callback stops every dim
        return self._fit(
            X,
            y,
            sample_weight,
            variable_names=variable_names,
            output_dims=output_dims,
            network=network,
        )

    def _fit(
        self, X, y, sample_weight=None, *, variable_names=None, output_dims=None, network=None
    ):
        """:meth:`fit` without clearing a pending ``stop()`` (background runs use it)."""
        spec = self._spec()  # operators are checked before anything else runs
        self._network = _decompose.check_network(self, network)
        X, Y, w, names = _params.check_data(X, y, sample_weight, variable_names)
        dims = _params.check_dims(output_dims, Y.shape[1])
        self.fronts_: dict[int, ParetoFront] = {}
        self.best_: dict[int, Candidate] = {}
        self.n_generations_: dict[int, int] = {}
        self.decomposition_: dict[int, dict] = {}
        self.stopped_, self.stop_reasons_ = False, {}
        self.variable_names_ = names
        self.n_features_in_ = X.shape[1]
        units.check_marks(self, names)  # a typo in a law or a unit fails before the search
        dimensional.check(self, names)  # so does an output unit no input can make
        split = _params.split_rows(len(X), self.validation_fraction, self.random_state)
        backend = get_backend(self.backend, **self._backend_options())
        _params.warn_substitutions(backend, spec)  # "operon has no 'inv'": once, here
        search = _dims.skip_constant_dims(self, dims, X, Y, w, split, DistillProgress)
        concurrent = getattr(backend, "name", None) == "operon"  # Julia: one search at a time
        n_jobs = _dims.default_n_jobs(self.n_jobs, len(search), self.n_threads, concurrent)
        runner = fanout.runner_for(self.executor, max(1, n_jobs)) if search else None
        if runner is not None:
            if not concurrent:
                raise ValueError(f"executor={self.executor!r} needs the operon backend")
            out = _decompose.fan_out if self.decompose else fanout.fan_out
            out(self, runner, spec, search, dims, X, Y, w, split, DistillProgress)
            self.stopped_ = self.stopped_ or self._stop_event.is_set()
            return self

        def fit_one(dim: int) -> None:
            self._board.start(dim)
            try:
                elapsed = self._fit_dim(backend, spec, dim, dims, X, Y[:, dim], w, split)
            except BaseException:
                self.stop_reasons_[dim] = "error"
                raise
            finally:
                if self._stop_event.is_set():
                    self.stopped_dims_.add(dim)
                self._board.finish(dim, filed=dim in self.fronts_)
            self._announce_final(dim, dims, elapsed)

        _dims.run_dims(search, fit_one, n_jobs, self._stop_event)
        self.stopped_ = self.stopped_ or self._stop_event.is_set()
        return self

    def fit_async(self, X, y, sample_weight=None, **kwargs) -> SearchHandle:
        """Start :meth:`fit` in a background thread (pyoperon releases the GIL)."""
        with START_LOCK:
            running = getattr(self, "_handle", None)
            if running is not None and not running.done:
                raise RuntimeError("this Distiller is already searching; stop() or wait() first")
            self._handle = handle = SearchHandle(self)
        self._stop_event.clear()  # a stop() from here on is kept: fit may not have started yet
        self._stop_cause = None  # "callback" when a fan-out callback stops every dim
        handle._start(lambda: self._fit(X, y, sample_weight, **kwargs))
        return handle

    def stop(self) -> None:
        """Ask a running search to end after the current generation (thread-safe)."""
        self._stop_event.set()

    def predict(self, X, dims=None) -> np.ndarray:
        """Evaluate the picked expression of each dimension on ``X`` → (n, len(dims))."""
        X = np.asarray(X, dtype=float)
        dims = sorted(self.fronts_) if dims is None else list(dims)
        return np.column_stack([self.fronts_[d].selected.expression.numpy(X) for d in dims])

    # --- internals -------------------------------------------------------------------
    def _announce_final(self, dim: int, dims, elapsed: float) -> None:
        """The final front of ``dim`` to the callbacks, ``dim`` in ``done`` (as the fan-out
        path does): a session files it at once, so a save keeps it while other dims run."""
        front = self.fronts_.get(dim)
        if front is None or not self.callbacks:
            return
        event = DistillProgress(
            dim, tuple(dims), self.n_generations_.get(dim, 0), elapsed, front,
            **self._board.snapshot(),
        )  # fmt: skip
        for cb in self.callbacks:  # the dim is over: a True ("stop it") stops nothing else
            cb(event)

    def _backend_options(self) -> dict:
        """PySR-only keywords go to the PySR backend (Operon ignores them, with a warning)."""
        name = self.backend.strip().lower() if isinstance(self.backend, str) else None
        return dict(self.pysr_kwargs) if name == "pysr" else {}

    def _spec(self) -> SearchSpec:
        binary, unary = validate_operators(self.binary_operators, self.unary_operators)
        return SearchSpec(
            binary_operators=binary,
            unary_operators=unary,
            maxsize=self.maxsize,
            population_size=self.population_size,
            niterations=self.niterations,
            timeout_in_seconds=self.timeout_in_seconds,
            random_state=self.random_state,
            n_threads=self.n_threads,
            max_rows=self.max_rows,
        )

    def _fit_dim(self, backend, spec, dim, dims, X, y, w, split):
        train, val = split
        Xs, ys, ws = _params.subsample(X[train], y[train], w[train], self.max_rows, spec)
        scale = _target_scale(ys)  # the engine searches on y / scale, in float32
        live = _LiveFront(self, dim, dims, self.variable_names_, scale)
        # A custom loss drives the search itself where the engine can use it; otherwise the
        # engine searches on MSE and candidates are refitted and ranked under the loss below.
        custom = (
            {"loss": self.loss} if self.loss is not None and backend.supports_custom_loss else {}
        )
        spec, plan = _decompose.prepare(self, spec, dim, Xs)  # the split test sets the budget
        started = time.monotonic()
        raw = _restarts.search(self, backend, spec, Xs, ys / scale, ws, live, custom)
        wall = time.monotonic() - started
        self.n_generations_[dim] = live.generation
        if self._stop_event.is_set() or live.stopped:
            self.stopped_ = True
        self.stop_reasons_[dim] = _ending.reason(self, spec, live.generation, wall, live.stopped)
        if not raw:
            raise RuntimeError(f"output dim {dim}: the search returned no candidate")
        front = self._build_front(raw, Xs, ys, ws, scale, dim=dim)
        if plan is not None:
            front = _decompose.extend_front(self, front, plan, Xs, ys, ws)
            plan.report["plain"]["generations"] = live.generation
            self.decomposition_[dim] = plan.report
        if self.dimensional_analysis:
            front = dimensional.extend_front(self, front, Xs, ys, ws, dim)
        if len(val):
            front = front.rescore(X[val], y[val])
        self.fronts_[dim] = units.marked(self, front, dim)
        self.best_[dim] = front.selected
        return live.elapsed  # seconds at the last generation (the fan-out path ignores it)

    def _build_front(self, raw: Sequence[RawCandidate], X, y, w, scale=1.0, dim=0) -> ParetoFront:
        names = self.variable_names_
        cands = []
        refit = self.refit or self.loss is not None
        for i, rc in enumerate(raw):
            _ending.announce_polish(self, dim, i, len(raw))  # a polish can take minutes
            # back to original units; polish refits the constants and scores on the real y
            expr = Expression.from_infix(_unscaled(rc.infix, scale), names)
            expr, loss = polish(expr, X, y, w, self.loss, refit=refit)
            cands.append(Candidate(complexity=expr.complexity, loss=loss, expression=expr))
        _ending.announce_polish(self, dim, len(raw), len(raw))
        return ParetoFront(
            _within(cands, self.maxsize), self.model_selection, noise_floor=self.noise_floor
        )

    def __repr__(self) -> str:
        params = _params.describe(self)
        return f"Distiller({params})"
