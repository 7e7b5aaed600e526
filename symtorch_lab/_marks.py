"""How a front shows and weighs its physics marks (``recovers_law``, ``dim_consistent``).

The marks are candidate metrics set by :func:`symtorch_lab.science.recovery.mark_law` and
:func:`symtorch_lab.units.mark_units`; this module holds what a
:class:`~symtorch_lab.front.ParetoFront` does with them (its printed columns and the units
penalty of its pick), so the front stays about Pareto sets and PySR's selection rules.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MARKS = (("recovers_law", "law"), ("dim_consistent", "units"))
"""(metric, printed column) of each mark, in column order."""


def columns(candidates: Sequence) -> list[tuple[str, str]]:
    """The marks some candidate carries (a front without marks prints as before)."""
    return [(k, h) for k, h in MARKS if any(k in c.metrics for c in candidates)]


def header(cols: list[tuple[str, str]]) -> str:
    return "".join(f"{h:>6}" for _, h in cols)


def flags(candidate, cols: list[tuple[str, str]]) -> str:
    """``yes`` / ``no`` (blank when unmarked) per column, right-aligned like the header."""
    out = ""
    for key, _ in cols:
        value = candidate.metrics.get(key)
        out += f"{'' if value is None else ('yes' if value else 'no'):>6}"
    return out


def notes(known_law: str | None, cols: list[tuple[str, str]]) -> list[str]:
    """The legend lines under the printed front."""
    lines = [] if known_law is None else [f"(law: yes = recovers the known law {known_law})"]
    if ("dim_consistent", "units") in cols:
        lines.append("(units: yes = dimensionally consistent)")
    return lines


def penalised(candidates: Sequence, losses: np.ndarray, penalty: float) -> np.ndarray:
    """Losses as the pick sees them: inconsistent candidates' times ``1 + penalty``."""
    bad = np.array([c.metrics.get("dim_consistent", 1.0) == 0.0 for c in candidates])
    return np.where(bad, losses * (1.0 + penalty), losses)
