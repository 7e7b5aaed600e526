"""The one data contract of the engine: what ``data`` may be, and what X/y/weights must be.

Recording (:class:`~symtorch_lab.session.Session`), scoring (:mod:`symtorch_lab.metrics`),
timing (:mod:`symtorch_lab.benchmark`), fitting (:mod:`symtorch_lab.distill`, the backends)
and refitting (:meth:`Expression.refit`) used to each read their input their own way, and
disagreed: a callable ran the model in a Session but was called with no argument by the
metrics, so a Lab on callable data broke at Compare. Here is the single reading.

``data`` (what is fed to a model) is one of

* a tensor of inputs (split into row batches of ``batch_size``);
* one batch: an ``(inputs, target)`` tuple, or a dict passed as keyword arguments
  (Hugging Face style; its ``"labels"`` are the target and are not passed to the model);
* an iterable of batches (a list, a ``DataLoader``): each a tensor, an ``(inputs,)`` or
  ``(inputs, target)`` tuple/list, or a dict;
* a callable ``f(model)`` that runs the model itself (its model calls are what is scored), or
  a zero-argument callable ``f()`` returning fresh data of any form above (a new iterator each
  time, for data that is read more than once).

X/y/weights (what is fitted) go through :func:`check_arrays`: float64, ``X (n, d)``,
``Y (n, k)``, weights ``(n,)``, with errors that name the caller, the shape and the value.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ._misfit import call_checked
from .hooks import HookSet, eval_mode

IGNORE_INDEX = -100  # Hugging Face / torch convention for targets that are not scored
BATCH_FORMS = "a tensor, an (inputs,) or (inputs, target) tuple/list, or a dict"


# ----------------------------------------------------------------------------- walking data


@dataclass(frozen=True)
class Batch:
    """One model call: positional and keyword inputs, and the target (``None`` if absent)."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    target: torch.Tensor | None


def runs_model(data: Any) -> bool:
    """Whether ``data`` is a callable ``f(model)`` (one required positional parameter)."""
    if not callable(data) or isinstance(data, torch.Tensor | nn.Module):
        return False
    try:
        params = inspect.signature(data).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: the Session's convention
        return True
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return any(p.kind in positional and p.default is p.empty for p in params)


def is_single_batch(data: Any) -> bool:
    """A tensor, a dict, or an ``(inputs, target)`` tuple is one batch, not batches."""
    if isinstance(data, torch.Tensor | Mapping):
        return True
    # only a *tuple* is one (X, y) pair: a list of two tensors is two batches of input_ids
    return isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], torch.Tensor)


def _leading(obj: Any) -> int | None:
    if isinstance(obj, torch.Tensor):
        return obj.shape[0] if obj.ndim else None
    values = obj.values() if isinstance(obj, Mapping) else obj
    return next((n for n in map(_leading, values) if n is not None), None)


def _take(obj: Any, index: slice) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj[index] if obj.ndim else obj
    if isinstance(obj, Mapping):
        return {key: _take(value, index) for key, value in obj.items()}
    return type(obj)(_take(value, index) for value in obj)


def iter_batches(data: Any, batch_size: int | None = None) -> Iterator[Any]:
    """Raw batches of ``data`` (any form but ``f(model)``, which has no batches to give)."""
    if runs_model(data):
        raise TypeError("data is a callable f(model) that runs the model itself: no batches")
    if callable(data) and not isinstance(data, torch.Tensor | nn.Module):
        data = data()
    if not is_single_batch(data):
        if not isinstance(data, Iterable):
            raise TypeError(
                f"data must be {BATCH_FORMS}, batches of those or a callable, got "
                f"{type(data).__name__}"
            )
        yield from data
        return
    n = _leading(data)
    if batch_size is None or n is None:
        yield data
        return
    for start in range(0, n, batch_size):
        yield _take(data, slice(start, start + batch_size))


def split(batch: Any, *, lm: bool = False) -> Batch:
    """Model inputs and target of one batch; ``lm``: a tensor/dict scores its own tokens."""
    if isinstance(batch, Mapping):
        kwargs = {key: value for key, value in batch.items() if key != "labels"}
        target = batch.get("labels", batch.get("input_ids") if lm else None)
        if lm and target is not None and "attention_mask" in batch:
            target = target.masked_fill(
                batch["attention_mask"].to(target.device) == 0, IGNORE_INDEX
            )
        return Batch((), kwargs, target)
    if isinstance(batch, torch.Tensor):
        return Batch((batch,), {}, batch if lm else None)
    if isinstance(batch, tuple | list) and len(batch) in (1, 2):
        return Batch((batch[0],), {}, batch[1] if len(batch) == 2 else None)
    size = f" of length {len(batch)}" if isinstance(batch, tuple | list) else ""
    raise TypeError(f"a batch must be {BATCH_FORMS}; got {type(batch).__name__}{size}")


