"""Expression: parsing, round trips, numeric backends, refits and hostile input."""

import copy
import dataclasses
import io
import json
import math
import os
import threading

import numpy as np
import pytest
import sympy
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from symtorch_lab.expression import Expression, ExpressionModule
from symtorch_lab.operators import OPERATORS

NAMES = ("x0", "x1", "x2")
UNARY = sorted(n for n, op in OPERATORS.items() if op.arity == 1)
BINARY = sorted(n for n, op in OPERATORS.items() if op.arity == 2)

constants = st.floats(-4, 4, allow_nan=False, allow_infinity=False, allow_subnormal=False)
leaves = st.one_of(
    st.tuples(st.just("const"), constants), st.tuples(st.just("var"), st.integers(0, 2))
)
trees = st.recursive(
    leaves,
    lambda sub: st.one_of(
        st.tuples(st.sampled_from(UNARY), sub), st.tuples(st.sampled_from(BINARY), sub, sub)
    ),
    max_leaves=8,
)
expressions = trees.map(lambda tree: Expression(tree, NAMES))
PROPERTY = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
PWNED_BEFORE = os.path.exists("/tmp/pwned")
POINTS = np.random.default_rng(0).uniform(-2, 2, size=(24, 3))


def _fold_negated_constants(node):
    """The parser reads "-2.5" as the constant -2.5, not neg(2.5): compare modulo that."""
    if node[0] in ("const", "var"):
        return node
    children = tuple(_fold_negated_constants(child) for child in node[1:])
    if node[0] == "neg" and children[0][0] == "const":
        return ("const", -children[0][1])
    return (node[0], *children)


def _shown(value, digits=4):
    """What ``str`` shows: ``digits`` significant digits, more where fewer would read as a whole
    number the value is not; pi as ``pi``."""
    if abs(value) == math.pi:
        return value
    for d in range(digits, 18):
        rounded = float(f"{value:.{d}g}")
        if not rounded.is_integer() or rounded == value:
            return rounded
    return value


def _round_constants(node, digits=4):
    if node[0] == "const":
        return ("const", _shown(node[1], digits))
    if node[0] == "var":
        return node
    return (node[0], *(_round_constants(child, digits) for child in node[1:]))


# ----------------------------------------------------------------------------- round trips


@PROPERTY
@given(expressions)
def test_json_round_trip_is_exact(expr):
    data = json.loads(json.dumps(expr.to_json(), allow_nan=False))
    assert set(data) == {"version", "variables", "tree"} and data["version"] == 1
    back = Expression.from_json(data)
    assert back == expr and hash(back) == hash(expr)
    assert back.tree == expr.tree  # exact floats, including -0.0 vs 0.0 sign
    assert [math.copysign(1, c) for c in back.constants] == [
        math.copysign(1, c) for c in expr.constants
    ]


@PROPERTY
@given(expressions)
def test_infix_round_trip_keeps_structure(expr):
    exact = Expression.from_infix(expr.to_infix(digits=None), NAMES)
    assert exact.tree == _fold_negated_constants(expr.tree)
    shown = Expression.from_infix(str(expr), NAMES)
    assert shown.tree == _round_constants(_fold_negated_constants(expr.tree))


@PROPERTY
@given(expressions)
def test_torch_and_numpy_agree_in_float64(expr):
    expected = expr.numpy(POINTS)
    assert expected.shape == (len(POINTS),) and expected.dtype == np.float64
    with torch.no_grad():
        got = expr.torch()(torch.tensor(POINTS)).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12, equal_nan=True)


def _sympy_values(expr_sympy, points):
    symbols = [sympy.Symbol(n) for n in NAMES]
    out = []
    for row in points[:6]:
        try:
            value = complex(expr_sympy.evalf(subs=dict(zip(symbols, row, strict=True))))
        except (TypeError, ValueError):  # zoo, nan, Max(0, zoo): no complex value
            value = complex(math.nan, 0)
        out.append(value.real if abs(value.imag) <= 1e-9 * (1 + abs(value.real)) else math.nan)
    return np.array(out)


def _close_where_finite(got, expected):
    mask = np.isfinite(expected) & np.isfinite(got)
    np.testing.assert_allclose(got[mask], expected[mask], rtol=1e-6, atol=1e-8)


