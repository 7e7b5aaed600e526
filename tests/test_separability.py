"""AI Feynman's separability and symmetry tests on autograd derivatives (separability.py)."""

import numpy as np
import pytest
import torch
from torch import nn

from symtorch_lab.separability import Decomposition, find_decomposition, interactions

rng = np.random.default_rng(0)
X3 = rng.uniform(0.5, 2.0, (400, 3))


@pytest.mark.parametrize(
    ("f", "kind", "groups"),
    [
        (lambda x: x[:, 0] * x[:, 1] + torch.sin(x[:, 2]), "additive", ((0, 1), (2,))),
        (lambda x: torch.exp(x[:, 0]) * (x[:, 1] + x[:, 2] ** 2), "multiplicative", ((0,), (1, 2))),
    ],
)
def test_separable_functions_are_split(f, kind, groups):
    found = find_decomposition(f, X3)
    assert (found.kind, found.groups) == (kind, groups)
    assert found.residual < 1e-8


def test_a_non_separable_function_is_not_split():
    found = find_decomposition(lambda x: torch.sin(x[:, 0] * x[:, 1] + x[:, 2]), X3)
    assert found == Decomposition("none")


@pytest.mark.parametrize(
    ("f", "kind"),
    [
        (lambda x: torch.exp(-((x[:, 0] - x[:, 1]) ** 2)), "translation"),
        (lambda x: torch.sin(x[:, 0] / x[:, 1]), "scaling"),
    ],
)
def test_symmetries_in_a_pair(f, kind):
    found = find_decomposition(f, X3[:, :2])
    assert (found.kind, found.pair) == (kind, (0, 1))
    assert found.describe(["a", "b"]) == f"{kind}: a {'-' if kind == 'translation' else '/'} b"


def test_a_trained_network_is_split_like_its_law():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    X = torch.as_tensor(X3, dtype=torch.float32)
    y = (X[:, 0] * X[:, 1] + torch.sin(3 * X[:, 2])).unsqueeze(1)
    net = nn.Sequential(nn.Linear(3, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(1500):
        opt.zero_grad()
        nn.functional.mse_loss(net(X), y).backward()
        opt.step()
    f = lambda x: net(x.float()).double()  # noqa: E731
    M = interactions(f, X3, "additive")
    assert M[0, 1] > 0.2 and max(M[0, 2], M[1, 2]) < 0.05  # the network learnt the split
    assert find_decomposition(f, X3).groups == ((0, 1), (2,))


def test_a_network_that_is_not_torch_is_named():
    with pytest.raises(TypeError, match="torch callable"):
        find_decomposition(lambda x: np.sin(x.detach().numpy()[:, 0]), X3)
