"""The local neighbourhood of one point ``x0``: SLIME's samples, weights, and local fidelity.

SLIME (Fong & Motani, GECCO '25 Companion) fits its surrogate on two kinds of points:

* the ``J`` nearest *real* rows of the training data (distances on standardised features, so
  a feature measured in thousands does not decide alone), weighted ``real_weighting``;
* ``N`` *synthetic* points ``z ~ N(x0, diag(var))`` weighted by the Gaussian kernel
  ``exp(-D²/kernel_width²)`` with ``D² = Σ_i (z_i - x0_i)² / var_i``.

``var`` is **half** the real neighbours' variance (``ddof=1``), floored at
``VAR_FLOOR`` times the training variance (a feature constant among the neighbours still
varies a little). The halving is SymTorch's default; here the *same* ``var`` is the sampling
variance and the kernel's unit, so one number describes the neighbourhood. With
``kernel_width=1`` the weight is exactly SymTorch's ``exp(-Σ(z - x0)²/var)``; that kernel
gives a typical weight of ``e^{-d}`` in ``d`` dimensions (``E[D²] = d``), so synthetic points
would vanish beside the real ones on wide inputs. The default ``kernel_width = sqrt(d)``
keeps a typical synthetic weight near ``e^{-1}`` whatever ``d`` is (LIME scales its kernel
with ``sqrt(d)`` for the same reason).

:func:`local_fidelity` is the one measure of how well a surrogate ``g`` follows ``f`` near
``x0``; SLIME's explanations, the LIME baseline and the benchmark all call it, on a fresh
sample that was not used for fitting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

VAR_FLOOR = 1e-4  # times the training variance of each feature
_ABS_FLOOR = 1e-12
# f counts as flat near x0 when its weighted spread is within this fraction of its magnitude:
# a constant f's weighted mean alone leaves a spread of ~1e-33, and a float32 net's saturated
# probability (0.999999, about 100 float32 ulps of wobble) gave LIME an R² of -2.5e11
FLAT_RTOL = 1e-5


@dataclass(frozen=True)
class Neighbourhood:
    """Points around ``x0`` and their weights (real neighbours first, then synthetic)."""

    x0: np.ndarray
    neighbours: np.ndarray  # (J, d) real rows
    neighbour_rows: np.ndarray  # (J,) their row indices in the training data
    synthetic: np.ndarray  # (N, d)
    var: np.ndarray  # (d,) sampling variance (half the neighbours' variance, floored)
    kernel_width: float
    weights: np.ndarray  # (J + N,)

    @property
    def X(self) -> np.ndarray:
        return np.vstack([self.neighbours, self.synthetic])


def standard_scale(training: np.ndarray) -> np.ndarray:
    """Per-feature standard deviation of the training data (constant features: 1)."""
    std = training.std(axis=0)
    return np.where(std > 0, std, 1.0)


def nearest_rows(training: np.ndarray, x0: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` training rows nearest ``x0`` on standardised features (ties by row)."""
    if not 1 <= n <= len(training):
        raise ValueError(
            f"slime: num_neighbours={n} must lie in 1..{len(training)} (training rows)"
        )
    d2 = (((training - x0) / standard_scale(training)) ** 2).sum(axis=1)
    return np.argsort(d2, kind="stable")[:n]


def sampling_variance(neighbours: np.ndarray, training: np.ndarray) -> np.ndarray:
    """Half the neighbours' variance (``ddof=1``), floored relative to the training variance."""
    floor = np.maximum(VAR_FLOOR * training.var(axis=0), _ABS_FLOOR)
    if len(neighbours) < 2:
        return np.maximum(training.var(axis=0) / 2, floor)
    return np.maximum(neighbours.var(axis=0, ddof=1) / 2, floor)


def default_kernel_width(n_features: int) -> float:
    return float(np.sqrt(max(n_features, 1)))


def kernel(Z: np.ndarray, x0: np.ndarray, var: np.ndarray, kernel_width: float) -> np.ndarray:
    """``exp(-Σ_i (z_i - x0_i)²/var_i / kernel_width²)`` for each row of ``Z``."""
    d2 = (((Z - x0) ** 2) / var).sum(axis=1)
    return np.exp(-d2 / kernel_width**2)


