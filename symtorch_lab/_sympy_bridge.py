"""Conversion between expression trees and sympy, through a whitelist of node types.

Sympy is where users do algebra on a distilled formula, and ``simplify`` hands back arbitrary
sympy objects. Only nodes with a registry counterpart come back into a tree (``Add``, ``Mul``,
``Pow``, numbers, ``pi``, ``E``, symbols named like the variables and the registry's functions);
anything else is a ``ValueError`` rather than a guess. Sums with negative terms become ``sub``,
factors with negative exponents a ``div`` and ``x**(1/2)`` a ``sqrt``, so that the trees read like
the sympy form and their node count is PySR's complexity of what the user sees.

Sympy computes exactly, so ``9^9^9^9`` would be a number with 370 million digits, computed in
one C call that holds the GIL for minutes. A tree means float64 arithmetic, so a numeric power
whose exact value would be huge is folded in float64 first (to ``oo`` or ``0``) before sympy sees
it, and :func:`run_bounded` gives every other sympy step a time limit that cannot hang its caller.
"""

from __future__ import annotations

import ctypes
import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
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
    if not math.isfinite(value):
        return sympy.nan if math.isnan(value) else (sympy.oo if value > 0 else -sympy.oo)
    if value.is_integer() and abs(value) < 2**53:
        return sympy.Integer(int(value))
    if abs(value) == math.pi:
        return sympy.pi if value > 0 else -sympy.pi
    return sympy.Float(value)


def tree_to_sympy(tree: Tree, symbols: Sequence[sympy.Symbol]) -> sympy.Expr:
    """Build the sympy form of a validated tree with the registry's sympy builders."""
    return _to_sympy(tree, symbols)[0]


_SAFE_MAGNITUDE = 1e300  # beyond this a constant sub-tree is taken in float64, not exactly
_NON_FINITE = (sympy.oo, -sympy.oo, sympy.zoo, sympy.nan)


def _to_sympy(tree: Tree, symbols: Sequence[sympy.Symbol]) -> tuple[sympy.Expr, float | None]:
    """The sympy form and, for a constant sub-tree, its float64 value (``None`` otherwise).

    A constant sub-tree is folded to its float64 value (``oo``, ``nan`` or a Float) before
    sympy sees it when that value overflows or is beyond :data:`_SAFE_MAGNITUDE`, when it takes
    such a folded value, or when its exact power would need thousands of bits: ``9^9^9^9`` or
    ``exp(exp(exp(30)))`` would otherwise be computed exactly, in one call that does not
    return for minutes.
    """
    kind = tree[0]
    if kind == "const":
        return _number(tree[1]), tree[1]
    if kind == "var":
        return symbols[tree[1]], None
    parts = [_to_sympy(child, symbols) for child in tree[1:]]
    args = [p[0] for p in parts]
    if any(p[1] is None for p in parts):
        return OPERATORS[kind].sympy(*args), None
    with np.errstate(all="ignore"):
        value = float(OPERATORS[kind].numpy(*(np.float64(p[1]) for p in parts)))
    # nan alone is left to sympy (log(-1) is I*pi there); overflow and its fallout are not
    huge = math.isinf(value) or (math.isfinite(value) and abs(value) > _SAFE_MAGNITUDE)
    unsafe = huge or any(a in _NON_FINITE for a in args)
    if unsafe or (kind in _GROWING and all(a.is_Number for a in args) and _huge(kind, args)):
        return _number(value), value
    return OPERATORS[kind].sympy(*args), value


# Operators that raise a number to a power: exact arithmetic on them can explode.
_GROWING = {"pow": None, "powabs": None, "square": 2, "cube": 3}
_MAX_EXACT_BITS = 4096


def _log2_size(n: sympy.Expr) -> float:
    """Bits of an exact number (numerator and denominator), or |log2| of a float's magnitude."""
    if n.is_Rational:
        return float(max(abs(n.p).bit_length(), n.q.bit_length()))
    value = abs(float(n))
    return abs(math.log2(value)) + 1 if 0 < value < math.inf else 0.0


