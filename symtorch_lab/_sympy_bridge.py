"""Conversion between expression trees and sympy, through a whitelist of node types.

Sympy is where users do algebra on a distilled formula, and ``simplify`` hands back arbitrary
sympy objects. Only nodes with a registry counterpart come back into a tree (``Add``, ``Mul``,
``Pow``, numbers, ``pi``, ``E``, symbols named like the variables and the registry's functions);
anything else is a ``ValueError`` rather than a guess. Sums with negative terms become ``sub``,
factors with negative exponents a ``div`` and ``x**(1/2)`` a ``sqrt``, so that the trees read like
the sympy form and their node count is PySR's complexity of what the user sees.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence

import sympy

from ._tree import MAX_DEPTH
from .operators import OPERATORS

Tree = tuple

_FUNCTIONS = {
    sympy.exp: "exp", sympy.log: "log", sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan",
    sympy.tanh: "tanh", sympy.sinh: "sinh", sympy.cosh: "cosh", sympy.Abs: "abs",
    sympy.asin: "asin", sympy.acos: "acos", sympy.atan: "atan", sympy.Max: "max",
    sympy.Min: "min", sympy.sign: "sign",
}  # fmt: skip
_POWERS = {sympy.S.Half: "sqrt", sympy.Integer(-1): "inv", sympy.Integer(2): "square",
           sympy.Integer(3): "cube"}  # fmt: skip
_THIRD = sympy.Rational(1, 3)


def _number(value: float) -> sympy.Expr:
    # Integral constants become sympy Integers so that x**2.0 prints and simplifies as x**2.
    if value.is_integer() and abs(value) < 2**53:
        return sympy.Integer(int(value))
    return sympy.Float(value)


def tree_to_sympy(tree: Tree, symbols: Sequence[sympy.Symbol]) -> sympy.Expr:
    """Build the sympy form of a validated tree with the registry's sympy builders."""
    kind = tree[0]
    if kind == "const":
        return _number(tree[1])
    if kind == "var":
        return symbols[tree[1]]
    return OPERATORS[kind].sympy(*(tree_to_sympy(child, symbols) for child in tree[1:]))


def _fold(op: str, nodes: list[Tree]) -> Tree:
    node = nodes[0]
    for other in nodes[1:]:
        node = (op, node, other)
    return node


