"""What the Lab widget shows is what its buttons act on: the detail pane never shows a
candidate the published front no longer holds (or a stale "picked" flag), and a module that
another Lab replaced is shown as such, with Distill/Replace refused."""

import pytest

import symtorch_lab as stl
from symtorch_lab.ui import protocol as P
from symtorch_lab.ui.lab import Lab
from symtorch_lab.ui.schema import check
from tests.ui.messages import request

QUICK = dict(population_size=100, niterations=8, timeout_in_seconds=20, max_rows=200)


def wait_done(lab, path, timeout=30.0):
    job = lab.session.jobs[path]
    job.handle.wait(timeout)
    assert job.fronts and not job.live
    lab._publish()
    return job


def detail_matches_front(lab):
    """The shown candidate is on the published front and its "picked" flag is the engine's."""
    shown = lab.selected_candidate
    if shown is None:
        return True
    ids = {(p["dim"], p["id"]) for p in lab.widget.points}
    picked = lab.widget.picks.get(str(shown["dim"])) == shown["id"]
    return (shown["dim"], shown["id"]) in ids and shown["picked"] == picked


@pytest.fixture
def distilled(model, X):
    lab = Lab(model, X, **QUICK)
    lab.distill("0")
    wait_done(lab, "0")
    return lab


def test_a_second_distill_clears_the_picked_detail(distilled):
    lab = distilled
    job = lab.session.jobs["0"]
    last = job.fronts[0].candidates[-1]
    assert lab.pick(last.id, 0)["picked"]
    lab.distill("0")
    assert lab.selected_candidate is None and lab.widget.parity == b""
    wait_done(lab, "0")
    assert detail_matches_front(lab)
    check(lab.widget.state(), P.LabState, "LabWidget state")


def test_the_detail_follows_a_pick_changed_behind_the_widget(distilled):
    lab = distilled
    job = lab.session.jobs["0"]
    first, other = job.fronts[0].candidates[0], job.fronts[0].candidates[-1]
    assert first.id != other.id
    assert lab.pick(first.id, 0)["picked"]
    job.pick(0, id=other.id)  # e.g. lab.session.jobs[...].pick(...) in a cell
    lab._publish()
    assert lab.selected_candidate["id"] == first.id and not lab.selected_candidate["picked"]
    assert detail_matches_front(lab)


def test_a_detail_whose_candidate_left_the_front_is_cleared(distilled):
    lab = distilled
    job = lab.session.jobs["0"]
    last = job.fronts[0].candidates[-1]
    lab.pick(last.id, 0)
    lab.widget.detail = {**lab.widget.detail, "id": "not-on-the-front"}
    lab._publish()
    assert lab.selected_candidate is None and lab.widget.parity == b""


def test_a_lab_shows_and_refuses_a_module_another_lab_replaced(distilled, model, X, tmp_path):
    first = distilled
    first.replace("0")
    assert first.widget.module_status == "replaced"
    first.save(tmp_path / "s.json")
    again = Lab.load(tmp_path / "s.json", model, X, **QUICK)  # the quickstart's last cell
    theirs = model[0]
    assert isinstance(theirs, stl.SymbolicSurrogate)
    assert again.widget.module_status == "replaced" and again.module_status()["0"] == "replaced"
    assert first.widget.module_status == "replaced_elsewhere"
    assert first.module_status()["0"] == "replaced_elsewhere"
    check(first.widget.state(), P.LabState, "LabWidget state")
    message = "module '0' is replaced by another Lab/Session: restore it there first"
    for action in ("start_distill", "replace", "restore"):
        reply = first.widget.reply(request(action, path="0"))
        assert reply["type"] == "error" and reply["message"] == message, reply
        assert first.widget.error == message
    assert model[0] is theirs
    again.restore("0")
    assert not isinstance(model[0], stl.SymbolicSurrogate)
    assert first.widget.module_status != "replaced_elsewhere"


def test_a_replacement_made_through_the_session_is_the_labs_own(distilled, model):
    lab = distilled
    lab.session.replace("0")
    lab._publish()
    assert lab.widget.module_status == "replaced"
    lab.restore("0")
    assert not isinstance(model[0], stl.SymbolicSurrogate)
