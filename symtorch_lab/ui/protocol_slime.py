"""Browser ↔ kernel shapes of the SLIME views (the ``SlimeLab`` widget and the panel's view).

Why a module of its own: :mod:`symtorch_lab.ui.protocol` is the single source of the protocol
and was already long; its SLIME section lives here and ``protocol`` re-exports every name (its
``Request`` union, ``RESULTS`` and events include these), so there is still one protocol, one
version and one generated ``js/src/protocol.ts``.

Arrays (the decision surface, the local samples, the level-set grids, partial-dependence
curves) travel as float32 binary buffers in the widget's ``Bytes`` traits; the JSON state says
how many values each holds. The panel only receives the JSON summary.

This module imports no UI package.
"""

from typing import Literal, NotRequired, TypedDict

__all__ = [
    "SlimeKind",
    "SlimePhase",
    "SlimeSettings",
    "SlimeLimits",
    "SlimeGrid",
    "SlimeFidelity",
    "FeatureWeight",
    "SlimeSummary",
    "SlimeFrontPoint",
    "SlimeStatus",
    "SlimeState",
    "ExplainerInfo",
    "ListExplainers",
    "SlimeExplain",
    "SlimeStop",
    "ExplainerList",
    "SlimeRef",
    "SlimeEvent",
    "ExplainersEvent",
]

SlimeKind = Literal["surface", "tabular"]
SlimePhase = Literal["idle", "running", "stopping", "done", "stopped", "error"]


class SlimeSettings(TypedDict, total=False):
    """Per-explanation overrides (``SlimeExplainer.explain_instance`` names): J real
    neighbours, the number of synthetic Gaussian samples and the kernel width."""

    num_neighbours: int
    num_synthetic: int
    kernel_width: float


class SlimeLimits(TypedDict):
    """Slider ranges of the widget ([low, high] per setting)."""

    num_neighbours: list[int]
    num_synthetic: list[int]
    kernel_width: list[float]


class SlimeGrid(TypedDict):
    """The 2-D grid the decision surface and the level sets are evaluated on: ``nx`` columns
    from ``x_min`` to ``x_max`` (feature ``x_name``), ``ny`` rows over ``y``; buffers hold
    ``ny * nx`` float32 values, row by row. ``z_min``/``z_max`` bound f on the grid."""

    x_name: str
    y_name: str
    x_min: float
    x_max: float
    y_min: float
    y_max: float
    nx: int
    ny: int
    z_min: float
    z_max: float


class SlimeFidelity(TypedDict):
    """Local fidelity on a fresh neighbourhood sample (not used in fitting): weighted MSE and
    R² against f, and |g(x0) − f(x0)|. Null where not finite."""

    weighted_mse: float | None
    r2: float | None
    abs_error_x0: float | None


class FeatureWeight(TypedDict):
    """One feature's local effect: LIME's coefficient, or SLIME's ∂g/∂x at x0."""

    feature: str
    weight: float


class SlimeSummary(TypedDict):
    """One explanation, as the views show it. ``row`` is the data row explained (null for a
    clicked point); ``level`` the level set drawn (0.5 for a probability, else f(x0));
    ``pd_features`` / ``pd_points`` lay out the widget's ``pd`` buffer (per feature: x values,
    then f, LIME and SLIME on them, ``pd_points`` each)."""

    request: int
    x0: list[float]
    row: int | None
    f_x0: float
    g_x0: float
    text: str
    latex: str
    complexity: int
    level: float
    fidelity: SlimeFidelity
    lime_fidelity: SlimeFidelity
    lime_weights: list[FeatureWeight]
    lime_intercept: float
    effects: list[FeatureWeight]
    features_used: list[str]
    note: str
    stopped: bool
    n_neighbours: int
    n_synthetic: int
    pd_features: list[str]
    pd_points: int


class SlimeFrontPoint(TypedDict):
    """One expression of the local Pareto front (streamed while the search runs)."""

    complexity: int
    loss: float
    text: str
    latex: str


class SlimeStatus(TypedDict):
    """Where the current explanation stands; ``request`` counts the explanations started
    (a newer one stops the older one's search)."""

    request: int
    phase: SlimePhase
    message: str
    elapsed: float
    n_candidates: int


class SlimeState(TypedDict):
    """Synced traits of ``SlimeWidget`` (the notebook face of ``symtorch_lab.SlimeLab``)."""

    explainer: str
    kind: SlimeKind
    feature_names: list[str]
    target: str
    n_rows: int
    grid: SlimeGrid | None
    n_data: int
    settings: SlimeSettings
    limits: SlimeLimits
    status: SlimeStatus
    front: list[SlimeFrontPoint]
    summary: SlimeSummary | None
    error: str


class ExplainerInfo(TypedDict):
    """A ``SlimeExplainer`` (or a ``SlimeLab``) found in the kernel's user namespace."""

    name: str
    type: str
    mode: str
    n_rows: int
    n_features: int


# --------------------------------------------------------------------------- requests
class ListExplainers(TypedDict):
    """Ask for the SLIME explainers in the user namespace."""

    v: int
    id: str
    type: Literal["list_explainers"]


class SlimeExplain(TypedDict):
    """Explain ``x0`` (a clicked point) or data row ``row`` in the background; a running
    explanation of the same explainer is stopped first."""

    v: int
    id: str
    type: Literal["slime_explain"]
    explainer: str
    x0: NotRequired[list[float]]
    row: NotRequired[int]
    settings: NotRequired[SlimeSettings]


class SlimeStop(TypedDict):
    """Stop the running explanation's search; its partial front is kept."""

    v: int
    id: str
    type: Literal["slime_stop"]
    explainer: str


class ExplainerList(TypedDict):
    """Result of ``list_explainers``."""

    explainers: list[ExplainerInfo]


class SlimeRef(TypedDict):
    """Result of ``slime_explain`` / ``slime_stop``: the explanation's number and phase."""

    explainer: str
    status: SlimeStatus


class SlimeEvent(TypedDict):
    """An explainer's status or explanation changed (sent to the panels)."""

    v: int
    type: Literal["slime"]
    explainer: str
    status: SlimeStatus
    summary: SlimeSummary | None


class ExplainersEvent(TypedDict):
    """The set of explainers in the user namespace changed."""

    v: int
    type: Literal["explainers"]
    explainers: list[ExplainerInfo]
