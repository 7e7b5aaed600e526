"""Presentation MathML of expression trees, as the HTML report typesets picks."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from symtorch_lab._mathml import to_mathml
from symtorch_lab.expression import Expression
from symtorch_lab.operators import OPERATORS

NAMES = ("x0", "x1", "x2", "alpha")


def _ml(text: str, **kw) -> str:
    expr = Expression.from_infix(text, NAMES)
    return to_mathml(expr.tree, expr.variable_names, **kw)


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # numeric character references are valid XML


def _tokens(markup: str) -> list[str]:
    """The leaf texts (mi, mn, mo) in document order."""
    return [el.text for el in _parse(markup).iter() if el.text is not None]


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_every_registry_operator_renders_well_formed_mathml(name):
    arity = OPERATORS[name].arity
    tree = (name, ("var", 0), ("var", 1))[: arity + 1]
    root = _parse(to_mathml(tree, NAMES))
    assert root.tag == "math" and root.get("display") == "block"
    subscripts = [el.find("mn").text for el in root.iter("msub")]
    assert subscripts == ["0", "1"][:arity]  # every operand, in order


def test_variables_numbers_and_signs():
    assert _tokens(_ml("x0 - -x1*x2")) == [
        "x", "0", "\u2212", "(", "\u2212", "x", "1", "\u22c5", "x", "2", ")",
    ]  # fmt: skip
    assert _tokens(_ml("alpha + 2.5")) == ["alpha", "+", "2.5"]
    assert _tokens(_ml("-1.5e-7*x0")) == [
        "\u2212", "1.5", "\u22c5", "10", "\u2212", "7", "\u22c5", "x", "0",
    ]  # fmt: skip
    assert _tokens(_ml("0.123456789", precision=3)) == ["0.123"]


def test_layouts_follow_the_latex_forms():
    root = _parse(_ml("exp(x0)/sqrt(x1) + cbrt(x2)"))
    assert root.find(".//mfrac") is not None and root.find(".//msqrt") is not None
    assert root.find(".//mroot/mn").text == "3"
    sup = root.find(".//msup")
    assert [el.text for el in sup.iter() if el.text] == ["e", "x", "0"]
    assert _tokens(_ml("asin(x0)"))[:1] == ["arcsin"]
    assert _tokens(_ml("(x0 + x1)^2"))[:1] == ["("]  # a sum as a base is parenthesised
    assert 'display="inline"' in _ml("x0", display=False)


def test_huge_powers_render_without_evaluating_them():
    """``9^9^9^9`` sends sympy into an exact integer power; the MathML walk never evaluates."""
    assert _tokens(_ml("9^9^9^9")) == ["9", "9", "9", "9"]
