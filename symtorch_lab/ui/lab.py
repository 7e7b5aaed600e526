"""``Lab``: distil a live model by clicking, in a notebook widget and the JupyterLab side panel.

Why: the engine's :class:`~symtorch_lab.session.Session` holds all the state and does all the
work (recording, searches with their stop flags and done-callbacks, fronts, picks, parity and
held-out rows, replacements, comparisons); the ``Lab`` is a thin controller over its public
methods that turns user intents (select, distill, stop, pick, replace, restore, compare) into
session calls and session changes into protocol snapshots for its :class:`LabWidget` and the
side panel (it is the panel's :class:`~symtorch_lab.ui.panel.ModelSource` for its model).
Engine callbacks arrive on worker threads; they only *mark* a
:class:`~symtorch_lab.ui.coalescer.Coalescer`, which publishes on the kernel thread at most
four times per second.
"""

from __future__ import annotations

import weakref
from typing import Any

from torch import nn

from symtorch_lab.expression import Expression
from symtorch_lab.layer_job import LayerJob
from symtorch_lab.session import Session
from symtorch_lab.shapes import probe_shapes
from symtorch_lab.surrogate import SymbolicSurrogate
from symtorch_lab.ui import gradient_mode, live_labs
from symtorch_lab.ui import panel as panels
from symtorch_lab.ui import protocol as P
from symtorch_lab.ui import views as V
from symtorch_lab.ui.coalescer import Coalescer
from symtorch_lab.ui.dispatch import engine_request
from symtorch_lab.ui.widgets.lab import LabWidget

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
    panel : Panel, optional
        The side panel to show in (default: the kernel's, :func:`symtorch_lab.ui.panel.current`).
    **distiller_params
        Defaults for every search (``Distiller`` names: ``niterations``, ``maxsize``, ...).
        ``validation_fraction`` defaults to 0.2 so every candidate has a held-out score.
    """

    def __init__(self, model: nn.Module, data: Any = None, *, session: Session | None = None,
                 panel: panels.Panel | None = None, **distiller_params: Any) -> None:  # fmt: skip
        if session is None:
            distiller_params.setdefault("validation_fraction", DEFAULT_VALIDATION_FRACTION)
            session = Session(model, data, **distiller_params)
        self.session = session
        self.model = model
        self.panel = panels.current() if panel is None else panel
        self._selected: str | None = None
        self._latex = V.LatexCache()
        self._shapes = probe_shapes(model, data if data is not None else session.data)
        self._coalescer = Coalescer(self._flush)
        self.widget = LabWidget(handler=self.handle, model=self.panel.model_name(model))
        self._sent_statuses: dict[str, str] | None = None
        self.boundary = None  # BoundaryWidget of the last gradient-mode explanation
        self.gradient_fronts: dict[str, Any] = {}  # path -> ParetoFront (gradient mode)
        self.gradient_elapsed: dict[str, float] = {}
        self._sent_records = -1
        ref = weakref.ref(self)
        self._select_cb = lambda name, path: _on_panel_select(ref, name, path)
        self.panel.on_select(self._select_cb)
        self.panel.attach(self)
        weakref.finalize(self, self.panel.off_select, self._select_cb)
        live_labs.add(self)  # publishes after every cell
        self._selected = _opening_module(session)  # a given session: its work shows at once
        self._publish()  # comparisons saved with a loaded session show at once
        _publish_others(self)  # a loaded session may have replaced another Lab's module

    # --- public API (docs/lab.md) -------------------------------------------------------
    @property
    def model_name(self) -> str:
        """The model's variable name in the notebook (as the panel and the widget show it)."""
        return self.widget.model

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

    def distill(self, path: str | None = None, *, k_in: int | str | None = "auto",
                k_out: int | str | None = "auto", mode: str = "distill",
                output: int | None = None, **params: Any) -> LayerJob:  # fmt: skip
        """Record ``path`` (default: the selected module) and search it in the background.

        Layers wider than 8 in or out are searched through PCA (``k = 8``); pass ``k_in`` /
        ``k_out`` to choose, or 0 for no projection. Returns at once with the session's job.
        ``mode="gradient"`` explains the model output (``path=""``) or unit ``output`` of the
        module through symbolic gradients instead (docs/symbolic_gradients.md): it returns the
        front, and :attr:`boundary` shows the decision boundary with the pick's level sets.
        """
        if mode not in P.DISTILL_MODES:
            raise ValueError(f"mode={mode!r} is not one of {P.DISTILL_MODES}")
        if mode == "gradient":
            return gradient_mode.explain(self, "" if path is None else path, output, **params)
        path = self._path(path)
        self.select(path)
        self._refuse_if_replaced_elsewhere(path)
        if self.session.data is None:
            raise ValueError(
                f"module {path!r}: this Lab has no data to record on (loaded without data?): "
                "call lab.set_data(X) with a tensor, DataLoader or callable, or load with "
                "stl.Lab.load(file, model, data)"
            )
        ref = weakref.ref(self)
        callbacks = (_marker(ref, path), *params.pop("callbacks", ()))  # the user's run too
        job = self.session.distill(
            path, k_in=k_in, k_out=k_out, background=True, callbacks=callbacks, **params
        )
        job.handle.add_done_callback(lambda _handle: _mark(ref, path))
        self.widget.detail, self.widget.parity = None, b""  # a new front: the old pick is gone
        self.widget.error = ""
        self._publish()
        return job

    def set_data(self, data: Any) -> None:
        """Give the Lab (and its session) the data to record on: a Lab loaded without data
        shows its fronts, but needs data to distil again or to draw parity plots."""
        if data is None:
            raise ValueError("set_data: data must be a tensor, DataLoader or callable, got None")
        self._shapes = probe_shapes(self.model, data)
        self.session.data = data
        self.widget.error = ""
        self.panel.notify_changed(self.model)
        self._publish()

    def stop(self, path: str | None = None) -> None:
        """End the search after this generation; the partial front is kept."""
        self.session.stop(self._path(path))
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
        self.session.ensure_recording(job.path)  # a loaded session: rows for the parity plot
        fraction = float(self.session.distiller_params.get("validation_fraction", 0.0))
        detail, parity = V.detail(job, dim, cand, self._latex, fraction)
        self.widget.detail, self.widget.parity = detail, parity
        self.widget.error = ""
        self._publish()
        return dict(detail)

    def replace(self, path: str | None = None) -> None:
        """Swap the module for the picked expression of every output dim."""
        path = self._path(path)
        self._refuse_if_replaced_elsewhere(path)
        self.session.replace(path)
        self.widget.error = ""
        self._publish()
        _publish_others(self)

    def restore(self, path: str | None = None) -> None:
        """Put the original module back (not another Lab's surrogate: restore it there)."""
        path = self._path(path)
        self._refuse_if_replaced_elsewhere(path)
        self.session.restore(path)
        self.widget.error = ""
        self._publish()
        _publish_others(self)

    def compare(self, data: Any = None, metric: Any = None, **kwargs: Any):
        """Measure original vs hybrid (``Session.compare``: replaced modules, else every
        distilled one); the record is added to the widget's charts. With the Lab's own tensor
        data and no metric, the metric is the MSE against the original network's outputs."""
        result = self.session.compare(data, metric=metric, **kwargs)
        self.widget.error = ""
        self._publish()
        return result

    def set_known_law(self, law: str | None) -> None:
        """Mark the members of every front that recover ``law`` (infix over the module's
        inputs, e.g. ``"q1*q2/r^2"``; ``""`` or None clears the marks). Bad text raises
        ``ValueError`` naming the fault, before anything is marked; later searches mark their
        fronts too (the session's ``known_law``)."""
        law = (law or "").strip() or None
        fronts = [f for job in self.session.jobs.values() for f in job.fronts.values()]
        if law is not None:
            for front in fronts:  # every front's variables must know the law's names
                Expression.from_infix(law, front.candidates[0].expression.variable_names)
        for front in fronts:
            front.mark_law(law)
        if law is None:
            self.session.distiller_params.pop("known_law", None)
        else:
            self.session.distiller_params["known_law"] = law
        self.widget.known_law = law or ""
        self.widget.error = ""
        self._publish()

    def save(self, file) -> None:
        """Write fronts, picks and replacements as JSON (the engine's session format)."""
        self.session.save(file)

    def report(self, file, **kwargs: Any):
        """Write the self-contained HTML report of the session (``Session.report``)."""
        return self.session.report(file, **kwargs)

    @classmethod
    def load(cls, file, model: nn.Module, data: Any = None, **params: Any) -> Lab:
        """Rebuild a saved Lab onto ``model``: fronts, picks and replacements come back."""
        params.setdefault("validation_fraction", DEFAULT_VALIDATION_FRACTION)
        panel = params.pop("panel", None)
        lab = cls(model, data, session=Session.load(file, model, data, **params), panel=panel)
        path = lab.selected_module
        if path is not None:
            fronts = lab.session.jobs[path].fronts
            if fronts:  # the saved pick's detail (LaTeX, scores, parity) shows at once
                dim = min(fronts)
                lab.pick(fronts[dim].selected.id, dim)
        return lab

    def handle(self, request: P.Request) -> dict:
        """Answer an engine request from the panel or the widget (``ModelSource.handle``)."""
        try:
            return engine_request(self, request)
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
        """Each distilled module's status, and "replaced_elsewhere" for a module that another
        Lab/Session replaced (its surrogate stands there, not this session's)."""
        out = {p: j.status for p, j in self.session.jobs.items()}
        for path, module in self.model.named_modules():
            if isinstance(module, SymbolicSurrogate) and self.session.replaced_elsewhere(path):
                out[path] = "replaced_elsewhere"
        return out  # type: ignore[return-value]

    # --- display ------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any):
        self.widget.model = self.panel.model_name(self.model, self.widget.model)
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

    def _publish(self) -> None:
        """Refresh the widget now (kernel thread) and tell the panel. Not through the
        coalescer: its ``flush_now`` beside a pending timer would start a second timer chain
        (8 flushes/s instead of 4)."""
        self._flush({self._selected})

    def _flush(self, keys: set) -> None:
        """Kernel thread: copy the session's current state into the widget and the panel."""
        job = self.session.jobs.get(self._selected) if self._selected is not None else None
        w = self.widget
        status = V.search_status(w.model, job)
        comparisons = self.session.comparisons
        with w.hold_sync():
            w.module = self._selected
            w.module_status = self._module_status(job)
            w.points = V.front_points(job.current_fronts(), self._latex) if job else []
            w.picks = V.picks(job)
            w.status = status
            self._sync_detail(job)
            if status is not None and status["state"] == "error":
                w.error = f"module {status['path']!r}: search failed: {status['message']}"
            if len(comparisons) != self._sent_records:
                self._sent_records = len(comparisons)
                w.records = [V.compare_record(c) for c in comparisons]
        statuses = self.module_status()
        if statuses != self._sent_statuses:  # the panel's tree only shows statuses and shapes
            self._sent_statuses = statuses
            self.panel.notify_changed(self.model)
        for path in keys:
            other = self.session.jobs.get(path) if isinstance(path, str) else None
            if other is not None:
                self.panel.publish_status(self.model, V.search_status(w.model, other))

    def _refuse_if_replaced_elsewhere(self, path: str) -> None:
        if self.session.replaced_elsewhere(path):
            raise RuntimeError(
                f"module {path!r} is replaced by another Lab/Session: restore it there first"
            )

    def _module_status(self, job: LayerJob | None) -> P.ModuleStatus:
        path = self._selected
        if path is not None and self.session.replaced_elsewhere(path):
            return "replaced_elsewhere"
        return job.status if job else "not_distilled"  # type: ignore[return-value]

    def _sync_detail(self, job: LayerJob | None) -> None:
        """Keep the detail pane true to the published front: a candidate no longer on it is
        cleared, and its "picked" flag follows the engine's pick, so what the pane shows is
        what Replace installs."""
        w = self.widget
        shown = w.detail
        if shown is None:
            return
        on_front = job is not None and shown["path"] == job.path
        if on_front:
            on_front = V.find_candidate(job.current_fronts(), shown["id"], shown["dim"]) is not None
        if not on_front:
            w.detail, w.parity = None, b""
            return
        picked = V.picks(job).get(str(shown["dim"])) == shown["id"]
        if picked != shown["picked"]:
            w.detail = {**shown, "picked": picked}


def _opening_module(session: Session) -> str | None:
    """The module a Lab on ``session`` opens on: the first replaced one, else the first with a
    front, else the first distilled (None for a new session)."""
    jobs = session.jobs
    for wanted in (lambda j: j.status == "replaced", lambda j: bool(j.fronts), lambda j: True):
        path = next((p for p, job in jobs.items() if wanted(job)), None)
        if path is not None:
            return path
    return None


def _publish_others(lab: Lab) -> None:
    """Kernel thread: refresh the other Labs on ``lab``'s model (one replaced or restored a
    module they show)."""
    for other in list(live_labs.LIVE):
        if other is not lab and other.model is lab.model:
            other._publish()


def _mark(ref: weakref.ref, path: str) -> None:
    """Any thread: note that ``path`` changed (published later on the kernel thread)."""
    lab = ref()
    if lab is not None:
        lab._coalescer.mark(path)


def _marker(ref: weakref.ref, path: str):
    """Search callback (worker thread): only marks the coalescer, never touches widgets."""

    def on_generation(_event: Any) -> None:
        _mark(ref, path)

    return on_generation


def _on_panel_select(ref: weakref.ref, name: str, path: str) -> None:
    lab = ref()
    if lab is not None and lab.panel.source_for(lab.model) is lab:
        if lab.panel.models().get(name) is lab.model:
            lab.select(path)
