"""Output-dimension pruning during training (SymTorch's setup_pruning / prune, Cranmer et al.)."""

import numpy as np
import pytest
import torch
from torch import nn

import symtorch_lab as stl
from symtorch_lab.pruning import schedule

SR = {"niterations": 10, "population_size": 100, "binary_operators": ["+", "-", "*"]}


class Wide(nn.Module):
    """Eight outputs; only dims 2 and 5 carry signal, the others are tiny noise."""

    def forward(self, x):
        out = 1e-3 * x[:, :1].repeat(1, 8)
        out[:, 2] = x[:, 0] * x[:, 1]
        out[:, 5] = x[:, 1] - x[:, 0]
        return out


@pytest.mark.parametrize("rate", ["exp", "cosine", "linear"])
def test_schedule_reaches_the_target_at_end_step_frac_and_never_grows(rate):
    s = schedule(initial_dim=32, target_dim=2, total_steps=100, end_step_frac=0.5, decay_rate=rate)
    assert s[0] == 32 and s[50] == 2 and s[99] == 2
    counts = [s[k] for k in range(100)]
    assert all(a >= b for a, b in zip(counts, counts[1:], strict=False))


def test_schedule_refuses_bad_values():
    with pytest.raises(ValueError, match="target_dim 9.*initial_dim 8"):
        schedule(8, 9, 10)
    with pytest.raises(ValueError, match="decay_rate 'fast'"):
        schedule(8, 2, 10, decay_rate="fast")


def test_prune_keeps_the_highest_std_dims_and_switches_only_those():
    torch.manual_seed(0)
    X = torch.rand(200, 2) * 2 - 1
    sm = stl.SymbolicModel(Wide(), block_name="wide")
    with pytest.raises(RuntimeError, match="wide: call setup_pruning"):
        sm.prune(0, X)
    sm.setup_pruning(initial_dim=8, target_dim=2, total_steps=10, end_step_frac=0.5)
    assert sm.pruning_mask.dtype == torch.bool and bool(sm.pruning_mask.all())
    for step in range(10):
        sm.prune(step, X)
    assert sm.get_active_dimensions() == [2, 5]
    out = sm(X)
    assert torch.count_nonzero(out[:, [0, 1, 3, 4, 6, 7]]) == 0  # pruned dims are zero

    fronts = sm.distill(X, sr_params=SR)
    assert sorted(fronts) == [2, 5]  # only the active dims are searched
    sm.switch_to_symbolic()  # switching the active dims is enough
    torch.testing.assert_close(sm(X), Wide()(X) * sm.pruning_mask, atol=1e-4, rtol=1e-4)


def test_pruning_mask_moves_with_the_module_and_survives_state_dict(tmp_path):
    torch.manual_seed(0)
    X = torch.rand(100, 2)
    sm = stl.SymbolicModel(Wide(), block_name="wide")
    sm.setup_pruning(initial_dim=8, target_dim=2, total_steps=4, end_step_frac=0.5)
    for step in range(4):
        sm.prune(step, X)
    assert "pruning_mask" in sm.state_dict()
    torch.save(sm.state_dict(), tmp_path / "p.pt")
    fresh = stl.SymbolicModel(Wide(), block_name="wide")
    fresh.load_state_dict(torch.load(tmp_path / "p.pt"))
    assert fresh.get_active_dimensions() == [2, 5]
    np.testing.assert_array_equal(fresh.pruning_mask.numpy(), sm.pruning_mask.numpy())


def test_prune_inside_a_training_loop_keeps_train_mode_and_parent_flow():
    torch.manual_seed(0)
    X = torch.rand(64, 2)
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.1), Wide())
    model[2] = stl.SymbolicModel(model[2], block_name="wide")
    model[2].setup_pruning(initial_dim=8, target_dim=3, total_steps=6, end_step_frac=0.5)
    model.train()
    for step in range(6):
        model[2].prune(step, X, parent_model=model)
    assert model.training and model[1].training  # SymTorch's prune left the model in eval
    assert len(model[2].get_active_dimensions()) == 3
