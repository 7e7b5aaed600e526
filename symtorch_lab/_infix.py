"""Reading and writing expression trees as infix text and LaTeX.

Search backends hand us formulas as strings (Operon: ``((1.35 * X2) ^ 2)``, PySR:
``x0*x1 + sin(x2)``). Text from a backend or a file is data, never code, so it is read with a
small tokenizer and a recursive-descent parser that can only build registry operators, numbers
and known variables: no ``eval``, no ``sympify``. The same module writes trees back as readable
infix (which this parser reads again) and as LaTeX, using the precedences in the registry to
place parentheses.

Grammar (Python precedence; ``^`` and ``**`` are both power, right-associative)::

    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := ("-" | "+") unary | power
    power   := atom (("^" | "**") unary)?
    atom    := NUMBER | NAME "(" sum ("," sum)* ")" | NAME | "(" sum ")"
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import lru_cache

import sympy

from ._tree import short
from .operators import ATOM, MUL, NEG, OPERATORS, canonical_operator

Tree = tuple

MAX_NESTING = 100
"""Deepest nesting of parentheses, calls and unary signs the parser accepts (bounds recursion)."""

_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"  # ASCII digits only
    r"|(?P<name>[^\W\d]\w*)"
    r"|(?P<op>\*\*|[-+*/^(),])"
)
_OPERON_VAR = re.compile(r"X([1-9]\d*)")
_NAMED_CONSTANTS = {"pi": math.pi, "E": math.e}


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(
                f"unexpected character {text[pos]!r} at position {pos} in {short(text)}"
            )
        if m.lastgroup != "ws":
            tokens.append((m.lastgroup, m.group(), pos))
        pos = m.end()
    tokens.append(("end", "", len(text)))
    return tokens


def _variable_resolver(names: Sequence[str], text: str) -> Callable[[str, int], Tree]:
    """Map an identifier to a variable node: caller's names first, then Operon's ``X1..Xn``."""
    index = {name: i for i, name in enumerate(names)}
    # X1..Xn are Operon's 1-based default names; they only mean column k-1 when the caller's
    # own names are not of that form (names like ("X0", "X1") must not be shifted by one).
    operon = not any(_OPERON_VAR.fullmatch(name) for name in names)

    def resolve(name: str, pos: int) -> Tree:
        if name in index:
            return ("var", index[name])
        m = _OPERON_VAR.fullmatch(name) if operon else None
        if m is not None:
            k = int(m.group(1))
            if k <= len(names):
                return ("var", k - 1)
            raise ValueError(
                f"variable {name!r} at position {pos} in {short(text)}: Operon's X1..Xn are "
                f"1-based and there are only {len(names)} variables {tuple(names)}"
            )
        if name in _NAMED_CONSTANTS:
            return ("const", _NAMED_CONSTANTS[name])
        raise ValueError(
            f"unknown identifier {short(name)} at position {pos} in {short(text)}; "
            f"variables are {tuple(names)}"
        )

    return resolve


class _Parser:
    """Recursive-descent parser over the token list; one method per grammar rule."""

    def __init__(self, text: str, names: Sequence[str]):
        self.text = text
        self.shown = short(text)  # error messages quote at most 80 characters of the input
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.resolve = _variable_resolver(names, text)

    def _peek(self) -> str:
        return self.tokens[self.i][1]

    def _next(self) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def _fail(self, what: str, tok: tuple[str, str, int]) -> ValueError:
        found = repr(tok[1]) if tok[0] != "end" else "end of text"
        return ValueError(f"expected {what} but found {found} at position {tok[2]} in {self.shown}")

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ValueError(f"expression nested deeper than {MAX_NESTING} levels: {self.shown}")

    def _expect(self, value: str) -> None:
        tok = self._next()
        if tok[1] != value:
            raise self._fail(repr(value), tok)

    def parse(self) -> Tree:
        node = self.sum()
        if self.tokens[self.i][0] != "end":
            raise self._fail("an operator or the end of text", self.tokens[self.i])
        return node

    def sum(self) -> Tree:
        node = self.product()
        while self._peek() in ("+", "-"):
            op = "add" if self._next()[1] == "+" else "sub"
            node = (op, node, self.product())
        return node

    def product(self) -> Tree:
        node = self.unary()
        while self._peek() in ("*", "/"):
            op = "mul" if self._next()[1] == "*" else "div"
            node = (op, node, self.unary())
        return node

    def unary(self) -> Tree:
        if self._peek() not in ("-", "+"):
            return self.power()
        sign = self._next()[1]
        self._enter()
        operand = self.unary()
        self.depth -= 1
        if sign == "+":
            return operand
        if operand[0] == "const":  # "-0.918939" is a negative number, not neg(0.918939)
            return ("const", -operand[1])
        return ("neg", operand)

    def power(self) -> Tree:
        base = self.atom()
        if self._peek() in ("^", "**"):
            self._next()
            self._enter()
            exponent = self.unary()
            self.depth -= 1
            return ("pow", base, exponent)
        return base

    def atom(self) -> Tree:
        tok = self._next()
        kind, value, pos = tok
        if kind == "num":
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(f"number {value!r} at position {pos} overflows in {self.shown}")
            return ("const", number)
        if kind == "name":
            if self._peek() == "(":
                return self._call(value, pos)
            return self.resolve(value, pos)
        if kind == "op" and value == "(":
            self._enter()
            node = self.sum()
            self._expect(")")
            self.depth -= 1
            return node
        raise self._fail("a number, a variable, a function call or '('", tok)

    def _call(self, name: str, pos: int) -> Tree:
        try:
            op = OPERATORS[canonical_operator(name)]
        except ValueError as err:
            raise ValueError(
                f"unknown function {short(name)} at position {pos} in {self.shown}: {err}"
            ) from None
        self._expect("(")
        self._enter()
        args = [self.sum()]
        while self._peek() == ",":
            self._next()
            args.append(self.sum())
        self._expect(")")
        self.depth -= 1
        if len(args) != op.arity:
            raise ValueError(
                f"{name}() at position {pos} takes {op.arity} argument(s), got {len(args)} "
                f"in {self.shown}"
            )
        return (op.name, *args)


def parse_infix(text: str, variable_names: Sequence[str]) -> Tree:
    """Parse infix text into a raw tree of canonical operator names (not yet validated)."""
    if not isinstance(text, str):
        raise ValueError(f"expected infix text as str, got {type(text).__name__}")
    return _Parser(text, variable_names).parse()


# --------------------------------------------------------------------------------- rendering


@lru_cache(maxsize=1024)
def _latex_name(name: str) -> str:
    """sympy's LaTeX of the symbol (``x_{0}``, ``\\theta``), with a multi-letter base upright as
    one word: ``dx`` is ``\\mathrm{dx}``, not the italic product ``dx`` (read d·x)."""
    from sympy.printing.conventions import split_super_sub

    text = sympy.latex(sympy.Symbol(name))
    base = split_super_sub(name)[0]
    if len(base) > 1 and text.startswith(base):  # not a Greek letter or a sympy command
        text = rf"\mathrm{{{base}}}{text[len(base) :]}"
    return text


def _digits(value: float, digits: int) -> str:
    """``value`` to ``digits`` significant digits, with more where that would read as a whole
    number it is not (``1.00002`` is not shown as ``1``: ``1*x`` would claim a unit factor)."""
    text = f"{value:.{digits}g}"
    while digits < 17 and not any(ch in text for ch in ".en") and float(text) != value:
        digits += 1
        text = f"{value:.{digits}g}"
    return text


PI_DENOMINATORS = (1, 2)
"""Constants snap to multiples of pi/q for these q (``polish``) and are shown as such here."""
MAX_DENOMINATOR = 12
"""Constants snap to fractions p/q up to this q (``polish``) and are shown as such here."""


def simple_fraction(value: float) -> tuple[int, int, bool] | None:
    """``(p, q, times_pi)`` when ``value`` is exactly the float of ``p/q`` (a fraction whose
    decimals do not end, q up to :data:`MAX_DENOMINATOR`, below 100 in size) or of
    ``p*pi/q`` (q in :data:`PI_DENOMINATORS`): the values the polish snaps constants to,
    computed as it computes them, shown as such (``2/9``, not ``0.2222``)."""
    if not math.isfinite(value) or value == 0:
        return None
    for q in PI_DENOMINATORS:
        p = round(value / math.pi * q)
        if p != 0 and p * math.pi / q == value:
            return (p // 2, 1, True) if q == 2 and p % 2 == 0 else (p, q, True)
    f = Fraction(value).limit_denominator(MAX_DENOMINATOR)
    q = f.denominator
    while q % 2 == 0 or q % 5 == 0:
        q //= 2 if q % 2 == 0 else 5
    if abs(value) >= 100 or q == 1 or float(f) != value:
        return None
    return f.numerator, f.denominator, False


def _fraction_text(value: float, latex: bool) -> tuple[str, int] | None:
    found = simple_fraction(value)
    if found is None:
        return None
    p, q, times_pi = found
    sign, p = ("-" if p < 0 else ""), abs(p)
    if latex:
        top = (r"\pi" if p == 1 else rf"{p} \pi") if times_pi else str(p)
        text = top if q == 1 else rf"\frac{{{top}}}{{{q}}}"
        return sign + text, NEG if sign else (MUL if q == 1 and p != 1 else ATOM)
    top = ("pi" if p == 1 else f"{p}*pi") if times_pi else str(p)
    text = top if q == 1 else f"{top}/{q}"
    return sign + text, ATOM if text == "pi" and not sign else MUL


def _latex_number(value: float, precision: int) -> tuple[str, int]:
    fraction = _fraction_text(value, latex=True)
    if fraction is not None:
        return fraction
    text = _digits(value, precision)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = rf"{mantissa} \cdot 10^{{{int(exponent)}}}"
        return text, NEG if text.startswith("-") else MUL
    return text, NEG if text.startswith("-") else ATOM


def _render(node: Tree, names: Sequence[str], number: Callable, latex: bool) -> tuple[str, int]:
    kind = node[0]
    if kind == "const":
        return number(node[1])
    if kind == "var":
        return (_latex_name(names[node[1]]) if latex else names[node[1]]), ATOM
    op = OPERATORS[kind]
    minimum = op.latex_args if latex else op.text_args
    parts = []
    for k, child in enumerate(node[1:]):
        text, prec = _render(child, names, number, latex)
        # a leading minus right of an infix operator reads badly ("a - -b"): parenthesize it
        signed = k == 1 and minimum[k] > 0 and op.precedence <= MUL and text.startswith("-")
        if prec < minimum[k] or signed:
            text = rf"\left({text}\right)" if latex else f"({text})"
        parts.append(text)
    template, prec = (op.latex, op.latex_precedence) if latex else (op.text, op.precedence)
    return template.format(*parts), prec


def _exact(value: float) -> str:
    text = repr(value)  # shortest text that reads back as the same float
    return text[:-2] if text.endswith(".0") else text


def to_infix(tree: Tree, names: Sequence[str], digits: int | None = 4) -> str:
    """Readable infix; ``digits`` significant digits, or ``None`` for exact (repr) floats.

    With ``digits``, a constant that is exactly a snapped fraction or multiple of pi is written
    as one (``2/9``, ``pi/2``, see :func:`simple_fraction`)."""

    def number(value: float) -> tuple[str, int]:
        if abs(value) == math.pi:  # read back as math.pi exactly
            text = "pi" if value > 0 else "-pi"
        elif digits is not None and (fraction := _fraction_text(value, latex=False)):
            return fraction  # display only: 2/9 reads back as a division, equal in value
        else:
            text = _exact(value) if digits is None else _digits(value, digits)
        return text, NEG if text.startswith("-") else ATOM

    return _render(tree, names, number, latex=False)[0]


def to_latex(tree: Tree, names: Sequence[str], precision: int = 3) -> str:
    """LaTeX with constants rounded to ``precision`` significant digits (display only)."""
    return _render(tree, names, lambda v: _latex_number(v, precision), latex=True)[0]
