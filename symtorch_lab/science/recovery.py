"""Decide whether a found expression is the known law (up to an offset or a factor).

A low loss says an expression *fits*; physicists want to know that it *is* the law. Following
the SymTorch and Cranmer et al. evaluations, a candidate recovers a law when, after snapping
its fitted constants to the simplest nearby rationals, its difference to the law or its ratio
to the law is a constant (sympy proves it). Nothing here parses untrusted text with sympify:
the law is given as infix and parsed by :class:`~symtorch_lab.expression.Expression`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

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
