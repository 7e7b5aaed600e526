"""Distiller on the real Operon backend: fronts, PySR names, callbacks, Stop, threads, weights."""

import time

import numpy as np
import pytest

from symtorch_lab.distill import Distiller
from symtorch_lab.front import ParetoFront


def quick(**kw):
    """A quick_distiller: small population, few generations, one thread, seeded."""
    params = dict(
        population_size=200, niterations=15, timeout_in_seconds=30, random_state=0, max_rows=300
    )
    params.update(kw)
    return Distiller(**params)


@pytest.fixture(scope="module")
def product_data():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (300, 3))
    return X, X[:, 0] * X[:, 1]


def test_fit_returns_self_with_one_front_per_dim(product_data):
    X, y = product_data
    Y = np.column_stack([y, 2 * X[:, 2]])
    d = quick()
    assert d.fit(X, Y) is d
    assert sorted(d.fronts_) == [0, 1] and isinstance(d.fronts_[0], ParetoFront)
    assert d.best_[0] is d.fronts_[0].selected
    pred = d.predict(X)
    assert pred.shape == (300, 2)
    np.testing.assert_allclose(pred[:, 1], 2 * X[:, 2], atol=1e-6)


def test_output_dims_subset_and_zero_means_zero(product_data):
    X, y = product_data
    d = quick(niterations=3).fit(X, np.column_stack([y, y]), output_dims=0)
    assert list(d.fronts_) == [0]


def test_same_seed_same_front(product_data):
    X, y = product_data
    a = quick(niterations=8).fit(X, y).fronts_[0]
    b = quick(niterations=8).fit(X, y).fronts_[0]
    assert [str(c.expression) for c in a] == [str(c.expression) for c in b]


def test_constants_are_refit_in_float64():
    rng = np.random.default_rng(1)
    X = rng.uniform(1, 3, (300, 1))
    y = 1.2345678901 * X[:, 0] ** 2
    d = quick(niterations=20, unary_operators=["square"]).fit(X, y)
    best = min(d.fronts_[0], key=lambda c: c.loss)
    assert best.loss < 1e-20  # float32 evaluation alone stops near 1e-12


def test_callbacks_see_live_fronts_and_can_stop(product_data):
    X, y = product_data
    seen = []

    def cb(event):
        seen.append((event.generation, event.front))
        return event.generation >= 3

    d = quick(niterations=200, callbacks=[cb]).fit(X, y)
    assert d.stopped_ and d.n_generations_[0] <= 5
    assert [g for g, _ in seen] == sorted(g for g, _ in seen)
    assert any(f is not None and len(f) > 0 for _, f in seen)
    assert len(d.fronts_[0]) > 0  # partial front kept


def test_background_search_keeps_kernel_responsive_and_stops(product_data):
    """The caller keeps running beside the search: its loop completes its ticks, and sees the
    search's own generation count move between two of them, while the search is still going.

    The search cannot end on its own before its 60 s backstop (10,000 generations): only the
    caller's stop() ends it. A search run in the caller's thread, or one holding the GIL for
    its run, lets the caller tick only once it has ended, so ``handle.done`` is then true. No
    clock is read: load slows both sides and changes no outcome.
    """
    X, y = product_data
    generations = []
    d = quick(niterations=10_000, timeout_in_seconds=60, callbacks=[generations.append])
    handle = d.fit_async(X, y)
    seen = []  # the search's generation count at each of the caller's ticks
    while (len(seen) < 50 or len(set(seen)) < 2) and not handle.done:
        seen.append(len(generations))
        time.sleep(0.001)
    assert not handle.done, f"the caller only got {len(seen)} ticks before the search ended"
    assert len(seen) >= 50 and len(set(seen)) >= 2
    handle.stop()
    handle.wait(timeout=30)
    assert d.stopped_ and len(d.fronts_[0]) > 0


def test_weights_change_the_fit():
    rng = np.random.default_rng(2)
    X = rng.uniform(-2, 2, (400, 2))
    region_b = X[:, 0] > 0
    y = np.where(region_b, X[:, 0] ** 2 + X[:, 1], 2 * X[:, 0] + 1 + X[:, 1])
    w = np.where(region_b, 1.0, 1e-3)
    kw = dict(niterations=30, unary_operators=["square"], model_selection="accuracy")
    weighted = quick(**kw).fit(X, y, sample_weight=w)
    plain = quick(**kw).fit(X, y)

    def err_b(d):
        pred = d.predict(X[region_b])[:, 0]
        return np.mean((pred - y[region_b]) ** 2)

    assert err_b(weighted) < 0.1 * err_b(plain)


