"""Input/output shapes of every submodule, from one forward pass on the first batch.

Why: the panel's module tree (via the ``Lab``) shows what each layer maps (``(8,)→(2,)``)
before anything is distilled, so the user can choose a layer. It runs the model, so it is
engine code, not UI. Recording every module's rows would be wasteful;
one forward pass with exact, owned hooks (:class:`~symtorch_lab.hooks.HookSet`) on a small
first batch is enough. Shapes are the trailing shapes of one call (the batch dim dropped).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import torch
from torch import nn

from symtorch_lab._misfit import DataMismatchError, on_rows
from symtorch_lab.hooks import HookSet, eval_mode
from symtorch_lab.session import run_model

log = logging.getLogger(__name__)
Shape = list[int] | None
PROBE_ROWS = 8


def _first_tensor(value: Any) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value
    items = value.values() if isinstance(value, Mapping) else value
    if isinstance(items, Iterable) and not isinstance(items, str | bytes):
        for item in items:
            found = _first_tensor(item) if isinstance(item, torch.Tensor | tuple | list) else None
            if found is not None:
                return found
    return None


def _trailing(t: torch.Tensor | None) -> Shape:
    return None if t is None else [int(s) for s in t.shape[1:]]


def first_batch(data: Any) -> Any:
    """A small piece of ``data`` that still runs the model (see ``session.run_model``)."""
    if isinstance(data, torch.Tensor):
        return data[:PROBE_ROWS]
    if callable(data) or not isinstance(data, Iterable):
        return data
    for batch in data:
        return [batch]
    return []


def probe_shapes(model: nn.Module, data: Any) -> dict[str, tuple[Shape, Shape]]:
    """``{path: (input shape, output shape)}`` of every module reached by one small pass.

    Raises ``DataMismatchError`` (a ``ValueError`` naming the module and the input shape)
    when the data does not fit the model; other failures only cost the shapes.
    """
    shapes: dict[str, tuple[Shape, Shape]] = {}

    def hook_for(path: str):
        def hook(_module: nn.Module, args: tuple, output: Any) -> None:
            if path not in shapes:
                shapes[path] = (_trailing(_first_tensor(args)), _trailing(_first_tensor(output)))

        return hook

    if data is None:
        return shapes
    with HookSet() as hooks:
        for path, module in model.named_modules():
            hooks.add_forward_hook(module, hook_for(path))
        try:
            with eval_mode(model):
                run_model(model, first_batch(data))
        except DataMismatchError as err:  # said of the user's data, not of the probe's rows
            n = len(data) if isinstance(data, torch.Tensor) and data.ndim else PROBE_ROWS
            raise on_rows(err, min(n, PROBE_ROWS), n) from err.__cause__
        except Exception:  # noqa: BLE001 - shapes are a nicety; the Lab works without them
            log.warning("symtorch_lab Lab: could not run the model to find shapes", exc_info=True)
    return shapes
