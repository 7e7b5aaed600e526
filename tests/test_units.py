"""Physical units: the whitelisted unit parser, dimensional consistency of expressions, and the
units penalty that changes the pick (symtorch_lab/units.py, ParetoFront.mark_units)."""

import pickle
from fractions import Fraction

import numpy as np
import pytest

import symtorch_lab as stl
from symtorch_lab.front import Candidate, ParetoFront
from symtorch_lab.units import DIMENSIONLESS, format_dim, parse_unit, units_spec


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kg*m^2/s^2", "M L^2 T^-2"),
        ("J", "M L^2 T^-2"),
        ("N*m", "M L^2 T^-2"),
        ("m/s", "L T^-1"),
        ("m / s ** 2", "L T^-2"),
        ("km/h", "L T^-1"),
        ("(m/s)^2", "L^2 T^-2"),
        ("m^(1/2)", "L^1/2"),
        ("m^-1", "L^-1"),
        ("C", "T I"),
        ("V*A", "M L^2 T^-3"),
        ("K", "Θ"),
        ("1", "1"),
        ("", "1"),
        ("1/s", "T^-1"),
    ],
)
def test_unit_text_parses_to_its_dimension(text, expected):
    assert format_dim(parse_unit(text)) == expected


def test_dimension_vector_forms():
    assert parse_unit({"M": 1, "L": 2, "T": -2}) == parse_unit("J")
    assert parse_unit({"Q": 1}) == parse_unit("C")  # charge = current * time
    assert parse_unit([0, 1, -1, 0, 0]) == parse_unit("m/s")
    assert parse_unit({"K": 1}) == parse_unit({"Θ": 1})
    assert parse_unit({}) == DIMENSIONLESS
    assert parse_unit("m^0.5")[1] == Fraction(1, 2)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("furlong", "unknown unit 'furlong'"),
        ("m**", "expected a number as exponent"),
        ("m*(s", "unclosed"),
        ("m; import os", "unexpected character ';'"),
        ("__import__('os')", "unexpected character"),
        ("__import__", "unknown unit '__import__'"),
        ("m s", "expected '\\*', '/' or the end"),
        ("2*m", "expected a unit name"),
    ],
)
def test_bad_unit_text_is_refused_with_the_fault(bad, message):
    with pytest.raises(ValueError, match=message):
        parse_unit(bad)
    with pytest.raises(ValueError, match="unknown base dimension 'X'"):
        parse_unit({"X": 1})
    with pytest.raises(ValueError, match="5 exponents"):
        parse_unit([1, 2])


NAMES = ("q1", "q2", "r", "m", "v", "t")
UNITS = {"q1": "C", "q2": "C", "r": "m", "m": "kg", "v": "m/s", "t": "s"}


@pytest.mark.parametrize(
    ("text", "output", "consistent", "consistent_pure"),
    [
        # Coulomb: k carries its unit as a wildcard constant, not as a pure number
        ("8.99*q1*q2/r^2", "N", True, False),
        ("q1*q2/r^2", "C^2/m^2", True, True),
        ("0.5*m*v^2", "J", True, True),
        ("m*v^2 + m*v", "J", False, False),  # adding an energy and a momentum
        ("r/t + v", "m/s", True, True),
        ("r + t", "m", False, False),
        ("exp(r)", "1", False, False),  # a transcendental of a length
        ("exp(2.5*r)", "1", True, False),  # the constant can be 1/length
        ("sin(v*t/r)", "1", True, True),
        ("r*t", "m/s", False, False),
        ("sqrt(r*r)", "m", True, True),
        ("r^t", "m", False, False),  # a variable exponent needs a pure-number base
        ("1.5 + r", "m", True, False),
        ("max(r, v)", "m", False, False),
    ],
)
def test_consistency_of_known_expressions(text, output, consistent, consistent_pure):
    expr = stl.Expression.from_infix(text, NAMES)
    wild = units_spec({**UNITS, "y": output}, NAMES)
    pure = units_spec({**UNITS, "y": output}, NAMES, dimensionless_constants=True)
    assert wild.consistent(expr) is consistent
    assert pure.consistent(expr) is consistent_pure


def test_output_units_per_dim_and_unknown_names():
    spec = units_spec({"r": "m", "t": "s", "y0": "m", "y1": "s"}, NAMES)
    expr = stl.Expression.from_infix("r", NAMES)
    assert spec.consistent(expr, 0) and not spec.consistent(expr, 1)
    with pytest.raises(ValueError, match="unknown variable 'z'"):
        units_spec({"z": "m"}, NAMES)
    with pytest.raises(ValueError, match=r"units\['r'\]: unknown unit 'meter'"):
        units_spec({"r": "meter"}, NAMES)


def _front(rows, names):
    cands = [
        Candidate(complexity=stl.Expression.from_infix(t, names).complexity, loss=loss,
                  expression=stl.Expression.from_infix(t, names))
        for t, loss in rows
    ]  # fmt: skip
    return ParetoFront(cands, model_selection="best")


def test_penalty_changes_the_pick_when_the_better_fit_is_inconsistent():
    names = ("x", "t")
    rows = [("x", 1.0), ("x/t", 0.1), ("x/t + x", 0.001)]
    units = {"x": "m", "t": "s", "y": "m/s"}
    plain = _front(rows, names)
    assert str(plain.selected.expression) == "x/t + x"
    penalised = _front(rows, names).mark_units(
        units, dimensionless_constants=True, units_penalty=1000.0
    )
    assert str(penalised.selected.expression) == "x/t"
    assert [c.metrics["dim_consistent"] for c in penalised] == [0.0, 1.0, 0.0]
    # no penalty: marks only, the pick stays PySR's
    marked = _front(rows, names).mark_units(units, dimensionless_constants=True)
    assert str(marked.selected.expression) == "x/t + x"
    # the penalty survives validation rescoring and JSON
    X = np.column_stack([np.linspace(1, 2, 20), np.linspace(1, 3, 20)])
    assert str(penalised.rescore(X, X[:, 0] / X[:, 1]).selected.expression) == "x/t"
    again = ParetoFront.from_json(penalised.to_json())
    assert again.units_penalty == 1000.0 and str(again.selected.expression) == "x/t"
    # and back from a worker process (fronts are pickled there)
    unpickled = pickle.loads(pickle.dumps(penalised))
    assert unpickled.units_penalty == 1000.0 and unpickled[0].metrics["dim_consistent"] == 0.0
    assert str(unpickled.select("best").expression) == "x/t"


def test_penalty_leaves_the_pick_when_the_consistent_fit_is_far_worse():
    names = ("x", "t")
    rows = [("x", 1.0), ("x/t", 0.5), ("x/t + x", 1e-8)]
    front = _front(rows, names).mark_units(
        {"x": "m", "t": "s", "y": "m/s"}, dimensionless_constants=True, units_penalty=10.0
    )
    assert str(front.selected.expression) == "x/t + x"


def test_printed_front_has_a_units_column():
    front = _front([("x", 1.0), ("x/t", 0.1)], ("x", "t"))
    front.mark_units({"x": "m", "t": "s", "y": "m/s"})
    text = repr(front)
    assert "units" in text.splitlines()[0]
    assert "no  x" in text and "yes  x/t" in text
    assert "(units: yes = dimensionally consistent)" in text
