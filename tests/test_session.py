"""Session: record → distill → pick → replace → compare → save / load, on a live model."""

import json
import threading
import time

import numpy as np
import pytest
import torch
from torch import nn

import symtorch_lab as stl
from tests.helpers import linear_tanh

QUICK = dict(population_size=200, niterations=12, timeout_in_seconds=30, max_rows=300)


@pytest.fixture
def model():
    torch.manual_seed(0)
    return linear_tanh()


@pytest.fixture
def X():
    return torch.rand(400, 2) * 2 - 1


@pytest.fixture
def session(model, X):
    s = stl.Session(model, X, **QUICK)
    s.distill("0")
    return s


def test_distill_records_and_builds_fronts(session):
    job = session.jobs["0"]
    assert job.status == "distilled"
    assert sorted(job.fronts) == [0, 1]
    assert job.meta["input_shape"] == [2] and job.meta["output_shape"] == [2]
    assert job.fronts[0].selected.loss < 1e-8  # a linear layer is found exactly


def test_replace_uses_the_picked_expressions_and_restore_undoes_it(session, model, X):
    original = model[0]
    job = session.jobs["0"]
    job.pick(0, complexity=job.fronts[0].candidates[0].complexity)  # deliberately the simplest
    surrogate = session.replace("0")
    assert model[0] is surrogate and job.status == "replaced"
    with torch.no_grad():
        out = model[0](X).numpy()
    for d in range(2):
        expected = job.fronts[d].selected.expression.numpy(X.double().numpy())
        np.testing.assert_allclose(out[:, d], expected, rtol=1e-5, atol=1e-5)
    session.restore("0")
    assert model[0] is original and job.status == "distilled"


def test_compare_reports_before_and_after(session, X, model):
    y = model(X).detach()
    result = session.compare((X, y), metric="mse", example=X)
    assert result.metric == "mse"
    assert result.before == pytest.approx(0.0, abs=1e-12)
    assert result.after < 1e-6
    assert result.throughput_before > 0 and result.throughput_after > 0
    assert isinstance(model[0], nn.Linear)  # compare leaves the model as it found it
    assert result.reference == session.comparisons[-1]["reference"] == "targets"


def test_compare_says_when_it_scores_against_the_original_network(session, X):
    # the Compare view must say that "mse" is measured against the network's own output
    result = session.compare(X, repeats=1, warmup=0)
    assert result.reference == "the original network's output" and result.before == 0.0
    assert session.comparisons[-1]["reference"] == result.reference


def test_compare_on_callable_data_scores_against_the_original_outputs(session, X, model):
    # a Lab on callable data used to break at Compare (evaluate called data() -> TypeError)
    job = session.jobs["0"]
    job.pick(0, complexity=job.fronts[0].candidates[0].complexity)  # a visibly worse pick

    def run(m):
        m(X[:150])
        m(X[150:])

    with torch.no_grad():
        original = model(X)
        with stl.replaced(model, {"0": job.surrogate()}):
            hybrid = model(X)
    result = session.compare(run, repeats=1, warmup=0)
    assert result.before == 0.0
    assert result.after == pytest.approx(float(((hybrid - original) ** 2).mean()), rel=1e-5)
    assert result.after > 1e-4 and isinstance(model[0], nn.Linear)
    assert result.reference == "the original network's output"


def test_background_distill_exposes_live_fronts_and_stop(model, X):
    s = stl.Session(model, X, **{**QUICK, "niterations": 100_000, "timeout_in_seconds": 60})
    job = s.distill("0", background=True, output_dims=[0])
    assert job.status == "searching"
    for _ in range(500):
        if job.current_fronts():
            break
        time.sleep(0.02)  # fronts arrive from the worker thread
    assert job.current_fronts(), "no live front within 10 s"
    s.stop("0")
    job.handle.wait(timeout=30)
    # no polling: when wait() returns, the final fronts are filed
    assert job.status == "distilled" and 0 in job.fronts


def test_background_error_is_raised_by_wait_and_shown_in_progress(model, X):
    def broken(event):
        raise RuntimeError("view crashed")

    s = stl.Session(model, X, **QUICK)
    job = s.distill("0", background=True, callbacks=[broken])
    with pytest.raises(RuntimeError, match="view crashed"):
        job.handle.wait(timeout=30)
    assert "view crashed" in job.progress["error"]
    assert job.status == "not_distilled"


