"""Turn a raw search result into the expression a person should read.

Engines report models in their own shape: Operon wraps every model in a fitted scale and
offset and gives every variable a weight (``1.35*x2 * (1.92*x1 / (1.61*x3)^2)``), and it
evaluates in float32. Before a candidate reaches a front it is

1. refitted in float64 (or under the user's custom loss),
2. canonicalised through sympy, which merges constant factors (the example becomes
   ``1.0*x1*x2/x3**2``),
3. snapped: a constant moves to 0, a whole number, or a short decimal only when that costs no
   measurable loss (relative 1e-6 of the loss plus 1e-12 of the target variance), so a fit of
   network outputs is never falsified into a "nicer" law,
4. canonicalised again, so ``1*x1*x2/x3**2`` counts as complexity 6, not 8.

The complexity of the result is its node count, as PySR's default complexity.
"""

from __future__ import annotations

import math

import numpy as np

from .expression import Expression


def polish(
    expr: Expression, X: np.ndarray, y: np.ndarray, w: np.ndarray, loss=None, *, refit: bool = True
) -> tuple[Expression, float]:
    """Refit, canonicalise and snap one candidate; returns it with its loss (two refits at most)."""
    from ._params import loss_value

    def score(e: Expression) -> float:
        return loss_value(e, X, y, w, loss)

    if refit:
        expr = expr.refit(X, y, sample_weight=w, loss=loss)
    tol = 1e-12 * float(np.var(y)) if len(y) else 0.0
    best, best_loss = _better(expr, score(expr), _canonical(expr), score, tol)
    snapped, snapped_loss = _snap(best, best_loss, score, tol)
    if snapped is best:
        return best, best_loss
    tidy = _canonical(snapped)
    if tidy is not None and refit and tidy.constants.size:
        tidy = tidy.refit(X, y, sample_weight=w, loss=loss)
    return _better(snapped, snapped_loss, tidy, score, tol)


def _better(current: Expression, current_loss: float, candidate: Expression | None, score, tol):
    """Take ``candidate`` when it is no more complex and costs no measurable loss."""
    if candidate is None or candidate.complexity > current.complexity:
        return current, current_loss
    cand_loss = score(candidate)
    if _no_worse(cand_loss, current_loss, tol):
        return candidate, cand_loss
    return current, current_loss


def _no_worse(new: float, old: float, tol: float) -> bool:
    return math.isfinite(new) and new <= old * (1 + 1e-6) + tol


def _canonical(expr: Expression) -> Expression | None:
    """Round trip through sympy (merges numeric factors); None when sympy can't express it."""
    try:
        return Expression.from_sympy(expr.sympy(), expr.variable_names)
    except (ValueError, TypeError, RecursionError):
        return None


def _snap(expr: Expression, loss: float, score, tol: float) -> tuple[Expression, float]:
    """Move each constant to the simplest nearby value that keeps the loss."""
    values = expr.constants.astype(float).copy()
    changed = False
    for i, value in enumerate(values):
        for target in _simple_values(value):
            if target == value:
                break
            trial = values.copy()
            trial[i] = target
            candidate = expr.with_constants(trial)
            cand_loss = score(candidate)
            if _no_worse(cand_loss, loss, tol):
                values, loss, changed = trial, cand_loss, True
                break
    return (expr.with_constants(values), loss) if changed else (expr, loss)


def _simple_values(value: float) -> list[float]:
    """Candidates from simplest to closest: 0, the nearest integer, then 1..6 significant digits."""
    out = [0.0, float(round(value))]
    if value != 0 and math.isfinite(value):
        magnitude = math.floor(math.log10(abs(value)))
        out += [round(value, -magnitude + d) for d in range(0, 6)]
    seen, ordered = set(), []
    for v in out:
        if v not in seen:
            seen.add(v)
            ordered.append(v)
    return ordered
