"""Requests in, responses out: the one request/response helper and the engine-request dispatcher.

Why one module: the panel (over its comm) and the Lab widget (custom messages) receive the same
protocol requests. :func:`answer` turns any incoming message into exactly one reply (checked
result, or an error with the request's id; it never raises), and :func:`engine_request` turns
the engine requests (``start_distill``, ``stop``, ``pick_candidate``, ``replace``, ``restore``,
``compare``, ``select_module``) into calls of a Lab's public methods. It knows the Lab only by
the :class:`LabLike` shape, so nothing here imports the Lab.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from symtorch_lab.session import Session
from symtorch_lab.ui import gradient_mode
from symtorch_lab.ui import protocol as P
from symtorch_lab.ui import views as V

log = logging.getLogger(__name__)


def answer(
    data: object,
    handle: Callable[[P.Request], dict],
    on_error: Callable[[str], None] | None = None,
) -> P.OkResponse | P.ErrorResponse:
    """Parse ``data`` as a request, answer it with ``handle(request)``; never raises.

    A malformed message or a :class:`~symtorch_lab.ui.protocol.ProtocolError` from ``handle``
    becomes an error reply with its code; anything else an ``internal`` error (logged).
    ``on_error(message)`` is told about every error (the widget shows it).
    """
    msg_id = ""
    try:
        request = P.parse_request(data)
        msg_id = request["id"]
        return P.response(request, handle(request))
    except P.ProtocolError as exc:
        code, message, msg_id = exc.code, exc.message, exc.id or msg_id
    except Exception as exc:  # noqa: BLE001 - report, keep the kernel alive
        log.debug("symtorch_lab: request failed", exc_info=True)
        code, message = "internal", f"{type(exc).__name__}: {exc}"
    if on_error is not None:
        on_error(message)
    return P.error(code, message, msg_id)  # type: ignore[arg-type]


class LabLike(Protocol):
    """What :func:`engine_request` uses of a ``Lab`` (its public API)."""

    session: Session
    model: Any
    model_name: str
    selected_module: str | None

    def select(self, path: str) -> None: ...
    def distill(self, path: str | None = None, **params: Any) -> Any: ...
    def stop(self, path: str | None = None) -> None: ...
    def pick(self, candidate_id: str, dim: int | None = None) -> dict: ...
    def replace(self, path: str | None = None) -> None: ...
    def restore(self, path: str | None = None) -> None: ...
    def compare(self, data: Any = None, metric: Any = None, **kwargs: Any) -> Any: ...
    def set_known_law(self, law: str | None) -> None: ...


def _ref(lab: LabLike, request: P.Request, path: str) -> dict:
    job = lab.session.jobs.get(path)
    model = request.get("model", lab.model_name)
    return {"model": model, "path": path, "status": job.status if job else "not_distilled"}


def _status(lab: LabLike, request: P.Request, path: str) -> dict:
    status = V.search_status(request.get("model", lab.model_name), lab.session.jobs.get(path))
    if status is None:
        raise P.ProtocolError("unknown_module", f"module {path!r} has no search")
    return dict(status)


def engine_request(lab: LabLike, request: P.Request) -> dict:
    """Do what ``request`` asks on ``lab`` and return its result per ``protocol.RESULTS``."""
    kind = request["type"]
    path = request.get("path")
    if isinstance(path, str) and path not in dict(lab.model.named_modules()):
        raise P.ProtocolError("unknown_module", f"the model has no module {path!r}")
    if kind == "select_module":
        lab.select(path)
    elif kind == "start_distill":
        settings = dict(request.get("settings") or {})
        lab.distill(path, **settings)
        if settings.get("mode") == "gradient":  # explained at once: the finished status
            return dict(gradient_mode.status(lab, request.get("model", lab.model_name), path))
        return _status(lab, request, path)
    elif kind == "stop":
        lab.stop(path)
        return _status(lab, request, path)
    elif kind == "pick_candidate":
        if path != lab.selected_module:
            lab.select(path)
        lab.pick(request["expression_id"], request["dim"])
    elif kind == "replace":
        lab.replace(path)
    elif kind == "restore":
        lab.restore(path)
    elif kind == "set_known_law":
        lab.set_known_law(request["law"])
        return _ref(lab, request, lab.selected_module or "")
    elif kind == "compare":
        lab.compare()
        rec = V.compare_record(lab.session.comparisons[-1])
        return {
            "model": request["model"],
            "metric_name": rec["metric"],
            "original": {rec["metric"]: rec["before"], "throughput": rec["throughput_before"]},
            "hybrid": {rec["metric"]: rec["after"], "throughput": rec["throughput_after"]},
        }
    else:
        raise P.ProtocolError("not_implemented", f"the Lab does not handle {kind!r} requests")
    return _ref(lab, request, path)
