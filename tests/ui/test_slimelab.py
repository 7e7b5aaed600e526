"""SlimeLab, its widget and the panel's SLIME view without a browser: protocol requests in,
kernel-computed views out (grids, level sets, partial dependence), real searches (small)."""

import numpy as np
import pytest

import symtorch_lab as stl
from symtorch_lab.neighbourhood import local_fidelity
from symtorch_lab.ui import protocol as P
from symtorch_lab.ui import slime_adapter as A
from symtorch_lab.ui import slime_views as V
from symtorch_lab.ui.schema import check
from symtorch_lab.ui.slimelab import SlimeLab
from tests.ui.test_panel import FakeComm

SMALL = dict(population_size=30, niterations=4, random_state=0)


def msg(kind, msg_id="r1", **payload):
    return {"v": P.PROTOCOL_VERSION, "id": msg_id, "type": kind, **payload}


def product(Z):
    return Z[:, 0] * Z[:, 1]


@pytest.fixture
def plane():
    return np.random.default_rng(0).uniform(-1, 1, (200, 2))


def floats(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float32)


def test_a_clicked_point_is_explained_and_every_drawn_grid_is_the_kernels(plane):
    assert stl.SlimeLab is SlimeLab
    lab = SlimeLab(product, plane, grid_size=20, **SMALL)
    grid = lab.widget.grid
    surface = floats(lab.widget.surface).reshape(20, 20)
    assert surface[0, -1] == pytest.approx(grid["x_max"] * grid["y_min"], rel=1e-5)  # y outer
    reply = lab.widget.reply(msg("slime_explain", explainer="slime", x0=[0.2, -0.3]))
    assert reply["type"] == "response", reply
    check(reply["result"], P.SlimeRef, "slime_explain result")
    e = lab.wait(60)
    check(lab.widget.state(), P.SlimeState, "SlimeWidget state")
    summary = lab.widget.summary
    assert summary["x0"] == [0.2, -0.3] and e.x0.tolist() == [0.2, -0.3]
    assert lab.widget.status["phase"] == "done" and summary["level"] == pytest.approx(-0.06)
    points = V.grid_points(np.array([grid["x_min"], grid["y_min"]]),
                           np.array([grid["x_max"], grid["y_max"]]), 20)  # fmt: skip
    drawn = floats(lab.widget.slime_grid)  # g where it was fitted (the samples' box), else NaN
    inside = np.isfinite(drawn)
    assert 0 < inside.sum() < len(drawn)
    assert np.isnan(floats(lab.widget.lime_grid)[~inside]).all()
    np.testing.assert_allclose(drawn[inside], e.predict(points)[inside], rtol=1e-5, atol=1e-6)
    lime = floats(lab.widget.lime_grid)[inside]
    np.testing.assert_allclose(lime, lab.lime.predict(points)[inside], rtol=1e-5, atol=1e-6)
    assert len(floats(lab.widget.neighbours)) == 2 * summary["n_neighbours"]
    # LIME is scored on the very sample SLIME's fidelity was computed on
    Z, w = A.fresh_sample(e)
    again = local_fidelity(A.black_box(lab.explainer, e.x0), e.predict, e.x0, Z, w)
    assert again == pytest.approx(e.fidelity)
    assert summary["lime_fidelity"]["weighted_mse"] == pytest.approx(
        local_fidelity(A.black_box(lab.explainer, e.x0), lab.lime.predict, e.x0, Z, w)[
            "weighted_mse"
        ]
    )


def test_bad_points_get_an_error_naming_them(plane):
    lab = SlimeLab(product, plane, grid_size=10, **SMALL)
    reply = lab.widget.reply(msg("slime_explain", explainer="slime", x0=[0.1, 0.2, 0.3]))
    assert reply["type"] == "error" and reply["code"] == "engine"
    assert "x0 must have 2 features" in reply["message"] and "(3,)" in reply["message"]
    assert "x0 must have 2 features" in lab.widget.error
    assert lab.widget.status["request"] == 0  # refused before anything shown was touched
    with pytest.raises(ValueError, match="NaN"):
        lab.explain([float("nan"), 0.0])
    reply = lab.widget.reply(msg("slime_explain", explainer="slime", row=999))
    assert reply["type"] == "error" and "row 999" in reply["message"]
    reply = lab.widget.reply(msg("slime_explain", explainer="slime", x0="0.1"))
    assert reply["type"] == "error" and reply["code"] == "bad_message"


def test_a_new_request_stops_the_running_search_and_keeps_its_result(plane):
    lab = SlimeLab(product, plane, grid_size=10, population_size=40, niterations=5000,
                   timeout_in_seconds=60, random_state=0)  # fmt: skip
    lab.explain([0.5, 0.5])
    superseded = lab.controller._run
    lab.explain([-0.5, 0.25], num_neighbours=12)
    with pytest.raises(TimeoutError):
        lab.wait(0.5)  # the second search runs on
    lab.stop()
    e = lab.wait(60)
    assert e.x0.tolist() == [-0.5, 0.25] and len(e.neighbours) == 12
    superseded.handle.result(timeout=120)  # it ends after its generation; its error re-raised
    assert superseded.phase == "stopped" and superseded.message.startswith("superseded")
    first = next(h for h in lab.history if h is not e)  # in the order they ended
    assert first.x0.tolist() == [0.5, 0.5] and first.stopped and e.stopped
    assert lab.widget.summary["request"] == 2 and lab.widget.status["phase"] == "stopped"
    assert lab.widget.settings["num_neighbours"] == 12


