"""Task metrics of a model on a data set: the *scoring* half of before/after measurement.

A surrogate is only worth having if the task metric barely moves (SymTorch's LLM case:
perplexity 10.62 -> 13.76 for +8.3 % tokens/s). :func:`evaluate` computes that metric the
same way for the original and the hybrid model: exact dataset means rather than means of
batch means, next-token shifting and attention masks for perplexity, and every module's own
training flag restored afterwards (:func:`evaluating`). Batch handling (pairs, dict batches,
``DataLoader`` objects, factories) lives here because scoring is where it is defined;
:mod:`symtorch_lab.benchmark` reuses it for timing and memory.

:func:`~symtorch_lab.benchmark.compare`, :class:`~symtorch_lab.benchmark.Comparison`,
:func:`~symtorch_lab.benchmark.throughput`, :func:`~symtorch_lab.benchmark.peak_memory` and
:func:`~symtorch_lab.benchmark.parameter_bytes` moved to :mod:`symtorch_lab.benchmark` to keep
each module to one concern; they are still importable from here (``from symtorch_lab.metrics
import compare``) through a lazy module ``__getattr__``, so importing either module first never
meets a half-initialised other one.
"""

from __future__ import annotations

import contextlib
import importlib
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import torch
from torch import nn
from torch.nn import functional as F

if TYPE_CHECKING:  # real imports for type checkers only; at run time see __getattr__ below
    from symtorch_lab.benchmark import (
        Comparison,
        compare,
        parameter_bytes,
        peak_memory,
        throughput,
    )

__all__ = ["METRICS", "Comparison", "compare", "evaluate", "evaluating", "parameter_bytes"]
__all__ += ["peak_memory", "throughput"]

METRICS = ("mse", "mae", "accuracy", "cross_entropy", "perplexity")
IGNORE_INDEX = -100  # Hugging Face / torch convention for targets that are not scored
Metric = Literal["mse", "mae", "accuracy", "cross_entropy", "perplexity"]
MetricFn = Callable[[torch.Tensor, torch.Tensor], float]


@contextlib.contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """``eval()`` + ``no_grad`` for the block, then restore every module's own training flag.

    ``model.train()`` afterwards would be wrong for models that keep some parts in eval mode
    (frozen BatchNorm, a frozen backbone), so each flag is restored individually.
    """
    flags = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        for module, flag in flags:
            module.training = flag


@dataclass(frozen=True)
class _Batch:
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    target: torch.Tensor | None


def _is_single_batch(data: Any) -> bool:
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


def _iter_batches(data: Any, batch_size: int | None) -> Iterator[Any]:
    """Yield raw batches from a pair/tensor/dict, an iterable of those, or a factory of either."""
    if callable(data) and not isinstance(data, torch.Tensor | nn.Module):
        data = data()
    if not _is_single_batch(data):
        yield from data
        return
    n = _leading(data)
    if batch_size is None or n is None:
        yield data
        return
    for start in range(0, n, batch_size):
        yield _take(data, slice(start, start + batch_size))


def _split(batch: Any, metric: str) -> _Batch:
    """Model inputs and target of one batch; dicts are passed as keyword arguments (HF style)."""
    lm = metric == "perplexity"
    if isinstance(batch, Mapping):
        kwargs = {key: value for key, value in batch.items() if key != "labels"}
        target = batch.get("labels", batch.get("input_ids") if lm else None)
        if lm and target is not None and "attention_mask" in batch:
            target = target.masked_fill(
                batch["attention_mask"].to(target.device) == 0, IGNORE_INDEX
            )
        return _Batch((), kwargs, target)
    if isinstance(batch, torch.Tensor):
        return _Batch((batch,), {}, batch if lm else None)
    if isinstance(batch, tuple | list) and len(batch) == 2:
        return _Batch((batch[0],), {}, batch[1])
    size = f" of length {len(batch)}" if isinstance(batch, tuple | list) else ""
    raise TypeError(
        "metrics: a batch must be a tensor, an (inputs, target) pair or a dict, "
        f"got {type(batch).__name__}{size}"
    )


def _to(obj: Any, device: torch.device | None) -> Any:
    if device is None:
        return obj
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, Mapping):
        return {key: _to(value, device) for key, value in obj.items()}
    if isinstance(obj, tuple | list):
        return type(obj)(_to(value, device) for value in obj)
    return obj


def _model_device(model: nn.Module) -> torch.device | None:
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return None


def _output_tensor(output: Any) -> torch.Tensor:
    """The prediction tensor of a model output: a tensor, ``.logits``/``["logits"]``, or ``[0]``."""
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, Mapping) and isinstance(output.get("logits"), torch.Tensor):
        return output["logits"]
    if isinstance(getattr(output, "logits", None), torch.Tensor):
        return output.logits
    if isinstance(output, tuple | list) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    raise TypeError(f"metrics: cannot find a prediction tensor in a {type(output).__name__} output")


def _aligned(out: torch.Tensor, target: torch.Tensor, metric: str) -> torch.Tensor:
    if out.shape != target.shape:
        if out.numel() != target.numel():  # refuse silent (N, 1) - (N,) -> (N, N) broadcasting
            raise ValueError(
                f"metric {metric!r}: output shape {tuple(out.shape)} does not match target "
                f"shape {tuple(target.shape)}"
            )
        target = target.reshape(out.shape)
    return target


