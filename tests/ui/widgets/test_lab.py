"""LabWidget: its synced state is protocol.LabState (generated traits), and requests answer."""

from typing import Literal, NotRequired, TypedDict

import pytest
import traitlets

from symtorch_lab.ui import protocol as P
from symtorch_lab.ui.schema import check, fields
from symtorch_lab.ui.widgets.esm_loader import StlWidget
from symtorch_lab.ui.widgets.lab import LabWidget
from symtorch_lab.ui.widgets.traits import synced_traits


def test_the_synced_traits_are_the_lab_state_fields():
    own = set(LabWidget.class_traits(sync=True)) - set(StlWidget.class_traits(sync=True))
    assert own == set(fields(P.LabState)[0]) | {"parity", "boundary_grid"}
    widget = LabWidget()
    check(widget.state(), P.LabState, "LabWidget state")
    assert widget.state()["status"] is None and widget.state()["model"] == "model"


def test_trait_values_are_checked_like_the_protocol():
    widget = LabWidget()
    with pytest.raises(traitlets.TraitError):
        widget.module_status = "bogus"
    widget.status = {"state": "running"}  # a TypedDict field is a Dict trait
    assert widget.state()["status"] == {"state": "running"}


def test_traits_are_generated_for_every_schema_form():
    class Shape(TypedDict):
        a: str
        b: int | None
        c: Literal["x", "y"]
        d: list[int]
        e: dict[str, float]
        f: NotRequired[bool]

    traits = synced_traits(Shape, a="hi")
    assert {n: type(t).__name__ for n, t in traits.items()} == {
        "a": "Unicode", "b": "Int", "c": "Enum", "d": "List", "e": "Dict", "f": "Bool",
    }  # fmt: skip
    assert traits["a"].default_value == "hi" and traits["b"].allow_none
    assert all(t.metadata["sync"] for t in traits.values())
    with pytest.raises(TypeError, match="no field"):
        synced_traits(Shape, zzz=1)


def test_requests_without_a_lab_get_an_error_reply_and_show_it():
    widget = LabWidget()
    msg = {"v": P.PROTOCOL_VERSION, "id": "r1", "type": "stop", "model": "m", "path": "0"}
    reply = widget.reply(msg)
    assert reply["type"] == "error" and reply["code"] == "not_implemented" and reply["id"] == "r1"
    assert widget.error == reply["message"]
    assert widget.reply("junk")["code"] == "bad_message"
