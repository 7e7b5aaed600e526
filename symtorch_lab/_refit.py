"""Float64 refitting of a formula's constants (behind :meth:`Expression.refit`).

Search backends optimise constants in float32 on a subsample, often with a different loss; a
short float64 refit on the full recording, with the user's weights or loss, recovers the last
digits. Both paths return ``None`` unless the refit is finite and strictly better than the
starting constants, so a refit can never make a fit worse. Levenberg-Marquardt ends once its
progress stalls by the polish's own measure (:class:`_StallWatch`): at small search budgets
its crawl along the valleys of candidates that are not the law was most of the Distiller's
time, for gains no judge could see.

It works on a :class:`Formula` (the compiled numpy and torch functions, the columns they read
and the starting constants), not on ``Expression`` itself, so ``expression`` imports this
module and never the reverse.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.optimize
import torch

_BAD_RESIDUAL = 1e100  # stands in for non-finite residuals so the optimiser backs away


@dataclass(frozen=True)
class Formula:
    """What a refit needs of an expression.

    ``numpy_fn(columns, constants)`` and ``torch_fn(columns, constants)`` are its compiled
    forms (``columns`` maps a feature index to its column); ``used`` are the indices it reads.
    """

    numpy_fn: Callable
    torch_fn: Callable
    used: tuple[int, ...]
    constants: np.ndarray


def weighted_mse(pred: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """``sum(w (pred - y)^2) / sum(w)``; ``inf`` when not finite."""
    with np.errstate(all="ignore"):
        value = float(np.sum(w * (pred - y) ** 2) / np.sum(w))
    return value if np.isfinite(value) else np.inf


def _jacobian(
    fn: Callable, columns: dict[int, torch.Tensor], c: np.ndarray, row_weight: torch.Tensor
) -> np.ndarray:
    """``row_weight[r] * d pred[r] / d c[i]`` as an ``(n, k)`` array from a single backward pass.

    Every constant is fed as its own per-row copy (row ``i`` of one ``(k, n)`` leaf); row ``r``
    of the prediction depends only on column ``r`` of that leaf, so the gradient of
    ``(row_weight * pred).sum()`` with respect to it is exactly the weighted Jacobian,
    transposed. One leaf (not ``k``) and the weights folded into the backward pass keep the
    per-iteration overhead low: this runs once per Levenberg-Marquardt step.
    """
    n = len(row_weight)
    leaf = torch.from_numpy(np.repeat(c[:, None], n, axis=1)).requires_grad_(True)
    with torch.enable_grad():
        pred = fn(columns, leaf.unbind(0))
        if pred.shape != row_weight.shape:  # a prediction that does not depend on the data
            pred = pred.expand(row_weight.shape)
        (grad,) = torch.autograd.grad(pred, leaf, grad_outputs=row_weight, allow_unused=True)
    return np.zeros((n, len(c))) if grad is None else grad.numpy().T


STALL_RTOL = 1e-6
"""Relative loss change the polish's judge (:class:`~symtorch_lab.polish._Judge`) counts as
no change; a refit whose last ``k + 1`` accepted steps gained less has stalled."""
STOP_ON_STALL = True
"""End refits that stall (:class:`_StallWatch`); ``False`` runs every refit to ``max_nfev``
or MINPACK's own tolerances, as before (``bench/bench_operon_overhead.py`` compares both)."""


def within_standard_error(diff: np.ndarray, w: np.ndarray) -> bool:
    """Whether the ``w``-weighted mean of the per-row ``diff`` is at most its standard error.

    The paired test behind "not measurably different" in the polish: ``diff`` is one fit's
    squared errors minus another's, row by row, and the standard error uses the effective
    number of rows ``sum(w)^2 / sum(w^2)``. ``False`` when anything is not finite.
    """
    with np.errstate(all="ignore"):
        mean = float(np.average(diff, weights=w))
        spread = float(np.average((diff - mean) ** 2, weights=w))
        n_eff = float(np.sum(w)) ** 2 / float(np.sum(w**2))
        bound = math.sqrt(spread / n_eff) if spread >= 0 and n_eff > 0 else math.nan
    return math.isfinite(mean) and math.isfinite(bound) and mean <= bound


class _Stalled(Exception):
    """Raised from inside ``least_squares`` to end a crawl; carries the best constants."""

    def __init__(self, x: np.ndarray):
        super().__init__()
        self.x = x


