"""Distil a graph network's messages into a pairwise force law, through the engine.

Why this module exists: Cranmer et al. (2020) read a GN's edge messages as the pairwise force in
an unknown linear basis, so a physicist wants (1) the edge inputs as physics variables
(``dx, dy, (dz), r, m1, m2, q1, q2``: the engine's ``variable_transforms``), (2) the informative
message components (largest std, or largest KL for the KL variant), (3) how well a rotation of
the true force explains them (R², as the paper), (4) whether a front member *is* the force law
(sympy proves it: linear in the separation with one direction, and a radial factor equal to the
law's up to a constant factor after snapping), and (5) a surrogate that replaces the edge model.

Conventions: rows of the edge model's input are ``[x_i, x_j]`` (receiver, sender) with node
features ``[pos, vel, q, m]``; ``dx = x_j - x_i`` points from the receiver to the sender, ``1``
is the receiver and ``2`` the sender. ``r`` is the plain distance (no softening).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import sympy
import torch

from ..expression import Expression
from ..surrogate import SymbolicSurrogate
from .recovery import recovers

DELTAS = ("dx", "dy", "dz")


def edge_variable_names(dim: int) -> list[str]:
    """``dx, dy, (dz), r, m1, m2, q1, q2``: the derived inputs of the edge model."""
    return [*DELTAS[:dim], "r", "m1", "m2", "q1", "q2"]


def _delta(rows: torch.Tensor, k: int, n_features: int) -> torch.Tensor:
    return rows[:, n_features + k] - rows[:, k]


def _distance(rows: torch.Tensor, dim: int, n_features: int) -> torch.Tensor:
    d = rows[:, n_features : n_features + dim] - rows[:, :dim]
    return torch.sqrt(torch.sum(d**2, dim=1))


def _column(rows: torch.Tensor, index: int) -> torch.Tensor:
    return rows[:, index]


def edge_transforms(dim: int) -> list:
    """The ``variable_transforms`` for :func:`edge_variable_names`, on rows ``[x_i, x_j]``."""
    f = 2 * dim + 2  # node features: pos, vel, q, m
    transforms = [partial(_delta, k=k, n_features=f) for k in range(dim)]
    transforms.append(partial(_distance, dim=dim, n_features=f))
    q, m = 2 * dim, 2 * dim + 1
    for index in (m, f + m, q, f + q):  # m1, m2, q1, q2
        transforms.append(partial(_column, index=index))
    return transforms


def pick_components(Y: np.ndarray, k: int, method: str = "std", msg_dim: int | None = None):
    """Indices of the ``k`` most informative message components, most informative first.

    ``"std"``: largest standard deviation over the recorded edges. ``"kl"``: ``Y`` holds
    ``[mean, logvar]`` per component (the KL variant's edge output); largest mean KL to N(0, 1).
    """
    Y = np.asarray(Y, dtype=float)
    if method == "std":
        score = Y.std(axis=0)
    elif method == "kl":
        msg_dim = msg_dim or Y.shape[1] // 2
        mean, logvar = Y[:, :msg_dim], Y[:, msg_dim : 2 * msg_dim]
        score = np.mean(0.5 * (mean**2 + np.exp(logvar) - logvar - 1.0), axis=0)
    else:
        raise ValueError(f"science.messages: method must be 'std' or 'kl', got {method!r}")
    if not 1 <= k <= len(score):
        raise ValueError(f"science.messages: k={k} outside 1..{len(score)} message components")
    return [int(i) for i in np.argsort(-score)[:k]]


def force_fit(messages: np.ndarray, forces: np.ndarray) -> dict:
    """Least squares ``message_k ≈ A_k · F + c_k`` per component: coefficients and R².

    ``messages`` (n_edges, k), ``forces`` (n_edges, dim): the true force on the receiver.
    """
    M = np.asarray(messages, dtype=float).reshape(len(messages), -1)
    A = np.column_stack([np.asarray(forces, dtype=float), np.ones(len(M))])
    coef, *_ = np.linalg.lstsq(A, M, rcond=None)
    resid = M - A @ coef
    r2 = 1.0 - resid.var(axis=0) / np.maximum(M.var(axis=0), 1e-300)
    return {"coef": coef[:-1].T, "offset": coef[-1], "r2": r2}


def radial_factors(expr: sympy.Expr, dim: int) -> list[sympy.Expr] | None:
    """``[h_x, h_y, (h_z)]`` (the nonzero ones) when sympy proves
    ``expr = dx h_x + dy h_y (+ dz h_z) + c`` with no separation in the h's and a constant
    ``c``, else None.

    A central pairwise force seen in a fixed linear basis has this shape with every ``h`` the
    same radial law up to a constant factor (the basis).
    """
    deltas = [sympy.Symbol(n) for n in DELTAS[:dim]]
    expr = sympy.nsimplify(expr, rational=True)  # exact: float gcds do not cancel reliably
    grads = [sympy.simplify(sympy.diff(expr, d)) for d in deltas]
    if any(g.free_symbols & set(deltas) for g in grads):
        return None  # not linear in the separation
    rest = sympy.simplify(expr - sum(d * g for d, g in zip(deltas, grads, strict=True)))
    if rest.free_symbols:
        return None  # a term without the separation would not be a pairwise force
    nonzero = [g for g in grads if g != 0]
    return nonzero or None


def _monic(part: sympy.Expr) -> sympy.Expr | None:
    """A polynomial divided by its leading coefficient (None when not a polynomial)."""
    if not part.free_symbols:
        return sympy.Integer(1)
    try:
        poly = sympy.Poly(part, *sorted(part.free_symbols, key=str))
    except sympy.PolynomialError:
        return None
    lc = poly.LC()
    return None if lc == 0 else sympy.expand(part / lc)


def _is_radial_law(h: sympy.Expr, radial_law: str, dim: int, rtol: float) -> bool:
    numer, denom = sympy.fraction(sympy.together(h))
    numer, denom = _monic(numer), _monic(denom)
    if numer is None or denom is None:
        return False
    ratio = numer / denom
    snapped = {q: _simplest(q, rtol) for q in ratio.atoms(sympy.Rational) if not q.is_Integer}
    names = edge_variable_names(dim)
    return recovers(ratio.xreplace(snapped), radial_law, names, rtol=rtol, up_to="offset_or_factor")


def _simplest(value: sympy.Rational, rtol: float, max_denominator: int = 12) -> sympy.Expr:
    """The rational of smallest denominator within ``rtol`` of ``value``, else a float.

    (``nsimplify`` picks a continued-fraction convergent: 0.972 → 20/21, not 1.)
    """
    x = float(value)
    for q in range(1, max_denominator + 1):
        p = round(x * q)
        if abs(p / q - x) <= rtol * abs(x):
            return sympy.Rational(p, q)
    return sympy.Float(x)


def is_force_law(expr, radial_law: str, dim: int, *, rtol: float = 0.05) -> bool:
    """Whether a message expression recovers the pairwise law with radial part ``radial_law``.

    The candidate must be linear in ``dx, dy, (dz)`` (plus a constant), and each coefficient
    h, with numerator and denominator made monic (the basis' scale is arbitrary), must equal
    ``radial_law`` after snapping constants within ``rtol`` (:func:`recovery.recovers`).
    ``rtol`` allows for the network's own error (the softened spring's rest length 0.99
    snaps to 1).
    """
    sym = expr.sympy() if isinstance(expr, Expression) else expr
    factors = radial_factors(sym, dim)
    return factors is not None and all(_is_radial_law(h, radial_law, dim, rtol) for h in factors)


def law_members(front, radial_law: str, dim: int, *, rtol: float = 0.05) -> list:
    """The candidates of a front that recover the law (simplest first)."""
    return [c for c in front if is_force_law(c.expression, radial_law, dim, rtol=rtol)]


def message_surrogate(job, picked: Sequence[int], dim: int) -> SymbolicSurrogate:
    """Replace the edge model: the picked expression for each distilled component, the
    recorded mean for every other output column (near-constant under L1/KL)."""
    rec = job.recording
    names = edge_variable_names(dim)
    n_out = rec.Y.shape[1]
    exprs = []
    for d in range(n_out):
        if d in picked and d in job.fronts:
            exprs.append(job.fronts[d].selected.expression)
        else:
            exprs.append(Expression.from_infix(repr(float(rec.Y[:, d].mean())), names))
    return SymbolicSurrogate(exprs, in_shape=rec.input_shape, out_shape=rec.output_shape,
                             input_transforms=edge_transforms(dim), path=job.path)  # fmt: skip


def compare_accelerations(model, surrogate, X, Y, path: str = "edge") -> dict:
    """Accelerations of the GN and of the GN with its edge model replaced by ``surrogate``,
    on graphs ``X`` (n_graphs, n, F) with true accelerations ``Y``: mean absolute errors
    relative to the mean |true acceleration| (``gn``, ``symbolic``, ``symbolic_vs_gn``)."""
    from ..surrogate import replaced

    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    Y = torch.as_tensor(np.asarray(Y), dtype=torch.float32)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            gn = model(X)
            with replaced(model, {path: surrogate}):
                sym = model(X)
    finally:
        model.train(was_training)
    scale = float(Y.abs().mean())
    return {
        "gn": float((gn - Y).abs().mean()) / scale,
        "symbolic": float((sym - Y).abs().mean()) / scale,
        "symbolic_vs_gn": float((sym - gn).abs().mean()) / scale,
    }
