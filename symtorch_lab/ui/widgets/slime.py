"""``SlimeWidget``: the notebook face of a :class:`~symtorch_lab.ui.slimelab.SlimeLab`.

Why: teaching SLIME is clicking a point of a decision surface and watching the local
expression, its samples and its level set appear beside LIME's line. The widget is a view: its
JSON traits are a protocol ``SlimeState`` snapshot and its ``Bytes`` traits float32 arrays
(computed in the kernel), both set by the SlimeLab on the kernel thread; clicks and sliders
arrive as protocol requests in custom messages, answered with a response or an error carrying
the same id.
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
BUFFERS = ("surface", "data", "neighbours", "synthetic", "slime_grid", "lime_grid", "pd")
_IDLE: P.SlimeStatus = {"request": 0, "phase": "idle", "message": "", "elapsed": 0.0,
                        "n_candidates": 0}  # fmt: skip


class SlimeWidget(StlWidget):
    """Decision surface (2-D) or row picker (tabular), local samples, level sets, LaTeX,
    fidelity of SLIME and LIME, sliders.

    Buffers (float32): ``surface`` f on the grid (``grid.ny * grid.nx``, row by row);
    ``data`` the data's (x, y) pairs; ``neighbours`` / ``synthetic`` the explanation's samples
    as (x, y) pairs; ``slime_grid`` / ``lime_grid`` the surrogates on the grid; ``pd`` the
    partial-dependence curves (layout in ``summary``).
    """

    _stl_kind = traitlets.Unicode("slime").tag(sync=True)
    locals().update({name: traitlets.Bytes(b"").tag(sync=True) for name in BUFFERS})
    # one trait per SlimeState field, generated from the protocol
    locals().update(synced_traits(P.SlimeState, kind="surface", status=_IDLE))

    def __init__(self, handler: Handler | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.handler = handler
        self.on_msg(self._on_custom_msg)

    def state(self) -> P.SlimeState:
        """The synced JSON state as the protocol's ``SlimeState`` (without the buffers)."""
        return state_of(self, P.SlimeState)  # type: ignore[return-value]

    def _handle(self, request: P.Request) -> dict:
        if self.handler is None:
            raise P.ProtocolError("not_implemented", "this widget has no SlimeLab behind it")
        return self.handler(request)

    def reply(self, data: object) -> P.OkResponse | P.ErrorResponse:
        """Answer one request from the browser; never raises (errors also go to ``error``)."""
        return answer(data, self._handle, on_error=lambda message: setattr(self, "error", message))

    def _on_custom_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        self.send(dict(self.reply(content)))
