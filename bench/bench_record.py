"""Recording overhead: a plain forward vs the same forward inside ``record``.

Why: ``record``'s hook runs on every call of the recorded module during the user's own forward
passes, so it must cost little next to the forward itself. The goal is at most 5 % overhead at
the default cap (10,000 rows) once the reservoir is full.

Two copies of the same MLP are timed side by side in one run: one plain, one inside ``record``.
Every batch goes through both, in alternating order. The overhead is total recorded time over
total plain time across all rounds, so it includes the reservoir's occasional merges; per-round
lines show it falling as rows get rarer to keep (the reservoir keeps ``cap / rows seen`` of each
new batch). Alternating spreads load from other processes over both sides, but a busy machine
still adds noise (OpenMP threads of a preempted forward spin), so the script warns when the
load average says the machine is busy.

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
    """Per-batch seconds of the plain and the recorded model in each round, and rows seen.

    The reservoir is filled (twice over) before the first timed round, so every round runs at
    the cap.
    """
    torch.manual_seed(0)
    plain_model = make_mlp(args.width, args.depth).to(args.device).eval()
    recorded_model = copy.deepcopy(plain_model)
    batches = [torch.randn(args.batch, 32, device=args.device) for _ in range(4)]
    plain, recorded, seen = np.zeros(args.rounds), np.zeros(args.rounds), []
    with torch.no_grad(), record(recorded_model, paths, max_samples=CAP) as rec:
        for i in range(2 * -(-CAP // args.batch)):
            plain_model(batches[i % len(batches)])
            recorded_model(batches[i % len(batches)])
        for r in range(args.rounds):
            for i in range(args.batches):
                batch = batches[i % len(batches)]
                if i % 2:
                    recorded[r] += timed(recorded_model, batch)
                    plain[r] += timed(plain_model, batch)
                else:
                    plain[r] += timed(plain_model, batch)
                    recorded[r] += timed(recorded_model, batch)
            seen.append(rec[paths[0]].n_seen)
    print(f"  {rec[paths[0]]}")
    return plain / args.batches, recorded / args.batches, seen


def report(plain: np.ndarray, recorded: np.ndarray, seen: list[int]) -> float:
    """Print per-round times; return the overhead over all rounds."""
    for p, r, n in zip(plain, recorded, seen, strict=True):
        print(
            f"    rows seen <= {n:>9,}: plain {p * 1e3:7.2f} ms/batch, recorded {r * 1e3:7.2f} "
            f"ms/batch, overhead {r / p - 1:+6.1%}"
        )
    total = float(recorded.sum() / plain.sum() - 1.0)
    print(f"    overhead over all rounds: {total:+.2%}")
    return total


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