def _elementwise(name: str, fn: Callable[[torch.Tensor], torch.Tensor]) -> Callable:
    def score(out: torch.Tensor, target: torch.Tensor) -> tuple[float, int]:
        diff = out.double() - _aligned(out, target, name).double()
        return float(fn(diff).sum()), diff.numel()

    return score


def _accuracy(out: torch.Tensor, target: torch.Tensor) -> tuple[float, int]:
    if out.ndim == target.ndim + 1:
        pred = out.argmax(dim=-1)
    elif out.shape == target.shape and not out.is_floating_point():
        pred = out
    else:
        raise ValueError(
            f"metric 'accuracy': expected class scores (..., C) for targets {tuple(target.shape)} "
            f"or integer labels of the same shape, got {out.dtype} output {tuple(out.shape)}; "
            "threshold probabilities yourself or pass a callable metric"
        )
    valid = target != IGNORE_INDEX
    return float(((pred == target) & valid).sum()), int(valid.sum())


def _cross_entropy(out: torch.Tensor, target: torch.Tensor) -> tuple[float, int]:
    if out.ndim != target.ndim + 1 or out.shape[:-1] != target.shape:
        raise ValueError(
            f"metric 'cross_entropy': expected logits (..., C) for targets {tuple(target.shape)}, "
            f"got {tuple(out.shape)}"
        )
    logits = out.reshape(-1, out.shape[-1]).float()
    flat = target.reshape(-1).long()
    total = F.cross_entropy(logits, flat, ignore_index=IGNORE_INDEX, reduction="sum")
    return float(total), int((flat != IGNORE_INDEX).sum())


def _next_token_nll(logits: torch.Tensor, labels: torch.Tensor) -> tuple[float, int]:
    """Position t predicts token t+1, as in causal-LM training (labels are not pre-shifted)."""
    if logits.ndim != labels.ndim + 1 or labels.ndim < 1:
        raise ValueError(
            f"metric 'perplexity': expected logits (B, T, V) for input_ids {tuple(labels.shape)}, "
            f"got {tuple(logits.shape)}"
        )
    return _cross_entropy(logits[..., :-1, :], labels[..., 1:])


_BUILTIN: dict[str, Callable[[torch.Tensor, torch.Tensor], tuple[float, int]]] = {
    "mse": _elementwise("mse", torch.square),
    "mae": _elementwise("mae", torch.abs),
    "accuracy": _accuracy,
    "cross_entropy": _cross_entropy,
    "perplexity": _next_token_nll,
}


def _scorer(metric: Metric | MetricFn) -> tuple[str, Callable[..., tuple[float, int]]]:
    if callable(metric):
        name = getattr(metric, "__name__", type(metric).__name__)

        def weighted(out: torch.Tensor, target: torch.Tensor) -> tuple[float, int]:
            weight = len(target) if isinstance(target, torch.Tensor) and target.ndim else 1
            return float(metric(out, target)) * weight, weight

        return name, weighted
    if metric not in _BUILTIN:
        raise ValueError(f"metrics: unknown metric {metric!r}; use one of {METRICS} or a callable")
    return metric, _BUILTIN[metric]


def evaluate(
    model: nn.Module,
    data: Any,
    metric: Metric | MetricFn = "mse",
    *,
    batch_size: int | None = None,
) -> float:
    """Task metric of ``model`` on ``data``, in eval mode under ``no_grad``.

    ``data`` is an ``(X, y)`` pair, a tensor of ``input_ids`` (perplexity), a dict batch
    (``input_ids``/``attention_mask``/``labels``), an iterable of those (a ``DataLoader``), or
    a zero-argument callable returning any of them. ``batch_size`` splits a single in-memory
    batch. Built-in metrics are exact dataset means (not means of batch means); a callable
    ``metric(output, target) -> float`` is averaged weighted by ``len(target)``.
    """
    name, score = _scorer(metric)
    device = _model_device(model)
    total, count = 0.0, 0
    with evaluating(model):
        for raw in _iter_batches(data, batch_size):
            batch = _split(raw, name)
            if batch.target is None:
                msg = "needs targets: give (X, y) pairs or dicts with 'labels'"
                raise ValueError(f"evaluate: metric {name!r} {msg}")
            out = _output_tensor(model(*_to(batch.args, device), **_to(batch.kwargs, device)))
            batch_sum, batch_count = score(out, batch.target.to(out.device))
            total, count = total + batch_sum, count + batch_count
    if count == 0:
        raise ValueError(f"evaluate: data gave nothing to score for metric {name!r}")
    mean = total / count
    return math.exp(mean) if name == "perplexity" else mean


_MOVED_TO_BENCHMARK = ("Comparison", "compare", "parameter_bytes", "peak_memory", "throughput")


def __getattr__(name: str) -> Any:
    """Re-export the timing/memory API from :mod:`symtorch_lab.benchmark` on first use."""
    if name in _MOVED_TO_BENCHMARK:
        value = getattr(importlib.import_module("symtorch_lab.benchmark"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_MOVED_TO_BENCHMARK})