def _huge(kind: str, args: list) -> bool:
    """Would sympy's exact ``base ** exponent`` need more than a few thousand bits?"""
    k = abs(float(_GROWING[kind] or args[1]))
    return k * _log2_size(args[0]) > _MAX_EXACT_BITS


def _fold(op: str, nodes: list[Tree]) -> Tree:
    node = nodes[0]
    for other in nodes[1:]:
        node = (op, node, other)
    return node


class _Converter:
    """Sympy -> tree, one method per whitelisted node family."""

    def __init__(self, names: Sequence[str], reciprocal: str = "div"):
        self.index = {name: i for i, name in enumerate(names)}
        self.reciprocal = reciprocal

    def _over(self, numerator: Tree | None, denominator: Tree) -> Tree:
        """``numerator / denominator``; ``1/x`` as ``div(1, x)`` (how it reads) or ``inv(x)``."""
        if numerator is not None:
            return ("div", numerator, denominator)
        if self.reciprocal == "inv":  # no constant "1" for a refit to move
            return ("inv", denominator)
        return ("div", ("const", 1.0), denominator)

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
        sign = -1 if coeff.is_negative else 1
        q = _unit_fraction(coeff) if denominator else None
        if q is not None:  # u*(1/2)/(s + 1) reads u/(2*s + 2): the 2 joins the denominator
            denominator = list(sympy.Mul.make_args(sympy.Mul(q, *denominator)))
            coeff = sympy.Integer(sign)
        parts = [self._factor(f, depth) for f in numerator]
        if coeff not in (1, -1):
            parts.insert(0, self._number(coeff))
        node = _fold("mul", parts) if parts else None
        if denominator:
            node = self._over(node, _fold("mul", [self._factor(f, depth) for f in denominator]))
        node = ("const", 1.0) if node is None else node
        return ("neg", node) if coeff == -1 else node

    def _factor(self, f: object, depth: int) -> Tree:
        if isinstance(f, tuple):  # ("cbrt", argument) from _merge_cbrt
            return ("cbrt", self.convert(f[1], depth))
        return self.convert(f, depth)

    def _pow(self, e: sympy.Pow, depth: int) -> Tree:
        base, exponent = e.args
        if exponent == -sympy.S.Half:
            return self._over(None, ("sqrt", self.convert(base, depth)))
        if exponent == -1:  # 1/x, as written and as PySR counts it (not inv(x))
            return self._over(None, self.convert(base, depth))
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


def _unit_fraction(coeff: sympy.Expr) -> sympy.Integer | None:
    """``q`` when ``coeff`` is exactly ``±1/q`` (as a Rational or as the float nearest to it)."""
    value = abs(float(coeff))
    if not 0 < value < 1:
        return None
    q = round(1 / value)
    if q > 10**6 or (coeff.is_Rational and abs(coeff) != sympy.Rational(1, q)):
        return None
    return sympy.Integer(q) if coeff.is_Rational or 1 / q == value else None


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


def sympy_to_tree(expr: object, names: Sequence[str], *, reciprocal: str = "div") -> Tree:
    """Convert a sympy expression over symbols named like ``names`` into a raw tree.

    ``1/x`` becomes ``div(1, x)`` as written, or ``inv(x)`` with ``reciprocal="inv"`` (a form
    without a constant 1 that a refit would move, for polishing before display).
    """
    return _Converter(names, reciprocal).convert(expr)


_MAX_WORKERS = 2
_workers: list[threading.Thread] = []
_workers_lock = threading.Lock()
T = TypeVar("T")


class _Timeout(BaseException):
    """Raised inside an overdue sympy worker thread to end it (never escapes the worker)."""


class _Worker(threading.Thread):
    def __init__(self, fn: Callable[[], object]):
        super().__init__(name="symtorch-sympy", daemon=True)
        self.fn, self.box = fn, []

    def run(self) -> None:
        try:
            try:
                self.box.append(self.fn())
            except BaseException:  # noqa: BLE001 - sympy raises many types; callers fall back
                pass
        except _Timeout:  # an interrupt that lands just after fn returned
            pass

    def interrupt(self) -> None:
        # CPython raises the exception at the thread's next bytecode: sympy is pure Python, so
        # an overdue step ends within milliseconds (huge exact numbers never reach sympy).
        if self.ident is not None and self.is_alive():
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(self.ident), ctypes.py_object(_Timeout)
            )


