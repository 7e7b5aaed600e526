"""The Lab flow a new user walks (issue 6, sections 4 and 6): a Lab loaded without data, the
root module from the panel, what a loaded Lab shows, and the final state after a waited search."""

import json

import pytest

from symtorch_lab.ui import panel as panels
from symtorch_lab.ui import protocol as P
from symtorch_lab.ui.lab import Lab
from symtorch_lab.ui.schema import check
from tests.ui.messages import request

QUICK = dict(population_size=60, niterations=5, timeout_in_seconds=20, max_rows=200)


@pytest.fixture
def saved(model, X, tmp_path):
    lab = Lab(model, X, **QUICK)
    lab.distill("0").handle.wait(60)
    front = lab.session.jobs["0"].fronts[0]
    lab.pick(front.candidates[0].id, dim=0)  # not the rule's default pick
    lab.save(tmp_path / "s.json")
    return lab, tmp_path / "s.json"


def test_a_lab_loaded_without_data_says_how_to_add_it(saved, model, X):
    _, file = saved
    again = Lab.load(file, model, **QUICK)
    reply = again.widget.reply(request("start_distill", path="0"))
    assert reply["type"] == "error"
    for hint in ("module '0'", "lab.set_data(X)", "stl.Lab.load(file, model, data)"):
        assert hint in reply["message"] and hint in again.widget.error
    again.set_data(X)
    reply = again.widget.reply(request("start_distill", "r2", path="0"))
    assert reply["type"] == "response", reply
    again.session.jobs["0"].handle.wait(60)
    assert again.session.jobs["0"].fronts and again.widget.error == ""


def test_the_panel_serves_a_lab_loaded_without_data_with_the_hint(saved, model):
    _, file = saved
    panel = panels.Panel(lambda: {"model": model})
    Lab.load(file, model, panel=panel)
    session = panel.open(_Comm())
    reply = session.reply(request("start_distill", path="0"))
    assert reply["type"] == "error" and "lab.set_data(X)" in reply["message"]


def test_the_root_module_distils_from_the_panel_and_the_widget_shows_its_front(model, X):
    panel = panels.Panel(lambda: {"model": model})
    lab = Lab(model, X, panel=panel, **QUICK)
    session = panel.open(_Comm())
    assert session.reply(request("select_module", path=""))["type"] == "response"
    reply = session.reply(request("start_distill", "r2", path=""))
    assert reply["type"] == "response", reply
    lab.session.jobs[""].handle.wait(60)
    lab._publish()
    assert lab.selected_module == "" and lab.widget.module == ""
    assert lab.widget.module_status == "distilled"
    assert lab.widget.points and lab.widget.status["state"] == "done"
    assert lab.widget.picks == {"0": lab.session.jobs[""].fronts[0].selected.id}
    check(lab.widget.state(), P.LabState, "LabWidget state")


def test_a_loaded_lab_shows_the_saved_pick_and_how_far_the_search_got(saved, model):
    lab, file = saved
    picked = lab.session.jobs["0"].fronts[0].selected
    generation = lab.session.jobs["0"].meta["generation"]
    assert generation > 0
    again = Lab.load(file, model)
    detail = again.selected_candidate
    assert detail is not None and detail["id"] == picked.id and detail["picked"]
    assert detail["latex"] and again.widget.error == ""
    status = again.widget.status
    assert status["state"] == "done" and status["generation"] == generation
    assert status["elapsed"] == pytest.approx(lab.session.jobs["0"].meta["elapsed"])


def test_a_loaded_lab_with_data_shows_the_picks_parity_rows(saved, model, X):
    _, file = saved
    again = Lab.load(file, model, X)
    assert again.selected_candidate["n_parity"] > 0 and len(again.widget.parity) > 0


@pytest.mark.parametrize("value", [-1, "7", True, 10**15])
def test_a_session_file_with_a_bad_generation_count_is_refused(saved, model, value):
    _, file = saved
    data = json.loads(file.read_text())
    data["layers"][0]["meta"]["generation"] = value
    file.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"meta\.generation"):
        Lab.load(file, model)


class _Comm:
    def __init__(self):
        self.sent = []

    def send(self, data):
        self.sent.append(data)

    def on_msg(self, _callback):
        pass

    def on_close(self, _callback):
        pass
