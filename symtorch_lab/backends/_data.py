"""Input checks and row selection shared by the search backends.

Engines fail late and cryptically on bad data (Operon turns a NaN into a NaN fitness for every
individual; PySR into a Julia stack trace), so inputs are checked once, here, with messages
that name the column and count the rows. Row selection is also here because both engines must
see the same reproducible subsample for the same seed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Importance resampling draws this many times the input rows (capped by max_rows): enough
# draws that smooth weights are represented without a large variance, few enough to stay fast.
RESAMPLE_FACTOR = 3


def check_inputs(
    X, y, variable_names: Sequence[str], sample_weight=None
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], np.ndarray | None]:
    """Validate and convert search inputs.

    Returns
    -------
    X : ndarray (n, d) float64, y : ndarray (n,) float64, names : tuple of str,
    weights : ndarray (n,) or None
        ``None`` when no weights were given or all weights are equal (an unweighted search).
    """
    X = _as_float("X", X)
    y = _as_float("y", y)
    if X.ndim != 2 or X.shape[1] == 0:
        raise ValueError(f"X must have shape (n_rows, n_features), got shape {X.shape}")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"a search fits one output: y must have shape ({len(X)},), got shape {y.shape}; "
            "search each output column separately"
        )
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} (shapes {X.shape}, {y.shape})")
    if len(X) < 2:
        raise ValueError(f"a search needs at least 2 rows, got X of shape {X.shape}")
    names = _check_names(variable_names, X.shape[1])
    _check_finite(X, y, names)
    return X, y, names, _check_weights(sample_weight, len(X))


def _as_float(label: str, a) -> np.ndarray:
    if hasattr(a, "detach"):  # torch tensor: leave autograd and device behind
        a = a.detach().cpu().numpy()
    try:
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{label} must be numeric, got {type(a).__name__}: {exc}") from None


def _check_names(variable_names: Sequence[str], n_features: int) -> tuple[str, ...]:
    names = tuple(variable_names)
    if len(names) != n_features:
        raise ValueError(f"got {len(names)} variable_names for {n_features} features: {names}")
    bad = [n for n in names if not (isinstance(n, str) and n.isidentifier())]
    if bad:
        raise ValueError(f"variable_names must be Python identifiers; bad: {bad}")
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"variable_names must be unique; repeated: {dup}")
    return names


def _check_finite(X: np.ndarray, y: np.ndarray, names: tuple[str, ...]) -> None:
    bad_x = ~np.isfinite(X)
    if bad_x.any():
        counts = bad_x.sum(axis=0)
        cols = [f"column {j} ({names[j]!r}): {counts[j]} rows" for j in np.flatnonzero(counts)]
        raise ValueError(
            f"X of shape {X.shape} has NaN/inf values in {', '.join(cols)}; "
            "drop or impute those rows before searching"
        )
    bad_y = ~np.isfinite(y)
    if bad_y.any():
        raise ValueError(
            f"y has NaN/inf values in {int(bad_y.sum())} of {len(y)} rows (first at row "
            f"{int(np.flatnonzero(bad_y)[0])}); drop those rows before searching"
        )


def _check_weights(sample_weight, n_rows: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    w = _as_float("sample_weight", sample_weight)
    if w.shape != (n_rows,):
        raise ValueError(f"sample_weight must have shape ({n_rows},), got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
        raise ValueError(
            "sample_weight must be finite and non-negative with a positive sum "
            f"(got min {w.min()}, sum {w.sum()})"
        )
    if np.all(w == w[0]):
        return None  # uniform weights change nothing; skip resampling noise
    return w


def subsample(n_rows: int, max_rows: int, seed: int) -> np.ndarray:
    """Sorted row indices: all rows, or ``max_rows`` drawn without replacement."""
    if n_rows <= max_rows:
        return np.arange(n_rows)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_rows, size=max_rows, replace=False))


def importance_resample(weights: np.ndarray, max_rows: int, seed: int) -> np.ndarray:
    """Sorted row indices drawn with replacement with probability proportional to weight.

    For engines without native weights (pyoperon 0.6.2): an unweighted fit on the drawn rows
    estimates the weighted fit. Drawing ``RESAMPLE_FACTOR`` times the rows (capped by
    ``max_rows``) keeps the variance that resampling adds small.
    """
    n_draws = min(RESAMPLE_FACTOR * len(weights), max_rows)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(len(weights), size=n_draws, replace=True, p=weights / weights.sum()))
