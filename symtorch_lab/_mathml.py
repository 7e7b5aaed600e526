"""Presentation MathML for expression trees: formulas that a browser renders with no script.

Why a renderer of its own: a shared HTML report must show picks as typeset formulas while
opening with no network (so no KaTeX or MathJax from a CDN) and no kernel. Browsers render
MathML natively. Going through sympy's MathML printer would first build the sympy form, and
that can run for minutes on a tree like ``9^9^9^9`` (sympy evaluates integer powers exactly);
this walks the validated tree instead, with the registry's LaTeX precedences (the layouts
match: fractions and powers are self-delimiting in both), so it is linear in the tree size.
Every name and number is escaped; nothing is evaluated.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from .operators import ATOM, MUL, NEG, OPERATORS

Tree = tuple

_MINUS, _TIMES, _APPLY = "&#x2212;", "&#x22C5;", "&#x2061;"
_SUBSCRIPTED = re.compile(r"^([A-Za-z]+)_?(\d+)$")  # x0, x_0 -> x with subscript 0
_FUNCTION_NAMES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan"}


def _row(*parts: str) -> str:
    return "<mrow>" + "".join(parts) + "</mrow>"


def _mo(symbol: str) -> str:
    return f"<mo>{symbol}</mo>"


def _paren(body: str) -> str:
    return _row(_mo("("), body, _mo(")"))


def _bars(body: str) -> str:
    return _row(_mo("|"), body, _mo("|"))


def _call(name: str, *args: str) -> str:
    inner = _row(*(a if i == 0 else _mo(",") + a for i, a in enumerate(args)))
    return _row(f"<mi>{name}</mi>", _mo(_APPLY), _paren(inner))


def _sup(base: str, exponent: str) -> str:
    return f"<msup>{_row(base)}{_row(exponent)}</msup>"


def _frac(num: str, den: str) -> str:
    return f"<mfrac>{_row(num)}{_row(den)}</mfrac>"


# Operator name -> builder of its MathML from the rendered (and, where needed, parenthesized)
# arguments. Named functions not listed here are written as calls.
_LAYOUT = {
    "add": lambda a, b: a + _mo("+") + b,
    "sub": lambda a, b: a + _mo(_MINUS) + b,
    "mul": lambda a, b: a + _mo(_TIMES) + b,
    "div": _frac,
    "pow": _sup,
    "neg": lambda a: _mo(_MINUS) + a,
    "square": lambda a: _sup(a, "<mn>2</mn>"),
    "cube": lambda a: _sup(a, "<mn>3</mn>"),
    "inv": lambda a: _frac("<mn>1</mn>", a),
    "sqrt": lambda a: f"<msqrt>{a}</msqrt>",
    "cbrt": lambda a: f"<mroot>{_row(a)}<mn>3</mn></mroot>",
    "exp": lambda a: _sup("<mi>e</mi>", a),
    "abs": _bars,
    "log1p": lambda a: _call("log", "<mn>1</mn>" + _mo("+") + a),
    "sqrtabs": lambda a: f"<msqrt>{_bars(a)}</msqrt>",
    "logabs": lambda a: _row("<mi>log</mi>", _mo(_APPLY), _bars(a)),
    "aq": lambda a, b: _frac(a, f"<msqrt><mn>1</mn>{_mo('+')}{_sup(b, '<mn>2</mn>')}</msqrt>"),
    "powabs": lambda a, b: _sup(_bars(a), b),
}


def _name(name: str) -> str:
    match = _SUBSCRIPTED.match(name)
    if match:
        base, index = (html.escape(g) for g in match.groups())
        return f"<msub><mi>{base}</mi><mn>{index}</mn></msub>"
    return f"<mi>{html.escape(name)}</mi>"


def _number(value: float, precision: int) -> tuple[str, int]:
    text = f"{value:.{precision}g}"
    sign = _mo(_MINUS) if text.startswith("-") else ""
    text = text.lstrip("-")
    if "e" in text:
        mantissa, exponent = text.split("e")
        power = _sup("<mn>10</mn>", _number(float(exponent), precision)[0])
        return _row(sign, f"<mn>{mantissa}</mn>", _mo(_TIMES), power), NEG if sign else MUL
    return _row(sign, f"<mn>{text}</mn>"), NEG if sign else ATOM


def _signed(text: str) -> bool:
    """Whether rendered MathML starts with a minus sign (nested rows aside)."""
    while text.startswith("<mrow>"):
        text = text[len("<mrow>") :]
    return text.startswith(_mo(_MINUS))


def _render(node: Tree, names: Sequence[str], precision: int) -> tuple[str, int]:
    kind = node[0]
    if kind == "const":
        return _number(float(node[1]), precision)
    if kind == "var":
        return _name(names[node[1]]), ATOM
    op = OPERATORS[kind]
    parts = []
    for k, child in enumerate(node[1:]):
        text, prec = _render(child, names, precision)
        # as in the LaTeX renderer: "a - -b" reads badly, so a signed right operand gets ()
        signed = k == 1 and op.latex_args[k] > 0 and op.precedence <= MUL and _signed(text)
        if prec < op.latex_args[k] or signed:
            text = _paren(text)
        parts.append(text)
    layout = _LAYOUT.get(kind)
    if layout is None:
        return _call(html.escape(_FUNCTION_NAMES.get(kind, kind)), *parts), op.latex_precedence
    return _row(layout(*parts)), op.latex_precedence


def to_mathml(tree: Tree, names: Sequence[str], precision: int = 4, *, display: bool = True) -> str:
    """A ``<math>`` element for a validated expression tree (constants rounded for display)."""
    body = _render(tree, names, precision)[0]
    mode = "block" if display else "inline"
    # No xmlns: the HTML parser puts <math> in the MathML namespace by itself.
    return f'<math display="{mode}">{body}</math>'
