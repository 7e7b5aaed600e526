"""_refit: the float64 Levenberg-Marquardt refit ends once its progress stalls.

At small search budgets the polish's refits were most of the Distiller's time: on candidates
that are not the law, LM crawled along a valley until ``max_nfev`` (30 evaluations per
constant) for a final loss a few tenths of a percent lower. These tests count evaluations
(never wall time) and check that data a formula fits exactly still reach the float64 floor.
"""

import numpy as np
import pytest

from symtorch_lab import _refit
from symtorch_lab.expression import Expression

RNG = np.random.default_rng(0)
X = RNG.uniform(0.0, 3.0, (500, 1))


def _formula(expr: Expression) -> _refit.Formula:
    return _refit.Formula(expr._numpy_fn, expr._torch_fn, expr.variables_used, expr.constants)


def _refit_mse(expr: Expression, y: np.ndarray, w: np.ndarray) -> tuple[float, int]:
    values, evaluations = _refit._least_squares(_formula(expr), X, y, w)
    assert values is not None
    return _refit.weighted_mse(expr.with_constants(values).numpy(X), y, w), evaluations


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_a_valley_ends_early_within_a_percent_of_the_full_run(monkeypatch, weighted):
    # three decaying exponentials for 1/(1 + x^2): a narrow curved valley, not the law
    y = 1.0 / (1.0 + X[:, 0] ** 2)
    w = RNG.uniform(0.5, 2.0, len(y)) if weighted else np.ones(len(y))
    start = Expression.from_infix("0.3*exp(-0.2*x0) + 0.4*exp(-1.0*x0) + 0.3*exp(-3.0*x0)", ["x0"])
    budget = 30 * (len(start.constants) + 1)
    monkeypatch.setattr(_refit, "STOP_ON_STALL", False)
    full_mse, full_evaluations = _refit_mse(start, y, w)
    assert full_evaluations == budget  # the crawl: LM alone runs to max_nfev here
    monkeypatch.setattr(_refit, "STOP_ON_STALL", True)
    mse, evaluations = _refit_mse(start, y, w)
    assert evaluations <= budget // 4
    assert full_mse <= mse <= 1.01 * full_mse
    assert mse < 0.01 * _refit.weighted_mse(start.numpy(X), y, w)  # it did refit


def test_exact_data_still_reach_the_float64_floor_from_a_poor_start():
    # a start far enough that LM first rejects trial steps while its trust region shrinks
    names = ["x0"]
    y = Expression.from_infix("2.5*exp(-0.7*x0) + 0.3*x0", names).numpy(X)
    start = Expression.from_infix("9*exp(-3*x0) + 2*x0", names)
    mse, evaluations = _refit_mse(start, y, np.ones(len(y)))
    assert mse < 1e-26
    fitted = start.with_constants(
        _refit.least_squares_constants(_formula(start), X, y, np.ones(len(y)))
    )
    np.testing.assert_allclose(fitted.constants, [2.5, -0.7, 0.3], rtol=1e-10)
    assert evaluations < 30 * (len(start.constants) + 1)


def test_within_standard_error_is_the_paired_test():
    rng = np.random.default_rng(3)
    noise = rng.normal(0.0, 1.0, 400)
    w = np.ones(400)
    assert _refit.within_standard_error(noise, w)  # mean ~ 0: nothing measurable
    assert not _refit.within_standard_error(noise + 0.5, w)  # a shift of 10 standard errors
    assert not _refit.within_standard_error(np.full(400, np.nan), w)