_NOT_CONVERTIBLE = (sympy.I, sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(expressions)
def test_sympy_form_matches_numerically_and_converts_back(expr):
    s = expr.sympy()
    assert {str(x) for x in s.free_symbols} <= set(NAMES)
    expected = expr.numpy(POINTS[:6])
    values = _sympy_values(s, POINTS)
    finite = np.isfinite(expected)
    assert np.all(np.isfinite(values[finite]))  # real wherever numpy is finite
    _close_where_finite(values, expected)
    if s.has(*_NOT_CONVERTIBLE) or s.atoms(sympy.re, sympy.im):
        return  # sympy made a complex number or re()/im(): outside the whitelist on purpose
    back = Expression.from_sympy(s, NAMES)
    _close_where_finite(back.numpy(POINTS[:6]), expected)


# ---------------------------------------------------------------------------------- parser

OPERON_A = "((1.350923 * X2) * ((1.923995 * X1) / ((1.612194 * X3) ^ 2)))"
OPERON_B = "exp(((-0.918939) - ((0.707107 * X1) ^ 2)))"


def test_parse_operon_product_string():
    expr = Expression.from_infix(OPERON_A, NAMES)
    x0, x1, x2 = ("var", 0), ("var", 1), ("var", 2)
    assert expr.tree == (
        "mul",
        ("mul", ("const", 1.350923), x1),
        ("div", ("mul", ("const", 1.923995), x0), ("pow", ("mul", ("const", 1.612194), x2),
                                                    ("const", 2.0))),
    )  # fmt: skip
    X = POINTS
    expected = 1.350923 * X[:, 1] * (1.923995 * X[:, 0] / (1.612194 * X[:, 2]) ** 2)
    np.testing.assert_allclose(expr.numpy(X), expected, rtol=1e-14)
    assert expr.complexity == 13 and expr.variables_used == (0, 1, 2)
    np.testing.assert_array_equal(expr.constants, [1.350923, 1.923995, 1.612194])


def test_parse_operon_gaussian_string_with_negative_constant():
    expr = Expression.from_infix(OPERON_B, ["a", "b"])
    assert expr.tree == (
        "exp", ("sub", ("const", -0.918939), ("pow", ("mul", ("const", 0.707107), ("var", 0)),
                                                ("const", 2.0))),
    )  # fmt: skip
    X = POINTS[:, :2]
    expected = np.exp(-0.918939 - (0.707107 * X[:, 0]) ** 2)
    np.testing.assert_allclose(expr.numpy(X), expected, rtol=1e-14)
    assert expr.variables_used == (0,)


def test_parse_operon_composed_forms():
    aq = Expression.from_infix("((1.000000 * X2) / (sqrt(1 + (-0.500000) ^ 2)))", NAMES)
    assert aq.numpy(POINTS) == pytest.approx(POINTS[:, 1] / math.sqrt(1.25))
    log1p = Expression.from_infix("log((1.000000 * X1)+1)", NAMES)
    assert log1p.numpy(POINTS[POINTS[:, 0] > -1]) == pytest.approx(
        np.log1p(POINTS[POINTS[:, 0] > -1, 0])
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x0*x1 + sin(x2)", lambda x0, x1, x2: x0 * x1 + np.sin(x2)),
        ("x0**2", lambda x0, x1, x2: x0**2),
        ("x0 ^ 2 - 1.5e-3*x1 + 2E+2 - .5", lambda x0, x1, x2: x0**2 - 1.5e-3 * x1 + 200 - 0.5),
        ("-x0^2", lambda x0, x1, x2: -(x0**2)),
        ("-2^2 + x0", lambda x0, x1, x2: -4 + x0),
        ("2^3^2 * x0", lambda x0, x1, x2: 512 * x0),
        ("2**-1 * x0", lambda x0, x1, x2: 0.5 * x0),
        ("(-2)^2 * x0", lambda x0, x1, x2: 4 * x0),
        ("x0 - -x1 - +x2", lambda x0, x1, x2: x0 + x1 - x2),
        ("x0 / x1 / x2", lambda x0, x1, x2: x0 / x1 / x2),
        ("x0 - x1 - x2", lambda x0, x1, x2: x0 - x1 - x2),
        ("-(x0 + x1) * x2", lambda x0, x1, x2: -(x0 + x1) * x2),
        ("Abs(x0) + sqrt(Abs(x1)) * pi - E",
         lambda x0, x1, x2: abs(x0) + abs(x1) ** 0.5 * np.pi - np.e),
        ("max(x0, x1) + pow(x2, 2)", lambda x0, x1, x2: np.maximum(x0, x1) + x2**2),
    ],
)  # fmt: skip
def test_parse_pysr_and_sympy_style(text, expected):
    expr = Expression.from_infix(text, NAMES)
    np.testing.assert_allclose(expr.numpy(POINTS), expected(*POINTS.T), rtol=1e-12)


