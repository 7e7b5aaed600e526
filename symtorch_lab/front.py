"""Pareto fronts of candidate expressions and PySR's rules for picking one.

A search yields many expressions; a user (or a rule) picks one per output dimension. This
module holds the value objects for that step: :class:`Candidate` (one expression with its
complexity, loss and score) and :class:`ParetoFront` (the non-dominated candidates, sorted by
complexity, with the selected row marked). Selection follows PySR's ``model_selection``
definitions exactly, so users moving from PySR/SymTorch get the same pick.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from . import _marks
from .expression import Expression
from .pick_rules import (  # noqa: F401 - the rules are part of front's public surface
    BEST_LOSS_FACTOR,
    MODEL_SELECTIONS,
    PRECISION,
    pysr_scores,
    select_index,
)


@dataclass(frozen=True)
class Candidate:
    """One expression on a front.

    Attributes
    ----------
    complexity : int
        Node count of the expression (PySR's default complexity).
    loss : float
        Training loss (weighted MSE unless a custom loss was used).
    score : float
        PySR's score: ``-Δlog(loss)/Δcomplexity`` against the next simpler candidate.
    expression : Expression
        The formula, with float64-refitted constants.
    metrics : Mapping[str, float]
        Extra numbers such as ``val_loss`` or ``r2``.
    """

    complexity: int
    loss: float
    expression: Expression
    score: float = 0.0
    metrics: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def id(self) -> str:
        """Stable short id of the expression (what the browser sends back on a click)."""
        blob = json.dumps(self.expression.to_json(), sort_keys=True).encode()
        return hashlib.sha1(blob).hexdigest()[:12]

    def __reduce__(self):
        """Picklable (fronts travel back from worker processes): the read-only metrics
        mapping goes as a dict and comes back read-only."""
        return _candidate, (self.complexity, self.loss, self.expression, self.score,
                            dict(self.metrics))  # fmt: skip

    def with_metrics(self, **metrics: float) -> Candidate:
        merged = dict(self.metrics)
        merged.update({k: float(v) for k, v in metrics.items()})
        return replace(self, metrics=MappingProxyType(merged))

    def to_json(self) -> dict[str, Any]:
        return {
            "complexity": int(self.complexity),
            "loss": _json_float(self.loss),
            "score": _json_float(self.score),
            "metrics": {k: _json_float(v) for k, v in self.metrics.items()},
            "expression": self.expression.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Candidate:
        if not isinstance(data, Mapping):
            raise ValueError(f"candidate must be an object, got {type(data).__name__}")
        metrics = data.get("metrics", {})
        if not isinstance(metrics, Mapping):
            raise ValueError("candidate 'metrics' must be an object")
        return cls(
            complexity=_as_int(data.get("complexity"), "complexity"),
            loss=_as_float(data.get("loss"), "loss"),
            score=_as_float(data.get("score", 0.0), "score"),
            metrics=MappingProxyType(
                {str(k): _as_float(v, f"metrics.{k}") for k, v in metrics.items()}
            ),
            expression=Expression.from_json(data.get("expression")),
        )


def pareto_candidates(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Keep the non-dominated candidates: best loss per complexity, loss strictly falling."""
    best: dict[int, Candidate] = {}
    for cand in candidates:
        if not math.isfinite(cand.loss):
            continue
        kept = best.get(cand.complexity)
        if kept is None or cand.loss < kept.loss:
            best[cand.complexity] = cand
    front: list[Candidate] = []
    for complexity in sorted(best):
        cand = best[complexity]
        if not front or cand.loss < front[-1].loss:
            front.append(cand)
    return front


class ParetoFront:
    """The non-dominated candidates of one output dimension, sorted by complexity.

    Parameters
    ----------
    candidates : iterable of Candidate
        Any candidates; dominated ones are dropped and scores recomputed.
    model_selection : {"best", "accuracy", "score"}
        PySR's rule for the default pick.
    selection_loss : str, optional
        Metric name used for selection instead of the training loss (``"val_loss"`` after
        :meth:`rescore`).

    Attributes
    ----------
    skipped : str or None
        Why this dimension was not searched (its variance is negligible, or it is constant):
        the front is then the dimension's mean alone. None for a searched front.
    known_law : str or None
        The law of :meth:`mark_law` (candidates' ``recovers_law`` metric: 1.0 or 0.0).
    units_penalty : float
        Of :meth:`mark_units`: the pick counts inconsistent losses ``1 + units_penalty`` times.
    """

    skipped: str | None = None
    known_law: str | None = None
    units_penalty: float = 0.0
    decomposition: str | None = None  # the split a decomposed search used (symtorch_lab.decompose)
    dimensional: str | None = None  # the π groups a dimensional search used (.dimensional)
    noise_floor: float | None = None

    def __init__(
        self,
        candidates: Iterable[Candidate],
        model_selection: str = "best",
        selection_loss: str | None = None,
        noise_floor: float | None = None,
    ):
        front = pareto_candidates(candidates)
        if not front:
            raise ValueError("a Pareto front needs at least one candidate with a finite loss")
        comp = np.array([c.complexity for c in front])
        scores = pysr_scores(comp, np.array([c.loss for c in front]))
        self.candidates: tuple[Candidate, ...] = tuple(
            replace(c, score=float(s)) for c, s in zip(front, scores, strict=True)
        )
        self.selection_loss = selection_loss
        self.model_selection = model_selection
        self.noise_floor = None if noise_floor is None else float(noise_floor)
        self.selected_index = self._rule_index(model_selection)

    # --- selection -------------------------------------------------------------------
    def _rule_index(self, model_selection: str) -> int:
        if self.selection_loss is None:
            losses = np.array([c.loss for c in self.candidates])
            scores = np.array([c.score for c in self.candidates])
        else:
            losses = np.array([c.metrics[self.selection_loss] for c in self.candidates])
            comp = np.array([c.complexity for c in self.candidates])
            scores = pysr_scores(comp, losses)
        if self.units_penalty:  # inconsistent candidates look worse to the rule (units.py)
            losses = _marks.penalised(self.candidates, losses, self.units_penalty)
            scores = pysr_scores(np.array([c.complexity for c in self.candidates]), losses)
        return select_index(losses, scores, model_selection, self.noise_floor)

    def select(self, model_selection: str | None = None) -> Candidate:
        """Apply a selection rule, remember it as the pick, and return the candidate."""
        rule = model_selection or self.model_selection
        self.selected_index = self._rule_index(rule)
        self.model_selection = rule
        return self.selected

    def pick(
        self, *, complexity: int | None = None, id: str | None = None, index: int | None = None
    ) -> Candidate:
        """Make one candidate the pick, by complexity, id or row index."""
        given = [v is not None for v in (complexity, id, index)]
        if sum(given) != 1:
            raise TypeError("pick() takes exactly one of complexity=, id=, index=")
        if index is not None:
            if not 0 <= index < len(self.candidates):
                raise IndexError(f"index {index} outside the front of {len(self)} candidates")
            self.selected_index = index
            return self.selected
        for i, cand in enumerate(self.candidates):
            if (complexity is not None and cand.complexity == complexity) or cand.id == id:
                self.selected_index = i
                return cand
        have = [c.complexity for c in self.candidates] if id is None else self.ids()
        what = f"complexity {complexity}" if id is None else f"id {id!r}"
        raise KeyError(f"no candidate with {what} on this front; available: {have}")

    @property
    def selected(self) -> Candidate:
        return self.candidates[self.selected_index]

    @property
    def best(self) -> Candidate:
        """The candidate PySR's ``"best"`` rule picks (independent of the current pick)."""
        return self.candidates[self._rule_index("best")]

    def ids(self) -> list[str]:
        return [c.id for c in self.candidates]

    # --- marks ------------------------------------------------------------------------
    def mark_law(self, law: str | None, **kwargs: Any) -> ParetoFront:
        """Mark (in place) the candidates that recover ``law`` (metric ``recovers_law``;
        :func:`symtorch_lab.science.recovery.mark_law`; None clears). Returns the front."""
        from .science.recovery import mark_law

        return mark_law(self, law, **kwargs)

    def mark_units(self, units, dim: int = 0, **kwargs: Any) -> ParetoFront:
        """Mark (in place) each candidate dimensionally consistent or not (metric
        ``dim_consistent``; :func:`symtorch_lab.units.mark_units`). Returns the front."""
        from .units import mark_units

        return mark_units(self, units, dim, **kwargs)

    # --- validation ------------------------------------------------------------------
    def rescore(self, X_val: np.ndarray, y_val: np.ndarray) -> ParetoFront:
        """Return a front whose selection uses the MSE on held-out data (``val_loss``)."""
        X_val = np.asarray(X_val, dtype=float)
        y_val = np.asarray(y_val, dtype=float).reshape(-1)
        rescored = []
        for cand in self.candidates:
            pred = cand.expression.numpy(X_val)
            val = float(np.mean((pred - y_val) ** 2))
            rescored.append(cand.with_metrics(val_loss=val if math.isfinite(val) else math.inf))
        out = ParetoFront.__new__(ParetoFront)
        out.candidates = tuple(rescored)
        out.selection_loss = "val_loss"
        out.model_selection = self.model_selection
        out.known_law, out.units_penalty = self.known_law, self.units_penalty
        out.noise_floor = self.noise_floor
        out.selected_index = out._rule_index(self.model_selection)
        out.skipped, out.decomposition = self.skipped, self.decomposition
        out.dimensional = self.dimensional
        return out

    # --- views -----------------------------------------------------------------------
    def to_frame(self):
        """A pandas DataFrame shaped like PySR's ``equations_``."""
        import pandas as pd

        rows = []
        for i, cand in enumerate(self.candidates):
            row = {
                "complexity": cand.complexity,
                "loss": cand.loss,
                "score": cand.score,
                "equation": str(cand.expression),
                "selected": i == self.selected_index,
                "id": cand.id,
            }
            row.update(cand.metrics)
            rows.append(row)
        return pd.DataFrame(rows)

    def to_json(self) -> dict[str, Any]:
        data = {
            "model_selection": self.model_selection,
            "selection_loss": self.selection_loss,
            "selected_index": self.selected_index,
            "candidates": [c.to_json() for c in self.candidates],
        }
        for key in ("skipped", "decomposition", "dimensional", "noise_floor", "known_law"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.units_penalty:
            data["units_penalty"] = self.units_penalty
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ParetoFront:
        if not isinstance(data, Mapping) or not isinstance(data.get("candidates"), list):
            raise ValueError("a front must be an object with a 'candidates' list")
        rule = data.get("model_selection", "best")
        if rule not in MODEL_SELECTIONS:
            raise ValueError(f"model_selection={rule!r} is not one of {MODEL_SELECTIONS}")
        sel_loss = data.get("selection_loss")
        if sel_loss not in (None, "val_loss"):
            raise ValueError(f"selection_loss={sel_loss!r} must be null or 'val_loss'")
        floor = data.get("noise_floor")
        floor = None if floor is None else _as_float(floor, "noise_floor")
        front = cls([Candidate.from_json(c) for c in data["candidates"]], rule, sel_loss, floor)
        law = data.get("known_law")
        if law is not None and (not isinstance(law, str) or len(law) > 500):
            raise ValueError(f"front 'known_law' must be a short string, got {law!r:.60}")
        front.known_law = law
        front.units_penalty = _as_float(data.get("units_penalty", 0.0), "units_penalty")
        index = _as_int(data.get("selected_index", front.selected_index), "selected_index")
        if not 0 <= index < len(front):
            raise ValueError(f"selected_index {index} is outside the front of {len(front)}")
        front.pick(index=index)
        skipped = data.get("skipped")
        if skipped is not None and (not isinstance(skipped, str) or len(skipped) > 500):
            raise ValueError(f"front 'skipped' must be a short string, got {skipped!r:.60}")
        front.skipped = skipped
        split = data.get("decomposition")
        if split is not None and (not isinstance(split, str) or len(split) > 500):
            raise ValueError(f"front 'decomposition' must be a short string, got {split!r:.60}")
        front.decomposition = split
        groups = data.get("dimensional")
        if groups is not None and (not isinstance(groups, str) or len(groups) > 500):
            raise ValueError(f"front 'dimensional' must be a short string, got {groups!r:.60}")
        front.dimensional = groups
        return front

    def __len__(self) -> int:
        return len(self.candidates)

    def __iter__(self):
        return iter(self.candidates)

    def __getitem__(self, i: int) -> Candidate:
        return self.candidates[i]

    def __repr__(self) -> str:
        cols = _marks.columns(self.candidates)
        head = _marks.header(cols)
        lines = [f"{'':3}{'complexity':>10}  {'loss':>11}  {'score':>9}{head}  equation"]
        for i, cand in enumerate(self.candidates):
            mark = ">>>" if i == self.selected_index else ""
            flags = _marks.flags(cand, cols)
            lines.append(
                f"{mark:3}{cand.complexity:>10}  {cand.loss:>11.4g}  {cand.score:>9.4g}{flags}  "
                f"{cand.expression}"
            )
        lines.append(f"(selected by model_selection={self.model_selection!r}: row marked >>>)")
        lines.extend(_marks.notes(self.known_law, cols))
        if self.skipped is not None:
            lines.append(f"(not searched: {self.skipped})")
        if self.decomposition is not None:
            lines.append(f"(decomposition tested on the network: {self.decomposition})")
        if self.dimensional is not None:
            lines.append(f"(dimensional analysis: {self.dimensional})")
        return "\n".join(lines)


def _json_float(value: float) -> float | str:
    value = float(value)
    if math.isfinite(value):
        return value
    return "inf" if value > 0 else ("-inf" if value < 0 else "nan")


def _as_float(value: Any, name: str) -> float:
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r:.60}")
    return float(value)


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r:.60}")
    return value


def _candidate(complexity, loss, expression, score, metrics) -> Candidate:
    """Unpickle a :class:`Candidate` (see ``Candidate.__reduce__``)."""
    return Candidate(complexity, loss, expression, score, MappingProxyType(metrics))
