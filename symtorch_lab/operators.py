"""The operator registry: one place that says what each operator name means.

Search backends, the infix parser, the JSON reader and the numpy/torch/sympy evaluators all look
operators up here, so a name means the same function everywhere. Each :class:`Operator` carries a
sympy builder, a torch function, a numpy function and a LaTeX template.

Semantics are the *plain* mathematical functions in every backend, with no "protected" variants:
``log(-1)``, ``sqrt(-1)``, ``asin(2)`` and ``(-8) ^ 0.5`` are ``nan`` in numpy and torch, ``1 / 0``
is ``inf``. Sympy is symbolic and returns the complex principal value at such points instead, so
the three agree wherever the real result is defined. This matches Operon's default operators and
PySR's ``safe_*`` operators (which return ``nan``); protected variants that return 0 or 1 would
make a distilled formula silently disagree with its own sympy form. ``cbrt`` is the *real* cube
root everywhere (sympy: ``sign(x) * |x|^(1/3)``), as in numpy, Operon and PySR.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy
import torch

__all__ = ["OPERATORS", "Operator", "canonical_operator", "validate_operators"]

Fn = Callable[..., Any]

# Precedences shared by the text and LaTeX renderers (higher binds tighter).
ADD, MUL, NEG, POW, ATOM = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class Operator:
    """One operator: its arity, its meaning in each backend and how it is written.

    Parameters
    ----------
    name : str
        Canonical name (the key in :data:`OPERATORS` and in the JSON tree).
    arity : int
        1 or 2.
    sympy, torch, numpy : callable
        The same function over sympy expressions, torch tensors and numpy arrays.
    latex : str
        ``str.format`` template with ``{0}`` (and ``{1}``) for the rendered arguments.
    text : str
        Template of the readable infix form; ``Expression.from_infix`` parses it back.
    precedence, latex_precedence : int
        How tightly the rendered text / LaTeX binds (function calls are atoms), so that a parent
        knows whether to put it in parentheses. Self-delimiting LaTeX such as ``\\frac`` or
        ``e^{x}`` binds like a power: safe in a product, parenthesized as the base of a power.
    text_args, latex_args : tuple of int
        Minimum precedence an argument needs to be rendered without parentheses.
    """

    name: str
    arity: int
    sympy: Callable[..., Any]
    torch: Callable[..., torch.Tensor]
    numpy: Callable[..., np.ndarray]
    latex: str
    text: str
    precedence: int = ATOM
    latex_precedence: int = ATOM
    text_args: tuple[int, ...] = (0, 0)
    latex_args: tuple[int, ...] = (0, 0)


def _sympy_cbrt(a: sympy.Expr) -> sympy.Expr:
    # Real cube root: sympy's cbrt is the complex principal root for negative arguments.
    return sympy.sign(a) * sympy.Abs(a) ** sympy.Rational(1, 3)


def _torch_cbrt(a: torch.Tensor) -> torch.Tensor:
    # torch has no cbrt, and pow of a negative base with exponent 1/3 is nan.
    return torch.sign(a) * torch.abs(a).pow(1.0 / 3.0)


def _sympy_extremum(fn: type) -> Callable[..., Any]:
    def build(a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
        try:
            return fn(a, b)
        except ValueError:  # sympy refuses to compare zoo or I (from 1/0, log(-1)): keep as is
            return fn(a, b, evaluate=False)

    return build


def _torch_sign(a: torch.Tensor) -> torch.Tensor:
    # torch.sign(nan) is 0 where numpy and sympy give nan; keep nan so the backends agree.
    return torch.where(torch.isnan(a), a, torch.sign(a))


def _call(
    name: str, arity: int, sym: Fn, tch: Fn, npy: Fn, latex: str, latex_prec: int = ATOM, **kw: Any
) -> Operator:
    """An operator written as a function call ``name(x)`` / ``name(a, b)`` in text."""
    args = ", ".join(f"{{{i}}}" for i in range(arity))
    return Operator(name, arity, sym, tch, npy, latex, f"{name}({args})", ATOM, latex_prec, **kw)


def _latex_fn(command: str) -> str:
    """LaTeX template of a named function applied to one argument, like ``\\sin(x)``."""
    return command + r"{{\left({0} \right)}}"


def _infix(
    name: str, sym: Fn, tch: Fn, npy: Fn, latex: str, text: str, prec: int,
    args: tuple[int, int], latex_args: tuple[int, int],
) -> Operator:  # fmt: skip
    """A binary operator written between its operands in text and LaTeX."""
    return Operator(name, 2, sym, tch, npy, latex, text, prec, prec, args, latex_args)


_INFIX = (
    _infix("add", lambda a, b: a + b, torch.add, np.add, "{0} + {1}", "{0} + {1}", ADD,
           (ADD, MUL), (ADD, MUL)),
    _infix("sub", lambda a, b: a - b, torch.sub, np.subtract, "{0} - {1}", "{0} - {1}", ADD,
           (ADD, MUL), (ADD, MUL)),
    _infix("mul", lambda a, b: a * b, torch.mul, np.multiply, r"{0} \cdot {1}", "{0}*{1}", MUL,
           (MUL, NEG), (MUL, NEG)),
    Operator("div", 2, lambda a, b: a / b, torch.div, np.divide, r"\frac{{{0}}}{{{1}}}",
             "{0}/{1}", MUL, POW, (MUL, NEG), (0, 0)),
    _infix("pow", lambda a, b: a**b, torch.pow, np.power, "{0}^{{{1}}}", "{0}^{1}", POW,
           (ATOM, ATOM), (ATOM, 0)),
    Operator("neg", 1, lambda a: -a, torch.neg, np.negative, "-{0}", "-{0}", NEG, NEG, (POW,),
             (POW,)),
)  # fmt: skip

_CALLS = (
    _call("square", 1, lambda a: a**2, torch.square, np.square, "{0}^{{2}}", POW,
          latex_args=(ATOM,)),
    _call("cube", 1, lambda a: a**3, lambda a: a * a * a, lambda a: a * a * a, "{0}^{{3}}", POW,
          latex_args=(ATOM,)),
    _call("inv", 1, lambda a: 1 / a, torch.reciprocal, np.reciprocal, r"\frac{{1}}{{{0}}}", POW),
    _call("sqrt", 1, sympy.sqrt, torch.sqrt, np.sqrt, r"\sqrt{{{0}}}"),
    _call("exp", 1, sympy.exp, torch.exp, np.exp, "e^{{{0}}}", POW),
    _call("log", 1, sympy.log, torch.log, np.log, _latex_fn(r"\log")),
    _call("sin", 1, sympy.sin, torch.sin, np.sin, _latex_fn(r"\sin")),
    _call("cos", 1, sympy.cos, torch.cos, np.cos, _latex_fn(r"\cos")),
    _call("tan", 1, sympy.tan, torch.tan, np.tan, _latex_fn(r"\tan")),
    _call("tanh", 1, sympy.tanh, torch.tanh, np.tanh, _latex_fn(r"\tanh")),
    _call("sinh", 1, sympy.sinh, torch.sinh, np.sinh, _latex_fn(r"\sinh")),
    _call("cosh", 1, sympy.cosh, torch.cosh, np.cosh, _latex_fn(r"\cosh")),
    _call("abs", 1, sympy.Abs, torch.abs, np.abs, r"\left|{0}\right|"),
    _call("asin", 1, sympy.asin, torch.asin, np.arcsin, _latex_fn(r"\arcsin")),
    _call("acos", 1, sympy.acos, torch.acos, np.arccos, _latex_fn(r"\arccos")),
    _call("atan", 1, sympy.atan, torch.atan, np.arctan, _latex_fn(r"\arctan")),
    _call("log1p", 1, lambda a: sympy.log(1 + a), torch.log1p, np.log1p,
          r"\log{{\left(1 + {0} \right)}}"),
    _call("sign", 1, sympy.sign, _torch_sign, np.sign,
          r"\operatorname{{sign}}{{\left({0} \right)}}"),
    _call("cbrt", 1, _sympy_cbrt, _torch_cbrt, np.cbrt, r"\sqrt[3]{{{0}}}"),
    _call("sqrtabs", 1, lambda a: sympy.sqrt(sympy.Abs(a)), lambda a: torch.sqrt(torch.abs(a)),
          lambda a: np.sqrt(np.abs(a)), r"\sqrt{{\left|{0}\right|}}"),
    _call("logabs", 1, lambda a: sympy.log(sympy.Abs(a)), lambda a: torch.log(torch.abs(a)),
          lambda a: np.log(np.abs(a)), r"\log{{\left|{0}\right|}}"),
    # Operon's analytic quotient a / sqrt(1 + b^2): a division that never divides by zero.
    _call("aq", 2, lambda a, b: a / sympy.sqrt(1 + b**2), lambda a, b: a / torch.sqrt(1 + b * b),
          lambda a, b: a / np.sqrt(1 + b * b), r"\frac{{{0}}}{{\sqrt{{1 + {1}^{{2}}}}}}", POW,
          latex_args=(0, ATOM)),
    _call("powabs", 2, lambda a, b: sympy.Abs(a) ** b, lambda a, b: torch.pow(torch.abs(a), b),
          lambda a, b: np.power(np.abs(a), b), r"\left|{0}\right|^{{{1}}}", POW),
    _call("max", 2, _sympy_extremum(sympy.Max), torch.maximum, np.maximum,
          r"\max{{\left({0}, {1} \right)}}"),
    _call("min", 2, _sympy_extremum(sympy.Min), torch.minimum, np.minimum,
          r"\min{{\left({0}, {1} \right)}}"),
)  # fmt: skip

OPERATORS: dict[str, Operator] = {op.name: op for op in (*_INFIX, *_CALLS)}
"""Canonical name -> :class:`Operator`."""

_ALIASES: dict[str, str] = {
    "+": "add", "plus": "add",
    "-": "sub", "minus": "sub",
    "*": "mul", "mult": "mul", "times": "mul",
    "/": "div",
    "^": "pow", "**": "pow", "safe_pow": "pow",
    "safe_sqrt": "sqrt", "safe_log": "log", "safe_log1p": "log1p", "ln": "log",
    "safe_asin": "asin", "safe_acos": "acos",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan",
    "reciprocal": "inv",
    "sqrt_abs": "sqrtabs", "log_abs": "logabs", "pow_abs": "powabs",
    "analytic_quotient": "aq",
    "fmax": "max", "maximum": "max", "fmin": "min", "minimum": "min",
}  # fmt: skip


# PySR operators with no offline equivalent in the embedded engine, and what to use instead.
PYSR_ONLY = {
    "cond": "cond(x, y) = (x > 0) * y: use max/min (a ramp) or tanh of a scaled term",
    "greater": "a comparison: use max/min or sign",
    "less": "a comparison: use max/min or sign",
    "logical_or": "a boolean: use max",
    "logical_and": "a boolean: use min",
    "relu": "use max (max(x, 0) with a constant) or abs: relu(x) = (x + abs(x)) / 2",
    "round": "a step function: no smooth equivalent; use sign or tanh",
    "floor": "a step function: no smooth equivalent; use sign or tanh",
    "ceil": "a step function: no smooth equivalent; use sign or tanh",
    "mod": "no equivalent; use sin/cos for periodic terms",
    "exp2": "exp(x * log 2): use exp (the constant is found)",
    "log2": "log(x) / log 2: use log (the constant is found)",
    "log10": "log(x) / log 10: use log (the constant is found)",
    "gamma": "no equivalent in the engine",
    "erf": "no equivalent; tanh of a scaled term is close (erf(x) ~ tanh(1.2x))",
    "erfc": "no equivalent; 1 - tanh of a scaled term is close",
    "atanh": "no equivalent; use log: atanh(x) = log((1 + x) / (1 - x)) / 2",
    "asinh": "no equivalent; use log and sqrt",
    "acosh": "no equivalent; use log and sqrt",
    "sinc": "sin(x) / x: use sin and /",
}


def _valid_names() -> str:
    aliases: dict[str, list[str]] = {}
    for alias, name in _ALIASES.items():
        aliases.setdefault(name, []).append(alias)
    parts = [f"{n} ({', '.join(aliases[n])})" if n in aliases else n for n in OPERATORS]
    return ", ".join(parts)


def canonical_operator(name: str) -> str:
    """Return the canonical name of an operator given in PySR, Operon or sympy spelling.

    Lookup ignores case and surrounding spaces (``"Abs"``, ``" + "``). Unknown names raise a
    ``ValueError`` that lists every valid name, so a typo in a search configuration fails before
    any search starts rather than deep inside a backend.
    """
    if not isinstance(name, str):
        raise TypeError(f"operator names must be strings, got {type(name).__name__}: {name!r}")
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key in PYSR_ONLY:
        raise ValueError(
            f"operator {name!r} is a PySR (Julia) operator with no offline equivalent in the "
            f"embedded engine: {PYSR_ONLY[key]}. Valid operators: {_valid_names()}"
        )
    if key not in OPERATORS:
        raise ValueError(f"unknown operator {name!r}; valid operators: {_valid_names()}")
    return key


def _validate_group(names: Iterable[str], arity: int, label: str) -> tuple[str, ...]:
    if isinstance(names, str):
        raise TypeError(f"{label} must be a sequence of operator names, got the string {names!r}")
    out: list[str] = []
    for name in names:
        canon = canonical_operator(name)
        if OPERATORS[canon].arity != arity:
            kind = {1: "unary", 2: "binary"}[OPERATORS[canon].arity]
            valid = ", ".join(n for n, op in OPERATORS.items() if op.arity == arity)
            raise ValueError(
                f"{name!r} is a {kind} operator and cannot be in {label}; valid {label}: {valid}"
            )
        if canon not in out:
            out.append(canon)
    return tuple(out)


def validate_operators(
    binary: Iterable[str], unary: Iterable[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Check a search's operator lists and return them canonical and de-duplicated.

    Called before any search starts, so that an unknown name or an operator in the wrong list
    (``"sin"`` among the binary operators) is reported at once, naming the operator.

    Returns
    -------
    (binary, unary) : tuple of tuple of str
        Canonical names in the order given.
    """
    return (
        _validate_group(binary, 2, "binary_operators"),
        _validate_group(unary, 1, "unary_operators"),
    )
