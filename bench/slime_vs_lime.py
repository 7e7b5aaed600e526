"""SLIME against the real LIME on the 8 offline datasets of issue 8.

Why: SLIME's claim is that a small closed-form local surrogate follows a black box near a
point better than LIME's linear one. Per dataset (bench/_slime_datasets.py: a black box
trained on 75 % of the rows; points to explain drawn from the other 25 %) and per point:

* SLIME (``SlimeExplainer``, ``--preset``) and LIME twice: its defaults
  (``discretize_continuous=True``) and ``discretize_continuous=False,
  sample_around_instance=True`` (every feature in LIME's model, ``num_samples=5000``);
* all three measured by :func:`symtorch_lab.local_fidelity` on ONE fresh sample of SLIME's
  neighbourhood (``N(x0, diag(var))``, kernel weights; used by none of the fits): weighted
  MSE and R² against f, ``|g(x0) - f(x0)|``; plus terms / complexity and wall time;
* stability on ``--stability-points`` points per dataset: 5 seeds each; SLIME: the share of
  seeds whose pick has the most common structure; both: ``spread`` = ‖std over seeds‖ /
  ‖mean over seeds‖ of the per-feature weights (SLIME: ∂g/∂x at x0; LIME: its coefficients).

Run: ``python bench/slime_vs_lime.py`` (full: 20 points per dataset) or ``--quick``.
Results: bench/results/slime_vs_lime.csv (one row per point and method), .md (the table the
README quotes) and .html (plotly figure).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled
import _results  # noqa: E402
import _slime_datasets  # noqa: E402

from symtorch_lab import SlimeExplainer, lime_explanation  # noqa: E402
from symtorch_lab.explanation import structure  # noqa: E402
from symtorch_lab.lime_baseline import LIME_VARIANTS, compare  # noqa: E402

OUT = Path(__file__).resolve().parent / "results"
METHODS = ("slime", *LIME_VARIANTS)
SEEDS = 5


def spread(vectors: list[np.ndarray]) -> float:
    """‖std over seeds‖ / ‖mean over seeds‖ (0: the same weights every time)."""
    V = np.array(vectors)
    norm = float(np.linalg.norm(V.mean(axis=0)))
    return float(np.linalg.norm(V.std(axis=0)) / norm) if norm > 0 else float("inf")


def stability(explainer, case, x0, first) -> dict[str, dict[str, float]]:
    """5 seeds at one point: SLIME structure agreement and weight spread; LIME's spread."""
    runs = [first] + [explainer.explain_instance(x0, random_state=s) for s in range(1, SEEDS)]
    shapes = Counter(structure(e.expression) for e in runs)
    out = {
        "slime": {
            "same_structure": shapes.most_common(1)[0][1] / SEEDS,
            "spread": spread([e.local_effects() for e in runs]),
        }
    }
    box = explainer.black_box_at(x0)
    for name, kwargs in LIME_VARIANTS.items():
        coefs = [
            lime_explanation(
                None, case.X_train, x0, mode=case.mode, random_state=s, box=box, **kwargs
            ).coef
            for s in range(SEEDS)
        ]
        out[name] = {"same_structure": 1.0, "spread": spread(coefs)}
    return out


def setup(name: str, args):
    """The dataset's case, its explainer and the rows to explain."""
    case = _slime_datasets.load(name)
    explainer = SlimeExplainer(
        case.model,
        case.X_train,
        feature_names=case.feature_names,
        mode=case.mode,
        preset=args.preset,
        random_state=0,
    )
    rng = np.random.default_rng(0)
    n = min(args.points, len(case.X_explain))
    return case, explainer, rng.choice(len(case.X_explain), size=n, replace=False)


def run_point(case, explainer, row: int, i: int, args) -> list[dict]:
    """SLIME and both LIMEs at one point (and stability for the first points)."""
    x0 = case.X_explain[row]
    e = explainer.explain_instance(x0, random_state=0)
    scores = compare(explainer, e, num_samples=args.lime_samples, seed=1000 + i)
    stab = stability(explainer, case, x0, e) if i < args.stability_points else {}
    print(
        f"{case.name:>14} point {i + 1}: SLIME mse {scores['slime']['weighted_mse']:.3g} "
        f"({e.elapsed_s:.1f} s), LIME {scores['lime']['weighted_mse']:.3g}, LIME local "
        f"{scores['lime_local']['weighted_mse']:.3g}  g = {e.expression}",
        flush=True,
    )
    return [
        {
            "dataset": case.name,
            "model": case.model_name,
            "point": int(row),
            "method": method,
            **scores[method],
            **stab.get(method, {}),
            "expression": str(e.expression) if method == "slime" else "",
        }
        for method in METHODS
    ]


