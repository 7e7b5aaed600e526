"""CONTRACT TEST for the PySR backend: PySR cannot run on this machine (no Julia, and
``import pysr`` tries to download it), so these tests check our side of the contract only.

* ``SearchSpec`` -> ``PySRRegressor`` keyword arguments;
* conversion of an ``equations_`` table shaped like PySR's into RawCandidates;
* the search flow against ``ContractPySRRegressor``, a fake that follows PySR's documented
  interface (``warm_start``, ``niterations``, ``set_params``, ``equations_`` columns): the
  search runs as warm-started chunks, the live front grows chunk by chunk, a stop between
  chunks returns the partial front, and the chunks add up to the requested ``niterations``;
* availability detection in a subprocess with a timeout, never importing ``pysr`` here.

The one test that runs real PySR is marked ``julia`` and skips unless PySR is usable.
"""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

from symtorch_lab.backends import RawCandidate, SearchSpec, get_backend
from symtorch_lab.backends import pysr as pysr_backend
from symtorch_lab.backends.pysr import (
    PySRBackend,
    _probe_command,
    candidates_from_equations,
    pysr_available,
    pysr_params,
)


def test_availability_is_probed_without_importing_pysr():
    t0 = time.monotonic()
    assert pysr_available(timeout=60) is False  # no Julia here
    assert pysr_available() is False  # cached
    assert time.monotonic() - t0 < 60
    assert "pysr" not in sys.modules and "juliacall" not in sys.modules


def test_an_installed_pysr_without_julia_is_unavailable(monkeypatch):
    """The subprocess route: ``import pysr`` fails there (here: no package) -> False."""
    monkeypatch.setattr(pysr_backend, "_installed", lambda: True)
    assert pysr_available(timeout=60, refresh=True) is False
    assert "pysr" not in sys.modules


def test_probe_command_has_a_timeout():
    t0 = time.monotonic()
    assert _probe_command([sys.executable, "-c", "import time; time.sleep(30)"], 0.5) is False
    assert time.monotonic() - t0 < 5
    assert _probe_command([sys.executable, "-c", "pass"], 30) is True
    assert _probe_command([sys.executable, "-c", "raise SystemExit(1)"], 30) is False
    assert _probe_command(["/nonexistent/python"], 1) is False


def test_spec_maps_to_pysr_parameters():
    spec = SearchSpec(
        binary_operators=("+", "-", "*", "/", "^", "max"),
        unary_operators=("sin", "square", "inv"),
        maxsize=25,
        population_size=500,
        niterations=40,
        timeout_in_seconds=30,
        random_state=3,
    )
    params = pysr_params(spec)
    assert params["binary_operators"] == ["+", "-", "*", "/", "^", "max"]
    assert params["unary_operators"] == ["sin", "square", "inv"]
    assert (params["maxsize"], params["niterations"], params["timeout_in_seconds"]) == (
        25,
        40,
        30.0,
    )
    assert (params["populations"], params["population_size"]) == (19, 27)  # 513 >= 500 in all
    assert params["random_state"] == 3
    assert params["parallelism"] == "serial" and params["deterministic"] is True
    assert params["verbosity"] == 0 and params["progress"] is False
    assert params["temp_equation_file"] is True  # no outputs/ folder in the user's cwd


def test_threads_time_budget_and_small_populations():
    params = pysr_params(SearchSpec(n_threads=4, population_size=10, timeout_in_seconds=5))
    assert params["parallelism"] == "multithreading" and params["procs"] == 4
    assert params["deterministic"] is False  # PySR is deterministic only serially
    assert params["niterations"] >= 10**6 and params["timeout_in_seconds"] == 5.0
    assert (params["populations"], params["population_size"]) == (1, 10)
    with pytest.raises(ValueError, match="PySR requires maxsize >= 7, got 5"):
        pysr_params(SearchSpec(maxsize=5))


