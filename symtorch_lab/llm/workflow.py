"""Transformer MLPs → PCA + symbolic surrogates in one call, resumable, on the engine's Session.

:func:`distill_mlps` records the MLP inputs/outputs of the chosen layers over a capped number of
token windows (one forward pass for all layers, the engine's reservoir-sampled
:func:`~symtorch_lab.record.record`), then for each layer runs the engine's search through
``PCAProjection``\\ s of the inputs (``k_in``) and outputs (``k_out``) -- one front per output
component, live in the Lab -- and replaces the layers by :class:`~.variants.FusedSurrogate`\\ s.
With ``file=`` the session is saved each time a component's front is final, and a second call
with the same file and settings searches only what is missing.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..session import Session
from .measure import measure, no_cache, windows
from .paths import mlp_paths
from .variants import FusedSurrogate, pca_modules, skip_modules


class _Saver:
    """Distiller callback: tick the progress bar and save the session when a front is final."""

    def __init__(self, session: Session, file, bar):
        self.session, self.file, self.bar = session, file, bar
        self.seen: set[tuple[str, int]] = set()
        self.path = ""
        self.lock = threading.Lock()

    def __call__(self, event) -> None:
        self.mark(event.done)

    def mark(self, dims) -> None:
        new = [d for d in dims if (self.path, d) not in self.seen]
        if not new:
            return
        with self.lock:
            self.seen.update((self.path, d) for d in new)
            if self.bar is not None:
                self.bar.update(len(new))
            self.save()

    def save(self) -> None:
        if self.file is not None:
            try:
                self.session.save(self.file)
            except RuntimeError:  # a front filed by another thread meanwhile: next save has it
                pass


def _bar(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="distilling MLP components", unit="front")


def distill_mlps(
    model: nn.Module,
    tokens: torch.Tensor,
    layers: Any = "all",
    *,
    k_in: int = 8,
    k_out: int = 4,
    window: int = 128,
    max_windows: int = 64,
    max_samples: int = 4000,
    file: str | Path | None = None,
    session: Session | None = None,
    replace: bool = True,
    progress: bool = True,
    **distiller_params,
) -> Session:
    """Distil the MLPs of ``layers`` (numbers, paths or ``"all"``) into symbolic surrogates.

    ``tokens`` is a 1-D token stream (or ``(n, window)`` windows), cut into non-overlapping
    windows of which ``max_windows`` evenly spaced ones are run; each layer keeps
    ``max_samples`` token rows (a reservoir sample).
    ``distiller_params`` go to every :class:`~symtorch_lab.distill.Distiller` (``niterations``,
    ``population_size``, ``maxsize``, ...). Returns the :class:`Session` (its jobs hold the
    fronts; with ``replace=True`` the layers are replaced, undo with ``session.restore``).
    """
    paths = mlp_paths(model, layers)
    data = tokens if torch.as_tensor(tokens).dim() == 2 else windows(tokens, window)
    if len(data) > max_windows:  # evenly spread over the stream, not just its beginning
        data = data[torch.linspace(0, len(data) - 1, max_windows).long()]
    if session is None:
        loaded = file is not None and Path(file).exists()
        params = {"max_samples": max_samples, **distiller_params}
        session = (
            Session.load(file, model, data, **params) if loaded else Session(model, data, **params)
        )
    bar = _bar(len(paths) * k_out, progress)
    saver = _Saver(session, file, bar)
    # Every layer is recorded (and, after a load, re-recorded) in the original network: a
    # later layer behind an earlier one's surrogate would see other rows and search afresh.
    with no_cache(model), session.originals():
        new = [p for p in paths if p not in session.jobs]
        if new:
            session.record(new)
        for path in paths:
            saver.path = path
            session.distill(path, k_in=k_in, k_out=k_out, resume=True, callbacks=[saver])
            saver.mark(session.jobs[path].fronts)  # kept from a resumed file: ticked too
    if bar is not None:
        bar.close()
    if replace:
        for path in paths:
            install(session, path)
    saver.save()  # with what is replaced now (the saves above ran with the originals in)
    return session


def install(session: Session, path: str) -> FusedSurrogate:
    """Replace ``path`` by the fused surrogate of its picked expressions."""
    fused = FusedSurrogate.from_surrogate(session.jobs[path].surrogate())
    session.replace(path, surrogate=fused)
    return fused


def variants_of(session: Session, paths=None) -> dict[str, dict[str, nn.Module] | None]:
    """``original``, ``pca``, ``skip`` and ``hybrid`` module maps of the session's ``paths``."""
    paths = [p for p in session.jobs if session.jobs[p].fronts] if paths is None else list(paths)
    with session.originals(paths):
        originals = {p: session.model.get_submodule(p) for p in paths}
    jobs = [session.jobs[p] for p in paths]
    projections = {j.path: (j.in_projection, j.out_projection) for j in jobs}
    return {
        "original": {p: m for p, m in originals.items()},
        "pca": pca_modules(originals, projections),
        "skip": skip_modules(paths),
        "hybrid": {j.path: FusedSurrogate.from_surrogate(j.surrogate()) for j in jobs},
    }


def evaluate_session(
    session: Session,
    ids: torch.Tensor,
    paths=None,
    *,
    window: int = 128,
    batch_size: int = 8,
    repeats: int = 10,
    warmup: int = 2,
    record: bool = True,
) -> list[dict[str, Any]]:
    """Measure original / PCA-only / skip-MLP / hybrid of ``paths`` on the stream ``ids``.

    The session's replacements are undone meanwhile and put back after. With ``record=True`` a
    before/after record (perplexity and tokens/s, original vs hybrid) is added to
    ``session.comparisons``, so the Lab's compare view shows it.
    """
    maps = variants_of(session, paths)
    with session.originals():
        rows = measure(
            session.model,
            ids,
            maps,
            window=window,
            batch_size=batch_size,
            repeats=repeats,
            warmup=warmup,
        )
    if record:
        session.comparisons.append(lm_record(rows, list(maps["hybrid"])))
    return rows


def lm_record(rows: list[dict[str, Any]], paths: list[str]) -> dict[str, Any]:
    """A ``Session.comparisons`` entry (the engine's compare shape) from :func:`measure` rows."""
    by = {row["variant"]: row for row in rows}
    before, after = by["original"], by["hybrid"]
    ratio = after["tokens_per_s"] / before["tokens_per_s"]
    extra = {
        f"{name}_{key}": by[name][key]
        for name in ("pca", "skip")
        if name in by
        for key in ("perplexity", "tokens_per_s")
    }
    return {
        "paths": list(paths),
        "metric": "perplexity",
        "before": before["perplexity"],
        "after": after["perplexity"],
        "throughput_before": before["tokens_per_s"],
        "throughput_after": after["tokens_per_s"],
        "unit": "tokens",
        "speedup": ratio,
        "metric_ratio": after["perplexity"] / before["perplexity"],
        "memory_before": before["weight_bytes"],
        "memory_after": after["weight_bytes"],
        "memory_method": "weights reachable from the model (bytes)",
        "device": before["device"],
        "batch": before["batch_tokens"],
        "reference": "held-out tokens",
        **extra,
    }
