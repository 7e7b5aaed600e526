"""Decide whether a found expression is the known law (up to an offset or a factor).

A low loss says an expression *fits*; physicists want to know that it *is* the law. Following
the SymTorch and Cranmer et al. evaluations, a candidate recovers a law when, after snapping
its fitted constants to the simplest nearby rationals, its difference to the law or its ratio
to the law is a constant (sympy proves it). Nothing here parses untrusted text with sympify:
the law is given as infix and parsed by :class:`~symtorch_lab.expression.Expression`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from types import MappingProxyType

import sympy

from .._sympy_bridge import run_bounded
from ..expression import Expression


def snap_constants(expr: sympy.Expr, rtol: float = 1e-4) -> sympy.Expr:
    """Replace each float by the simplest rational within ``rtol`` (relative) of it."""
    repl = {}
    for f in expr.atoms(sympy.Float):
        value = float(f)
        tol = max(abs(value) * rtol, 1e-12)
        repl[f] = sympy.nsimplify(value, tolerance=tol, rational=True)
    return expr.xreplace(repl)


def recovers(
    found: Expression | sympy.Expr,
    law: str,
    variable_names: Sequence[str],
    *,
    rtol: float = 1e-4,
    up_to: str = "offset_or_factor",
) -> bool:
    """True when ``found`` equals ``law`` after snapping constants.

    Parameters
    ----------
    up_to : {"exact", "offset_or_factor"}
        ``"exact"``: the difference must simplify to 0. ``"offset_or_factor"``: a constant
        difference or a constant ratio is accepted (the structure is the law's).
    """
    if up_to not in ("exact", "offset_or_factor"):
        raise ValueError(f"up_to must be 'exact' or 'offset_or_factor', got {up_to!r}")
    truth = Expression.from_infix(law, variable_names).sympy()
    expr = found.sympy() if isinstance(found, Expression) else found
    candidate = snap_constants(expr, rtol)
    diff = sympy.simplify(candidate - truth)
    if diff == 0:
        return True
    if up_to == "exact":
        return False
    if not diff.free_symbols:
        return True
    ratio = sympy.simplify(candidate / truth)
    return not ratio.free_symbols and ratio != 0


RECOVERY_TIMEOUT_S = 5.0
"""Longest sympy proof per candidate when marking a front; an unfinished one is "no"."""


def mark_law(front, law: str | None, *, rtol: float = 1e-4, up_to: str = "offset_or_factor"):
    """Set each candidate's ``recovers_law`` metric (1.0 or 0.0) on ``front`` in place.

    The law is parsed first (``ValueError`` naming the bad token and the front's variables),
    so a typo never marks nothing silently. ``None`` removes the marks. Candidates already
    marked for the same law keep their mark (a live front is re-marked cheaply).
    """
    if law is None:
        front.candidates = tuple(_without(c, "recovers_law") for c in front.candidates)
        front.known_law = None
        return front
    names = front.candidates[0].expression.variable_names
    Expression.from_infix(law, names)  # fail fast on bad text, before any sympy work
    same = front.known_law == law
    marked = []
    for cand in front.candidates:
        if not (same and "recovers_law" in cand.metrics):
            proof = run_bounded(
                lambda c=cand: recovers(c.expression, law, names, rtol=rtol, up_to=up_to),
                RECOVERY_TIMEOUT_S,
            )
            cand = cand.with_metrics(recovers_law=float(bool(proof)))
        marked.append(cand)
    front.candidates, front.known_law = tuple(marked), law
    return front


def _without(cand, key: str):
    metrics = {k: v for k, v in cand.metrics.items() if k != key}
    return replace(cand, metrics=MappingProxyType(metrics))
