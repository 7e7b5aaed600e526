"""Which module refused the user's data, and with which input shape.

Why: data with the wrong number of features fails deep inside torch ("mat1 and mat2 shapes
cannot be multiplied (100x3 and 5x32)"), naming no module. Every place that runs the model on
user data (recording, shape probing, metrics, benchmarks) goes through :func:`call_checked`,
which costs nothing while the model runs: only when the call raises is it run once more with
forward pre/post hooks on every module, to find the innermost module that was running when it
raised and the shapes it was given. The result is a :class:`DataMismatchError` (a
``ValueError``) such as ``data does not fit the model: module 'mlp.0' (Linear,
in_features=5) got input of shape (100, 3)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from .hooks import HookSet

# what torch raises for inputs of the wrong shape, dtype or index range
_FIT_ERRORS = (RuntimeError, ValueError, TypeError, IndexError)
# the sizes a module states about the input it expects, in the order they are named
_EXPECTS = ("in_features", "in_channels", "num_features", "normalized_shape", "num_embeddings")


class DataMismatchError(ValueError):
    """The data does not fit the model: names the module, its type and the input shape.

    ``found`` is ``(path, module, input shapes, cause)`` when a module was named, so that
    :func:`on_rows` can restate the error for the user's whole data.
    """

    def __init__(self, message: str, found: tuple | None = None) -> None:
        super().__init__(message)
        self.found = found


def on_rows(err: DataMismatchError, probe_rows: int, n_rows: int) -> DataMismatchError:
    """``err`` (raised on the first ``probe_rows`` rows of the data) restated for the data's
    ``n_rows`` rows: the user's shape leads, the probe is named only beside torch's text."""
    if err.found is None:
        return err
    path, module, shapes, exc = err.found
    if probe_rows == n_rows:  # the probe was the whole data
        return DataMismatchError(_describe(path, module, shapes, exc), err.found)
    shapes = [(n_rows, *s[1:]) if s and s[0] == probe_rows else s for s in shapes]
    cause = f"(tried on its first {probe_rows} rows: {exc})"
    return DataMismatchError(_describe(path, module, shapes, cause, sep=" "), err.found)


def call_checked(model: nn.Module, call: Callable[[], Any]) -> Any:
    """``call()`` (which runs ``model``); if it raises inside a module, say which one.

    Re-raises ``DataMismatchError(...) from exc`` naming the innermost module that raised,
    found by running ``call`` once more with hooks; errors outside any module of ``model``
    (in the data itself, say) propagate unchanged.
    """
    try:
        return call()
    except DataMismatchError:
        raise
    except _FIT_ERRORS as exc:
        found = _innermost_failing(model, call)
        if found is None:
            raise
        raise DataMismatchError(_describe(*found, exc), (*found, exc)) from exc


def _innermost_failing(
    model: nn.Module, call: Callable[[], Any]
) -> tuple[str, nn.Module, list[tuple[int, ...]]] | None:
    stack: list[tuple[str, nn.Module, list[tuple[int, ...]]]] = []

    def enter(path: str):
        def pre(module: nn.Module, args: tuple, kwargs: dict) -> None:
            stack.append((path, module, _shapes(args, kwargs)))

        return pre

    def leave(_module: nn.Module, _args: tuple, _output: Any) -> None:
        if stack:
            stack.pop()

    with HookSet() as hooks:
        for path, module in model.named_modules():
            hooks.add_forward_pre_hook(module, enter(path), with_kwargs=True)
            hooks.add_forward_hook(module, leave)
        try:
            call()
        except _FIT_ERRORS:
            return stack[-1] if stack else None
    return None  # it ran this time: nothing to name


def _shapes(args: tuple, kwargs: dict) -> list[tuple[int, ...]]:
    values = [*args, *kwargs.values()]
    out = []
    for value in values:
        items = value.values() if isinstance(value, Mapping) else value
        if isinstance(value, torch.Tensor):
            out.append(tuple(value.shape))
        elif isinstance(items, tuple | list):
            out.extend(tuple(v.shape) for v in items if isinstance(v, torch.Tensor))
    return out


def _describe(
    path: str, module: nn.Module, shapes: list[tuple[int, ...]], exc: object, sep: str = ": "
) -> str:
    expects = [f"{a}={_plain(getattr(module, a))}" for a in _EXPECTS if hasattr(module, a)]
    kind = ", ".join([type(module).__name__, *expects])
    where = f"module {path!r}" if path else "the model's top module"
    if len(shapes) == 1:
        got = f"input of shape {shapes[0]}"
    elif shapes:
        got = "inputs of shapes " + ", ".join(map(str, shapes))
    else:
        got = "no tensor input"
    return f"data does not fit the model: {where} ({kind}) got {got}{sep}{exc}"


def _plain(value: Any) -> Any:
    return tuple(value) if isinstance(value, torch.Size | list) else value
