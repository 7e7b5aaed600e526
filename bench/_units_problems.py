"""Unit-carrying problems: the plain Distiller vs ``dimensional_analysis=True`` (Buckingham π).

Why: with units for the inputs and the output, the π search looks for a function of fewer,
dimensionless variables (:mod:`symtorch_lab.dimensional`). These textbook laws (not the AI
Feynman equations, kept aside for independent checks) each carry an input the law ignores or a
dimensionless input, as measured data would; their data are generated here:

- ``pendulum_amplitude``: ``T = 2π sqrt(L/g) (1 + θ²/16)`` (period at amplitude θ, first
  correction; the mass ``m`` is recorded but plays no part);
- ``stokes_settling``: ``v = 2/9 (ρp − ρf) g r² / μ`` (a sphere settling in a viscous fluid);
- ``projectile_range``: ``R = v² sin(2θ) / g`` (flat ground; the mass ``m`` plays no part).

Both methods get the same data, operators, generations, population, maxsize and seed; the π
run searches once more (on the groups), so its wall time is shown beside, and ``distiller_2x``
is the plain Distiller with twice the generations (about the π run's wall time). Called by
``bench/discovery.py`` (:func:`section_units`, :func:`units_markdown`) or run alone:
``python bench/_units_problems.py [--quick]`` writes bench/results/units.{json,md}.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout, uninstalled
from bench._results import machine, save  # noqa: E402
from symtorch_lab._sympy_bridge import run_bounded  # noqa: E402
from symtorch_lab.distill import Distiller  # noqa: E402
from symtorch_lab.expression import Expression  # noqa: E402
from symtorch_lab.science.recovery import recovers  # noqa: E402

UNARY = ["sin", "cos", "exp", "square", "sqrt"]
METHODS = ("distiller", "distiller_2x", "dimensional")
# name, law, {input: (unit, low, high)}, output unit
UNIT_PROBLEMS = [
    ("pendulum_amplitude", "2*pi*sqrt(L/g)*(1 + th^2/16)",
     {"L": ("m", 0.1, 2), "g": ("m/s^2", 1, 20), "m": ("kg", 0.1, 5), "th": ("rad", 0.1, 1)},
     "s"),
    ("stokes_settling", "2/9*(rp - rf)*g*r^2/mu",
     {"rp": ("kg/m^3", 2000, 8000), "rf": ("kg/m^3", 800, 1500), "g": ("m/s^2", 1, 20),
      "r": ("m", 1e-4, 1e-3), "mu": ("Pa*s", 1e-3, 1e-1)},
     "m/s"),
    ("projectile_range", "v^2*sin(2*th)/g",
     {"v": ("m/s", 1, 30), "th": ("rad", 0.1, 1.4), "g": ("m/s^2", 1, 20),
      "m": ("kg", 0.1, 5)},
     "m"),
]  # fmt: skip


def problem_data(law: str, inputs: dict, rows: int, seed: int):
    rng = np.random.default_rng(2000 + seed)
    X = np.column_stack([rng.uniform(lo, hi, rows) for _, lo, hi in inputs.values()])
    return X, Expression.from_infix(law, list(inputs)).numpy(X)


def _recovers(expr: Expression, law: str, names: list[str], X) -> bool:
    """A numerical screen on the data rows first, then sympy's check, bounded in time."""
    truth = Expression.from_infix(law, names)
    with np.errstate(all="ignore"):
        pred, want = expr.numpy(X), truth.numpy(X)
        ratio = pred / want
    if not np.std(ratio) < 1e-3 * abs(np.mean(ratio)):
        return False
    try:
        return bool(run_bounded(lambda: recovers(expr, law, names), 10.0))
    except Exception:  # noqa: BLE001 - a candidate sympy cannot compare is not the law
        return False


def run_units(X, y, law, names, units, args, seed, method: str) -> dict:
    on, gens = method == "dimensional", args.generations * (2 if method.endswith("2x") else 1)
    d = Distiller(
        binary_operators=["+", "-", "*", "/"], unary_operators=UNARY,
        niterations=gens, population_size=args.population, maxsize=args.maxsize,
        timeout_in_seconds=None, random_state=seed, n_jobs=1, units=units,
        dimensional_analysis=on,
    )  # fmt: skip
    t = time.perf_counter()
    front = d.fit(X, y, variable_names=names).fronts_[0]
    wall = time.perf_counter() - t
    return {
        "on_front": any(_recovers(c.expression, law, names, X) for c in front),
        "picked": _recovers(front.selected.expression, law, names, X),
        "picked_expr": str(front.selected.expression),
        "wall_s": round(wall, 2),
        "groups": front.dimensional or "",
    }


def section_units(args) -> list[dict]:
    """Rows (problem, seed, method, law on front, law picked, wall s) for every unit problem.

    ``args`` needs ``generations``, ``population``, ``maxsize``, ``rows`` and ``seeds``
    (bench/discovery.py's arguments)."""
    rows = []
    for name, law, inputs, out_unit in UNIT_PROBLEMS:
        names = list(inputs)
        units = {n: u for n, (u, _, _) in inputs.items()} | {"y": out_unit}
        for seed in range(args.seeds):
            X, y = problem_data(law, inputs, args.rows, seed)
            for method in METHODS:
                r = run_units(X, y, law, names, units, args, seed, method)
                rows.append({"problem": name, "law": law, "seed": seed, "method": method, **r})
                print(rows[-1], flush=True)
    return rows


def units_markdown(rows: list[dict], args) -> str:
    lines = [
        "", "## Unit-carrying problems: plain vs dimensional analysis (Buckingham π)", "",
        f"Same data and settings per problem: {args.generations} generations, population "
        f"{args.population}, maxsize {args.maxsize}, {args.rows} rows, operators + - * / "
        f"{' '.join(UNARY)}, seeds 0..{args.seeds - 1}.", "",
        "| problem | law | method | law on front | law picked | wall s (mean) | groups |",
        "|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for name, law, *_ in UNIT_PROBLEMS:
        for method in METHODS:
            rs = [r for r in rows if r["problem"] == name and r["method"] == method]
            if not rs:
                continue
            on, picked = sum(r["on_front"] for r in rs), sum(r["picked"] for r in rs)
            wall = np.mean([r["wall_s"] for r in rs])
            lines.append(f"| {name} | `{law}` | {method} | {on}/{len(rs)} | {picked}/{len(rs)} "
                         f"| {wall:.1f} | {rs[0]['groups']} |")  # fmt: skip
    lines += ["", "Totals:", ""]
    for method in METHODS:
        rs = [r for r in rows if r["method"] == method]
        lines.append(
            f"- {method}: law on front {sum(r['on_front'] for r in rs)}/{len(rs)}, picked "
            f"{sum(r['picked'] for r in rs)}/{len(rs)}, wall {sum(r['wall_s'] for r in rs):.0f} s"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    import torch

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="1 seed, small budget")
    p.add_argument("--generations", type=int, default=40)
    p.add_argument("--population", type=int, default=200)
    p.add_argument("--maxsize", type=int, default=20)
    p.add_argument("--rows", type=int, default=500)
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "units")
    args = p.parse_args(argv)
    if args.quick:
        args.generations, args.population, args.seeds = 10, 100, 1
    torch.set_num_threads(1)
    rows = section_units(args)
    md = "# Unit-carrying problems (bench/_units_problems.py)\n" + units_markdown(rows, args)
    print(md)
    if not args.quick:
        save({"machine": machine(), "units": rows}, args.out.with_suffix(".json"))
        args.out.with_suffix(".md").write_text(md)


if __name__ == "__main__":
    main()