def test_save_and_load_brings_picks_and_replacements_back(session, model, X, tmp_path):
    job = session.jobs["0"]
    job.pick(1, index=len(job.fronts[1]) - 1)
    session.replace("0")
    with torch.no_grad():
        expected = model(X)
    path = tmp_path / "session.json"
    session.save(path)
    json.loads(path.read_text())  # plain JSON

    fresh = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    loaded = stl.Session.load(path, fresh)
    assert isinstance(fresh[0], stl.SymbolicSurrogate)
    assert loaded.jobs["0"].fronts[1].selected_index == len(job.fronts[1]) - 1
    with torch.no_grad():
        torch.testing.assert_close(fresh(X), expected)
    loaded.restore("0")
    assert isinstance(fresh[0], nn.Linear)


def test_unknown_module_and_early_replace_are_clear_errors(model, X):
    s = stl.Session(model, X, **QUICK)
    with pytest.raises(KeyError, match="not been recorded"):
        s.replace("0")
    with pytest.raises(KeyError, match="'1.weight'|'5'"):
        s.record("5")


def test_wide_layer_through_pca_projections():
    """A 16 -> 12 layer distilled between 4 input and 4 output PCA components."""
    torch.manual_seed(0)
    layer = nn.Linear(16, 12)
    model = nn.Sequential(layer)
    Z = torch.randn(600, 4)
    X = Z @ torch.randn(4, 16)  # inputs live in a 4-dim subspace, so PCA(4) loses nothing
    s = stl.Session(model, X, **QUICK)
    job = s.distill("0", k_in=4, k_out=4)
    assert sorted(job.fronts) == [0, 1, 2, 3]
    assert job.meta["variable_names"] == ["c0", "c1", "c2", "c3"]
    with torch.no_grad():
        expected = layer(X)
        s.replace("0")
        out = model(X)
    assert isinstance(model[0], stl.SymbolicSurrogate)
    torch.testing.assert_close(out, expected, atol=1e-3, rtol=1e-3)


def test_fine_tuned_constants_of_a_replaced_module_survive_save_and_load(session, X, tmp_path):
    surrogate = session.replace("0")
    with torch.no_grad():
        for p in surrogate.parameters():
            p.mul_(1.1)  # as if fine-tuned after replacing
        expected = surrogate(X)
    path = tmp_path / "tuned.json"
    session.save(path)
    fresh = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    stl.Session.load(path, fresh)
    with torch.no_grad():
        torch.testing.assert_close(fresh[0](X), expected)


def test_comparisons_are_saved_and_loaded(session, X, model, tmp_path):
    y = model(X).detach()
    session.compare((X, y), metric="mse", example=X, repeats=2, warmup=1)
    assert len(session.comparisons) == 1 and session.comparisons[0]["paths"] == ["0"]
    path = tmp_path / "with_compare.json"
    session.save(path)
    loaded = stl.Session.load(path, nn.Sequential(nn.Linear(2, 2), nn.Tanh()))
    assert loaded.comparisons == json.loads(json.dumps(session.comparisons))


def test_a_stop_flag_per_job_until_its_search_ends(model, X):
    s = stl.Session(model, X, **{**QUICK, "niterations": 1_000_000})
    ended = []
    job = s.distill("0", background=True)
    job.handle.add_done_callback(lambda h: ended.append(job.status))
    assert job.status == "searching" and not job.stopping
    deadline = time.monotonic() + 30
    while not job.progress.get("running") and time.monotonic() < deadline:  # a stop before
        time.sleep(0.01)  # a dim runs is issue 6 §3.4, not what this test is about
    s.stop("0")
    assert job.stopping
    job.handle.wait(30)
    assert ended == ["distilled"] and not job.stopping and job.fronts


