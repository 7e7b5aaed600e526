"""A distillation session over one live model: record → distill → pick → replace → compare.

This is the engine object behind the notebook widgets and the JupyterLab panel (and usable on
its own in scripts). It keeps, per module path, a :class:`LayerJob`: the recording, optional
PCA projections for wide layers, the search (possibly running in the background, with a live
front per output dimension), the picks, and whether the module is currently replaced. All of
it can be saved to JSON and loaded back onto a fresh model after a kernel restart.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import nn

from . import _dims, io, metrics
from ._batches import check_arrays, check_data, run
from .distill import Distiller, SearchHandle
from .hooks import eval_mode
from .layer_job import LayerJob, fit_and_file, project
from .record import Recording, record
from .surrogate import SymbolicSurrogate, replace

AUTO_K = 8  # k_in/k_out="auto": layers wider than this are searched through PCA to this many dims
_DISTILL_LOCK = threading.Lock()


def run_model(model: nn.Module, data, batch_size: int = 1024) -> None:
    """Feed ``data`` through ``model`` without gradients.

    ``data`` is any form of the engine's data contract (:mod:`symtorch_lab._batches`): a
    tensor (split into batches), one batch or an iterable of batches (a DataLoader; tuples
    and lists are ``(inputs,)`` or ``(inputs, target)``, dicts are keyword arguments), or a
    callable ``f(model)`` that runs the model itself.
    """
    run(model, data, batch_size=batch_size)


class Session:
    """Distil modules of one model, pick expressions, swap them in, and measure.

    Parameters
    ----------
    model : nn.Module
        The live model. Its modules are replaced in place (and restored on request).
    data : tensor, iterable of batches, or callable
        What to run the model on when recording (see :func:`run_model`).
    max_samples : int
        Rows kept per recorded module (reservoir sample).
    distiller_params : dict
        Defaults for every :class:`~symtorch_lab.distill.Distiller` of the session.
    """

    def __init__(self, model: nn.Module, data=None, *, max_samples: int = 5000, **distiller_params):
        self.model = model
        self.data = check_data(data, "data")
        self.max_samples = max_samples
        self.distiller_params = distiller_params
        self.jobs: dict[str, LayerJob] = {}
        # every compare() as JSON-safe numbers (Comparison.to_dict + paths), saved with the session
        self.comparisons: list[dict[str, Any]] = []

    def record(self, paths, data=None, **record_kwargs) -> dict[str, Recording]:
        """Record the given modules on ``data`` (default: the session's data)."""
        paths = [paths] if isinstance(paths, str) else list(paths)
        data = self.data if data is None else data
        if data is None:
            raise ValueError("no data to record on: pass data= to Session or to record()")
        for path in paths:
            self._check_not_replaced_elsewhere(path)
        kwargs = {"max_samples": self.max_samples, **record_kwargs}
        with record(self.model, paths, **kwargs) as rec, eval_mode(self.model):
            run_model(self.model, data)
        for path in paths:
            self._job(path, rec[path])
        return {p: rec[p] for p in paths}

    def _job(self, path: str, recording: Recording) -> LayerJob:
        meta = {
            "input_shape": list(recording.input_shape),
            "output_shape": list(recording.output_shape),
            "n_rows": int(len(recording.X)),
            "n_seen": int(recording.n_seen),
            "variable_names": list(recording.variable_names),
            "n_terms": int(recording.Y.shape[1]),
            "module_type": type(self.model.get_submodule(path)).__name__,
        }
        job = self.jobs.get(path)
        if job is None or job.status in ("not_distilled", "distilled"):
            job = self.jobs[path] = LayerJob(path, recording, meta)
        return job

    def distill(
        self,
        path: str,
        *,
        k_in: int | str | None = None,
        k_out: int | str | None = None,
        output_dims=None,
        background: bool = False,
        callbacks: Iterable[Callable] = (),
        resume: bool = True,
        sample_weight=None,
        **params,
    ) -> LayerJob:
        """Search expressions for one module; ``background=True`` returns at once.

        ``k_in`` / ``k_out`` search through a PCA projection of that many dims (``"auto"``:
        8 for layers wider than 8, never more than the data's numerical rank; None or 0: no
        projection). PCA components of negligible variance are not searched (see
        :mod:`symtorch_lab._dims`): they get their mean, on a front marked ``skipped``.

        ``resume=True`` keeps the finished dims' fronts when the search rows (recording and
        projections) and the settings are unchanged, and searches only the missing dims (and
        those a stop cut short); ``resume=False`` searches every dim afresh.

        ``sample_weight`` (one weight per recorded row) weights the search's loss.
        ``variable_transforms`` / ``variable_names`` record the module again with derived
        input features (see :func:`~symtorch_lab.record.record`) before searching.
        """
        self._check_not_replaced_elsewhere(path)
        derived = {
            k: params.pop(k) for k in ("variable_transforms", "variable_names") if k in params
        }
        if derived:  # derived inputs (physics features): record with them first
            self.record(path, **derived)
        job = self.jobs.get(path)
        if job is not None and job.recording is None:
            job = self.ensure_recording(path)  # a loaded job keeps its fronts (to resume)
        if job is None or job.recording is None:
            self.record(path)
            job = self.jobs[path]
        with _DISTILL_LOCK:  # two calls at once: exactly one starts
            if job.status == "searching" or job._starting:
                raise RuntimeError(f"module {path!r}: a search is already running; stop it first")
            job._starting = True
        try:
            return self._start_distill(
                job, k_in, k_out, output_dims, background, callbacks, params, resume, sample_weight
            )
        finally:
            job._starting = False

    def _start_distill(
        self, job, k_in, k_out, output_dims, background, callbacks, params, resume, weight=None
    ):
        k_in = _auto_k(k_in, job.recording.X)
        k_out = _auto_k(k_out, job.recording.Y)
        job._stop_requested = False
        merged = {**self.distiller_params, **params}
        X, Y, names = project(job, k_in, k_out)
        # NaN in the data reaches the recording: say whose rows these are, before any thread
        where = f"module {job.path!r}: its recording (X: the inputs the model passed to it, "
        check_arrays(X, Y, where=where + "y: its outputs)", names=names)
        keyed = merged if weight is None else {**merged, "sample_weight": _digest(weight)}
        todo = _dims.plan_search(job, X, Y, names, keyed, output_dims, resume)
        merged["callbacks"] = (job._on_progress, *callbacks, *merged.get("callbacks", ()))
        job.distiller = Distiller(**merged)
        if not todo:  # every dim already has its final front: nothing to search
            if background:  # callers wait on / add callbacks to the handle all the same
                job.handle = SearchHandle(job.distiller)
                job.handle._start(lambda: None)
            return job
        fit_kwargs = {"variable_names": names, "output_dims": todo, "sample_weight": weight}
        if merged.get("decompose"):  # the network being distilled: its gradients guide the split
            fit_kwargs["network"] = self._rows_network(job, k_in, k_out)
        if background:
            # The fronts are filed inside the search thread, so handle.wait() returning means
            # job.fronts is complete (a separate watcher thread left a window where it wasn't).
            job.handle = SearchHandle(job.distiller)
            job.handle._start(lambda: fit_and_file(job, X, Y, fit_kwargs))
        else:
            try:
                job._finish(job.distiller.fit(X, Y, **fit_kwargs))
            except Exception as exc:
                exc.add_note(f"while distilling module {job.path!r}")
                raise
        return job

    def _rows_network(self, job, k_in, k_out):
        """The module at ``job.path`` as a function of the search's rows (for decompose)."""
        if k_in or k_out or job.recording.variable_transforms:
            raise ValueError(
                f"module {job.path!r}: decompose=True searches the module's own inputs and "
                "outputs; distil without k_in/k_out and variable_transforms"
            )
        module, shape = self.model.get_submodule(job.path), tuple(job.recording.input_shape)
        dtype = next((p.dtype for p in module.parameters()), torch.float32)

        def network(rows: torch.Tensor) -> torch.Tensor:
            with eval_mode(module):
                out = module(rows.to(dtype).reshape(len(rows), *shape))
            return out.reshape(len(rows), -1).to(rows.dtype)

        return network

    def stop(self, path: str) -> None:
        """End the search on ``path`` after the current generation (see ``LayerJob.stop``)."""
        job = self.jobs.get(path)
        if job is None or job.distiller is None:
            raise ValueError(
                f"module {path!r} has not been distilled in this session: no search to stop"
            )
        job.stop()

    @contextmanager
    def originals(self, paths=None):
        """The original modules at ``paths`` (default: every replaced one) for the duration;
        the live surrogates (fine-tuned constants and all) go back afterwards, even on errors.
        Yields ``{path: live surrogate}`` of the modules it put back."""
        paths = list(self.jobs) if paths is None else paths
        live = {p: self.model.get_submodule(p) for p in paths if self.jobs[p].status == "replaced"}
        for p in live:
            self.restore(p)
        try:
            yield live
        finally:
            for p, surrogate in live.items():
                self.replace(p, surrogate=surrogate)

    def ensure_recording(self, path: str) -> LayerJob:
        """Record the original module again when its job has no rows (a loaded session), on
        the session's data; the job (with its fronts) is kept. A no-op without data."""
        job = self._get(path)
        if job.recording is not None or self.data is None:
            return job
        with self.originals([path]):
            with record(self.model, [path], max_samples=self.max_samples) as rec:
                with eval_mode(self.model):
                    run_model(self.model, self.data)
            job.recording = rec[path]
        return job

    def original_outputs(self, X: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
        """The original network's outputs on ``X`` (replaced modules put back meanwhile)."""
        with self.originals():  # the data contract's walker: eval, no_grad, misfits named
            return torch.cat(metrics.outputs(self.model, X, batch_size=batch_size))

    def comparable_paths(self) -> list[str]:
        """What ``compare`` measures by default: the replaced modules, else every module
        whose output dims are all distilled."""
        jobs = self.jobs
        return [p for p, j in jobs.items() if j.status == "replaced"] or [
            p for p, j in jobs.items() if len(j.fronts) == j.meta.get("n_terms", -1)
        ]

    def replace(
        self, path: str, *, surrogate: SymbolicSurrogate | None = None, free_original: bool = False
    ) -> SymbolicSurrogate:
        """Swap the module for its picked expressions (or the given surrogate); undo with
        :meth:`restore`."""
        job = self._get(path)
        if job.status == "replaced":
            job.replacement.restore()
        surrogate = job.surrogate() if surrogate is None else surrogate
        job.replacement = replace(self.model, {path: surrogate}, free_original=free_original)
        job.installed = surrogate  # what replaced_elsewhere() recognises as this session's
        return surrogate

    def restore(self, path: str) -> None:
        job = self._get(path)
        if job.replacement is not None:
            job.replacement.restore()

    def compare(self, data=None, *, metric=None, example=None, paths=None, **kwargs):
        """Before/after task metric, throughput and memory with the picked surrogates.

        ``data`` defaults to the session's data. Without a ``metric``, tensor data is scored
        by the MSE against the original network's own outputs (else ``"mse"``). ``paths``
        defaults to :meth:`comparable_paths`. Each result is added to :attr:`comparisons`.
        """
        from . import benchmark
        from .surrogate import replaced

        data = self.data if data is None else data
        against_original = metric is None and isinstance(data, torch.Tensor)
        if against_original:
            data, metric = (data, self.original_outputs(data)), "mse"
        metric = metric or "mse"
        paths = self.comparable_paths() if paths is None else paths
        if not paths:
            raise RuntimeError("nothing to compare: distill a module first (every output dim)")
        with self.originals(paths) as live:
            mapping = {p: live[p] if p in live else self.jobs[p].surrogate() for p in paths}
            result = benchmark.compare(
                self.model,
                lambda: replaced(self.model, mapping),
                data,
                metric=metric,
                example=example,
                **kwargs,
            )
            if against_original:
                result = dataclasses.replace(result, reference=benchmark.ORIGINAL_OUTPUTS)
            self.comparisons.append({"paths": list(paths), **result.to_dict()})
            return result

    def replaced_elsewhere(self, path: str) -> bool:
        """Whether ``path`` (or a module above it) is now a ``SymbolicSurrogate`` that another
        Session/Lab put there (also over this session's own replacement): recording it would
        record that surrogate, not the network, and the Lab must not offer Replace/Distill."""
        parts = path.split(".") if path else []
        for depth in range(len(parts) + 1):
            prefix = ".".join(parts[:depth])
            try:
                module = self.model.get_submodule(prefix)
            except AttributeError:
                return False  # no such module: record/distill say so themselves
            job = self.jobs.get(prefix)
            own = job is not None and job.status == "replaced" and module is job.installed
            if isinstance(module, SymbolicSurrogate) and not own:
                return True
        return False

    def _check_not_replaced_elsewhere(self, path: str) -> None:
        if self.replaced_elsewhere(path):
            raise ValueError(
                f"module {path!r} is replaced by a symbolic surrogate from another Session/Lab: "
                "restore it there first"
            )

    def _get(self, path: str) -> LayerJob:
        if path not in self.jobs:
            raise KeyError(
                f"module {path!r} has not been recorded in this session; known: {sorted(self.jobs)}"
            )
        return self.jobs[path]

    def to_json(self) -> dict[str, Any]:
        return io.session_to_json(self)

    def save(self, file) -> None:
        io.save_session(file, self)

    def report(self, file, *, title: str | None = None, description: str = ""):
        """Write a self-contained HTML report (fronts, picks, parity, before/after, versions)
        that opens with no kernel and no network; returns its path."""
        from .report import write_report

        return write_report(self, file, title=title, description=description)

    @classmethod
    def load(cls, file, model: nn.Module, data=None, **params) -> Session:
        """Rebuild a saved session onto ``model``; replaced modules are replaced again."""
        saved = io.read_session(file, model)
        session = cls(model, data, **params)
        for layer in saved.layers:
            job = LayerJob(layer.path, None, layer.meta)
            job.in_projection, job.out_projection = layer.in_projection, layer.out_projection
            job.fronts = dict(layer.fronts)
            job.skipped = {d: f.skipped for d, f in job.fronts.items() if f.skipped}
            job.search_key, job.partial = _dims.resume_state(layer.meta, job.fronts)
            session.jobs[job.path] = job
        for layer in saved.layers:
            if layer.replaced:
                session.replace(layer.path, surrogate=layer.surrogate)
        session.comparisons = saved.comparisons
        return session


def load_session(file, model: nn.Module, data=None, **params) -> Session:
    """Read a session file (see :mod:`symtorch_lab.io`) and rebuild it onto ``model``."""
    return Session.load(file, model, data, **params)


def _digest(weight) -> str:
    """Weights enter the search key by content (a changed weight vector is a new search)."""
    array = np.ascontiguousarray(np.asarray(weight, dtype=np.float64))
    return hashlib.sha256(array.tobytes()).hexdigest()


def _auto_k(k, Z: np.ndarray) -> int | None:
    """``"auto"``: ``AUTO_K`` dims for layers wider than that, at most the numerical rank of
    the recorded rows ``Z``; 0 or None: no projection."""
    width = Z.shape[1]
    if k == "auto":
        return min(AUTO_K, width, _dims.numerical_rank(Z)) if width > AUTO_K else None
    return None if k is None or k <= 0 else int(k)
