"""Transformer MLPs → PCA + symbolic surrogates on the offline char-level GPT-2 (issue 10).

Why: the SymTorch case study (Qwen2.5-1.5B, 3 MLPs, PCA 32/8) reports perplexity 10.62 → 13.76
(PCA reconstruction alone 13.73, skip-MLP 17.59) for +8.3 % tokens/s, the skip-MLP bound. This
runs the same comparison here, all variants measured in one interleaved run
(:func:`symtorch_lab.llm.sweep`): the original, and for 1, 2 and all MLPs replaced the skip-MLP
bound and, per ``(k_in, k_out)``, the PCA-only reconstruction and the symbolic hybrid.

Targets (reported, not asserted): hybrid tokens/s >= 97 % of skip-MLP on the same layers;
hybrid perplexity within 2 % of PCA-only at the same k. CPU only (one torch thread) unless a
GPU is present; memory is the weights reachable from the model (the originals freed) plus the
peak working memory of one forward (CPU: peak RSS above the RSS before it, page-granular).

Model: ``models/charlm`` (``symtorch-lab train-charlm --out models/charlm``), trained here if
missing. Run: ``python bench/llm.py`` (10-20 minutes on a loaded 2-core CPU).
Results: ``bench/results/llm.{csv,md,html,json}``.
"""

from __future__ import annotations

import argparse
import csv
import math
import time
from pathlib import Path

import torch
from _results import machine, save

from symtorch_lab import llm

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results"
COLUMNS = (
    "variant",
    "kind",
    "layers",
    "k_in",
    "k_out",
    "perplexity",
    "perplexity_ratio",
    "tokens_per_s",
    "tokens_per_s_best",
    "throughput_ratio",
    "forward_ms",
    "weight_bytes",
    "working_bytes",
)


def targets(rows):
    """Per hybrid: tokens/s vs skip on the same layers, perplexity vs PCA-only at the same k."""
    by = {(r["kind"], r["layers"], r["k_in"], r["k_out"]): r for r in rows}
    out = []
    for r in rows:
        if r["kind"] != "hybrid":
            continue
        skip = by[("skip", r["layers"], None, None)]
        pca = by[("pca", r["layers"], r["k_in"], r["k_out"])]
        speed = r["tokens_per_s"] / skip["tokens_per_s"]
        best = r["tokens_per_s_best"] / skip["tokens_per_s_best"]
        ppl = r["perplexity"] / pca["perplexity"] - 1
        out.append(
            {
                "variant": r["variant"],
                "vs_skip": speed,
                "vs_skip_best": best,
                "vs_pca": ppl,
                "speed_ok": speed >= 0.97,
                "ppl_ok": abs(ppl) <= 0.02,
            }
        )
    return out


def markdown(rows, checks, meta) -> str:
    m = meta["machine"]
    head = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"
    fmt = {float: lambda v: f"{v:.4g}", type(None): lambda v: "-"}
    body = "".join(
        "| " + " | ".join(fmt.get(type(r[c]), str)(r[c]) for c in COLUMNS) + " |\n" for r in rows
    )
    lines = [
        "# Transformer MLPs → PCA + symbolic surrogates (char-level GPT-2, CPU)\n",
        f"Model: {meta['model']}; held-out: {meta['val_chars']} chars in windows of "
        f"{meta['window']}; timed batch {meta['batch']}x{meta['window']} tokens, "
        f"{meta['repeats']} interleaved repeats, {meta['threads']} torch thread(s); "
        f"{m['cpus']} CPUs, load average {m['load_avg_1min']:.1f} (shared machine); search "
        f"{meta['search']}; whole run {meta['minutes']:.1f} min. Original model: "
        f"{meta['val_nats_per_char']:.3f} nats/char held out.\n",
        head + body,
        "\n## Targets (reported, not asserted)\n",
        "Tokens/s are medians of interleaved passes; on a machine this loaded they move by several "
        "% from run to run, so the ratio of the fastest passes is shown beside them.\n\n"
        "| hybrid | tokens/s vs skip-MLP (>= 0.97) | fastest vs fastest | "
        "perplexity vs PCA-only (within 2 %) |\n|---|---|---|---|\n",
        *(
            f"| {c['variant']} | {c['vs_skip']:.3f} {'ok' if c['speed_ok'] else 'MISSED'} | "
            f"{c['vs_skip_best']:.3f} | "
            f"{c['vs_pca']:+.2%} {'ok' if c['ppl_ok'] else 'MISSED'} |\n"
            for c in checks
        ),
        "\nNo GPU was lent for this run: CPU figures only.\n",
    ]
    return "".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "charlm"))
    parser.add_argument("--val-chars", type=int, default=16384)
    parser.add_argument("--niterations", type=int, default=40)
    parser.add_argument("--population-size", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    if not Path(args.model, "config.json").exists():
        llm.train_charlm(args.model, steps=600, batch=16)
    model, tok = llm.load_charlm(args.model)
    train, val = llm.split_ids(tok)
    search = {
        "niterations": args.niterations,
        "population_size": args.population_size,
        "maxsize": 15,
        "timeout_in_seconds": 30,
        "max_samples": 3000,
    }
    window, batch = model.config.n_positions, 8
    rows = llm.sweep(
        model,
        train[:200_000],
        val[: args.val_chars],
        layer_sets=[(1,), (1, 2), "all"],
        ks=[(8, 2), (16, 4)],
        window=window,
        batch_size=batch,
        repeats=args.repeats,
        warmup=3,
        max_windows=64,
        **search,
    )
    checks = targets(rows)
    shown = Path(args.model).resolve()
    shown = shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown
    cfg = model.config
    meta = {
        "model": f"{shown} (GPT-2, {cfg.n_layer} layers, d={cfg.n_embd}, char-level)",
        "val_chars": args.val_chars,
        "window": window,
        "batch": batch,
        "repeats": args.repeats,
        "threads": torch.get_num_threads(),
        "search": search,
        "machine": machine(),
        "minutes": (time.perf_counter() - start) / 60,
        "val_nats_per_char": math.log(rows[0]["perplexity"]),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "llm.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    (OUT / "llm.md").write_text(markdown(rows, checks, meta))
    fig = llm.perplexity_throughput_figure(rows, "char-level GPT-2: perplexity vs tokens/s (CPU)")
    fig.write_html(OUT / "llm.html", include_plotlyjs="cdn")
    save({"meta": meta, "rows": rows, "targets": checks}, OUT / "llm.json")
    print((OUT / "llm.md").read_text())


if __name__ == "__main__":
    main()
