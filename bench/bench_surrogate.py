"""Surrogate forward vs the MLP it replaces (CPU, batch 4096), measured side by side.

Goal (issue 2): the symbolic surrogate is at least 5x faster than the MLP. Timings are
interleaved (MLP, surrogate, MLP, ...) so machine load hits both; the median is reported.
One torch thread: on the 2-core dev/CI machines a second OpenMP thread only adds jitter.
Run: ``python bench/bench_surrogate.py``.
"""

from __future__ import annotations

import time

import torch
from torch import nn

from symtorch_lab.expression import Expression
from symtorch_lab.surrogate import SymbolicSurrogate

NAMES = tuple(f"x{i}" for i in range(5))
CASES = {
    "demo law, 5->64->64->1 SiLU": ("x0^2 + 3*sin(x4) - 4", 64),
    "demo law, 5->128->128->1 SiLU": ("x0^2 + 3*sin(x4) - 4", 128),
    "x0*x1 + x3*sin(x2), 5->64->64->1 SiLU": ("x0*x1 + x3*sin(x2)", 64),
}


def mlp(width: int) -> nn.Module:
    return nn.Sequential(
        nn.Linear(5, width), nn.SiLU(), nn.Linear(width, width), nn.SiLU(), nn.Linear(width, 1)
    )


def timed(fn, x) -> float:
    t0 = time.perf_counter()
    fn(x)
    return time.perf_counter() - t0


def compare(a, b, x, repeats: int = 200) -> tuple[float, float]:
    ta, tb = [], []
    with torch.no_grad():
        for _ in range(3):
            a(x), b(x)
        for _ in range(repeats):
            ta.append(timed(a, x))
            tb.append(timed(b, x))
    return sorted(ta)[len(ta) // 2], sorted(tb)[len(tb) // 2]


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    x = torch.rand(4096, 5) * 6 - 3
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {len(x)}")
    print(f"{'case':42} {'MLP ms':>8} {'surrogate ms':>13} {'speedup':>8}")
    for name, (law, width) in CASES.items():
        surrogate = SymbolicSurrogate(
            [Expression.from_infix(law, NAMES)], in_shape=(5,), out_shape=(1,)
        )
        t_mlp, t_sur = compare(mlp(width), surrogate, x)
        print(f"{name:42} {t_mlp * 1e3:8.3f} {t_sur * 1e3:13.3f} {t_mlp / t_sur:7.1f}x")
    print("goal: surrogate >= 5x faster than the MLP it replaces")


if __name__ == "__main__":
    main()
