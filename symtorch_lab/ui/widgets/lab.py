"""``LabWidget``: the notebook face of a :class:`~symtorch_lab.ui.lab.Lab`.

Why: a user distils a layer by clicking — watch the front grow, click an expression, replace,
compare. The widget is a view: its synced traits are protocol snapshots
(:class:`~symtorch_lab.ui.protocol.LabState`, set by the ``Lab`` on the kernel thread) and user
intents arrive as protocol requests in custom messages, answered with a response or an error
carrying the same id. It never computes anything itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import traitlets

from symtorch_lab.ui import protocol as P
from symtorch_lab.ui.dispatch import answer
from symtorch_lab.ui.widgets.esm_loader import StlWidget
from symtorch_lab.ui.widgets.traits import state_of, synced_traits

Handler = Callable[[P.Request], dict]


class LabWidget(StlWidget):
    """Front, progress, Stop, detail with LaTeX and parity plot, Replace/Restore, Compare.

    Traits are generated from :class:`~symtorch_lab.ui.protocol.LabState`; ``parity`` is a
    binary buffer
    (``detail["n_parity"]`` float32 network outputs followed by as many expression outputs).
    """

    _stl_kind = traitlets.Unicode("lab").tag(sync=True)
    parity = traitlets.Bytes(b"").tag(sync=True)
    # gradient mode (issue 11): the grid of LabState.boundary (f then g, float32)
    boundary_grid = traitlets.Bytes(b"").tag(sync=True)
    # one trait per LabState field, generated from the protocol (not a hand-kept copy)
    locals().update(synced_traits(P.LabState, model="model"))

    def __init__(self, handler: Handler | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.handler = handler
        self.on_msg(self._on_custom_msg)

    def state(self) -> P.LabState:
        """The synced state as the protocol's ``LabState`` (without the binary parity rows)."""
        return state_of(self, P.LabState)  # type: ignore[return-value]

    def _handle(self, request: P.Request) -> dict:
        if self.handler is None:
            raise P.ProtocolError("not_implemented", "this widget has no Lab behind it")
        return self.handler(request)

    def reply(self, data: object) -> P.OkResponse | P.ErrorResponse:
        """Answer one request from the browser; never raises (errors also go to ``error``)."""
        return answer(data, self._handle, on_error=lambda message: setattr(self, "error", message))

    def _on_custom_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        self.send(dict(self.reply(content)))
