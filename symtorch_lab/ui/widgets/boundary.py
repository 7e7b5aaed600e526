"""``BoundaryWidget``: a classifier's 2-D decision boundary with a formula's level sets.

Why: symbolic gradients (issue 11) judge a formula ``g`` by whether its level sets run along the
network's decision boundary; that is seen at a glance on a plot. The grid of the network output
``f`` and of ``g`` is computed kernel-side (:func:`symtorch_lab.gradients.boundary_grid`) and
sent as one binary buffer; the view only draws contours.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from symtorch_lab.ui import protocol as P
from symtorch_lab.ui.widgets.esm_loader import StlWidget
from symtorch_lab.ui.widgets.traits import state_of, synced_traits

N_LEVELS = 9  # contour levels of g: quantiles of g over the grid, plus the boundary level


class BoundaryWidget(StlWidget):
    """Contours of ``f = 0`` (the decision boundary) and of ``g`` on a grid.

    Build it with :meth:`from_grid` (a :func:`~symtorch_lab.gradients.boundary_grid` dict) or
    :meth:`from_front`. ``grid`` holds ``f`` then ``g`` (float32, ``ny * nx`` each).
    """

    _stl_kind = traitlets.Unicode("boundary").tag(sync=True)
    locals().update(synced_traits(P.BoundaryState, title="decision boundary and level sets of g"))
    grid = traitlets.Bytes(b"").tag(sync=True)

    @classmethod
    def from_grid(cls, grid: dict[str, Any], equation: str = "", **kwargs: Any) -> BoundaryWidget:
        """A widget showing ``grid`` (see :func:`~symtorch_lab.gradients.boundary_grid`)."""
        f, g = np.asarray(grid["f"]), np.asarray(grid["g"])
        ny, nx = f.shape
        if g.shape != f.shape or (len(grid["x"]), len(grid["y"])) != (nx, ny):
            raise ValueError(f"grid shapes disagree: f {f.shape}, g {g.shape}, x/y {nx}/{ny}")
        a, b = grid["dims"]
        finite = g[np.isfinite(g)]
        levels = np.quantile(finite, np.linspace(0.05, 0.95, N_LEVELS)) if finite.size else []
        fixed = ", ".join(f"x{j} = {v:.3g}" for j, v in sorted(grid["fixed"].items()))
        buffer = np.concatenate([f.ravel(), g.ravel()]).astype("<f4").tobytes()
        return cls(
            x_label=f"x{a}", y_label=f"x{b}", nx=int(nx), ny=int(ny),
            x_range=[float(grid["x"][0]), float(grid["x"][-1])],
            y_range=[float(grid["y"][0]), float(grid["y"][-1])],
            g_levels=[float(v) for v in levels], g_boundary=float(grid["g_boundary"]),
            equation=equation, fixed=fixed, grid=buffer, **kwargs,
        )  # fmt: skip

    @classmethod
    def from_front(cls, model, X, front, *, module=None, output=None, **kwargs: Any):
        """The picked formula of an :func:`~symtorch_lab.explain_classifier` front."""
        from symtorch_lab.gradients import boundary_grid

        expr = front.selected.expression
        grid = boundary_grid(model, expr, X, module=module, output=output)
        return cls.from_grid(grid, equation=str(expr), **kwargs)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(f, g)`` as sent to the browser, each ``(ny, nx)`` float32."""
        flat = np.frombuffer(self.grid, dtype="<f4")
        n = self.nx * self.ny
        return flat[:n].reshape(self.ny, self.nx), flat[n:].reshape(self.ny, self.nx)

    def state(self) -> P.BoundaryState:
        """The synced JSON state, as the protocol's ``BoundaryState``."""
        return state_of(self, P.BoundaryState)  # type: ignore[return-value]
