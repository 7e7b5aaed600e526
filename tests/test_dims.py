"""Per-dim planning (symtorch_lab._dims): negligible components, constant columns, how many
dims run at once, running them (stop, errors) and the progress text."""

import threading

import numpy as np
import pytest

from symtorch_lab import _dims
from symtorch_lab.pca import PCAProjection


def rank3_outputs(n=400, width=32, seed=0):
    """What a Linear(3, width) records: rank 3 plus float32 rounding."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    W = rng.normal(size=(3, width)).astype(np.float32)
    b = rng.normal(size=width).astype(np.float32)
    return (X @ W + b).astype(np.float64)


def test_components_beyond_the_rank_are_negligible_and_the_rest_are_not():
    Y = rank3_outputs()
    pca = PCAProjection(8).fit(Y)
    skipped = _dims.negligible_components(pca.explained_variance_ratio_.numpy())
    assert sorted(skipped) == [3, 4, 5, 6, 7]
    assert "of the total" in skipped[3] and "1e-10" in skipped[3]
    assert _dims.numerical_rank(Y) == 3
    full = np.random.default_rng(1).normal(size=(200, 12))
    assert _dims.numerical_rank(full) == 12 and not _dims.negligible_components([0.6, 0.4])
    assert _dims.numerical_rank(np.ones((10, 4))) == 1  # constant data: one (constant) dim


def test_constant_columns_are_found_within_float32_rounding():
    rng = np.random.default_rng(0)
    Y = np.column_stack(
        [
            np.full(50, 3.0),
            3.0 + 1e-9 * rng.normal(size=50),  # below float32 resolution at 3.0
            1e-12 * rng.normal(size=50),  # tiny but varying: not constant
            rng.normal(size=50),
        ]
    )
    assert sorted(_dims.constant_columns(Y, range(4))) == [0, 1]
    assert sorted(_dims.constant_columns(Y, [1, 2, 3])) == [1]


def test_constant_front_is_the_weighted_mean_marked_skipped():
    y = np.array([1.0, 2.0, 4.0])
    front = _dims.constant_front(y, np.array([1.0, 1.0, 2.0]), ["x0"], "why")
    (cand,) = front.candidates
    assert cand.expression.tree == ("const", 2.75) and cand.complexity == 1
    assert cand.loss == pytest.approx((1.75**2 + 0.75**2 + 2 * 1.25**2) / 4)
    assert front.skipped == "why" and "not searched: why" in repr(front)
    again = type(front).from_json(front.to_json())
    assert again.skipped == "why"


def test_default_n_jobs():
    assert _dims.default_n_jobs(3, 8, 1, concurrent=True) == 3
    assert _dims.default_n_jobs(16, 4, 1, concurrent=True) == 4  # at most one per dim
    assert _dims.default_n_jobs(4, 8, 1, concurrent=False) == 1  # PySR: one at a time
    assert 1 <= _dims.default_n_jobs(None, 8, 1, concurrent=True) <= 8
    with pytest.raises(ValueError, match="n_jobs must be >= 1"):
        _dims.default_n_jobs(0, 4, 1, concurrent=True)
    with pytest.raises(TypeError, match="n_jobs"):
        _dims.default_n_jobs(2.5, 4, 1, concurrent=True)


def test_run_dims_runs_every_dim_in_threads_and_stop_leaves_the_rest():
    seen, threads = [], set()
    stop = threading.Event()
    _dims.run_dims(
        [0, 1, 2, 3], lambda d: (seen.append(d), threads.add(threading.get_ident())), 2, stop
    )
    assert sorted(seen) == [0, 1, 2, 3] and threading.get_ident() not in threads

    started = []

    def slow(dim):
        started.append(dim)
        stop.set()  # as if Stop was pressed while the first dims run

    _dims.run_dims([0, 1, 2, 3, 4, 5], slow, 2, stop)
    assert len(started) <= 2  # dims not started when Stop came are left out


def test_run_dims_raises_the_first_error_after_every_dim_ended():
    stop = threading.Event()
    ended = []

    def fit(dim):
        if dim in (1, 2):
            raise ValueError(f"dim {dim} broke")
        while not stop.is_set():  # a running search: ends once the error sets stop
            stop.wait(0.01)
        ended.append(dim)

    with pytest.raises(ValueError, match="dim 1 broke"):
        _dims.run_dims([0, 1, 2, 3], fit, 4, stop)
    assert 0 in ended and stop.is_set()


def test_progress_text():
    progress = {"dims": list(range(8)), "done": [0, 4], "running": [3], "skipped": [4]}
    assert _dims.describe(progress) == "dim 3 · 2/8 dims done · 1 skipped"
    progress = {"dims": [0, 1, 2], "done": [], "running": [0, 1], "skipped": []}
    assert _dims.describe(progress) == "dims 0, 1 · 0/3 dims done"


def test_ctrl_c_while_dims_run_in_threads_stops_them_and_keeps_what_ran(python_sigint):
    import _thread

    stop = threading.Event()
    ran = []

    def fit(dim):
        ran.append(dim)
        if dim == 0:
            _thread.interrupt_main()  # Ctrl-C reaches the waiting caller
        while not stop.is_set():  # a running search ends after its generation
            stop.wait(0.01)

    _dims.run_dims([0, 1, 2, 3, 4], fit, 2, stop)  # returns: no KeyboardInterrupt escapes
    assert stop.is_set() and ran[0] == 0 and set(ran) <= {0, 1}  # dims 2.. never started
