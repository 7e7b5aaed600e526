"""Gradients of formulas, the gradient-alignment loss and its constant refit.

Wetzel (arXiv 2401.04978) judges a formula ``g`` for a classifier ``f`` only by the direction
of its gradient: any ``g = φ∘q`` with ``φ`` strictly increasing draws the same decision
boundaries as ``q``. This module holds the numerical pieces of that idea that do not depend
on a network: the loss ``mean ‖∇g/‖∇g‖ − ∇f/‖∇f‖‖²`` (which is ``2 − 2 · mean cosine``), the
exact gradient of an :class:`~symtorch_lab.expression.Expression` by torch autodiff, and an
L-BFGS refit of a formula's constants under that loss (gradients of gradients, float64).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.optimize
import torch

from .expression import Expression

_TINY = 1e-30  # a zero gradient has no direction: it is normalised to the zero vector
_BAD_LOSS = 1e3  # stands in for a non-finite loss so the optimiser backs away


@dataclass(frozen=True)
class BoundaryPoints:
    """The network's unsure points, split into fitting and held-out rows.

    ``X`` (n, d) inputs, ``f`` (n,) pre-sigmoid values and ``grad`` (n, d) their gradients;
    ``train`` / ``val`` are row indices into them.
    """

    X: np.ndarray
    f: np.ndarray
    grad: np.ndarray
    train: np.ndarray
    val: np.ndarray

    @property
    def unit(self) -> np.ndarray:
        return unit_rows(torch.from_numpy(self.grad)).numpy()


def unit_rows(G: torch.Tensor) -> torch.Tensor:
    """Each row divided by its Euclidean norm; zero rows stay zero (they have no direction)."""
    norm = torch.linalg.vector_norm(G, dim=1, keepdim=True)
    return G / torch.clamp(norm, min=_TINY)


def alignment_loss(grad_g: torch.Tensor, unit_f: torch.Tensor) -> torch.Tensor:
    """``mean_i ‖∇g_i/‖∇g_i‖ − u_i‖²`` for unit target directions ``u = ∇f/‖∇f‖`` (n, d).

    Non-finite gradient rows count as the worst case, 4 (pointing the opposite way), so a
    formula undefined on part of the boundary cannot win by being undefined there.
    """
    finite = torch.isfinite(grad_g).all(dim=1)
    safe = torch.where(finite[:, None], grad_g, torch.zeros_like(grad_g))
    per_row = ((unit_rows(safe) - unit_f) ** 2).sum(dim=1)
    return torch.where(finite, per_row, torch.full_like(per_row, 4.0)).mean()


def cosines(grad_g: np.ndarray, grad_f: np.ndarray) -> np.ndarray:
    """Cosine between ``∇g`` and ``∇f`` per row (0 where either is zero, -1 where not finite)."""
    grad_g = np.asarray(grad_g, dtype=np.float64)
    grad_f = np.asarray(grad_f, dtype=np.float64)
    with np.errstate(all="ignore"):
        num = np.sum(grad_g * grad_f, axis=1)
        den = np.linalg.norm(grad_g, axis=1) * np.linalg.norm(grad_f, axis=1)
        cos = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    return np.where(np.isfinite(cos), cos, -1.0)


def _gradient(expr: Expression, X: torch.Tensor, constants, create_graph: bool) -> torch.Tensor:
    """``∂g/∂X`` (n, d) of ``expr`` with the given constants (tensors), X requiring grad."""
    columns = {j: X[:, j] for j in expr.variables_used}
    out = expr._torch_fn(columns, constants)
    if not isinstance(out, torch.Tensor) or not out.requires_grad:
        return torch.zeros_like(X)  # a constant formula: no direction anywhere
    out = out.expand(X.shape[0]) if out.ndim == 0 else out
    (grad,) = torch.autograd.grad(out.sum(), X, create_graph=create_graph, allow_unused=True)
    return torch.zeros_like(X) if grad is None else grad


def expression_gradient(expr: Expression, X) -> np.ndarray:
    """The exact gradient ``∇g`` of ``expr`` at each row of ``X`` → float64 array (n, d)."""
    X = expr._check_matrix(X)
    Xt = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    consts = [torch.tensor(c, dtype=torch.float64) for c in expr.constants]
    with torch.enable_grad():
        grad = _gradient(expr, Xt, consts, create_graph=False)
    return grad.detach().numpy()


def expression_loss(expr: Expression, X: np.ndarray, unit_f: np.ndarray) -> float:
    """The alignment loss of ``expr`` on boundary points ``X`` with unit directions ``unit_f``."""
    grad = torch.from_numpy(expression_gradient(expr, X))
    value = float(alignment_loss(grad, torch.from_numpy(unit_f)))
    return value if math.isfinite(value) else math.inf


def refit_alignment(
    expr: Expression, X: np.ndarray, unit_f: np.ndarray, max_iter: int = 100
) -> Expression:
    """Constants re-optimised for the alignment loss (L-BFGS, float64); never worse than given.

    The loss reads ``∇g``, so its gradient with respect to the constants differentiates a
    gradient (``create_graph``). scipy's L-BFGS-B drives it (``torch.optim`` would import
    torch's compiler stack on first use: ~10 s on a loaded CI core). The loss is blind to the
    scale of ``g``; L-BFGS copes with that flat direction, and the result is only kept when its
    loss is finite and strictly lower.
    """
    if not len(expr.constants):
        return expr
    Xt = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    target = torch.as_tensor(unit_f, dtype=torch.float64)

    def value_and_grad(c: np.ndarray) -> tuple[float, np.ndarray]:
        consts = torch.tensor(c, dtype=torch.float64, requires_grad=True)
        with torch.enable_grad():
            value = alignment_loss(_gradient(expr, Xt, consts.unbind(), True), target)
            if not torch.isfinite(value) or not value.requires_grad:
                return _BAD_LOSS, np.zeros_like(c)
            (grad,) = torch.autograd.grad(value, consts, allow_unused=True)
        grad = np.zeros_like(c) if grad is None else grad.numpy()
        return float(value.detach()), np.where(np.isfinite(grad), grad, 0.0)

    start = expr.constants
    before = value_and_grad(start)[0]
    try:
        fit = scipy.optimize.minimize(
            value_and_grad, start, jac=True, method="L-BFGS-B",
            options={"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-12},
        )  # fmt: skip
    except (ValueError, RuntimeError, FloatingPointError):
        return expr
    after = value_and_grad(fit.x)[0]
    if after < before and np.all(np.isfinite(fit.x)):
        return expr.with_constants(fit.x)
    return expr
