"""Notebook views of a SLIME :class:`~symtorch_lab.explanation.Explanation`.

Kept out of the value object: a rich HTML summary (LaTeX of the pick, fidelity, the
pre-selection, the local effects) and a plotly figure. plotly is imported inside the function,
so the engine runs without it.
"""

from __future__ import annotations

import html
import math


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "undefined"
    return f"{value:.4g}" if math.isfinite(value) else str(value)


def html_table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table>{cells}</table>"


def to_html(explanation) -> str:
    """The pick in LaTeX, f(x0), the fidelity numbers, the selection and the local effects."""
    e = explanation
    fid = e.fidelity
    rows = [
        ("explained", f"{e.target} = {_fmt(e.f_x0)} at x0"),
        ("g(x0)", _fmt(float(e.predict(e.x0[None, :])[0]))),
        ("local R² (fresh sample)", _fmt(fid.get("r2", math.nan))),
        ("weighted MSE", _fmt(fid.get("weighted_mse", math.nan))),
        ("|g(x0) − f(x0)|", _fmt(fid.get("abs_error_x0", math.nan))),
        ("complexity", str(e.front.selected.complexity)),
        ("features", e.selection),
        ("points", f"{len(e.neighbours)} real neighbours, {len(e.synthetic)} synthetic"),
    ]
    if e.stability is not None:
        rows.append(("stability", f"{e.stability:.0%} of {len(e.repeats)} repeats, same structure"))
    if e.stopped:
        rows.append(("search", "stopped early: partial front"))
    rows.extend(("note", note) for note in e.notes)
    effects = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{value:+.4g}</td></tr>" for name, value in e.as_list()
    )
    return (
        "<div class='stl-slime'>"
        f"<p><b>SLIME</b> local surrogate: $$g = {html.escape(e.expression.latex())}$$</p>"
        f"{html_table(rows)}"
        "<p>local effect ∂g/∂x<sub>i</sub> at x0:</p>"
        f"<table>{effects}</table></div>"
    )


def figure(explanation):
    """plotly bar chart of ∂g/∂x_i at x0 for the used features; title: g and its local R²."""
    import plotly.graph_objects as go

    items = explanation.as_list()
    names = [n for n, _ in items][::-1]
    values = [v for _, v in items][::-1]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            marker_color=["#2a9d8f" if v >= 0 else "#e76f51" for v in values],
            name="∂g/∂x at x0",
        )
    )
    r2 = explanation.fidelity.get("r2", math.nan)
    fig.update_layout(
        title=f"g = {explanation.expression}  (local R² {_fmt(r2)})",
        xaxis_title="local effect ∂g/∂x_i at x0",
        height=max(250, 40 * len(items) + 120),
        margin={"l": 10, "r": 10, "t": 60, "b": 40},
    )
    return fig
