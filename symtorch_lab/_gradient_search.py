"""Candidate formulas for the gradient-alignment search (behind :mod:`symtorch_lab.gradients`).

Two ways to get Operon to propose formulas ``g`` whose gradients are parallel to a network's:

``"surrogate"``
    Operon fits the network's logit ``f`` itself on the boundary points (plain MSE search). Near
    the boundary ``f ≈ a·(q − c)``, so the fronts hold ``q``-like formulas; their constants are
    then refitted under the alignment loss.
``"search"``
    Operon's own selection is driven by the alignment loss: every boundary point is evaluated at
    ``x ± h·e_j`` (central differences, exact for quadratics), and the engine's custom-loss hook
    (``op.UserDefinedEvaluator``) turns the 2·d predictions of each point into a gradient.
    Levenberg–Marquardt still fits constants to ``f`` at those points, which keeps them sane.

Either way the candidates then pass :func:`direction_forms`: a formula's outer increasing
functions, offsets and positive scales change nothing of its gradient's direction, so they are
removed (and sums expanded and divided by their leading coefficient) to lower the complexity.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import sympy
import torch

from ._gradient_fit import BoundaryPoints, alignment_loss, unit_rows
from ._sympy_bridge import run_bounded
from .backends.base import RawCandidate, SearchSpec
from .backends.operon import OperonBackend
from .expression import Expression

METHODS = ("search", "surrogate")
# Strictly increasing where defined: g and φ(g) have parallel gradients.
_INCREASING = frozenset({"exp", "log", "sqrt", "cbrt", "tanh", "atan", "sinh", "log1p", "asin"})
_FD_STEP = 1e-2  # central-difference step, as a share of each input's standard deviation
_SYMPY_TIMEOUT_S = 1.0


def propose(
    method: str,
    points: BoundaryPoints,
    names: Sequence[str],
    spec: SearchSpec,
    on_generation: Callable | None = None,
    stop_event: threading.Event | None = None,
) -> list[Expression]:
    """Operon's candidates for one method, parsed (fitting rows only; held-out rows unseen).

    ``"surrogate"`` runs two short MSE searches on the logit, over every non-held-out row of
    ``X`` (where ``q`` varies widely, so the search can tell ``q`` apart from its pieces) and
    over the boundary points alone (where the logit is nearly affine in ``q``), and pools them.
    """
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not one of {METHODS}")
    backend = OperonBackend()
    extra = {"on_generation": on_generation, "stop_event": stop_event}
    tr = points.train
    if method == "surrogate":
        rows = np.setdiff1d(np.arange(len(points.X)), points.val)
        raw = backend.search(points.X[rows], points.f[rows], names, spec, **extra)
        raw += backend.search(points.X[tr], points.f[tr], names, spec, **extra)
    else:
        Xs, fs, loss = _stacked(points.X[tr], points.f[tr], points.grad[tr])
        spec = _with_rows(spec, len(Xs))
        raw = backend.search(Xs, fs, names, spec, loss=loss, **extra)
    return list(dict.fromkeys(_parse(rc, names) for rc in raw))


def _parse(rc: RawCandidate, names: Sequence[str]) -> Expression:
    return Expression.from_infix(rc.infix, names)


def _with_rows(spec: SearchSpec, rows: int) -> SearchSpec:
    """The same spec seeing every stacked row (a subsample would break the point groups)."""
    fields = {k: getattr(spec, k) for k in spec.__dataclass_fields__}
    return SearchSpec(**{**fields, "max_rows": max(rows, spec.max_rows)})


def _stacked(X: np.ndarray, f: np.ndarray, grad_f: np.ndarray):
    """Rows ``x ± h_j e_j`` for every point, their logits, and the loss on predictions there.

    Row block ``2j`` holds ``x + h_j e_j`` and block ``2j + 1`` holds ``x − h_j e_j``; the
    targets are the network's logit interpolated to first order (``f ± h_j ∂_j f``), which is
    what Levenberg–Marquardt fits the constants to.
    """
    n, d = X.shape
    h = _FD_STEP * np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
    blocks, targets = [], []
    for j in range(d):
        for sign in (1.0, -1.0):
            shifted = X.copy()
            shifted[:, j] += sign * h[j]
            blocks.append(shifted)
            targets.append(f + sign * h[j] * grad_f[:, j])
    target_dirs = torch.from_numpy(unit_gradients(grad_f))
    steps = torch.from_numpy(2.0 * h)

    def loss(pred: torch.Tensor, _target: torch.Tensor, _weight: torch.Tensor) -> torch.Tensor:
        values = pred.reshape(2 * d, n)
        grad = ((values[0::2] - values[1::2]).T) / steps
        return alignment_loss(grad, target_dirs)

    return np.vstack(blocks), np.concatenate(targets), loss


# --- direction-preserving simplification ---------------------------------------------------
def direction_forms(expr: Expression) -> Iterator[Expression]:
    """``expr`` and simpler formulas with the same gradient direction wherever both exist."""
    yield expr
    stripped = Expression(_strip(expr.tree), expr.variable_names)
    if stripped != expr:
        yield stripped
    normal = run_bounded(lambda: _normalised(stripped), _SYMPY_TIMEOUT_S)
    if normal is not None and normal != stripped:
        yield normal


def _strip(tree: tuple) -> tuple:
    """Peel outer increasing functions, additive constants and positive constant factors."""
    while tree[0] not in ("const", "var"):
        op, args = tree[0], tree[1:]
        consts = [a for a in args if a[0] == "const"]
        others = [a for a in args if a[0] != "const"]
        if op in _INCREASING:
            tree = args[0]
        elif op == "add" and consts and others:
            tree = others[0]
        elif op == "sub" and args[1][0] == "const":
            tree = args[0]
        elif op == "mul" and consts and others and consts[0][1] > 0:
            tree = others[0]
        elif op == "div" and args[1][0] == "const" and args[1][1] > 0:
            tree = args[0]
        else:
            break
    return tree


def _normalised(expr: Expression) -> Expression | None:
    """Expanded sum without its constant term, divided by its first term's |coefficient|.

    The first term's coefficient becomes exactly ±1 (no constant node), the others are ratios.
    """
    try:
        _, rest = sympy.expand(expr.sympy()).as_coeff_Add()
        pairs = [t.as_coeff_Mul() for t in sympy.Add.make_args(rest)]
        lead = pairs[0][0]
        if not lead.is_number or lead == 0 or rest == 0:
            return None
        terms = [sympy.sign(lead) * pairs[0][1]]
        terms += [sympy.Float(float(c / abs(lead))) * m for c, m in pairs[1:]]
        return Expression.from_sympy(sympy.Add(*terms), expr.variable_names)
    except (ValueError, TypeError, ZeroDivisionError):
        return None


def unit_gradients(G: np.ndarray) -> np.ndarray:
    """Rows of ``G`` as unit vectors (float64)."""
    return unit_rows(torch.as_tensor(G, dtype=torch.float64)).numpy()
