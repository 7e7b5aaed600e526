"""Input checks and row selection shared by the search backends.

Engines fail late and cryptically on bad data (Operon turns a NaN into a NaN fitness for every
individual; PySR into a Julia stack trace), so inputs are checked before a search starts, by
the engine's one validator (:func:`symtorch_lab._batches.check_arrays`), with messages that name
the column and count the rows. Row selection is also here because both engines must
see the same reproducible subsample for the same seed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._batches import as_float_array, check_arrays, check_names

# Importance resampling draws this many times the input rows (capped by max_rows): enough
# draws that smooth weights are represented without a large variance, few enough to stay fast.
RESAMPLE_FACTOR = 3


def check_inputs(
    X, y, variable_names: Sequence[str], sample_weight=None
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], np.ndarray | None]:
    """Validate and convert search inputs (the engine's one validator, one output column).

    Returns
    -------
    X : ndarray (n, d) float64, y : ndarray (n,) float64, names : tuple of str,
    weights : ndarray (n,) or None
        ``None`` when no weights were given or all weights are equal (an unweighted search).
    """
    X = as_float_array(X, "X", "search")
    if X.ndim != 2:  # a backend is handed columns already: a 1-D X is a caller's mistake
        raise ValueError(f"search: X must have shape (n_rows, n_features), got shape {X.shape}")
    names = check_names(variable_names, X.shape[1])
    X, Y, w = check_arrays(
        X, y, sample_weight, where="search", names=names, min_rows=2, single_output=True
    )
    uniform = sample_weight is None or np.all(w == w[0])  # weights that change nothing
    return X, Y[:, 0], names, None if uniform else w


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
