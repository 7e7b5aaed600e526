"""``Lab``: distil a live model by clicking, in a notebook widget and the JupyterLab side panel.

Why: the engine's :class:`~symtorch_lab.session.Session` holds all the state (recordings,
running searches, fronts, picks, replacements); the ``Lab`` is a thin controller over it that
turns user intents (select, distill, stop, pick, replace, restore, compare) into session calls
and session changes into protocol snapshots for its :class:`LabWidget` and the side panel
(it is the panel's :class:`~symtorch_lab.lab_panel.ModelSource` for its model). Engine
callbacks arrive on worker threads; they only *mark* a :class:`~symtorch_lab._publish.Coalescer`,
which publishes on the kernel thread at most four times per second.
"""

from __future__ import annotations

import threading
import weakref
from types import SimpleNamespace
from typing import Any

import torch
from torch import nn

from symtorch_lab import lab_panel
from symtorch_lab import protocol as P
from symtorch_lab._publish import Coalescer
from symtorch_lab.hooks import eval_mode
from symtorch_lab.record import record
from symtorch_lab.session import LayerJob, Session, run_model
from symtorch_lab.widgets import _lab_views as V
from symtorch_lab.widgets._lab_requests import handle_request
from symtorch_lab.widgets._shapes import probe_shapes
from symtorch_lab.widgets.lab_widget import LabWidget

AUTO_K = 8  # wider layers are searched through a PCA projection of at most this many dims
DEFAULT_VALIDATION_FRACTION = 0.2


