"""Symbolic gradients (issue 11): which way of proposing formulas wins, on Wetzel's A and A1.

Why: the gradient-alignment loss needs each candidate's gradient, which Operon's own fitness
does not give. Two paths are measured side by side, same network, same seed, same budget:

* ``surrogate``: Operon fits the logit with plain MSE (all rows, then boundary rows), and every
  front member is refitted and ranked under the alignment loss (torch autodiff);
* ``search``: Operon's selection itself runs on the alignment loss (central differences on
  stacked rows through the custom-loss evaluator), then the same refit and ranking.

For each: wall and CPU seconds, the pick, its complexity, the mean and 5th-percentile cosine
with the network's gradient on held-out boundary points, and the mean cosine with the true
``∇q``. Written to ``bench/results/symgrad.{csv,md,json}``.

Run: ``python bench/symgrad.py`` (a few minutes on 2 cores); ``--help`` for options.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled
import _results  # noqa: E402  (bench/_results.py, beside this script)

from symtorch_lab._gradient_fit import cosines, expression_gradient  # noqa: E402
from symtorch_lab.gradients import boundary_points, explain_classifier  # noqa: E402
from symtorch_lab.science import classifiers  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
FIELDS = ["problem", "method", "wall_s", "cpu_s", "front", "complexity", "cos_mean", "cos_p05",
          "cos_true_q", "expression"]  # fmt: skip


def run_one(problem: str, method: str, model, X, args) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    front = explain_classifier(
        model, X, method=method, niterations=args.niterations,
        population_size=args.population, random_state=args.seed, timeout_in_seconds=120,
    )  # fmt: skip
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    pick = front.selected
    points = boundary_points(model, X, random_state=args.seed)  # the same held-out rows
    Xv = points.X[points.val]
    true_cos = cosines(
        expression_gradient(pick.expression, Xv), classifiers.quantity_gradient(problem, Xv)
    )
    return {
        "problem": problem, "method": method, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
        "front": len(front), "complexity": pick.complexity,
        "cos_mean": round(pick.metrics["cos_mean"], 6),
        "cos_p05": round(pick.metrics["cos_p05"], 6),
        "cos_true_q": round(float(np.mean(true_cos)), 6), "expression": str(pick.expression),
    }  # fmt: skip


def markdown(rows: list[dict], machine: dict, args) -> str:
    lines = [
        "# Symbolic gradients: surrogate vs alignment-driven search",
        "",
        f"{args.samples} samples, tanh MLP 32-32 trained {args.steps} steps, Operon "
        f"{args.niterations} generations x {args.population}, seed {args.seed}, one thread. "
        f"Machine: {machine}.",
        "",
        "| " + " | ".join(FIELDS) + " |",
        "|" + "---|" * len(FIELDS),
    ]
    lines += ["| " + " | ".join(str(r[k]) for k in FIELDS) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--niterations", type=int, default=30)
    parser.add_argument("--population", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for problem in ("A", "A1"):
        X, y = classifiers.sample(problem, args.samples, seed=args.seed)
        model = classifiers.train_classifier(X, y, steps=args.steps, seed=args.seed)
        for method in ("surrogate", "search"):
            rows.append(run_one(problem, method, model, X, args))
            print(rows[-1], flush=True)
    machine = _results.machine()
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / "symgrad.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    (RESULTS / "symgrad.md").write_text(markdown(rows, machine, args))
    _results.save({"machine": machine, "args": vars(args), "rows": rows}, RESULTS / "symgrad.json")


if __name__ == "__main__":
    main()
