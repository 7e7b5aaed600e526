"""PySR's rules for picking one candidate of a front (``model_selection``), and ``"floor"``.

Why a module of its own: the rules work on plain arrays (losses sorted by complexity, their
scores), so a front, the gradient search and SLIME share them without a ParetoFront.
"""

from __future__ import annotations

import numpy as np

MODEL_SELECTIONS = ("best", "accuracy", "score", "floor")
# "floor": losses this small relative to the simplest candidate's are float round-off (the law
# on noise-free data), not a better fit.
PRECISION = 1e-12
# PySR's "best": among candidates whose loss is within this factor of the minimum loss,
# take the one with the highest score.
BEST_LOSS_FACTOR = 1.5
_LOSS_FLOOR = 1e-300


def pysr_scores(complexities: np.ndarray, losses: np.ndarray) -> np.ndarray:
    """PySR's score: ``-log(loss_i / loss_{i-1}) / (c_i - c_{i-1})``; the first row scores 0."""
    scores = np.zeros(len(losses))
    log_loss = np.log(np.maximum(np.asarray(losses, dtype=float), _LOSS_FLOOR))
    for i in range(1, len(losses)):
        d_complexity = complexities[i] - complexities[i - 1]
        scores[i] = -(log_loss[i] - log_loss[i - 1]) / max(d_complexity, 1)
    return scores


def select_index(
    losses: np.ndarray, scores: np.ndarray, model_selection: str, noise_floor: float | None = None
) -> int:
    """Index picked by ``model_selection`` on a front sorted by complexity: PySR's
    ``"best"`` / ``"accuracy"`` / ``"score"``, or ``"floor"``: the simplest candidate whose loss
    is within :data:`BEST_LOSS_FACTOR` of the larger of ``noise_floor`` (the error the
    distilled network itself leaves, e.g. its validation MSE) and the front's minimum loss,
    or below round-off (:data:`PRECISION` of the simplest candidate's loss). A longer
    candidate that only fits the network's own errors, or round-off, is not preferred."""
    if model_selection not in MODEL_SELECTIONS:
        raise ValueError(
            f"model_selection={model_selection!r} is not one of {', '.join(MODEL_SELECTIONS)}"
        )
    losses = np.asarray(losses, dtype=float)
    if model_selection == "accuracy":
        return int(np.argmin(losses))
    if model_selection == "score":
        return int(np.argmax(scores))
    if model_selection == "floor":
        level = BEST_LOSS_FACTOR * max(noise_floor or 0.0, float(np.min(losses)))
        level = max(level, PRECISION * float(losses[0]))
        return int(np.argmax(losses <= level))
    eligible = losses <= BEST_LOSS_FACTOR * np.min(losses)
    return int(np.argmax(np.where(eligible, scores, -np.inf)))