class Lab:
    """Distil modules of ``model`` interactively; display it to get the widget.

    Parameters
    ----------
    model : nn.Module
        The live model; modules are replaced in place (and restored on request).
    data : tensor, DataLoader or callable
        What to run the model on when recording (see :func:`symtorch_lab.session.run_model`).
    session : Session, optional
        An existing session (``Lab.load`` passes the loaded one).
    **distiller_params
        Defaults for every search (``Distiller`` names: ``niterations``, ``maxsize``, ...).
        ``validation_fraction`` defaults to 0.2 so every candidate has a held-out score.
    """

    def __init__(self, model: nn.Module, data: Any = None, *, session: Session | None = None,
                 **distiller_params: Any) -> None:  # fmt: skip
        if session is None:
            distiller_params.setdefault("validation_fraction", DEFAULT_VALIDATION_FRACTION)
            session = Session(model, data, **distiller_params)
        self.session = session
        self.model = model
        self._selected: str | None = None
        self._stopping: set[str] = set()
        self._latex = V.LatexCache()
        self._shapes = probe_shapes(model, data if data is not None else session.data)
        self._coalescer = Coalescer(self._flush)
        self.widget = LabWidget(handler=self.handle, model=lab_panel.model_name(model))
        # before/after records saved with the session come back with it
        self._records: list[P.CompareRecord] = [
            V.compare_record(SimpleNamespace(**c), c.get("paths", [])) for c in session.comparisons
        ]
        self.widget.records = list(self._records)
        self._sent_statuses: dict[str, str] | None = None
        ref = weakref.ref(self)
        self._select_cb = lambda name, path: _on_panel_select(ref, name, path)
        lab_panel.on_select(self._select_cb)
        lab_panel.attach(self)
        weakref.finalize(self, lab_panel.off_select, self._select_cb)

    # --- public API (docs/lab.md) -------------------------------------------------------
    @property
    def selected_module(self) -> str | None:
        return self._selected

    @property
    def selected_candidate(self) -> dict | None:
        return None if self.widget.detail is None else dict(self.widget.detail)

    def select(self, path: str) -> None:
        """Make ``path`` the current module (what clicking it in the panel does)."""
        if path not in dict(self.model.named_modules()):
            raise KeyError(f"model has no module {path!r}")
        if path != self._selected:
            self._selected = path
            self.widget.detail, self.widget.parity = None, b""
        self._publish()

    def distill(self, path: str | None = None, *, k_in: int | None = None,
                k_out: int | None = None, **params: Any) -> LayerJob:  # fmt: skip
        """Record ``path`` (default: the selected module) and search it in the background.

        Layers wider than 8 in or out are searched through PCA (``k = 8``); pass ``k_in`` /
        ``k_out`` to choose, or 0 for no projection. Returns at once with the session's job.
        """
        path = self._path(path)
        self.select(path)
        job = self.session.jobs.get(path)
        if job is None or job.recording is None:
            self.session.record(path)
            job = self.session.jobs[path]
        k_in = _auto_k(k_in, job.recording.X.shape[1])
        k_out = _auto_k(k_out, job.recording.Y.shape[1])
        self._stopping.discard(path)
        callback = _marker(weakref.ref(self), path)
        job = self.session.distill(
            path, k_in=k_in, k_out=k_out, background=True, callbacks=(callback,), **params
        )
        threading.Thread(target=_watch, args=(weakref.ref(self), job), daemon=True).start()
        self.widget.error = ""
        self._publish()
        return job

    def stop(self, path: str | None = None) -> None:
        """End the search after this generation; the partial front is kept."""
        path = self._path(path)
        self.session.stop(path)
        self._stopping.add(path)
        self._publish()

    def pick(self, candidate_id: str, dim: int | None = None) -> dict:
        """Choose a candidate of the current module by id (what clicking a point does)."""
        job = self._job(self._path(None))
        found = V.find_candidate(job.current_fronts(), candidate_id, dim)
        if found is None:
            raise KeyError(f"module {job.path!r}: no candidate {candidate_id!r} on its front")
        dim, cand = found
        if dim in job.fronts:
            job.pick(dim, id=cand.id)
        self._ensure_recording(job)
        fraction = float(self.session.distiller_params.get("validation_fraction", 0.0))
        detail, parity = V.detail(job, dim, cand, self._latex, fraction)
        self.widget.detail, self.widget.parity = detail, parity
        self.widget.error = ""
        self._publish()
        return dict(detail)

    def replace(self, path: str | None = None) -> None:
        """Swap the module for the picked expression of every output dim."""
        self.session.replace(self._path(path))
        self.widget.error = ""
        self._publish()

    def restore(self, path: str | None = None) -> None:
        """Put the original module back."""
        self.session.restore(self._path(path))
        self.widget.error = ""
        self._publish()

    def compare(self, data: Any = None, metric: Any = None, **kwargs: Any):
        """Measure original vs hybrid (replaced modules, else every distilled one); the record
        is added to the widget's charts. With the Lab's own tensor data and no metric, the
        metric is the MSE against the original network's outputs."""
        data = self.session.data if data is None else data
        if metric is None and isinstance(data, torch.Tensor):
            data, metric = (data, self._original_outputs(data)), "mse"
        jobs = self.session.jobs
        paths = [p for p, j in jobs.items() if j.status == "replaced"] or [
            p for p, j in jobs.items() if len(j.fronts) == j.meta.get("n_terms", -1)
        ]
        if not paths:
            raise RuntimeError("nothing to compare: distill a module first (every output dim)")
        result = self.session.compare(data, metric=metric or "mse", paths=paths, **kwargs)
        self._records.append(V.compare_record(result, paths))
        self.widget.records = list(self._records)
        self.widget.error = ""
        return result

    def save(self, file) -> None:
        """Write fronts, picks and replacements as JSON (the engine's session format)."""
        self.session.save(file)

    @classmethod
    def load(cls, file, model: nn.Module, data: Any = None, **params: Any) -> Lab:
        """Rebuild a saved Lab onto ``model``: fronts, picks and replacements come back."""
        params.setdefault("validation_fraction", DEFAULT_VALIDATION_FRACTION)
        lab = cls(model, data, session=Session.load(file, model, data, **params))
        if lab.session.jobs:
            lab.select(next(iter(lab.session.jobs)))
        return lab

    def handle(self, request: P.Request) -> dict:
        """Answer an engine request from the panel or the widget (``ModelSource.handle``)."""
        try:
            return handle_request(self, request)
        except P.ProtocolError as exc:
            self.widget.error = exc.message
            raise
        except (KeyError, RuntimeError, ValueError, TypeError) as exc:
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            self.widget.error = str(message)
            raise P.ProtocolError("engine", str(message)) from None

    # --- ModelSource ------------------------------------------------------------------
    def module_shapes(self) -> dict[str, tuple]:
        shapes = dict(self._shapes)
        for path, job in self.session.jobs.items():
            shapes.setdefault(path, (job.meta.get("input_shape"), job.meta.get("output_shape")))
        return shapes

    def module_status(self) -> dict[str, P.ModuleStatus]:
        return {p: j.status for p, j in self.session.jobs.items()}  # type: ignore[misc]

    # --- display ------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any):
        self.widget.model = lab_panel.model_name(self.model, self.widget.model)
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"Lab({type(self.model).__name__}, selected={self._selected!r})"

    # --- internals ----------------------------------------------------------------------
    def _path(self, path: str | None) -> str:
        path = self._selected if path is None else path
        if path is None:
            raise ValueError("no module selected: click one in the panel or call lab.select()")
        return path

    def _job(self, path: str) -> LayerJob:
        if path not in self.session.jobs:
            raise KeyError(f"module {path!r} has not been distilled yet: distill it first")
        return self.session.jobs[path]

    def _ensure_recording(self, job: LayerJob) -> None:
        """A loaded session has no rows; record the original module again for the parity
        plot when the Lab has data (without replacing the job, which holds the fronts)."""
        if job.recording is not None or self.session.data is None:
            return
        was_replaced = job.status == "replaced"
        if was_replaced:
            self.session.restore(job.path)
        try:
            with record(self.model, [job.path], max_samples=self.session.max_samples) as rec:
                with eval_mode(self.model):
                    run_model(self.model, self.session.data)
            job.recording = rec[job.path]
        finally:
            if was_replaced:
                self.session.replace(job.path)

    def _original_outputs(self, X: torch.Tensor) -> torch.Tensor:
        replaced = [p for p, j in self.session.jobs.items() if j.status == "replaced"]
        for p in replaced:
            self.session.restore(p)
        try:
            with torch.no_grad(), eval_mode(self.model):
                return torch.cat([self.model(X[i : i + 1024]) for i in range(0, len(X), 1024)])
        finally:
            for p in replaced:
                self.session.replace(p)

    def _publish(self) -> None:
        """Refresh the widget now (kernel thread) and tell the panel. Not through the
        coalescer: its ``flush_now`` beside a pending timer would start a second timer chain
        (8 flushes/s instead of 4)."""
        self._flush({self._selected})

    def _flush(self, keys: set) -> None:
        """Kernel thread: copy the session's current state into the widget and the panel."""
        job = self.session.jobs.get(self._selected) if self._selected else None
        w = self.widget
        status = V.search_status(w.model, job, self._selected in self._stopping)
        with w.hold_sync():
            w.module = self._selected
            w.module_status = job.status if job else "not_distilled"
            w.points = V.front_points(job.current_fronts(), self._latex) if job else []
            w.picks = V.picks(job)
            w.status = status
            if status is not None and status["state"] == "error":
                w.error = f"module {status['path']!r}: search failed: {status['message']}"
        statuses = self.module_status()
        if statuses != self._sent_statuses:  # the panel's tree only shows statuses and shapes
            self._sent_statuses = statuses
            lab_panel.notify_changed(self.model)
        for path in keys:
            other = self.session.jobs.get(path) if isinstance(path, str) else None
            if other is not None:
                stopping = path in self._stopping
                lab_panel.publish_status(self.model, V.search_status(w.model, other, stopping))


def _auto_k(k: int | None, width: int) -> int | None:
    if k is None:
        return min(AUTO_K, width) if width > AUTO_K else None
    return None if k <= 0 else int(k)


def _marker(ref: weakref.ref, path: str):
    """Search callback (worker thread): only marks the coalescer, never touches widgets."""

    def on_generation(_event: Any) -> None:
        lab = ref()
        if lab is not None:
            lab._coalescer.mark(path)

    return on_generation


def _watch(ref: weakref.ref, job: LayerJob) -> None:
    """Worker thread: mark once more when the search has ended and its fronts are final."""
    handle = job.handle
    if handle is not None and handle._thread is not None:
        handle._thread.join()  # the search thread files the final fronts before it ends
    lab = ref()
    if lab is not None:
        lab._stopping.discard(job.path)
        lab._coalescer.mark(job.path)


def _on_panel_select(ref: weakref.ref, name: str, path: str) -> None:
    lab = ref()
    if lab is not None and lab_panel.source_for(lab.model) is lab:
        if lab_panel.model_by_name(name) is lab.model:
            lab.select(path)