def pysr_like_equations() -> pd.DataFrame:
    """Shaped like ``PySRRegressor.equations_`` (PySR 1.x/2.x) for y = x0 * x1."""
    sympy = pytest.importorskip("sympy")
    x0, x1 = sympy.symbols("x0 x1")
    rows = [
        (1, 1.7893, "0.11134", 0.0, sympy.Float(0.11134)),
        (3, 0.91, "x0 * 0.5", 0.33, 0.5 * x0),
        (4, 0.95, "sin(x1)", 0.0, sympy.sin(x1)),  # dominated by complexity 3
        (5, 3.2e-14, "x0 * x1", 15.6, x0 * x1),
        (7, 3.2e-14, "(x0 * x1) + -1.2e-9", 0.0, x0 * x1 - 1.2e-9),  # no better: dropped
    ]
    return pd.DataFrame(rows, columns=["complexity", "loss", "equation", "score", "sympy_format"])


def test_equations_table_becomes_raw_candidates():
    assert candidates_from_equations(pysr_like_equations()) == [
        RawCandidate(1, 1.7893, "0.11134"),
        RawCandidate(3, 0.91, "x0 * 0.5"),
        RawCandidate(5, 3.2e-14, "x0 * x1"),
    ]
    with pytest.raises(ValueError, match=r"lacks columns \['loss'\]"):
        candidates_from_equations(pysr_like_equations().drop(columns="loss"))


# Keyword names of PySRRegressor.__init__ (PySR 1.x API reference) that the backend or these
# tests use; the contract fake refuses any other name, as PySRRegressor does.
DOCUMENTED_PARAMS = frozenset(
    {
        "binary_operators", "unary_operators", "maxsize", "niterations", "timeout_in_seconds",
        "populations", "population_size", "random_state", "verbosity", "progress",
        "temp_equation_file", "delete_tempfiles", "parallelism", "procs", "deterministic",
        "warm_start", "parsimony", "output_directory", "run_id",
    }
)  # fmt: skip


class ContractPySRRegressor:
    """CONTRACT FAKE of ``pysr.PySRRegressor`` (real PySR needs Julia, absent here).

    It follows PySR's documented interface and nothing more:

    * ``__init__(**params)`` takes PySR's keyword names; unknown names raise ``TypeError``;
    * ``set_params(**params)`` (scikit-learn ``BaseEstimator``) returns ``self``;
    * ``fit(X, y, *, weights=None, variable_names=None)`` runs ``niterations`` iterations and
      returns ``self``; with ``warm_start=True`` a fit "continues from where the last call to
      fit finished", with ``warm_start=False`` it starts fresh;
    * ``equations_`` is a DataFrame with ``complexity``, ``loss``, ``equation`` (and ``score``,
      ``sympy_format``) holding the Pareto-optimal hall of fame of the whole run so far.

    The search itself is scripted: ``DISCOVERIES`` lists (iteration, complexity, loss,
    equation) found at that cumulative iteration, so what each chunk must report is known.
    """

    DISCOVERIES = (
        (1, 1, 1.7893, "0.11134"),
        (3, 3, 0.91, "x0 * 0.5"),
        (4, 4, 0.95, "sin(x1)"),  # dominated by complexity 3: never on the front
        (9, 5, 3.2e-14, "x0 * x1"),
        (12, 7, 3.2e-14, "(x0 * x1) + -1.2e-9"),  # no better: never on the front
    )
    instances: list[ContractPySRRegressor] = []

    def __init__(self, **params):
        unknown = sorted(set(params) - DOCUMENTED_PARAMS)
        if unknown:
            raise TypeError(f"{unknown} are not valid keyword arguments for PySRRegressor")
        self.params = {"niterations": 100, "warm_start": False, **params}
        self.iterations_run = 0  # cumulative, over warm-started fits
        self.fits: list[dict] = []  # the settings of every fit call, in order
        ContractPySRRegressor.instances.append(self)

    def set_params(self, **params):
        unknown = sorted(set(params) - DOCUMENTED_PARAMS)
        if unknown:
            raise ValueError(f"Invalid parameters {unknown} for estimator PySRRegressor")
        self.params.update(params)
        return self

    def fit(self, X, y, *, weights=None, variable_names=None):
        if not self.params["warm_start"]:
            self.iterations_run = 0
        self.X, self.y = X, y
        self.fit_kwargs = {"variable_names": variable_names}
        if weights is not None:
            self.fit_kwargs["weights"] = weights
        self.fits.append(dict(self.params))
        self.iterations_run += self.params["niterations"]
        found = [d[1:] for d in self.DISCOVERIES if d[0] <= self.iterations_run]
        self.equations_ = _pareto_table(found)
        return self