def _start_worker(fn: Callable[[], object], deadline: float) -> _Worker | None:
    """A started worker, waiting for one of :data:`_MAX_WORKERS` slots until ``deadline``."""
    while True:
        with _workers_lock:
            _workers[:] = [t for t in _workers if t.is_alive()]
            if len(_workers) < _MAX_WORKERS:
                worker = _Worker(fn)
                worker.start()
                _workers.append(worker)
                return worker
            oldest = _workers[0]
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        oldest.join(min(remaining, 0.05))


def run_bounded(fn: Callable[[], T], timeout_s: float) -> T | None:
    """``fn()`` in a worker thread; ``None`` if it fails or has not finished in ``timeout_s``.

    An overdue worker is interrupted, not left running. At most two workers run at once (a
    third call waits for a slot within its own time limit), so stuck steps cannot pile up.
    """
    deadline = time.monotonic() + timeout_s
    worker = _start_worker(fn, deadline)
    if worker is None:
        return None
    worker.join(max(0.0, deadline - time.monotonic()))
    if worker.is_alive():
        worker.interrupt()
        return None
    return worker.box[0] if worker.box else None


def simplify_with_timeout(expr: sympy.Expr, timeout_s: float) -> sympy.Expr | None:
    """``sympy.simplify`` with :func:`run_bounded`; ``None`` if it has not finished in time."""
    return run_bounded(lambda: sympy.simplify(expr), timeout_s)


# ------------------------------------------------------------------ redundant constants


def merge_constants(expr: sympy.Expr) -> sympy.Expr:
    """Pull the common factor out of every sum that is a factor of a product or ratio.

    ``0.05*a*(19.7/c - 19.7/d)`` becomes ``0.985*a*(1/c - 1/d)`` and ``0.45*u/(0.9*s + 0.9)``
    becomes ``0.5*u/(s + 1)``: a constant that only scales a sum is merged into the product's
    coefficient, so no two constants are left that only ever appear as a product or ratio (a
    refit could then wander along that direction forever, and neither could snap).
    """
    if expr.is_Atom:
        return expr
    args = [merge_constants(a) for a in expr.args]
    if not isinstance(expr, (sympy.Mul, sympy.Pow)):
        return expr.func(*args)
    rebuilt = expr.func(*args)
    coeff, factors = sympy.S.One, []
    for factor in sympy.Mul.make_args(rebuilt):
        base, k = (factor.base, factor.exp) if isinstance(factor, sympy.Pow) else (factor, 1)
        if isinstance(base, sympy.Add) and (k == 1 or k.is_Integer):
            content = _content(base)
            if content is not None:
                coeff *= content**k
                factors.append(_divide_terms(base, content) ** k)
                continue
        factors.append(factor)
    return sympy.Mul(coeff, *factors) if coeff != 1 else rebuilt


def _divide_terms(add: sympy.Add, content: sympy.Expr) -> sympy.Expr:
    terms = []
    for term in add.args:
        c, rest = term.as_coeff_Mul()
        ratio = c / content
        terms.append((_number(float(ratio)) if ratio.is_Float else ratio) * rest)
    return sympy.Add(*terms)


def _content(add: sympy.Add) -> sympy.Expr | None:
    """The coefficient to divide a sum by so that one of its variable terms reads ``1*term``.

    Of the variable terms' coefficients, the one that leaves the most other coefficients whole
    (``2*x + 4*y`` -> 2, not 4); ``None`` when the sum has no float coefficient to merge.
    """
    coeffs = [t.as_coeff_Mul()[0] for t in add.args]
    if not any(c.is_Float for c in coeffs):
        return None
    candidates = [c for t, c in zip(add.args, coeffs, strict=True) if t.free_symbols and c != 0]

    def whole(k: sympy.Expr) -> int:
        ratios = (float(c / k) for c in coeffs)
        return sum(1 for r in ratios if math.isfinite(r) and abs(r - round(r)) <= 1e-9 * abs(r))

    best = max(candidates, key=whole, default=None)
    return None if best is None or abs(best) == 1 else best