def test_operon_names_are_one_based_unless_caller_names_look_like_them():
    assert Expression.from_infix("X1 + X3", ["a", "b", "c"]).variables_used == (0, 2)
    assert Expression.from_infix("X1", ["X1", "X2"]).tree == ("var", 0)
    assert Expression.from_infix("X1", ["X0", "X1"]).tree == ("var", 1)  # names win, no shift
    with pytest.raises(ValueError, match="unknown identifier 'X2'"):
        Expression.from_infix("X2", ["X0", "X1"])
    with pytest.raises(ValueError, match="1-based"):
        Expression.from_infix("X3", ["a", "b"])
    assert Expression.from_infix("pi * e", ["e"]).tree == ("mul", ("const", math.pi), ("var", 0))


@pytest.mark.parametrize(
    "text",
    [
        "x0 +", "sin(x0, x1)", "pow(x0)", "foo(x0)", "x5", "x0 x1", "2x0", "x0 = 1", "x0; x1",
        "x0.real", "x0[0]", "(x0", "x0)", "", "lambda: x0", "x0 if x1 else x2", "1e999 * x0",
        "x0 @ x1", "__import__('os').system('touch /tmp/pwned')", "exec('1')", "x0 % 2",
    ],
)  # fmt: skip
def test_parser_rejects_malformed_and_hostile_text(text):
    with pytest.raises(ValueError):
        Expression.from_infix(text, NAMES)
    assert PWNED_BEFORE or not os.path.exists("/tmp/pwned")


def test_parser_bounds_nesting_without_recursion_error():
    with pytest.raises(ValueError, match="nested deeper"):
        Expression.from_infix("(" * 5000 + "x0" + ")" * 5000, NAMES)
    with pytest.raises(ValueError, match="nested deeper"):
        Expression.from_infix("-" * 5000 + "x0", NAMES)
    assert Expression.from_infix("(" * 50 + "x0" + ")" * 50, NAMES).tree == ("var", 0)


# ------------------------------------------------------------------------- hostile input


def _hostile_payloads(marker):
    attack = f"__import__('os').system('touch {marker}')"
    ok_tree = ["add", ["var", 0], ["const", 1.0]]
    base = {"version": 1, "variables": ["x0"], "tree": ok_tree}
    deep: list = ["var", 0]
    for _ in range(5000):
        deep = ["neg", deep]
    return [
        attack,
        {**base, "tree": [attack, ["var", 0]]},
        {**base, "tree": ["add", ["var", 0], attack]},
        {**base, "tree": ["const", attack]},
        {**base, "tree": ["var", attack]},
        {**base, "variables": [attack]},
        {**base, "variables": attack},
        {**base, "version": attack},
        {**base, "extra": attack},
        {**base, "tree": attack},
        {**base, "tree": ["const", math.nan]},
        {**base, "tree": ["const", math.inf]},
        {**base, "tree": ["const", 10**400]},
        {**base, "tree": ["const", True]},
        {**base, "tree": ["var", True]},
        {**base, "tree": ["var", 1]},
        {**base, "tree": ["var", -1]},
        {**base, "tree": ["sin", ["var", 0], ["var", 0]]},
        {**base, "tree": ["add", ["var", 0]]},
        {**base, "tree": []},
        {**base, "tree": deep},
        {**base, "version": 2},
        {**base, "version": True},
        {**base, "variables": ["x0", "x0"]},
        {"version": 1, "variables": ["x0"]},
        None,
        [1, 2],
        '{"version": 1, "variables": ["x0"], "tree": ["const", NaN]}',
    ]


