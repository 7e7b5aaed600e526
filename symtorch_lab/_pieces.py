"""The pieces of a decomposed search: their budget, and where they run.

Why a module of its own: :mod:`symtorch_lab.decompose` decides *what* to search; this decides
*with how much* and *where*. When a split holds, the plain search gets :data:`PLAIN_SHARE` of
the budget (generations and seconds alike) and the pieces share the rest, so
``decompose=True`` costs about what a plain search costs; with no split the plain search keeps
the whole budget less the separability test's time (a fraction of a second). Pieces run one
after another in this process, or all at once on the Distiller's executor (the seam of
:mod:`symtorch_lab.fanout`): the network stays in the caller's process and each job carries
only its rows, the network's values there and the settings. With ``lanes`` workers the pieces
share ``lanes`` times the seconds left (they run side by side); generations are work, so they
are shared the same way on any executor.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import fanout

PLAIN_SHARE = 0.5
"""Share of the budget the plain search keeps when the network splits (the rest: pieces)."""
KEEP = 5
"""Candidates kept per piece: the most accurate of its front, and its pick."""
MIN_PIECE_S = 0.5
"""Fewest seconds a piece is given (a piece stops at its first generation past its limit)."""


def lanes(distiller, n_pieces: int) -> int:
    """How many pieces run side by side: 1 in this process, else the executor's workers."""
    if n_pieces == 0 or distiller.executor in (None, "threads"):
        return 1
    workers = distiller.n_jobs or getattr(distiller.executor, "_max_workers", None)
    return max(1, min(n_pieces, workers or os.cpu_count() or 1))


def split_budget(spec, test_s: float, n_pieces: int, n_lanes: int) -> tuple[dict, dict]:
    """``(plain, piece)`` budgets as ``{"niterations", "timeout_in_seconds"}``; ``piece`` is
    each piece's (empty when there is none)."""
    gens, secs = spec.niterations, spec.timeout_in_seconds
    left = None if secs is None else max(secs - test_s, MIN_PIECE_S)
    if n_pieces == 0:
        return {"niterations": gens, "timeout_in_seconds": left}, {}
    plain_gens = None if gens is None else max(1, round(gens * PLAIN_SHARE))
    piece_gens = None if gens is None else max(1, (gens - plain_gens) // n_pieces)
    plain_s = None if left is None else left * PLAIN_SHARE
    piece_s = None if left is None else max(MIN_PIECE_S, (left - plain_s) * n_lanes / n_pieces)
    return (
        {"niterations": plain_gens, "timeout_in_seconds": plain_s},
        {"niterations": piece_gens, "timeout_in_seconds": piece_s},
    )


def with_budget(spec, budget: dict):
    """``spec`` with the budget's generations and seconds."""
    return dataclasses.replace(spec, **budget)


@dataclass
class PieceTask:
    """One piece's search in a worker (pickled): the Distiller class, its settings, rows."""

    cls: Any
    params: dict
    X: np.ndarray
    y: np.ndarray


def task(distiller, X, y, budget: dict) -> PieceTask:
    """A piece's search: the Distiller's settings, no callbacks, executor or decomposition,
    its names and marks dropped (a piece has its own inputs), no float64 refit of its own
    (measured: two thirds of a decomposed run's wall went to refitting pieces' candidates
    that are refitted again once recombined), the piece's budget."""
    cls = type(distiller)
    own = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    params = {p: getattr(distiller, p) for p in own if hasattr(distiller, p)}
    params.pop("pysr_kwargs", None)
    params.update(dict(distiller.pysr_kwargs))
    params.update(callbacks=(), executor=None, n_jobs=1, decompose=False, validation_fraction=0,
                  known_law=None, units=None)  # fmt: skip
    params["refit"] = False  # the recombined candidates are refitted on the full data anyway
    if "dimensional_analysis" in params:  # a piece's inputs carry no units of their own
        params["dimensional_analysis"] = False
    params.update({k: budget[k] for k in ("niterations", "timeout_in_seconds")})
    return PieceTask(cls, params, X, y)


def search_piece(job: PieceTask, stop) -> tuple[list[tuple], int]:
    """Worker side: the trees of a piece's best candidates and the generations it ran."""
    from .polish import warm_up

    warm_up()
    d = job.cls(**job.params)
    d._stop_event = fanout._CachedFlag(stop)
    front = d._fit(job.X, job.y).fronts_[0]
    chosen = list(front.candidates[-KEEP:]) + [front.selected]
    trees = [c.expression.tree for c in {c.id: c for c in chosen}.values()]
    return trees, int(d.n_generations_.get(0, 0))


def search_all(distiller, tasks: list[PieceTask], runner=None) -> list:
    """Each task's ``(trees, generations)`` in order (None: stopped before it started)."""
    if runner is None:
        return [None if distiller._stop_event.is_set() else
                search_piece(t, distiller._stop_event) for t in tasks]  # fmt: skip
    with runner:
        stop, _ = runner.shared()
        key = uuid.uuid4().hex[:8]
        pending = {
            runner.submit(search_piece, t, stop, key=f"symtorch-lab-piece-{i}-{key}"): i
            for i, t in enumerate(tasks)
        }
        out: list = [None] * len(tasks)
        while pending:
            for future in runner.finished(list(pending), fanout.STOP_CHECK_S):
                out[pending.pop(future)] = runner.result(future)
            if distiller._stop_event.is_set():
                stop.set()
                runner.cancel(list(pending))
    return out
