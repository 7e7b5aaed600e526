"""The SLIME views' seam to the engine (``symtorch_lab.slime``): one place that knows its API.

Why: the views need a few things the engine's public surface does not hand out directly — the
explained scalar as a function of full-width rows (to draw f's surface and partial
dependence), LIME's baseline on the explanation's own fresh neighbourhood sample (so both
fidelities are measured on the same points), and the summary the views show. Keeping those
reads here means an engine change touches one module, not the controller or the widgets.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symtorch_lab.ui import protocol as P
from symtorch_lab.ui import slime_views as V

SETTINGS = ("num_neighbours", "num_synthetic", "kernel_width")


def training_data(explainer: Any) -> np.ndarray:
    return np.asarray(explainer.training_data, dtype=np.float64)


def feature_names(explainer: Any) -> list[str]:
    return [str(n) for n in explainer.feature_names]


def black_box(explainer: Any, x0: np.ndarray | None = None):
    """The explained scalar ``(n, d) -> (n,)``: the regression output, or the probability (or
    logit) of the explainer's class (the class predicted at ``x0`` when it has none)."""
    x0 = training_data(explainer)[0] if x0 is None else x0
    return explainer.black_box_at(np.asarray(x0, dtype=np.float64))


def target_label(explainer: Any) -> str:
    if explainer.mode == "regression":
        return "f(x)"
    if explainer.target is None:
        return f"{'P' if explainer.output == 'proba' else 'logit'}(predicted class)"
    box = black_box(explainer)
    return explainer._target_text(box)


def level(explainer: Any, f_x0: float) -> float:
    """The level set drawn: the decision boundary for a class probability (0.5) or logit
    (0); through x0 (f(x0)) for a regression output."""
    if explainer.mode == "regression":
        return float(f_x0)
    return 0.5 if explainer.output == "proba" else 0.0


def defaults(explainer: Any) -> P.SlimeSettings:
    from symtorch_lab.slime import PRESETS

    preset = PRESETS[explainer.preset]
    d = training_data(explainer).shape[1]
    return {"num_neighbours": int(preset["num_neighbours"]),
            "num_synthetic": int(preset["num_synthetic"]),
            "kernel_width": round(float(np.sqrt(d)), 3)}  # fmt: skip


def limits(explainer: Any) -> P.SlimeLimits:
    n, d = training_data(explainer).shape
    return {"num_neighbours": [2, int(min(n, 200))], "num_synthetic": [0, 2000],
            "kernel_width": [0.1, round(4 * float(np.sqrt(d)), 3)]}  # fmt: skip


def explain_settings(settings: dict) -> dict:
    """Only the explanation's own settings (unknown names are refused, naming the valid)."""
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise TypeError(f"SLIME settings {unknown} unknown; valid: {list(SETTINGS)}")
    out = {k: v for k, v in settings.items() if v is not None}
    for key in ("num_neighbours", "num_synthetic"):
        if key in out:
            out[key] = int(out[key])
    return out


def check_point(explainer: Any, x0: Any) -> np.ndarray:
    """x0 as the engine accepts it, or its ValueError naming the width / NaN at fault."""
    return explainer._check_x0(x0)


def start(explainer: Any, x0: np.ndarray, settings: dict, on_front) -> Any:
    return explainer.explain_in_background(x0, on_front=on_front, **settings)


def result(handle: Any) -> Any:
    """The handle's Explanation, read in its own done-callback (the search thread):
    ``handle.result()`` would join that very thread ("cannot join current thread")."""
    if handle.error is not None:
        raise handle.error
    return handle._result


def front_of(expl: Any) -> Any:
    return expl.front


def fresh_sample(expl: Any) -> tuple[np.ndarray, np.ndarray]:
    """The explanation's fresh fidelity sample (the engine's seed and size): LIME is scored on
    the very points SLIME's fidelity was computed on."""
    from symtorch_lab import neighbourhood
    from symtorch_lab.slime import FIDELITY_SAMPLES

    seed = expl.random_state + 7919  # SlimeExplainer._finish's seed of the fidelity sample
    return neighbourhood.fresh_sample(expl.x0, expl.var, expl.kernel_width, FIDELITY_SAMPLES, seed)


LIME_SAMPLES = 2000


def lime_baseline(explainer: Any, expl: Any, f) -> Any:
    """LIME's continuous local line (``discretize_continuous=False``, sampled around x0), so
    its boundary is a line in the original units, on the explained scalar ``f``."""
    from symtorch_lab.lime_baseline import lime_explanation

    return lime_explanation(
        None, training_data(explainer), expl.x0, feature_names=feature_names(explainer),
        discretize_continuous=False, sample_around_instance=True, num_samples=LIME_SAMPLES,
        random_state=expl.random_state, box=f,
    )  # fmt: skip


def views(ctl: Any, run: Any, expl: Any) -> tuple[Any, P.SlimeSummary, dict]:
    """LIME at the same point, the summary and the buffers (worker thread); ``ctl`` is the
    ``SlimeController`` asking, ``run`` its request."""
    from symtorch_lab.neighbourhood import local_fidelity

    explainer = ctl.explainer
    f = black_box(explainer, expl.x0)
    lime = lime_baseline(explainer, expl, f)
    Z, w = fresh_sample(expl)
    lime_fid = local_fidelity(f, lime.predict, expl.x0, Z, w)
    effects = np.asarray(expl.local_effects(), dtype=np.float64)
    names = feature_names(explainer)
    buffers: dict[str, bytes] = {}
    pd: list[int] = []
    if ctl.grid is not None:
        buffers["neighbours"] = V.f32(expl.neighbours[:, :2])
        buffers["synthetic"] = V.f32(expl.synthetic[:, :2])
        box = V.local_window(expl.neighbours, expl.synthetic)
        buffers["slime_grid"] = V.f32(V.on_grid(expl.predict, ctl.grid, "SLIME g on the grid", box))
        buffers["lime_grid"] = V.f32(V.on_grid(lime.predict, ctl.grid, "LIME on the grid", box))
    else:
        pd = V.pd_features(effects, expl.used_features)
        curves = V.pd_curves([f, lime.predict, expl.predict], expl.x0, ctl.X, pd)
        buffers["pd"] = V.f32(curves)
    g_x0 = float(np.asarray(expl.predict(expl.x0[None, :])).reshape(-1)[0])
    summary: P.SlimeSummary = {
        "request": run.request,
        "x0": [float(v) for v in expl.x0],
        "row": run.row,
        "f_x0": V.finite(expl.f_x0) or 0.0,
        "g_x0": V.finite(g_x0) or 0.0,
        "text": str(expl.expression),
        "latex": expl.latex,
        "complexity": int(expl.expression.complexity),
        "level": level(explainer, expl.f_x0),
        "fidelity": V.fidelity(expl.fidelity),
        "lime_fidelity": V.fidelity(lime_fid),
        "lime_weights": V.top_weights(names, lime.coef),
        "lime_intercept": V.finite(lime.intercept) or 0.0,
        "effects": V.top_weights(names, effects),
        "features_used": [names[i] for i in expl.used_features],
        "note": " · ".join(t for t in (str(expl.selection or ""), *expl.notes) if t),
        "stopped": bool(expl.stopped),
        "n_neighbours": int(len(expl.neighbours)),
        "n_synthetic": int(len(expl.synthetic)),
        "pd_features": [names[j] for j in pd],
        "pd_points": V.PD_POINTS if pd else 0,
    }
    return lime, summary, buffers
