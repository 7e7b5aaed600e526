"""Lab + LabWidget without a browser: requests through ``ModelSource.handle``, the panel comm and
the widget's message handler change the Session as asked and leave protocol-valid snapshots."""

import asyncio
import threading
import time

import pytest
import torch
from torch import nn

import symtorch_lab as stl
from symtorch_lab.ui import panel as panels
from symtorch_lab.ui import protocol as P
from symtorch_lab.ui.lab import Lab
from symtorch_lab.ui.schema import check
from tests.helpers import run_in_fresh_loop
from tests.ui.messages import request

QUICK = dict(population_size=100, niterations=8, timeout_in_seconds=20, max_rows=200)


def wait_done(lab, path, timeout=30.0):
    job = lab.session.jobs[path]
    job.handle.wait(timeout)  # the fronts are filed before the search thread ends
    assert job.fronts and not job.live
    lab._publish()
    return job


def assert_valid(lab):
    check(lab.widget.state(), P.LabState, "LabWidget state")


@pytest.fixture
def distilled(model, X):
    lab = Lab(model, X, **QUICK)
    reply = lab.widget.reply(request("start_distill", path="0"))
    assert reply["type"] == "response", reply
    check(reply["result"], P.SearchStatus, "start_distill result")
    wait_done(lab, "0")
    return lab


def test_lab_is_exported_lazily_and_shapes_come_from_one_pass(model, X):
    assert stl.Lab is Lab
    lab = Lab(model, X, **QUICK)
    shapes = lab.module_shapes()
    assert shapes["0"] == ([2], [2]) and shapes["2"] == ([2], [1]) and shapes[""] == ([2], [1])
    assert lab.module_status() == {}
    assert lab.session.distiller_params["validation_fraction"] == 0.2
    tree = panels.module_tree("model", model, lab)
    check(tree, P.ModuleTree, "tree")
    assert_valid(lab)


def test_start_distill_fills_the_front_and_the_default_picks(distilled):
    lab = distilled
    job = lab.session.jobs["0"]
    assert job.status == "distilled" and sorted(job.fronts) == [0, 1]
    w = lab.widget
    assert w.module == "0" and w.module_status == "distilled"
    assert w.status["state"] == "done" and w.status["generation"] > 0
    assert {p["dim"] for p in w.points} == {0, 1}
    assert w.picks == {str(d): f.selected.id for d, f in job.fronts.items()}
    assert_valid(lab)


def test_pick_via_widget_message_stores_the_pick_and_sends_parity_rows(distilled):
    lab, job = distilled, distilled.session.jobs["0"]
    simplest = job.fronts[1].candidates[0]
    reply = lab.widget.reply(request("pick_candidate", path="0", dim=1, expression_id=simplest.id))
    assert reply["type"] == "response", reply
    assert job.fronts[1].selected.id == simplest.id
    detail = lab.selected_candidate
    assert detail["id"] == simplest.id and detail["dim"] == 1 and detail["picked"]
    assert detail["heldout"] is not None and "held-out" in detail["heldout_label"]
    assert len(lab.widget.parity) == 2 * 4 * detail["n_parity"] > 0
    assert lab.widget.picks["1"] == simplest.id
    assert_valid(lab)


def test_replace_and_restore_through_the_panel_seam(distilled, model):
    lab = distilled
    original = model[0]
    result = lab.handle(request("replace", path="0"))
    check(result, P.RESULTS["replace"], "replace result")
    assert isinstance(model[0], stl.SymbolicSurrogate) and result["status"] == "replaced"
    assert lab.widget.module_status == "replaced"
    lab.handle(request("restore", path="0"))
    assert model[0] is original and lab.widget.module_status == "distilled"


def test_engine_errors_become_error_replies_and_show_in_the_widget(model, X):
    lab = Lab(model, X, **QUICK)
    reply = lab.widget.reply(request("replace", path="2"))
    assert reply["type"] == "error" and reply["code"] == "engine" and reply["id"] == "r1"
    assert "not been recorded" in lab.widget.error
    with pytest.raises(P.ProtocolError):
        lab.handle(request("replace", path="2"))


@pytest.mark.parametrize(
    "message, code",
    [
        ("not a dict", "bad_message"),
        ({"v": 99, "id": "x", "type": "stop"}, "unsupported_version"),
        ({"v": P.PROTOCOL_VERSION, "id": "x", "type": "launch"}, "bad_message"),
        ({"v": P.PROTOCOL_VERSION, "id": "x", "type": "stop", "model": "m"}, "bad_message"),
        (request("pick_candidate", path="0", dim="zero", expression_id="a"), "bad_message"),
        (request("stop", path="no.such.module"), "unknown_module"),
    ],
)
def test_malformed_messages_get_error_replies(model, X, message, code):
    lab = Lab(model, X, **QUICK)
    reply = lab.widget.reply(message)
    assert reply["type"] == "error" and reply["code"] == code, reply
    check(reply, P.ErrorResponse, "reply")
    assert lab.widget.error


