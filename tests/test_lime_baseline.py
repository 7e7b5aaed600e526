"""The real LIME as a baseline: its local model rebuilt on raw features, and SLIME against it
on two datasets with small budgets, measured on one fresh neighbourhood sample."""

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_friedman2
from sklearn.linear_model import LogisticRegression

from symtorch_lab import SlimeExplainer, lime_explanation
from symtorch_lab.lime_baseline import compare

SMALL = {"population_size": 100, "niterations": 15, "maxsize": 15}


def linear(X):
    return 2 * X[:, 0] - X[:, 1] + 0.5 * X[:, 2] + 1


def test_continuous_lime_is_rewritten_per_raw_unit():
    X = np.random.default_rng(0).normal(size=(300, 3)) * [1, 10, 100]
    e = lime_explanation(
        linear,
        X,
        X[0],
        discretize_continuous=False,
        sample_around_instance=True,
        random_state=0,
        num_samples=1000,
    )
    np.testing.assert_allclose(e.coef, [2, -1, 0.5], rtol=0.02)  # LIME's ridge shrinks a bit
    assert e.predict(X[:1])[0] == pytest.approx(e.local_pred, rel=1e-9)  # LIME's own number
    assert e.coef_space == "raw feature units" and e.n_terms == 3


def test_discretized_lime_reads_same_bin_indicators():
    X = np.random.default_rng(1).uniform(-2, 2, (300, 3))
    x0 = np.array([1.5, 1.5, 1.5])  # the top quartile of every feature
    e = lime_explanation(linear, X, x0, random_state=0, num_samples=1000)
    assert e.discretized and "quartile bin" in e.coef_space
    assert e.predict(x0[None])[0] == pytest.approx(e.intercept + e.coef.sum())
    assert e.predict(x0[None])[0] == pytest.approx(e.local_pred, rel=1e-9)
    other = x0.copy()
    other[0] = -1.5  # the bottom quartile of feature 0
    assert e.predict(other[None])[0] == pytest.approx(e.intercept + e.coef[1:].sum())
    assert [name for name, _ in e.weights_list]  # LIME's own as_list


@pytest.mark.parametrize("dataset", ["friedman2", "iris"])
def test_slime_beats_lime_on_the_same_fresh_neighbourhood(dataset):
    if dataset == "friedman2":
        X, _ = make_friedman2(n_samples=300, random_state=0)

        def f(X):
            return np.sqrt(X[:, 0] ** 2 + (X[:, 1] * X[:, 2] - 1 / (X[:, 1] * X[:, 3])) ** 2)

        ex = SlimeExplainer(f, X, random_state=0, **SMALL)
    else:
        data = load_iris()
        X = data.data
        clf = LogisticRegression(max_iter=500).fit(X, data.target)
        ex = SlimeExplainer(
            clf, X, mode="classification", class_names=data.target_names, random_state=0, **SMALL
        )
    for row in (5, 60):
        e = ex.explain_instance(X[row])
        scores = compare(ex, e, num_samples=1000)
        slime = scores["slime"]["weighted_mse"]
        assert slime <= scores["lime"]["weighted_mse"], scores
        assert slime <= scores["lime_local"]["weighted_mse"] * 1.01, scores
        assert set(scores["lime"]) == {
            "weighted_mse",
            "r2",
            "abs_error_x0",
            "terms",
            "complexity",
            "time_s",
        }
