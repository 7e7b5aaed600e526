"""Dimensional analysis: search a law in dimensionless groups (Buckingham π) first.

When every input and the output carry units (:mod:`symtorch_lab.units`), a physical law
``y = f(x_1..x_n)`` can be written ``y = M(x) · g(π_1..π_k)``: ``M`` is a monomial of the inputs
with the output's unit and the ``π_j`` are products of powers of the inputs with no unit at all
(Buckingham's π theorem). ``k = n − rank(D)``, ``D`` being the inputs' dimension matrix, so the
search for ``g`` has fewer variables, often one or none (a pendulum's period ``T`` from
``L``, ``g`` and ``m`` is ``sqrt(L/g) · const``: the mass drops out).

The groups are chosen for a person to read: each is a *circuit* of ``D`` (a null vector with as
few inputs as possible), in smallest integers, with more positive than negative exponents, and
the fewest inputs, then the smallest exponents, come first. The output's monomial is the exact
solution of ``D·a = unit(y)`` with the smallest denominators, then the smallest sum of squared
exponents (``G·m1·m2/r^2`` rather than ``G·m1^2/r^2``), then the fewest inputs.

``Distiller(dimensional_analysis=True, units=...)`` searches ``g`` on the groups' columns with
the same settings as the plain search, rebuilds each of its candidates as a tree over the
original inputs (no text is parsed), refits their constants on the full data and puts them on
the same front as the plain search: the plain result is never hidden, each rebuilt candidate
carries ``metrics["dimensionless"] = 1`` and ``front.dimensional`` names the groups used (or
why none were).
"""

from __future__ import annotations

import inspect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from ._sympy_bridge import run_bounded
from ._tree import substitute
from .expression import Expression
from .front import Candidate, ParetoFront
from .polish import polish
from .units import BASE, DIMENSIONLESS, Dim, format_dim, units_spec

Vec = tuple[Fraction, ...]
SYMPY_NODES = 80  # longer rebuilt trees are polished as they are (as polish.py's own limit)
MAX_ENUMERATED = 12  # inputs beyond which circuits are not enumerated (echelon basis instead)


# ------------------------------------------------------------------------ exact linear algebra
def _rref(rows: list[list[Fraction]]) -> tuple[list[list[Fraction]], list[int]]:
    """Reduced row echelon form and pivot columns (exact, over the rationals)."""
    m = [list(r) for r in rows]
    pivots: list[int] = []
    n_cols = len(m[0]) if m else 0
    r = 0
    for c in range(n_cols):
        p = next((i for i in range(r, len(m)) if m[i][c] != 0), None)
        if p is None:
            continue
        m[r], m[p] = m[p], m[r]
        m[r] = [v / m[r][c] for v in m[r]]
        for i in range(len(m)):
            if i != r and m[i][c] != 0:
                m[i] = [a - m[i][c] * b for a, b in zip(m[i], m[r], strict=True)]
        pivots.append(c)
        r += 1
    return m[:r], pivots


def _null_space(columns: Sequence[Dim]) -> list[Vec]:
    """A basis of ``{e : Σ e_i·columns[i] = 0}`` (echelon form: one free input per vector)."""
    n = len(columns)
    rows = [[columns[i][b] for i in range(n)] for b in range(len(BASE))]
    reduced, pivots = _rref(rows)
    basis = []
    for free in (c for c in range(n) if c not in pivots):
        e = [Fraction(0)] * n
        e[free] = Fraction(1)
        for row, p in zip(reduced, pivots, strict=True):
            e[p] = -row[free]
        basis.append(tuple(e))
    return basis


def _rank(vectors: Sequence[Vec]) -> int:
    return len(_rref([list(v) for v in vectors])[1]) if vectors else 0


