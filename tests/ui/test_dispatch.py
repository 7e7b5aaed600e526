"""dispatch.answer: the one request/response helper (panel comm and Lab widget both use it)."""

import pytest

from symtorch_lab.ui import protocol as P
from symtorch_lab.ui.dispatch import answer

LIST = {"v": P.PROTOCOL_VERSION, "id": "r1", "type": "list_models"}


def test_a_handled_request_gets_its_checked_result():
    reply = answer(LIST, lambda request: {"models": []})
    assert reply == {"v": 1, "id": "r1", "type": "response", "request": "list_models",
                     "result": {"models": []}}  # fmt: skip


@pytest.mark.parametrize(
    ("handle", "code", "message"),
    [
        (lambda r: {"models": "nope"}, "bad_message", "result of list_models"),
        (lambda r: (_ for _ in ()).throw(P.ProtocolError("engine", "no data")), "engine", "no"),
        (lambda r: 1 / 0, "internal", "ZeroDivisionError"),
    ],
)
def test_every_failure_is_an_error_reply_with_the_request_id(handle, code, message):
    errors = []
    reply = answer(LIST, handle, on_error=errors.append)
    assert reply["type"] == "error" and reply["code"] == code and reply["id"] == "r1"
    assert message in reply["message"] and errors == [reply["message"]]


def test_unreadable_messages_are_answered_not_raised():
    assert answer(None, lambda r: {})["code"] == "bad_message"
    assert answer({**LIST, "v": 7}, lambda r: {})["code"] == "unsupported_version"