class _StallWatch:
    """Ends Levenberg-Marquardt once its last ``k + 1`` accepted steps gained nothing the
    polish's judge could measure.

    That is, the cost fell by at most :data:`STALL_RTOL` of itself, or the per-row decrease of
    the squared errors is within its own standard error (:func:`within_standard_error`, the
    judge's paired test). MINPACK evaluates the Jacobian once per accepted step, at the step's
    point, right after the residuals there, so :meth:`accepted` sees accepted points only;
    rejected trial steps (often ten or more in a row while the trust region shrinks) never
    count. On candidates that are not the law LM can crawl along a valley until ``max_nfev``
    for gains of a few tenths of a percent the judge cannot tell apart. On data a formula fits
    exactly, the steps cut the cost by orders of magnitude, so the per-row decrease is about
    the old squared errors themselves, non-negative, whose mean always exceeds their standard
    error: the refit still runs to the float64 floor there.
    """

    def __init__(self, residuals: Callable, w: np.ndarray, window: int):
        self.residuals, self.window = residuals, window
        self.w, self.positive = w, w > 0
        self.last: tuple[np.ndarray, np.ndarray] | None = None
        self.accepted_sq: list[np.ndarray] = []  # squared errors at the last accepted points
        self.evaluations = 0

    def cost(self, c: np.ndarray) -> np.ndarray:
        """The residuals at ``c`` (what ``least_squares`` minimises), remembered."""
        self.evaluations += 1
        r = self.residuals(c)
        self.last = (c.copy(), r)
        return r

    def accepted(self, c: np.ndarray) -> None:
        """Called at each accepted point; raises :class:`_Stalled` once progress stalls."""
        if self.last is None or not np.array_equal(self.last[0], c):
            self.cost(c)
        r = self.last[1]
        with np.errstate(all="ignore"):  # squared errors, unweighted, as the judge sees them
            sq = np.divide(r * r, self.w, out=np.zeros_like(r), where=self.positive)
        self.accepted_sq = [*self.accepted_sq[-self.window :], sq]
        if STOP_ON_STALL and len(self.accepted_sq) > self.window:
            gain = self.accepted_sq[0] - sq  # per row, over the last `window` steps
            cost = float(np.average(sq, weights=self.w))
            gained = float(np.average(gain, weights=self.w))
            if gained <= STALL_RTOL * cost or within_standard_error(gain, self.w):
                raise _Stalled(c.copy())


def least_squares_constants(
    formula: Formula, X: np.ndarray, y: np.ndarray, w: np.ndarray
) -> np.ndarray | None:
    """Minimise the weighted MSE with ``scipy.optimize.least_squares`` (residuals * sqrt(w)).

    The Jacobian is exact (autodiff through the torch form, see :func:`_jacobian`), not
    finite differences: that is what brings constants back to ~1e-12 on exact data. At most
    ``30 (k + 1)`` evaluations for ``k`` constants, fewer once progress stalls (see
    :class:`_StallWatch`).
    """
    return _least_squares(formula, X, y, w)[0]


def _least_squares(
    formula: Formula, X: np.ndarray, y: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray | None, int]:
    """:func:`least_squares_constants` and the number of residual evaluations it made."""
    columns = {j: np.ascontiguousarray(X[:, j]) for j in formula.used}
    torch_columns = {j: torch.from_numpy(col) for j, col in columns.items()}
    sqrt_w = np.sqrt(w)
    start = formula.constants

    def predict(c: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.broadcast_to(formula.numpy_fn(columns, c), y.shape)

    def residuals(c: np.ndarray) -> np.ndarray:
        r = sqrt_w * (predict(c) - y)
        return np.where(np.isfinite(r), r, _BAD_RESIDUAL)

    torch_sqrt_w = torch.as_tensor(sqrt_w, dtype=torch.float64)
    watch = _StallWatch(residuals, w, window=len(start) + 1)

    def jacobian(c: np.ndarray) -> np.ndarray:
        watch.accepted(c)
        jac = _jacobian(formula.torch_fn, torch_columns, c, torch_sqrt_w)
        return np.where(np.isfinite(jac), jac, 0.0)

    before = weighted_mse(predict(start), y, w)
    if not np.isfinite(before):
        return None, 0  # least_squares cannot start from non-finite residuals
    method = "lm" if len(y) >= len(start) else "trf"
    try:
        # ftol 1e-10 (relative cost reduction) still drives exact data to ~1e-12 constants,
        # because each step there cuts the cost by orders of magnitude; on noisy targets it
        # ends the slow crawl along near-degenerate directions (15 constants: 2 s -> 0.3 s),
        # and the watch ends the crawls whose steps each gain more than 1e-10 but together
        # nothing measurable.
        x = scipy.optimize.least_squares(
            watch.cost,
            start,
            jac=jacobian,
            method=method,
            xtol=1e-15,
            ftol=1e-10,
            gtol=1e-15,
            max_nfev=30 * (len(start) + 1),
        ).x
    except _Stalled as stalled:
        x = stalled.x
    except (ValueError, FloatingPointError, np.linalg.LinAlgError):
        return None, watch.evaluations
    after = weighted_mse(predict(x), y, w)
    return (x if after < before else None), watch.evaluations


def lbfgs_constants(
    formula: Formula,
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    loss: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
) -> np.ndarray | None:
    """Minimise a custom torch loss over the formula's float64 constants with L-BFGS."""
    constants = torch.tensor(formula.constants, dtype=torch.float64, requires_grad=True)
    Xt, yt, wt = (torch.as_tensor(a, dtype=torch.float64) for a in (X, y, w))
    columns = {j: Xt[:, j] for j in formula.used}

    def predict() -> torch.Tensor:
        out = formula.torch_fn(columns, constants.unbind())
        return out if out.shape == yt.shape else out.expand(yt.shape)  # a constant formula

    def objective() -> torch.Tensor:
        value = loss(predict(), yt, wt)
        if not isinstance(value, torch.Tensor) or value.numel() != 1:
            raise ValueError(f"loss must return a scalar tensor, got {value!r:.80}")
        return value.reshape(())

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        value = objective()
        if torch.isfinite(value):
            value.backward()
        return value

    optimizer = torch.optim.LBFGS(
        [constants],
        lr=1.0,
        max_iter=200,
        tolerance_grad=1e-12,
        tolerance_change=1e-15,
        line_search_fn="strong_wolfe",
    )
    with torch.no_grad():
        before = float(objective())
    optimizer.step(closure)
    with torch.no_grad():
        after = float(objective())
    better = np.isfinite(after) and (after < before or not np.isfinite(before))
    return constants.detach().numpy().copy() if better else None