def _integral(e: Vec) -> tuple[int, ...]:
    """Smallest integers along ``e``, signed so that most exponents are positive."""
    lcm = math.lcm(*(x.denominator for x in e))
    ints = [int(x * lcm) for x in e]
    g = math.gcd(*ints) or 1
    ints = [x // g for x in ints]
    pos, neg = sum(x > 0 for x in ints), sum(x < 0 for x in ints)
    first = next(x for x in ints if x)
    if neg > pos or (neg == pos and first < 0):
        ints = [-x for x in ints]
    return tuple(ints)


def dimensionless_groups(columns: Sequence[Dim]) -> list[tuple[int, ...]]:
    """Integer exponent vectors of ``n − rank`` independent dimensionless groups of inputs
    with units ``columns`` (module doc: fewest inputs, then smallest exponents, first)."""
    n = len(columns)
    k = len(_null_space(columns))
    if k == 0:
        return []
    if n > MAX_ENUMERATED:
        return [_integral(e) for e in _null_space(columns)]
    found: dict[tuple[int, ...], None] = {}
    for size in range(1, n - k + 2):
        for subset in itertools.combinations(range(n), size):
            sub = _null_space([columns[i] for i in subset])
            if len(sub) == 1 and all(sub[0]):  # a circuit: every input of it is needed
                e = [Fraction(0)] * n
                for i, v in zip(subset, sub[0], strict=True):
                    e[i] = v
                found[_integral(tuple(e))] = None
    chosen: list[tuple[int, ...]] = []
    for e in sorted(found, key=lambda e: (sum(map(bool, e)), sum(x * x for x in e), e[::-1])):
        if _rank([tuple(map(Fraction, v)) for v in (*chosen, e)]) == len(chosen) + 1:
            chosen.append(e)
    return chosen[:k]


def output_monomial(columns: Sequence[Dim], target: Dim, groups) -> Vec | None:
    """Exponents ``a`` with ``Σ a_i·columns[i] = target`` (module doc's preference), or None
    when the target's unit is no product of powers of the inputs' units."""
    n = len(columns)
    rows = [[columns[i][b] for i in range(n)] + [target[b]] for b in range(len(BASE))]
    reduced, pivots = _rref(rows)
    if n in pivots:
        return None
    a0 = [Fraction(0)] * n
    for row, p in zip(reduced, pivots, strict=True):
        a0[p] = row[n]
    if len(groups) > 6:  # 3^k combinations: beyond this, the echelon solution as it is
        return tuple(a0)
    steps = [Fraction(t, 2) for t in range(-6, 7)] if len(groups) <= 3 else [-1, 0, 1]
    best = None
    for ts in itertools.product(steps, repeat=len(groups)):
        a = tuple(
            a0[i] + sum(Fraction(t) * g[i] for t, g in zip(ts, groups, strict=True))
            for i in range(n)
        )
        key = (
            max(x.denominator for x in a),
            sum(x * x for x in a),
            sum(map(bool, a)),
            sum(x < 0 for x in a),
        )
        if best is None or key < best[0]:
            best = (key, a)
    return best[1] if best else tuple(a0)


# ------------------------------------------------------------------------ trees
def monomial_tree(exponents: Sequence[Fraction]) -> tuple:
    """``Π x_i^{a_i}`` as a tree: integer powers under one ``sqrt`` / ``cbrt`` / power."""
    q = math.lcm(*(Fraction(a).denominator for a in exponents))
    ints = [int(Fraction(a) * q) for a in exponents]

    def factor(i: int, k: int) -> tuple:
        return ("var", i) if k == 1 else ("pow", ("var", i), ("const", float(k)))

    def product(items: list[tuple]) -> tuple | None:
        return None if not items else _fold("mul", items)

    num = product([factor(i, k) for i, k in enumerate(ints) if k > 0])
    den = product([factor(i, -k) for i, k in enumerate(ints) if k < 0])
    if num is None and den is None:
        return ("const", 1.0)
    body = num if den is None else ("inv", den) if num is None else ("div", num, den)
    if q == 1:
        return body
    if q in (2, 3):
        return ("sqrt" if q == 2 else "cbrt", body)
    return ("pow", body, ("const", 1.0 / q))


def _fold(op: str, items: list[tuple]) -> tuple:
    tree = items[0]
    for t in items[1:]:
        tree = (op, tree, t)
    return tree


@dataclass(frozen=True)
class PiAnalysis:
    """The groups and the output monomial of one output: ``y = monomial · g(groups)``."""

    names: tuple[str, ...]
    groups: tuple[tuple[int, ...], ...]
    monomial: Vec
    rank: int

    def group_expressions(self) -> list[Expression]:
        return [Expression(monomial_tree(e), self.names) for e in self.groups]

    def monomial_expression(self) -> Expression:
        return Expression(monomial_tree(self.monomial), self.names)

    def describe(self) -> str:
        pis = [f"π{j + 1} = {e}" for j, e in enumerate(self.group_expressions())]
        args = ", ".join(f"π{j + 1}" for j in range(len(self.groups)))
        g = f"φ({args})" if args else "const"
        return f"y = {self.monomial_expression()} · {g}" + "".join(f"; {p}" for p in pis)


def analyse(units, names: Sequence[str], dim: int = 0) -> PiAnalysis | None:
    """The π analysis of output ``dim`` under ``units`` (as in
    :func:`~symtorch_lab.units.units_spec`); None when the output has no unit. Raises
    ``ValueError`` naming the output's unit when it is no product of the inputs' units."""
    spec = units_spec(units, names)
    target = spec.output(dim)
    if target is None:
        return None
    columns = [spec.inputs.get(n, DIMENSIONLESS) for n in names]
    groups = dimensionless_groups(columns)
    monomial = output_monomial(columns, target, groups)
    if monomial is None:
        given = ", ".join(f"{n} [{format_dim(c)}]" for n, c in zip(names, columns, strict=True))
        key = "y" if dim not in spec.outputs else f"y{dim}"
        raise ValueError(
            f"dimensional_analysis: units[{key!r}] ({format_dim(target)}) is no product of "
            f"powers of the inputs' units ({given}); a dimensional constant (like G or k) may "
            "be missing from the inputs: add it as a column, or leave dimensional_analysis off"
        )
    rank = len(names) - len(groups)
    return PiAnalysis(tuple(names), tuple(groups), monomial, rank)


def check(distiller, names: Sequence[str]) -> None:
    """Before a search: every output unit of a ``dimensional_analysis`` run is expressible."""
    if not getattr(distiller, "dimensional_analysis", False) or distiller.units is None:
        return
    for dim in units_spec(distiller.units, names).outputs:
        analyse(distiller.units, names, 0 if dim is None else dim)


# ------------------------------------------------------------------------ the search
def extend_front(distiller, front: ParetoFront, X, y, w, dim: int) -> ParetoFront:
    """``front`` plus the rebuilt candidates of a search in the π groups (module doc)."""
    names = distiller.variable_names_
    pi = None if distiller.units is None else analyse(distiller.units, names, dim)
    why = _no_reduction(distiller, pi)
    if why is not None:
        return _rebuilt(front, list(front.candidates), why)
    with np.errstate(all="ignore"):
        m = pi.monomial_expression().numpy(X)
        P = np.column_stack([g.numpy(X) for g in pi.group_expressions()] or [np.zeros(len(X))])
        target = y / m
    ok = np.isfinite(target) & np.all(np.isfinite(P), axis=1) & (m != 0)
    if ok.sum() < max(2, len(X) // 2):
        why = f"not used: the groups are not finite on {int((~ok).sum())} of {len(X)} rows"
        return _rebuilt(front, list(front.candidates), why)
    trees = _g_trees(distiller, pi, P[ok], target[ok], w[ok])
    cands = list(front.candidates)
    refit = distiller.refit or distiller.loss is not None
    for tree in trees:
        full = _cancelled(Expression(("mul", tree, monomial_tree(pi.monomial)), names))
        expr, loss = polish(full, X, y, w, distiller.loss, refit=refit)
        if expr.complexity <= 2 * distiller.maxsize:
            cands.append(Candidate(expr.complexity, loss, expr, 0.0, {"dimensionless": 1.0}))
    return _rebuilt(front, cands, pi.describe())


def _cancelled(expr: Expression) -> Expression:
    """``M(x) · g(π(x))`` with the monomial cancelled into ``g`` (sympy's ``cancel`` and
    ``factor`` on the tree's sympy form: rational-function algebra, no text), when shorter."""
    if expr.complexity > SYMPY_NODES:
        return expr
    real = {s: sympy.Symbol(s.name, real=True) for s in expr.sympy().free_symbols}
    form = run_bounded(lambda: sympy.factor(sympy.cancel(expr.sympy().xreplace(real))), 5.0)
    try:
        shorter = None if form is None else Expression.from_sympy(form, expr.variable_names)
    except ValueError:
        return expr
    return shorter if shorter is not None and shorter.complexity < expr.complexity else expr


def _no_reduction(distiller, pi: PiAnalysis | None) -> str | None:
    if distiller._stop_event.is_set():
        return "not used: the search was stopped"
    if distiller.units is None:
        return "not used: no units given (units={...})"
    if pi is None:
        return "not used: the output has no unit (units={'y': ...})"
    if pi.rank == 0:
        return "not used: the inputs are dimensionless (no reduction)"
    return None


def _g_trees(distiller, pi: PiAnalysis, P, target, w) -> list[tuple]:
    """Trees of ``g`` over the inputs (π groups substituted); a constant when k = 0."""
    k = len(pi.groups)
    if k == 0:
        return [("const", float(np.sum(w * target) / np.sum(w)))]
    pi_names = [f"pi{j + 1}" for j in range(k)]
    piece = _piece_distiller(distiller)
    piece.callbacks = (lambda _: distiller._stop_event.is_set(),)  # Stop reaches this search
    piece.fit(P, target, w, variable_names=pi_names)
    mapping = {j: monomial_tree(e) for j, e in enumerate(pi.groups)}
    return [substitute(c.expression.tree, mapping) for c in piece.fronts_[0]]


def _rebuilt(front: ParetoFront, cands, note: str) -> ParetoFront:
    out = ParetoFront(cands, model_selection=front.model_selection, noise_floor=front.noise_floor)
    note = note if len(note) <= 500 else note[:497] + "..."  # a front file holds 500 chars
    out.skipped, out.decomposition, out.dimensional = front.skipped, front.decomposition, note
    return out


def _piece_distiller(distiller):
    """A Distiller with the same search settings, and no marks, callbacks or transforms."""
    Distiller = type(distiller)
    own = [p for p in inspect.signature(Distiller.__init__).parameters if p != "self"]
    params = {p: getattr(distiller, p) for p in own if hasattr(distiller, p)}
    params.update(callbacks=(), executor=None, n_jobs=1, decompose=False, validation_fraction=0)
    params.update(dimensional_analysis=False, units=None, known_law=None, noise_floor=None)
    params.pop("pysr_kwargs", None)
    return Distiller(**params, **dict(distiller.pysr_kwargs))


__all__ = ["PiAnalysis", "analyse", "dimensionless_groups", "extend_front", "output_monomial"]