def gaussian(x0: np.ndarray, var: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws of ``N(x0, diag(var))``."""
    return x0 + rng.standard_normal((n, len(x0))) * np.sqrt(var)


def build(
    training: np.ndarray,
    x0: np.ndarray,
    num_neighbours: int,
    num_synthetic: int,
    kernel_width: float | None,
    real_weighting: float,
    rng: np.random.Generator,
) -> Neighbourhood:
    """SLIME's neighbourhood of ``x0`` (see the module docstring for every choice)."""
    if num_synthetic < 0:
        raise ValueError(f"slime: num_synthetic must be >= 0, got {num_synthetic}")
    if real_weighting < 0:
        raise ValueError(f"slime: real_weighting must be >= 0, got {real_weighting}")
    rows = nearest_rows(training, x0, num_neighbours)
    neighbours = training[rows]
    var = sampling_variance(neighbours, training)
    width = default_kernel_width(len(x0)) if kernel_width is None else float(kernel_width)
    if not width > 0:
        raise ValueError(f"slime: kernel_width must be > 0, got {kernel_width}")
    synthetic = gaussian(x0, var, num_synthetic, rng)
    weights = np.concatenate([np.full(len(rows), float(real_weighting)),
                              kernel(synthetic, x0, var, width)])  # fmt: skip
    if not weights.sum() > 0:
        raise ValueError(
            "slime: all neighbourhood weights are 0 (real_weighting=0 and no synthetic)"
        )
    return Neighbourhood(x0, neighbours, rows, synthetic, var, width, weights)


def fresh_sample(
    x0: np.ndarray, var: np.ndarray, kernel_width: float, n: int, seed: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """A new sample of the neighbourhood ``N(x0, diag(var))`` and its kernel weights.

    Never the points a surrogate was fitted on: local fidelity is measured on these.
    """
    Z = gaussian(x0, var, n, np.random.default_rng(seed))
    return Z, kernel(Z, x0, var, kernel_width)


def local_fidelity(
    f: Callable[[np.ndarray], np.ndarray],
    g_predict: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    neighbourhood: np.ndarray,
    weights: np.ndarray,
) -> dict[str, float]:
    """How well ``g`` follows ``f`` near ``x0``.

    Returns ``weighted_mse`` (Σ w (g - f)² / Σ w), ``r2`` (weighted R² of g against f: 1 is
    perfect, 0 is no better than f's weighted mean) and ``abs_error_x0`` (|g(x0) - f(x0)|).
    ``f`` and ``g_predict`` take full-width rows ``(n, d)`` and return ``(n,)``.

    Where ``f`` is flat near ``x0`` (its spread within ``FLAT_RTOL`` of its magnitude) R² has
    no variance to explain: ``r2`` is NaN ("undefined"), not the huge negative number a division
    by rounding noise gives; ``weighted_mse`` still says how close ``g`` is.
    """
    Z = np.asarray(neighbourhood, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    x0 = np.asarray(x0, dtype=np.float64).reshape(-1)
    if Z.ndim != 2 or len(Z) != len(w) or not w.sum() > 0:
        raise ValueError(
            f"local_fidelity: neighbourhood {Z.shape} and weights {w.shape} must match, "
            "with a positive total weight"
        )
    fz = np.asarray(f(Z), dtype=np.float64).reshape(-1)
    gz = np.asarray(g_predict(Z), dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(gz)):  # g undefined somewhere near x0 (log of a negative...)
        return {"weighted_mse": float("inf"), "r2": float("-inf"),
                "abs_error_x0": _abs_error(f, g_predict, x0)}  # fmt: skip
    mse = float(np.sum(w * (gz - fz) ** 2) / w.sum())
    mean = float(np.sum(w * fz) / w.sum())
    spread = float(np.sum(w * (fz - mean) ** 2) / w.sum())
    flat = np.sqrt(spread) <= FLAT_RTOL * float(np.max(np.abs(fz), initial=0.0))
    r2 = float("nan") if flat else 1.0 - mse / spread
    return {"weighted_mse": mse, "r2": float(r2), "abs_error_x0": _abs_error(f, g_predict, x0)}


def _abs_error(f, g_predict, x0: np.ndarray) -> float:
    at = x0[None, :]
    g0 = float(np.asarray(g_predict(at), dtype=np.float64).reshape(-1)[0])
    f0 = float(np.asarray(f(at), dtype=np.float64).reshape(-1)[0])
    err = abs(g0 - f0)
    return err if np.isfinite(err) else float("inf")
