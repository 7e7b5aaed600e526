"""Engine objects → protocol snapshots for the Lab's views (no maths of its own).

Why a module of its own: the ``Lab`` (kernel-side controller) and its widget both need the
same shapes: front points with ids and LaTeX, the search status, the clicked candidate's detail
with its parity rows, and comparison records. Converting here keeps ``lab.py`` about intent
(select, distill, pick, replace) and makes each conversion testable without a browser.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from symtorch_lab.front import Candidate, ParetoFront
from symtorch_lab.layer_job import LayerJob
from symtorch_lab.ui import protocol as P

MAX_PARITY_ROWS = 2000


class LatexCache:
    """``Expression.latex()`` goes through sympy (milliseconds each); fronts repeat, so cache."""

    def __init__(self, limit: int = 5000) -> None:
        self._cache: dict[str, tuple[str, str]] = {}
        self.limit = limit

    def text_latex(self, cand: Candidate) -> tuple[str, str]:
        key = cand.id
        if key not in self._cache:
            if len(self._cache) >= self.limit:
                self._cache.clear()
            try:
                latex = cand.expression.latex()
            except Exception:  # noqa: BLE001 - display only: fall back to the infix text
                latex = ""
            self._cache[key] = (str(cand.expression), latex)
        return self._cache[key]


def front_points(fronts: Mapping[int, ParetoFront], cache: LatexCache) -> list[P.FrontPoint]:
    """Every finite candidate of every dim as a protocol ``FrontPoint``."""
    points: list[P.FrontPoint] = []
    for dim in sorted(fronts):
        for cand in fronts[dim].candidates:
            if not math.isfinite(cand.loss):
                continue
            text, latex = cache.text_latex(cand)
            point: P.FrontPoint = {
                "dim": int(dim),
                "complexity": int(cand.complexity),
                "loss": float(cand.loss),
                "id": cand.id,
                "text": text,
                "latex": latex,
            }
            for key, metric in (("recovers_law", "recovers_law"), ("units_ok", "dim_consistent")):
                if metric in cand.metrics:  # the engine's marks (front.mark_law / mark_units)
                    point[key] = bool(cand.metrics[metric])  # type: ignore[literal-required]
            points.append(point)
    return points


def picks(job: LayerJob | None) -> dict[str, str]:
    """The engine's pick (``front.selected``) of every finished dim, by ``str(dim)``."""
    if job is None:
        return {}
    fronts = dict(job.fronts)  # a copy: the search thread may add a dim meanwhile
    return {str(d): f.selected.id for d, f in sorted(fronts.items())}


def search_status(model: str, job: LayerJob | None) -> P.SearchStatus | None:
    """Where the search on ``job`` stands, as a protocol ``SearchStatus``."""
    if job is None:
        return None
    progress = dict(job.progress)
    if not progress:  # a loaded job: how far its saved search got
        progress = {k: job.meta[k] for k in ("generation", "elapsed") if k in job.meta}
    status = job.status
    if "error" in progress:
        state, message = "error", str(progress["error"])
    elif status == "searching":
        state = "stopping" if job.stopping else "running"
        message = job.progress_text()  # "dim 3 · 2/8 dims done · 1 skipped"
    elif job.fronts:
        state = "done"
        message = " · ".join(filter(None, [job.progress_text(), job.end_text()]))
    else:
        state, message = "idle", ""
    return {
        "model": model,
        "path": job.path,
        "state": state,
        "generation": int(progress.get("generation", 0)),
        "elapsed": float(progress.get("elapsed", 0.0)),
        "n_candidates": sum(len(f) for f in job.current_fronts().values()),
        "message": message,
    }


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(float(value)) else None


def detail(
    job: LayerJob, dim: int, cand: Candidate, cache: LatexCache, validation_fraction: float
) -> tuple[P.CandidateDetail, bytes]:
    """The clicked candidate's detail and its parity rows (float32 net, then expression).

    The held-out score is the engine's (``LayerJob.heldout``): the Distiller's ``val_loss``
    when it held rows out (``validation_fraction`` > 0), otherwise the MSE on all recorded
    rows, labelled as such.
    """
    score, rows = job.heldout(dim, cand)
    label = {
        "validation": f"held-out MSE (validation_fraction={validation_fraction:g}, "
        "unseen by the search)",
        "all_rows": "MSE on all recorded rows (search rows included; validation_fraction=0)",
        "none": "held-out MSE: not available (no recording in this session)",
    }[rows]
    parity_rows = job.parity(dim, cand.expression, MAX_PARITY_ROWS)
    parity, n = b"", 0
    if parity_rows is not None:
        net, pred = parity_rows
        n = len(net)
        parity = np.concatenate([net, pred]).astype(np.float32).tobytes()
    text, latex = cache.text_latex(cand)
    picked = dim in job.fronts and job.fronts[dim].selected.id == cand.id
    out: P.CandidateDetail = {
        "path": job.path,
        "dim": int(dim),
        "id": cand.id,
        "complexity": int(cand.complexity),
        "text": text,
        "latex": latex,
        "loss": _finite(cand.loss) or 0.0,
        "heldout": None if score is None else _finite(score),
        "heldout_label": label,
        "picked": picked,
        "n_parity": n,
    }
    return out, parity


def find_candidate(fronts: Mapping[int, ParetoFront], cand_id: str, dim: int | None):
    """(dim, candidate) with this id, searching ``dim`` or every dim; None when absent."""
    dims = sorted(fronts) if dim is None else [dim]
    for d in dims:
        front = fronts.get(d)
        for cand in front.candidates if front is not None else ():
            if cand.id == cand_id:
                return d, cand
    return None


def compare_record(entry: Mapping[str, Any]) -> P.CompareRecord:
    """One of ``Session.comparisons`` (``Comparison.to_dict()`` plus ``paths``) as a record."""

    def finite(x: float | None) -> float:  # None: a NaN/inf saved as null in a session file
        return 0.0 if x is None else (_finite(x) or 0.0)

    paths = [str(p) for p in entry.get("paths", [])]
    return {
        "label": " + ".join(paths) or "(none)",
        "paths": paths,
        "metric": str(entry["metric"]),
        "before": finite(entry["before"]),
        "after": finite(entry["after"]),
        "throughput_before": finite(entry["throughput_before"]),
        "throughput_after": finite(entry["throughput_after"]),
        "unit": str(entry["unit"]),
        "reference": str(entry.get("reference") or ""),  # files saved before it existed: ""
        "batch": int(entry.get("batch") or 0),
        "device": str(entry.get("device") or ""),
    }
