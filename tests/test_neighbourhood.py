"""SLIME's neighbourhood: nearest rows on standardised features, halved and floored variance,
the kernel, and the one local fidelity measure."""

import numpy as np
import pytest

from symtorch_lab import local_fidelity
from symtorch_lab import neighbourhood as nb


def test_nearest_rows_use_standardised_distances():
    train = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 200.0], [-4.0, -2000.0], [4.0, 2000.0]])
    # raw distances: row 1 is at 4, row 2 at 200; in standard deviations (3.2 and 1265)
    # row 1 is at 1.25 and row 2 at 0.16
    assert list(nb.nearest_rows(train, np.zeros(2), 2)) == [0, 2]
    with pytest.raises(ValueError, match="num_neighbours=9 must lie in 1..5"):
        nb.nearest_rows(train, np.zeros(2), 9)


def test_variance_is_half_the_neighbours_and_floored():
    train = np.random.default_rng(0).normal(size=(200, 2)) * [1, 4]
    neighbours = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 1.0]])  # feature 1 constant here
    var = nb.sampling_variance(neighbours, train)
    assert var[0] == pytest.approx(4.0 / 2)
    assert var[1] == pytest.approx(nb.VAR_FLOOR * train[:, 1].var())


def test_kernel_width_one_is_symtorchs_formula_and_default_scales_with_d():
    rng = np.random.default_rng(1)
    x0, var = np.zeros(3), np.array([1.0, 2.0, 0.5])
    Z = rng.normal(size=(5, 3))
    want = np.exp(-np.sum((Z - x0) ** 2 / var, axis=1))
    np.testing.assert_allclose(nb.kernel(Z, x0, var, 1.0), want)
    assert nb.default_kernel_width(9) == 3.0
    hood = nb.build(rng.normal(size=(50, 3)), x0, 10, 2000, None, 0.5, rng)
    assert hood.weights[:10].tolist() == [0.5] * 10
    # E[D²] = d: with the default width the mean log-weight of a synthetic point is -1
    assert np.mean(np.log(hood.weights[10:])) == pytest.approx(-1, abs=0.1)


def test_local_fidelity():
    f = lambda X: X[:, 0] ** 2  # noqa: E731
    Z = np.random.default_rng(2).normal(size=(400, 1))
    w = np.exp(-(Z[:, 0] ** 2))
    exact = local_fidelity(f, f, np.zeros(1), Z, w)
    assert exact == {"weighted_mse": 0.0, "r2": 1.0, "abs_error_x0": 0.0}
    off = local_fidelity(f, lambda X: X[:, 0] ** 2 + 1, np.zeros(1), Z, w)
    assert off["weighted_mse"] == pytest.approx(1.0) and off["abs_error_x0"] == pytest.approx(1)
    mean = np.sum(w * f(Z)) / w.sum()
    flat = local_fidelity(f, lambda X: np.full(len(X), mean), np.zeros(1), Z, w)
    assert flat["r2"] == pytest.approx(0.0, abs=1e-12)
    with np.errstate(invalid="ignore"):
        nan = local_fidelity(f, lambda X: np.log(X[:, 0]), np.ones(1), Z, w)
    assert nan["weighted_mse"] == np.inf and nan["r2"] == -np.inf


@pytest.mark.parametrize("level", [0.3, 0.0, -1e4])
def test_local_fidelity_of_a_flat_f_has_no_r2_but_keeps_its_mse(level):
    """A constant black box: its weighted mean alone leaves a spread of ~1e-33, and R² was
    1 - mse/1e-33, a huge negative number. R² is undefined there (NaN); the MSE still tells."""
    Z = np.random.default_rng(3).normal(size=(300, 2))
    w = np.exp(-(Z**2).sum(axis=1))
    f = lambda X: np.full(len(X), level)  # noqa: E731
    near = local_fidelity(f, lambda X: level + 1e-3 * X[:, 0], np.zeros(2), Z, w)
    assert np.isnan(near["r2"])
    assert 0 < near["weighted_mse"] < 1e-6 and near["abs_error_x0"] == pytest.approx(0, abs=1e-12)
    assert np.isnan(local_fidelity(f, f, np.zeros(2), Z, w)["r2"])
    # a saturated float32 probability: a wobble of a few 1e-6 around 0.999995 is flat too
    # (measured in notebooks/slime_teaching.ipynb: LIME's R² was -2.5e11 there)
    sat = lambda X: np.float32(0.999995) + np.float32(4e-6) * np.tanh(X[:, 0])  # noqa: E731
    assert np.isnan(local_fidelity(sat, lambda X: 0.95 + 0.01 * X[:, 1], np.zeros(2), Z, w)["r2"])
    # a small f that varies is not flat: R² is measured
    tiny = local_fidelity(lambda X: 1e-9 * X[:, 0], lambda X: 1e-9 * X[:, 0], np.zeros(2), Z, w)
    assert tiny["r2"] == 1.0