def test_custom_message_handler_answers_over_the_widget_channel(model, X):
    lab = Lab(model, X, **QUICK)
    sent = []
    lab.widget.send = sent.append
    lab.widget._on_custom_msg(lab.widget, request("select_module", path="2"), [])
    assert sent[-1]["type"] == "response" and sent[-1]["result"]["path"] == "2"
    assert lab.selected_module == "2" and lab.widget.module == "2"


def test_wide_layers_default_to_pca_of_eight(X):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 12), nn.Tanh(), nn.Linear(12, 10))
    lab = Lab(model, X, **{**QUICK, "niterations": 2})
    job = lab.distill("2", output_dims=[0])
    assert job.in_projection is not None and job.in_projection.n_components == 8
    assert job.out_projection is not None and job.out_projection.n_components == 8
    lab.stop()
    job.handle.wait(30)
    job = lab.distill("2", k_in=0, k_out=3, output_dims=[0])
    assert job.in_projection is None and job.out_projection.n_components == 3
    job.handle.wait(30)


def test_publishing_from_search_threads_happens_on_the_loop_thread(model, X):
    """The search calls back on a worker thread; traits change only on the loop's thread."""
    changes: list[int] = []

    async def scenario():
        lab = Lab(model, X, **{**QUICK, "niterations": 40})
        lab.widget.observe(lambda _c: changes.append(threading.get_ident()), names="points")
        lab.distill("0")
        job = lab.session.jobs["0"]
        while not job.handle.done:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.6)  # let the last coalesced flush run
        return lab, threading.get_ident()

    lab, loop_thread = run_in_fresh_loop(scenario())
    assert changes and set(changes) == {loop_thread}
    assert lab.widget.status["state"] == "done" and lab.widget.points
    assert_valid(lab)


def test_panel_click_selects_and_status_events_reach_the_panel(model, X):
    panel = panels.Panel(lambda: {"model": model})
    sent: list[dict] = []
    session = panels.PanelSession(panel, type("C", (), {"send": lambda _s, m: sent.append(m)})())
    panel.sessions.append(session)
    lab = Lab(model, X, panel=panel, **QUICK)
    assert session.reply(request("get_tree"))["type"] == "response"
    assert session.reply(request("select_module", path="2"))["type"] == "response"
    assert lab.selected_module == "2"
    reply = session.reply(request("start_distill", path="2", settings={"niterations": 3}))
    assert reply["type"] == "response", reply
    wait_done(lab, "2")
    statuses = [m["status"] for m in sent if m.get("type") == "status"]
    assert statuses and statuses[-1]["path"] == "2" and statuses[-1]["state"] == "done"
    for status in statuses:
        check(status, P.SearchStatus, "status event")


def test_compare_adds_a_record(distilled):
    lab = distilled
    result = lab.handle(request("compare"))
    check(result, P.Comparison, "compare result")
    assert result["metric_name"] == "mse" and len(lab.widget.records) == 1
    assert lab.widget.records[0]["paths"] == ["0"]
    assert lab.widget.records[0]["reference"] == "the original network's output"
    assert lab.widget.records[0]["batch"] == len(lab.session.data)  # what was timed, where
    assert lab.widget.records[0]["device"] == "cpu"
    assert_valid(lab)


def test_report_writes_the_sessions_html_with_the_picked_expression(distilled, tmp_path):
    lab, job = distilled, distilled.session.jobs["0"]
    lab.pick(job.fronts[0].candidates[-1].id, dim=0)
    path = lab.report(tmp_path / "lab.html")
    html = open(path, encoding="utf-8").read()
    assert "<math" in html and job.fronts[0].selected.expression.latex(precision=4) in html


def test_save_and_load_bring_back_fronts_picks_and_replacements(distilled, model, tmp_path):
    lab, job = distilled, distilled.session.jobs["0"]
    pick = job.fronts[0].candidates[0].id
    lab.pick(pick, dim=0)
    lab.replace()
    lab.save(tmp_path / "s.json")
    lab.restore()
    again = Lab.load(tmp_path / "s.json", model)
    assert isinstance(model[0], stl.SymbolicSurrogate)
    assert again.session.jobs["0"].fronts[0].selected.id == pick
    assert again.selected_module == "0" and again.widget.picks["0"] == pick
    assert again.module_status() == {"0": "replaced"}
    assert again.widget.points and again.widget.module_status == "replaced"
    assert_valid(again)


