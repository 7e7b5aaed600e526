"""views.search_status: the Lab's progress line says which dims run, how many are done and
how many were skipped (issue 6 §4: it said "(0/8 dims done)" while on dim 3)."""

import time

import torch
from torch import nn

import symtorch_lab as stl
from symtorch_lab.ui.views import search_status


def test_progress_text_names_the_running_dim_done_and_skipped_dims():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 32), nn.Tanh())
    quick = dict(population_size=100, niterations=100_000, timeout_in_seconds=60, max_rows=200)
    s = stl.Session(model, torch.randn(300, 3), n_jobs=1, **quick)
    s.distill("0", k_out=4, output_dims=[0], callbacks=[lambda e: e.generation >= 1])
    job = s.distill("0", k_out=4, background=True)  # dim 0 kept, dim 3 skipped
    deadline = time.monotonic() + 60
    while job.progress.get("running") != [1] and time.monotonic() < deadline:
        time.sleep(0.01)
    status = search_status("m", job)
    s.stop("0")
    job.handle.wait(60)
    assert status["state"] == "running"
    assert status["message"] == "dim 1 · 2/4 dims done · 1 skipped"
    done = search_status("m", job)
    assert done["state"] == "done"
    assert done["message"] == "2/4 dims done · 1 partial · 1 skipped · stopped by you"


def test_a_callback_that_ends_the_search_is_not_a_stop_by_the_user():
    """The pinn notebook's ``stop_when_fitted`` ended the search at generation 7 of 15 and the
    line said "1/1 dims done (stopped)", as after the user's Stop."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    quick = dict(population_size=100, niterations=15, timeout_in_seconds=None, max_rows=200)
    s = stl.Session(model, torch.randn(300, 2), n_jobs=1, **quick)
    job = s.distill("2", callbacks=[lambda e: e.generation >= 2])
    done = search_status("m", job)
    assert done["state"] == "done"
    assert done["message"] == "1/1 dims done · stopped by a callback"
    job = s.distill("2", niterations=2)
    assert search_status("m", job)["message"] == (
        "1/1 dims done · generation budget reached (niterations=2)"
    )
