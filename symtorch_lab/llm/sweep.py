"""Sweeps over layer sets and ``(k_in, k_out)``: every variant measured in one interleaved run.

One session per ``(k_in, k_out)`` distils the union of the layers in ``layer_sets`` once; then
the original, and for each layer set the skip-MLP bound and, for each ``k``, the PCA-only
reconstruction and the symbolic hybrid, are all measured by one :func:`~.measure.measure` call,
so their perplexities and tokens/s sit side by side. :func:`perplexity_throughput_figure` draws
the result (plotly, imported on use).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .measure import measure
from .paths import mlp_paths
from .variants import FusedSurrogate, pca_modules, skip_modules
from .workflow import distill_mlps


def _label(paths: list[str], all_paths: list[str]) -> str:
    if paths == all_paths:
        return "all"
    return ",".join(p.split(".")[-2] if p.count(".") >= 2 else p for p in paths)


def sweep(
    model: nn.Module,
    train_ids: torch.Tensor,
    val_ids: torch.Tensor,
    layer_sets=((0,), "all"),
    ks=((8, 4),),
    *,
    window: int = 128,
    batch_size: int = 8,
    repeats: int = 10,
    warmup: int = 2,
    progress: bool = True,
    **distill_kwargs,
) -> list[dict[str, Any]]:
    """Rows of ``variant, kind, layers, k_in, k_out, perplexity, tokens_per_s, ...``."""
    sets = [mlp_paths(model, layers) for layers in layer_sets]
    union = sorted({p for paths in sets for p in paths}, key=[*mlp_paths(model)].index)
    all_paths = mlp_paths(model)
    variants: dict[str, Any] = {"original": None}
    info: dict[str, dict[str, Any]] = {"original": {"kind": "original", "layers": "-"}}
    for paths in sets:
        name = f"skip [{_label(paths, all_paths)}]"
        variants[name] = skip_modules(paths)
        info[name] = {"kind": "skip", "layers": _label(paths, all_paths)}
    for k_in, k_out in ks:
        session = distill_mlps(
            model,
            train_ids,
            union,
            k_in=k_in,
            k_out=k_out,
            window=window,
            replace=False,
            progress=progress,
            **distill_kwargs,
        )
        jobs = session.jobs
        originals = {p: model.get_submodule(p) for p in union}
        for paths in sets:
            layers = _label(paths, all_paths)
            projections = {p: (jobs[p].in_projection, jobs[p].out_projection) for p in paths}
            for kind, mapping in (
                ("pca", pca_modules({p: originals[p] for p in paths}, projections)),
                ("hybrid", {p: FusedSurrogate.from_surrogate(jobs[p].surrogate()) for p in paths}),
            ):
                name = f"{kind} [{layers}] k={k_in}/{k_out}"
                variants[name] = mapping
                info[name] = {"kind": kind, "layers": layers, "k_in": k_in, "k_out": k_out}
    rows = measure(
        model,
        val_ids,
        variants,
        window=window,
        batch_size=batch_size,
        repeats=repeats,
        warmup=warmup,
    )
    base = rows[0]
    for row in rows:
        row.update({"k_in": None, "k_out": None, **info[row["variant"]]})
        row["perplexity_ratio"] = row["perplexity"] / base["perplexity"]
        row["throughput_ratio"] = row["tokens_per_s"] / base["tokens_per_s"]
    return rows


def perplexity_throughput_figure(rows: list[dict[str, Any]], title: str = ""):
    """Perplexity (lower is better) against tokens/s (higher is better), one marker per variant."""
    import plotly.graph_objects as go

    symbols = {"original": "star", "pca": "circle-open", "skip": "x", "hybrid": "diamond"}
    fig = go.Figure()
    for kind, symbol in symbols.items():
        mine = [r for r in rows if r["kind"] == kind]
        if not mine:
            continue
        fig.add_trace(
            go.Scatter(
                x=[r["tokens_per_s"] for r in mine],
                y=[r["perplexity"] for r in mine],
                mode="markers+text",
                name=kind,
                text=[r["variant"].replace(kind, "").strip() for r in mine],
                textposition="top center",
                marker={"symbol": symbol, "size": 11},
                hovertemplate="%{fullData.name} %{text}<br>%{x:.0f} tokens/s<br>"
                "perplexity %{y:.3f}<extra></extra>",
            )
        )
    fig.update_layout(
        title=title or "perplexity vs throughput of every variant",
        xaxis_title="tokens/s",
        yaxis_title="perplexity (held-out)",
        template="plotly_white",
    )
    return fig