def test_parity_and_heldout_rows_come_from_the_job(model, X):
    s = stl.Session(model, X, **QUICK)
    job = s.distill("0")
    cand = job.fronts[1].selected
    net, pred = job.parity(1, cand.expression, max_rows=50)
    assert net.shape == pred.shape == (50,)
    np.testing.assert_allclose(net, pred, atol=1e-4)  # 0.5*x0 + x1 - 1 is found exactly
    score, rows = job.heldout(1, cand)
    assert rows == "all_rows" and score == pytest.approx(np.mean((pred - net) ** 2), abs=1e-8)
    held = stl.Session(model, X, **QUICK, validation_fraction=0.25).distill("0")
    score, rows = held.heldout(0, held.fronts[0].selected)
    assert rows == "validation" and score == held.fronts[0].selected.metrics["val_loss"]


def test_a_loaded_job_is_recorded_again_with_its_fronts_kept(session, model, X, tmp_path):
    session.replace("0")
    session.save(tmp_path / "s.json")
    session.restore("0")
    loaded = stl.Session.load(tmp_path / "s.json", model, X, **QUICK)
    fronts = loaded.jobs["0"].fronts
    assert (
        loaded.jobs["0"].recording is None
        and loaded.jobs["0"].heldout(0, fronts[0].selected)[1] == "none"
    )
    job = loaded.ensure_recording("0")
    assert job.recording is not None and job.fronts is fronts
    assert job.recording.X.shape == (400, 2) and job.status == "replaced"


def test_compare_defaults_to_the_network_outputs_and_the_distilled_modules(session, model, X):
    with pytest.raises(RuntimeError, match="nothing to compare"):
        stl.Session(model, X).compare()
    out = session.original_outputs(X)
    with torch.no_grad():
        assert torch.equal(out, model(X))
    result = session.compare(repeats=1, warmup=0)
    assert result.metric == "mse" and result.before == 0.0 and result.after < 1e-6
    assert session.comparisons[-1]["paths"] == ["0"] == session.comparable_paths()


def test_auto_k_projects_only_wide_layers(X):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 12), nn.Tanh(), nn.Linear(12, 10))
    s = stl.Session(model, X, **{**QUICK, "niterations": 1})
    job = s.distill("2", k_in="auto", k_out="auto")
    assert job.in_projection.n_components == 8 and job.out_projection.n_components == 8
    job = s.distill("0", k_in="auto", k_out=0)
    assert job.in_projection is None and job.out_projection is None