def test_hostile_json_is_refused_and_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    for payload in _hostile_payloads(marker) + _hostile_payloads("/tmp/pwned"):
        with pytest.raises(ValueError):
            Expression.from_json(payload)
    assert not marker.exists()
    assert PWNED_BEFORE or not os.path.exists("/tmp/pwned")
    good = {"version": 1, "variables": ["x0"], "tree": ["add", ["var", 0], ["const", 1]]}
    assert Expression.from_json(json.dumps(good)).tree == ("add", ("var", 0), ("const", 1.0))


def test_from_sympy_whitelists_node_types(tmp_path):
    x0, x1 = sympy.symbols("x0 x1")
    marker = tmp_path / "pwned"
    for bad in [
        sympy.Function("f")(x0), sympy.Integral(x0, x0), sympy.I * x0, x0 + sympy.Symbol("y"),
        sympy.zoo * x0, sympy.Piecewise((x0, x0 > 0), (0, True)), sympy.asinh(x0),
        f"__import__('os').system('touch {marker}')", "x0 + 1", None,
    ]:  # fmt: skip
        with pytest.raises(ValueError):
            Expression.from_sympy(bad, NAMES)
    assert not marker.exists()


def test_from_sympy_builds_readable_trees():
    x0, x1 = sympy.symbols("x0 x1")
    cases = {
        x0 - x1: ("sub", ("var", 0), ("var", 1)),
        x0 / x1: ("div", ("var", 0), ("var", 1)),
        sympy.sqrt(x0): ("sqrt", ("var", 0)),
        -x0: ("neg", ("var", 0)),
        -2.5 * x0: ("mul", ("const", -2.5), ("var", 0)),
        sympy.pi * x0**2: ("mul", ("const", math.pi), ("square", ("var", 0))),
        sympy.Rational(1, 4) * sympy.exp(x1): ("mul", ("const", 0.25), ("exp", ("var", 1))),
        sympy.Max(x0, x1): ("max", ("var", 0), ("var", 1)),
    }
    for s, tree in cases.items():
        assert Expression.from_sympy(s, NAMES).tree == tree, s
    cbrt = Expression.from_infix("2*cbrt(x0)", NAMES)
    assert Expression.from_sympy(cbrt.sympy(), NAMES).tree == cbrt.tree


# --------------------------------------------------------------------------- value object


def test_expression_is_immutable_hashable_and_validated():
    a = Expression.from_infix("2.5*x0^2 + cos(x1)", NAMES)
    b = Expression(("add", ("mul", ("const", 2.5), ("pow", ("var", 0), ("const", 2))),
                    ["cos", ["var", 1]]), list(NAMES))  # fmt: skip
    assert a == b and hash(a) == hash(b) and {a: 1}[b] == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.tree = ("var", 0)
    assert a != Expression(a.tree, ("x0", "x1", "z"))
    for names in (["x0", "x 1"], ["x0", "x0"], "x0", ["x0", 1]):
        with pytest.raises(ValueError):
            Expression(("var", 0), names)
    with pytest.raises(ValueError, match="unknown operator 'sine'"):
        Expression(("sine", ("var", 0)), NAMES)


def test_str_repr_latex():
    expr = Expression.from_infix("2.345678*x0^2 + cos(x1) - x0*(-x1)", NAMES)
    assert str(expr) == "2.346*x0^2 + cos(x1) - x0*(-x1)"
    assert repr(expr) == (
        "Expression.from_infix('2.345678*x0^2 + cos(x1) - x0*(-x1)', ('x0', 'x1', 'x2'))"
    )
    latex = expr.latex(precision=3)
    assert latex == (
        r"2.35 \cdot x_{0}^{2} + \cos{\left(x_{1} \right)} - x_{0} \cdot \left(-x_{1}\right)"
    )
    assert expr.constants[0] == 2.345678  # display rounding only
    assert expr._repr_latex_() == f"${latex}$"
    tiny = Expression.from_infix("1.23456e-7 * x0", NAMES)
    assert tiny.latex(precision=2) == r"1.2 \cdot 10^{-7} \cdot x_{0}"
    assert str(Expression.from_infix("exp(x0)^2 / (x1 + 1)", NAMES)) == "exp(x0)^2/(x1 + 1)"


def test_no_constant_is_shown_as_a_whole_number_it_is_not():
    # the demo's pick printed "1*square(x0)" for 1.00002*x0^2: a unit factor that is not one
    e = Expression.from_infix("1.00002*square(x0) - 4.00001 + 2.5*x1 + 1*x2", NAMES)
    assert str(e) == "1.00002*square(x0) - 4.00001 + 2.5*x1 + 1*x2"
    assert e.latex(precision=3).startswith(r"1.00002 \cdot x_{0}^{2} - 4.00001")
    assert str(Expression.from_infix("1000.3*x0", NAMES)) == "1000.3*x0"


