"""Perplexity, tokens/s and peak memory of a causal LM and its variants, side by side.

Numbers of different variants are only comparable when taken the same way in one run:
perplexity over the same non-overlapping windows (the engine's exact dataset mean of the
next-token NLL, :func:`symtorch_lab.metrics.evaluate`), timings interleaved variant by variant
after a warm-up so drift hits all alike, and memory by one definition: the weights reachable from
the model (what a deployment without the originals keeps) plus the peak working memory of one
forward -- CUDA's ``max_memory_allocated`` above the level before it on a GPU, the process's
peak RSS (``VmHWM``, reset through ``/proc/self/clear_refs``) above its RSS before it on a CPU,
after ``malloc_trim`` so that heap pages freed by earlier passes are not reused unseen.
"""

from __future__ import annotations

import contextlib
import ctypes
import statistics
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .. import metrics
from ..benchmark import parameter_bytes
from ..surrogate import replaced

Variants = Mapping[str, Mapping[str, nn.Module] | None]  # name -> {path: module} (None: as is)


def windows(ids: torch.Tensor, length: int) -> torch.Tensor:
    """A 1-D token stream cut into non-overlapping ``(n, length)`` windows (the tail dropped)."""
    ids = torch.as_tensor(ids).reshape(-1)
    n = ids.numel() // length
    if n == 0:
        raise ValueError(f"windows: {ids.numel()} tokens give no window of length {length}")
    return ids[: n * length].reshape(n, length)


@contextlib.contextmanager
def no_cache(model: nn.Module) -> Iterator[nn.Module]:
    """``config.use_cache = False`` for the duration: no key/value cache built and returned."""
    config = getattr(model, "config", None)
    old = getattr(config, "use_cache", None)
    if config is not None:
        config.use_cache = False
    try:
        yield model
    finally:
        if config is not None:
            config.use_cache = old


def perplexity(model: nn.Module, ids: torch.Tensor, window: int = 128, batch_size: int = 8):
    """``exp(mean next-token NLL)`` over the non-overlapping windows of the stream ``ids``.

    Each window is scored on its own (its first token is context only), every predicted token
    counts once: the mean is over all ``n * (window - 1)`` predictions, not of window means.
    """
    data = windows(ids, window) if torch.as_tensor(ids).dim() == 1 else ids
    with no_cache(model):
        return metrics.evaluate(model, data, "perplexity", batch_size=batch_size)


def _swap(model: nn.Module, mapping) -> contextlib.AbstractContextManager:
    return replaced(model, dict(mapping)) if mapping else contextlib.nullcontext()


def _timed(model: nn.Module, example: torch.Tensor) -> float:
    cuda = example.device.type == "cuda"
    if cuda:
        torch.cuda.synchronize(example.device)
    start = time.perf_counter()
    model(example)
    if cuda:
        torch.cuda.synchronize(example.device)
    return time.perf_counter() - start


def throughputs(
    model: nn.Module, variants: Variants, example: torch.Tensor, *, repeats=10, warmup=2
) -> dict[str, list[float]]:
    """Seconds of each timed forward of ``example`` per variant, interleaved A/B/C/A/B/C."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    with no_cache(model), torch.no_grad(), metrics.evaluating(model):
        for i in range(warmup + repeats):
            for name, mapping in variants.items():
                with _swap(model, mapping):
                    seconds = _timed(model, example)
                if i >= warmup:
                    times[name].append(seconds)
    return times


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _trim_heap() -> bool:
    """Hand freed heap pages back to the OS (glibc ``malloc_trim``), so that a forward whose
    buffers fit in memory freed by earlier ones (a perplexity pass, a previous variant) grows
    the RSS again instead of showing 0 working bytes. False where there is no glibc."""
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0) >= 0)
    except (OSError, AttributeError):
        return False


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def working_memory(model: nn.Module, example: torch.Tensor) -> tuple[int | None, str]:
    """Peak bytes one forward needs above what was held before it, and how it was taken."""
    with no_cache(model), torch.no_grad(), metrics.evaluating(model):
        if example.device.type == "cuda":
            torch.cuda.synchronize(example.device)
            base = torch.cuda.memory_allocated(example.device)
            torch.cuda.reset_peak_memory_stats(example.device)
            model(example)
            torch.cuda.synchronize(example.device)
            return torch.cuda.max_memory_allocated(example.device) - base, "cuda_max_allocated"
        trimmed = _trim_heap()
        if not _reset_peak_rss():
            return None, "unavailable"
        base = _status_kib("VmRSS")
        model(example)
        peak = _status_kib("VmHWM")
        if base is None or peak is None:
            return None, "unavailable"
        # untrimmed, memory freed earlier but still resident is reused unseen: a lower bound
        return max(peak - base, 0) * 1024, "cpu_peak_rss" if trimmed else "cpu_peak_rss_lower_bound"


def measure(
    model: nn.Module,
    ids: torch.Tensor,
    variants: Variants,
    *,
    window: int = 128,
    batch_size: int = 8,
    repeats: int = 10,
    warmup: int = 2,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """One row per variant: perplexity, tokens/s (median; ``_best``: fastest pass), weights
    and working memory.

    ``variants`` maps a name to ``{path: module}`` swapped in for its measurement (``None`` or
    ``{}``: the model as it is). The example timed is the first ``batch_size`` windows.
    """
    data = windows(ids, window)
    device = next(model.parameters()).device
    example = data[:batch_size].to(device)
    rows = []
    for name, mapping in variants.items():
        if progress:
            progress(name)
        with _swap(model, mapping):
            ppl = perplexity(model, data, batch_size=batch_size)
            weights = parameter_bytes(model)
            working, how = working_memory(model, example)
        rows.append(
            {
                "variant": name,
                "perplexity": ppl,
                "weight_bytes": weights,
                "working_bytes": working,
                "memory_method": how,
            }
        )
    times = throughputs(model, variants, example, repeats=repeats, warmup=warmup)
    n_tokens = example.numel()
    for row in rows:
        seconds = times[row["variant"]]
        row["tokens_per_s"] = n_tokens / statistics.median(seconds)
        row["tokens_per_s_best"] = n_tokens / min(seconds)  # least disturbed by other load
        row["forward_ms"] = 1000 * statistics.median(seconds)
        row["device"] = str(device)
        row["batch_tokens"] = n_tokens  # tokens in each timed forward
    return rows
