"""Speed and memory of a model, and side-by-side before/after comparison of a surrogate swap.

A surrogate is only worth having if the task metric barely moves while speed or memory improve
(SymTorch's LLM case: perplexity 10.62 -> 13.76 for +8.3 % tokens/s). Those numbers are only
comparable when taken the same way in the same run, so :func:`compare` measures the original
and the hybrid side by side: same data, same example, timings interleaved A/B/A/B so thermal or
clock drift hits both equally, and peak memory defined so that the original modules kept alive
for ``restore()`` are not charged to the hybrid.

Timing and memory live apart from the scoring in :mod:`symtorch_lab.metrics` (one concern
per module); this module builds on it and on the data contract of :mod:`symtorch_lab._batches`,
and neither imports this one. When ``data`` carries no targets (a tensor of inputs, a callable
``f(model)``), both sides are scored against the original model's outputs: the metric then
says how far the hybrid strays from the network it replaces.
"""

from __future__ import annotations

import contextlib
import math
import statistics
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from ._batches import (
    check_reusable,
    evaluating,
    first_inputs,
    iter_batches,
    model_device,
    runs_model,
    split,
)
from ._batches import to_device as _to
from .metrics import Metric, MetricFn, _scorer, evaluate, outputs

__all__ = ["Comparison", "compare", "parameter_bytes", "peak_memory", "throughput"]


def _example_inputs(example: Any, device: torch.device | None) -> tuple[tuple, dict]:
    """A tensor or tuple is positional arguments; a dict is keyword arguments (minus labels)."""
    if isinstance(example, Mapping):
        return (), _to({k: v for k, v in example.items() if k != "labels"}, device)
    if isinstance(example, tuple | list):
        return tuple(_to(list(example), device)), {}
    return (_to(example, device),), {}


def _first_tensor(args: tuple, kwargs: dict) -> torch.Tensor:
    candidates = [kwargs.get("input_ids"), *args, *kwargs.values()]
    found = next((t for t in candidates if isinstance(t, torch.Tensor)), None)
    if found is None:
        raise TypeError("metrics: the example contains no tensor")
    return found


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def _time_call(model: nn.Module, args: tuple, kwargs: dict) -> float:
    device = _first_tensor(args, kwargs).device
    _sync(device)
    start = time.perf_counter()
    model(*args, **kwargs)
    _sync(device)
    return time.perf_counter() - start


def _n_units(args: tuple, kwargs: dict, unit: str) -> int:
    shape = _first_tensor(args, kwargs).shape
    if unit == "items":
        return shape[0] if shape else 1
    if unit == "tokens" and len(shape) >= 2:
        return shape[0] * shape[1]
    if unit == "tokens":
        raise ValueError(
            f"throughput: unit='tokens' needs a (batch, seq, ...) input, got {tuple(shape)}"
        )
    raise ValueError(f"throughput: unit must be 'items' or 'tokens', got {unit!r}")


