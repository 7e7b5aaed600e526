"""Plotly figure builders: they *return* figures and never display or write anything.

Used by the headless report and by notebook users directly. plotly is an optional import
here so the rest of the engine runs without it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .front import ParetoFront


def _go():
    try:
        import plotly.graph_objects as go
    except ImportError as exc:  # pragma: no cover - plotly is a dependency
        raise ImportError("plots need plotly: pip install plotly") from exc
    return go


def front_figure(fronts: Mapping[int, ParetoFront], title: str = "Pareto front"):
    """Complexity vs loss (log scale), one trace per output dimension, picks marked."""
    go = _go()
    fig = go.Figure()
    for dim, front in sorted(fronts.items()):
        comp = [c.complexity for c in front]
        loss = [max(c.loss, 1e-300) for c in front]
        text = [str(c.expression) for c in front]
        fig.add_trace(
            go.Scatter(
                x=comp,
                y=loss,
                mode="lines+markers",
                name=f"dim {dim}",
                text=text,
                hovertemplate="%{text}<br>loss %{y:.3g}",
            )
        )
        sel = front.selected
        fig.add_trace(
            go.Scatter(
                x=[sel.complexity],
                y=[max(sel.loss, 1e-300)],
                mode="markers",
                marker={"size": 14, "symbol": "star"},
                name=f"pick dim {dim}",
                text=[str(sel.expression)],
                hovertemplate="%{text}",
            )
        )
    fig.update_layout(
        title=title,
        xaxis_title="complexity",
        yaxis_title="loss (MSE)",
        yaxis_type="log",
        # one label per decade (10⁻³, 10⁻², ...), not plotly's minor "2, 5" ticks between them
        yaxis_dtick=1,
        yaxis_exponentformat="power",
        template="plotly_white",
    )
    return fig


def parity_figure(y_network: np.ndarray, y_expression: np.ndarray, title: str = "Parity"):
    """Network output vs expression output, with the identity line."""
    go = _go()
    a = np.asarray(y_network, dtype=float).reshape(-1)
    b = np.asarray(y_expression, dtype=float).reshape(-1)
    lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    fig = go.Figure(
        [
            go.Scatter(x=a, y=b, mode="markers", marker={"size": 4, "opacity": 0.5}, name="rows"),
            go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="y = x", line={"dash": "dash"}),
        ]
    )
    fig.update_layout(
        title=title,
        xaxis_title="network output",
        yaxis_title="expression output",
        template="plotly_white",
    )
    return fig


def comparison_figure(comparison, title: str = "Before / after"):
    """Bars of the original vs the hybrid model: task metric, throughput, peak memory.

    ``comparison`` is a :class:`~symtorch_lab.benchmark.Comparison` (or its ``to_dict()``).
    Every bar is labelled with its value, so a zero bar (``before`` when the metric is measured
    against the original network's own output) still shows; the metric's title says what it
    is measured against.
    """
    from plotly.subplots import make_subplots

    go = _go()
    c = comparison if isinstance(comparison, Mapping) else comparison.to_dict()
    panels = [
        (metric_title(c), c["before"], c["after"]),
        (f"{c['unit']}/s", c["throughput_before"], c["throughput_after"]),
        ("peak memory (MB)", _mb(c["memory_before"]), _mb(c["memory_after"])),
    ]
    panels = [p for p in panels if p[1] is not None and p[2] is not None]
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[p[0] for p in panels])
    for i, (_, before, after) in enumerate(panels, start=1):
        fig.add_trace(
            go.Bar(
                x=["original", "symbolic"],
                y=[before, after],
                marker_color=["#888888", "#1f77b4"],
                text=[_label(before), _label(after)],
                textposition="outside",
                cliponaxis=False,
                showlegend=False,
            ),
            row=1,
            col=i,
        )
    fig.update_layout(title=title, template="plotly_white")
    return fig


def metric_title(comparison: Mapping) -> str:
    """``"mse vs targets"`` / ``"mse vs the original network's output"``."""
    reference = comparison.get("reference")
    return f"{comparison['metric']} vs {reference}" if reference else str(comparison["metric"])


def _label(value: float) -> str:
    return f"{value:.4g}"


def _mb(value):
    return None if value is None else value / 2**20