def summary(rows: list[dict]) -> list[dict]:
    """Per dataset: medians per method, SLIME's win share, and the verdict."""
    out = []
    for name in dict.fromkeys(r["dataset"] for r in rows):
        mine = [r for r in rows if r["dataset"] == name]
        med = {m: _medians([r for r in mine if r["method"] == m]) for m in METHODS}
        slime = [r["weighted_mse"] for r in mine if r["method"] == "slime"]
        best_lime = [
            min(a["weighted_mse"], b["weighted_mse"])
            for a, b in zip(
                [r for r in mine if r["method"] == "lime"],
                [r for r in mine if r["method"] == "lime_local"],
                strict=True,
            )
        ]
        wins = float(np.mean([s < b for s, b in zip(slime, best_lime, strict=True)]))
        out.append(
            {
                "dataset": name,
                "model": mine[0]["model"],
                "points": len(slime),
                "median": med,
                "win_share": wins,
                "wins": med["slime"]["weighted_mse"]
                < min(med["lime"]["weighted_mse"], med["lime_local"]["weighted_mse"]),
            }
        )
    return out


def _medians(rows: list[dict]) -> dict[str, float]:
    keys = (
        "weighted_mse",
        "r2",
        "abs_error_x0",
        "terms",
        "complexity",
        "time_s",
        "same_structure",
        "spread",
    )
    return {
        k: float(np.median([r[k] for r in rows if k in r]))
        if any(k in r for r in rows)
        else float("nan")
        for k in keys
    }


def markdown(table: list[dict], meta: dict) -> str:
    head = (
        "| dataset | f | points | SLIME wMSE | LIME wMSE | LIME-local wMSE | SLIME R² | "
        "LIME R² | LIME-local R² | SLIME terms | SLIME s | SLIME same structure | "
        "spread SLIME / LIME / LIME-local | SLIME better than both LIMEs |"
    )
    lines = [head, "|" + "---|" * 14]
    for t in table:
        m = t["median"]
        s, a, b = m["slime"], m["lime"], m["lime_local"]
        lines.append(
            f"| {t['dataset']} | {t['model']} | {t['points']} | {s['weighted_mse']:.3g} | "
            f"{a['weighted_mse']:.3g} | {b['weighted_mse']:.3g} | {s['r2']:.3f} | {a['r2']:.3f} | "
            f"{b['r2']:.3f} | {s['terms']:.0f} | {s['time_s']:.1f} | {s['same_structure']:.2f} | "
            f"{s['spread']:.2f} / {a['spread']:.2f} / {b['spread']:.2f} | "
            f"{'**yes**' if t['wins'] else 'no'} ({t['win_share']:.0%} of points) |"
        )
    won = sum(t["wins"] for t in table)
    lines += [
        "",
        f"SLIME's median neighbourhood error is below both LIME variants' on "
        f"**{won} of {len(table)}** datasets. Medians over points; wMSE = kernel-weighted "
        f"MSE against f on a fresh sample of SLIME's neighbourhood.",
        "",
        f"Run: {meta}",
    ]
    return "\n".join(lines) + "\n"


def figure(table: list[dict]):
    import plotly.graph_objects as go

    fig = go.Figure()
    for method, label in (
        ("slime", "SLIME"),
        ("lime", "LIME (default)"),
        ("lime_local", "LIME (continuous, around x0)"),
    ):
        fig.add_bar(
            name=label,
            x=[t["dataset"] for t in table],
            y=[t["median"][method]["weighted_mse"] for t in table],
        )
    fig.update_layout(
        barmode="group",
        yaxis_type="log",
        title="Median local weighted MSE against the black box (lower is better)",
    )
    return fig


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 points per dataset")
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--stability-points", type=int, default=2)
    parser.add_argument("--lime-samples", type=int, default=5000)
    parser.add_argument("--preset", default="default")
    parser.add_argument("--datasets", default=",".join(_slime_datasets.NAMES))
    parser.add_argument("--out", default=str(OUT / "slime_vs_lime"))
    args = parser.parse_args(argv)
    if args.quick:
        args.points, args.stability_points = 3, 1
    torch.set_num_threads(1)
    started = time.monotonic()
    cases = [setup(name, args) for name in args.datasets.split(",")]
    rows: list[dict] = []
    for i in range(args.points):  # round by round: every dataset gets its i-th point
        for case, explainer, at in cases:
            if i < len(at):
                rows += run_point(case, explainer, int(at[i]), i, args)
        meta = {
            **_results.machine(),
            "preset": args.preset,
            "points": i + 1,
            "stability_points": args.stability_points,
            "lime_samples": args.lime_samples,
            "wall_s": round(time.monotonic() - started, 1),
        }
        write(rows, summary(rows), meta, Path(args.out))  # partial results survive a stop


def write(rows: list[dict], table: list[dict], meta: dict, out: Path) -> None:
    import pandas as pd

    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out.with_suffix(".csv"), index=False)
    text = markdown(table, meta)
    out.with_suffix(".md").write_text(text)
    figure(table).write_html(out.with_suffix(".html"), include_plotlyjs="cdn")
    print(f"written to {out}.csv/.md/.html ({meta['points']} points per dataset)", flush=True)


if __name__ == "__main__":
    main()