class _Converter:
    """Sympy -> tree, one method per whitelisted node family."""

    def __init__(self, names: Sequence[str]):
        self.index = {name: i for i, name in enumerate(names)}

    def convert(self, e: object, depth: int = 0) -> Tree:
        if depth > MAX_DEPTH:
            raise ValueError(f"sympy expression nested deeper than {MAX_DEPTH} levels")
        if isinstance(e, (int, float)) and not isinstance(e, bool):
            e = sympy.Float(e)
        if not isinstance(e, sympy.Basic):
            raise ValueError(f"expected a sympy expression, got {type(e).__name__}: {e!r:.80}")
        if isinstance(e, sympy.Symbol):
            if e.name not in self.index:
                raise ValueError(f"unknown symbol {e.name!r}; variables are {tuple(self.index)}")
            return ("var", self.index[e.name])
        if e.is_Number or e in (sympy.pi, sympy.E):
            return self._number(e)
        if isinstance(e, sympy.Add):
            return self._add(e, depth + 1)
        if isinstance(e, sympy.Mul):
            return self._mul(e, depth + 1)
        if isinstance(e, sympy.Pow):
            return self._pow(e, depth + 1)
        if e.func in _FUNCTIONS:  # exact classes only: no user-defined or unknown functions
            return self._function(e, depth + 1)
        raise ValueError(f"unsupported sympy node {type(e).__name__} in {str(e)[:200]!r}")

    def _number(self, e: sympy.Expr) -> Tree:
        try:
            value = float(e)
        except (TypeError, ValueError, OverflowError):
            value = math.nan
        if not math.isfinite(value):
            raise ValueError(f"sympy number {e} is not a finite real number")
        return ("const", value)

    def _add(self, e: sympy.Add, depth: int) -> Tree:
        terms = e.as_ordered_terms()
        # start with a positive term where there is one: "x - y", not "-y + x"
        terms.sort(key=lambda t: bool(t.could_extract_minus_sign()))
        node = self.convert(terms[0], depth)
        for term in terms[1:]:
            if term.could_extract_minus_sign():
                node = ("sub", node, self.convert(-term, depth))
            else:
                node = ("add", node, self.convert(term, depth))
        return node

    def _mul(self, e: sympy.Mul, depth: int) -> Tree:
        coeff, rest = e.as_coeff_Mul()
        numerator, denominator = [], []
        for f in _merge_cbrt(list(sympy.Mul.make_args(rest))):
            if isinstance(f, sympy.Pow) and f.exp.is_Number and f.exp.is_negative:
                denominator.append(f.base ** (-f.exp))
            else:
                numerator.append(f)
        parts = [self._factor(f, depth) for f in numerator]
        if coeff not in (1, -1):
            parts.insert(0, self._number(coeff))
        node = _fold("mul", parts) if parts else ("const", 1.0)
        if denominator:
            node = ("div", node, _fold("mul", [self._factor(f, depth) for f in denominator]))
        return ("neg", node) if coeff == -1 else node

    def _factor(self, f: object, depth: int) -> Tree:
        if isinstance(f, tuple):  # ("cbrt", argument) from _merge_cbrt
            return ("cbrt", self.convert(f[1], depth))
        return self.convert(f, depth)

    def _pow(self, e: sympy.Pow, depth: int) -> Tree:
        base, exponent = e.args
        if exponent == -sympy.S.Half:
            return ("inv", ("sqrt", self.convert(base, depth)))
        for value, name in _POWERS.items():
            if exponent == value:
                return (name, self.convert(base, depth))
        return ("pow", self.convert(base, depth), self.convert(exponent, depth))

    def _function(self, e: sympy.Function, depth: int) -> Tree:
        name = _FUNCTIONS[e.func]
        args = [self.convert(a, depth) for a in e.args]
        if OPERATORS[name].arity == 2 and len(args) >= 2:  # Max/Min are n-ary in sympy
            return _fold(name, args)
        if len(args) != OPERATORS[name].arity:
            raise ValueError(f"{e.func.__name__} with {len(args)} arguments is not supported")
        return (name, *args)


def _is_cube_root_of_abs(f: object) -> bool:
    return isinstance(f, sympy.Pow) and isinstance(f.base, sympy.Abs) and f.exp == _THIRD


def _merge_cbrt(factors: list) -> list:
    """Turn ``sign(a) * Abs(a)**(1/3)`` (the sympy form of the real cube root) back into cbrt."""
    roots = {f.base.args[0] for f in factors if _is_cube_root_of_abs(f)}
    paired = {f.args[0] for f in factors if isinstance(f, sympy.sign) and f.args[0] in roots}
    out: list = []
    for f in factors:
        if isinstance(f, sympy.sign) and f.args[0] in paired:
            continue
        if _is_cube_root_of_abs(f) and f.base.args[0] in paired:
            out.append(("cbrt", f.base.args[0]))
        else:
            out.append(f)
    return out


def sympy_to_tree(expr: object, names: Sequence[str]) -> Tree:
    """Convert a sympy expression over symbols named like ``names`` into a raw tree."""
    return _Converter(names).convert(expr)


_SIMPLIFY_SLOTS = threading.BoundedSemaphore(2)


def simplify_with_timeout(expr: sympy.Expr, timeout_s: float) -> sympy.Expr | None:
    """``sympy.simplify`` in a daemon thread; ``None`` if it has not finished in time.

    Python cannot stop a thread, so a timed-out simplification runs on in the background. At
    most two may do so at once; beyond that we do not start another and report ``None``, so a
    loop over many hard expressions cannot pile up threads.
    """
    if not _SIMPLIFY_SLOTS.acquire(blocking=False):
        return None
    box: list[sympy.Expr] = []

    def work() -> None:
        try:
            box.append(sympy.simplify(expr))
        except Exception:  # sympy raises many types on odd input; the caller falls back
            pass
        finally:
            _SIMPLIFY_SLOTS.release()

    thread = threading.Thread(target=work, name="symtorch-simplify", daemon=True)
    thread.start()
    thread.join(timeout_s)
    return box[0] if box else None