def _pareto_table(found) -> pd.DataFrame:
    """What PySR's ``equations_`` holds: the non-dominated members, simplest first."""
    rows, best = [], float("inf")
    for complexity, loss, equation in sorted(found):
        if loss < best:
            rows.append((complexity, loss, equation, 0.0, None))
            best = loss
    return pd.DataFrame(rows, columns=["complexity", "loss", "equation", "score", "sympy_format"])


@pytest.fixture
def fake_pysr(monkeypatch):
    ContractPySRRegressor.instances.clear()
    monkeypatch.setattr(pysr_backend, "pysr_available", lambda timeout=60.0: True)
    monkeypatch.setattr(
        PySRBackend, "_make_regressor", staticmethod(lambda p: ContractPySRRegressor(**p))
    )
    return ContractPySRRegressor.instances


def test_search_flow_against_the_contract_fake(fake_pysr):
    X = np.random.default_rng(0).uniform(-1, 1, (500, 2))
    y = X[:, 0] * X[:, 1]
    w = np.linspace(0.1, 1.0, 500)
    spec = SearchSpec(niterations=40, max_rows=200, random_state=1)
    backend = get_backend("pysr", parsimony=0.01)
    front = backend.search(X, y, ["x0", "x1"], spec, sample_weight=w)
    (model,) = fake_pysr  # one regressor, warm-started chunk after chunk
    assert model.params["parsimony"] == 0.01 and model.params["warm_start"] is True
    assert model.X.shape == (200, 2) and model.fit_kwargs["variable_names"] == ["x0", "x1"]
    assert model.fit_kwargs["weights"].shape == (200,)  # native weights, same rows as X
    assert front == [
        RawCandidate(1, 1.7893, "0.11134"),
        RawCandidate(3, 0.91, "x0 * 0.5"),
        RawCandidate(5, 3.2e-14, "x0 * x1"),
    ]
    backend.search(X, y, ["x0", "x1"], spec, sample_weight=np.ones(500))
    assert "weights" not in fake_pysr[-1].fit_kwargs  # uniform weights: unweighted fit


def test_live_front_grows_chunk_by_chunk_and_iterations_add_up(fake_pysr):
    X = np.random.default_rng(0).uniform(-1, 1, (100, 2))
    spec = SearchSpec(niterations=14, timeout_in_seconds=None)
    seen = []
    front = PySRBackend(iterations_per_update=4).search(
        X, X[:, 0] * X[:, 1], ["x0", "x1"], spec, on_generation=seen.append
    )
    (model,) = fake_pysr
    assert [f["niterations"] for f in model.fits] == [4, 4, 4, 2]
    assert model.iterations_run == 14  # exactly the requested budget
    assert [p.generation for p in seen] == [4, 8, 12, 14]
    assert [[c.complexity for c in p.candidates] for p in seen] == [
        [1, 3],  # iterations 1-4: the constant and x0 * 0.5 (sin(x1) is dominated)
        [1, 3],
        [1, 3, 5],  # x0 * x1 found at iteration 9
        [1, 3, 5],
    ]
    assert list(seen[-1].candidates) == front


def test_callback_true_stops_between_chunks_with_the_partial_front(fake_pysr):
    X = np.random.default_rng(0).uniform(-1, 1, (100, 2))
    spec = SearchSpec(niterations=40)
    seen = []

    def stop_after_two(progress):
        seen.append(progress)
        return len(seen) == 2

    front = PySRBackend(iterations_per_update=2).search(
        X, X[:, 0], ["x0", "x1"], spec, on_generation=stop_after_two
    )
    assert fake_pysr[0].iterations_run == 4 and len(fake_pysr[0].fits) == 2
    assert front == [RawCandidate(1, 1.7893, "0.11134"), RawCandidate(3, 0.91, "x0 * 0.5")]


