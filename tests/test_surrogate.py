"""SymbolicSurrogate, replace / restore / replaced, state_dict and JSON round trips."""

import numpy as np
import pytest
import torch
from torch import nn

from symtorch_lab.expression import Expression
from symtorch_lab.pca import PCAProjection
from symtorch_lab.surrogate import SymbolicSurrogate, replace, replaced

NAMES = ("x0", "x1", "x2")


def exprs(*texts, names=NAMES):
    return [Expression.from_infix(t, names) for t in texts]


@pytest.fixture
def tiny_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))


@pytest.fixture
def surrogate():
    return SymbolicSurrogate(
        exprs("x0 * x1 + 2.5", "sin(x2) - x0 ^ 2"), in_shape=(3,), out_shape=(2,), path="0"
    )


def test_outputs_equal_expressions_evaluated_directly(surrogate):
    X = torch.randn(64, 3, dtype=torch.float64)
    out = surrogate(X).detach()
    assert out.shape == (64, 2) and out.dtype == torch.float64
    for d, expr in enumerate(surrogate.expressions):
        np.testing.assert_allclose(out[:, d].numpy(), expr.numpy(X.numpy()), rtol=1e-6)


def test_accepts_leading_batch_and_sequence_dims(surrogate):
    X = torch.randn(4, 7, 3)
    out = surrogate(X)
    assert out.shape == (4, 7, 2)
    torch.testing.assert_close(out.reshape(-1, 2), surrogate(X.reshape(-1, 3)))


def test_wrong_input_shape_names_module_and_shape(surrogate):
    with pytest.raises(ValueError, match=r"module '0'.*\(\.\.\., 3\).*\(5, 4\)"):
        surrogate(torch.randn(5, 4))


def test_expression_count_must_match_outputs():
    with pytest.raises(ValueError, match="1 expressions for 2 outputs"):
        SymbolicSurrogate(exprs("x0"), in_shape=(3,), out_shape=(2,))


def test_replace_restore_and_context_manager(tiny_model, surrogate):
    original = tiny_model[2]
    X = torch.randn(16, 3)
    before = tiny_model(X)
    handle = replace(tiny_model, {"2": nn.Identity()})
    assert isinstance(tiny_model[2], nn.Identity)
    assert tiny_model(X).shape == (16, 8)
    handle.restore()
    handle.restore()  # idempotent
    assert tiny_model[2] is original
    torch.testing.assert_close(tiny_model(X), before)

    with pytest.raises(RuntimeError, match="boom"), replaced(tiny_model, {"2": nn.Identity()}):
        raise RuntimeError("boom")
    assert tiny_model[2] is original


def test_replace_whole_layer_by_surrogate(tiny_model, surrogate):
    X = torch.randn(16, 3)
    model = nn.Sequential(nn.Identity(), tiny_model)
    with replaced(model, {"1": surrogate}):
        torch.testing.assert_close(model(X), surrogate(X))


def test_unknown_path_is_a_clear_error(tiny_model):
    with pytest.raises(KeyError, match="'3'"):
        replace(tiny_model, {"3": nn.Identity()})
    assert len(tiny_model) == 3


def test_free_original_drops_the_reference(tiny_model):
    handle = replace(tiny_model, {"2": nn.Identity()}, free_original=True)
    assert handle.originals == {"2": None}
    with pytest.raises(RuntimeError, match="freed"):
        handle.restore()


def test_constants_are_trainable_parameters(surrogate):
    params = [p for p in surrogate.parameters() if p.numel()]
    assert params, "expression constants must be nn.Parameters"
    X = torch.randn(32, 3)
    surrogate(X).sum().backward()
    assert all(p.grad is not None for p in params)


def test_inference_sees_constants_changed_in_place(surrogate):
    X = torch.randn(8, 3)
    with torch.no_grad():
        before = surrogate(X)  # fills the inference cache of cast constants
        for p in surrogate.parameters():
            p.add_(1.0)
        after = surrogate(X)
    assert not torch.allclose(before[:, 0], after[:, 0])
    fresh = SymbolicSurrogate(surrogate.expressions, in_shape=(3,), out_shape=(2,))
    with torch.no_grad():
        fresh(X)
        fresh.load_state_dict(surrogate.state_dict())
        torch.testing.assert_close(fresh(X), after)


def test_state_dict_round_trip_after_finetuning(surrogate):
    with torch.no_grad():
        for p in surrogate.parameters():
            p.add_(0.25)
    fresh = SymbolicSurrogate(surrogate.expressions, in_shape=(3,), out_shape=(2,))
    X = torch.randn(8, 3)
    assert not torch.allclose(fresh(X), surrogate(X))
    fresh.load_state_dict(surrogate.state_dict())
    torch.testing.assert_close(fresh(X), surrogate(X))


def test_json_round_trip_keeps_finetuned_constants(surrogate):
    with torch.no_grad():
        for p in surrogate.parameters():
            p.mul_(1.5)
    again = SymbolicSurrogate.from_json(surrogate.to_json())
    X = torch.randn(8, 3)
    torch.testing.assert_close(again(X), surrogate(X))


def test_projected_surrogate_maps_components_back():
    torch.manual_seed(0)
    Z_in = torch.randn(200, 6)
    Z_out = torch.randn(200, 5)
    p_in, p_out = PCAProjection(2).fit(Z_in), PCAProjection(3).fit(Z_out)
    s = SymbolicSurrogate(
        exprs("c0 + c1", "c0 * c1", "c1", names=("c0", "c1")),
        in_shape=(6,),
        out_shape=(5,),
        in_projection=p_in,
        out_projection=p_out,
    )
    X = torch.randn(2, 10, 6)
    out = s(X)
    assert out.shape == (2, 10, 5)
    comps = p_in.transform(X.reshape(-1, 6))
    terms = torch.stack([comps[:, 0] + comps[:, 1], comps[:, 0] * comps[:, 1], comps[:, 1]], 1)
    torch.testing.assert_close(out.reshape(-1, 5), p_out.inverse_transform(terms))
    again = SymbolicSurrogate.from_json(s.to_json())
    torch.testing.assert_close(again(X), out)


def _linear_surrogate():
    expr = Expression.from_infix("2*x0 + 1", ["x0"])
    return SymbolicSurrogate([expr], in_shape=(1,), out_shape=(1,), path="0")


def test_two_replacements_of_one_module_leave_no_surrogate_after_both_restore():
    model = nn.Sequential(nn.Linear(1, 1))
    original = model[0]
    first = replace(model, {"0": _linear_surrogate()})
    second = replace(model, {"0": _linear_surrogate()})
    first.restore()
    second.restore()
    assert model[0] is original


def test_restore_after_model_double_puts_back_a_converted_original():
    model = nn.Sequential(nn.Linear(1, 1))
    handle = replace(model, {"0": _linear_surrogate()})
    model.double()
    handle.restore()
    assert model[0].weight.dtype == torch.float64
    model(torch.ones(2, 1, dtype=torch.float64))
