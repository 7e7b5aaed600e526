"""SLIME engine objects → the SLIME views' snapshots and float32 buffers (kernel-side numbers).

Why a module of its own: the SlimeLab widget and the panel's SLIME view draw what the kernel
computed — the black box on a grid, the local surrogates (SLIME's ``g`` and LIME's line) on the
same grid for their level sets, partial-dependence curves — so the browser only draws. Every
function here is plain numpy over the engine's public objects (``Explanation``, the LIME
baseline), testable without a browser.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from symtorch_lab.ui import protocol as P

Predict = Callable[[np.ndarray], np.ndarray]
GRID_SIZE = 80  # cells per axis of the decision surface (the click resolution)
PD_POINTS = 25
MAX_PD_FEATURES = 6
MAX_WEIGHTS = 12


def finite(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _values(predict: Predict, X: np.ndarray, where: str) -> np.ndarray:
    out = np.asarray(predict(X), dtype=np.float64).reshape(-1)
    if out.shape != (len(X),):
        raise ValueError(
            f"{where}: expected {len(X)} values for X of shape {X.shape}, got {out.shape}"
        )
    return out


def surface_grid(
    f: Predict, X: np.ndarray, names: Sequence[str], size: int = GRID_SIZE, pad: float = 0.08
) -> tuple[P.SlimeGrid, np.ndarray]:
    """The 2-D grid over the data's range (padded) and f on it, row by row (y outer)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"SlimeLab surface: needs 2 features, got data of shape {X.shape}")
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - pad * span, hi + pad * span
    points = grid_points(lo, hi, size)
    z = _values(f, points, "SlimeLab surface: f on the grid")
    grid: P.SlimeGrid = {
        "x_name": str(names[0]),
        "y_name": str(names[1]),
        "x_min": float(lo[0]),
        "x_max": float(hi[0]),
        "y_min": float(lo[1]),
        "y_max": float(hi[1]),
        "nx": size,
        "ny": size,
        "z_min": finite(np.nanmin(z)) or 0.0,
        "z_max": finite(np.nanmax(z)) or 1.0,
    }
    return grid, z


def grid_points(lo: np.ndarray, hi: np.ndarray, size: int) -> np.ndarray:
    """``size * size`` points, x varying fastest (the buffers' row-major order)."""
    xs, ys = np.linspace(lo[0], hi[0], size), np.linspace(lo[1], hi[1], size)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def on_grid(
    predict: Predict, grid: P.SlimeGrid, where: str, window: np.ndarray | None = None
) -> np.ndarray:
    """``predict`` on the grid's points; NaN (not drawn) outside ``window`` (rows lo, hi)
    and where a surrogate cannot produce a float32 number."""
    lo = np.array([grid["x_min"], grid["y_min"]])
    hi = np.array([grid["x_max"], grid["y_max"]])
    points = grid_points(lo, hi, grid["nx"])
    with np.errstate(all="ignore"):
        z = _values(predict, points, where)
    keep = np.isfinite(z) & (np.abs(z) < 1e30)  # float32-safe
    if window is not None:
        keep &= np.all((points >= window[0]) & (points <= window[1]), axis=1)
    return np.where(keep, z, np.nan)


def local_window(*samples: np.ndarray, pad: float = 0.25) -> np.ndarray:
    """The box the local surrogates were fitted in (their samples' range, padded): a local
    model's level set is drawn there only, not where it was never asked to be right."""
    points = np.vstack([s[:, :2] for s in samples if len(s)])
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return np.vstack([lo - pad * span, hi + pad * span])


def f32(values: np.ndarray) -> bytes:
    return np.ascontiguousarray(values, dtype=np.float32).tobytes()


def fidelity(values: dict) -> P.SlimeFidelity:
    return {k: finite(values.get(k, float("nan"))) for k in ("weighted_mse", "r2", "abs_error_x0")}  # type: ignore[return-value]


def top_weights(
    names: Sequence[str], coef: np.ndarray, k: int = MAX_WEIGHTS
) -> list[P.FeatureWeight]:
    """The ``k`` largest |weights|, largest first."""
    coef = np.asarray(coef, dtype=np.float64).reshape(-1)
    order = np.argsort(-np.abs(coef), kind="stable")[:k]
    return [{"feature": str(names[i]), "weight": finite(coef[i]) or 0.0} for i in order]


def pd_curves(
    predicts: Sequence[Predict], x0: np.ndarray, X: np.ndarray, features: Sequence[int],
    n: int = PD_POINTS,
) -> np.ndarray:  # fmt: skip
    """Per feature: its values (2nd..98th percentile of the data, and x0's), then each of
    ``predicts`` along them with the other features held at ``x0``; shape (k, 1 + len, n)."""
    out = np.empty((len(features), 1 + len(predicts), n))
    for k, j in enumerate(features):
        lo, hi = np.percentile(X[:, j], [2, 98])
        lo, hi = min(lo, x0[j]), max(hi, x0[j])
        xs = np.linspace(lo, hi, n) if hi > lo else np.full(n, x0[j])
        rows = np.tile(x0, (n, 1))
        rows[:, j] = xs
        out[k, 0] = xs
        with np.errstate(all="ignore"):
            for i, predict in enumerate(predicts):
                out[k, 1 + i] = _values(predict, rows, f"partial dependence of feature {j}")
    return out


def pd_features(effects: np.ndarray, used: Sequence[int], k: int = MAX_PD_FEATURES) -> list[int]:
    """The features the surrogate uses first, then the largest |local effects|."""
    order = [int(j) for j in used] + [int(j) for j in np.argsort(-np.abs(effects), kind="stable")]
    return list(dict.fromkeys(order))[:k]


def front_points(front: Any, limit: int = 30) -> list[P.SlimeFrontPoint]:
    """A (partial) local front's candidates (``ParetoFront`` or a list of candidates)."""
    cands = getattr(front, "candidates", front) or []
    out: list[P.SlimeFrontPoint] = []
    for cand in list(cands)[:limit]:
        loss = finite(cand.loss)
        if loss is None:
            continue
        try:
            latex = cand.expression.latex()
        except Exception:  # noqa: BLE001 - display only
            latex = ""
        out.append({"complexity": int(cand.complexity), "loss": loss,
                    "text": str(cand.expression), "latex": latex})  # fmt: skip
    return out
