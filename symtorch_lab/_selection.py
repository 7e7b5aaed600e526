"""Which tensors of one module call a recording keeps: ``input_index`` and ``output_key``.

Split from :mod:`symtorch_lab.record`, whose hooks call these inside every forward pass.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn


def _describe(values: Sequence[Any]) -> str:
    return "(" + ", ".join(type(v).__name__ for v in values) + ")"


def select_input(path: str, module: nn.Module, args: tuple, kwargs: dict, index: Any) -> list:
    """The tensor input(s) of one call chosen by ``input_index``."""
    if index is None and args and isinstance(args[0], torch.Tensor):
        return [args[0]]  # the common case, kept cheap: this runs inside every forward
    if index is None or index == "all":
        found = [a for a in args if isinstance(a, torch.Tensor)]
        found += [v for v in kwargs.values() if isinstance(v, torch.Tensor)]
        if not found:
            raise TypeError(
                f"module {path!r} was called without tensor inputs: args {_describe(args)}, "
                f"kwargs {sorted(kwargs)}"
            )
        return found if index == "all" else found[:1]
    if isinstance(index, int):
        if not -len(args) <= index < len(args):
            raise IndexError(
                f"module {path!r}: input_index={index} but it was called with {len(args)} "
                f"positional inputs {_describe(args)}"
            )
        value = args[index]
    else:
        bound = _bind(module, args, kwargs)
        if index not in bound:
            raise KeyError(f"module {path!r}: no input named {index!r}; inputs: {sorted(bound)}")
        value = bound[index]
    if not isinstance(value, torch.Tensor):
        raise TypeError(
            f"module {path!r}: input_index={index!r} is a {type(value).__name__}, not a tensor"
        )
    return [value]


def _bind(module: nn.Module, args: tuple, kwargs: dict) -> dict[str, Any]:
    """Inputs by parameter name of ``module.forward``, wherever they were passed."""
    try:
        return dict(inspect.signature(module.forward).bind_partial(*args, **kwargs).arguments)
    except (TypeError, ValueError):
        return dict(kwargs)


def select_output(path: str, out: Any, key: Any, warn: bool) -> torch.Tensor:
    """The output tensor of one call chosen by ``output_key``."""
    if isinstance(out, torch.Tensor):
        if key is not None:
            raise TypeError(
                f"module {path!r} returns a single tensor, so output_key={key!r} does not apply; "
                "pass output_key=None or a {path: key} mapping"
            )
        return out
    if isinstance(out, Mapping):
        names, getter = list(out.keys()), out.__getitem__
    elif isinstance(out, (tuple, list)):
        names = list(getattr(out, "_fields", range(len(out))))
        getter = out.__getitem__ if not isinstance(key, str) else (lambda k: getattr(out, k))
    elif isinstance(key, str) and hasattr(out, key):
        names, getter = [key], (lambda k: getattr(out, k))
    else:
        raise TypeError(f"module {path!r} returned a {type(out).__name__}; pass output_key=...")
    if key is None:
        return _first_tensor(path, out, names, warn)
    try:
        value = getter(key)
    except (KeyError, IndexError, TypeError, AttributeError):
        raise KeyError(
            f"module {path!r} output ({type(out).__name__}) has no output_key {key!r}; "
            f"available keys: {names}"
        ) from None
    if not isinstance(value, torch.Tensor):
        raise TypeError(
            f"module {path!r}: output {key!r} is a {type(value).__name__}, not a tensor"
        )
    return value


def _first_tensor(path: str, out: Any, names: list, warn: bool) -> torch.Tensor:
    values = list(out.values()) if isinstance(out, Mapping) else list(out)
    tensors = [(n, v) for n, v in zip(names, values, strict=True) if isinstance(v, torch.Tensor)]
    if not tensors:
        raise TypeError(f"module {path!r} returned a {type(out).__name__} without tensors")
    if len(tensors) > 1 and warn:
        warnings.warn(
            f"module {path!r} returns {len(tensors)} tensors {[n for n, _ in tensors]}; recording "
            f"{tensors[0][0]!r}. Pass output_key to choose another.",
            stacklevel=4,
        )
    return tensors[0][1]
