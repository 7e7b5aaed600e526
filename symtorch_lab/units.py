"""Physical units: is a candidate dimensionally consistent with its inputs and output?

A physicist reads ``m*v^2`` as an energy and ``m + v`` as nonsense. Given optional units per
input variable and per output, every candidate on a front can be marked consistent or not, and
the pick can prefer consistent ones. Units are written as text (``"kg*m^2/s^2"``, ``"N"``,
``"m/s"``) and read by a small whitelisted parser (names from :data:`UNITS`, optional SI
prefixes, ``* / ^ ** ( )`` and rational exponents; no ``eval``), or given as a dimension vector
over the SI base dimensions ``M, L, T, I, Θ`` (``{"M": 1, "L": 2, "T": -2}``; ``Q`` is accepted
for charge, ``I·T``).

Fitted constants follow PySR's rule: by default each constant is a *wildcard* that can carry any
unit (``k*q1*q2/r^2`` is consistent, ``k`` being Coulomb's constant); with
``dimensionless_constants=True`` constants are pure numbers. Variables without a unit are
dimensionless (as in PySR when ``X_units`` leaves them out).

Where the penalty acts: Operon's search cannot take a units term, so the check is post hoc. The
front keeps what the search found; the *pick* (PySR's ``model_selection``) multiplies the loss
of every inconsistent candidate by ``1 + units_penalty`` before applying its rule, so a
consistent candidate wins unless the inconsistent one is that many times more accurate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ._tree import short
from .expression import Expression

BASE = ("M", "L", "T", "I", "Θ")
"""SI base dimensions used here: mass, length, time, current, temperature."""

Dim = tuple[Fraction, ...]
DIMENSIONLESS: Dim = (Fraction(0),) * len(BASE)


def _dim(**powers: int) -> Dim:
    return tuple(Fraction(powers.get(b, 0)) for b in ("M", "L", "T", "I", "K"))


UNITS: dict[str, Dim] = {
    "1": DIMENSIONLESS, "rad": DIMENSIONLESS, "sr": DIMENSIONLESS,
    "m": _dim(L=1), "g": _dim(M=1), "kg": _dim(M=1), "s": _dim(T=1), "A": _dim(I=1),
    "K": _dim(K=1), "min": _dim(T=1), "h": _dim(T=1), "Hz": _dim(T=-1),
    "N": _dim(M=1, L=1, T=-2), "J": _dim(M=1, L=2, T=-2), "eV": _dim(M=1, L=2, T=-2),
    "W": _dim(M=1, L=2, T=-3), "Pa": _dim(M=1, L=-1, T=-2), "C": _dim(I=1, T=1),
    "V": _dim(M=1, L=2, T=-3, I=-1), "ohm": _dim(M=1, L=2, T=-3, I=-2),
    "F": _dim(M=-1, L=-2, T=4, I=2), "T": _dim(M=1, T=-2, I=-1), "Wb": _dim(M=1, L=2, T=-2, I=-1),
    "H": _dim(M=1, L=2, T=-2, I=-2),
}  # fmt: skip
"""Unit symbols the parser knows, with their dimension vectors over :data:`BASE`."""

PREFIXES = ("k", "M", "G", "c", "m", "u", "µ", "n", "p")
_ALIASES = {"Q": {"I": 1, "T": 1}}  # charge in a dimension vector
_TOKEN = re.compile(
    r"\s*(?:(?P<num>[0-9]+(?:\.[0-9]+)?)|(?P<name>[^\W\d]\w*)|(?P<op>\*\*|[*/^()-]))"
)


def _mul(a: Dim, b: Dim, sign: int = 1) -> Dim:
    return tuple(x + sign * y for x, y in zip(a, b, strict=True))


def _scale(a: Dim, k: Fraction) -> Dim:
    return tuple(x * k for x in a)


def _symbol(name: str, text: str) -> Dim:
    if name in UNITS:
        return UNITS[name]
    if len(name) > 1 and name[0] in PREFIXES and name[1:] in UNITS and name[1:] != "1":
        return UNITS[name[1:]]
    raise ValueError(
        f"unknown unit {name!r} in {short(text)}; known: {', '.join(UNITS)} "
        f"(with SI prefixes {''.join(PREFIXES)})"
    )


class _UnitParser:
    """``product := power (("*" | "/") power)*``; ``power := atom (("^" | "**") exponent)?``;
    ``atom := NAME | "1" | "(" product ")"``; ``exponent := "-"? NUMBER | "(" "-"? N "/" N ")"``."""

    def __init__(self, text: str):
        self.text, self.tokens, pos = text, [], 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise ValueError(f"unexpected character {text[pos]!r} in unit {short(text)}")
            self.tokens.append((m.lastgroup, m.group(m.lastgroup)))
            pos = m.end()
        self.tokens.append(("end", ""))
        self.i = 0

    def _next(self) -> tuple[str, str]:
        self.i += 1
        return self.tokens[self.i - 1]

    def _fail(self, what: str) -> ValueError:
        got = self.tokens[self.i][1] or "end of text"
        return ValueError(f"expected {what} but found {got!r} in unit {short(self.text)}")

    def parse(self) -> Dim:
        dim = self.product()
        if self.tokens[self.i][0] != "end":
            raise self._fail("'*', '/' or the end")
        return dim

    def product(self) -> Dim:
        dim = self.power()
        while self.tokens[self.i][1] in ("*", "/"):
            sign = 1 if self._next()[1] == "*" else -1
            dim = _mul(dim, self.power(), sign)
        return dim

    def power(self) -> Dim:
        dim = self.atom()
        if self.tokens[self.i][1] in ("^", "**"):
            self._next()
            dim = _scale(dim, self.exponent())
        return dim

    def exponent(self) -> Fraction:
        paren = self.tokens[self.i][1] == "("
        if paren:
            self._next()
        sign = -1 if self.tokens[self.i][1] == "-" and self._next() else 1
        kind, value = self._next()
        if kind != "num":
            self.i -= 1
            raise self._fail("a number as exponent")
        k = Fraction(value)
        if paren and self.tokens[self.i][1] == "/":
            self._next()
            kind, den = self._next()
            if kind != "num" or Fraction(den) == 0:
                raise ValueError(f"bad fractional exponent in unit {short(self.text)}")
            k /= Fraction(den)
        if paren and self._next()[1] != ")":
            raise ValueError(f"unclosed '(' in an exponent of unit {short(self.text)}")
        return sign * k

    def atom(self) -> Dim:
        kind, value = self._next()
        if kind == "name":
            return _symbol(value, self.text)
        if kind == "num" and value == "1":
            return DIMENSIONLESS
        if value == "(":
            dim = self.product()
            if self._next()[1] != ")":
                raise ValueError(f"unclosed '(' in unit {short(self.text)}")
            return dim
        self.i -= 1
        raise self._fail("a unit name, '1' or '('")


def parse_unit(unit: str | Mapping[str, float] | Sequence[float]) -> Dim:
    """A dimension vector over :data:`BASE` from unit text, a ``{"M": 1, ...}`` mapping or a
    sequence of five exponents. ``""`` and ``"1"`` are dimensionless."""
    if isinstance(unit, str):
        return _UnitParser(unit).parse() if unit.strip() else DIMENSIONLESS
    if isinstance(unit, Mapping):
        dim = DIMENSIONLESS
        for key, power in unit.items():
            key = "Θ" if key == "K" else key
            if key not in BASE and key not in _ALIASES:
                raise ValueError(f"unknown base dimension {key!r}; use {BASE} (or Q for charge)")
            base = _ALIASES.get(key, {key: 1})
            dim = _mul(dim, tuple(Fraction(power) * base.get(b, 0) for b in BASE))
        return dim
    values = list(unit)
    if len(values) != len(BASE):
        raise ValueError(f"a dimension vector has {len(BASE)} exponents {BASE}, got {values!r}")
    return tuple(Fraction(v).limit_denominator(1000) for v in values)


def format_dim(dim: Dim) -> str:
    """``M L^2 T^-2`` style text of a dimension vector (``1`` for dimensionless)."""
    parts = [b if k == 1 else f"{b}^{k}" for b, k in zip(BASE, dim, strict=True) if k != 0]
    return " ".join(parts) or "1"


# ------------------------------------------------------------------------ consistency
WILD = None  # a sub-expression that can take any unit (it holds a free constant)
_SAME = {"add", "sub", "max", "min"}
_SCALE = {"neg": 1, "abs": 1, "square": 2, "cube": 3, "inv": -1, "sqrt": Fraction(1, 2),
          "cbrt": Fraction(1, 3), "sqrtabs": Fraction(1, 2)}  # fmt: skip
_BAD = "inconsistent"


def _dims_of(node: tuple, inputs: Sequence[Dim], wild_constants: bool):
    """Dimension of ``node``: a vector, :data:`WILD`, or ``"inconsistent"``."""
    kind = node[0]
    if kind == "const":
        return WILD if wild_constants else DIMENSIONLESS
    if kind == "var":
        return inputs[node[1]]
    if kind in ("pow", "powabs") and node[2][0] == "const":
        base = _dims_of(node[1], inputs, wild_constants)
        if base in (WILD, _BAD):
            return base
        return _scale(base, Fraction(node[2][1]).limit_denominator(1000))
    args = [_dims_of(child, inputs, wild_constants) for child in node[1:]]
    if _BAD in args:
        return _BAD
    if kind in _SCALE:
        return WILD if args[0] is WILD else _scale(args[0], Fraction(_SCALE[kind]))
    if kind in _SAME:
        known = [a for a in args if a is not WILD]
        return WILD if not known else (known[0] if known[0] == known[-1] else _BAD)
    if kind in ("mul", "div"):
        return WILD if WILD in args else _mul(args[0], args[1], 1 if kind == "mul" else -1)
    if kind == "aq":  # a / sqrt(1 + b^2): b must be a pure number
        return args[0] if args[1] in (WILD, DIMENSIONLESS) else _BAD
    # exp, log, sin, ..., sign and pow with a non-constant exponent: pure numbers only
    pure = all(a in (WILD, DIMENSIONLESS) for a in args)
    return DIMENSIONLESS if pure else _BAD


@dataclass(frozen=True)
class UnitSpec:
    """Units of the inputs (by variable name) and outputs (``"y"`` for every output dim,
    ``"y0"``, ``"y1"``, ... for one), parsed once; see :func:`units_spec`."""

    inputs: Mapping[str, Dim]
    outputs: Mapping[int | None, Dim]
    dimensionless_constants: bool = False

    def output(self, dim: int) -> Dim | None:
        return self.outputs.get(dim, self.outputs.get(None))

    def consistent(self, expression: Expression, dim: int = 0) -> bool:
        """True when ``expression`` (for output ``dim``) can carry the output's unit."""
        inputs = [self.inputs.get(n, DIMENSIONLESS) for n in expression.variable_names]
        found = _dims_of(expression.tree, inputs, not self.dimensionless_constants)
        if found == _BAD:
            return False
        want = self.output(dim)
        return found is WILD or want is None or found == want