def test_pi_is_shown_as_pi_and_reads_back_exactly():
    e = Expression.from_infix("pi*x0^2 - pi", NAMES)
    assert str(e) == "pi*x0^2 - pi" and e.to_infix(None) == "pi*x0^2 - pi"
    assert e.latex() == r"\pi \cdot x_{0}^{2} - \pi"
    assert Expression.from_infix(str(e), NAMES) == e
    assert e.sympy() == sympy.pi * sympy.Symbol("x0") ** 2 - sympy.pi


def test_snapped_fractions_and_multiples_of_pi_are_shown_as_such():
    # Stokes' 2/9 printed as 0.2222 and the logistic's 1/9 as 0.1111: values the polish snaps
    # to, exactly, shown as the decimals a physicist has to recognise
    x0 = ("var", 0)
    cases = [
        (2 / 9, "2/9*x0", r"\frac{2}{9} \cdot x_{0}"),
        (-1 / 3, "-1/3*x0", r"-\frac{1}{3} \cdot x_{0}"),
        (math.pi / 2, "pi/2*x0", r"\frac{\pi}{2} \cdot x_{0}"),
        (-3 * math.pi / 2, "-3*pi/2*x0", r"-\frac{3 \pi}{2} \cdot x_{0}"),
        (2 * math.pi, "2*pi*x0", r"2 \pi \cdot x_{0}"),
    ]
    for value, text, latex in cases:
        e = Expression(("mul", ("const", value), x0), NAMES)
        assert (str(e), e.latex()) == (text, latex)
        back = Expression.from_infix(str(e), NAMES)
        assert back.numpy(np.array([[1.7, 0, 0]]))[0] == pytest.approx(1.7 * value, rel=1e-15)
        assert Expression.from_infix(e.to_infix(None), NAMES) == e  # exact text unchanged
    power = Expression(("pow", x0, ("const", 1 / 3)), NAMES)
    ratio = Expression(("div", x0, ("const", 2 / 3)), NAMES)
    right = Expression(("mul", x0, ("const", -2 / 9)), NAMES)
    assert (str(power), str(ratio), str(right)) == ("x0^(1/3)", "x0/(2/3)", "x0*(-2/9)")
    # a fitted value near a fraction, a terminating decimal, a big one: decimals as before
    for value, text in [(0.2222, "0.2222*x0"), (0.25, "0.25*x0"), (700 / 3, "233.3*x0")]:
        assert str(Expression(("mul", ("const", value), x0), NAMES)) == text


