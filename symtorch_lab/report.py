"""A session as one self-contained HTML file: what was found, how, and with which software.

Users share results as files, and the reader may have no kernel, no symtorch_lab and no
network. So the page carries everything itself: per module the Pareto fronts (table and plot,
the pick marked), the picked expressions typeset as MathML (rendered natively by browsers)
with their LaTeX source, a parity plot of network vs expression on the recorded rows, the
search settings and seeds, every before/after comparison of the session, and the package
versions. plotly.js is inlined once, in the first figure; nothing is fetched from anywhere.

The session is read through its public attributes only (``jobs``, ``comparisons``, ...), so
this module imports no session code and the session can offer ``Session.report(file)``.
"""

from __future__ import annotations

import datetime as _dt
import html
import importlib.metadata
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import plots
from ._mathml import to_mathml
from .front import ParetoFront

# Packages whose versions decide what a search finds (and what the page was made with).
PACKAGES = ("symtorch_lab", "torch", "pyoperon", "pysr", "sympy", "numpy", "scipy", "plotly")
MAX_PARITY_ROWS = 2000  # rows drawn per parity plot, evenly spaced over the recording
MAX_PARITY_DIMS = 8  # parity plots per module; wider modules list the rest as omitted
_SETTINGS = (
    "binary_operators", "unary_operators", "maxsize", "niterations", "timeout_in_seconds",
    "population_size", "model_selection", "random_state", "n_threads", "max_rows",
    "validation_fraction", "refit",
)  # fmt: skip
_PLOT_CONFIG = {"displaylogo": False, "responsive": True}

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h1, h2, h3 { font-weight: 600; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: .92em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.stl-pick { background: #fff4cc; font-weight: 600; }
.stl-formula { font-size: 1.3em; margin: .3em 0 .2em 1em; } code { font-size: .92em; }
.stl-note { color: #666; font-size: .9em; }
"""


def write_report(session, file, *, title: str | None = None, description: str = "") -> Path:
    """Write the HTML report of ``session`` to ``file`` (atomically) and return its path.

    Parameters
    ----------
    session : Session
        The session to report on; searches still running are reported as such.
    file : str or Path
        Destination; missing parent folders are created.
    title : str, optional
        Page title (default: "symtorch_lab report: <model class>").
    description : str
        A paragraph of plain text shown under the title (escaped, never interpreted).
    """
    path = Path(file)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_report(session, title=title, description=description), "utf-8")
    os.replace(tmp, path)
    return path


def render_report(session, *, title: str | None = None, description: str = "") -> str:
    """The report of ``session`` as one HTML document (a string)."""
    figures = _Figures()
    title = title or f"symtorch_lab report: {type(session.model).__name__}"
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [f"<h1>{_esc(title)}</h1>"]
    if description:
        parts.append(f"<p>{_esc(description)}</p>")
    parts.append(f'<p class="stl-note">Generated {now}. Opens offline: no kernel needed.</p>')
    parts.append(_session_section(session))
    for job in list(session.jobs.values()):
        parts.append(_module_section(job, session, figures))
    parts.append(_comparisons_section(session.comparisons, figures))
    parts.append(_versions_section())
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_esc(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )


class _Figures:
    """Renders plotly figures as HTML fragments, inlining plotly.js in the first one only."""

    def __init__(self) -> None:
        self.count = 0

    def html(self, fig) -> str:
        first = self.count == 0
        self.count += 1
        return fig.to_html(full_html=False, include_plotlyjs=first, config=_PLOT_CONFIG)


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool | str):
        return _esc(value)
    return f"{float(value):.4g}"


def _table(header: list[str], rows: list[list[str]], row_classes=None) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _kv_table(items: Mapping[str, Any]) -> str:
    rows = [[f"<th>{_esc(k)}</th>", f"<td><code>{_esc(v)}</code></td>"] for k, v in items.items()]
    return _table(["setting", "value"], rows)


def _session_section(session) -> str:
    items = {
        "model": type(session.model).__name__,
        "parameters": _parameters(session),
        "modules in the session": ", ".join(session.jobs) or "none",
        "rows kept per recording (max_samples)": getattr(session, "max_samples", "–"),
        "session defaults for the Distiller": dict(session.distiller_params) or "none",
    }
    return "<h2>Session</h2>" + _kv_table(items)


def _n_params(module) -> int:
    return sum(int(p.numel()) for p in module.parameters())


def _parameters(session) -> str:
    """The original network's parameter count, and the live one when modules are replaced
    (counting only the live model would report the surrogates' few constants)."""
    now = _n_params(session.model)
    swaps = [j.replacement for j in session.jobs.values() if j.status == "replaced"]
    if not swaps:
        return f"{now:,}"
    originals = [m for r in swaps for m in r.originals.values()]
    if any(m is None for m in originals):
        return f"{now:,} with the picked expressions swapped in (originals freed)"
    surrogates = sum(_n_params(r.model.get_submodule(p)) for r in swaps for p in r.paths)
    original = now - surrogates + sum(_n_params(m) for m in originals)
    return f"{original:,} in the original network; {now:,} with the picked expressions swapped in"


def _module_section(job, session, figures: _Figures) -> str:
    fronts: dict[int, ParetoFront] = dict(job.fronts)
    meta = job.meta
    shape = f"{meta.get('input_shape')} → {meta.get('output_shape')}"
    parts = [
        f"<h2>Module <code>{_esc(job.path)}</code></h2>",
        f"<p>{_esc(meta.get('module_type', ''))}, per-row shape {_esc(shape)}, "
        f"{_esc(meta.get('n_rows', '?'))} recorded rows, status <b>{_esc(job.status)}</b>.</p>",
    ]
    if job.status == "searching":
        parts.append('<p class="stl-note">A search was still running: only finished output '
                     "dimensions are shown.</p>")  # fmt: skip
    parts.append("<h3>Search settings and seeds</h3>" + _kv_table(_settings(job, session)))
    if not fronts:
        parts.append('<p class="stl-note">Not distilled yet: no front to show.</p>')
        return "\n".join(parts)
    parts.append("<h3>Picked expressions</h3>" + _picks(fronts, job))
    fig = plots.front_figure(fronts, title=f"Pareto fronts of module '{job.path}'")
    fig.update_yaxes(exponentformat="power")  # 10⁻¹⁵, not SI prefixes like "1f"
    parts.append(figures.html(fig))
    for dim, front in sorted(fronts.items()):
        parts.append(f"<h3>Front of output {dim}</h3>" + _front_table(front))
    parts.append(_parity_section(job, fronts, figures))
    return "\n".join(parts)


def _settings(job, session) -> dict[str, Any]:
    distiller = job.distiller
    if distiller is None:
        params = dict(session.distiller_params)
        note = "not in this session (loaded from a file); the session defaults were"
        return {"search": note, **{k: v for k, v in params.items() if k != "callbacks"}}
    backend = distiller.backend
    items: dict[str, Any] = {
        "backend": backend if isinstance(backend, str) else type(backend).__name__
    }
    items.update({k: getattr(distiller, k) for k in _SETTINGS if hasattr(distiller, k)})
    loss = distiller.loss
    items["loss"] = "weighted MSE" if loss is None else getattr(loss, "__name__", repr(loss))
    items.update(getattr(distiller, "pysr_kwargs", {}))
    for key in ("n_generations_", "stopped_"):
        if hasattr(distiller, key):
            items[key.rstrip("_")] = getattr(distiller, key)
    return items


def _picks(fronts: Mapping[int, ParetoFront], job) -> str:
    items = []
    for dim, front in sorted(fronts.items()):
        cand = front.selected
        expr = cand.expression
        formula = to_mathml(expr.tree, expr.variable_names, 4, display=False)
        items.append(
            f'<div class="stl-pick-expr"><b>output {dim}</b> (complexity {cand.complexity}, '
            f'loss {_num(cand.loss)})<div class="stl-formula">{formula}</div>'
            f"<div>LaTeX: <code>{_esc(expr.latex(precision=4))}</code></div></div>"
        )
    where = "" if job.in_projection is None else (
        '<p class="stl-note">Inputs c0, c1, … are PCA components of the module input.</p>'
    )  # fmt: skip
    return where + "\n".join(items)


def _front_table(front: ParetoFront) -> str:
    extra = sorted({k for c in front for k in c.metrics})
    header = ["pick", "complexity", "loss", "score", *map(_esc, extra), "expression"]
    rows, classes = [], []
    picked = front.selected.id
    for cand in front:
        mark = cand.id == picked
        row = [f"<td>{'▶' if mark else ''}</td>", f'<td class="num">{cand.complexity}</td>']
        row += [f'<td class="num">{_num(v)}</td>' for v in (cand.loss, cand.score)]
        row += [f'<td class="num">{_num(cand.metrics.get(k))}</td>' for k in extra]
        row.append(f"<td><code>{_esc(cand.expression)}</code></td>")
        rows.append(row)
        classes.append("stl-pick" if mark else "")
    note = (
        ""
        if front.skipped is None
        else (f'<p class="stl-note">Not searched: {_esc(front.skipped)}</p>')
    )
    return note + _table(header, rows, classes)


def _parity_section(job, fronts: Mapping[int, ParetoFront], figures: _Figures) -> str:
    if job.recording is None:
        return ('<p class="stl-note">No parity plot: this session holds no recorded rows for '
                "the module (a loaded session keeps fronts, not data; record again to add them)."
                "</p>")  # fmt: skip
    dims = sorted(fronts)
    parts = ["<h3>Parity: network vs picked expression</h3>"]
    for dim in dims[:MAX_PARITY_DIMS]:
        expr = fronts[dim].selected.expression
        network, pred = job.parity(dim, expr, max_rows=MAX_PARITY_ROWS)
        fig = plots.parity_figure(network, pred, title=f"output {dim}: {expr}")
        parts.append(figures.html(fig))
    if len(dims) > MAX_PARITY_DIMS:
        omitted = ", ".join(map(str, dims[MAX_PARITY_DIMS:]))
        parts.append(f'<p class="stl-note">Parity of outputs {omitted} omitted.</p>')
    n_rows = len(job.recording.X)
    drawn = min(n_rows, MAX_PARITY_ROWS)
    parts.append(f'<p class="stl-note">{drawn} of {n_rows} recorded rows drawn.</p>')
    return "\n".join(parts)


def _comparisons_section(comparisons, figures: _Figures) -> str:
    if not comparisons:
        return ("<h2>Before / after</h2><p class=\"stl-note\">No comparison in this session "
                "(<code>session.compare(data)</code> adds one).</p>")  # fmt: skip
    parts = ["<h2>Before / after</h2>"]
    for i, comp in enumerate(comparisons, start=1):
        paths = ", ".join(comp.get("paths", [])) or "?"
        parts.append(f"<h3>Comparison {i}: <code>{_esc(paths)}</code> replaced</h3>")
        parts.append(_comparison_table(comp))
        try:
            fig = plots.comparison_figure(comp, title=f"Comparison {i}")
        except (KeyError, TypeError, ValueError):
            parts.append('<p class="stl-note">Too few numbers in this record to plot.</p>')
            continue
        parts.append(figures.html(fig))
    return "\n".join(parts)


def _comparison_table(comp: Mapping[str, Any]) -> str:
    unit = comp.get("unit", "rows")
    lines = [
        (plots.metric_title({"metric": "metric", **comp}), "before", "after", "metric_ratio"),
        (f"throughput ({unit}/s)", "throughput_before", "throughput_after", "speedup"),
        ("peak memory (bytes)", "memory_before", "memory_after", "memory_ratio"),
        ("parameter bytes", "parameter_bytes_before", "parameter_bytes_after", None),
    ]
    rows = [
        [f"<th>{_esc(label)}</th>"]
        + [f'<td class="num">{_num(comp.get(k) if k else None)}</td>' for k in (a, b, r)]
        for label, a, b, r in lines
    ]
    table = _table(["", "original", "symbolic", "after/before"], rows)
    how = f"device {comp.get('device', '?')}; memory: {comp.get('memory_method', '?')}"
    return table + f'<p class="stl-note">{_esc(how)}</p>'


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape a result, read without importing them."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["platform"] = platform.platform()
    return versions


def _versions_section() -> str:
    return "<h2>Software</h2>" + _kv_table(package_versions())