def test_stop_event_set_during_a_chunk_ends_the_search_after_it(fake_pysr, monkeypatch):
    stop = threading.Event()
    fit = ContractPySRRegressor.fit

    def fit_then_stop(self, *args, **kwargs):  # the user presses Stop while chunk 3 runs
        out = fit(self, *args, **kwargs)
        if len(self.fits) == 3:
            stop.set()
        return out

    monkeypatch.setattr(ContractPySRRegressor, "fit", fit_then_stop)
    X = np.random.default_rng(0).uniform(-1, 1, (100, 2))
    front = PySRBackend(iterations_per_update=1).search(
        X, X[:, 0], ["x0", "x1"], SearchSpec(niterations=30), stop_event=stop
    )
    assert fake_pysr[0].iterations_run == 3
    assert [c.complexity for c in front] == [1, 3]


def test_a_time_budget_is_shared_by_the_chunks(fake_pysr):
    X = np.random.default_rng(0).uniform(-1, 1, (100, 2))
    spec = SearchSpec(niterations=6, timeout_in_seconds=600)
    PySRBackend(iterations_per_update=2).search(X, X[:, 0], ["x0", "x1"], spec)
    timeouts = [f["timeout_in_seconds"] for f in fake_pysr[0].fits]
    assert len(timeouts) == 3 and all(0 < t <= 600 for t in timeouts)
    assert timeouts == sorted(timeouts, reverse=True)  # each chunk gets what is left


def test_iterations_per_update_is_checked():
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="iterations_per_update must be an integer >= 1"):
            PySRBackend(iterations_per_update=bad)


def test_stop_before_start_and_custom_loss(fake_pysr):
    X, y = np.ones((10, 1)), np.arange(10.0)
    stop = threading.Event()
    stop.set()
    assert PySRBackend().search(X, y, ["x0"], SearchSpec(), stop_event=stop) == []
    assert PySRBackend.supports_custom_loss is False
    with pytest.raises(NotImplementedError, match="elementwise_loss"):
        PySRBackend().search(X, y, ["x0"], SearchSpec(), loss=lambda p, t, w: (p - t).abs().mean())


def test_distiller_passes_pysr_only_keywords_to_the_pysr_backend(fake_pysr):
    """``Distiller(backend="pysr", parsimony=...)`` reaches PySRRegressor (it was checked, then
    dropped: the backend was built with no options)."""
    from symtorch_lab.distill import Distiller

    X = np.random.default_rng(0).uniform(-1, 1, (100, 2))
    y = X[:, 0] * X[:, 1]
    Y = np.column_stack([y, -y])
    d = Distiller(backend="pysr", niterations=10, parsimony=0.01, n_jobs=4)
    d.fit(X, Y)
    assert len(fake_pysr) == 2  # one regressor per output dim
    assert all(m.params["parsimony"] == 0.01 for m in fake_pysr)
    assert str(d.fronts_[0].selected.expression) == "x0*x1" and sorted(d.fronts_) == [0, 1]


def test_search_without_julia_explains_and_suggests_operon(monkeypatch):
    monkeypatch.setattr(pysr_backend, "pysr_available", lambda timeout=60.0: False)
    with pytest.raises(RuntimeError, match="Julia.*backend='operon'"):
        PySRBackend().search(np.ones((10, 1)), np.arange(10.0), ["x0"], SearchSpec())
    assert "pysr" not in sys.modules


@pytest.mark.julia
@pytest.mark.skipif(not pysr_available(), reason="PySR with a working Julia is not installed")
def test_real_pysr_recovers_a_product():
    X = np.random.default_rng(0).uniform(-2, 2, (200, 2))
    y = X[:, 0] * X[:, 1]
    spec = SearchSpec(niterations=20, timeout_in_seconds=600, population_size=100)
    seen = []
    backend = PySRBackend(iterations_per_update=5)
    front = backend.search(X, y, ["x0", "x1"], spec, on_generation=seen.append)
    assert any(c.loss < 1e-6 * y.var() for c in front), front
    assert [p.generation for p in seen] == [5, 10, 15, 20]  # streamed, one update per chunk
    assert list(seen[-1].candidates) == front
