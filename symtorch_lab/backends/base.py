"""The contract every symbolic-regression engine implements.

A backend turns ``(X, y)`` into a list of raw candidates (complexity, loss, infix string) and
nothing more: parsing, float64 constant refits, custom-loss rescoring and model selection live
in the Distiller, so adding an engine means writing one ``search`` method. Settings travel in
a :class:`SearchSpec` that uses PySR's vocabulary, because that is what users already know.
"""

from __future__ import annotations

import math
import numbers
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

# loss(pred, target, weight) -> scalar torch tensor: the callable the Distiller refits with.
LossFn = Callable[[Any, Any, Any], Any]

__all__ = [
    "LossFn",
    "SearchSpec",
    "RawCandidate",
    "Progress",
    "SearchBackend",
    "ProgressCallback",
    "canonical_spelling",
    "pareto_filter",
]

# PySR/Python spellings of the arithmetic operators -> canonical registry names. Everything
# else is lower-cased and kept: whether an engine knows a name is the engine's call, so that a
# backend can offer operators the others lack without touching this module.
_SPELLINGS = {
    "+": "add",
    "-": "sub",
    "*": "mul",
    "/": "div",
    "^": "pow",
    "**": "pow",
    "plus": "add",
    "minus": "sub",
    "mult": "mul",
    "times": "mul",
}


def canonical_spelling(name: str) -> str:
    """Map an operator spelling (``"+"``, ``"Add"``, ``"**"``) to its canonical name."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"operator names must be non-empty strings, got {name!r}")
    key = name.strip().lower()
    return _SPELLINGS.get(key, key)


def _canonical_tuple(field: str, names: Any) -> tuple[str, ...]:
    if isinstance(names, str):
        raise ValueError(f"SearchSpec.{field} must be a sequence of names, got {names!r}")
    out: list[str] = []
    for name in names:
        canon = canonical_spelling(name)
        if canon not in out:
            out.append(canon)
    return tuple(out)


def _check_int(field: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"SearchSpec.{field} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"SearchSpec.{field} must be >= {minimum}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class SearchSpec:
    """Backend-neutral search settings, named like PySR's ``PySRRegressor`` arguments.

    Operator names are stored canonically (``"+"`` becomes ``"add"``, ``"^"`` becomes
    ``"pow"``), so two specs that mean the same search compare equal. Which names an engine
    supports is checked by the engine, with a message that says what to use instead.

    Parameters
    ----------
    binary_operators, unary_operators : sequence of str
    maxsize : int
        Largest expression size the engine may build (Operon: genotype length).
    population_size : int
        Total number of individuals (PySR splits it into islands).
    niterations : int or None
        Generation budget; with a seed it makes results reproducible.
    timeout_in_seconds : float or None
        Wall-clock budget; at least one of the two budgets must be set.
    random_state : int
        Seed for the engine and for row subsampling.
    n_threads : int
    max_rows : int
        Rows the search sees; larger inputs are subsampled reproducibly.
    """

    binary_operators: tuple[str, ...] = ("add", "sub", "mul", "div")
    unary_operators: tuple[str, ...] = ()
    maxsize: int = 20
    population_size: int = 500
    niterations: int | None = None
    timeout_in_seconds: float | None = 60.0
    random_state: int = 0
    n_threads: int = 1
    max_rows: int = 2000

    def __post_init__(self) -> None:
        # Frozen dataclass: normalised values are written once, here, through object.__setattr__.
        def put(field: str, value: Any) -> None:
            object.__setattr__(self, field, value)

        put("binary_operators", _canonical_tuple("binary_operators", self.binary_operators))
        put("unary_operators", _canonical_tuple("unary_operators", self.unary_operators))
        both = set(self.binary_operators) & set(self.unary_operators)
        if both:
            raise ValueError(f"operators listed as both binary and unary: {sorted(both)}")
        if not self.binary_operators and not self.unary_operators:
            raise ValueError("SearchSpec needs at least one operator, got none")
        put("maxsize", _check_int("maxsize", self.maxsize, 3))
        put("population_size", _check_int("population_size", self.population_size, 2))
        if self.niterations is not None:
            put("niterations", _check_int("niterations", self.niterations, 1))
        put("timeout_in_seconds", self._checked_timeout())
        if self.niterations is None and self.timeout_in_seconds is None:
            raise ValueError(
                "SearchSpec has no budget: set niterations (generations) or timeout_in_seconds"
            )
        put("random_state", _check_int("random_state", self.random_state, 0))
        put("n_threads", _check_int("n_threads", self.n_threads, 1))
        put("max_rows", _check_int("max_rows", self.max_rows, 2))

    def _checked_timeout(self) -> float | None:
        t = self.timeout_in_seconds
        if t is None:
            return None
        if isinstance(t, bool) or not isinstance(t, numbers.Real) or not math.isfinite(t) or t <= 0:
            raise ValueError(f"SearchSpec.timeout_in_seconds must be a positive number, got {t!r}")
        return float(t)

    @property
    def operators(self) -> tuple[str, ...]:
        """All operator names, binary first."""
        return self.binary_operators + self.unary_operators


@dataclass(frozen=True)
class RawCandidate:
    """One expression as an engine reports it; ``infix`` uses the caller's variable names."""

    complexity: int
    loss: float
    infix: str


@dataclass(frozen=True)
class Progress:
    """Snapshot after one generation: the Pareto-filtered hall of fame so far."""

    generation: int
    elapsed: float
    candidates: tuple[RawCandidate, ...]


# Called once per generation (possibly from a worker thread); True asks the search to stop.
ProgressCallback = Callable[[Progress], "bool | None"]


@runtime_checkable
class SearchBackend(Protocol):
    """What the Distiller needs from an engine.

    ``search`` returns the Pareto-filtered hall of fame (best loss per complexity over the
    whole run). Stopping (``on_generation`` returning True, ``stop_event.set()``, Ctrl-C)
    ends the search after the current generation and returns the partial front. A backend
    whose ``supports_custom_loss`` is False raises ``NotImplementedError`` when given
    ``loss``; the Distiller then rescores candidates under the loss after the search.
    """

    name: str
    supports_custom_loss: bool

    def search(
        self,
        X: np.ndarray,
        y: np.ndarray,
        variable_names: Sequence[str],
        spec: SearchSpec,
        *,
        sample_weight: np.ndarray | None = None,
        on_generation: ProgressCallback | None = None,
        stop_event: threading.Event | None = None,
        loss: LossFn | None = None,
    ) -> list[RawCandidate]: ...


def pareto_filter(candidates: Iterable[RawCandidate]) -> list[RawCandidate]:
    """Keep candidates no simpler one beats: complexity strictly up, loss strictly down.

    Candidates with a non-finite loss are dropped. Ties are broken by the infix string so
    the result does not depend on input order.
    """
    finite = [c for c in candidates if math.isfinite(c.loss)]
    finite.sort(key=lambda c: (c.complexity, c.loss, c.infix))
    front: list[RawCandidate] = []
    for cand in finite:
        # Sorted by complexity then loss: the first of each complexity is its best, and a
        # later one only survives when it beats everything simpler.
        if not front or cand.loss < front[-1].loss:
            front.append(cand)
    return front
