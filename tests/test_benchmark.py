"""benchmark: timing, memory and side-by-side compare."""

from __future__ import annotations

import contextlib
import json
import sys
import types

import pytest
import torch
from torch import nn

from symtorch_lab import benchmark
from symtorch_lab.benchmark import (
    Comparison,
    compare,
    parameter_bytes,
    peak_memory,
    throughput,
)
from symtorch_lab.metrics import evaluate
from tests.test_metrics import ConstantLM


class FakeClock:
    """Stands in for time.perf_counter; each forward of ``Tick`` advances it by ``step``."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Tick(nn.Module):
    def __init__(
        self, clock: FakeClock, step: float, log: list | None = None, tag: str = ""
    ) -> None:
        super().__init__()
        self.clock, self.step, self.log, self.tag = clock, step, log, tag
        self.weight = nn.Parameter(torch.ones(1))

    def forward(self, x=None, input_ids=None):
        self.clock.now += self.step
        if self.log is not None:
            self.log.append(self.tag)
        return x if x is not None else input_ids


def test_throughput_items_and_tokens(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(benchmark.time, "perf_counter", clock)
    model = Tick(clock, step=0.5)
    example = torch.zeros(4, 8, 3)
    assert throughput(model, example, repeats=3, warmup=1) == pytest.approx(4 / 0.5)
    assert throughput(model, example, repeats=3, unit="tokens") == pytest.approx(32 / 0.5)
    assert throughput(model, {"input_ids": torch.zeros(2, 5)}, unit="tokens") == pytest.approx(20)
    with pytest.raises(ValueError, match=r"unit='tokens' needs .* got \(4,\)"):
        throughput(model, torch.zeros(4), unit="tokens")


def test_throughput_of_a_real_model_is_positive():
    assert throughput(nn.Linear(3, 3), torch.randn(16, 3), repeats=3, warmup=1) > 0


def test_parameter_bytes_and_cpu_peak_memory():
    model = nn.Linear(4, 1000)
    assert parameter_bytes(model) == (4 * 1000 + 1000) * 4
    model.register_buffer("scale", torch.ones(10, dtype=torch.float64))
    assert parameter_bytes(model) == 20_000 + 80
    assert parameter_bytes(model, buffers=False) == 20_000
    # weights + the largest module output, (2, 1000) float32
    assert peak_memory(model, torch.zeros(2, 4)) == 20_080 + 8_000


@contextlib.contextmanager
def _swap(model: nn.Module, name: str, new: nn.Module, log: list | None = None):
    """Minimal stand-in for surrogate.replaced: setattr, then restore even on error."""
    old = getattr(model, name)
    setattr(model, name, new)
    if log is not None:
        log.append("enter")
    try:
        yield
    finally:
        setattr(model, name, old)


def _doubling_model() -> nn.Sequential:
    model = nn.Sequential(nn.Linear(1, 1, bias=False), nn.Identity())
    model[0].weight.data.fill_(2.0)
    return model


def test_compare_measures_both_sides_and_restores():
    model = _doubling_model()
    original = model[0]
    X = torch.tensor([[1.0], [2.0]])
    result = compare(
        model, lambda: _swap(model, "0", nn.Identity()), (X, X), metric="mse", repeats=4
    )
    assert isinstance(result, Comparison)
    assert result.before == pytest.approx(2.5)  # ((2-1)^2 + (4-2)^2) / 2
    assert result.after == pytest.approx(0.0)
    assert result.metric_delta == pytest.approx(-2.5)
    assert model[0] is original  # swapped back
    assert result.parameter_bytes_before == 4 and result.parameter_bytes_after == 0
    assert result.memory_after < result.memory_before
    assert result.throughput_before > 0 and result.throughput_after > 0
    assert len(result.times_before) == len(result.times_after) == 4
    assert result.speedup == pytest.approx(result.throughput_after / result.throughput_before)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["before"] == pytest.approx(2.5) and data["metric_ratio"] == 0.0
    assert data["times_before"] == list(result.times_before)
    text = str(result)
    assert "mse" in text and "items/s" in text and "4 interleaved repeats" in text


def test_compare_says_what_batch_and_device_its_throughput_was_timed_on():
    # the Lab showed 1.4e4 and 6.2e6 items/s for one network, with nothing saying the batch
    model, X = _doubling_model(), torch.arange(12.0)[:, None]
    whole = compare(model, lambda: _swap(model, "0", nn.Identity()), (X, X), repeats=2)
    assert (whole.batch, whole.device) == (12, "cpu")
    four = compare(model, lambda: _swap(model, "0", nn.Identity()), (X, X), repeats=2, batch_size=4)
    assert four.batch == 4 and four.to_dict()["batch"] == 4
    assert "2 interleaved repeats of 4 items on cpu" in str(four)


def test_compare_interleaves_timings(monkeypatch):
    clock, log = FakeClock(), []
    monkeypatch.setattr(benchmark.time, "perf_counter", clock)
    model = nn.Sequential(Tick(clock, 1.0, log, "A"))
    fast = Tick(clock, 0.25, log, "B")
    X = torch.zeros(8, 1)
    result = compare(model, lambda: _swap(model, "0", fast), (X, X), repeats=3, warmup=1)
    assert log[-8:] == ["A", "B"] * 4  # warmup pair + 3 timed pairs, alternating
    assert result.throughput_before == pytest.approx(8.0)
    assert result.throughput_after == pytest.approx(32.0)
    assert result.speedup == pytest.approx(4.0)
    assert result.times_after == (0.25, 0.25, 0.25)


def test_compare_perplexity_with_tokens_unit():
    ids = torch.randint(0, 7, (2, 9), generator=torch.Generator().manual_seed(0))
    model = nn.Sequential()
    model.add_module("lm", ConstantLM(11))
    result = compare(
        model,
        lambda: _swap(model, "lm", ConstantLM(7)),
        [ids],
        metric="perplexity",
        repeats=2,
        warmup=0,
        unit="tokens",
    )
    assert result.before == pytest.approx(11.0) and result.after == pytest.approx(7.0)
    assert result.unit == "tokens" and "tokens/s" in str(result)


def test_compare_accepts_a_mapping_through_surrogate_replaced(monkeypatch):
    calls = []

    @contextlib.contextmanager
    def replaced(model, mapping):
        calls.append(dict(mapping))
        with _swap(model, "0", mapping["0"]):
            yield

    monkeypatch.setitem(
        sys.modules, "symtorch_lab.surrogate", types.SimpleNamespace(replaced=replaced)
    )
    model = _doubling_model()
    X = torch.tensor([[1.0], [2.0]])
    identity = nn.Identity()
    result = compare(model, {"0": identity}, (X, X), repeats=1, warmup=0)
    assert result.after == pytest.approx(0.0) and calls and calls[0] == {"0": identity}


def test_compare_rejects_misuse():
    model = _doubling_model()
    X = torch.ones(2, 1)
    factory = lambda: _swap(model, "0", nn.Identity())  # noqa: E731
    with pytest.raises(TypeError, match="one-shot iterator"):
        compare(model, factory, iter([(X, X)]))
    with pytest.raises(TypeError, match="entered only once"):
        compare(model, _swap(model, "0", nn.Identity()), (X, X))
    with pytest.raises(TypeError, match="not a context manager"):
        compare(model, lambda: None, (X, X))
    with pytest.warns(UserWarning, match="swapped no module"):
        compare(model, contextlib.nullcontext, (X, X), repeats=1, warmup=0)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_measurements():
    model = nn.Sequential(nn.Linear(64, 4096), nn.ReLU(), nn.Linear(4096, 64)).cuda()
    X = torch.randn(256, 64)  # moved to the model's device by the measurement functions
    assert evaluate(model, (X, X), "mse") > 0
    assert throughput(model, X, repeats=3) > 0
    small = nn.Linear(64, 64).cuda()
    result = compare(model, lambda: _swap(model, "1", nn.Identity()), (X, X), repeats=3)
    assert result.memory_method.startswith("parameters+buffers + CUDA")
    assert peak_memory(model, X) >= parameter_bytes(model) + 256 * 4096 * 4
    assert peak_memory(small, X) < peak_memory(model, X)
    assert "cuda" in result.device
