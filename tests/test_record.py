"""record(): every call recorded, rows match, memory capped uniformly, hooks always cleaned up."""

from __future__ import annotations

import subprocess
import sys
import threading
import warnings
from collections import OrderedDict, namedtuple

import numpy as np
import pytest
import torch
from torch import nn

from symtorch_lab.record import NotRecordedError, record


@pytest.fixture
def tiny_model() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def _all_hooks(model: nn.Module) -> dict[str, tuple[dict, dict]]:
    """Exact forward-hook dicts of every submodule (ids -> hook objects)."""
    return {
        name: (dict(m._forward_hooks), dict(m._forward_hooks_with_kwargs))
        for name, m in model.named_modules()
    }


def _linear(layer: nn.Linear, X: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return layer(torch.as_tensor(X, dtype=torch.float32)).double().numpy()


# --- basic recording ------------------------------------------------------------------------


def test_rows_of_X_and_Y_come_from_the_same_call(tiny_model):
    with record(tiny_model, ["0", "2"]) as rec:
        for _ in range(3):
            tiny_model(torch.randn(16, 3))
    first, last = rec["0"], rec["2"]
    assert first.X.shape == (48, 3) and first.Y.shape == (48, 4)
    assert first.X.dtype == np.float64 and first.Y.dtype == np.float64
    np.testing.assert_allclose(first.Y, _linear(tiny_model[0], first.X), atol=1e-6)
    np.testing.assert_allclose(last.Y, _linear(tiny_model[2], last.X), atol=1e-6)
    assert (first.n_calls, first.n_seen) == (3, 48)
    assert first.input_shape == (3,) and first.output_shape == (4,)
    assert first.variable_names == ("x0", "x1", "x2")
    assert first.output_names == ("y0", "y1", "y2", "y3")
    assert np.array_equal(first.row_index, np.arange(48))
    assert list(rec) == ["0", "2"] and set(rec.recordings) == {"0", "2"}


def test_paths_may_be_a_single_string_and_repr_shows_shapes(tiny_model):
    with record(tiny_model, "2") as rec:
        tiny_model(torch.randn(5, 3))
    assert rec.paths == ("2",)
    assert repr(rec["2"]) == (
        "Recording('2', X=(5, 4), Y=(5, 2), input_shape=(4,), output_shape=(2,), "
        "n_seen=5, n_calls=1)"
    )


def test_training_mode_and_grad_are_left_to_the_user():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5), nn.Linear(3, 1)).train()
    x = torch.randn(8, 3, requires_grad=True)
    with record(model, "1") as rec:
        out = model(x)
        assert all(m.training for m in model.modules())
    out.sum().backward()  # the graph is intact: recording detached its own copies only
    assert x.grad is not None
    assert all(m.training for m in model.modules())
    assert rec["1"].X.shape == (8, 3)


def test_float64_models_are_recorded_exactly():
    layer = nn.Linear(2, 2).double()
    x = torch.randn(7, 2, dtype=torch.float64)
    with record(layer, "") as rec:
        layer(x)
    assert np.array_equal(rec[""].X, x.numpy())
    assert np.array_equal(rec[""].Y, layer(x).detach().numpy())


def test_recorder_snapshots_inside_the_block_and_stops_after_it(tiny_model):
    with record(tiny_model, "0") as rec:
        tiny_model(torch.randn(4, 3))
        assert rec.active and rec["0"].n_seen == 4
        tiny_model(torch.randn(4, 3))
        assert rec["0"].n_seen == 8
    tiny_model(torch.randn(4, 3))
    assert not rec.active and rec["0"].n_seen == 8 and rec["0"].n_calls == 2


# --- hook cleanup matrix --------------------------------------------------------------------


def test_hooks_removed_after_a_normal_run(tiny_model):
    before = _all_hooks(tiny_model)
    with record(tiny_model, ["0", "2"]):
        tiny_model(torch.randn(2, 3))
        assert len(tiny_model[0]._forward_hooks) == 1
    assert _all_hooks(tiny_model) == before


def test_hooks_removed_after_an_exception_in_the_block(tiny_model):
    before = _all_hooks(tiny_model)
    with pytest.raises(KeyboardInterrupt), record(tiny_model, "0"):
        tiny_model(torch.randn(2, 3))
        raise KeyboardInterrupt
    assert _all_hooks(tiny_model) == before


