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


def test_session_replace_keeps_the_variable_transforms():
    """A module recorded with variable_transforms is replaced by a surrogate that applies
    them (the surrogate used to read the raw inputs and refused the expressions)."""
    torch.manual_seed(0)
    model = gnn.GN(8, 3, variant="bottleneck", hidden=8, layers=1).eval()
    data = torch.randn(50, 3, 8)
    session = stl.Session(model, data)
    session.record(
        "edge",
        variable_transforms=messages.edge_transforms(3),
        variable_names=messages.edge_variable_names(3),
    )
    session.distill("edge", niterations=3, population_size=30, maxsize=7, timeout_in_seconds=20)
    surrogate = session.replace("edge")
    assert len(surrogate.input_transforms) == 8  # dx dy dz r m1 m2 q1 q2
    with torch.no_grad():
        assert model(data).shape == (50, 3, 3)
    session.restore("edge")
    assert isinstance(model.edge, nn.Sequential)


def test_wide_messages_surrogate_and_comparison():
    """Non-bottleneck GNs: picked components get expressions, the others their mean; the
    comparison runs the GN with and without the surrogate and leaves the GN in place."""
    torch.manual_seed(0)
    model = gnn.GN(6, 2, variant="l1", msg_dim=5, hidden=8, layers=1).eval()
    X = torch.randn(40, 3, 6)
    session = stl.Session(model, X)
    rec = session.record(
        "edge",
        variable_transforms=messages.edge_transforms(2),
        variable_names=messages.edge_variable_names(2),
    )["edge"]
    picked = messages.pick_components(rec.Y, 2)
    session.distill("edge", output_dims=picked, niterations=3, population_size=30, maxsize=7)
    surrogate = messages.message_surrogate(session.jobs["edge"], picked, 2)
    assert len(surrogate.expressions) == 5
    with torch.no_grad():
        Y = model(X)
    errors = messages.compare_accelerations(model, surrogate, X, Y)
    assert errors["gn"] == 0.0 and errors["symbolic"] == errors["symbolic_vs_gn"] > 0
    assert isinstance(model.edge, nn.Sequential)
