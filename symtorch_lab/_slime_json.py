"""Validating reader of saved SLIME explanations (``Explanation.from_json``).

Every field is checked for type, shape and range before an :class:`Explanation` is built;
expressions go through :meth:`ParetoFront.from_json` (whitelisted trees), so a file can never
run code. Errors name the field at fault.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .front import ParetoFront

FORMAT = "symtorch_lab.slime_explanation"
VERSION = 1
_MAX_TEXT = 2000
_MAX_ROWS = 1_000_000


def _array(data: Mapping, name: str, ndim: int, width: int | None = None) -> np.ndarray:
    value = data.get(name)
    if not isinstance(value, list):
        raise ValueError(f"explanation JSON: {name!r} must be a list, got {type(value).__name__}")
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"explanation JSON: {name!r} must hold numbers only ({exc})") from None
    if ndim == 2 and a.size == 0:
        a = a.reshape(0, width or 0)
    if a.ndim != ndim or (width is not None and a.shape[-1] != width) or len(a) > _MAX_ROWS:
        raise ValueError(f"explanation JSON: {name!r} has shape {a.shape}, expected "
                         f"{ndim}-D with last dim {width}")  # fmt: skip
    if not np.all(np.isfinite(a)):
        raise ValueError(f"explanation JSON: {name!r} holds NaN or inf")
    return a


def _text(data: Mapping, name: str, default: str | None = None) -> str:
    value = data.get(name, default)
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        raise ValueError(f"explanation JSON: {name!r} must be a short string, got {value!r:.60}")
    return value


def _number(value: Any, name: str) -> float:
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"explanation JSON: {name!r} must be a number, got {value!r:.60}")
    return float(value)


def _features(data: Mapping, d: int) -> tuple[int, ...]:
    value = data.get("features")
    ok = (
        isinstance(value, list)
        and value
        and all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < d for i in value)
    )
    if not ok or len(set(value)) != len(value):
        raise ValueError(f"explanation JSON: 'features' must be distinct indices in 0..{d - 1}, "
                         f"got {value!r:.80}")  # fmt: skip
    return tuple(value)


def _names(data: Mapping, d: int) -> tuple[str, ...]:
    value = data.get("feature_names")
    if (
        not isinstance(value, list)
        or len(value) != d
        or not all(isinstance(n, str) and len(n) <= 200 for n in value)
    ):
        raise ValueError(f"explanation JSON: 'feature_names' must be {d} short strings")
    return tuple(value)


def explanation_fields(data: Any) -> dict[str, Any]:
    """Keyword arguments of :class:`~symtorch_lab.explanation.Explanation` from its JSON."""
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise ValueError(f"explanation JSON: expected an object with format {FORMAT!r}")
    if data.get("version") != VERSION:
        raise ValueError(f"explanation JSON: unsupported version {data.get('version')!r}")
    x0 = _array(data, "x0", 1)
    d = len(x0)
    features = _features(data, d)
    front = ParetoFront.from_json(data.get("front"))
    for cand in front:
        if len(cand.expression.variable_names) != len(features):
            raise ValueError(f"explanation JSON: a front expression reads "
                             f"{len(cand.expression.variable_names)} variables, "
                             f"{len(features)} features were searched")  # fmt: skip
    neighbours, synthetic = _array(data, "neighbours", 2, d), _array(data, "synthetic", 2, d)
    weights = _array(data, "weights", 1)
    if len(weights) != len(neighbours) + len(synthetic):
        raise ValueError(f"explanation JSON: {len(weights)} weights for "
                         f"{len(neighbours) + len(synthetic)} points")  # fmt: skip
    fidelity = data.get("fidelity")
    if not isinstance(fidelity, Mapping) or len(fidelity) > 20:
        raise ValueError("explanation JSON: 'fidelity' must be an object of numbers")
    stability = data.get("stability")
    if stability is not None:
        stability = _number(stability, "stability")
        if not 0 <= stability <= 1:
            raise ValueError(f"explanation JSON: 'stability' {stability} outside [0, 1]")
    repeats, notes = data.get("repeats", []), data.get("notes", [])
    for name, texts in (("repeats", repeats), ("notes", notes)):
        if not isinstance(texts, list) or not all(isinstance(r, str) for r in texts):
            raise ValueError(f"explanation JSON: {name!r} must be a list of strings")
    mode = _text(data, "mode")
    if mode not in ("regression", "classification"):
        raise ValueError(f"explanation JSON: 'mode' {mode!r} is not regression/classification")
    width = _number(data.get("kernel_width"), "kernel_width")
    if not (math.isfinite(width) and width > 0):
        raise ValueError(f"explanation JSON: 'kernel_width' must be > 0, got {width}")
    seed = data.get("random_state")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"explanation JSON: 'random_state' must be an integer, got {seed!r:.40}")
    return {
        "x0": x0, "f_x0": _number(data.get("f_x0"), "f_x0"), "neighbours": neighbours,
        "synthetic": synthetic, "weights": weights, "features": features,
        "feature_names": _names(data, d), "selection": _text(data, "selection"), "front": front,
        "fidelity": {str(k): _number(v, f"fidelity.{k}") for k, v in fidelity.items()},
        "mode": mode, "target": _text(data, "target"),
        "var": _array(data, "var", 1) if "var" in data else None,
        "kernel_width": width, "random_state": seed, "stability": stability,
        "repeats": tuple(repeats), "stopped": bool(data.get("stopped", False)),
        "elapsed_s": _number(data.get("elapsed_s", 0.0), "elapsed_s"), "notes": tuple(notes),
    }  # fmt: skip
