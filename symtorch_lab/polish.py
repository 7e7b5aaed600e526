"""Turn a raw search result into the expression a person should read.

Engines report models in their own shape: Operon wraps every model in a fitted scale and
offset and gives every variable a weight (``0.4482*u/(0.8963*s + 0.8963)``), and it evaluates in
float32. Before a candidate reaches a front it is

1. refitted in float64 (or under the user's custom loss);
2. merged: a constant that only scales a sum is pulled out into the product's coefficient
   (``0.5001*u/(s + 1)``), so no two constants only ever appear as a product or ratio, and
   refitted again: now every constant is determined by the data and can snap;
3. snapped: each constant moves to 0, an integer, a simple fraction, a multiple of pi or a short
   decimal only when the loss does not measurably change (see :class:`_Judge`), so a fit of
   network outputs is never falsified into a "nicer" law;
4. written in its display form through sympy (``u/(2*s + 2)``, ``a*b*(1/c - 1/d)``, no ``1*``).

The complexity of the result is its node count (PySR's default) in that display form. Every
sympy step runs under :func:`~symtorch_lab._sympy_bridge.run_bounded`, after a guard that keeps
huge powers away from sympy, so a hostile tree costs at most ``timeout_s`` per step.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ._infix import MAX_DENOMINATOR, PI_DENOMINATORS
from ._refit import within_standard_error
from ._sympy_bridge import merge_constants, run_bounded, sympy_to_tree
from .expression import Expression

SYMPY_TIMEOUT_S = 10.0
"""A safety net only: what decides whether sympy sees a tree is :func:`_sympy_safe`, which
depends on the tree alone, so the same search gives the same shown form on a busy machine, in
a fresh worker process or beside other searches (a 2 s limit did not: issue 7)."""
_MAX_SYMPY_EXPONENT = 64  # x^k beyond this is no law a person reads; keep it away from sympy
_MAX_SYMPY_NODES = 80  # beyond this, sympy's merging is slow and no person reads the result
_MAX_EXP_NESTING = 2  # exp(exp(exp(.))) overflows anything sympy would evaluate
_MAX_EXP_ARGUMENT = 700.0  # exp of a constant above this is inf in float64
_EXPONENTIAL = ("exp", "sinh", "cosh")


def polish(
    expr: Expression,
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    loss=None,
    *,
    refit: bool = True,
    timeout_s: float = SYMPY_TIMEOUT_S,
) -> tuple[Expression, float]:
    """Refit, merge, snap and tidy one candidate; returns it with its loss.

    ``refit=False`` keeps the constants as given (only exact rewrites and snaps that cost no
    measurable loss).
    """
    from ._params import loss_value

    def score(e: Expression) -> float:
        return loss_value(e, X, y, w, loss)

    def fit(e: Expression) -> Expression:
        return e.refit(X, y, sample_weight=w, loss=loss) if refit else e

    tol = 1e-12 * float(np.var(y)) if len(y) else 0.0
    start = fit(expr)

    def judge(reference: Expression, ref_loss: float) -> _Judge:
        return _Judge(reference, ref_loss, X, y, w, loss, tol)

    return tidy(start, score(start), score, fit, judge, tol, timeout_s)


def tidy(start: Expression, start_loss: float, score, fit, judge, tol: float,
         timeout_s: float = SYMPY_TIMEOUT_S) -> tuple[Expression, float]:  # fmt: skip
    """Merge, snap and show an already fitted ``start`` (steps 2 to 4 of the module doc).

    ``score(expr) -> loss``, ``fit(expr) -> expr`` (a refit, or the identity) and
    ``judge(reference, loss)`` (an object whose ``accepts(expr, loss)`` says a snap costs
    nothing measurable) make it usable for any loss (the gradient search's alignment loss).
    """
    best, best_loss = start, start_loss
    merged = _sympy_form(start, "inv", timeout_s)
    if merged is not None and merged.complexity <= start.complexity:
        best, best_loss = _better(best, best_loss, fit(merged), score, tol)
    return _snap_and_show(best, best_loss, start, score, judge(best, best_loss), timeout_s)


def _snap_and_show(best, best_loss, start, score, judge, timeout_s):
    snapped = _drop_identities(_snap(best, score, judge))
    shown = _sympy_form(snapped, "div", timeout_s)
    if shown is not None and shown.complexity <= max(snapped.complexity, start.complexity):
        shown_loss = score(shown)
        if judge.accepts(shown, shown_loss):
            return shown, shown_loss
    return snapped, score(snapped)


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


def _sympy_safe(tree: tuple) -> bool:
    """Whether sympy may see ``tree``: at most :data:`_MAX_SYMPY_NODES` nodes, no constant
    exponent beyond :data:`_MAX_SYMPY_EXPONENT`, exponentials nested at most
    :data:`_MAX_EXP_NESTING` deep and never of a constant beyond :data:`_MAX_EXP_ARGUMENT`.
    Decided by the tree alone (never by the clock)."""
    stack, nodes = [(tree, 0)], 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > _MAX_SYMPY_NODES:
            return False
        if node[0] in ("pow", "powabs") and node[2][0] == "const":
            if not abs(node[2][1]) <= _MAX_SYMPY_EXPONENT:
                return False
        if node[0] in _EXPONENTIAL:
            depth += 1
            arg = node[1]
            if depth > _MAX_EXP_NESTING or (
                arg[0] == "const" and not abs(arg[1]) <= _MAX_EXP_ARGUMENT
            ):
                return False
        if node[0] not in ("const", "var"):
            stack.extend((child, depth) for child in node[1:])
    return True


_warm = False


def warm_up() -> None:
    """Run sympy's first merge once, outside any time limit (its first call in a fresh
    process imports and caches for seconds; worker processes call this before searching)."""
    global _warm
    if not _warm:
        expr = Expression.from_infix("0.5*x0/(0.5*x1 + 0.5) + sin(2*x0)", ["x0", "x1"])
        merge_constants(expr.sympy())
        _warm = True


def _sympy_form(expr: Expression, reciprocal: str, timeout_s: float) -> Expression | None:
    """Constants merged through sympy (bounded in time); None when sympy can't or won't."""
    if not _sympy_safe(expr.tree):
        return None
    names = expr.variable_names

    def work() -> Expression:
        merged = merge_constants(expr.sympy())
        return Expression(sympy_to_tree(merged, names, reciprocal=reciprocal), names)

    return run_bounded(work, timeout_s)


class _Judge:
    """Does a snapped candidate fit measurably worse than the unsnapped refit (``reference``)?

    Not measurably worse when its loss is within a relative 1e-6 (plus 1e-12 of the target
    variance, for exact data), or, for the MSE, when the mean increase of the squared residuals
    over the reference's is no larger than its own standard error over the rows (paired). For a
    single constant that is a move within about two standard errors of its fitted value: data
    that follow the law exactly allow no move at all, a network's outputs allow what they
    cannot tell apart. The refit stops on the same two tests (``_refit._StallWatch``): once
    its last steps gained nothing this judge could measure.
    """

    def __init__(self, reference: Expression, loss: float, X, y, w, custom_loss, tol: float):
        self.loss, self.tol, self.X, self.y, self.w = loss, tol, X, y, w
        self.paired = custom_loss is None and math.isfinite(loss)
        if self.paired:
            self.ref_sq = (reference.numpy(X) - y) ** 2

    def accepts(self, candidate: Expression, cand_loss: float) -> bool:
        if _no_worse(cand_loss, self.loss, self.tol):
            return True
        if not self.paired or not math.isfinite(cand_loss):
            return False
        diff = (candidate.numpy(self.X) - self.y) ** 2 - self.ref_sq
        return within_standard_error(diff, self.w)


def _snap(expr: Expression, score, judge: _Judge) -> Expression:
    """Move each constant to the simplest nearby value the judge accepts."""
    values = expr.constants
    changed = False
    for i, value in enumerate(expr.constants):
        for target in _simple_values(value):
            if target == value:
                break
            trial = values.copy()
            trial[i] = target
            candidate = expr.with_constants(trial)
            cand_loss = score(candidate)
            if judge.accepts(candidate, cand_loss):
                values, changed = trial, True
                break
    return expr.with_constants(values) if changed else expr


def _simple_values(value: float) -> list[float]:
    """Candidates from simplest to closest.

    0, the nearest integer, halves, multiples of pi and pi/2, thirds and quarters, other
    fractions up to twelfths, then 1..6 significant digits.
    """
    if not math.isfinite(value):
        return []
    out = [0.0, float(round(value)), round(2 * value) / 2]
    out += [round(value / math.pi * q) * math.pi / q for q in PI_DENOMINATORS]
    out += [float(Fraction(round(value * q), q)) for q in range(3, MAX_DENOMINATOR + 1)]
    if value != 0:
        magnitude = math.floor(math.log10(abs(value)))
        out += [round(value, -magnitude + d) for d in range(0, 6)]
    seen, ordered = set(), []
    for v in out:
        if v not in seen:
            seen.add(v)
            ordered.append(v)
    return ordered


def _drop_identities(expr: Expression) -> Expression:
    """``1*x``, ``x*1``, ``x/1``, ``x + 0``, ``0 + x`` and ``x - 0`` are ``x`` (no sympy needed)."""
    tree = _without_identities(expr.tree)
    return expr if tree == expr.tree else Expression(tree, expr.variable_names)


_IDENTITY = {"mul": (1.0, 1.0), "div": (None, 1.0), "add": (0.0, 0.0), "sub": (None, 0.0)}


def _without_identities(node: tuple) -> tuple:
    if node[0] in ("const", "var"):
        return node
    node = (node[0], *(_without_identities(child) for child in node[1:]))
    if node[0] in _IDENTITY:
        left, right = _IDENTITY[node[0]]
        if node[2] == ("const", right):
            return node[1]
        if left is not None and node[1] == ("const", left):
            return node[2]
    return node
