"""The operator registry: names, arity checks and agreement of the three backends."""

import math

import numpy as np
import pytest
import sympy
import torch

from symtorch_lab.operators import OPERATORS, canonical_operator, validate_operators

REQUIRED = (
    "add sub mul div pow neg inv square cube sqrt exp log sin cos tan tanh sinh cosh abs asin "
    "acos atan log1p cbrt"
).split()


def test_registry_has_required_operators_with_all_forms():
    for name in REQUIRED:
        op = OPERATORS[name]
        assert op.name == name
        assert op.arity in (1, 2)
        assert callable(op.sympy) and callable(op.torch) and callable(op.numpy)
        assert "{0}" in op.latex and "{0}" in op.text
    assert OPERATORS["sin"].arity == 1 and OPERATORS["pow"].arity == 2


@pytest.mark.parametrize(
    ("alias", "name"),
    [("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "div"), ("^", "pow"), ("**", "pow"),
     ("add", "add"), ("mult", "mul"), ("Abs", "abs"), (" sin ", "sin"), ("safe_log", "log"),
     ("sqrtabs", "sqrtabs"), ("logabs", "logabs"), ("aq", "aq"), ("fmax", "max")],
)  # fmt: skip
def test_canonical_operator_accepts_pysr_operon_sympy_spellings(alias, name):
    assert canonical_operator(alias) == name


def test_canonical_operator_unknown_lists_valid_names():
    with pytest.raises(ValueError, match="unknown operator 'sine'") as info:
        canonical_operator("sine")
    for name in ("add (+", "sin", "cbrt", "pow (^"):
        assert name in str(info.value)
    with pytest.raises(TypeError):
        canonical_operator(3)


def test_validate_operators_canonicalises_and_deduplicates():
    binary, unary = validate_operators(["+", "*", "add", "^", "/"], ["sin", "Abs", "safe_log"])
    assert binary == ("add", "mul", "pow", "div")
    assert unary == ("sin", "abs", "log")
    assert validate_operators((), ()) == ((), ())


def test_validate_operators_rejects_wrong_arity_naming_the_operator():
    with pytest.raises(ValueError, match=r"'sin' is a unary operator .* binary_operators"):
        validate_operators(["+", "sin"], [])
    with pytest.raises(ValueError, match=r"'\*' is a binary operator .* unary_operators"):
        validate_operators(["+"], ["cos", "*"])
    with pytest.raises(ValueError, match="unknown operator 'foo'"):
        validate_operators(["+"], ["foo"])
    with pytest.raises(TypeError, match="got the string 'sin'"):
        validate_operators(["+"], "sin")


def _sympy_value(op, args):
    value = complex(op.sympy(*(sympy.Float(a) for a in args)).evalf())
    return value.real if abs(value.imag) < 1e-12 else math.nan


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_backends_agree_on_real_values_and_nan(name):
    """Plain mathematical semantics everywhere: same finite values, nan where undefined."""
    op = OPERATORS[name]
    grid = [-2.5, -1.0, -0.5, 0.3, 0.9, 1.7, 3.0]
    points = [(a,) for a in grid] if op.arity == 1 else [(a, b) for a in grid for b in grid[::2]]
    cols = np.array(points).T
    with np.errstate(invalid="ignore", divide="ignore"):
        expected_np = op.numpy(*cols)
    got_torch = op.torch(*(torch.tensor(c) for c in cols)).numpy()
    np.testing.assert_allclose(got_torch, expected_np, rtol=1e-12, atol=1e-14, equal_nan=True)
    for point, value in zip(points, expected_np, strict=True):
        if np.isfinite(value):
            assert _sympy_value(op, point) == pytest.approx(value, rel=1e-9, abs=1e-12), point


@np.errstate(invalid="ignore")
def test_undefined_points_are_nan_in_numpy_and_torch():
    for name, arg in [("log", -1.0), ("sqrt", -4.0), ("asin", 2.0), ("acos", -3.0)]:
        op = OPERATORS[name]
        assert np.isnan(op.numpy(np.array([arg])))[0]
        assert torch.isnan(op.torch(torch.tensor([arg])))[0]
    assert np.isnan(OPERATORS["pow"].numpy(np.array([-8.0]), np.array([0.5])))[0]
    assert OPERATORS["cbrt"].numpy(np.array([-8.0]))[0] == pytest.approx(-2.0)
    assert float(OPERATORS["cbrt"].torch(torch.tensor([-8.0]))[0]) == pytest.approx(-2.0)
    assert torch.isnan(OPERATORS["sign"].torch(torch.tensor([math.nan])))[0]


@pytest.mark.parametrize("name", ["cond", "relu", "erf"])
def test_pysr_only_operators_say_what_to_use_instead(name):
    with pytest.raises(ValueError, match=rf"{name}.*PySR.*no offline equivalent.*: \w"):
        canonical_operator(name)