def test_constants_complexity_and_with_constants():
    expr = Expression.from_infix("2.5*x0^2 + 0.5*cos(x2) + x0^1.5", NAMES)
    # integral exponents are structure: not fitted, not listed
    np.testing.assert_array_equal(expr.constants, [2.5, 0.5, 1.5])
    assert expr.complexity == 14 and expr.variables_used == (0, 2)
    other = expr.with_constants([1.0, 2.0, 2.5])
    assert str(other) == "1*x0^2 + 2*cos(x2) + x0^2.5"
    assert other.constants.tolist() == [1.0, 2.0, 2.5]
    assert expr.with_constants([1.0, 2.0, 3.0]).constants.tolist() == [1.0, 2.0]  # now integral
    arr = expr.constants
    arr[0] = 99.0
    assert expr.constants[0] == 2.5  # a copy, the expression stays immutable
    with pytest.raises(ValueError, match="has 3 constants, got 2"):
        expr.with_constants([1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        expr.with_constants([1.0, math.nan, 2.0])


def test_integral_exponents_are_fixed_and_huge_ones_stay_free():
    expr = Expression(("add", ("pow", ("var", 0), ("const", 3.0)),
                       ("pow", ("var", 1), ("const", 1e300))), NAMES)  # fmt: skip
    assert expr.constants.tolist() == [1e300]  # too large for an integer power kernel
    X = np.array([[-2.0, 1.0, 0.0], [1.5, 0.5, 0.0]])
    np.testing.assert_array_equal(expr.numpy(X), [-7.0, 3.375])
    out = expr.torch()(torch.tensor(X)).detach()
    torch.testing.assert_close(out, torch.tensor([-7.0, 3.375], dtype=torch.float64))


def test_numpy_shapes_and_errors():
    const = Expression(("const", 3.0), NAMES)
    assert const.numpy(POINTS).tolist() == [3.0] * len(POINTS)
    expr = Expression.from_infix("x0 + x2", NAMES)
    np.testing.assert_allclose(expr.numpy(torch.tensor(POINTS)), POINTS[:, 0] + POINTS[:, 2])
    with pytest.raises(ValueError, match=r"expected X of shape \(n_rows, 3\).*got shape \(24, 2\)"):
        expr.numpy(POINTS[:, :2])
    assert np.isnan(Expression.from_infix("log(x0)", NAMES).numpy([[-1.0, 0, 0]]))[0]


# ---------------------------------------------------------------------------------- torch


def test_torch_module_has_parameter_constants_and_gradients_flow():
    expr = Expression.from_infix("2.5*x0^2 + cos(1.5*x1)", NAMES)
    module = expr.torch()
    assert isinstance(module, ExpressionModule) and isinstance(module, nn.Module)
    params = list(module.parameters())
    assert len(params) == 1 and isinstance(params[0], nn.Parameter)
    assert params[0].dtype == torch.float64 and params[0].tolist() == [2.5, 1.5]
    X = torch.tensor(POINTS, requires_grad=True)
    module(X).sum().backward()
    x = X.detach()
    expected = [float((x[:, 0] ** 2).sum()), float((-torch.sin(1.5 * x[:, 1]) * x[:, 1]).sum())]
    np.testing.assert_allclose(module.constants.grad.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(X.grad[:, 0].numpy(), 5.0 * POINTS[:, 0], rtol=1e-12)


def test_torch_fine_tuning_moves_constants_and_reads_back():
    X = torch.tensor(POINTS)
    y = 3.0 * X[:, 0] - 1.0
    module = Expression.from_infix("1*x0 + 0", NAMES).torch()
    opt = torch.optim.Adam(module.parameters(), lr=0.1)
    for _ in range(300):
        opt.zero_grad()
        torch.mean((module(X) - y) ** 2).backward()
        opt.step()
    assert module.expression.constants == pytest.approx([3.0, -1.0], abs=1e-3)
    assert "x0" in repr(module)


def test_torch_follows_input_dtype_and_broadcasts_constants():
    expr = Expression.from_infix("2.5*x0 + exp(0.1)", NAMES)
    X32 = torch.tensor(POINTS, dtype=torch.float32)
    out = expr.torch()(X32)
    assert out.dtype == torch.float32 and out.shape == (len(POINTS),)
    np.testing.assert_allclose(out.detach().numpy(), expr.numpy(POINTS), rtol=1e-6)
    const = Expression(("const", 2.0), NAMES).torch()
    out = const(X32)
    assert out.shape == (len(POINTS),) and out.dtype == torch.float32
    out.sum().backward()
    assert const.constants.grad.tolist() == [len(POINTS)]
    assert expr.torch()(X32.reshape(4, 6, 3)).shape == (4, 6)
    with pytest.raises(ValueError, match=r"last dim 3, got shape \(24, 2\)"):
        expr.torch()(X32[:, :2])


def test_module_survives_deepcopy_and_torch_save():
    module = Expression.from_infix("2.5*x0^2 + cos(x1)", NAMES).torch()
    with torch.no_grad():
        module.constants[0] = 3.0  # fine-tuned state must travel too
    X = torch.tensor(POINTS)
    expected = module(X).detach()
    clone = copy.deepcopy(module)
    buffer = io.BytesIO()
    torch.save(module, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)  # our own bytes, just written
    for other in (clone, loaded):
        torch.testing.assert_close(other(X).detach(), expected)
        assert other.expression.constants.tolist() == [3.0]


# ---------------------------------------------------------------------------------- refit

RNG = np.random.default_rng(1)
X_FIT = RNG.uniform(-2, 2, size=(400, 3))


def test_refit_recovers_constants_to_1e_8():
    y = 2.5 * X_FIT[:, 0] ** 2 + np.cos(X_FIT[:, 1])
    start = Expression.from_infix("2.3*x0^2 + 0.8*cos(x1)", NAMES)
    fitted = start.refit(X_FIT, y)
    np.testing.assert_allclose(fitted.constants, [2.5, 1.0], atol=1e-8)
    assert fitted.tree[1][2] == ("pow", ("var", 0), ("const", 2.0))  # exponent untouched


def test_refit_uses_sample_weight():
    X = np.zeros((100, 3))
    y = np.r_[np.zeros(50), np.full(50, 10.0)]
    start = Expression(("const", 1.0), NAMES)
    assert start.refit(X, y).constants[0] == pytest.approx(5.0, abs=1e-9)
    weights = np.r_[np.ones(50), np.full(50, 3.0)]
    assert start.refit(X, y, sample_weight=weights).constants[0] == pytest.approx(7.5, abs=1e-9)
    with pytest.raises(ValueError, match="sample_weight"):
        start.refit(X, y, sample_weight=-weights)
    with pytest.raises(ValueError, match="y must have 100 rows like X"):
        start.refit(X, y[:10])


def test_refit_with_custom_l1_loss_ignores_outliers():
    y = 2.0 * X_FIT[:, 0] + 1.0
    y[:20] += 50.0  # 5% gross outliers
    start = Expression.from_infix("1.5*x0 + 0.5", NAMES)

    def l1(pred, target, weight):
        return torch.sum(weight * torch.abs(pred - target)) / torch.sum(weight)

    robust = start.refit(X_FIT, y, loss=l1)
    mse = start.refit(X_FIT, y)
    assert robust.constants == pytest.approx([2.0, 1.0], abs=1e-3)
    assert abs(mse.constants[1] - 1.0) > 1.0  # the MSE fit is pulled by the outliers


def test_refit_never_makes_the_fit_worse():
    y = 2.5 * X_FIT[:, 0]
    start = Expression.from_infix("2.5*x0", NAMES)
    assert start.refit(X_FIT, y) is start  # already exact: nothing strictly better
    assert start.refit(X_FIT, y, loss=lambda p, t, w: torch.sum(p * torch.nan)) is start
    no_constants = Expression.from_infix("x0", NAMES)
    assert no_constants.refit(X_FIT, y) is no_constants
    nan_start = Expression.from_infix("log(x0 - 5.0)", NAMES)
    assert nan_start.refit(X_FIT, y) is nan_start


# ------------------------------------------------------------------------------- simplify


def test_simplified_reduces_complexity():
    expr = Expression.from_infix("x0*x1 + x1*x0 + sin(x2)^2 + cos(x2)^2", NAMES)
    simple = expr.simplified()
    assert simple.complexity < expr.complexity
    np.testing.assert_allclose(simple.numpy(POINTS), expr.numpy(POINTS), rtol=1e-12)


def test_simplified_falls_back_on_timeout(monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(sympy, "simplify", lambda e: release.wait(10) and e)
    expr = Expression.from_infix("x0 + x0", NAMES)
    try:
        assert expr.simplified(timeout_s=0.05) is expr
        assert expr.sympy(simplify=False) == 2 * sympy.Symbol("x0")
    finally:
        release.set()


@pytest.mark.parametrize("text", ["٣*x0", "３ + x0", "x0 * 1e٣"])
def test_unicode_digits_are_not_numbers(text):
    with pytest.raises(ValueError):
        Expression.from_infix(text, ["x0"])


def test_expression_module_sees_in_place_changes_of_its_constants_under_no_grad():
    module = ExpressionModule(Expression.from_infix("2.0*x0", ["x0"]))
    X = torch.ones(3, 1, dtype=torch.float32)
    with torch.no_grad():
        assert module(X).tolist() == [2.0, 2.0, 2.0]
        module.constants.data[0] = 5.0
        assert module(X).tolist() == [5.0, 5.0, 5.0]


def test_latex_writes_multi_letter_names_upright_as_one_word():
    """``dx`` rendered as italic ``dx`` (d·x, a product) in the physics notebooks' LaTeX."""
    names = ("dx", "dy", "x0", "theta", "dx2", "vel_x")
    e = Expression.from_infix("dx*dy + x0 - theta + dx2*vel_x", names)
    assert e.latex() == (
        r"\mathrm{dx} \cdot \mathrm{dy} + x_{0} - \theta + \mathrm{dx}_{2} \cdot \mathrm{vel}_{x}"
    )