def test_validation_rescoring(product_data):
    X, y = product_data
    d = quick(validation_fraction=0.25).fit(X, y)
    front = d.fronts_[0]
    assert front.selection_loss == "val_loss"
    assert all("val_loss" in c.metrics for c in front)


def test_custom_loss_ranks_candidates(product_data):
    X, y = product_data
    calls = []

    def l1(pred, target, weight):
        calls.append(1)
        return (weight * (pred - target).abs()).sum() / weight.sum()

    d = quick(loss=l1, niterations=5).fit(X, y)
    assert calls
    for c in d.fronts_[0]:
        pred = c.expression.numpy(X[:300])
        assert c.loss == pytest.approx(np.mean(np.abs(pred - y[:300])), rel=1e-6, abs=1e-9)


def test_bad_input_names_the_fault(product_data):
    X, y = product_data
    Xn = X.copy()
    Xn[5, 1] = np.nan
    with pytest.raises(ValueError, match="row 5, column 1"):
        quick().fit(Xn, y)
    with pytest.raises(ValueError, match="y must have 300 rows"):
        quick().fit(X, y[:10])
    with pytest.raises(TypeError, match="Did you mean maxsize"):
        Distiller(maxsise=10)
    with pytest.raises(TypeError, match=r"belongs to fit\(\)"):  # PySR's habit
        Distiller(variable_names=["a", "b"])
    with pytest.raises(ValueError, match="sin"):
        quick(binary_operators=["+", "sin"]).fit(X, y)


def test_pysr_only_parameters_are_accepted_with_a_warning():
    with pytest.warns(UserWarning, match="parsimony"):
        Distiller(parsimony=0.01, procs=4)


def test_repr_shows_non_default_parameters():
    assert repr(Distiller(maxsize=12)) == "Distiller(maxsize=12)"


def test_maxsize_bounds_the_complexity_of_every_candidate(product_data):
    X, y = product_data
    seen = []
    d = quick(maxsize=7, niterations=10, callbacks=[lambda e: seen.append(e.front)]).fit(X, y)
    assert max(c.complexity for c in d.fronts_[0]) <= 7
    assert all(c.complexity <= 7 for f in seen if f is not None for c in f)


def four_laws():
    rng = np.random.default_rng(3)
    X = rng.uniform(-2, 2, (300, 3))
    Y = np.column_stack(
        [X[:, 0] * X[:, 1], 2 * X[:, 2], X[:, 0] + X[:, 2] * X[:, 2], X[:, 1] - X[:, 0]]
    )
    return X, Y


def test_dims_searched_concurrently_equal_the_serial_run():
    """Same seed, same rows per dim: n_jobs changes the wall time, not the fronts."""
    X, Y = four_laws()
    serial_running: list[tuple[int, ...]] = []  # of live events (a dim's final one: in done)
    serial = quick(
        niterations=6, timeout_in_seconds=None, n_jobs=1, callbacks=[
            lambda e: serial_running.append(e.running) if e.dim not in e.done else None
        ]
    ).fit(X, Y)  # fmt: skip
    concurrent = quick(niterations=6, timeout_in_seconds=None, n_jobs=4).fit(X, Y)
    assert {len(r) for r in serial_running} == {1}
    assert serial.n_generations_ == concurrent.n_generations_
    for dim in range(4):
        a, b = serial.fronts_[dim], concurrent.fronts_[dim]
        assert [c.complexity for c in a] == [c.complexity for c in b]
        np.testing.assert_allclose([c.loss for c in a], [c.loss for c in b], rtol=1e-6, atol=1e-12)
        assert str(a.selected.expression) == str(b.selected.expression)


def test_progress_events_say_which_dims_are_done_and_running():
    X, Y = four_laws()
    events = []
    d = quick(niterations=3, n_jobs=2, callbacks=[events.append]).fit(X, Y)
    assert all((e.dim in e.running) != (e.dim in e.done) for e in events)  # live xor final
    assert all(len(e.running) <= 2 and not set(e.done) & set(e.running) for e in events)
    assert max(len(e.done) for e in events) >= 2  # later dims see earlier ones done
    assert all(e.dims == (0, 1, 2, 3) for e in events)
    # each dim's final front is announced as it lands (a session files and saves it at once)
    final = {e.dim: e.front for e in events if e.dim in e.done}
    assert final == d.fronts_


