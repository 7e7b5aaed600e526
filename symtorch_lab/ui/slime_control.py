"""``SlimeController``: one explainer's live explanations, for the SlimeLab widget and the panel.

Why: a click (or a slider, or the panel's row picker) asks for an explanation of one point.
The search runs in the background (``SlimeExplainer.explain_in_background``); a newer request
stops the older search, whose result still lands in :attr:`SlimeController.history` (nothing
lost). Engine callbacks arrive on worker threads and only *mark* a
:class:`~symtorch_lab.ui.coalescer.Coalescer`; its flush (kernel thread) hands the current
snapshot to the listeners (the widget, the panel). The kernel thread never waits on a search.
The numbers the views draw (level-set grids, LIME's line, partial dependence) are computed
here, in the search's done-callback thread, by :mod:`symtorch_lab.ui.slime_views`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from symtorch_lab.ui import protocol as P
from symtorch_lab.ui import slime_adapter as A
from symtorch_lab.ui import slime_views as V
from symtorch_lab.ui.coalescer import Coalescer

log = logging.getLogger(__name__)
Listener = Callable[["SlimeController"], None]


@dataclass
class Run:
    """One requested explanation and what came of it."""

    request: int
    x0: np.ndarray
    row: int | None
    settings: dict
    started: float = field(default_factory=time.monotonic)
    handle: Any = None
    front: list = field(default_factory=list)
    phase: str = "running"
    message: str = ""
    finished: float | None = None


class SlimeController:
    """Explanations of one ``SlimeExplainer``, one at a time, in the background.

    Parameters
    ----------
    explainer : SlimeExplainer
        The engine object (its training data, black box and search settings).
    surface : bool
        Compute the 2-D views (level-set grids) when the data has two features.
    """

    def __init__(self, explainer: Any, grid: P.SlimeGrid | None = None) -> None:
        self.explainer = explainer
        self.X = A.training_data(explainer)
        self.names = A.feature_names(explainer)
        self.grid = grid
        # the settings of the next explanation: one set for the widget's sliders and the panel
        self.settings: dict[str, Any] = dict(A.defaults(explainer))
        self.history: list[Any] = []  # every finished Explanation, superseded ones included
        self.explanation: Any = None  # the current request's result
        self.lime: Any = None
        self.summary: P.SlimeSummary | None = None
        self.buffers: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._run: Run | None = None
        self._count = 0
        self._listeners: list[Listener] = []
        self._coalescer = Coalescer(lambda _keys: self._notify())

    # --- requests (kernel thread) ---------------------------------------------------------
    def explain(self, x0: Any = None, row: int | None = None, **settings: Any) -> P.SlimeStatus:
        """Stop the running search and explain ``x0`` (or data row ``row``) in the background.

        ``settings`` not given are the controller's :attr:`settings` (the last request's,
        whoever sent it: the SlimeLab's sliders or the panel), so both explain alike."""
        point = A.check_point(self.explainer, self._point(x0, row))  # bad input changes nothing
        settings = A.explain_settings({**self.settings, **A.explain_settings(settings)})
        previous = self._run
        if previous is not None and previous.phase == "running":
            self._stop(previous, "superseded by a newer request")
        with self._lock:
            self._count += 1
            run = Run(self._count, point, row, settings)
            self._run = run
            self.explanation = self.lime = self.summary = None
            self.buffers = {}
        try:
            run.handle = A.start(self.explainer, point, settings, lambda f: self._on_front(run, f))
        except Exception as exc:
            run.phase, run.message, run.finished = "error", str(exc), time.monotonic()
            self._notify()
            raise
        run.handle.add_done_callback(lambda handle: self._on_done(run, handle))
        self.settings = settings
        self._notify()
        return self.status()

    def stop(self) -> P.SlimeStatus:
        """End the running search after this generation; its partial front is explained."""
        run = self._run
        if run is not None and run.phase == "running":
            self._stop(run, "stopped")
        self._notify()
        return self.status()

    def wait(self, timeout: float | None = None) -> Any:
        """Block until the current explanation is shown (for scripts and notebooks in CI)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            run = self._run
            if run is None or run.phase not in ("running", "stopping"):
                break
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(
                    f"SLIME explanation {run.request} still running after {timeout} s"
                )
            time.sleep(0.02)
        self._notify()  # now, on this thread: the views show the finished state when it returns
        if run is not None and run.phase == "error":
            raise RuntimeError(f"SLIME explanation {run.request} failed: {run.message}")
        return self.explanation

    # --- snapshots --------------------------------------------------------------------------
    def status(self) -> P.SlimeStatus:
        run = self._run
        if run is None:
            return {"request": 0, "phase": "idle", "message": "", "elapsed": 0.0, "n_candidates": 0}
        end = run.finished if run.finished is not None else time.monotonic()
        return {"request": run.request, "phase": run.phase, "message": run.message,  # type: ignore[typeddict-item]
                "elapsed": round(end - run.started, 2), "n_candidates": len(run.front)}  # fmt: skip

    def front(self) -> list[P.SlimeFrontPoint]:
        return list(self._run.front) if self._run is not None else []

    def listen(self, listener: Listener) -> None:
        """Call ``listener(controller)`` on the kernel thread after every change."""
        self._listeners.append(listener)

    # --- worker threads -------------------------------------------------------------------
    def _on_front(self, run: Run, front: Any) -> None:
        if run is self._run:
            run.front = V.front_points(front)
            self._coalescer.mark("front")

    def _on_done(self, run: Run, handle: Any) -> None:
        try:
            expl = A.result(handle)
        except Exception as exc:  # noqa: BLE001 - shown in the views, not raised in a thread
            run.phase, run.message, run.finished = "error", str(exc), time.monotonic()
            if run is not self._run:  # superseded: no view shows it, the log does
                log.warning("symtorch_lab: superseded SLIME explanation %d failed: %s",
                            run.request, exc)  # fmt: skip
            self._coalescer.mark("done")
            return
        with self._lock:
            self.history.append(expl)
        if run is not self._run:
            run.phase, run.finished = "stopped", time.monotonic()
            return  # superseded: kept in history, not shown
        try:
            lime, summary, buffers = A.views(self, run, expl)
        except Exception as exc:  # noqa: BLE001
            log.debug("SLIME views failed", exc_info=True)
            run.phase, run.message, run.finished = (
                "error",
                f"{type(exc).__name__}: {exc}",
                time.monotonic(),
            )
            self._coalescer.mark("done")
            return
        with self._lock:
            if run is self._run:
                self.explanation, self.lime = expl, lime
                self.summary, self.buffers = summary, buffers
                run.phase = "stopped" if summary["stopped"] else "done"
                run.front = V.front_points(A.front_of(expl)) or run.front
                run.finished = time.monotonic()
        self._coalescer.mark("done")

    def _stop(self, run: Run, why: str) -> None:
        run.message = why
        if run.handle is not None:
            run.handle.stop()

    def _point(self, x0: Any, row: int | None) -> np.ndarray:
        if (x0 is None) == (row is None):
            raise ValueError("SLIME: give exactly one of x0 (a point) and row (a data row index)")
        if row is not None:
            if not 0 <= int(row) < len(self.X):
                raise ValueError(
                    f"SLIME: row {row} is outside the data's rows 0..{len(self.X) - 1}"
                )
            return np.array(self.X[int(row)], dtype=np.float64)
        return x0  # the engine's check (check_point) names x0 and what it must be

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener(self)
            except Exception:  # noqa: BLE001 - a broken view must not take the engine down
                log.exception("symtorch_lab: publishing a SLIME update failed")
