"""The result of one SLIME explanation: a value object that reads like LIME's explanations.

An :class:`Explanation` holds what was explained (``x0``, ``f(x0)``, the explained class),
the points it was fitted on (real neighbours, synthetic samples, weights), the features the
search was allowed to use, the local Pareto front and its pick, and how faithful the pick is
on a fresh neighbourhood sample. LIME users' habits work (``as_list()``, ``as_frame()``,
``as_figure()``); the per-feature "weight" is the local effect ``∂g/∂x_i`` at ``x0``.

Saving goes through JSON only: expressions as whitelisted trees
(:meth:`symtorch_lab.front.ParetoFront.from_json`, the same reader as session files), arrays
as lists of finite numbers; nothing read back is evaluated or unpickled.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import _slime_views
from ._slime_json import FORMAT, VERSION, explanation_fields
from .expression import Expression
from .front import ParetoFront

MAX_FILE_BYTES = 64 * 2**20
_ARRAYS = ("x0", "neighbours", "synthetic", "weights", "var")


@dataclass(eq=False)
class Explanation:
    """One local symbolic explanation of ``f`` at ``x0`` (see the module docstring).

    Attributes
    ----------
    x0 : ndarray (d,)
    f_x0 : float
        The explained value of the black box at ``x0`` (output, class probability or logit).
    neighbours, synthetic : ndarray (J, d), (N, d)
        Real nearest rows and Gaussian samples the surrogate was fitted on.
    weights : ndarray (J + N,)
        Their weights (real first).
    features : tuple of int
        The feature columns the search could use (after pre-selection).
    feature_names : tuple of str
        Names of all ``d`` features.
    selection : str
        Which pre-selection was done.
    front : ParetoFront
        The local front; ``front.selected`` is the pick.
    fidelity : dict
        ``weighted_mse``, ``r2``, ``abs_error_x0`` on a fresh neighbourhood sample.
    stability : float or None
        With ``n_repeats > 1``: the share of repeats whose pick had the same structure.
    notes : tuple of str
        What the explainer changed or could not measure (``num_neighbours`` above the data's
        rows, an undefined R² on a flat f), for the views to say.
    """

    x0: np.ndarray
    f_x0: float
    neighbours: np.ndarray
    synthetic: np.ndarray
    weights: np.ndarray
    features: tuple[int, ...]
    feature_names: tuple[str, ...]
    selection: str
    front: ParetoFront
    fidelity: dict[str, float]
    mode: str = "regression"
    target: str = "output"
    var: np.ndarray | None = None
    kernel_width: float = 1.0
    random_state: int = 0
    stability: float | None = None
    repeats: tuple[str, ...] = ()
    stopped: bool = False
    elapsed_s: float = 0.0
    notes: tuple[str, ...] = ()

    # --- the surrogate -------------------------------------------------------------------
    @property
    def expression(self) -> Expression:
        """The picked expression (over the kept features' symbols); ``.latex()`` renders it."""
        return self.front.selected.expression

    @property
    def latex(self) -> str:
        return self.expression.latex()

    def predict(self, X) -> np.ndarray:
        """The local surrogate ``g`` on full-width rows ``X`` (n, d) → (n,)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != len(self.x0):
            raise ValueError(f"Explanation.predict: X must have shape (n, {len(self.x0)}), "
                             f"got {X.shape}")  # fmt: skip
        return self.expression.numpy(X[:, list(self.features)])

    def local_effects(self) -> np.ndarray:
        """``∂g/∂x_i`` at ``x0`` for every feature (0 for features g does not use)."""
        import torch

        module = self.expression.torch().double()
        point = torch.tensor(self.x0[list(self.features)][None, :], dtype=torch.float64,
                             requires_grad=True)  # fmt: skip
        out = module(point).sum()
        grad = torch.autograd.grad(out, point, allow_unused=True)[0] if out.requires_grad else None
        effects = np.zeros(len(self.x0))
        if grad is not None:  # None: a constant g (a flat f) uses no feature, every effect 0
            effects[list(self.features)] = grad.numpy()[0]
        return effects

    def fresh_sample(self, n: int = 1000, seed: int | None = None):
        """(points, weights): a new sample of this explanation's neighbourhood, for measuring
        any local surrogate (SLIME's or LIME's) with :func:`~.neighbourhood.local_fidelity`."""
        from . import neighbourhood

        var = self.var if self.var is not None else np.var(self.synthetic, axis=0)
        return neighbourhood.fresh_sample(self.x0, var, self.kernel_width, n, seed)

    @property
    def used_features(self) -> tuple[int, ...]:
        """Feature columns the picked expression actually reads."""
        return tuple(self.features[i] for i in self.expression.variables_used)

    # --- LIME-style views ----------------------------------------------------------------
    def as_list(self) -> list[tuple[str, float]]:
        """``[(feature name, ∂g/∂x_i at x0), ...]`` for the features g uses, largest first."""
        effects = self.local_effects()
        used = sorted(self.used_features, key=lambda i: -abs(effects[i]))
        return [(self.feature_names[i], float(effects[i])) for i in used]

    def as_frame(self):
        """pandas DataFrame: feature, value at x0, local effect, used by g, searched."""
        import pandas as pd

        effects = self.local_effects()
        used = set(self.used_features)
        return pd.DataFrame(
            {
                "feature": list(self.feature_names),
                "value": self.x0,
                "effect": effects,
                "used": [i in used for i in range(len(self.x0))],
                "searched": [i in self.features for i in range(len(self.x0))],
            }
        )

    def as_figure(self):
        """plotly Figure: local effects as bars, the expression and its fidelity as title."""
        return _slime_views.figure(self)

    def _repr_html_(self) -> str:
        return _slime_views.to_html(self)

    def __repr__(self) -> str:
        r2 = self.fidelity.get("r2", math.nan)
        r2_text = "undefined" if math.isnan(r2) else f"{r2:.4f}"
        return (f"Explanation(g = {self.expression}, f(x0) = {self.f_x0:.4g}, "
                f"local R² = {r2_text}, {self.target})")  # fmt: skip

    # --- JSON ----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        arrays = {name: _finite_list(getattr(self, name), name) for name in _ARRAYS
                  if getattr(self, name) is not None}  # fmt: skip
        return {
            "format": FORMAT,
            "version": VERSION,
            **arrays,
            "f_x0": float(self.f_x0),
            "features": [int(i) for i in self.features],
            "feature_names": list(self.feature_names),
            "selection": self.selection,
            "front": self.front.to_json(),
            "fidelity": {k: _json_number(v) for k, v in self.fidelity.items()},
            "mode": self.mode,
            "target": self.target,
            "kernel_width": float(self.kernel_width),
            "random_state": int(self.random_state),
            "stability": self.stability,
            "repeats": list(self.repeats),
            "stopped": bool(self.stopped),
            "elapsed_s": float(self.elapsed_s),
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str) -> Explanation:
        """Read :meth:`to_json` output, validating every field (nothing is evaluated)."""
        if isinstance(data, str):
            data = json.loads(data)
        return cls(**explanation_fields(data))

    def save(self, path) -> None:
        """Write the explanation as JSON (atomically)."""
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), allow_nan=False))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path) -> Explanation:
        """Read a file written by :meth:`save`; refuses files over ``MAX_FILE_BYTES``."""
        path = Path(path)
        with path.open("rb") as fh:
            blob = fh.read(MAX_FILE_BYTES + 1)
        if len(blob) > MAX_FILE_BYTES:
            raise ValueError(f"{path}: larger than an explanation file may be ({MAX_FILE_BYTES} B)")
        try:
            data = json.loads(blob.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"{path}: not a JSON explanation file ({exc})") from None
        return cls.from_json(data)


def structure(expression: Expression) -> str:
    """The expression's shape with constants erased and commutative arguments sorted.

    Two fits that differ only in their constants (or in the order of a sum) share a structure;
    ``n_repeats`` counts how often the same structure comes back.
    """
    names = expression.variable_names

    def walk(node) -> str:
        op = node[0]
        if op == "const":
            return "c"
        if op == "var":
            return names[node[1]]
        children = list(node[1:])
        if op in ("add", "mul"):  # a+(b+c) = (a+b)+c = c+b+a: nesting and order do not matter
            children = [leaf for child in children for leaf in _flat(child, op)]
        args = [walk(child) for child in children]
        if op in ("add", "mul"):
            args.sort()
        return f"{op}({','.join(args)})"

    return walk(expression.tree)


def n_terms(expression: Expression) -> int:
    """Additive terms of the expression's top-level sum (a constant offset counts as none)."""
    tree = expression.tree
    terms = [tree] if tree[0] not in ("add", "sub") else _flat_sum(tree)
    return sum(1 for t in terms if t[0] != "const")


def _flat_sum(node) -> list:
    if node[0] in ("add", "sub"):
        return [leaf for child in node[1:] for leaf in _flat_sum(child)]
    return [node]


def _flat(node, op: str) -> list:
    if node[0] == op:
        return [leaf for child in node[1:] for leaf in _flat(child, op)]
    return [node]


def _finite_list(a: np.ndarray, name: str) -> list:
    a = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"Explanation.{name} holds NaN or inf; it cannot be saved")
    return a.tolist()


def _json_number(value: float) -> float | str:
    value = float(value)
    if math.isfinite(value):
        return value
    return "inf" if value > 0 else ("-inf" if value < 0 else "nan")
