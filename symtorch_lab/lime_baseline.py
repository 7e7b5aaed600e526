"""The real LIME (``lime`` from PyPI) on the same scalar SLIME explains, as a baseline.

Why a wrapper: to compare SLIME with LIME the *same* quantity must be explained (a regression
output or one class's probability / logit, :mod:`symtorch_lab._blackbox`) and LIME's local
model must be evaluated on new points, which LIME itself does not offer. This module runs
``lime.lime_tabular.LimeTabularExplainer`` unchanged and rebuilds its local model as a function
of the raw features:

* ``discretize_continuous=False``: LIME fits a ridge model on standardised features
  ``(x - mean) / std``; :class:`LimeExplanation` rewrites it per raw unit (``coef``,
  ``intercept``), so ``predict(X) = intercept + X @ coef`` is exactly LIME's model.
* ``discretize_continuous=True`` (LIME's default): LIME's model reads *binary* features,
  ``1`` when ``x_i`` falls in the same quartile bin as ``x0_i``. ``coef`` then weighs those
  indicators (not raw units: ``discretized`` is True and ``coef_space`` says so) and
  ``predict`` applies LIME's own discretizer, so the model is piecewise constant.

Every feature enters LIME's model (``num_features=d``; LIME's own default keeps 10).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._blackbox import BlackBox, black_box, class_index


@dataclass(frozen=True)
class LimeExplanation:
    """LIME's local linear model at ``x0``, as a function of raw features."""

    x0: np.ndarray
    coef: np.ndarray
    intercept: float
    discretized: bool
    weights_list: list[tuple[str, float]]
    score: float  # LIME's R² on its own samples
    local_pred: float  # LIME's own prediction of its local model at x0
    _discretizer: object = None

    @property
    def coef_space(self) -> str:
        if self.discretized:
            return "indicator of x_i in x0_i's quartile bin (LIME's discretized model)"
        return "raw feature units"

    def features(self, X) -> np.ndarray:
        """What the linear model reads: raw X, or LIME's same-bin indicators."""
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        if not self.discretized:
            return X
        bins = self._discretizer.discretize(X)
        return (bins == self._discretizer.discretize(self.x0[None, :])).astype(float)

    def predict(self, X) -> np.ndarray:
        """LIME's local model on full-width rows ``X`` (n, d) → (n,)."""
        return self.intercept + self.features(X) @ self.coef

    @property
    def n_terms(self) -> int:
        """Non-zero coefficients (LIME's "complexity")."""
        return int(np.count_nonzero(self.coef))


def lime_explanation(
    f,
    training_data,
    x0,
    mode: str = "regression",
    discretize_continuous: bool = True,
    sample_around_instance: bool = False,
    num_samples: int = 5000,
    random_state: int | None = None,
    target=None,
    output: str = "proba",
    class_names=None,
    feature_names=None,
    kernel_width: float | None = None,
    box: BlackBox | None = None,
) -> LimeExplanation:
    """Explain ``f`` at ``x0`` with the real LIME; see the module docstring.

    ``target`` / ``output`` mean what they mean for :class:`~symtorch_lab.slime.SlimeExplainer`
    (classification: the class, default the one predicted at ``x0``; its probability or
    logit). ``box`` reuses an explainer's wrapped black box.
    """
    from lime.lime_tabular import LimeTabularExplainer

    data = np.asarray(training_data, dtype=np.float64)
    x0 = np.asarray(x0, dtype=np.float64).reshape(-1)
    if x0.shape[0] != data.shape[1]:
        raise ValueError(f"lime_explanation: x0 has {x0.shape[0]} features, training data "
                         f"{data.shape[1]}")  # fmt: skip
    box = box or black_box(f, mode, data[: min(8, len(data))])
    if mode == "classification" and box.class_index is None:
        from dataclasses import replace

        k = class_index(box, target, class_names)
        k = box.predicted_class(x0) if k is None else k
        box = replace(box, class_index=k, output=output)
    explainer = LimeTabularExplainer(
        data, mode="regression", feature_names=feature_names,
        discretize_continuous=discretize_continuous,
        sample_around_instance=sample_around_instance, random_state=random_state,
        kernel_width=kernel_width,
    )  # fmt: skip
    exp = explainer.explain_instance(x0, box, num_features=data.shape[1],
                                     num_samples=num_samples)  # fmt: skip
    return _from_lime(exp, explainer, x0, discretize_continuous)


def _from_lime(exp, explainer, x0: np.ndarray, discretized: bool) -> LimeExplanation:
    label = 1  # regression mode: LIME stores the model under 1 and its negation under 0
    coef_scaled = np.zeros(len(x0))
    for i, c in exp.local_exp[label]:
        coef_scaled[i] = c
    intercept = float(np.ravel(exp.intercept[label])[0] if isinstance(exp.intercept, dict)
                      else exp.intercept)  # fmt: skip
    if discretized:
        coef = coef_scaled  # scaler mean 0, scale 1 on the binary features
    else:
        mean, scale = explainer.scaler.mean_, explainer.scaler.scale_
        coef = coef_scaled / scale
        intercept -= float(np.sum(coef_scaled * mean / scale))
    return LimeExplanation(
        x0=x0, coef=coef, intercept=intercept, discretized=discretized,
        weights_list=exp.as_list(), score=float(exp.score),
        local_pred=float(np.ravel(exp.local_pred)[0]),
        _discretizer=explainer.discretizer if discretized else None,
    )  # fmt: skip


LIME_VARIANTS = {
    "lime": {"discretize_continuous": True, "sample_around_instance": False},
    "lime_local": {"discretize_continuous": False, "sample_around_instance": True},
}


def compare(explainer, explanation, *, num_samples: int = 5000, n_fresh: int = 1000,
            seed: int = 0, variants=LIME_VARIANTS) -> dict[str, dict[str, float]]:  # fmt: skip
    """SLIME's ``explanation`` and LIME's (each variant) measured on ONE fresh sample.

    The sample is drawn from the SLIME explanation's neighbourhood (``N(x0, diag(var))`` with
    its kernel weights, :meth:`Explanation.fresh_sample`), used by neither fit. Returns per
    method :func:`~.neighbourhood.local_fidelity` plus ``terms``, ``complexity`` (node count;
    a linear model with k terms counts ``4k + 1``) and ``time_s`` (LIME only; SLIME's is
    ``explanation.elapsed_s``).
    """
    import time

    from .explanation import n_terms
    from .neighbourhood import local_fidelity

    x0 = explanation.x0
    box = explainer.black_box_at(x0)
    Z, w = explanation.fresh_sample(n_fresh, seed)
    expr = explanation.expression
    out = {"slime": {**local_fidelity(box, explanation.predict, x0, Z, w),
                     "terms": n_terms(expr), "complexity": expr.complexity,
                     "time_s": explanation.elapsed_s}}  # fmt: skip
    for name, kwargs in variants.items():
        started = time.monotonic()
        lime = lime_explanation(None, explainer.training_data, x0, mode=explainer.mode,
                                num_samples=num_samples, random_state=seed, box=box,
                                **kwargs)  # fmt: skip
        elapsed = time.monotonic() - started
        out[name] = {**local_fidelity(box, lime.predict, x0, Z, w), "terms": lime.n_terms,
                     "complexity": 4 * lime.n_terms + 1, "time_s": elapsed}  # fmt: skip
    return out
