"""Task metrics of a model on a data set: the *scoring* half of before/after measurement.

A surrogate is only worth having if the task metric barely moves (SymTorch's LLM case:
perplexity 10.62 -> 13.76 for +8.3 % tokens/s). :func:`evaluate` computes that metric the
same way for the original and the hybrid model: exact dataset means rather than means of
batch means, next-token shifting and attention masks for perplexity, and every module's own
training flag restored afterwards (:func:`evaluating`). What ``data`` may be is the engine's
one data contract (:mod:`symtorch_lab._batches`); data that carries no targets (a tensor of
inputs, a callable ``f(model)``) is scored against given ``targets``, typically the original
model's :func:`outputs`. Timing, memory and the side-by-side :func:`~symtorch_lab.benchmark.compare`
live in :mod:`symtorch_lab.benchmark`, which builds on this module (never the reverse).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import torch
from torch import nn
from torch.nn import functional as F

from ._batches import IGNORE_INDEX, evaluating, run

__all__ = ["METRICS", "evaluate", "evaluating", "outputs"]

METRICS = ("mse", "mae", "accuracy", "cross_entropy", "perplexity")
Metric = Literal["mse", "mae", "accuracy", "cross_entropy", "perplexity"]
MetricFn = Callable[[torch.Tensor, torch.Tensor], float]


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
    targets: Sequence[torch.Tensor] | None = None,
) -> float:
    """Task metric of ``model`` on ``data``, in eval mode under ``no_grad``.

    ``data`` is any form of the engine's data contract (:mod:`symtorch_lab._batches`): an
    ``(X, y)`` pair, a tensor of ``input_ids`` (perplexity), a dict batch
    (``input_ids``/``attention_mask``/``labels``), an iterable of those (a ``DataLoader``), a
    zero-argument callable returning any of them, or a callable ``f(model)`` that runs the
    model itself. ``targets`` gives one target per model call, in order, for data without
    targets (typically the original model's :func:`outputs`). ``batch_size`` splits a single
    in-memory batch. Built-in metrics are exact dataset means (not means of batch means); a
    callable ``metric(output, target) -> float`` is averaged weighted by ``len(target)``.
    """
    name, score = _scorer(metric)
    given = None if targets is None else list(targets)
    total, count, calls = 0.0, 0, 0

    def on_output(output: Any, target: torch.Tensor | None) -> None:
        nonlocal total, count, calls
        calls += 1
        if given is not None:
            if calls > len(given):
                return  # counted; reported after the run
            target = given[calls - 1]
        if target is None:
            raise ValueError(
                f"evaluate: metric {name!r} needs targets: give (X, y) pairs, dicts with "
                "'labels', or targets= (one per model call) for a callable f(model)"
            )
        out = _output_tensor(output)
        batch_sum, batch_count = score(out, target.to(out.device))
        total, count = total + batch_sum, count + batch_count

    with evaluating(model):
        run(model, data, batch_size=batch_size, lm=name == "perplexity", on_output=on_output)
    if given is not None and calls != len(given):
        raise ValueError(f"evaluate: {len(given)} targets for {calls} forward calls")
    if count == 0:
        raise ValueError(f"evaluate: data gave nothing to score for metric {name!r}")
    mean = total / count
    return math.exp(mean) if name == "perplexity" else mean


def outputs(model: nn.Module, data: Any, *, batch_size: int | None = None) -> list[torch.Tensor]:
    """The prediction tensor of every model call on ``data``, in order (eval, ``no_grad``).

    What :func:`evaluate` takes as ``targets`` to score another model (the hybrid) against
    this one when the data has no targets of its own.
    """
    found: list[torch.Tensor] = []
    with evaluating(model):
        run(
            model,
            data,
            batch_size=batch_size,
            on_output=lambda out, _t: found.append(_output_tensor(out).detach()),
        )
    return found
