"""SymbolicModel: SymTorch's getting-started flow on Operon, minus SymTorch's bugs."""

import re
import warnings

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
    with pytest.raises(RuntimeError, match=r"distill output dims \[1\] before switching"):
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


def test_an_operator_searched_through_an_equivalent_warns_once_at_the_users_line(X):
    """It warned once per dim, pointing at symtorch_lab/_restarts.py:24."""
    sm = stl.SymbolicModel(Law())
    params = {**SR, "unary_operators": ["inv(x) = 1/x"], "extra_sympy_mappings": {}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sm.distill(X, sr_params=params)  # two output dims
    inv = [w for w in caught if "operon has no 'inv'" in str(w.message)]
    assert [w.filename for w in inv] == [__file__]


# --- SymTorch users' flows that failed (issue 12): each test failed before its fix ----------


@pytest.fixture
def distilled(X):
    sm = stl.SymbolicModel(Law(), block_name="law")
    sm.distill(X, sr_params=SR)
    return sm


def test_complexity_not_on_the_front_takes_the_closest_below_with_a_warning(distilled):
    front = distilled.fronts_[0]
    have = [c.complexity for c in front]
    missing = next(c for c in range(min(have) + 1, 60) if c not in have)
    expect = max(c for c in have if c <= missing)
    with pytest.warns(UserWarning, match=rf"complexity {missing}.*using {expect}") as caught:
        distilled.switch_to_symbolic(complexity=missing)
    assert {w.filename for w in caught} == {__file__}  # the user's line, not the facade's
    with warnings.catch_warnings():  # said once: the getting-started notebook showed it twice
        warnings.simplefilter("error")
        f = distilled.get_symbolic_function(0, complexity=missing)
    chosen = next(c for c in front if c.complexity == expect)
    Z = np.random.default_rng(1).uniform(-1, 1, (20, 3))
    np.testing.assert_allclose(f(Z), chosen.expression.numpy(Z))


def test_complexity_below_the_whole_front_is_an_error_listing_it(distilled):
    have = [c.complexity for c in distilled.fronts_[0]]
    for call in (
        lambda: distilled.switch_to_symbolic(complexity=0),
        lambda: distilled.get_symbolic_function(0, complexity=0),
    ):
        with pytest.raises(ValueError, match=rf"law.*dim 0.*complexity 0.*{re.escape(str(have))}"):
            call()


def test_torch_save_of_the_whole_model_after_distil(distilled, X, tmp_path):
    distilled.switch_to_symbolic()
    torch.save(distilled, tmp_path / "m.pt")
    back = torch.load(tmp_path / "m.pt", weights_only=False)
    assert back.using_symbolic
    torch.testing.assert_close(back(X), distilled(X))
    assert str(back.fronts_[1].selected.expression) == str(distilled.fronts_[1].selected.expression)


def test_state_dict_in_symbolic_mode_loads_into_a_fresh_wrapper(distilled, X, tmp_path):
    distilled.switch_to_symbolic()
    with torch.no_grad():
        for p in distilled._surrogate.parameters():
            p.add_(0.5)  # fine-tuned constants must come back too
    torch.save(distilled.state_dict(), tmp_path / "sd.pt")
    fresh = stl.SymbolicModel(Law(), block_name="law")
    fresh.load_state_dict(torch.load(tmp_path / "sd.pt"))  # weights_only=True: plain JSON state
    assert fresh.using_symbolic
    torch.testing.assert_close(fresh(X), distilled(X))
    assert sorted(fresh.fronts_) == [0, 1]
    fresh.switch_to_block()
    torch.testing.assert_close(fresh(X), Law()(X))


def test_variable_transforms_switch_and_functions_take_raw_inputs(X):
    transforms = [lambda x: x[:, 0] * x[:, 1], lambda x: x[:, 2] - x[:, 0]]
    sm = stl.SymbolicModel(Law())
    sm.distill(X, variable_transforms=transforms, sr_params=SR)
    sm.switch_to_symbolic()
    torch.testing.assert_close(sm(X), Law()(X), atol=1e-4, rtol=1e-4)
    f = sm.get_symbolic_function(1)
    Xn = X.double().numpy()
    np.testing.assert_allclose(f(Xn), Xn[:, 2] - Xn[:, 0], atol=1e-6)


def test_save_path_writes_the_fronts_as_json(X, tmp_path):
    import json

    sm = stl.SymbolicModel(Law(), block_name="law")
    sm.distill(X, output_dim=0, sr_params=SR, save_path=tmp_path)
    files = sorted(p.name for p in (tmp_path / "law").iterdir())
    assert files == ["dim0.json"]
    data = json.loads((tmp_path / "law" / "dim0.json").read_text())
    assert stl.ParetoFront.from_json(data["front"]).selected.loss < 1e-8


def test_switch_before_distilling_says_so():
    sm = stl.SymbolicModel(Law(), block_name="law")
    with pytest.raises(RuntimeError, match="law: nothing distilled yet.*distill"):
        sm.switch_to_symbolic()


def test_undistilled_dim_is_named(X):
    sm = stl.SymbolicModel(Law(), block_name="law")
    sm.distill(X, output_dim=0, sr_params=SR)
    with pytest.raises(KeyError, match=r"law: output dim 1 has not been distilled.*\[0\]"):
        sm.get_symbolic_function(1)
    with pytest.raises(KeyError, match=r"law: output dim 1 has not been distilled"):
        sm.show_symbolic_expression(dim=1)


def test_pysr_only_operator_is_refused_with_what_to_use(X):
    sm = stl.SymbolicModel(Law())
    with pytest.raises(ValueError, match=r"cond.*PySR.*no offline equivalent"):
        sm.distill(X, output_dim=0, sr_params={**SR, "binary_operators": ["+", "cond"]})


class Counting(nn.Module):
    """A linear block that counts its forward calls."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 1)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return self.lin(x)


def test_distill_data_is_reused_only_while_nothing_changed(X):
    sm = stl.SymbolicModel(Counting(), block_name="lin")
    sm.distill(X, sr_params=SR)
    Xr, Yr = sm.distill_data
    np.testing.assert_allclose(Yr[:, 0], sm.symtorch_block.lin(X).detach()[:, 0], atol=1e-6)
    calls = sm.symtorch_block.calls
    sm.distill(X, sr_params=SR)  # same inputs, same weights: the recording is reused
    assert sm.symtorch_block.calls == calls
    with torch.no_grad():  # trained further: SymTorch reused its stale cache here
        sm.symtorch_block.lin.weight.mul_(2)
    sm.distill(X, sr_params=SR)
    assert sm.symtorch_block.calls > calls
    np.testing.assert_allclose(sm.distill_data[1], 2 * Yr - sm.symtorch_block.lin.bias.item(),
                               atol=1e-5)  # fmt: skip
    sm.clear_cache()
    assert sm.distill_data is None


def test_pysr_regressor_style_per_dim_access(distilled):
    reg = distilled.pysr_regressor[0]
    frame = reg.equations_
    assert list(frame.columns[:4]) == ["complexity", "loss", "score", "equation"]
    assert reg.get_best()["equation"] == str(distilled.fronts_[0].selected.expression)
    assert str(reg.sympy()) == str(distilled.fronts_[0].selected.expression.sympy())


def test_hostile_state_is_refused_before_it_allocates(distilled):
    good = distilled.state_dict()
    for bad, why in [
        ({"output_dims": 10**12}, "output_dims must be an int"),
        ({"fronts": {"0": {"candidates": [{}] * 20_000}}}, "at most 10000"),
        ({"fronts": {"7": distilled.fronts_[0].to_json()}}, "not a dim below 2"),
        ({"shapes": [[10**9] * 9, [2]]}, "shapes must be"),
        (
            {
                "pruning": {
                    "initial_dim": 10**9,
                    "target_dim": 1,
                    "total_steps": 1,
                    "end_step_frac": 0.5,
                    "decay_rate": "exp",
                }
            },
            "initial_dim",
        ),  # fmt: skip
        ({"chosen": {"0": 999}}, "complexity 999 is not on a saved front"),
        ({"format": "pickle"}, "not a symtorch_lab.SymbolicModel state"),
    ]:
        state = {**good, "_extra_state": {**good["_extra_state"], **bad}}
        fresh = stl.SymbolicModel(Law(), block_name="law")
        with pytest.raises(ValueError, match=why):
            fresh.load_state_dict(state)


def test_state_with_transforms_asks_for_them_again(X):
    transforms = [lambda x: x[:, 0] * x[:, 1], lambda x: x[:, 2] - x[:, 0]]
    sm = stl.SymbolicModel(Law(), block_name="law")
    sm.distill(X, variable_transforms=transforms, sr_params=SR)
    sm.switch_to_symbolic()
    fresh = stl.SymbolicModel(Law(), block_name="law")
    with pytest.raises(ValueError, match="2 variable_transforms.*never saved"):
        fresh.load_state_dict(sm.state_dict())
    fresh.variable_transforms = transforms
    fresh.load_state_dict(sm.state_dict())
    torch.testing.assert_close(fresh(X), sm(X))


# --- SLIME mode (SymTorch's distill(SLIME=True, slime_params=...)) ------------------------

SLIME_SR = {**SR, "unary_operators": ["sin"], "niterations": 20}


def local_law(x):
    return x[:, 0] * x[:, 1] + np.sin(x[:, 2])


@pytest.fixture
def slimed():
    X = np.random.default_rng(0).uniform(-2, 2, (400, 3))
    sm = stl.SymbolicModel(local_law, block_name="func")
    x0 = np.array([0.5, -1.0, 0.3])
    sm.distill(X, SLIME=True, sr_params=SLIME_SR,
               slime_params={"x": x0, "J_nn": 20, "num_synthetic": 300})  # fmt: skip
    return sm, x0


def test_slime_mode_explains_the_block_near_x(slimed, capsys):
    sm, x0 = slimed
    assert sorted(sm.slime_fronts_) == [0] and not sm.fronts_
    near = x0 + np.random.default_rng(1).normal(0, 0.05, (50, 3))
    g = sm.get_symbolic_function(0, SLIME=True)
    rel = np.mean((g(near) - local_law(near)) ** 2) / np.var(local_law(near))
    assert rel < 1e-2
    sm.show_symbolic_expression(SLIME=True)
    assert "Output dim 0 of func" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match=r"nothing distilled yet; call distill\(\) first"):
        sm.switch_to_symbolic()  # the plain fronts are empty: SLIME's are separate
    sm.switch_to_symbolic(SLIME=True)
    np.testing.assert_allclose(sm(near)[:, 0], g(near), rtol=1e-5, atol=1e-6)


def test_slime_mode_survives_state_dict(slimed):
    sm, x0 = slimed
    sm.switch_to_symbolic(SLIME=True)
    fresh = stl.SymbolicModel(local_law, block_name="func")
    fresh.load_state_dict(sm.state_dict())
    near = x0[None, :] + 0.01
    assert fresh._slime and fresh.using_symbolic
    np.testing.assert_allclose(fresh(near), sm(near))


def test_slime_params_are_checked_by_name():
    X = np.random.default_rng(0).uniform(-2, 2, (100, 3))
    sm = stl.SymbolicModel(local_law, block_name="func")
    for params, error, match in [
        ({"x": X[0], "J_n": 5}, TypeError, r"unknown slime_params \['J_n'\]"),
        ({"x": X[0], "nn_metric": "cosine"}, ValueError, "only 'euclidean'"),
        ({"x": X[0], "var": [1, 1, 1]}, ValueError, "'var' is not taken.*kernel_width"),
        ({"x": X[0], "num_synthetic": 0}, ValueError, "num_synthetic > 0"),
        ({"x": X[0, :2]}, ValueError, "x0 must have 3 features"),
    ]:
        with pytest.raises(error, match=match):
            sm.distill(X, SLIME=True, sr_params=SLIME_SR, slime_params=params)