def test_a_tabular_row_gets_lime_weights_and_partial_dependence():
    X = np.random.default_rng(1).uniform(-1, 1, (150, 3))

    def f(Z):
        return Z[:, 0] * Z[:, 1] + np.sin(Z[:, 2])

    lab = SlimeLab(f, X, feature_names=["a", "b", "c"], **SMALL)
    assert lab.widget.kind == "tabular" and lab.widget.grid is None and lab.widget.surface == b""
    lab.explain(row=5)
    e = lab.wait(60)
    s = lab.widget.summary
    assert s["row"] == 5 and e.x0.tolist() == X[5].tolist()
    assert {w["feature"] for w in s["lime_weights"]} == {"a", "b", "c"}
    k, n = len(s["pd_features"]), s["pd_points"]
    curves = floats(lab.widget.pd).reshape(k, 4, n)
    j = ["a", "b", "c"].index(s["pd_features"][0])
    rows = np.tile(e.x0, (n, 1))
    rows[:, j] = curves[0, 0]
    np.testing.assert_allclose(curves[0, 1], f(rows), rtol=1e-5, atol=1e-6)  # f along it
    np.testing.assert_allclose(curves[0, 3], e.predict(rows), rtol=1e-4, atol=1e-5)  # SLIME
    check(lab.widget.state(), P.SlimeState, "SlimeWidget state")


def test_the_panel_lists_explainers_and_explains_a_row(plane):
    explainer = stl.SlimeExplainer(product, plane, preset="fast", **SMALL)
    namespace = {"explainer": explainer, "lab": SlimeLab(product, plane, grid_size=10, **SMALL)}
    from symtorch_lab.ui import panel as panels

    panel = panels.Panel(lambda: namespace)
    comm = FakeComm()
    panel.open(comm)
    listed = comm.sent[1]
    assert listed["type"] == "explainers"
    assert [(e["name"], e["type"]) for e in listed["explainers"]] == [
        ("explainer", "SlimeExplainer"),
        ("lab", "SlimeLab"),
    ]
    reply = comm.request(type="slime_explain", explainer="explainer", row=3)
    assert reply["type"] == "response" and reply["result"]["status"]["phase"] == "running"
    e = panel.slime.controller("explainer").wait(60)
    assert e.x0.tolist() == plane[3].tolist()
    events = [m for m in comm.sent if m["type"] == "slime" and m["summary"] is not None]
    assert events and events[-1]["summary"]["x0"] == plane[3].tolist()
    check(events[-1], P.SlimeEvent, "slime event")
    # the panel drives a SlimeLab through its own controller: its widget follows
    comm.request(type="slime_explain", explainer="lab", row=4)
    namespace["lab"].wait(60)
    assert namespace["lab"].widget.summary["x0"] == plane[4].tolist()
    reply = comm.request(type="slime_stop", explainer="nope")
    assert reply["type"] == "error" and reply["code"] == "unknown_explainer"
    assert "['explainer', 'lab']" in reply["message"]


def test_the_panel_explains_a_slimelab_with_its_sliders_settings(plane):
    """The panel's Explain used the preset's settings whatever the widget's sliders said: both
    now use the controller's, and the sliders show what the panel's request used."""
    lab = SlimeLab(product, plane, grid_size=10, **SMALL)
    from symtorch_lab.ui import panel as panels

    panel = panels.Panel(lambda: {"lab": lab})
    comm = FakeComm()
    panel.open(comm)
    reply = lab.widget.reply(msg("slime_explain", explainer="slime", row=1,
                                 settings={"num_neighbours": 37, "num_synthetic": 50}))  # fmt: skip
    assert reply["type"] == "response", reply
    lab.wait(60)
    assert comm.request(type="slime_explain", explainer="lab", row=4)["type"] == "response"
    e = lab.wait(60)
    assert e.x0.tolist() == plane[4].tolist()
    assert (len(e.neighbours), len(e.synthetic)) == (37, 50)
    assert lab.widget.settings["num_neighbours"] == 37 and lab.widget.summary["n_neighbours"] == 37


def test_a_flat_f_and_too_many_neighbours_are_said_not_hidden(plane):
    """A constant f: R² is undefined (null in the protocol, never NaN, which JSON refuses),
    the MSE is still shown; num_neighbours above the data's rows is clamped and says so."""
    import json

    lab = SlimeLab(lambda Z: np.full(len(Z), 0.25), plane, grid_size=10, **SMALL)
    lab.explain(row=2, num_neighbours=500)
    e = lab.wait(60)
    assert len(e.neighbours) == len(plane) and np.isnan(e.fidelity["r2"])
    summary = lab.widget.summary
    check(summary, P.SlimeSummary, "SLIME summary")
    json.dumps(lab.widget.state(), allow_nan=False, default=lambda b: None)
    assert summary["fidelity"]["r2"] is None and summary["fidelity"]["weighted_mse"] is not None
    assert f"num_neighbours 500 > {len(plane)} rows: using {len(plane)}" in summary["note"]
    assert "f is flat near x0" in summary["note"]
