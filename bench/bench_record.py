"""Recording overhead: a plain forward vs the same forward inside ``record``.

Why: ``record``'s hook runs on every call of the recorded module during the user's own forward
passes, so it must cost little next to the forward itself. The goal is at most 5 % overhead at
the default cap (10,000 rows) once the reservoir is full.

Two copies of the same MLP are timed side by side in one run: one plain, one inside ``record``.
Every batch goes through both, in alternating order. The overhead is the median of the paired
per-batch differences over the median plain time: robust to other processes on a shared
machine, which mostly slow single batches. The total-time ratio (which also counts the
reservoir's rare merges, and any noise) is printed next to it. Per-round lines show the
overhead falling as rows get rarer to keep (the reservoir keeps ``cap / rows seen`` of a batch).

Run: ``python bench/bench_record.py`` (about 10 s on an idle 2-core CPU); ``--help`` for options.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled
from symtorch_lab.record import record  # noqa: E402

GOAL = 0.05
CAP = 10_000


def make_mlp(width: int, depth: int, d_in: int = 32, d_out: int = 8) -> nn.Sequential:
    """An MLP with ``depth`` hidden Linear+ReLU layers."""
    layers: list[nn.Module] = [nn.Linear(d_in, width), nn.ReLU()]
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width), nn.ReLU()]
    layers.append(nn.Linear(width, d_out))
    return nn.Sequential(*layers)


def timed(model: nn.Module, batch: torch.Tensor) -> float:
    """Wall seconds of one forward, synchronised on CUDA."""
    if batch.is_cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    model(batch)
    if batch.is_cuda:
        torch.cuda.synchronize()
    return time.perf_counter() - start


def measure(args: argparse.Namespace, paths: list[str]) -> tuple[np.ndarray, np.ndarray, list]:
    """Seconds per batch of the plain and the recorded model, shape (rounds, batches), and the
    rows seen after each round.

    The reservoir is filled (twice over) before the first timed round, so every round runs at
    the cap.
    """
    torch.manual_seed(0)
    plain_model = make_mlp(args.width, args.depth).to(args.device).eval()
    recorded_model = copy.deepcopy(plain_model)
    batches = [torch.randn(args.batch, 32, device=args.device) for _ in range(4)]
    shape = (args.rounds, args.batches)
    plain, recorded, seen = np.zeros(shape), np.zeros(shape), []
    with torch.no_grad(), record(recorded_model, paths, max_samples=CAP) as rec:
        for i in range(2 * -(-CAP // args.batch)):
            plain_model(batches[i % len(batches)])
            recorded_model(batches[i % len(batches)])
        for r in range(args.rounds):
            for i in range(args.batches):
                batch = batches[i % len(batches)]
                if i % 2:
                    recorded[r, i] = timed(recorded_model, batch)
                    plain[r, i] = timed(plain_model, batch)
                else:
                    plain[r, i] = timed(plain_model, batch)
                    recorded[r, i] = timed(recorded_model, batch)
            seen.append(rec[paths[0]].n_seen)
    print(f"  {rec[paths[0]]}")
    return plain, recorded, seen


def overhead(plain: np.ndarray, recorded: np.ndarray) -> tuple[float, float]:
    """(robust, total) overhead: median paired difference over median plain time, and total
    recorded over total plain time. Noise from other processes mostly hits single batches,
    which the median ignores; the total includes it (and the reservoir's rare merges)."""
    robust = float(np.median(recorded - plain) / np.median(plain))
    return robust, float(recorded.sum() / plain.sum() - 1.0)


def report(plain: np.ndarray, recorded: np.ndarray, seen: list[int]) -> float:
    """Print per-round times and overheads; return the robust overhead over all rounds."""
    for p, r, n in zip(plain, recorded, seen, strict=True):
        robust, total = overhead(p, r)
        print(
            f"    rows seen <= {n:>9,}: plain {np.median(p) * 1e3:6.2f} ms/batch, "
            f"recorded {np.median(r) * 1e3:6.2f} ms/batch, overhead {robust:+6.1%} "
            f"(total time {total:+6.1%})"
        )
    robust, total = overhead(plain, recorded)
    print(f"    overhead over all rounds: {robust:+.2%} (total time {total:+.2%})")
    return robust


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--depth", type=int, default=4, help="hidden layers")
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--batches", type=int, default=30, help="batches per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    print(
        f"MLP 32-{args.width}x{args.depth}-8, batch {args.batch}, cap {CAP:,} rows, "
        f"{args.rounds} rounds x {args.batches} batches, device {args.device}, "
        f"{torch.get_num_threads()} threads"
    )
    wall = time.perf_counter()
    linear = [str(i) for i in range(0, 2 * args.depth + 1, 2)]
    overheads = {}
    for label, paths in [("one hidden layer", ["2"]), ("every Linear layer", linear)]:
        print(f"{label} {paths}:")
        overheads[label] = report(*measure(args, paths))
    goal = overheads["one hidden layer"]
    verdict = "meets" if goal <= GOAL else "MISSES"
    print(f"overhead recording one layer: {goal:+.2%} ({verdict} the goal <= {GOAL:.0%})")
    print(f"total {time.perf_counter() - wall:.1f} s")
    warn_if_busy()


def warn_if_busy() -> None:
    """Timings taken while other processes compete for the CPUs are not worth much."""
    if hasattr(os, "getloadavg"):
        load, cores = os.getloadavg()[0], os.cpu_count() or 1
        if load > 0.5 * cores + 1:  # this script itself keeps about one core busy
            print(f"warning: load average {load:.1f} on {cores} cores; rerun on an idle machine")


if __name__ == "__main__":
    main()
