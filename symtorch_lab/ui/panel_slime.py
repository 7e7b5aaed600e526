"""The side panel's SLIME view, kernel side: the notebook's explainers, a row's explanation.

Why: the panel shows "SLIME local explanations" for whatever the notebook holds — a
``SlimeExplainer`` or a ``SlimeLab`` in the user namespace, by variable name. Choosing a row
sends ``slime_explain``; the explanation runs in the background (a SlimeLab's own controller,
so its widget follows; for a bare explainer one :class:`SlimeController` kept here), and its
status and summary reach every open panel as ``slime`` events. The list of explainers is
re-sent after a cell when it changed. ``Panel`` owns one :class:`PanelSlime`; nothing here
imports the panel (it is handed in).
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Mapping
from typing import Any

from symtorch_lab.ui import protocol as P
from symtorch_lab.ui.slime_control import SlimeController

REQUESTS = ("list_explainers", "slime_explain", "slime_stop")


def find_explainers(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """SlimeExplainer / SlimeLab objects in ``namespace`` by public name (first name wins)."""
    if "symtorch_lab.slime" not in sys.modules:  # nothing made one yet: no import cost
        return {}
    from symtorch_lab.slime import SlimeExplainer

    found: dict[str, Any] = {}
    seen: set[int] = set()
    for name, value in list(namespace.items()):
        is_lab = isinstance(getattr(value, "controller", None), SlimeController)
        if name.startswith("_") or id(value) in seen:
            continue
        if is_lab or isinstance(value, SlimeExplainer):
            seen.add(id(value))
            found[name] = value
    return found


def info(name: str, value: Any) -> P.ExplainerInfo:
    explainer = getattr(value, "explainer", value)
    n, d = explainer.training_data.shape
    return {"name": name, "type": type(value).__name__, "mode": str(explainer.mode),
            "n_rows": int(n), "n_features": int(d)}  # fmt: skip


class PanelSlime:
    """What one ``Panel`` knows of SLIME: controllers of bare explainers, names it sent."""

    def __init__(self, panel: Any) -> None:
        self.panel = panel
        self._controllers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._names: dict[int, str] = {}  # id(controller) -> name the panel asked under
        self._signature: list[tuple[str, int]] | None = None

    def explainers(self) -> dict[str, Any]:
        return find_explainers(self.panel.namespace())

    def infos(self) -> list[P.ExplainerInfo]:
        return [info(n, v) for n, v in self.explainers().items()]

    def controller(self, name: str) -> SlimeController:
        found = self.explainers()
        if name not in found:
            raise P.ProtocolError(
                "unknown_explainer",
                f"no SlimeExplainer or SlimeLab named {name!r} in the kernel; "
                f"found {sorted(found)}",
            )
        value = found[name]
        ctl = getattr(value, "controller", None)
        if not isinstance(ctl, SlimeController):
            ctl = self._controllers.get(value)
            if ctl is None:
                ctl = self._controllers[value] = SlimeController(value)
        if id(ctl) not in self._names:
            ctl.listen(self._send)
        self._names[id(ctl)] = name
        return ctl

    def handle(self, request: P.Request) -> dict:
        """Answer one of :data:`REQUESTS`."""
        kind = request["type"]
        if kind == "list_explainers":
            return {"explainers": self.infos()}
        name = request["explainer"]  # type: ignore[typeddict-item]
        ctl = self.controller(name)
        try:
            if kind == "slime_explain":
                settings = dict(request.get("settings") or {})
                status = ctl.explain(request.get("x0"), request.get("row"), **settings)
            else:
                status = ctl.stop()
        except (ValueError, TypeError, RuntimeError) as exc:
            raise P.ProtocolError("engine", f"explainer {name!r}: {exc}") from None
        return {"explainer": name, "status": status}

    def send_list(self, session: Any = None) -> None:
        """Send the explainer list to ``session`` (all open panels if None)."""
        infos = self.infos()
        self._signature = [(i["name"], i["n_rows"]) for i in infos]
        for s in [session] if session is not None else list(self.panel.sessions):
            s.send(P.event("explainers", explainers=infos))

    def after_cell(self) -> None:
        """Re-send the list when the namespace's explainers changed."""
        if not self.panel.sessions:
            return
        infos = self.infos()
        if [(i["name"], i["n_rows"]) for i in infos] != (self._signature or []):
            self.send_list()

    def _send(self, ctl: SlimeController) -> None:
        name = self._names.get(id(ctl))
        if name is None or not self.panel.sessions:
            return
        msg = P.event("slime", explainer=name, status=ctl.status(), summary=ctl.summary)
        for session in list(self.panel.sessions):
            session.send(msg)