def to_device(obj: Any, device: torch.device | None) -> Any:
    if device is None:
        return obj
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, Mapping):
        return {key: to_device(value, device) for key, value in obj.items()}
    if isinstance(obj, tuple | list):
        return type(obj)(to_device(value, device) for value in obj)
    return obj


def model_device(model: nn.Module) -> torch.device | None:
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return None


@contextlib.contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """``eval()`` + ``no_grad`` for the block, then restore every module's own training flag.

    ``model.train()`` afterwards would be wrong for models that keep some parts in eval mode
    (frozen BatchNorm, a frozen backbone), so each flag is restored individually.
    """
    with eval_mode(model), torch.no_grad():
        yield model


OnOutput = Callable[[Any, "torch.Tensor | None"], None]


def run(
    model: nn.Module,
    data: Any,
    *,
    batch_size: int | None = None,
    lm: bool = False,
    on_output: OnOutput | None = None,
) -> None:
    """Feed ``data`` through ``model`` under ``no_grad``; ``on_output(output, target)`` per call.

    For ``f(model)`` the calls are the model's own forward calls made by ``f`` (target
    ``None``); otherwise one call per batch, inputs moved to the model's device. A call that
    raises inside a module raises ``DataMismatchError`` naming it (see :mod:`._misfit`).
    """
    with torch.no_grad():
        if runs_model(data):
            with HookSet() as hooks:
                if on_output is not None:
                    hooks.add_forward_hook(model, lambda _m, _a, out: on_output(out, None))
                call_checked(model, lambda: data(model))
            return
        device = model_device(model)
        for raw in iter_batches(data, batch_size):
            batch = split(raw, lm=lm)
            args, kwargs = to_device(batch.args, device), to_device(batch.kwargs, device)
            out = call_checked(model, lambda: model(*args, **kwargs))  # noqa: B023 - called now
            if on_output is not None:
                on_output(out, batch.target)


class _Captured(BaseException):
    """Stops ``f(model)`` once its first model call's inputs are captured."""


def first_inputs(model: nn.Module, data: Any, *, batch_size: int | None = None) -> Any:
    """The inputs of the first model call (a tensor, a tuple of arguments, or a dict)."""
    if not runs_model(data):
        first = next(iter(iter_batches(data, batch_size)), None)
        if first is None:
            raise ValueError("data yielded no batches")
        batch = split(first)
        return batch.kwargs or (batch.args[0] if len(batch.args) == 1 else batch.args)
    seen: list[Any] = []

    def capture(_module: nn.Module, args: tuple, kwargs: dict) -> None:
        seen.append(kwargs or (args[0] if len(args) == 1 else args))
        raise _Captured

    with HookSet() as hooks, torch.no_grad():
        hooks.add_forward_pre_hook(model, capture, with_kwargs=True)
        try:
            data(model)
        except _Captured:
            pass
    if not seen:
        raise ValueError("data: the callable f(model) never called the model")
    return seen[0]


def check_data(data: Any, where: str) -> Any:
    """Refuse, before anything runs, ``data`` that is not one of the forms above.

    ``Lab(model, "hello")`` used to log a traceback from the shape probe and show a dead
    widget; a str, a number or an array is refused here naming ``data`` and what it takes.
    """
    if data is None or callable(data) or is_single_batch(data):
        return data
    got = f"{type(data).__name__} {_short(data)}"
    hint = ""
    if isinstance(data, np.ndarray):
        hint = "; convert it with torch.as_tensor(data)"
    elif isinstance(data, list | tuple) and data:
        first = data[0]
        if isinstance(first, torch.Tensor | Mapping) or (
            isinstance(first, list | tuple) and len(first) in (1, 2)
        ):
            return data
        got = f"{type(data).__name__} whose first batch is {type(first).__name__} {_short(first)}"
    elif isinstance(data, Iterable) and not isinstance(data, str | bytes):
        return data  # a DataLoader, a generator: its batches are checked as they are read
    raise TypeError(
        f"{where} must be the model's inputs: {BATCH_FORMS}, a list/DataLoader of "
        f"batches, or a callable; got {got}{hint}"
    )


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"of shape {value.shape}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_reusable(data: Any, where: str) -> Any:
    """Refuse one-shot iterators where ``data`` is read twice (they would score nothing)."""
    if not callable(data) and not is_single_batch(data) and iter(data) is data:
        raise TypeError(
            f"{where}: data is a one-shot iterator; pass a list, a DataLoader or a callable "
            "returning a fresh iterator"
        )
    return data


