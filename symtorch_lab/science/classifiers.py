"""Wetzel's classifier test problems A and A1 and a small MLP to learn them.

"Closed-Form Interpretation of Neural Network Classifiers with Symbolic Gradients" (arXiv
2401.04978) labels points by a hidden quantity ``q``: A is ``x ∈ U(−2, 0)²``,
``[x0² + 3 x0 x1 + 2 x1² > 5]``; A1 is ``x ∈ U(−1, 1)²``, ``[x0² + 2 x1² > 1]``. The tests,
the benchmark and the notebook share these definitions, the exact ``∇q`` a recovered formula
is checked against, and one way of training a smooth (tanh) classifier on them.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

PROBLEMS = {
    # name: (low, high, threshold, q as a string for humans)
    "A": (-2.0, 0.0, 5.0, "x0^2 + 3*x0*x1 + 2*x1^2"),
    "A1": (-1.0, 1.0, 1.0, "x0^2 + 2*x1^2"),
}


def _check(name: str) -> tuple[float, float, float, str]:
    if name not in PROBLEMS:
        raise ValueError(f"unknown problem {name!r}; choose one of {sorted(PROBLEMS)}")
    return PROBLEMS[name]


def quantity(name: str, X: np.ndarray) -> np.ndarray:
    """The hidden quantity ``q(x)`` of problem ``name`` (n,)."""
    _check(name)
    x0, x1 = X[:, 0], X[:, 1]
    return x0**2 + 3 * x0 * x1 + 2 * x1**2 if name == "A" else x0**2 + 2 * x1**2


def quantity_gradient(name: str, X: np.ndarray) -> np.ndarray:
    """The exact ``∇q`` (n, 2) a recovered formula's gradient is compared with."""
    _check(name)
    x0, x1 = X[:, 0], X[:, 1]
    if name == "A":
        return np.column_stack([2 * x0 + 3 * x1, 3 * x0 + 4 * x1])
    return np.column_stack([2 * x0, 4 * x1])


def sample(name: str, n: int = 10_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uniform points of problem ``name`` and their 0/1 labels (float64, float32)."""
    low, high, threshold, _ = _check(name)
    X = np.random.default_rng(seed).uniform(low, high, (n, 2))
    return X, (quantity(name, X) > threshold).astype(np.float32)


def train_classifier(
    X: np.ndarray, y: np.ndarray, *, steps: int = 500, hidden: int = 32, seed: int = 0
) -> nn.Module:
    """A 2-hidden-layer tanh MLP returning logits, trained full-batch with Adam on BCE.

    Smooth activations matter here: a ReLU network's gradient is piecewise constant, so
    its direction jumps between linear regions and no formula can align with it everywhere.
    """
    torch.manual_seed(seed)
    d = X.shape[1]
    model = nn.Sequential(
        nn.Linear(d, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1)
    )
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
    # inputs centred and scaled inside the first layer's frame: same model, faster training
    with torch.no_grad():
        mean, std = Xt.mean(0), Xt.std(0)
        first = model[0]
        first.bias -= first.weight @ (mean / std)
        first.weight /= std
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(Xt), yt)
        loss.backward()
        optimizer.step()
    return model.eval()
