"""Why each output dim's search ended, in words, and progress while its candidates are polished.

Why: ``Distiller.stopped_`` said "stopped" for a callback's early stop (``stop_when_fitted``)
as for the user's Stop, and a search cut by ``timeout_in_seconds`` looked like one that ran all
its generations. ``Distiller.stop_reasons_`` holds one of :data:`REASONS` per searched dim;
:func:`describe` turns them into the status text ("stopped by you", "time budget reached
(timeout_in_seconds=60)").

The float64 polish after a search can take minutes; a callback object with an ``on_polish``
method gets a :class:`PolishProgress` before the first candidate and after each one, so a
terminal or a view never looks frozen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

REASONS = ("niterations", "timeout", "user", "callback", "error")


@dataclass(frozen=True)
class PolishProgress:
    """``done`` of ``total`` candidates of ``dim`` polished; why its search ended."""

    dim: int
    done: int
    total: int
    generation: int
    stop_reason: str


def reason(distiller, spec, generation: int, wall: float, callback_stopped: bool) -> str:
    """The reason one dim's search ended (one of :data:`REASONS` but ``"error"``).

    ``wall``: seconds the search call took. Operon reports generation ``niterations`` last
    when it ran them all; a search cut short that lasted its time budget hit the timeout.
    """
    if distiller._stop_event.is_set():
        return getattr(distiller, "_stop_cause", None) or "user"
    if callback_stopped:
        return "callback"
    if spec.niterations is not None and generation >= spec.niterations:
        return "niterations"
    timeout = spec.timeout_in_seconds
    if timeout is not None and wall >= timeout:
        return "timeout"
    return "niterations"  # the backend ended on its own (e.g. a constant target)


def phrase(reason: str, distiller) -> str:
    """One reason in words, with the budget that ended it."""
    if reason == "timeout":
        return f"time budget reached (timeout_in_seconds={distiller.timeout_in_seconds:g})"
    if reason == "niterations":
        if distiller.niterations is None:
            return "done"
        return f"generation budget reached (niterations={distiller.niterations})"
    return {"user": "stopped by you", "callback": "stopped by a callback"}.get(
        reason, "ended by an error"
    )


def describe(reasons: Mapping[int, str], distiller) -> str:
    """``"stopped by you"``, or ``"dim 0: …; dims 1, 2: …"`` when the dims ended differently."""
    by_reason: dict[str, list[int]] = {}
    for dim, why in sorted(reasons.items()):
        by_reason.setdefault(why, []).append(dim)
    if len(by_reason) <= 1:
        return "".join(phrase(why, distiller) for why in by_reason)
    parts = []
    for why, dims in by_reason.items():
        label = "dim" if len(dims) == 1 else "dims"
        parts.append(f"{label} {', '.join(map(str, dims))}: {phrase(why, distiller)}")
    return "; ".join(parts)


def announce_polish(distiller, dim: int, done: int, total: int) -> None:
    """Tell each callback with an ``on_polish`` method how far the polish of ``dim`` is."""
    hooks = [cb.on_polish for cb in distiller.callbacks if callable(getattr(cb, "on_polish", 0))]
    if not hooks:
        return
    event = PolishProgress(
        dim,
        done,
        total,
        distiller.n_generations_.get(dim, 0),
        distiller.stop_reasons_.get(dim, "niterations"),
    )
    for hook in hooks:
        hook(event)
