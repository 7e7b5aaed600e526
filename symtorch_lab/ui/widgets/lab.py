"""``LabWidget``: the notebook face of a :class:`~symtorch_lab.widgets.lab.Lab`.

Why: a user distils a layer by clicking — watch the front grow, click an expression, replace,
compare. The widget is a view: its synced traits are protocol snapshots
(:class:`~symtorch_lab.protocol.LabState`, set by the ``Lab`` on the kernel thread) and user
intents arrive as protocol requests in custom messages, answered with a response or an error
carrying the same id. It never computes anything itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import traitlets

from symtorch_lab import protocol as P
from symtorch_lab.widgets._base import StlWidget

log = logging.getLogger(__name__)
Handler = Callable[[P.Request], dict]


class LabWidget(StlWidget):
    """Front, progress, Stop, detail with LaTeX and parity plot, Replace/Restore, Compare.

    Traits follow :class:`~symtorch_lab.protocol.LabState`; ``parity`` is a binary buffer
    (``detail["n_parity"]`` float32 network outputs followed by as many expression outputs).
    """

    _stl_kind = traitlets.Unicode("lab").tag(sync=True)
    model = traitlets.Unicode("model").tag(sync=True)
    module = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    module_status = traitlets.Unicode("not_distilled").tag(sync=True)
    points = traitlets.List(traitlets.Dict()).tag(sync=True)
    picks = traitlets.Dict().tag(sync=True)
    status = traitlets.Dict(None, allow_none=True).tag(sync=True)
    detail = traitlets.Dict(None, allow_none=True).tag(sync=True)
    parity = traitlets.Bytes(b"").tag(sync=True)
    records = traitlets.List(traitlets.Dict()).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, handler: Handler | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("status", None)  # traitlets' Dict would start as {}, not null
        kwargs.setdefault("detail", None)
        super().__init__(**kwargs)
        self.handler = handler
        self.on_msg(self._on_custom_msg)

    def state(self) -> P.LabState:
        """The synced state as the protocol's ``LabState`` (without the binary parity rows)."""
        return {
            "model": self.model,
            "module": self.module,
            "module_status": self.module_status,  # type: ignore[typeddict-item]
            "points": list(self.points),
            "picks": dict(self.picks),
            "status": self.status,  # type: ignore[typeddict-item]
            "detail": self.detail,  # type: ignore[typeddict-item]
            "records": list(self.records),
            "error": self.error,
        }

    def reply(self, data: object) -> P.OkResponse | P.ErrorResponse:
        """Answer one request from the browser; never raises (errors also go to ``error``)."""
        msg_id = ""
        try:
            request = P.parse_request(data)
            msg_id = request["id"]
            if self.handler is None:
                raise P.ProtocolError("not_implemented", "this widget has no Lab behind it")
            return P.response(request, self.handler(request))
        except P.ProtocolError as exc:
            self.error = exc.message
            return P.error(exc.code, exc.message, exc.id or msg_id)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - show it, keep the kernel alive
            log.debug("symtorch_lab Lab: request failed", exc_info=True)
            self.error = f"{type(exc).__name__}: {exc}"
            return P.error("internal", self.error, msg_id)

    def _on_custom_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        self.send(dict(self.reply(content)))