class _Fails(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("forward failed")


def test_hooks_removed_after_an_exception_inside_forward():
    model = nn.Sequential(nn.Linear(3, 3), _Fails())
    before = _all_hooks(model)
    with pytest.raises(RuntimeError, match="forward failed"), record(model, ["0", "1"]) as rec:
        model(torch.randn(2, 3))
    assert _all_hooks(model) == before
    assert rec["0"].n_calls == 1  # the call that completed was recorded
    with pytest.raises(NotRecordedError):
        rec["1"]


def test_nested_records_on_the_same_module_both_receive_data(tiny_model):
    before = _all_hooks(tiny_model)
    with record(tiny_model, "0") as outer:
        tiny_model(torch.randn(3, 3))
        with record(tiny_model, ["0", "2"]) as inner:
            tiny_model(torch.randn(5, 3))
            assert len(tiny_model[0]._forward_hooks) == 2
        assert len(tiny_model[0]._forward_hooks) == 1  # the outer hook survived
        tiny_model(torch.randn(7, 3))
    assert _all_hooks(tiny_model) == before
    assert outer["0"].n_seen == 15 and inner["0"].n_seen == 5
    np.testing.assert_array_equal(inner["0"].X, outer["0"].X[3:8])


def test_user_hooks_are_untouched_and_still_called(tiny_model):
    calls = []

    def user_hook(module, args, output):
        calls.append(output.shape[0])

    def user_pre_hook(module, args):
        calls.append("pre")

    tiny_model[0].register_forward_hook(user_hook)
    tiny_model[0].register_forward_pre_hook(user_pre_hook)
    before = _all_hooks(tiny_model)
    pre_before = dict(tiny_model[0]._forward_pre_hooks)
    with record(tiny_model, "0") as rec:
        tiny_model(torch.randn(6, 3))
    assert calls == ["pre", 6]
    assert _all_hooks(tiny_model) == before
    assert dict(tiny_model[0]._forward_pre_hooks) == pre_before
    assert rec["0"].n_seen == 6


def test_bad_path_fails_before_any_hook_is_registered(tiny_model):
    before = _all_hooks(tiny_model)
    with pytest.raises(KeyError, match=r"no submodule '3'.*available paths: '0', '1', '2'"):
        with record(tiny_model, ["0", "3"]):
            pass  # pragma: no cover
    assert _all_hooks(tiny_model) == before


# --- inputs ---------------------------------------------------------------------------------


class _TwoInputs(nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
        return (a.sum(-1, keepdim=True) - b.sum(-1, keepdim=True)) * scale


def _run_two_inputs(**kwargs) -> tuple[torch.Tensor, torch.Tensor, object]:
    model = nn.Sequential(OrderedDict(block=_TwoInputs()))
    a, b = torch.randn(4, 2), torch.randn(4, 3) + 10
    with record(model, "block", **kwargs) as rec:
        model.block(a, b, 2.0)
    return a, b, rec["block"]


def test_first_tensor_input_by_default():
    a, _, recording = _run_two_inputs()
    np.testing.assert_allclose(recording.X, a.numpy(), rtol=1e-6)


def test_input_index_picks_another_positional_input():
    _, b, recording = _run_two_inputs(input_index=1)
    np.testing.assert_allclose(recording.X, b.numpy(), rtol=1e-6)


def test_input_index_all_concatenates_tensor_inputs_along_the_last_dim():
    a, b, recording = _run_two_inputs(input_index="all")
    np.testing.assert_allclose(recording.X, torch.cat([a, b], -1).numpy(), rtol=1e-6)
    assert recording.input_shape == (5,) and recording.call_input_shape == (4, 5)


def test_input_index_by_parameter_name_positional_or_keyword():
    _, b, recording = _run_two_inputs(input_index="b")
    np.testing.assert_allclose(recording.X, b.numpy(), rtol=1e-6)
    block = _TwoInputs()
    with record(block, "", input_index="b") as rec:
        block(torch.zeros(2, 2), b=torch.ones(2, 3))
    np.testing.assert_array_equal(rec[""].X, np.ones((2, 3)))


class _FirstOfTwo(nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a


def test_input_index_all_requires_the_same_leading_shape():
    block = _FirstOfTwo()
    with pytest.raises(ValueError, match=r"module '': input shape \(5, 3\) does not start with"):
        with record(block, "", input_index="all"):
            block(torch.zeros(4, 2), torch.zeros(5, 3))
    assert not block._forward_hooks


def test_input_index_errors_name_the_module_and_what_was_passed():
    block = _TwoInputs()
    with pytest.raises(IndexError, match=r"module '': input_index=3 .* 3 positional inputs"):
        with record(block, "", input_index=3):
            block(torch.zeros(1, 2), torch.zeros(1, 3), 1.0)
    with pytest.raises(TypeError, match=r"input_index=2 is a float, not a tensor"):
        with record(block, "", input_index=2):
            block(torch.zeros(1, 2), torch.zeros(1, 3), 1.0)
    with pytest.raises(KeyError, match=r"no input named 'c'; inputs: \['a', 'b'\]"):
        with record(block, "", input_index="c"):
            block(torch.zeros(1, 2), torch.zeros(1, 3))


class _KeywordOnly(nn.Module):
    def forward(self, *, x: torch.Tensor) -> torch.Tensor:
        return 2 * x


def test_keyword_only_tensor_inputs_are_found():
    block = _KeywordOnly()
    with record(block, "") as rec:
        block(x=torch.ones(3, 2))
    np.testing.assert_array_equal(rec[""].X, np.ones((3, 2)))
    np.testing.assert_array_equal(rec[""].Y, 2 * np.ones((3, 2)))


def test_per_path_options_as_mappings():
    model = nn.Sequential(OrderedDict(two=_TwoInputs()))
    model.lin = nn.Linear(3, 1)
    b = torch.randn(4, 3)
    with record(model, ["two", "lin"], input_index={"two": 1}) as rec:
        model.two(torch.randn(4, 2), b)
        model.lin(b)
    np.testing.assert_allclose(rec["two"].X, b.numpy(), rtol=1e-6)
    np.testing.assert_allclose(rec["lin"].X, b.numpy(), rtol=1e-6)
    with pytest.raises(KeyError, match="unrecorded paths"):
        with record(model, "lin", output_key={"nope": 0}):
            pass  # pragma: no cover


# --- outputs --------------------------------------------------------------------------------


class _TupleOut(nn.Module):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, str]:
        return x + 1, x * 10, "note"


def test_tuple_output_default_is_the_first_tensor_with_a_warning():
    block = _TupleOut()
    with pytest.warns(UserWarning, match=r"module '' returns 2 tensors \[0, 1\]; recording 0"):
        with record(block, "") as rec:
            block(torch.ones(2, 2))
            block(torch.ones(2, 2))  # warned once only
    np.testing.assert_array_equal(rec[""].Y, 2 * np.ones((4, 2)))


def test_tuple_output_key_picks_an_element_and_errors_list_the_choices():
    block = _TupleOut()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with record(block, "", output_key=1) as rec:
            block(torch.ones(2, 2))
    np.testing.assert_array_equal(rec[""].Y, 10 * np.ones((2, 2)))
    with pytest.raises(KeyError, match=r"no output_key 5; available keys: \[0, 1, 2\]"):
        with record(block, "", output_key=5):
            block(torch.ones(2, 2))
    with pytest.raises(TypeError, match="output 2 is a str, not a tensor"):
        with record(block, "", output_key=2):
            block(torch.ones(2, 2))


class _DictOut(nn.Module):
    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"hidden": x * 3, "logits": x.sum(-1, keepdim=True)}


def test_dict_output_by_key_and_missing_key_error_names_path_and_keys():
    model = nn.Sequential(OrderedDict(head=_DictOut()))
    with record(model, "head", output_key="logits") as rec:
        model(torch.ones(3, 4))
    np.testing.assert_array_equal(rec["head"].Y, 4 * np.ones((3, 1)))
    with pytest.raises(KeyError, match=r"module 'head'.*'loss'.*\['hidden', 'logits'\]"):
        with record(model, "head", output_key="loss"):
            model(torch.ones(3, 4))
    assert not model.head._forward_hooks


def test_namedtuple_output_by_field_name():
    Out = namedtuple("Out", ["aux", "value"])

    class Block(nn.Module):
        def forward(self, x):
            return Out(x, x - 1)

    block = Block()
    with record(block, "", output_key="value") as rec:
        block(torch.ones(2, 1))
    np.testing.assert_array_equal(rec[""].Y, np.zeros((2, 1)))


def test_single_tensor_output_rejects_an_output_key(tiny_model):
    with pytest.raises(TypeError, match=r"module '0' returns a single tensor, so output_key=0"):
        with record(tiny_model, "0", output_key=0):
            tiny_model(torch.ones(1, 3))


# --- shapes ---------------------------------------------------------------------------------


def test_batch_seq_dim_tensors_become_rows_over_leading_dims():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(5, 4), nn.GELU(), nn.Linear(4, 5))
    x = torch.randn(3, 7, 5)
    with record(model, "0") as rec:
        model(x)
    recording = rec["0"]
    assert recording.X.shape == (21, 5) and recording.Y.shape == (21, 4)
    assert recording.input_shape == (5,) and recording.output_shape == (4,)
    assert recording.call_input_shape == (3, 7, 5) and recording.call_output_shape == (3, 7, 4)
    np.testing.assert_allclose(recording.X, x.reshape(21, 5).numpy(), rtol=1e-6)
    np.testing.assert_allclose(recording.Y, _linear(model[0], recording.X), atol=1e-6)


