"""The Lab's physics marks without a browser: ``set_known_law`` requests mark the front members
that recover the law in the protocol's FrontPoints, a bad law comes back as an error naming the
fault, and units given to the Lab mark every point consistent or not."""

import pytest
import torch
from torch import nn

from symtorch_lab.ui import protocol as P
from symtorch_lab.ui.lab import Lab
from symtorch_lab.ui.schema import check
from symtorch_lab.ui.views import LatexCache, front_points
from tests.ui.messages import request
from tests.ui.test_lab import QUICK, wait_done


class Product(nn.Module):
    """A module whose law is known: y = 2.5 * x0 * x1."""

    def forward(self, x):
        return 2.5 * x[:, :1] * x[:, 1:2]


@pytest.fixture
def lab():
    torch.manual_seed(0)
    model = nn.Sequential(Product(), nn.Linear(1, 1))
    X = torch.rand(300, 2) * 2 + 1
    lab = Lab(model, X, units={"x0": "m", "x1": "N", "y": "J"}, **QUICK)
    lab.distill("0", k_in=0, k_out=0)
    wait_done(lab, "0")
    return lab


def test_known_law_request_marks_the_front(lab):
    assert all("recovers_law" not in p for p in lab.widget.points)
    reply = lab.widget.reply(request("set_known_law", law="x0*x1"))
    assert reply["type"] == "response", reply
    check(reply["result"], P.ModuleRef, "set_known_law result")
    w = lab.widget
    assert w.known_law == "x0*x1" and w.error == ""
    front = lab.session.jobs["0"].fronts[0]
    marked = {p["id"]: p["recovers_law"] for p in w.points}
    assert marked == {c.id: bool(c.metrics["recovers_law"]) for c in front}
    assert True in marked.values(), repr(front)
    check(w.state(), P.LabState, "LabWidget state")
    assert lab.session.distiller_params["known_law"] == "x0*x1"  # later searches mark too
    # an empty law clears the marks
    assert lab.widget.reply(request("set_known_law", law=""))["type"] == "response"
    assert w.known_law == "" and all("recovers_law" not in p for p in w.points)
    assert "known_law" not in lab.session.distiller_params


@pytest.mark.parametrize(
    ("law", "message"),
    [("x0*y9", "unknown identifier 'y9'"), ("x0*(x1", "expected ')'"), ("os.system(1)", "'.'")],
)
def test_bad_law_is_an_error_naming_the_fault(lab, law, message):
    lab.set_known_law("x0*x1")
    reply = lab.widget.reply(request("set_known_law", law=law))
    assert reply["type"] == "error" and reply["code"] == "engine"
    assert message in reply["message"] and message in lab.widget.error
    assert lab.widget.known_law == "x0*x1"  # the old marks stay
    assert any(p.get("recovers_law") for p in lab.widget.points)


def test_units_mark_every_point(lab):
    points = lab.widget.points
    assert points and all("units_ok" in p for p in points)
    front = lab.session.jobs["0"].fronts[0]
    assert {p["id"]: p["units_ok"] for p in points} == {
        c.id: bool(c.metrics["dim_consistent"]) for c in front
    }


def test_front_points_carry_marks_only_when_marked(lab):
    front = lab.session.jobs["0"].fronts[0]
    front.mark_law(None)
    points = front_points({0: front}, LatexCache())
    assert all("recovers_law" not in p and "units_ok" in p for p in points)
    for p in points:
        check(p, P.FrontPoint, "point")