def throughput(
    model: nn.Module,
    example: Any,
    *,
    repeats: int = 20,
    warmup: int = 3,
    unit: Literal["items", "tokens"] = "items",
) -> float:
    """Items (or tokens = batch * seq) per second: ``n / median(forward time)``.

    The median of ``repeats`` timed forwards after ``warmup`` untimed ones, in eval mode under
    ``no_grad``; CUDA/MPS are synchronised around each forward so queued kernels are counted.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"throughput: need repeats >= 1 and warmup >= 0, got {repeats}, {warmup}")
    args, kwargs = _example_inputs(example, model_device(model))
    n = _n_units(args, kwargs, unit)
    with evaluating(model):
        for _ in range(warmup):
            _time_call(model, args, kwargs)
        times = [_time_call(model, args, kwargs) for _ in range(repeats)]
    return n / statistics.median(times)


def _nbytes(obj: Any) -> int:
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, Mapping):
        return sum(_nbytes(value) for value in obj.values())
    if isinstance(obj, tuple | list):
        return sum(_nbytes(value) for value in obj)
    return 0


def parameter_bytes(model: nn.Module, *, buffers: bool = True) -> int:
    """Bytes held by the parameters (and buffers) reachable from ``model`` right now."""
    tensors = list(model.parameters()) + (list(model.buffers()) if buffers else [])
    return sum(_nbytes(t) for t in tensors)


def _memory_method(device: torch.device | None) -> str:
    if device is not None and device.type == "cuda":
        return "parameters+buffers + CUDA allocator peak during forward"
    return "parameters+buffers + largest module output (estimate)"


def _largest_output(model: nn.Module, args: tuple, kwargs: dict) -> int:
    largest = 0

    def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
        nonlocal largest
        largest = max(largest, _nbytes(output))

    handles = [module.register_forward_hook(hook) for module in model.modules()]
    try:
        model(*args, **kwargs)
    finally:
        for handle in handles:
            handle.remove()
    return largest


def peak_memory(model: nn.Module, example: Any) -> int:
    """Peak bytes of one forward: weights reachable from ``model`` plus working memory.

    On CUDA the working memory is ``torch.cuda.max_memory_allocated`` above the level before the
    forward (this resets the device's peak statistics). Elsewhere it is estimated as the largest
    single module output, seen through forward hooks -- a lower bound, but one that changes
    when a wide layer is replaced. Weights are counted from the model rather than the allocator
    so that modules swapped out (but kept alive to restore them) are not charged.
    """
    device = model_device(model)
    args, kwargs = _example_inputs(example, device)
    with evaluating(model):
        if device is not None and device.type == "cuda":
            _sync(device)
            base = torch.cuda.memory_allocated(device)
            torch.cuda.reset_peak_memory_stats(device)
            model(*args, **kwargs)
            _sync(device)
            working = torch.cuda.max_memory_allocated(device) - base
        else:
            working = _largest_output(model, args, kwargs)
    return parameter_bytes(model) + max(working, 0)


def _ratio(new: float | None, old: float | None) -> float | None:
    return None if new is None or not old else new / old


ORIGINAL_OUTPUTS = "the original network's output"


@dataclass(frozen=True)
class Comparison:
    """Original (``before``) vs hybrid (``after``) measured in one run by :func:`compare`.

    ``times_*`` are the seconds of each timed forward of ``batch`` items or tokens on ``device``
    (for error bars); ``memory_*`` are bytes
    as defined by :func:`peak_memory`, with ``memory_method`` saying how they were taken.
    """

    metric: str
    before: float
    after: float
    throughput_before: float
    throughput_after: float
    unit: str
    memory_before: int
    memory_after: int
    memory_method: str
    parameter_bytes_before: int
    parameter_bytes_after: int
    times_before: tuple[float, ...]
    times_after: tuple[float, ...]
    device: str
    # what the metric compares outputs with: the data's targets, or the original model's
    # outputs when the data carries none (then ``before`` is 0 by construction)
    reference: str = "targets"
    # items (or tokens) in each timed forward: throughput is only comparable at one batch
    batch: int = 0

    @property
    def metric_delta(self) -> float:
        return self.after - self.before

    @property
    def metric_ratio(self) -> float | None:
        return _ratio(self.after, self.before)

    @property
    def speedup(self) -> float | None:
        return _ratio(self.throughput_after, self.throughput_before)

    @property
    def memory_ratio(self) -> float | None:
        return _ratio(self.memory_after, self.memory_before)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (lists, finite floats, ``None`` for NaN/inf) including derived ratios."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        for name in ("metric_delta", "metric_ratio", "speedup", "memory_ratio"):
            data[name] = getattr(self, name)
        return {key: _json_safe(value) for key, value in data.items()}

    def __str__(self) -> str:
        number, size = "{:.6g}".format, _fmt_bytes
        rows = [("", "before", "after", "after/before")]
        for label, old, new, fmt in (
            (self.metric, self.before, self.after, number),
            (f"{self.unit}/s", self.throughput_before, self.throughput_after, number),
            ("peak memory", self.memory_before, self.memory_after, size),
            ("parameters", self.parameter_bytes_before, self.parameter_bytes_after, size),
        ):
            rows.append((label, fmt(old), fmt(new), _fmt_ratio(_ratio(new, old))))
        widths = [max(map(len, column)) for column in zip(*rows, strict=True)]
        lines = [
            "  ".join(
                cell.rjust(w) if i else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
            for row in rows
        ]
        repeats = f"{len(self.times_before)} interleaved repeats"
        lines.append(f"{repeats} of {self.batch} {self.unit} on {self.device}")
        return "\n".join([*lines, f"memory: {self.memory_method}"])


def _json_safe(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_json_safe(v) for v in value]
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"x{value:.3f}"


def _fmt_bytes(n: float) -> str:
    exponent = min(int(math.log(max(abs(n), 1), 1024)), 3)
    return f"{n / 1024**exponent:.{2 if exponent else 0}f} {('B', 'KiB', 'MiB', 'GiB')[exponent]}"


def _factory(
    model: nn.Module, replacements: Any
) -> Callable[[], contextlib.AbstractContextManager]:
    if isinstance(replacements, Mapping):
        from symtorch_lab.surrogate import replaced  # lazy: benchmark must not need surrogate

        mapping = dict(replacements)
        return lambda: replaced(model, mapping)
    if callable(replacements) and not isinstance(replacements, contextlib.AbstractContextManager):
        return replacements  # a function or a context-manager class; not a (one-shot) instance
    raise TypeError(
        "compare: replacements must be a mapping {path: module} or a zero-argument callable "
        "returning a context manager, e.g. lambda: replaced(model, mapping) (a context manager "
        f"object can be entered only once), got {type(replacements).__name__}"
    )


@contextlib.contextmanager
def _swapped(factory: Callable[[], Any], model: nn.Module) -> Iterator[None]:
    manager = factory()
    if not hasattr(manager, "__enter__"):
        raise TypeError(
            f"compare: the factory returned {type(manager).__name__}, not a context manager"
        )
    outside = {id(m) for m in model.modules()}
    with manager:
        if {id(m) for m in model.modules()} == outside:
            warnings.warn("compare: the context swapped no module of `model`", stacklevel=4)
        yield


def _interleaved(model, factory, args, kwargs, repeats, warmup) -> tuple[list, list]:
    """A/B/A/B timing so drift (clocks, heat, other load) affects both sides alike."""
    before, after = [], []
    for i in range(warmup + repeats):
        with evaluating(model):
            t_before = _time_call(model, args, kwargs)
        with _swapped(factory, model), evaluating(model):
            t_after = _time_call(model, args, kwargs)
        if i >= warmup:
            before.append(t_before)
            after.append(t_after)
    return before, after


def _reference(model: nn.Module, data: Any, name: str, batch_size: int | None):
    """The original's outputs as targets when ``data`` carries none (``None`` otherwise)."""
    if name in ("accuracy", "cross_entropy", "perplexity"):
        return None  # these need labels or tokens; evaluate says so
    if not runs_model(data):
        first = next(iter(iter_batches(data, batch_size)), None)
        if first is None or split(first).target is not None:
            return None
    return outputs(model, data, batch_size=batch_size)


def compare(
    model: nn.Module,
    replacements: Any,
    data: Any,
    *,
    metric: Metric | MetricFn = "mse",
    example: Any = None,
    repeats: int = 20,
    warmup: int = 3,
    unit: Literal["items", "tokens"] = "items",
    batch_size: int | None = None,
) -> Comparison:
    """Measure ``model`` as is and with its modules swapped, side by side.

    ``replacements`` is a zero-argument callable returning a context manager that swaps modules
    for its duration (``lambda: replaced(model, mapping)``), or the mapping itself. ``data`` and
    ``metric`` are as in :func:`~symtorch_lab.metrics.evaluate`; data without targets (inputs
    only, or ``f(model)``) is scored against the original model's outputs. ``example``
    (default: the first model call's inputs) is timed with ``repeats`` interleaved forwards per
    side after ``warmup`` pairs.
    """
    factory = _factory(model, replacements)
    data = check_reusable(data, "compare")
    name = _scorer(metric)[0]
    if example is None:
        example = first_inputs(model, data, batch_size=batch_size)
    if repeats < 1 or warmup < 0:
        raise ValueError(f"compare: need repeats >= 1 and warmup >= 0, got {repeats}, {warmup}")
    args, kwargs = _example_inputs(example, model_device(model))
    n = _n_units(args, kwargs, unit)
    reference = _reference(model, data, name, batch_size)
    before = evaluate(model, data, metric, batch_size=batch_size, targets=reference)
    memory_before, params_before = peak_memory(model, example), parameter_bytes(model)
    with _swapped(factory, model):
        after = evaluate(model, data, metric, batch_size=batch_size, targets=reference)
        memory_after, params_after = peak_memory(model, example), parameter_bytes(model)
    times_before, times_after = _interleaved(model, factory, args, kwargs, repeats, warmup)
    return Comparison(
        metric=name,
        before=before,
        after=after,
        throughput_before=n / statistics.median(times_before),
        throughput_after=n / statistics.median(times_after),
        unit=unit,
        memory_before=memory_before,
        memory_after=memory_after,
        memory_method=_memory_method(model_device(model)),
        parameter_bytes_before=params_before,
        parameter_bytes_after=params_after,
        times_before=tuple(times_before),
        times_after=tuple(times_after),
        device=str(_first_tensor(args, kwargs).device),
        reference="targets" if reference is None else ORIGINAL_OUTPUTS,
        batch=n,
    )
