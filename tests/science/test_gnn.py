"""The graph network (science.gnn) and distilling its edge model through the engine."""

import numpy as np
import pytest
import torch
from torch import nn

import symtorch_lab as stl
from symtorch_lab.science import gnn, messages


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("variant", gnn.VARIANTS)
@pytest.mark.parametrize("dim", [2, 3])
def test_shapes_and_edge_count(variant, dim):
    f = 2 * dim + 2
    model = gnn.GN(f, dim, variant=variant, hidden=8, layers=1, msg_dim=None)
    out = model(torch.randn(5, 4, f))
    assert out.shape == (5, 4, dim)
    width = 2 * model.msg_dim if variant == "kl" else model.msg_dim
    assert model.messages(torch.randn(5, 4, f)).shape == (5, 12, width)
    assert model.msg_dim == (dim if variant == "bottleneck" else 100)
    reg = model.regularisation().detach()
    assert (float(reg) == 0) == (variant in ("standard", "bottleneck"))


def test_messages_are_summed_per_receiver():
    """A GN is permutation equivariant: relabelling the bodies relabels the outputs."""
    torch.manual_seed(0)
    model = gnn.GN(6, 2, hidden=16, layers=2).eval()
    x = torch.randn(3, 5, 6)
    perm = torch.tensor([3, 0, 4, 1, 2])
    assert torch.allclose(model(x)[:, perm], model(x[:, perm]), atol=1e-5)


def test_wrong_input_shape_is_named():
    model = gnn.GN(6, 2, hidden=8, layers=1)
    with pytest.raises(ValueError, match=r"\(batch, n, 6\).*\(4, 6\)"):
        model(torch.randn(4, 6))


def test_training_lowers_the_loss():
    """A GN learns a pairwise law it was not told (L1 loss falls well below its start)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3, 6)).astype(np.float32)
    X[..., 5] = 1.0  # unit masses
    d = X[:, None, :, :2] - X[:, :, None, :2]  # x_j - x_i, [i, j]
    Y = d.sum(axis=2)  # a linear spring between every pair: a_i = sum_j (x_j - x_i)
    model = gnn.GN(6, 2, hidden=32, layers=2)
    history = gnn.train(model, X, Y, steps=400, lr=1e-2, log_every=100)
    with torch.no_grad():
        final = float((model(torch.as_tensor(X)) - torch.as_tensor(Y)).abs().sum(-1).mean())
    assert final < 0.3 * history["loss"][0]


class _Edges(nn.Module):
    """A module whose input rows are [x_i, x_j] of 2-D bodies (6 features each)."""

    def __init__(self):
        super().__init__()
        self.edge = nn.Linear(12, 2)

    def forward(self, x):
        return self.edge(x)


def test_session_replace_keeps_the_variable_transforms():
    """A module recorded with variable_transforms is replaced by a surrogate that applies
    them (the surrogate used to read the raw 12 inputs and refused the expressions)."""
    model = _Edges()
    data = torch.randn(300, 12)
    session = stl.Session(model, data)
    session.record(
        "edge",
        variable_transforms=messages.edge_transforms(2),
        variable_names=messages.edge_variable_names(2),
    )
    session.distill("edge", niterations=5, population_size=50, timeout_in_seconds=20)
    surrogate = session.replace("edge")
    assert surrogate.input_transforms
    assert model(data).shape == (300, 2)
    session.restore("edge")
