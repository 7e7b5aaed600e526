"""``SlimeLab``: teach SLIME by clicking — a black box's decision surface, explained point by point.

Why: SLIME (a local *symbolic* surrogate) is best understood next to LIME (a local *line*) on
a picture: click a point of a 2-D problem (spirals, moons) and see the neighbours and synthetic
samples, the local expression and its level set over f's surface, LIME's boundary beside it and
how faithful each is. For tabular data (more than 2 features) a row is picked instead: LIME's
weights beside SLIME's local effects, and partial dependence of f, LIME and SLIME per feature.

The SlimeLab is a thin controller: the engine's :class:`~symtorch_lab.slime.SlimeExplainer`
explains (in the background, :class:`~symtorch_lab.ui.slime_control.SlimeController`), the
kernel computes every grid and curve (:mod:`~symtorch_lab.ui.slime_adapter`), and the
:class:`~symtorch_lab.ui.widgets.slime.SlimeWidget` only draws.
"""

from __future__ import annotations

from typing import Any

from symtorch_lab.ui import protocol as P
from symtorch_lab.ui import slime_adapter as A
from symtorch_lab.ui import slime_views as V
from symtorch_lab.ui.slime_control import SlimeController
from symtorch_lab.ui.widgets.slime import BUFFERS, SlimeWidget

MAX_DATA_POINTS = 3000  # drawn over the surface


class SlimeLab:
    """Explain ``f`` on data ``X`` interactively; display it to get the widget.

    Parameters
    ----------
    f : nn.Module, callable or sklearn estimator
        The black box (as for :class:`~symtorch_lab.slime.SlimeExplainer`).
    X : array (n, d)
        The data: neighbours come from it; with ``d == 2`` the surface spans its range.
    mode : {"regression", "classification"}
    target : int or str, optional
        Classification: the explained class (default: class 1, so the surface and every
        explanation show the same probability).
    preset : {"fast", "default"}
        ``"fast"`` (default here) keeps a click's explanation to a couple of seconds.
    grid_size : int
        Cells per axis of the surface (the click resolution).
    explainer : SlimeExplainer, optional
        Use an existing explainer instead of building one.
    **params
        Any other :class:`~symtorch_lab.slime.SlimeExplainer` argument (``feature_names``,
        ``class_names``, ``random_state``, ``niterations``, ...).
    """

    def __init__(self, f: Any = None, X: Any = None, *, mode: str = "regression",
                 target: Any = None, preset: str = "fast", grid_size: int = V.GRID_SIZE,
                 explainer: Any = None, name: str = "slime", **params: Any) -> None:  # fmt: skip
        if explainer is None:
            from symtorch_lab.slime import SlimeExplainer

            if mode == "classification" and target is None:
                target = 1
            explainer = SlimeExplainer(f, X, mode=mode, target=target, preset=preset, **params)
        self.explainer = explainer
        data = A.training_data(explainer)
        names = A.feature_names(explainer)
        surface, grid = b"", None
        if data.shape[1] == 2:
            grid, z = V.surface_grid(A.black_box(explainer), data, names, grid_size)
            surface = V.f32(z)
        self.controller = SlimeController(explainer, grid)
        self.widget = SlimeWidget(
            handler=self.handle, explainer=name, kind="surface" if grid else "tabular",
            feature_names=names, target=A.target_label(explainer), n_rows=len(data), grid=grid,
            n_data=min(len(data), MAX_DATA_POINTS) if grid else 0, surface=surface,
            settings=dict(self.controller.settings), limits=A.limits(explainer),
            data=V.f32(data[:MAX_DATA_POINTS]) if grid else b"",
        )  # fmt: skip
        self.controller.listen(self._publish)

    # --- public API -------------------------------------------------------------------------
    def explain(self, x0: Any = None, *, row: int | None = None, **settings: Any) -> P.SlimeStatus:
        """Explain the point ``x0`` (or data row ``row``) in the background; returns at once.

        ``settings``: ``num_neighbours`` (J), ``num_synthetic``, ``kernel_width`` (default:
        the controller's, which the widget's sliders and the panel share). A running
        explanation is stopped first (it stays in :attr:`history`). Bad input (x0 of the wrong
        width, NaN) raises here and shows in the widget.
        """
        try:
            return self.controller.explain(x0, row, **settings)
        except (ValueError, TypeError) as exc:
            self.widget.error = str(exc)
            raise

    def stop(self) -> P.SlimeStatus:
        """Stop the running search; the partial front is explained and shown."""
        return self.controller.stop()

    def wait(self, timeout: float | None = 120) -> Any:
        """Wait for the current explanation (and show it); returns the ``Explanation``."""
        return self.controller.wait(timeout)

    @property
    def explanation(self) -> Any:
        """The shown ``Explanation`` (None while the search runs)."""
        return self.controller.explanation

    @property
    def lime(self) -> Any:
        """LIME's explanation at the same point (the baseline drawn beside SLIME's)."""
        return self.controller.lime

    @property
    def history(self) -> list:
        """Every finished explanation, stopped and superseded ones included."""
        return list(self.controller.history)

    def handle(self, request: P.Request) -> dict:
        """Answer a ``slime_explain`` / ``slime_stop`` request (the widget's and the panel's)."""
        kind = request["type"]
        try:
            if kind == "slime_explain":
                x0, row = request.get("x0"), request.get("row")
                status = self.explain(x0, row=row, **dict(request.get("settings") or {}))
            elif kind == "slime_stop":
                status = self.stop()
            else:
                raise P.ProtocolError("not_implemented", f"SlimeLab does not handle {kind!r}")
        except (ValueError, TypeError, RuntimeError) as exc:
            if isinstance(exc, P.ProtocolError):
                raise
            raise P.ProtocolError("engine", str(exc)) from None
        return {"explainer": request.get("explainer", self.widget.explainer), "status": status}

    # --- display ------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        n, d = A.training_data(self.explainer).shape
        return f"SlimeLab({self.widget.target}, data=({n}, {d}), {self.widget.kind})"

    def _publish(self, ctl: SlimeController) -> None:
        """Kernel thread: copy the controller's state into the widget."""
        w = self.widget
        status = ctl.status()
        with w.hold_sync():
            w.status = status
            w.settings = dict(ctl.settings)  # the panel's requests move the sliders too
            w.front = ctl.front()
            w.summary = ctl.summary
            buffers = ctl.buffers
            for name in BUFFERS:
                if name not in ("surface", "data"):
                    setattr(w, name, buffers.get(name, b""))
            if status["phase"] == "error":
                w.error = f"explanation {status['request']} failed: {status['message']}"
            elif status["phase"] == "running":
                w.error = ""
