"""Wall time of our Operon driver and of the whole Distiller against raw pyoperon.

Why: the driver adds a worker thread, a Python callback per generation (hall of fame, stop
checks) and its own formatting around the same C++ search; that must stay cheap next to the
search itself. Goal: driver / raw <= 1.2, and the full ``Distiller`` (driver + float64
refit, sympy canonicalisation and constant snapping of every candidate on the front; with
"+live", a parsed front handed to a callback every generation) / raw <= 1.2 too.

Both run the same search (NSGA-II on R² and length, LM with 10 iterations, same population,
generations, max_length, seed, one thread) on problem (e) of the research notes,
``x0*x1 + sin(x2)*x3`` with a distractor x4. "ours+live" also passes an ``on_generation``
callback, so the front is formatted every generation. "Distiller, full refits" runs every
float64 refit to ``max_nfev`` or MINPACK's own tolerances, as before refits ended on a stall
(``symtorch_lab._refit.STOP_ON_STALL``): the same data, seed and settings, so its ratio and
its front, printed beside the Distiller's, show what the stall rule saves and costs. Runs are
interleaved so load from other processes hits all sides alike; noise only adds time, so each
side's best run is compared (as ``timeit`` does), with medians shown too.

Run: ``python bench/bench_operon_overhead.py`` (about 20-40 s on a 2-core CPU); ``--help``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from pyoperon.sklearn import SymbolicRegressor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled
from _results import machine, save  # noqa: E402

from symtorch_lab import _refit  # noqa: E402
from symtorch_lab.backends import SearchSpec  # noqa: E402
from symtorch_lab.backends.operon import OperonBackend  # noqa: E402
from symtorch_lab.distill import Distiller  # noqa: E402

GOAL = 1.2

OPERATORS = ("add", "sub", "mul", "div")
UNARY = ("sin", "cos", "exp", "log", "sqrt", "square")


def problem(rows: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1000)
    X = rng.uniform(-2, 2, (rows, 5))
    return X, X[:, 0] * X[:, 1] + np.sin(X[:, 2]) * X[:, 3]


def run_raw(X, y, args) -> float:
    model = SymbolicRegressor(
        allowed_symbols=",".join(OPERATORS + UNARY + ("constant", "variable")),
        objectives=["r2", "length"],
        optimizer_iterations=10,
        population_size=args.population,
        generations=args.generations,
        max_length=args.maxsize,
        max_evaluations=2**62,
        random_state=args.seed,
        n_threads=1,
    )
    model.fit(X, y)
    return min(m["mean_squared_error"] for m in model.pareto_front_)


def run_ours(X, y, args, live: bool) -> float:
    spec = SearchSpec(
        binary_operators=OPERATORS,
        unary_operators=UNARY,
        maxsize=args.maxsize,
        population_size=args.population,
        niterations=args.generations,
        timeout_in_seconds=None,
        random_state=args.seed,
        max_rows=len(X),
    )
    names = [f"x{i}" for i in range(X.shape[1])]
    front = OperonBackend().search(
        X, y, names, spec, on_generation=(lambda p: None) if live else None
    )
    return min(c.loss for c in front)


def run_distiller(X, y, args, live: bool, stop_on_stall: bool = True) -> list[tuple]:
    distiller = Distiller(
        binary_operators=OPERATORS,
        unary_operators=UNARY,
        maxsize=args.maxsize,
        population_size=args.population,
        niterations=args.generations,
        timeout_in_seconds=None,
        random_state=args.seed,
        max_rows=len(X),
        callbacks=[lambda event: None] if live else (),
    )
    _refit.STOP_ON_STALL = stop_on_stall
    try:
        front = distiller.fit(X, y).fronts_[0]
    finally:
        _refit.STOP_ON_STALL = True
    return [(c.complexity, c.loss, str(c.expression)) for c in front]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--generations", type=int, default=30)
    parser.add_argument("--population", type=int, default=500)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--maxsize", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="bench_operon_overhead.json", help="in bench/results/")
    args = parser.parse_args()
    X, y = problem(args.rows)
    runs = {
        "raw": lambda: run_raw(X, y, args),
        "ours": lambda: run_ours(X, y, args, live=False),
        "ours+live": lambda: run_ours(X, y, args, live=True),
        "Distiller": lambda: run_distiller(X, y, args, live=False),
        "Distiller+live": lambda: run_distiller(X, y, args, live=True),
        "Distiller, full refits": lambda: run_distiller(X, y, args, False, stop_on_stall=False),
    }
    run_raw(X, y, args)  # warm-up: first-call costs (dispatch tables, page faults)
    wall: dict[str, list[float]] = {k: [] for k in runs}
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    lowest: dict[str, float] = {}
    fronts: dict[str, list[tuple]] = {}
    for _ in range(args.repeats):
        for label, fn in runs.items():
            t0, c0 = time.perf_counter(), time.process_time()
            result = fn()
            if isinstance(result, list):  # a Distiller's front
                fronts[label], result = result, min(loss for _, loss, _ in result)
            lowest[label] = result
            wall[label].append(time.perf_counter() - t0)
            cpu[label].append(time.process_time() - c0)
    report(args, wall, cpu, lowest, fronts)


def report(args, wall, cpu, lowest, fronts) -> None:
    print(
        f"{args.rows} rows, population {args.population}, {args.generations} generations, "
        f"maxsize {args.maxsize}, seed {args.seed}, 1 thread, {args.repeats} repeats"
    )
    for label in wall:
        print(
            f"{label:>22}: wall best {min(wall[label]):.2f} s "
            f"(median {statistics.median(wall[label]):.2f}), ratio {ratio(wall, label):.2f} | "
            f"CPU best {min(cpu[label]):.2f} s, ratio {ratio(cpu, label):.2f} | "
            f"lowest MSE on the front {lowest[label]:.3g}"
        )
    for name, labels in (
        ("driver", ("ours", "ours+live")),
        ("Distiller", ("Distiller", "Distiller+live")),
    ):
        worst = max(ratio(wall, label) for label in labels)
        verdict = "ok" if worst <= GOAL else "MISSED"
        print(f"{name} / raw wall time <= {worst:.2f} (goal <= {GOAL}): {verdict}")
    for label, front in fronts.items():
        print(f"front of {label}: " + "; ".join(f"{c} {loss:.3g} {e}" for c, loss, e in front))
    save(
        {
            "settings": vars(args),
            "machine": machine(),
            "wall_best_s": {label: min(times) for label, times in wall.items()},
            "cpu_best_s": {label: min(times) for label, times in cpu.items()},
            "wall_ratio": {label: ratio(wall, label) for label in wall},
            "cpu_ratio": {label: ratio(cpu, label) for label in cpu},
            "lowest_mse_on_front": lowest,
            "fronts": fronts,
        },
        Path(__file__).parent / "results" / args.out,
    )


def ratio(times: dict[str, list[float]], label: str) -> float:
    return min(times[label]) / min(times["raw"])


if __name__ == "__main__":
    main()
