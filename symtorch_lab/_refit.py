"""Float64 refitting of a formula's constants (behind :meth:`Expression.refit`).

Search backends optimise constants in float32 on a subsample, often with a different loss; a
short float64 refit on the full recording, with the user's weights or loss, recovers the last
digits. Both paths return ``None`` unless the refit is finite and strictly better than the
starting constants, so a refit can never make a fit worse.

It works on a :class:`Formula` (the compiled numpy and torch functions, the columns they read
and the starting constants), not on ``Expression`` itself, so ``expression`` imports this
module and never the reverse.
"""

from __future__ import annotations

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


def least_squares_constants(
    formula: Formula, X: np.ndarray, y: np.ndarray, w: np.ndarray
) -> np.ndarray | None:
    """Minimise the weighted MSE with ``scipy.optimize.least_squares`` (residuals * sqrt(w)).

    The Jacobian is exact (autodiff through the torch form, see :func:`_jacobian`), not
    finite differences: that is what brings constants back to ~1e-12 on exact data.
    """
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

    def jacobian(c: np.ndarray) -> np.ndarray:
        jac = _jacobian(formula.torch_fn, torch_columns, c, torch_sqrt_w)
        return np.where(np.isfinite(jac), jac, 0.0)

    before = weighted_mse(predict(start), y, w)
    if not np.isfinite(before):
        return None  # least_squares cannot start from non-finite residuals
    method = "lm" if len(y) >= len(start) else "trf"
    try:
        # ftol 1e-10 (relative cost reduction) still drives exact data to ~1e-12 constants,
        # because each step there cuts the cost by orders of magnitude; on noisy targets it
        # ends the slow crawl along near-degenerate directions (15 constants: 2 s -> 0.3 s).
        fit = scipy.optimize.least_squares(
            residuals,
            start,
            jac=jacobian,
            method=method,
            xtol=1e-15,
            ftol=1e-10,
            gtol=1e-15,
            max_nfev=30 * (len(start) + 1),
        )
    except (ValueError, FloatingPointError, np.linalg.LinAlgError):
        return None
    after = weighted_mse(predict(fit.x), y, w)
    return fit.x if after < before else None


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
