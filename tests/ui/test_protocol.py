"""The browser ↔ kernel protocol: valid messages round-trip, malformed ones become errors."""

import json
import types
from pathlib import Path
from typing import TypedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symtorch_lab.ui import protocol as P
from symtorch_lab.ui.protocol_ts import _section_items, generate, main

ROOT = Path(__file__).resolve().parents[2]

VALID = [
    {"type": "list_models"},
    {"type": "get_tree", "model": "net"},
    {"type": "select_module", "model": "net", "path": "0.fc"},
    {"type": "start_distill", "model": "net", "path": "0", "settings": {"maxsize": 12}},
    {"type": "start_distill", "model": "net", "path": ""},
    {"type": "stop", "model": "net", "path": "0"},
    {"type": "pick_candidate", "model": "net", "path": "0", "dim": 1, "expression_id": "e3"},
    {"type": "replace", "model": "net", "path": "0"},
    {"type": "restore", "model": "net", "path": "0"},
    {"type": "compare", "model": "net"},
    {"type": "set_known_law", "model": "net", "law": "k*q1*q2/r^2"},
    {"type": "list_explainers"},
    {"type": "slime_explain", "explainer": "slime", "x0": [0.5, -1.0]},
    {"type": "slime_explain", "explainer": "slime", "row": 3, "settings": {"kernel_width": 0.7}},
    {"type": "slime_stop", "explainer": "slime"},
]


def envelope(payload: dict, msg_id: str = "r1") -> dict:
    return {"v": P.PROTOCOL_VERSION, "id": msg_id, **payload}


@pytest.mark.parametrize("payload", VALID, ids=lambda p: p["type"])
def test_valid_requests_round_trip_through_json(payload):
    msg = envelope(payload)
    assert P.parse_request(json.loads(json.dumps(msg))) == msg


def test_every_request_type_has_a_result_shape():
    assert set(P.RESULTS) == set(P.RequestType.__args__)
    assert {p["type"] for p in VALID} == set(P.RequestType.__args__)


@pytest.mark.parametrize(
    ("msg", "code", "needle"),
    [
        (None, "bad_message", "expected a JSON object"),
        ([1, 2], "bad_message", "expected a JSON object"),
        ({"id": "r1", "type": "list_models"}, "unsupported_version", "version None"),
        ({"v": 99, "id": "r1", "type": "list_models"}, "unsupported_version", "version 99"),
        (envelope({"type": "explode"}), "bad_message", "unknown request type 'explode'"),
        (envelope({"type": "get_tree"}), "bad_message", "missing field(s) ['model']"),
        (envelope({"type": "get_tree", "model": "m", "x": 1}), "bad_message", "unknown field"),
        (envelope({"type": "get_tree", "model": 3}), "bad_message", "request.model"),
        (
            envelope(
                {
                    "type": "pick_candidate",
                    "model": "m",
                    "path": "",
                    "dim": True,
                    "expression_id": "e",
                }
            ),
            "bad_message",
            "request.dim: expected an integer, got True",
        ),
        (
            envelope(
                {
                    "type": "start_distill",
                    "model": "m",
                    "path": "",
                    "settings": {"timeout_in_seconds": float("nan")},
                }
            ),
            "bad_message",
            "a finite number",
        ),
        (
            envelope(
                {
                    "type": "start_distill",
                    "model": "m",
                    "path": "",
                    "settings": {"maxsize": 5, "eval": "__import__('os')"},
                }
            ),
            "bad_message",
            "unknown field(s) ['eval']",
        ),
        (envelope({"type": "list_models"}, msg_id=""), "bad_message", "non-empty"),
        (envelope({"type": "get_tree", "model": "x" * 200_000}), "bad_message", "at most"),
    ],
)
def test_malformed_requests_raise_protocol_errors_with_the_id(msg, code, needle):
    with pytest.raises(P.ProtocolError) as info:
        P.parse_request(msg)
    assert info.value.code == code
    assert needle in info.value.message
    if isinstance(msg, dict) and isinstance(msg.get("id"), str):
        assert info.value.id == msg["id"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries(
            {
                "v": st.just(1),
                "id": st.text(max_size=5),
                "type": st.sampled_from(P.RequestType.__args__),
            },
            optional={
                "model": json_values,
                "path": json_values,
                "dim": json_values,
                "settings": json_values,
                "expression_id": json_values,
            },
        ),
    )
)
def test_arbitrary_json_is_either_a_request_or_a_protocol_error(value):
    try:
        assert P.parse_request(value)["type"] in P.RequestType.__args__
    except P.ProtocolError as exc:
        assert exc.code in P.ErrorCode.__args__


def test_response_checks_the_result_shape():
    request = P.parse_request(envelope({"type": "select_module", "model": "m", "path": "0"}))
    ok = P.response(request, {"model": "m", "path": "0", "status": "not_distilled"})
    assert ok == {
        "v": 1,
        "id": "r1",
        "type": "response",
        "request": "select_module",
        "result": {"model": "m", "path": "0", "status": "not_distilled"},
    }
    with pytest.raises(P.ProtocolError, match="status"):
        P.response(request, {"model": "m", "path": "0", "status": "bogus"})


def test_events_and_errors_have_the_envelope():
    status = {"model": "m", "path": "0", "state": "running", "generation": 3, "elapsed": 1.5,
              "n_candidates": 4, "message": ""}  # fmt: skip
    event = P.event("status", status=status)
    assert event["v"] == P.PROTOCOL_VERSION and event["status"] == status
    with pytest.raises(P.ProtocolError, match="finite"):
        P.event("status", status={**status, "elapsed": float("inf")})
    with pytest.raises(ValueError, match="unknown event type"):
        P.event("front", model="m", path="0", points=[])  # FrontEvent was never sent: removed
    with pytest.raises(ValueError, match="unknown event type"):
        P.event("nope")
    assert P.error("internal", "boom", "r9") == {
        "v": 1,
        "id": "r9",
        "type": "error",
        "code": "internal",
        "message": "boom",
    }


def test_generated_typescript_is_current():
    """CI check: js/src/protocol.ts must equal what protocol.py generates."""
    assert main(["--check", str(ROOT / "js/src/protocol.ts")]) == 0


def test_typescript_generation_is_deterministic_and_complete():
    text = generate()
    assert text == generate()
    for name in (
        "ModuleNode",
        "FrontPoint",
        "SearchStatus",
        "FrontState",
        "ErrorResponse",
        "ResultByRequest",
        "KernelEvent",
        "Request",
    ):
        assert f" {name} " in text
    assert "export const PROTOCOL_VERSION = 1;" in text
    assert "settings?: DistillSettings;" in text


def test_check_reports_a_stale_file(tmp_path, capsys):
    stale = tmp_path / "protocol.ts"
    stale.write_text(generate().replace("n_params", "nParams"))
    assert main(["--check", str(stale)]) == 1
    assert "is stale" in capsys.readouterr().err


def test_every_section_name_is_re_exported_and_a_shape_left_out_of_all_is_refused():
    """protocol re-exports its sections; the generator reads their ``__all__``, so a TypedDict
    a section forgot to list would silently vanish from protocol.ts: it is an error instead."""
    for section in P.SECTIONS:
        assert all(getattr(P, name) is getattr(section, name) for name in section.__all__)
    section = types.ModuleType("symtorch_lab.ui.protocol_extra")
    section.__all__ = []
    section.Forgotten = TypedDict("Forgotten", {"v": int})
    section.Forgotten.__module__ = section.__name__
    with pytest.raises(TypeError, match=r"protocol_extra: TypedDicts \['Forgotten'\]"):
        _section_items(section)
