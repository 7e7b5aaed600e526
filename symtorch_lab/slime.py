"""SLIME: explain one prediction of a black box with a small closed-form expression.

LIME fits a weighted *linear* model around a point ``x0``; SLIME (Fong & Motani, GECCO '25
Companion, doi 10.1145/3712255.3726721) fits a weighted *symbolic regression* instead, so a
curved or interacting local behaviour (``x0·x1 + sin(x2)``) is written down as it is.

How an explanation is made (every choice documented in :mod:`symtorch_lab.neighbourhood`):

1. the black box ``f`` becomes one scalar function (:mod:`symtorch_lab._blackbox`);
2. ``x0``'s ``num_neighbours`` nearest training rows plus ``num_synthetic`` Gaussian samples,
   weighted (real rows ``real_weighting``, samples by a Gaussian kernel);
3. wide inputs: pre-selection of at most ``max_features`` features (:mod:`._slime_select`);
4. a **weighted** search through the :class:`~symtorch_lab.distill.Distiller` (the weights
   reach Operon by importance resampling and every candidate's float64 refit and loss);
5. the pick's local fidelity on a fresh sample of the same neighbourhood.

Everything is deterministic under ``random_state``: the presets bound the search by
generations, not time (a ``timeout_in_seconds`` passed by the user bounds the wall time, and
then the result depends on the machine's speed and load). Measured CPU time per explanation
of a 10-feature black box: ``default`` about 3 s, ``fast`` 0.6-1.8 s (bench/slime_vs_lime.py
records wall times, which on a loaded machine are several times longer).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import _slime_select, neighbourhood
from ._batches import as_float_array
from ._blackbox import OUTPUTS, BlackBox, black_box, class_index
from ._slime_handle import ExplanationHandle
from .distill import Distiller
from .explanation import Explanation, structure
from .front import ParetoFront
from .operators import canonical_operator

_SEARCH = {"binary_operators": ("+", "-", "*", "/"), "unary_operators": ("sin", "exp"),
           "n_jobs": 1, "n_threads": 1, "model_selection": "floor"}  # fmt: skip
# "floor", not PySR's "best": "best" scores the simplest member 0, so at a saturated point a
# formula 0.3 % better than the constant (2.84e-7 against 2.85e-7) was the explanation. A local
# explanation is the simplest candidate within 1.5x of the best loss (pick_rules.select_index);
# model_selection="best" still gives PySR's rule, unchanged.
PRESETS: dict[str, dict[str, Any]] = {
    "default": {"num_neighbours": 10, "num_synthetic": 500, "max_features": 8,
                "search": {**_SEARCH, "maxsize": 20, "population_size": 300,
                           "niterations": 40, "timeout_in_seconds": None, "max_rows": 1500}},
    "fast": {"num_neighbours": 10, "num_synthetic": 200, "max_features": 5,
             "search": {**_SEARCH, "maxsize": 15, "population_size": 100,
                        "niterations": 20, "timeout_in_seconds": None, "max_rows": 600}},
}  # fmt: skip
FIDELITY_SAMPLES = 1000
FLAT_NOTE = "f is flat near x0: local R² is undefined (the weighted MSE says how close g is)"


@dataclass(frozen=True)
class _Plan:
    """Everything computed before the search: the neighbourhood, f on it, the kept features."""

    box: BlackBox
    hood: neighbourhood.Neighbourhood
    y: np.ndarray
    f_x0: float
    features: tuple[int, ...]
    selection: str
    seed: int
    notes: tuple[str, ...] = ()


class SlimeExplainer:
    """Explain single predictions of ``f`` with local symbolic surrogates (SLIME).

    Parameters
    ----------
    f : nn.Module, callable or sklearn estimator
        The black box: a module, a torch or numpy function of ``(n, d)`` rows, or an estimator
        (``predict_proba`` in classification mode, else ``predict``), or those bound methods.
    training_data : array (n, d)
        Where real neighbours come from (and the scale of the features).
    feature_names : sequence of str, optional
        Display names; the expression uses them made into identifiers.
    mode : {"regression", "classification"}
    class_names : sequence of str, optional
    target : int, str or None
        Classification: the explained class (index or name); None explains the class f
        predicts at each ``x0``. ``"proba"`` / ``"logit"`` here set ``output`` instead.
    output : {"proba", "logit"}
        Classification: explain the class probability or its log-odds.
    preset : {"default", "fast"}
        ``"fast"`` (fewer samples, a smaller search) is for live teaching.
    random_state : int, optional
    real_weighting : float
        Weight of each real neighbour (synthetic ones are weighted by the kernel).
    feature_selection : {"auto", "forward", "gradient", "none"}
        ``"auto"``: forward selection when there are more than ``max_features`` features.
    max_features : int, optional
        Default from the preset (8; fast: 5).
    **search_params
        :class:`~symtorch_lab.distill.Distiller` settings (``maxsize``, ``niterations``,
        ``unary_operators``, ``model_selection``, ...) overriding the preset's. The presets
        pick with ``model_selection="floor"`` (simplest within 1.5x of the best loss); pass
        ``"best"`` for PySR's rule.
    """

    def __init__(self, f, training_data, feature_names: Sequence[str] | None = None,
                 mode: str = "regression", class_names: Sequence[str] | None = None,
                 target=None, output: str = "proba", preset: str = "default",
                 random_state: int | None = None, real_weighting: float = 1.0,
                 feature_selection: str = "auto", max_features: int | None = None,
                 **search_params):  # fmt: skip
        self.training_data = _check_training(training_data)
        d = self.training_data.shape[1]
        if preset not in PRESETS:
            raise ValueError(f"slime: preset must be one of {sorted(PRESETS)}, got {preset!r}")
        if isinstance(target, str) and target in OUTPUTS and target not in (class_names or ()):
            target, output = None, target
        if output not in OUTPUTS:
            raise ValueError(f"slime: output must be one of {OUTPUTS}, got {output!r}")
        self.preset, self.mode, self.output = preset, mode, output
        self.feature_names = _display_names(feature_names, d)
        self.symbols = symbol_names(self.feature_names)
        self.class_names = None if class_names is None else tuple(str(c) for c in class_names)
        self.random_state, self.real_weighting = random_state, float(real_weighting)
        self.feature_selection = feature_selection
        self.max_features = max_features or PRESETS[preset]["max_features"]
        self.search_params = {**PRESETS[preset]["search"], **search_params}
        Distiller(**self.search_params)  # unknown names raise TypeError here, not mid-search
        probe = self.training_data[: min(8, len(self.training_data))]
        self.box = black_box(f, mode, probe, len(self.training_data))
        self.target = (
            class_index(self.box, target, self.class_names) if mode != "regression" else None
        )

    # --- public ---------------------------------------------------------------------------
    def explain_instance(self, x0, num_neighbours: int | None = None,
                         num_synthetic: int | None = None, kernel_width: float | None = None,
                         n_repeats: int = 1, random_state: int | None = None,
                         on_front: Callable[[ParetoFront], Any] | None = None,
                         stop: threading.Event | None = None) -> Explanation:  # fmt: skip
        """Explain ``f`` at ``x0`` (see the module docstring); returns an :class:`Explanation`.

        ``on_front(front)`` receives the partial local front after each generation (from the
        search thread); setting ``stop`` ends the search and keeps the front found so far.
        ``n_repeats > 1`` repeats the whole explanation with seeds ``random_state + i`` and
        reports in ``stability`` the share of repeats whose pick has the first one's structure.
        """
        return self._explain(x0, num_neighbours, num_synthetic, kernel_width, n_repeats,
                             random_state, on_front, stop, None)  # fmt: skip

    def explain_in_background(self, x0, num_neighbours: int | None = None,
                              num_synthetic: int | None = None,
                              kernel_width: float | None = None, n_repeats: int = 1,
                              random_state: int | None = None,
                              on_front: Callable[[ParetoFront], Any] | None = None,
                              ) -> ExplanationHandle:  # fmt: skip
        """Start :meth:`explain_instance` in a thread; the handle has ``stop()``,
        ``result()``, ``done`` and ``add_done_callback`` (the engine's SearchHandle)."""
        x0 = self._check_x0(x0)  # bad input is named here, in the caller's thread
        handle = ExplanationHandle()
        handle._start(lambda: self._explain(x0, num_neighbours, num_synthetic, kernel_width,
                                            n_repeats, random_state, on_front, handle.event,
                                            handle))  # fmt: skip
        return handle

    # --- the steps ------------------------------------------------------------------------
    def _explain(self, x0, num_neighbours, num_synthetic, kernel_width, n_repeats,
                 random_state, on_front, stop, handle) -> Explanation:  # fmt: skip
        started = time.monotonic()
        x0 = self._check_x0(x0)
        if not isinstance(n_repeats, int) or n_repeats < 1:
            raise ValueError(f"slime: n_repeats must be a positive integer, got {n_repeats!r}")
        seed = _seed(random_state, self.random_state)
        explanations = []
        for i in range(n_repeats):
            plan = self._plan(x0, num_neighbours, num_synthetic, kernel_width, seed + i)
            front, stopped = self._search(plan, on_front if i == 0 else None, stop, handle)
            explanations.append(self._finish(plan, front, stopped))
            if stop is not None and stop.is_set():
                break
        first = explanations[0]
        shapes = tuple(structure(e.expression) for e in explanations)
        stability = None if n_repeats == 1 else sum(s == shapes[0] for s in shapes) / len(shapes)
        return replace(first, stability=stability, repeats=shapes if n_repeats > 1 else (),
                       elapsed_s=time.monotonic() - started)  # fmt: skip

    def _plan(self, x0, num_neighbours, num_synthetic, kernel_width, seed: int) -> _Plan:
        preset = PRESETS[self.preset]
        J = preset["num_neighbours"] if num_neighbours is None else int(num_neighbours)
        N = preset["num_synthetic"] if num_synthetic is None else int(num_synthetic)
        notes = ()
        if J > len(self.training_data):  # said in the explanation, not clamped silently
            notes = (f"num_neighbours {J} > {len(self.training_data)} rows: using "
                     f"{len(self.training_data)}",)  # fmt: skip
            J = len(self.training_data)
        box = self.black_box_at(x0)
        rng = np.random.default_rng(seed)
        hood = neighbourhood.build(self.training_data, x0, J, N, kernel_width,
                                   self.real_weighting, rng)  # fmt: skip
        y = box(hood.X)
        features, selection = _slime_select.select(
            self.feature_selection, self.max_features, hood.X, y, hood.weights, x0, hood.var,
            box, self.feature_names,
        )  # fmt: skip
        f_x0 = float(box(x0[None, :])[0])
        return _Plan(box, hood, y, f_x0, features, selection, seed, notes)

    def black_box_at(self, x0) -> BlackBox:
        """The explained scalar function at ``x0``: f's output, or the class (given, else the
        one predicted at ``x0``) probability / logit; ``box(X) -> (n,)``."""
        x0 = self._check_x0(x0)
        if self.mode == "regression":
            return self.box
        k = self.target if self.target is not None else self.box.predicted_class(x0)
        return replace(self.box, class_index=k, output=self.output)

    def _search(self, plan: _Plan, on_front, stop, handle) -> tuple[ParetoFront, bool]:
        def live(progress) -> bool:
            if on_front is not None and progress.front is not None:
                on_front(progress.front)
            return stop is not None and stop.is_set()

        params = {**self.search_params, "random_state": plan.seed % 2**31}
        distiller = Distiller(**params, callbacks=[live])
        if handle is not None:
            handle._attach(distiller)
        names = [self.symbols[i] for i in plan.features]
        X = plan.hood.X[:, list(plan.features)]
        distiller.fit(X, plan.y, sample_weight=plan.hood.weights, variable_names=names)
        return distiller.fronts_[0], bool(distiller.stopped_)

    def _finish(self, plan: _Plan, front: ParetoFront, stopped: bool) -> Explanation:
        hood = plan.hood
        Z, w = neighbourhood.fresh_sample(
            hood.x0, hood.var, hood.kernel_width, FIDELITY_SAMPLES, plan.seed + 7919
        )
        explanation = Explanation(
            x0=hood.x0, f_x0=plan.f_x0, neighbours=hood.neighbours, synthetic=hood.synthetic,
            weights=hood.weights, features=plan.features, feature_names=self.feature_names,
            selection=plan.selection, front=front, fidelity={}, mode=self.mode,
            target=self._target_text(plan.box), var=hood.var, kernel_width=hood.kernel_width,
            random_state=plan.seed, stopped=stopped, notes=plan.notes,
        )  # fmt: skip
        explanation.fidelity = neighbourhood.local_fidelity(
            plan.box, explanation.predict, hood.x0, Z, w
        )
        if math.isnan(explanation.fidelity["r2"]):
            explanation.notes += (FLAT_NOTE,)
        return explanation

    def _target_text(self, box: BlackBox) -> str:
        if self.mode == "regression":
            return "output"
        k = box.class_index
        name = self.class_names[k] if self.class_names and k < len(self.class_names) else str(k)
        return f"{'P' if self.output == 'proba' else 'logit'}(class {name})"

    def _check_x0(self, x0) -> np.ndarray:
        d = self.training_data.shape[1]
        try:  # 'abc' said only "could not convert string to float: 'abc'"
            if isinstance(x0, str | bytes):
                raise ValueError(x0)
            x0 = as_float_array(x0, "x0", "slime")
        except ValueError:
            raise ValueError(
                f"slime: x0 must be {d} numbers (one per feature: {list(self.feature_names)}), "
                f"got {type(x0).__name__} {x0!r:.40}"
            ) from None
        if x0.ndim == 2 and x0.shape[0] == 1:
            x0 = x0[0]
        if x0.ndim != 1 or x0.shape[0] != d:
            raise ValueError(
                f"slime: x0 must have {d} features (shape ({d},)), got shape {x0.shape}"
            )
        bad = np.flatnonzero(~np.isfinite(x0))
        if len(bad):
            names = [self.feature_names[i] for i in bad]
            raise ValueError(f"slime: x0 holds NaN or inf in feature(s) {names}")
        return x0

    def __repr__(self) -> str:
        n, d = self.training_data.shape
        return (f"SlimeExplainer(mode={self.mode!r}, preset={self.preset!r}, "
                f"training_data=({n}, {d}), f={self.box.name})")  # fmt: skip


def _check_training(training_data) -> np.ndarray:
    data = as_float_array(training_data, "training_data", "slime")
    if data.ndim != 2 or len(data) < 2:
        raise ValueError(f"slime: training_data must have shape (n >= 2, d), got {data.shape}")
    bad = ~np.isfinite(data)
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
        raise ValueError(f"slime: training_data holds NaN or inf ({int(bad.sum())} values; "
                         f"first at row {row}, column {col})")  # fmt: skip
    return data


def _display_names(names, d: int) -> tuple[str, ...]:
    if names is None:
        return tuple(f"x{i}" for i in range(d))
    names = tuple(str(n) for n in names)
    if len(names) != d:
        raise ValueError(f"slime: {len(names)} feature_names for {d} features")
    return names


def symbol_names(names: Sequence[str]) -> tuple[str, ...]:
    """Display names made into distinct identifiers that no operator name shadows."""
    out: list[str] = []
    for name in names:
        sym = re.sub(r"\W+", "_", name).strip("_") or "x"
        if sym[0].isdigit():
            sym = f"x_{sym}"
        if _is_operator(sym):
            sym += "_"
        while sym in out:
            sym += "_"
        out.append(sym)
    return tuple(out)


def _is_operator(name: str) -> bool:
    try:
        canonical_operator(name)
    except ValueError:
        return name.lower() in ("pi", "e", "inf", "nan", "i")
    return True


def _seed(call_seed: int | None, default: int | None) -> int:
    seed = call_seed if call_seed is not None else default
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1)[0] % 2**31)
    return int(seed)
