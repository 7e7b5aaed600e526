"""What a search's callbacks see each generation: ``DistillProgress``, and the adapter from
the backend's raw progress (float32, scaled target) to candidates in the user's units.

Why a module of its own: the per-generation path is a concern apart from fitting; the
Distiller builds one ``_LiveFront`` per searched dimension.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backends.base import Progress
from .expression import Expression
from .front import Candidate, ParetoFront

# A callback gets a DistillProgress each generation; returning True stops the search.
Callback = Callable[["DistillProgress"], "bool | None"]


@dataclass(frozen=True)
class DistillProgress:
    """What a callback (or a live view) sees after each generation of one dimension.

    ``done`` are the dims of this fit with a final front (skipped ones included), ``running``
    those being searched now and ``skipped`` those not searched (see ``Distiller.skipped_``).
    With ``n_jobs > 1`` events of different dims arrive from several threads.
    """

    dim: int
    dims: tuple[int, ...]
    generation: int
    elapsed: float
    front: ParetoFront | None
    done: tuple[int, ...] = ()
    running: tuple[int, ...] = ()
    skipped: tuple[int, ...] = ()


class _LiveFront:
    """Per-generation adapter: backend Progress → DistillProgress → user callbacks."""

    def __init__(self, distiller: Any, dim: int, dims, names, scale: float = 1.0):
        self.distiller, self.dim, self.dims, self.names = distiller, dim, tuple(dims), names
        self.scale = scale
        self.generation = 0
        self.elapsed = 0.0
        self.stopped = False
        self._parsed: dict[str, Expression] = {}

    def __call__(self, progress: Progress) -> bool | None:
        self.generation, self.elapsed = progress.generation, progress.elapsed
        if not self.distiller.callbacks:
            return None
        event = DistillProgress(
            self.dim, self.dims, progress.generation, progress.elapsed, self._front(progress),
            **self.distiller._board.snapshot(),
        )  # fmt: skip
        stop = False
        for cb in self.distiller.callbacks:
            stop = bool(cb(event)) or stop
        self.stopped = self.stopped or stop
        return stop

    def _front(self, progress: Progress) -> ParetoFront | None:
        cands = []
        for rc in progress.candidates:
            expr = self._parsed.get(rc.infix)
            if expr is None:
                infix = _unscaled(rc.infix, self.scale)
                expr = self._parsed[rc.infix] = Expression.from_infix(infix, self.names)
            loss = rc.loss * self.scale**2 if self.distiller.loss is None else rc.loss
            cands.append(Candidate(complexity=expr.complexity, loss=loss, expression=expr))
        try:
            d = self.distiller
            return ParetoFront(
                _within(cands, d.maxsize), d.model_selection, noise_floor=d.noise_floor
            )
        except ValueError:
            return None


def _target_scale(y: np.ndarray) -> float:
    """A power of ten bringing ``y`` near 1 when its magnitude is extreme, else 1.

    The engine evaluates in float32: targets of size ~1e-12 fell below its tolerances and
    ~1e20 overflowed its squared errors, and both came back as one constant.
    """
    magnitude = float(np.max(np.abs(y))) if len(y) else 0.0
    if magnitude == 0.0 or 1e-6 <= magnitude <= 1e6:
        return 1.0
    return float(10.0 ** round(np.log10(magnitude)))


def _unscaled(infix: str, scale: float) -> str:
    return infix if scale == 1.0 else f"{scale!r}*({infix})"


def _within(cands: list[Candidate], maxsize: int) -> list[Candidate]:
    """PySR's meaning of ``maxsize``: no candidate more complex than it (node count).

    Operon's own length limit counts a weighted variable as one node, so its models can print
    longer; they are dropped here unless polishing brought them under the limit. The simplest
    candidate is kept if none fits, so a front is never empty.
    """
    kept = [c for c in cands if c.complexity <= maxsize]
    return kept or sorted(cands, key=lambda c: c.complexity)[:1]
