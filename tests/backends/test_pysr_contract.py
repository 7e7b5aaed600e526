"""CONTRACT TEST for the PySR backend: PySR cannot run on this machine (no Julia, and
``import pysr`` tries to download it), so these tests check our side of the contract only.

* ``SearchSpec`` -> ``PySRRegressor`` keyword arguments;
* conversion of an ``equations_`` table shaped like PySR's into RawCandidates;
* the search flow against a fake regressor (what ``fit`` receives, what comes back);
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


class FakeRegressor:
    """Stands in for PySRRegressor: records what the backend passes to it."""

    instances: list[FakeRegressor] = []

    def __init__(self, **params):
        self.params = params
        FakeRegressor.instances.append(self)

    def fit(self, X, y, **kwargs):
        self.X, self.y, self.fit_kwargs = X, y, kwargs
        self.equations_ = pysr_like_equations()
        return self


@pytest.fixture
def fake_pysr(monkeypatch):
    FakeRegressor.instances.clear()
    monkeypatch.setattr(pysr_backend, "pysr_available", lambda timeout=60.0: True)
    monkeypatch.setattr(PySRBackend, "_make_regressor", staticmethod(lambda p: FakeRegressor(**p)))
    return FakeRegressor.instances


def test_search_flow_against_a_fake_regressor(fake_pysr):
    X = np.random.default_rng(0).uniform(-1, 1, (500, 2))
    y = X[:, 0] * X[:, 1]
    w = np.linspace(0.1, 1.0, 500)
    spec = SearchSpec(niterations=40, max_rows=200, random_state=1)
    seen = []
    backend = get_backend("pysr", parsimony=0.01)
    front = backend.search(X, y, ["x0", "x1"], spec, sample_weight=w, on_generation=seen.append)
    (model,) = fake_pysr
    assert model.params["parsimony"] == 0.01 and model.params["niterations"] == 40
    assert model.X.shape == (200, 2) and model.fit_kwargs["variable_names"] == ["x0", "x1"]
    assert model.fit_kwargs["weights"].shape == (200,)  # native weights, same rows as X
    assert front[-1] == RawCandidate(5, 3.2e-14, "x0 * x1")
    assert [p.generation for p in seen] == [40] and list(seen[0].candidates) == front
    backend.search(X, y, ["x0", "x1"], spec, sample_weight=np.ones(500))
    assert "weights" not in fake_pysr[-1].fit_kwargs  # uniform weights: unweighted fit


def test_stop_before_start_and_custom_loss(fake_pysr):
    X, y = np.ones((10, 1)), np.arange(10.0)
    stop = threading.Event()
    stop.set()
    assert PySRBackend().search(X, y, ["x0"], SearchSpec(), stop_event=stop) == []
    assert PySRBackend.supports_custom_loss is False
    with pytest.raises(NotImplementedError, match="elementwise_loss"):
        PySRBackend().search(X, y, ["x0"], SearchSpec(), loss=lambda p, t, w: (p - t).abs().mean())


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
    spec = SearchSpec(niterations=20, timeout_in_seconds=120, population_size=100)
    front = PySRBackend().search(X, y, ["x0", "x1"], spec)
    assert any(c.loss < 1e-6 * y.var() for c in front), front
