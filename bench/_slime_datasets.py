"""The 8 offline datasets of issue 8 and their black boxes, for bench/slime_vs_lime.py.

Each entry trains a black box on 75 % of the rows and keeps the other 25 % as the points to
explain (the explainers' training data is the 75 %). Classifiers are explained on the
probability of the class they predict at each point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn import datasets
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


@dataclass
class Case:
    name: str
    mode: str
    model_name: str
    model: object
    X_train: np.ndarray
    X_explain: np.ndarray
    feature_names: list[str]


def two_spirals(n: int = 400, noise: float = 0.5, seed: int = 0):
    """SymTorch's SLIME demo data: two interleaved spirals of ``n`` points each."""
    rng = np.random.default_rng(seed)
    theta = np.sqrt(rng.random(n)) * 780 * 2 * np.pi / 360
    r = 2 * theta + np.pi
    a = np.column_stack([np.cos(theta) * r, np.sin(theta) * r])
    X = np.vstack([a, -a]) + rng.normal(scale=noise, size=(2 * n, 2))
    return X, np.r_[np.zeros(n), np.ones(n)].astype(int)


def _raw(name: str):
    """(X, y, mode, feature names) of one dataset."""
    if name == "diabetes":
        d = datasets.load_diabetes()
        return d.data, d.target, "regression", list(d.feature_names)
    if name == "breast_cancer":
        d = datasets.load_breast_cancer()
        return d.data, d.target, "classification", list(d.feature_names)
    if name == "iris":
        d = datasets.load_iris()
        return d.data, d.target, "classification", list(d.feature_names)
    if name == "friedman1":
        X, y = datasets.make_friedman1(n_samples=1000, noise=0.1, random_state=0)
        return X, y, "regression", None
    if name == "friedman2":
        X, y = datasets.make_friedman2(n_samples=1000, noise=0.0, random_state=0)
        return X, y, "regression", None
    if name == "spirals":
        X, y = two_spirals()
        return X, y, "classification", None
    if name == "circles":
        X, y = datasets.make_circles(n_samples=800, noise=0.08, factor=0.5, random_state=0)
        return X, y, "classification", None
    if name == "hastie":
        X, y = datasets.make_hastie_10_2(n_samples=2000, random_state=0)
        return X, (y > 0).astype(int), "classification", None
    raise KeyError(name)


# Dataset -> black box: MLPs on the smooth problems, gradient boosting on two others.
MODELS = {
    "diabetes": "mlp", "breast_cancer": "mlp", "iris": "gb", "friedman1": "mlp",
    "friedman2": "gb", "spirals": "mlp", "circles": "mlp", "hastie": "gb",
}  # fmt: skip
NAMES = tuple(MODELS)


def _model(kind: str, mode: str):
    if kind == "mlp":
        net = (MLPRegressor if mode == "regression" else MLPClassifier)(
            hidden_layer_sizes=(64, 64), max_iter=500, random_state=0
        )
        return make_pipeline(StandardScaler(), net)
    gb = GradientBoostingRegressor if mode == "regression" else GradientBoostingClassifier
    return gb(random_state=0)


def load(name: str) -> Case:
    X, y, mode, names = _raw(name)
    X = np.asarray(X, dtype=np.float64)
    X_tr, X_te, y_tr, _ = train_test_split(X, y, test_size=0.25, random_state=0)
    model = _model(MODELS[name], mode).fit(X_tr, y_tr)
    names = names or [f"x{i}" for i in range(X.shape[1])]
    return Case(name, mode, MODELS[name], model, X_tr, X_te, names)