def hidden_linear_3_32():
    """Issue 6 §4: a hidden Linear(3, 32) has rank-3 outputs."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 32), nn.Tanh(), nn.Linear(32, 1)), torch.randn(500, 3)


def test_rank3_output_searches_at_most_3_dims_and_says_which_were_skipped(tmp_path):
    model, X = hidden_linear_3_32()
    s = stl.Session(model, X, **{**QUICK, "niterations": 2})
    job = s.distill("0", k_out=8)
    assert sorted(job.distiller.fronts_) == [0, 1, 2]  # only these were searched
    assert sorted(job.fronts) == list(range(8)) and sorted(job.skipped) == [3, 4, 5, 6, 7]
    for dim in job.skipped:
        assert (
            job.fronts[dim].skipped == job.skipped[dim]
            and "negligible variance" in job.skipped[dim]
        )
        assert len(job.fronts[dim]) == 1 and job.fronts[dim].selected.complexity == 1
    assert job.progress_text() == "8/8 dims done · 5 skipped"
    s.save(tmp_path / "rank3.json")
    loaded = stl.Session.load(tmp_path / "rank3.json", model)
    assert loaded.jobs["0"].skipped == job.skipped
    with torch.no_grad():
        expected = model[0](X)
        s.replace("0")
        torch.testing.assert_close(model[0](X), expected, atol=1e-3, rtol=1e-3)
    s.restore("0")
    auto = s.distill("0", k_out="auto")  # never more components than the data's rank
    assert auto.out_projection.n_components == 3 and sorted(auto.fronts) == [0, 1, 2]


def test_distill_again_resumes_the_finished_dims():
    model, X = hidden_linear_3_32()
    s = stl.Session(model, X, **{**QUICK, "niterations": 2})
    job = s.distill("0", k_out=3, output_dims=[0])
    first = job.fronts[0]
    job = s.distill("0", k_out=3)
    assert job.fronts[0] is first and sorted(job.distiller.fronts_) == [1, 2]
    assert sorted(job.fronts) == [0, 1, 2]
    searched = job.progress["generation"]
    again = s.distill("0", k_out=3)  # nothing left to search
    assert not hasattr(again.distiller, "fronts_") and again.fronts[0] is first
    # it says so, and keeps how far the search got (it read "done: generation 0")
    assert again.progress_text().startswith("nothing to search: every dim (3)")
    assert again.progress["generation"] == searched > 0
    handle = s.distill("0", k_out=3, background=True).handle  # a handle all the same
    handle.wait(30)
    ended = []
    handle.add_done_callback(ended.append)
    assert ended == [handle] and job.fronts[0] is first
    fresh = s.distill("0", k_out=3, resume=False)
    assert sorted(fresh.distiller.fronts_) == [0, 1, 2] and fresh.fronts[0] is not first
    other = s.distill("0", k_out=3, maxsize=12)  # changed settings: a fresh search
    assert sorted(other.distiller.fronts_) == [0, 1, 2]
    k2 = s.distill("0", k_out=2)  # changed projection: a fresh search
    assert sorted(k2.distiller.fronts_) == [0, 1]


def test_a_stopped_search_keeps_its_partial_fronts_and_resume_searches_what_is_left(model, X):
    s = stl.Session(model, X, **{**QUICK, "niterations": 100_000, "timeout_in_seconds": 60})
    enough = [lambda e: e.generation >= 2]  # a callback's stop ends a dim as finished
    job = s.distill("0", output_dims=[0], callbacks=enough)
    done = job.fronts[0]
    job = s.distill("0", background=True)  # dim 1 only, until Stop
    deadline = time.monotonic() + 60
    while job.progress.get("running") != [1] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert job.progress_text() == "dim 1 · 1/2 dims done"
    s.stop("0")
    job.handle.wait(60)
    assert job.partial == {1} and job.fronts[0] is done and len(job.fronts[1]) > 0
    job = s.distill("0", callbacks=enough)  # the stopped dim again, the finished one kept
    assert sorted(job.distiller.fronts_) == [1] and job.fronts[0] is done
    assert job.partial == set()


def test_stop_of_a_never_distilled_module_says_so(model, X):
    session = stl.Session(model, X, **QUICK)
    with pytest.raises(ValueError, match="'0' has not been distilled"):
        session.stop("0")


def test_stop_right_after_a_background_distill_is_kept(model, X):
    session = stl.Session(model, X, **{**QUICK, "niterations": 200, "population_size": 100})
    job = session.distill("0", background=True)
    session.stop("0")
    job.handle.wait()
    assert job.distiller.stopped_ and sum(job.distiller.n_generations_.values()) <= 1


def test_compare_scores_and_keeps_a_fine_tuned_surrogate(session, X, model):
    y = model(X).detach()
    tuned = session.replace("0")
    with torch.no_grad():
        tuned.terms[0].constants.add_(0.25)  # stands for a fine-tuning step
        expected = torch.mean((model(X) - y) ** 2).item()
    result = session.compare((X, y), metric="mse", example=X)
    assert model[0] is tuned
    assert result.after == pytest.approx(expected, rel=1e-6)


def test_two_background_distills_at_once_start_one_search(model, X):
    session = stl.Session(model, X, **{**QUICK, "niterations": 200, "population_size": 100})
    session.record("0")
    refused, barrier = [], threading.Barrier(2)

    def start():
        barrier.wait()
        try:
            session.distill("0", background=True)
        except RuntimeError as exc:
            refused.append(exc)

    for _ in range(5):
        threads = [threading.Thread(target=start) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        session.stop("0")
        session.jobs["0"].handle.wait()
    assert len(refused) == 5


def test_two_sessions_recording_from_two_threads_keep_apart_and_restore_training():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.1)).train()
    barrier, seen = threading.Barrier(2), {}

    def run(n_rows):
        session = stl.Session(model, torch.randn(n_rows, 2))
        barrier.wait()
        for _ in range(5):
            seen[n_rows] = session.record("0")["0"].n_seen

    threads = [threading.Thread(target=run, args=(n,)) for n in (3000, 5000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {3000: 3000, 5000: 5000}
    assert all(m.training for m in model.modules())


def test_original_outputs_keeps_a_fine_tuned_surrogate(session, X, model):
    tuned = session.replace("0")
    with torch.no_grad():
        tuned.terms[0].constants.add_(0.25)
    session.original_outputs(X)
    assert model[0] is tuned


def test_distill_after_loading_resumes_the_saved_dims(tmp_path):
    """After a kernel restart: load the session, Distill again -> only the missing dims."""
    model, X = hidden_linear_3_32()
    s = stl.Session(model, X, **{**QUICK, "niterations": 2})
    s.distill("0", k_out=3, output_dims=[0, 1])
    s.save(tmp_path / "half.json")
    loaded = stl.Session.load(tmp_path / "half.json", model, X, **{**QUICK, "niterations": 2})
    saved = loaded.jobs["0"].fronts[0]
    job = loaded.distill("0", k_out=3)
    assert sorted(job.distiller.fronts_) == [2] and job.fronts[0] is saved
    other = stl.Session.load(tmp_path / "half.json", model, X * 2, **{**QUICK, "niterations": 2})
    job = other.distill("0", k_out=3)  # other rows: a fresh search
    assert sorted(job.distiller.fronts_) == [0, 1, 2]


def test_a_module_replaced_by_another_session_is_not_recorded_or_distilled(session, model, X):
    other = stl.Session(model, X, **QUICK)
    assert not other.replaced_elsewhere("0")
    session.replace("0")
    assert other.replaced_elsewhere("0") and not session.replaced_elsewhere("0")
    for action in (lambda: other.record("0"), lambda: other.distill("0")):
        with pytest.raises(ValueError, match="module '0' is replaced by a symbolic surrogate "
                           "from another Session/Lab: restore it there first"):  # fmt: skip
            action()
    session.restore("0")
    assert not other.replaced_elsewhere("0")
    other.record("0")


def test_a_replacement_overwritten_by_another_session_is_replaced_elsewhere(session, model, X):
    # session A replaced "0", then session B replaced it again: A's job still holds an active
    # replacement, but the surrogate standing there is B's
    other = stl.Session(model, X, **QUICK)
    other.distill("0")
    session.replace("0")
    other.replace("0")
    assert session.jobs["0"].status == "replaced"
    assert session.replaced_elsewhere("0") and not other.replaced_elsewhere("0")


class Kink(nn.Module):
    """y = x0 for x0 > 0, -2·x0 otherwise: weights on one side make it a straight line."""

    def forward(self, x):
        return torch.where(x[:, :1] > 0, x[:, :1], -2 * x[:, :1])


def test_sample_weight_reaches_the_search_and_keys_it():
    torch.manual_seed(0)
    X = torch.rand(400, 1) * 2 - 1
    session = stl.Session(nn.Sequential(Kink()), X)
    right = (X[:, 0] > 0).double().numpy()
    params = {"binary_operators": ["+", "*"], "niterations": 10, "model_selection": "accuracy"}
    job = session.distill("0", sample_weight=right, **params)
    expr = job.fronts[0].selected.expression
    x = X[right > 0].double().numpy()
    np.testing.assert_allclose(expr.numpy(x), x[:, 0], atol=1e-6)  # weighted: the right branch
    job = session.distill("0", **params)  # same rows and settings, no weights: searched again
    x_all = X.double().numpy()
    assert np.abs(job.fronts[0].selected.expression.numpy(x_all[right > 0]) - x[:, 0]).max() > 1e-3


@pytest.mark.parametrize("background", [False, True])
def test_nan_in_the_data_is_named_as_the_recorded_inputs_of_the_module(model, X, background):
    """It said "Distiller.fit: X of shape (4000, 5) … column 2 ('x2')": whose X?"""
    X = X.clone()
    X[3, 1] = float("nan")
    s = stl.Session(model, X, **QUICK)
    with pytest.raises(ValueError) as info:
        s.distill("0", background=background)  # raised at once, not in the search thread
    message = str(info.value)
    assert message.startswith("module '0': its recording (X: the inputs the model passed to it")
    assert "column 1 ('x1')" in message and "first at row 3" in message
