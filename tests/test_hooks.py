"""HookSet owns exactly its handles; resolve_module explains bad paths; training_mode restores."""

from __future__ import annotations

import threading
from collections import OrderedDict

import pytest
import torch
from torch import nn

from symtorch_lab.hooks import HookSet, ModulePathError, eval_mode, resolve_module, training_mode


@pytest.fixture
def tiny_model() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def _hook_state(module: nn.Module) -> tuple[dict, dict, dict, dict]:
    """Every hook dict a forward (pre-)hook registration can touch, copied."""
    return (
        dict(module._forward_hooks),
        dict(module._forward_hooks_with_kwargs),
        dict(module._forward_pre_hooks),
        dict(module._forward_pre_hooks_with_kwargs),
    )


def test_hookset_calls_and_removes_only_its_own_hooks(tiny_model):
    layer = tiny_model[0]
    user_calls, our_calls = [], []

    def user_hook(module, args, output):
        user_calls.append(1)

    user_handle = layer.register_forward_hook(user_hook)
    before = _hook_state(layer)
    hooks = HookSet()
    hooks.add_forward_hook(layer, lambda m, a, k, o: our_calls.append("fwd"), with_kwargs=True)
    hooks.add_forward_pre_hook(layer, lambda m, a: our_calls.append("pre"))
    assert len(hooks) == 2 and len(layer._forward_hooks) == 2
    tiny_model(torch.zeros(5, 3))
    assert our_calls == ["pre", "fwd"] and user_calls == [1]

    hooks.remove()
    assert _hook_state(layer) == before
    assert layer._forward_hooks[user_handle.id] is user_hook
    hooks.remove()  # idempotent
    assert _hook_state(layer) == before and len(hooks) == 0


def test_hookset_remove_does_not_touch_hooks_registered_after_it(tiny_model):
    layer = tiny_model[2]
    hooks = HookSet()
    hooks.add_forward_hook(layer, lambda m, a, o: None)
    later = layer.register_forward_hook(lambda m, a, o: None)
    hooks.remove()
    hooks.remove()
    assert list(layer._forward_hooks) == [later.id]


def test_hookset_context_manager_removes_on_exception(tiny_model):
    layer = tiny_model[0]
    before = _hook_state(layer)
    with pytest.raises(RuntimeError, match="boom"), HookSet() as hooks:
        hooks.add_forward_hook(layer, lambda m, a, k, o: None, with_kwargs=True)
        hooks.add_forward_pre_hook(layer, lambda m, a, k: None, with_kwargs=True)
        assert _hook_state(layer) != before
        raise RuntimeError("boom")
    assert _hook_state(layer) == before
    assert hooks.handles == ()


def test_resolve_module_returns_submodules_and_the_model_itself(tiny_model):
    assert resolve_module(tiny_model, "2") is tiny_model[2]
    assert resolve_module(tiny_model, "") is tiny_model


def test_resolve_module_finds_every_alias_of_a_shared_module():
    shared = nn.Linear(2, 2)
    model = nn.Module()
    model.first, model.second = shared, shared
    assert resolve_module(model, "second") is shared


def test_resolve_module_error_names_path_and_suggests_close_match():
    model = nn.Sequential(OrderedDict(encoder=nn.Linear(2, 3), decoder=nn.Linear(3, 2)))
    with pytest.raises(ModulePathError) as info:
        resolve_module(model, "decodr")
    message = str(info.value)
    assert "'decodr'" in message
    assert "did you mean 'decoder'" in message
    assert "available paths: 'encoder', 'decoder'" in message
    assert isinstance(info.value, KeyError)


def test_resolve_module_error_explains_a_parameter_path(tiny_model):
    with pytest.raises(KeyError, match="'weight' is an attribute of '0', not a submodule"):
        resolve_module(tiny_model, "0.weight")


def test_resolve_module_error_lists_a_bounded_number_of_paths():
    model = nn.Sequential(*[nn.Identity() for _ in range(30)])
    with pytest.raises(KeyError, match=r"'11', \.\.\. \(18 more\)$"):
        resolve_module(model, "blocks.40")


def test_resolve_module_rejects_non_string_paths(tiny_model):
    with pytest.raises(TypeError, match="must be a str, got int 0"):
        resolve_module(tiny_model, 0)  # type: ignore[arg-type]


def test_training_mode_restores_each_modules_own_flag(tiny_model):
    tiny_model.train()
    tiny_model[2].eval()  # deliberately mixed, e.g. a frozen head
    with eval_mode(tiny_model) as model:
        assert model is tiny_model
        assert not any(m.training for m in tiny_model.modules())
    assert [m.training for m in tiny_model.modules()] == [True, True, True, False]


def test_training_mode_restores_after_an_exception(tiny_model):
    tiny_model.eval()
    with pytest.raises(ValueError, match="inside"), training_mode(tiny_model, True):
        assert all(m.training for m in tiny_model.modules())
        raise ValueError("inside")
    assert not any(m.training for m in tiny_model.modules())


def test_eval_mode_from_two_threads_restores_training():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5)).train()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def first():  # enters first, leaves first
        with eval_mode(model):
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second():  # enters while the model is in eval: it must not save "eval" as the state
        first_in.wait(10)
        with eval_mode(model):
            second_in.set()
            first_out.wait(10)

    threads = [threading.Thread(target=f) for f in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(m.training for m in model.modules())


def test_other_mode_while_another_thread_holds_the_model_is_refused():
    model = nn.Linear(2, 2)
    inside, leave = threading.Event(), threading.Event()

    def hold():
        with eval_mode(model):
            inside.set()
            leave.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    inside.wait(10)
    try:
        with pytest.raises(RuntimeError, match="held in eval mode by another thread"):
            with training_mode(model, True):
                pass
    finally:
        leave.set()
        t.join()
    assert model.training
