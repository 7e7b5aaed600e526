"""Wall and CPU time of one module's output dims searched serially vs concurrently.

Why: issue 6 §4 — a hidden layer's 8 PCA dims ran one after another at ~60 s each. The
Distiller now searches the dims of one module in threads (``n_jobs``, one Operon thread each;
pyoperon releases the GIL). This measures what that buys on this machine: the same 4 searches
(same seed, same generations, so the same work and the same fronts) with ``n_jobs=1`` and
``n_jobs=4``, interleaved so load from other processes hits both alike.

Wall time is what a user waits; CPU time (``time.process_time``, all threads of the process)
is the work done. On an idle machine with ``c`` free cores the wall ratio approaches
``min(c, 4)``; on a shared machine it shows what the other processes left. The results are
printed side by side and written to ``bench/results/bench_dims.json``.

Run: ``python bench/bench_dims.py`` (about 1-2 min on a 2-core CPU); ``--help`` for options.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled
import _results  # noqa: E402  (bench/_results.py, beside this script)

from symtorch_lab.distill import Distiller  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "bench_dims.json"


def four_dims(n: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Four output columns of different difficulty over the same three inputs."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, 3))
    Y = np.column_stack(
        [
            X[:, 0] * X[:, 1],
            np.sin(X[:, 2]) + X[:, 0],
            X[:, 1] / (1 + X[:, 0] ** 2),
            X[:, 0] * X[:, 2] - X[:, 1] ** 2,
        ]
    )
    return X, Y


def timed_fit(n_jobs: int, X, Y, args) -> dict[str, float]:
    distiller = Distiller(
        population_size=args.population,
        niterations=args.generations,
        timeout_in_seconds=None,
        max_rows=args.rows,
        random_state=0,
        n_jobs=n_jobs,
    )
    wall, cpu = time.perf_counter(), time.process_time()
    distiller.fit(X, Y)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    losses = [min(c.loss for c in distiller.fronts_[d]) for d in sorted(distiller.fronts_)]
    return {"wall_s": wall, "cpu_s": cpu, "best_losses": losses}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generations", type=int, default=40)
    parser.add_argument("--population", type=int, default=500)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    X, Y = four_dims(args.rows)
    runs: dict[str, list[dict]] = {"serial (n_jobs=1)": [], "concurrent (n_jobs=4)": []}
    for _ in range(args.repeats):  # interleaved: load from others hits both sides alike
        runs["serial (n_jobs=1)"].append(timed_fit(1, X, Y, args))
        runs["concurrent (n_jobs=4)"].append(timed_fit(4, X, Y, args))
    summary = {
        name: {
            "wall_s_median": statistics.median(r["wall_s"] for r in rs),
            "wall_s_best": min(r["wall_s"] for r in rs),
            "cpu_s_median": statistics.median(r["cpu_s"] for r in rs),
            "best_losses": rs[0]["best_losses"],
        }
        for name, rs in runs.items()
    }
    serial, concurrent = summary.values()
    report = {
        "settings": vars(args) | {"out": str(args.out)},
        "machine": _results.machine(),
        "runs": runs,
        "summary": summary,
        "wall_speedup_median": serial["wall_s_median"] / concurrent["wall_s_median"],
        "cpu_ratio_median": concurrent["cpu_s_median"] / serial["cpu_s_median"],
    }
    print(f"{'':24}{'wall median':>12}{'wall best':>11}{'CPU median':>12}")
    for name, s in summary.items():
        print(
            f"{name:24}{s['wall_s_median']:>11.2f}s{s['wall_s_best']:>10.2f}s"
            f"{s['cpu_s_median']:>11.2f}s"
        )
    print(
        f"wall speed-up {report['wall_speedup_median']:.2f}x, CPU ratio "
        f"{report['cpu_ratio_median']:.2f} on {os.cpu_count()} cores "
        f"(1-min load average {report['machine']['load_avg_1min']})"
    )
    _results.save(report, args.out)
    return report


if __name__ == "__main__":
    main()