def test_a_callback_stopping_a_dim_does_not_stop_the_next_through_its_final_event():
    X, Y = four_laws()
    d = quick(niterations=50, n_jobs=1, callbacks=[lambda e: e.generation >= 1]).fit(X, Y[:, :2])
    assert sorted(d.fronts_) == [0, 1] and d.n_generations_[1] >= 1


def test_constant_output_column_is_not_searched_and_says_why(product_data):
    X, y = product_data
    Y = np.column_stack([y, np.full(len(y), 0.25)])
    events = []
    d = quick(niterations=3, callbacks=[events.append]).fit(X, Y)
    assert list(d.skipped_) == [1] and "constant output" in d.skipped_[1]
    assert d.fronts_[1].skipped == d.skipped_[1] and d.n_generations_[1] == 0
    assert str(d.fronts_[1].selected.expression) == "0.25" and d.fronts_[1].selected.loss == 0.0
    skipped_events = [e for e in events if e.dim == 1]
    assert len(skipped_events) == 1 and skipped_events[0].skipped == (1,)
    assert all(e.skipped == (1,) and 1 in e.done for e in events)


def test_stop_ends_every_running_dim_and_leaves_the_others_out(product_data):
    X, y = product_data
    Y = np.column_stack([y, X[:, 0] - X[:, 2], X[:, 1] * X[:, 2]])
    seen: set[int] = set()
    d = quick(
        niterations=100_000, timeout_in_seconds=60, n_jobs=2, callbacks=[lambda e: seen.add(e.dim)]
    )
    handle = d.fit_async(X, Y)
    deadline = time.monotonic() + 60
    while seen != {0, 1} and time.monotonic() < deadline:
        time.sleep(0.02)
    handle.stop()
    handle.wait(60)
    assert d.stopped_ and d.stopped_dims_ == {0, 1}
    assert sorted(d.fronts_) == [0, 1]  # dim 2 never started: no front
    assert all(len(d.fronts_[k]) > 0 for k in (0, 1))  # partial fronts kept


def test_stop_right_after_fit_async_is_kept(product_data):
    X, y = product_data
    d = quick(niterations=200, population_size=100)
    handle = d.fit_async(X, np.column_stack([y, y]))
    d.stop()
    handle.wait()
    assert d.stopped_ and sum(d.n_generations_.values()) <= 1


def test_empty_output_dims_is_refused(product_data):
    with pytest.raises(ValueError, match="output_dims is empty"):
        quick().fit(*product_data, output_dims=[])


def test_second_background_search_on_one_distiller_is_refused(product_data):
    d = quick(niterations=200, population_size=100)
    handle = d.fit_async(*product_data)
    try:
        with pytest.raises(RuntimeError, match="already searching"):
            d.fit_async(*product_data)
    finally:
        d.stop()
        handle.wait()


@pytest.mark.parametrize("scale", [1e-12, 1e30])
def test_targets_at_extreme_scales_are_found_in_original_units(product_data, scale):
    X, y = product_data
    d = quick().fit(X, scale * y)
    pick = d.fronts_[0].selected
    assert pick.expression.variables_used  # not a constant
    rel = np.sqrt(np.mean((pick.expression.numpy(X) - scale * y) ** 2)) / np.std(scale * y)
    assert rel < 1e-6 and pick.loss == pytest.approx(
        np.mean((pick.expression.numpy(X) - scale * y) ** 2), rel=1e-3
    )


def test_restarts_merge_independent_searches_into_one_front():
    rng = np.random.default_rng(0)
    X = rng.uniform(0.5, 2, (300, 3))
    y = X[:, 0] * X[:, 1] ** 2 + np.sin(X[:, 2])
    params = dict(unary_operators=["sin"], niterations=8, population_size=60, maxsize=15,
                  timeout_in_seconds=None, random_state=0)  # fmt: skip
    one = Distiller(**params).fit(X, y).fronts_[0]
    other = Distiller(**{**params, "random_state": 7919}).fit(X, y).fronts_[0]
    both = Distiller(restarts=2, **params).fit(X, y).fronts_[0]
    for cand in both:  # nothing worse than what either restart found at that complexity
        for front in (one, other):
            better = [c.loss for c in front if c.complexity <= cand.complexity]
            assert not better or cand.loss <= min(better) * (1 + 1e-6) + 1e-12
    with pytest.raises(ValueError, match="restarts must be a positive int"):
        Distiller(restarts=0)
