"""Browser ↔ kernel protocol: the one definition of every message and state shape.

Why this module exists: the JupyterLab side panel (over a comm) and the notebook widgets (synced
traits plus custom messages) both talk to the kernel. Both ends must agree on the shapes, so they
are written down once, here, as ``TypedDict`` s (the wire format is JSON objects). The TypeScript
types in ``js/src/protocol.ts`` are generated from this module::

    python -m symtorch_lab.ui.protocol_ts --ts js/src/protocol.ts      # write
    python -m symtorch_lab.ui.protocol_ts --check js/src/protocol.ts   # CI: fail if stale

Conventions
-----------
* Every message carries ``v`` (:data:`PROTOCOL_VERSION`). Requests (browser → kernel) carry an
  ``id`` chosen by the browser; the kernel answers each with a :class:`OkResponse` or an
  :class:`ErrorResponse` with the same ``id``. Unsolicited updates are :data:`KernelEvent` s.
* State a view needs on (re)render is a snapshot (a tree, a front); requests only ask for changes.
* Incoming data is checked by :func:`parse_request`; anything malformed becomes a
  :class:`ProtocolError`, which the receiver turns into an :class:`ErrorResponse` (never an
  exception escaping into the kernel). Nothing received is evaluated.

The shapes live in three sections, each its own module, and this module re-exports every
name of each (``from symtorch_lab.ui import protocol as P`` sees one protocol):
:mod:`~symtorch_lab.ui.protocol_state` (enumerations and state snapshots),
:mod:`~symtorch_lab.ui.protocol_messages` (requests, results, replies, events) and
:mod:`~symtorch_lab.ui.protocol_slime` (the SLIME views). Here: the version, the comm target and
the functions that check and build messages. :data:`SECTIONS` is the order the TypeScript is
generated in.

This module imports no UI package.
"""

from typing import Any, get_args

from symtorch_lab.ui import protocol_messages, protocol_slime, protocol_state
from symtorch_lab.ui.protocol_messages import *  # noqa: F403 - re-exported, see __all__
from symtorch_lab.ui.protocol_messages import (
    RESULTS,
    ErrorResponse,
    KernelEvent,
    OkResponse,
    Request,
)
from symtorch_lab.ui.protocol_slime import *  # noqa: F403 - re-exported, see __all__
from symtorch_lab.ui.protocol_state import *  # noqa: F403 - re-exported, see __all__
from symtorch_lab.ui.protocol_state import ErrorCode
from symtorch_lab.ui.schema import ProtocolError, check, fields

SECTIONS = (protocol_slime, protocol_state, protocol_messages)
"""The modules that define the shapes, in the order ``js/src/protocol.ts`` lists them."""

__all__ = [
    "PROTOCOL_VERSION",
    "COMM_TARGET",
    "SECTIONS",
    "ProtocolError",
    "parse_request",
    "response",
    "error",
    "event",
] + [name for section in SECTIONS for name in section.__all__]

PROTOCOL_VERSION = 1
"""Bumped on any incompatible change; the browser refuses a kernel speaking another version."""

COMM_TARGET = "symtorch_lab.panel"
"""Comm target name the side panel opens in the notebook's kernel."""


def _by_type(union: Any) -> dict[str, type]:
    """Map each member's ``type`` literal to the member, for dispatching on ``msg["type"]``."""
    return {get_args(fields(td)[0]["type"])[0]: td for td in get_args(union)}


_REQUESTS = _by_type(Request)
_EVENTS = _by_type(KernelEvent)


# --------------------------------------------------------------------------- functions
def parse_request(data: object) -> Request:
    """Check an incoming message and return it as a request.

    Raises
    ------
    ProtocolError
        With ``code`` ``bad_message`` or ``unsupported_version`` and the request's ``id`` when
        one could be read. Never raises anything else.
    """
    msg_id = data.get("id") if isinstance(data, dict) else None
    msg_id = msg_id if isinstance(msg_id, str) and len(msg_id) <= 200 else ""
    try:
        if not isinstance(data, dict):
            raise ProtocolError("bad_message", f"expected a JSON object, got {type(data).__name__}")
        if data.get("v") != PROTOCOL_VERSION:
            raise ProtocolError(
                "unsupported_version",
                f"protocol version {data.get('v')!r} not supported (kernel speaks "
                f"{PROTOCOL_VERSION}); reinstall symtorch_lab so browser and kernel match",
            )
        kind = data.get("type")
        if kind not in _REQUESTS:
            raise ProtocolError(
                "bad_message", f"unknown request type {kind!r}; valid: {sorted(_REQUESTS)}"
            )
        check(data, _REQUESTS[kind], "request")
        if not data["id"]:
            raise ProtocolError("bad_message", "request.id must be a non-empty string")
    except ProtocolError as exc:
        exc.id = msg_id
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed message must never escape as a crash
        raise ProtocolError("bad_message", f"unreadable message: {exc}", msg_id) from exc
    return data  # type: ignore[return-value]


def response(request: Request, result: dict) -> OkResponse:
    """Build the success reply to ``request``, checking ``result`` against :data:`RESULTS`."""
    check(result, RESULTS[request["type"]], f"result of {request['type']}")
    return {
        "v": PROTOCOL_VERSION,
        "id": request["id"],
        "type": "response",
        "request": request["type"],
        "result": result,
    }


def error(code: ErrorCode, message: str, msg_id: str = "") -> ErrorResponse:
    """Build an error reply."""
    return {"v": PROTOCOL_VERSION, "id": msg_id, "type": "error", "code": code, "message": message}


def event(kind: str, **payload: object) -> KernelEvent:
    """Build an event of type ``kind`` (``models``, ``tree``, ``status``, ``slime``,
    ``explainers``), checked."""
    if kind not in _EVENTS:
        raise ValueError(f"unknown event type {kind!r}; valid: {sorted(_EVENTS)}")
    msg = {"v": PROTOCOL_VERSION, "type": kind, **payload}
    check(msg, _EVENTS[kind], f"{kind} event")
    return msg  # type: ignore[return-value]