def units_spec(
    units: Mapping[str, object] | UnitSpec,
    variable_names: Sequence[str],
    *,
    dimensionless_constants: bool = False,
) -> UnitSpec:
    """Parse ``{"x0": "m", "y": "m/s", ...}``; names must be variables or ``y`` / ``y<k>``."""
    if isinstance(units, UnitSpec):
        return units
    if not isinstance(units, Mapping):
        raise ValueError(f"units must be a mapping of variable name to unit, got {short(units)}")
    inputs, outputs = {}, {}
    for name, unit in units.items():
        try:
            dim = parse_unit(unit)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise ValueError(f"units[{name!r}]: {exc}") from None
        if name in variable_names:
            inputs[name] = dim
        elif name == "y" or re.fullmatch(r"y\d+", str(name)):
            outputs[None if name == "y" else int(name[1:])] = dim
        else:
            raise ValueError(
                f"units names unknown variable {name!r}; variables are {tuple(variable_names)} "
                "and outputs 'y' (every output) or 'y0', 'y1', ..."
            )
    return UnitSpec(inputs, outputs, dimensionless_constants)


def mark_units(
    front,
    units: Mapping[str, object] | UnitSpec,
    dim: int = 0,
    *,
    dimensionless_constants: bool = False,
    units_penalty: float | None = None,
):
    """Set the ``dim_consistent`` metric (1.0 or 0.0) of each candidate of ``front`` in place
    (``units`` as in :func:`units_spec`); with ``units_penalty`` the front's pick then prefers
    consistent candidates (module docstring). Returns the front."""
    names = front.candidates[0].expression.variable_names
    spec = units_spec(units, names, dimensionless_constants=dimensionless_constants)
    penalty = units_penalty
    front.candidates = tuple(
        c.with_metrics(dim_consistent=float(spec.consistent(c.expression, dim)))
        for c in front.candidates
    )
    if penalty is not None:
        if not penalty >= 0:  # also refuses nan
            raise ValueError(f"units_penalty must be >= 0, got {penalty!r}")
        front.units_penalty = float(penalty)
        front.select(front.model_selection)
    return front


def check_marks(distiller, names: Sequence[str]) -> None:
    """A ``Distiller``'s ``known_law`` and ``units`` read against ``names`` (before a search)."""
    if distiller.known_law is not None:
        Expression.from_infix(distiller.known_law, names)
    if distiller.units is not None:
        units_spec(distiller.units, names)


def marked(distiller, front, dim: int):
    """A ``Distiller``'s final ``front`` with its known-law and units marks (and pick)."""
    if distiller.known_law is not None:
        front.mark_law(distiller.known_law)
    if distiller.units is not None:
        front.mark_units(
            distiller.units, dim, dimensionless_constants=distiller.dimensionless_constants,
            units_penalty=distiller.units_penalty,
        )  # fmt: skip
    return front
