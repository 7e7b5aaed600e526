"""SymbolicModel: SymTorch's getting-started flow on Operon, minus SymTorch's bugs."""

import numpy as np
import pytest
import torch
from torch import nn

import symtorch_lab as stl

SR = {
    "niterations": 15,
    "population_size": 200,
    "max_rows": 300,
    "binary_operators": ["+", "-", "*"],
    "unary_operators": [],
}


class Law(nn.Module):
    """A block whose outputs are known laws of its inputs: (x0*x1, x2 - x0)."""

    def forward(self, x):
        return torch.stack([x[:, 0] * x[:, 1], x[:, 2] - x[:, 0]], dim=1)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.pre = nn.Linear(3, 3)
        with torch.no_grad():
            self.pre.weight.copy_(2 * torch.eye(3))
            self.pre.bias.zero_()
        self.drop = nn.Dropout(0.5)
        self.mlp = Law()

    def forward(self, x):
        return self.mlp(self.pre(x)).sum(dim=1, keepdim=True)


@pytest.fixture
def X():
    torch.manual_seed(0)
    return torch.rand(300, 3) * 2 - 1


def test_getting_started_flow(X, capsys):
    model = Net()
    model.train()
    model.mlp = stl.SymbolicModel(model.mlp, block_name="mlp")
    fronts = model.mlp.distill(X, parent_model=model, sr_params=SR)
    assert sorted(fronts) == [0, 1]
    assert model.training and model.drop.training  # modes restored (SymTorch left eval on)

    model.mlp.show_symbolic_expression()
    assert "Best:" in capsys.readouterr().out

    with torch.no_grad():
        block_out = model(X)
    complexity = [fronts[0].selected.complexity, fronts[1].selected.complexity]
    model.mlp.switch_to_symbolic(complexity=complexity)
    assert model.mlp.using_symbolic
    with torch.no_grad():
        torch.testing.assert_close(model(X), block_out, atol=1e-4, rtol=1e-4)

    f = model.mlp.get_symbolic_function(dim=0)
    Z = 2 * X.double().numpy()  # block inputs are the parent's pre-processed inputs
    np.testing.assert_allclose(f(Z), Z[:, 0] * Z[:, 1], atol=1e-6)
    assert torch.is_tensor(f(torch.as_tensor(Z)))

    model.mlp.switch_to_block()
    assert not model.mlp.using_symbolic


def test_output_dim_zero_distills_only_dim_zero(X):
    sm = stl.SymbolicModel(Law())
    front = sm.distill(X, output_dim=0, sr_params=SR)
    assert isinstance(front, stl.ParetoFront) and list(sm.fronts_) == [0]
    with pytest.raises(RuntimeError, match=r"missing \[1\]"):
        sm.switch_to_symbolic()


def test_callable_mode_and_variable_names():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (300, 2))
    sm = stl.SymbolicModel(lambda a: a[:, 0] * a[:, 1] + a[:, 1], block_name="callable")
    front = sm.distill(X, output_dim=0, sr_params=SR, fit_params={"variable_names": ["p", "q"]})
    assert front.selected.loss < 1e-10
    assert front.selected.expression.variable_names == ("p", "q")
    sm.switch_to_symbolic()
    np.testing.assert_allclose(sm(X)[:, 0], X[:, 0] * X[:, 1] + X[:, 1], atol=1e-5)


def test_variable_transforms(X):
    transforms = [lambda x: x[:, 0] * x[:, 1], lambda x: x[:, 2], lambda x: x[:, 0]]
    sm = stl.SymbolicModel(Law())
    sm.distill(
        X,
        variable_transforms=transforms,
        sr_params=SR,
        fit_params={"variable_names": ["prod", "z", "a"]},
    )
    assert sm.fronts_[0].selected.expression.variable_names == ("prod", "z", "a")
    sm.switch_to_symbolic()
    torch.testing.assert_close(sm(X), Law()(X), atol=1e-4, rtol=1e-4)


def test_julia_style_operator_definitions_are_accepted(X):
    sm = stl.SymbolicModel(Law())
    params = {**SR, "unary_operators": ["inv(x) = 1/x"], "extra_sympy_mappings": {}}
    sm.distill(X, output_dim=0, sr_params=params)
    assert 0 in sm.fronts_
