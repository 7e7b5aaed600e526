"""Protocol requests → ``Lab`` calls, with results shaped per :data:`protocol.RESULTS`.

Why apart from ``lab.py``: the panel (over its comm) and the widget (custom messages) send the
same requests; one dispatcher answers both, and the Lab stays about intent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from symtorch_lab import protocol as P
from symtorch_lab.widgets import _lab_views as V

if TYPE_CHECKING:
    from symtorch_lab.widgets.lab import Lab


def _ref(lab: Lab, request: P.Request, path: str) -> dict:
    job = lab.session.jobs.get(path)
    model = request.get("model", lab.widget.model)
    return {"model": model, "path": path, "status": job.status if job else "not_distilled"}


def _status(lab: Lab, request: P.Request, path: str) -> dict:
    job = lab.session.jobs.get(path)
    status = V.search_status(request.get("model", lab.widget.model), job, path in lab._stopping)
    if status is None:
        raise P.ProtocolError("unknown_module", f"module {path!r} has no search")
    return dict(status)


def _check_path(lab: Lab, path: str) -> None:
    if path not in dict(lab.model.named_modules()):
        raise P.ProtocolError("unknown_module", f"the model has no module {path!r}")


def handle_request(lab: Lab, request: P.Request) -> dict:
    """Do what ``request`` asks on ``lab`` and return its protocol result."""
    kind = request["type"]
    path = request.get("path")
    if isinstance(path, str):
        _check_path(lab, path)
    if kind == "select_module":
        lab.select(path)
        return _ref(lab, request, path)
    if kind == "start_distill":
        settings = dict(request.get("settings") or {})
        lab.distill(path, **settings)
        return _status(lab, request, path)
    if kind == "stop":
        lab.stop(path)
        return _status(lab, request, path)
    if kind == "pick_candidate":
        if path != lab.selected_module:
            lab.select(path)
        lab.pick(request["expression_id"], request["dim"])
        return _ref(lab, request, path)
    if kind == "replace":
        lab.replace(path)
        return _ref(lab, request, path)
    if kind == "restore":
        lab.restore(path)
        return _ref(lab, request, path)
    if kind == "compare":
        lab.compare()
        rec = lab._records[-1]
        return {
            "model": request["model"],
            "metric_name": rec["metric"],
            "original": {rec["metric"]: rec["before"], "throughput": rec["throughput_before"]},
            "hybrid": {rec["metric"]: rec["after"], "throughput": rec["throughput_after"]},
        }
    raise P.ProtocolError("not_implemented", f"the Lab does not handle {kind!r} requests")