# ----------------------------------------------------------------------------- X / y / weights


def as_float_array(a: Any, name: str, where: str) -> np.ndarray:
    """``a`` as a float64 array (tensors leave autograd and device behind)."""
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().double().numpy()
    try:
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{where}: {name} must be numeric, got {type(a).__name__}: {exc}"
        ) from None


def check_names(variable_names: Sequence[str] | None, n_features: int) -> tuple[str, ...]:
    """Unique identifiers, one per feature (``x0, x1, ...`` when not given)."""
    if variable_names is None:
        return tuple(f"x{i}" for i in range(n_features))
    names = tuple(str(n) for n in variable_names)
    if len(names) != n_features:
        raise ValueError(f"got {len(names)} variable_names for {n_features} features: {names}")
    bad = [n for n in names if not n.isidentifier()]
    if bad:
        raise ValueError(f"variable_names must be Python identifiers; bad: {bad}")
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"variable_names must be unique; repeated: {repeated}")
    return names


def check_arrays(
    X: Any,
    y: Any,
    sample_weight: Any = None,
    *,
    where: str,
    names: Sequence[str] | None = None,
    min_rows: int = 1,
    single_output: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float64 ``X (n, d)``, ``Y (n, k)`` and weights ``(n,)`` (ones when not given).

    A 1-D ``X`` is one feature, a 1-D ``y`` one output; ``single_output`` requires ``k == 1``.
    Raises ``ValueError`` starting with ``where``, naming the shape, row, column or value at fault.
    """
    X, Y = as_float_array(X, "X", where), as_float_array(y, "y", where)
    X = X[:, None] if X.ndim == 1 else X
    if X.ndim != 2 or X.shape[1] == 0:
        raise ValueError(f"{where}: X must have shape (n_rows, n_features), got shape {X.shape}")
    n, y_shape = len(X), Y.shape
    Y = Y[:, None] if Y.ndim == 1 else Y
    if Y.ndim != 2 or len(Y) != n:
        raise ValueError(f"{where}: y must have {n} rows like X {X.shape}, got shape {y_shape}")
    if single_output and Y.shape[1] != 1:
        raise ValueError(
            f"{where}: fits one output: y must have shape ({n},), got shape {Y.shape}; "
            "fit each output column separately"
        )
    if n < min_rows:
        raise ValueError(f"{where}: need at least {min_rows} rows to fit, got X of shape {X.shape}")
    names = tuple(names) if names is not None else tuple(f"x{j}" for j in range(X.shape[1]))
    _check_finite(X, Y, names, where)
    return X, Y, _check_weights(sample_weight, n, where)


def _check_finite(X: np.ndarray, Y: np.ndarray, names: tuple[str, ...], where: str) -> None:
    bad = ~np.isfinite(X)
    if bad.any():
        counts = bad.sum(axis=0)
        cols = [f"column {j} ({names[j]!r}): {counts[j]} rows" for j in np.flatnonzero(counts)]
        r, c = (int(i[0]) for i in np.nonzero(bad))
        raise ValueError(
            f"{where}: X of shape {X.shape} has NaN/inf values in {', '.join(cols)} (first at "
            f"row {r}, column {c}: {X[r, c]}); drop or impute those rows"
        )
    bad = ~np.isfinite(Y)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        r, c = (int(i[0]) for i in np.nonzero(bad))
        raise ValueError(
            f"{where}: y has NaN/inf values in {len(rows)} of {len(Y)} rows (first at row {r}, "
            f"column {c}: {Y[r, c]}); drop those rows"
        )


def _check_weights(sample_weight: Any, n: int, where: str) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    w = as_float_array(sample_weight, "sample_weight", where)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
        summary = f" (min {w.min()}, sum {w.sum()})" if w.size else ""
        raise ValueError(
            f"{where}: sample_weight must be {n} finite non-negative numbers with a positive "
            f"sum, got shape {w.shape}{summary}"
        )
    return w