def test_loaded_lab_with_data_records_again_for_the_parity_plot(distilled, model, X, tmp_path):
    distilled.replace()
    distilled.save(tmp_path / "s.json")
    distilled.restore()
    again = Lab.load(tmp_path / "s.json", model, X)
    # the saved pick's detail is restored at load, which recorded the original module again
    assert again.session.jobs["0"].recording is not None
    cand = again.session.jobs["0"].fronts[0].candidates[-1]
    detail = again.pick(cand.id, dim=0)
    assert detail["n_parity"] > 0 and len(again.widget.parity) == 8 * detail["n_parity"]
    assert isinstance(model[0], stl.SymbolicSurrogate)  # recorded the original, then re-replaced


def test_the_newest_lab_of_a_model_serves_the_panel(model, X):
    panel = panels.Panel(dict)
    old = Lab(model, X, panel=panel, **QUICK)
    new = Lab(model, X, panel=panel, **QUICK)
    assert panel.source_for(model) is new and old is not new


def test_updates_stay_coalesced_to_four_per_second_while_the_user_acts(model, X):
    stamps: list[float] = []

    async def scenario():
        lab = Lab(model, X, **{**QUICK, "niterations": 1_000_000, "timeout_in_seconds": 30})
        lab.distill("2")
        flush = lab._coalescer._flush
        lab._coalescer._flush = lambda keys: (stamps.append(time.monotonic()), flush(keys))
        for _ in range(10):  # clicks on the kernel thread between coalesced flushes
            await asyncio.sleep(0.13)
            lab.select("2")
        await asyncio.sleep(1.0)
        lab.stop()
        lab.session.jobs["2"].handle.wait(30)

    run_in_fresh_loop(scenario())
    span = stamps[-1] - stamps[0]
    assert len(stamps) >= 5 and (len(stamps) - 1) / span <= 4.5, (len(stamps), span)


def test_k_controls_travel_in_the_start_distill_settings(X):
    model = nn.Sequential(nn.Linear(2, 12), nn.Tanh(), nn.Linear(12, 10))
    lab = Lab(model, X, **{**QUICK, "niterations": 2})
    settings = {"k_in": 0, "k_out": 2, "niterations": 2}
    reply = lab.widget.reply(request("start_distill", path="2", settings=settings))
    assert reply["type"] == "response", reply
    job = wait_done(lab, "2")
    assert job.in_projection is None and job.out_projection.n_components == 2
    assert sorted(job.fronts) == [0, 1] and {p["dim"] for p in lab.widget.points} == {0, 1}


def test_compare_records_come_back_with_a_loaded_lab(distilled, model, X, tmp_path):
    distilled.compare(repeats=2, warmup=1)
    assert len(distilled.widget.records) == 1
    distilled.save(tmp_path / "s.json")
    again = Lab.load(tmp_path / "s.json", model)
    assert list(again.widget.records) == list(distilled.widget.records)


def test_distill_takes_the_users_callbacks_beside_the_labs_own(model, X):
    seen = []
    lab = Lab(model, X, **QUICK)
    job = lab.distill("0", callbacks=[seen.append])  # was: "multiple values for 'callbacks'"
    wait_done(lab, "0")
    assert seen and job.fronts
    assert lab.widget.state()["status"]  # the Lab's own marker ran too


def test_distill_with_derived_inputs_records_them(model, X):
    lab = Lab(model, X, **QUICK)
    transforms = [lambda x: x[:, 0] * x[:, 1], lambda x: x[:, 1]]
    lab.distill("0", variable_transforms=transforms, variable_names=["prod", "b"])
    job = wait_done(lab, "0")  # was: recorded without them (TypeError in the Distiller)
    assert job.recording.variable_names == ("prod", "b")
    assert job.fronts[0].selected.expression.variable_names == ("prod", "b")


def test_distill_with_nothing_left_to_search_says_so(distilled):
    """The second Distill with the same settings searched nothing and read "done: generation
    0": the status now says why nothing ran and keeps the first search's generations."""
    lab = distilled
    first = lab.widget.status["generation"]
    reply = lab.widget.reply(request("start_distill", path="0"))
    assert reply["type"] == "response", reply
    wait_done(lab, "0")
    status = lab.widget.status
    assert status["message"].startswith("nothing to search: every dim (2) has its final front")
    assert status["state"] == "done" and status["generation"] == first > 0
    assert_valid(lab)


def test_a_lab_on_a_session_with_work_opens_on_its_replaced_module(distilled, model, X):
    # llm.ipynb: Lab(model, session=session) showed "(no module selected)" and an empty front
    distilled.replace("0")
    lab = Lab(model, X, session=distilled.session)
    assert lab.selected_module == "0" and lab.widget.module == "0"
    assert lab.widget.module_status == "replaced"
    assert lab.widget.points  # its front
    assert_valid(lab)
