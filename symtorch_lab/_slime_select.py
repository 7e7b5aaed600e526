"""Feature pre-selection for SLIME on wide inputs (30-feature tables, 64-pixel digits).

A symbolic search over 64 variables spends its budget choosing variables; locally only a few
matter. Before the search, SLIME keeps at most ``max_features`` of them and says which and how
(the text ends up in ``Explanation.selection``):

* ``"forward"`` (default for wide inputs): greedy forward selection, like LIME's
  ``feature_selection="forward_selection"``, but each feature enters a *weighted local
  quadratic* (its offset from x0 and its square), so a feature at a local extremum of f, whose
  linear coefficient is ~0, is still found.
* ``"gradient"``: the local sensitivity ``|f(x0 + s_i e_i) - f(x0 - s_i e_i)| / 2`` with
  ``s_i`` the neighbourhood's standard deviation of feature i (2 d calls of f).
* ``"none"``: every feature.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

METHODS = ("auto", "forward", "gradient", "none")


def _design(Z: np.ndarray, features: Sequence[int]) -> np.ndarray:
    cols = [np.ones(len(Z))]
    for j in features:
        cols += [Z[:, j], Z[:, j] ** 2]
    return np.column_stack(cols)


def weighted_r2(Z: np.ndarray, y: np.ndarray, w: np.ndarray, features: Sequence[int]) -> float:
    """Weighted R² of a least-squares local quadratic in ``features``."""
    sw = np.sqrt(w / w.sum())
    A = _design(Z, features) * sw[:, None]
    coef, *_ = np.linalg.lstsq(A, y * sw, rcond=None)
    resid = float(np.sum((A @ coef - y * sw) ** 2))
    mean = float(np.sum(sw**2 * y))
    total = float(np.sum(sw**2 * (y - mean) ** 2))
    return 1.0 - resid / total if total > 0 else 1.0


def forward(Z: np.ndarray, y: np.ndarray, w: np.ndarray, k: int) -> tuple[list[int], float]:
    """Greedy forward selection of ``k`` features; returns them and the final weighted R²."""
    chosen: list[int] = []
    score = 0.0
    for _ in range(k):
        rest = [j for j in range(Z.shape[1]) if j not in chosen]
        scores = [weighted_r2(Z, y, w, chosen + [j]) for j in rest]
        best = int(np.argmax(scores))
        chosen.append(rest[best])
        score = scores[best]
    return chosen, score


def gradient(
    f: Callable, x0: np.ndarray, scale: np.ndarray, k: int
) -> tuple[list[int], np.ndarray]:
    """The ``k`` features whose ±one-scale step moves f most."""
    steps = np.diag(scale)
    up, down = f(x0 + steps), f(x0 - steps)
    sensitivity = np.abs(up - down) / 2
    order = np.argsort(-sensitivity, kind="stable")[:k]
    return sorted(int(i) for i in order), sensitivity


def select(
    method: str,
    max_features: int,
    Z: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    x0: np.ndarray,
    var: np.ndarray,
    f: Callable,
    names: Sequence[str],
) -> tuple[tuple[int, ...], str]:
    """The kept feature indices (sorted) and a sentence saying what was done."""
    if method not in METHODS:
        raise ValueError(f"slime: feature_selection must be one of {METHODS}, got {method!r}")
    d = Z.shape[1]
    if max_features < 1:
        raise ValueError(f"slime: max_features must be >= 1, got {max_features}")
    if method == "none" or (method == "auto" and d <= max_features):
        return tuple(range(d)), f"no pre-selection: all {d} features searched"
    k = min(max_features, d)
    if method == "gradient":
        kept, _ = gradient(f, x0, np.sqrt(var), k)
        how = "local gradient (|f(x0 ± one neighbourhood std)| change per feature)"
    else:
        centred = (Z - x0) / np.sqrt(var)
        order, r2 = forward(centred, y, w, k)
        kept = sorted(order)
        how = f"forward selection on a weighted local quadratic (R² {r2:.3f})"
    listed = ", ".join(names[i] for i in kept)
    return tuple(kept), f"{how} kept {k} of {d} features: {listed}"
