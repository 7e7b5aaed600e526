"""One module of a distillation session: its recording, search, fronts, picks and replacement.

Why a module of its own: a :class:`LayerJob` is the per-module state that the session drives,
the widgets display and the session file saves (through :mod:`symtorch_lab.io`); the
:class:`~symtorch_lab.session.Session` is the workflow over many of them on one live model.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from . import _dims, _ending, io
from .distill import Distiller, DistillProgress, SearchHandle
from .front import ParetoFront
from .pca import PCAProjection
from .record import Recording
from .surrogate import Replacement, SymbolicSurrogate

STATUSES = ("not_distilled", "searching", "distilled", "replaced")


class LayerJob:
    """Everything about one module of the session: recording, search, fronts, picks."""

    def __init__(self, path: str, recording: Recording | None, meta: Mapping[str, Any]):
        self.path = path
        self.recording = recording
        self.meta = dict(meta)  # shapes, names, row counts: what survives a save
        self.in_projection: PCAProjection | None = None
        self.out_projection: PCAProjection | None = None
        self.distiller: Distiller | None = None
        self.handle: SearchHandle | None = None
        self.fronts: dict[int, ParetoFront] = {}
        self.live: dict[int, ParetoFront] = {}
        self.progress: dict[str, Any] = {}
        self.replacement: Replacement | None = None
        self.installed: SymbolicSurrogate | None = None  # the surrogate this job put in place
        self.skipped: dict[int, str] = {}  # dims not searched, with the reason
        self.partial: set[int] = set()  # dims whose front is from a stopped search
        self.search_key: str | None = None  # what the fronts were searched on (for resume)
        self._stop_requested = False
        self._lock = threading.Lock()
        self._starting = False  # a distill() is between its check and its start

    @property
    def status(self) -> str:
        if self.replacement is not None and self.replacement.active:
            return "replaced"
        if self.handle is not None and not self.handle.done:
            return "searching"
        return "distilled" if self.fronts else "not_distilled"

    @property
    def stopping(self) -> bool:
        """A stop was asked for and the search has not ended yet."""
        return self._stop_requested and self.status == "searching"

    def stop(self) -> None:
        """End the search after the current generation; the partial fronts are kept."""
        if self.distiller is not None:
            self._stop_requested = True
            self.distiller.stop()

    def _on_progress(self, event: DistillProgress) -> None:
        with self._lock:
            if event.front is not None and event.dim in event.done:
                self.fronts[event.dim] = event.front  # final: filed at once (a save keeps it)
                self.live.pop(event.dim, None)
            elif event.front is not None:
                self.live[event.dim] = event.front
            base = self.progress
            self.progress = {
                **base,
                "dim": event.dim,
                "generation": event.generation,
                "elapsed": event.elapsed,
                "done": sorted({*base.get("kept", ()), *event.done}),
                "running": list(event.running),
                "skipped": sorted({*base.get("skipped", ()), *event.skipped}),
            }

    def _finish(self, distiller: Distiller) -> None:
        with self._lock:
            self.fronts.update(distiller.fronts_)
            self.skipped.update(distiller.skipped_)
            self.partial.update(distiller.stopped_dims_)
            self.meta["partial"] = sorted(self.partial)  # saved, for a resume after loading
            self.live = {}
            dims = self.progress.get("dims") or sorted(self.fronts)
            done = [d for d in dims if d in self.fronts]
            self.progress = {**self.progress, "running": [], "done": done}
            # how far the search got, in meta so that a saved session shows it again
            self.meta["generation"] = int(self.progress.get("generation", 0))
            self.meta["elapsed"] = float(self.progress.get("elapsed", 0.0))

    def progress_text(self) -> str:
        """``"dim 3 · 2/8 dims done · 1 skipped"``: where the module's search stands."""
        with self._lock:
            progress = dict(self.progress)
        if not progress.get("dims"):
            progress["dims"] = list(range(int(self.meta.get("n_terms", 0))))
        if self.status != "searching":
            dims = progress["dims"]
            partial = [d for d in dims if d in self.partial]
            done = [d for d in dims if d in self.fronts and d not in self.partial]
            skipped = [d for d in dims if d in self.skipped]
            progress = {**progress, "running": [], "done": done, "skipped": skipped}
            progress["partial"] = partial
        return _dims.describe(progress)

    def end_text(self) -> str:
        """Why the search ended ("stopped by you", "time budget reached (…)"), or ""."""
        d = self.distiller
        if self.status == "searching" or not getattr(d, "stop_reasons_", None):
            return ""
        return _ending.describe(d.stop_reasons_, d)

    def current_fronts(self) -> dict[int, ParetoFront]:
        """Final fronts where a dim is done, otherwise the live front of the running search."""
        with self._lock:
            merged = dict(self.live)
            merged.update(self.fronts)
            return merged

    def pick(self, dim: int, **by) -> None:
        """Choose a candidate on a dim's front by ``id=``, ``complexity=`` or ``index=``."""
        if dim not in self.fronts:
            raise KeyError(f"module {self.path!r}: output dim {dim} has no final front yet")
        self.fronts[dim].pick(**by)

    def search_rows(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The (X, Y) the search saw: the recording through the job's PCA projections."""
        rec = self.recording
        if rec is None:
            return None
        X, Y = rec.X, rec.Y
        if self.in_projection is not None:
            X = np.asarray(self.in_projection.transform(torch.as_tensor(X)), dtype=float)
        if self.out_projection is not None:
            Y = np.asarray(self.out_projection.transform(torch.as_tensor(Y)), dtype=float)
        return X, Y

    def parity(self, dim: int, expression, max_rows: int = 2000):
        """(network, expression) outputs of search dim ``dim`` on at most ``max_rows`` evenly
        spaced recorded rows, or None without a recording."""
        rows = self.search_rows()
        if rows is None:
            return None
        X, Y = rows
        keep = np.linspace(0, len(Y) - 1, min(len(Y), max_rows)).astype(int)
        return Y[keep, dim], np.asarray(expression.numpy(X[keep]), dtype=float)

    def heldout(self, dim: int, candidate) -> tuple[float | None, str]:
        """``candidate``'s held-out MSE on dim ``dim`` and the rows it is measured on:
        ``"validation"`` (rows the Distiller held out), ``"all_rows"`` (every recorded row,
        search rows included: no rows were held out) or ``"none"`` (no recording)."""
        if "val_loss" in candidate.metrics:
            return float(candidate.metrics["val_loss"]), "validation"
        rows = self.search_rows()
        if rows is None:
            return None, "none"
        X, Y = rows
        return float(np.mean((candidate.expression.numpy(X) - Y[:, dim]) ** 2)), "all_rows"

    def surrogate(self) -> SymbolicSurrogate:
        """A surrogate made of the picked expression of every output dimension."""
        n_terms = self.meta["n_terms"]
        missing = [d for d in range(n_terms) if d not in self.fronts]
        if missing:
            raise RuntimeError(
                f"module {self.path!r}: output dims {missing} are not distilled yet; "
                f"distill them (or stop a running search) before replacing"
            )
        return SymbolicSurrogate(
            [self.fronts[d].selected.expression for d in range(n_terms)],
            in_shape=self.meta["input_shape"],
            out_shape=self.meta["output_shape"],
            in_projection=self.in_projection,
            out_projection=self.out_projection,
            # expressions read the recording's derived inputs (variable_transforms), if any
            input_transforms=self.recording.variable_transforms if self.recording else None,
            path=self.path,
        )

    def to_json(self) -> dict[str, Any]:
        return io.layer_to_json(self)


def project(job: LayerJob, k_in, k_out):
    rec = job.recording
    X, Y, names = rec.X, rec.Y, list(rec.variable_names)
    job.in_projection = job.out_projection = None
    if k_in is not None:
        job.in_projection = PCAProjection(k_in).fit(X)
        X = np.asarray(job.in_projection.transform(torch.as_tensor(X)))
        names = [f"c{i}" for i in range(k_in)]
    if k_out is not None:
        job.out_projection = PCAProjection(k_out).fit(Y)
        Y = np.asarray(job.out_projection.transform(torch.as_tensor(Y)))
    job.meta["n_terms"] = int(Y.shape[1])
    job.meta["variable_names"] = names
    return X, Y, names


def fit_and_file(job: LayerJob, X, Y, fit_kwargs) -> None:
    """Body of a background search: fit, then file the fronts (or the error) on the job."""
    try:
        job._finish(job.distiller._fit(X, Y, **fit_kwargs))  # keeps a stop() sent before it ran
    except BaseException as exc:
        with job._lock:
            job.progress = {
                **job.progress,
                "error": f"module {job.path!r}: {type(exc).__name__}: {exc}",
            }
        raise
