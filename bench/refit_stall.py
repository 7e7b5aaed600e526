"""What ending refits on a stall saves and costs, on the discovery problems, side by side.

Why: at small search budgets the float64 refits of the polish were most of the Distiller's
time over raw pyoperon: Levenberg-Marquardt crawled along the valleys of candidates that are
not the law until ``max_nfev``. ``symtorch_lab._refit`` now ends a refit once its last
``k + 1`` accepted steps gained nothing the polish's judge could measure. This runs the same
Distiller (same data, seed, settings) with that rule on and off (``_refit.STOP_ON_STALL``),
interleaved problem by problem, and reports per problem: refit evaluations,
refit and fit seconds (under this machine's load), whether the law is on the front, whether
the pick is the same, and every front entry that differs.

Run: ``python bench/refit_stall.py`` (about 2-4 min on a 2-core machine under load).
Writes bench/results/refit_stall.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout, uninstalled
from bench._results import machine, save  # noqa: E402
from bench.discovery import PROBLEMS, _recovers, data  # noqa: E402
from symtorch_lab import _refit  # noqa: E402
from symtorch_lab.distill import Distiller  # noqa: E402

PROBLEMS = [*PROBLEMS, ("bench_operon_overhead", "x0*x1 + sin(x2)*x3", 5, (-2, 2))]


class _Counted:
    """Wraps ``_refit._least_squares`` to add up its evaluations and seconds."""

    def __init__(self):
        self.inner, self.evaluations, self.seconds = _refit._least_squares, 0, 0.0

    def __call__(self, *args):
        t = time.perf_counter()
        values, evaluations = self.inner(*args)
        self.evaluations += evaluations
        self.seconds += time.perf_counter() - t
        return values, evaluations


def run(X, y, law, d, args, stop_on_stall: bool) -> dict:
    counted = _Counted()
    _refit._least_squares, _refit.STOP_ON_STALL = counted, stop_on_stall
    try:
        t = time.perf_counter()
        front = (
            Distiller(
                binary_operators=("add", "sub", "mul", "div"),
                unary_operators=("sin", "cos", "exp", "square"),
                maxsize=args.maxsize,
                population_size=args.population,
                niterations=args.generations,
                timeout_in_seconds=None,
                random_state=args.seed,
                max_rows=len(X),
            )
            .fit(X, y)
            .fronts_[0]
        )
        wall = time.perf_counter() - t
    finally:
        _refit._least_squares, _refit.STOP_ON_STALL = counted.inner, True
    return {
        "refit_evaluations": counted.evaluations,
        "refit_s": round(counted.seconds, 3),
        "fit_s": round(wall, 3),
        "law_on_front": any(_recovers(c.expression, law, d) for c in front),
        "picked": str(front.selected.expression),
        "front": [(c.complexity, c.loss, str(c.expression)) for c in front],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--generations", type=int, default=10)
    p.add_argument("--population", type=int, default=200)
    p.add_argument("--maxsize", type=int, default=25)
    p.add_argument("--rows", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(1)
    rows = []
    for name, law, d, lo_hi in PROBLEMS:
        X, y, _ = data(law, d, lo_hi, args.rows, args.seed)
        full, stall = (run(X, y, law, d, args, s) for s in (False, True))
        rows.append({"problem": name, "full": full, "stall": stall})
        print(line(name, full, stall), flush=True)
    total = {k: sum(r[k]["refit_evaluations"] for r in rows) for k in ("full", "stall")}
    seconds = {k: sum(r[k]["fit_s"] for r in rows) for k in ("full", "stall")}
    print(
        f"total: refit evaluations {total['full']} -> {total['stall']} "
        f"({total['stall'] / total['full']:.2f}x), fit seconds {seconds['full']:.1f} -> "
        f"{seconds['stall']:.1f}"
    )
    out = ROOT / "bench" / "results" / "refit_stall.json"
    save({"settings": vars(args), "machine": machine(), "rows": rows}, out)


def line(name: str, full: dict, stall: dict) -> str:
    text = (
        f"{name:22} evaluations {full['refit_evaluations']:5d} -> {stall['refit_evaluations']:5d}"
        f" | refit {full['refit_s']:.2f} -> {stall['refit_s']:.2f} s"
        f" | fit {full['fit_s']:.2f} -> {stall['fit_s']:.2f} s"
        f" | law on front {full['law_on_front']} -> {stall['law_on_front']}"
        f" | same pick {full['picked'] == stall['picked']}"
    )
    for a, b in zip(full["front"], stall["front"], strict=False):
        if a != b:
            text += f"\n    full  {a[0]:3d} {a[1]:.4g} {a[2]}"
            text += f"\n    stall {b[0]:3d} {b[1]:.4g} {b[2]}"
    if len(full["front"]) != len(stall["front"]):
        text += f"\n    front sizes {len(full['front'])} -> {len(stall['front'])}"
    return text


if __name__ == "__main__":
    main()
