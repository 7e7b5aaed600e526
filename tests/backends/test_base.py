"""SearchSpec validation, Pareto filtering and row selection: the parts every backend shares."""

from __future__ import annotations

import math

import numpy as np
import pytest

from symtorch_lab.backends import RawCandidate, SearchBackend, SearchSpec, pareto_filter
from symtorch_lab.backends._data import check_inputs, importance_resample, subsample


def test_spec_stores_canonical_operator_names():
    pysr_style = SearchSpec(binary_operators=["+", "-", "*", "/", "^"], unary_operators=["Sin"])
    assert pysr_style.binary_operators == ("add", "sub", "mul", "div", "pow")
    assert pysr_style.unary_operators == ("sin",)
    assert SearchSpec(binary_operators=("+", "-", "*", "/")) == SearchSpec()
    assert hash(SearchSpec()) == hash(SearchSpec(binary_operators=["add", "sub", "mul", "div"]))


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"maxsize": 1}, "maxsize must be >= 3, got 1"),
        ({"maxsize": 20.5}, "maxsize must be an integer, got 20.5"),
        ({"population_size": 1}, "population_size must be >= 2"),
        ({"niterations": 0}, "niterations must be >= 1, got 0"),
        ({"timeout_in_seconds": 0}, "timeout_in_seconds must be a positive number, got 0"),
        ({"timeout_in_seconds": float("nan")}, "timeout_in_seconds must be a positive"),
        ({"timeout_in_seconds": None}, "no budget"),
        ({"random_state": -1}, "random_state must be >= 0, got -1"),
        ({"random_state": True}, "random_state must be an integer, got True"),
        ({"n_threads": 0}, "n_threads must be >= 1"),
        ({"max_rows": 1}, "max_rows must be >= 2"),
        ({"binary_operators": "+-"}, "sequence of names, got '\\+-'"),
        ({"binary_operators": ("+", "")}, "non-empty strings, got ''"),
        ({"unary_operators": ("*",)}, r"both binary and unary: \['mul'\]"),
        ({"binary_operators": ()}, "at least one operator"),
    ],
)
def test_spec_names_the_bad_value(kw, message):
    with pytest.raises(ValueError, match=message):
        SearchSpec(**kw)


def test_pareto_filter_keeps_strict_improvements_only():
    c = RawCandidate
    raw = [c(5, 0.5, "b"), c(1, 2.0, "a"), c(3, 0.5, "d"), c(3, 0.5, "c"), c(7, 0.7, "e")]
    raw += [c(9, math.nan, "nan"), c(11, math.inf, "inf"), c(13, 0.1, "f")]
    assert pareto_filter(raw) == [c(1, 2.0, "a"), c(3, 0.5, "c"), c(13, 0.1, "f")]
    assert pareto_filter([]) == []


def test_backends_satisfy_the_protocol():
    from symtorch_lab.backends.operon import OperonBackend
    from symtorch_lab.backends.pysr import PySRBackend

    assert isinstance(OperonBackend(), SearchBackend)
    assert isinstance(PySRBackend(), SearchBackend)


def test_row_selection_is_reproducible():
    assert np.array_equal(subsample(10, 20, 0), np.arange(10))
    rows = subsample(1000, 100, 7)
    assert (
        len(rows) == 100 and len(set(rows)) == 100 and np.array_equal(rows, subsample(1000, 100, 7))
    )
    w = np.r_[np.zeros(50), np.ones(50)]
    drawn = importance_resample(w, 1000, 0)
    assert len(drawn) == 300 and drawn.min() >= 50  # 3x rows; zero-weight rows never drawn
    assert np.array_equal(drawn, importance_resample(w, 1000, 0))
    assert len(importance_resample(w, 120, 0)) == 120  # capped by max_rows


def test_check_inputs_converts_and_drops_uniform_weights():
    torch = pytest.importorskip("torch")
    X, y, names, w = check_inputs(torch.ones(4, 2), np.arange(4.0)[:, None], ["a", "b"], np.ones(4))
    assert X.dtype == np.float64 and y.shape == (4,) and names == ("a", "b") and w is None
    with pytest.raises(ValueError, match="non-negative"):
        check_inputs(np.ones((4, 2)), np.ones(4), ["a", "b"], [1, 2, -1, 1])
    with pytest.raises(ValueError, match="unique; repeated: \\['a'\\]"):
        check_inputs(np.ones((4, 2)), np.ones(4), ["a", "a"])