class _Heads(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, s, 4) -> (b, s, 2, 2)
        return x.unflatten(-1, (2, 2)) * 2


def test_trailing_output_feature_shape_is_kept_for_reshaping_back():
    x = torch.randn(2, 3, 4)
    block = _Heads()
    with record(block, "") as rec:
        block(x)
    recording = rec[""]
    assert recording.output_shape == (2, 2) and recording.Y.shape == (6, 4)
    back = recording.Y.reshape(recording.call_input_shape[:-1] + recording.output_shape)
    np.testing.assert_allclose(back, block(x).numpy(), rtol=1e-6)


class _PerRow(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.sum(-1)


def test_one_value_per_row_outputs_and_inputs():
    block = _PerRow()
    with record(block, "") as rec:
        block(torch.ones(4, 3))
    assert rec[""].output_shape == () and rec[""].Y.shape == (4, 1)
    double = nn.Sequential(nn.Identity())
    with record(double, "0") as rec:
        double(torch.arange(3.0))  # 1-D tensors: one row per element, e.g. u(x) of a PINN
    assert rec["0"].input_shape == () and rec["0"].X.shape == (3, 1)
    np.testing.assert_array_equal(rec["0"].X[:, 0], [0.0, 1.0, 2.0])


class _Pool(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:  # halves the sequence length
        return x[:, ::2]


def test_changed_leading_dims_give_a_clear_error_and_clean_up():
    model = nn.Sequential(OrderedDict(pool=_Pool()))
    with pytest.raises(
        ValueError,
        match=r"module 'pool': output shape \(2, 3, 4\) does not start with the leading dims "
        r"\(2, 6\) of input shape \(2, 6, 4\)",
    ):
        with record(model, "pool"):
            model(torch.zeros(2, 6, 4))
    assert not model.pool._forward_hooks


def test_feature_shape_changes_between_calls_are_an_error(tiny_model):
    block = _PerRow()
    with pytest.raises(ValueError, match=r"call 2 has feature shapes in=\(2,\)"):
        with record(block, "") as rec:
            block(torch.ones(4, 3))
            block(torch.ones(4, 2))
    assert rec[""].n_calls == 1


# --- modules called several times per forward ------------------------------------------------


class _Shared(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return sum(self.layer(x + shift) for shift in (0.0, 100.0, 200.0))


def test_every_call_of_a_module_is_recorded():
    model = _Shared()
    with record(model, "layer") as rec:
        model(torch.rand(10, 2))
        model(torch.rand(10, 2))
    recording = rec["layer"]
    assert recording.n_calls == 6 and recording.n_seen == 60 and recording.X.shape == (60, 2)
    np.testing.assert_allclose(recording.Y, _linear(model.layer, recording.X), atol=1e-3)
    # the second and third calls of each forward are in there too, in stream order
    assert (recording.X[10:20] > 99).all() and (recording.X[20:30] > 199).all()


# --- reservoir ------------------------------------------------------------------------------


def _stream(n_batches: int, batch: int, **kwargs):
    """Record an identity over batches whose rows carry (batch number, position in batch)."""
    block = nn.Identity()
    with record(block, "", **kwargs) as rec:
        for b in range(n_batches):
            block(torch.stack([torch.full((batch,), float(b)), torch.arange(batch)], 1))
    return rec[""]


def test_reservoir_holds_the_cap_and_rows_stay_paired():
    recording = _stream(40, 250, max_samples=1000)
    assert recording.X.shape == (1000, 2) and recording.n_seen == 10_000
    assert len(np.unique(recording.row_index)) == 1000
    assert np.all(np.diff(recording.row_index) > 0)  # stream order
    np.testing.assert_array_equal(recording.X, recording.Y)
    np.testing.assert_array_equal(recording.X[:, 0], recording.row_index // 250)
    np.testing.assert_array_equal(recording.X[:, 1], recording.row_index % 250)


def test_reservoir_sample_is_uniform_over_batches_and_positions():
    recording = _stream(50, 400, max_samples=2000, random_state=7)
    per_batch = np.bincount(recording.X[:, 0].astype(int), minlength=50)  # expect 40 each
    chi2_batches = ((per_batch - 40.0) ** 2 / 40.0).sum()
    assert chi2_batches < 86.7  # chi2(49) 99.99 % quantile; keep-first or keep-last fail badly
    assert per_batch[:5].sum() > 120 and per_batch[-5:].sum() > 120  # ~200 expected each
    per_position = np.bincount(recording.X[:, 1].astype(int) // 40, minlength=10)  # 200 each
    chi2_positions = ((per_position - 200.0) ** 2 / 200.0).sum()
    assert chi2_positions < 33.7  # chi2(9) 99.99 % quantile


def test_long_streams_stay_uniform_once_rows_are_rarely_kept():
    recording = _stream(100, 400, max_samples=400, random_state=1)  # keep 1 % of the rows
    per_tenth = np.bincount(recording.X[:, 0].astype(int) // 10, minlength=10)  # 40 each
    assert ((per_tenth - 40.0) ** 2 / 40.0).sum() < 33.7  # chi2(9) 99.99 % quantile


def test_one_huge_batch_and_many_tiny_batches_are_both_capped():
    huge = _stream(1, 50_000, max_samples=300)
    assert huge.X.shape == (300, 2) and huge.X[:, 1].mean() == pytest.approx(25_000, rel=0.1)
    tiny = _stream(3000, 1, max_samples=30)
    assert tiny.X.shape == (30, 2) and tiny.X[:, 0].mean() == pytest.approx(1500, rel=0.25)


def test_random_state_makes_the_sample_reproducible():
    a = _stream(20, 100, max_samples=50, random_state=3)
    b = _stream(20, 100, max_samples=50, random_state=3)
    c = _stream(20, 100, max_samples=50, random_state=4)
    np.testing.assert_array_equal(a.row_index, b.row_index)
    assert not np.array_equal(a.row_index, c.row_index)


def test_sample_of_a_path_does_not_depend_on_the_other_paths(tiny_model):
    batches = [torch.randn(100, 3, generator=torch.Generator().manual_seed(i)) for i in range(5)]
    rows = []
    for paths in (["0"], ["2", "0"]):
        with record(tiny_model, paths, max_samples=30) as rec:
            for batch in batches:
                tiny_model(batch)
        rows.append(rec["0"].row_index)
    np.testing.assert_array_equal(rows[0], rows[1])


def test_max_samples_must_be_positive(tiny_model):
    with pytest.raises(ValueError, match="max_samples must be a positive int, got 0"):
        with record(tiny_model, "0", max_samples=0):
            pass  # pragma: no cover


# --- variable transforms ---------------------------------------------------------------------


def test_variable_transforms_give_named_features_and_keep_raw_inputs(tiny_model):
    transforms = [lambda x: x[:, 0] * x[:, 1], lambda x: x[:, 2] ** 2]
    with record(
        tiny_model, "0", variable_transforms=transforms, variable_names=["prod", "sq"]
    ) as rec:
        tiny_model(torch.randn(9, 3))
    recording = rec["0"]
    raw = recording.X_raw
    assert recording.X.shape == (9, 2) and raw.shape == (9, 3)
    np.testing.assert_allclose(recording.X[:, 0], raw[:, 0] * raw[:, 1])
    np.testing.assert_allclose(recording.X[:, 1], raw[:, 2] ** 2)
    assert recording.variable_names == ("prod", "sq")
    assert recording.variable_transforms == tuple(transforms)
    np.testing.assert_allclose(recording.Y, _linear(tiny_model[0], raw), atol=1e-6)


def test_transform_names_default_to_x_and_are_validated(tiny_model):
    with record(tiny_model, "0", variable_transforms=[lambda x: x.sum(1)]) as rec:
        tiny_model(torch.randn(2, 3))
    assert rec["0"].variable_names == ("x0",)
    with pytest.raises(ValueError, match="2 variable_names for 1 variable_transforms"):
        record(tiny_model, "0", variable_transforms=[abs], variable_names=["a", "b"]).__enter__()
    with pytest.raises(ValueError, match="unique identifiers"):
        record(tiny_model, "0", variable_names=["a b", "c", "d"]).__enter__()
    assert not tiny_model[0]._forward_hooks


def test_a_transform_with_the_wrong_shape_is_named(tiny_model):
    with record(tiny_model, "0", variable_transforms=[lambda x: x[:, :2]]) as rec:
        tiny_model(torch.randn(4, 3))
    with pytest.raises(ValueError, match=r"variable_transforms\[0\].*shape \(4, 2\).*\(4,\)"):
        rec["0"]


def test_raw_variable_names_must_match_the_input_width(tiny_model):
    with record(tiny_model, "0", variable_names=["a", "b"]) as rec:
        tiny_model(torch.randn(4, 3))
    with pytest.raises(ValueError, match=r"module '0': 2 variable_names .* for 3 input features"):
        rec["0"]


# --- nothing recorded -----------------------------------------------------------------------


def test_unreached_module_gives_a_clear_error(tiny_model):
    model = nn.ModuleDict({"0": tiny_model, "unused": nn.Linear(2, 2)})
    with record(model, ["0.2", "unused"]) as rec:
        model["0"](torch.randn(2, 3))
    assert "unused" not in rec and "0.2" in rec and list(rec) == ["0.2"]
    with pytest.raises(NotRecordedError, match="no forward pass reached module 'unused'"):
        rec["unused"]
    with pytest.raises(KeyError, match=r"'0.0' was not recorded; recorded paths: \['0.2'"):
        rec["0.0"]
    assert set(rec.recordings) == {"0.2"}


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_models_are_recorded_to_cpu_numpy(tiny_model):
    model = tiny_model.cuda()
    with torch.no_grad(), record(model, "0", max_samples=100) as rec:
        for _ in range(5):
            model(torch.randn(64, 3, device="cuda"))
    recording = rec["0"]
    assert isinstance(recording.X, np.ndarray) and recording.X.shape == (100, 3)
    np.testing.assert_allclose(recording.Y, _linear(model[0].cpu(), recording.X), atol=1e-5)


def test_stl_record_stays_the_function_after_session_imports_the_submodule():
    code = (
        "import symtorch_lab as stl; stl.Session; print(callable(stl.record), stl.record.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "record"]


def test_inplace_module_is_recorded_before_it_overwrites_its_input():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(inplace=True))
    with record(model, "1") as rec:
        model(torch.randn(50, 2))
    assert (rec["1"].X < 0).any()
    np.testing.assert_array_equal(rec["1"].Y, np.maximum(rec["1"].X, 0))


def test_each_thread_records_only_its_own_forward_passes():
    model = nn.Sequential(nn.Linear(2, 2))
    barrier, counts = threading.Barrier(2), {}

    def run(name, n_rows):
        with record(model, "0", max_samples=10_000) as rec:
            barrier.wait()
            for _ in range(20):
                model(torch.randn(n_rows, 2))
            barrier.wait()
        counts[name] = rec["0"].n_seen

    threads = [threading.Thread(target=run, args=(n, r)) for n, r in (("a", 3), ("b", 5))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counts == {"a": 60, "b": 100}
