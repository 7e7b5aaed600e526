"""Browser ↔ kernel shapes: the enumerations and the state snapshots the views render.

Why a module of its own: :mod:`symtorch_lab.ui.protocol` is the single source of the protocol and
re-exports every name here. This part holds what a view needs on (re)render (a module tree, a
front, the ``LabWidget`` and ``BoundaryWidget`` traits) and the enumerations every message uses;
the requests, results and events that carry these shapes live in
:mod:`symtorch_lab.ui.protocol_messages`.

This module imports no UI package.
"""

from typing import Literal, NotRequired, TypedDict, get_args

__all__ = [
    "ModuleStatus",
    "SearchState",
    "ErrorCode",
    "DistillMode",
    "DISTILL_MODES",
    "RequestType",
    "ModuleNode",
    "ModelInfo",
    "ModuleTree",
    "FrontPoint",
    "SearchStatus",
    "FrontState",
    "DistillSettings",
    "CandidateDetail",
    "CompareRecord",
    "BoundaryState",
    "LabState",
]

# --------------------------------------------------------------------------- enumerations
ModuleStatus = Literal["not_distilled", "searching", "distilled", "replaced", "replaced_elsewhere"]
SearchState = Literal["idle", "running", "stopping", "done", "error"]
ErrorCode = Literal[
    "bad_message",
    "unsupported_version",
    "unknown_model",
    "unknown_module",
    "unknown_explainer",
    "not_implemented",
    "engine",
    "internal",
]
DistillMode = Literal["distill", "gradient"]
DISTILL_MODES = get_args(DistillMode)
RequestType = Literal[
    "list_models",
    "get_tree",
    "select_module",
    "start_distill",
    "stop",
    "pick_candidate",
    "replace",
    "restore",
    "compare",
    "set_known_law",
    "list_explainers",
    "slime_explain",
    "slime_stop",
]


# --------------------------------------------------------------------------- state shapes
class ModuleNode(TypedDict):
    """One named submodule. ``path`` is the engine's module path (``""`` is the root model);
    the parent is the path up to its last ``.``. ``n_params`` counts the module and its children.
    Shapes are the trailing shapes of one call, from one recorded pass, or null when unknown."""

    path: str
    type: str
    n_params: int
    n_children: int
    input_shape: list[int] | None
    output_shape: list[int] | None
    status: ModuleStatus


class ModelInfo(TypedDict):
    """An ``nn.Module`` found in the kernel's user namespace, under its variable name."""

    name: str
    type: str
    n_params: int
    n_modules: int


class ModuleTree(TypedDict):
    """Every named submodule of one model, in pre-order (``named_modules`` order)."""

    model: str
    nodes: list[ModuleNode]


class FrontPoint(TypedDict):
    """One candidate expression on a Pareto front, for output dimension ``dim``. ``id`` names
    the expression for later requests; ``text`` and ``latex`` are for display only.
    ``recovers_law`` (present once a known law is set and the front is marked) and ``units_ok``
    (present when the search had units) are the engine's marks (``ParetoFront.mark_law``,
    ``ParetoFront.mark_units``)."""

    dim: int
    complexity: int
    loss: float
    id: str
    text: str
    latex: str
    recovers_law: NotRequired[bool]
    units_ok: NotRequired[bool]


class SearchStatus(TypedDict):
    """Progress of the symbolic search on one module."""

    model: str
    path: str
    state: SearchState
    generation: int
    elapsed: float
    n_candidates: int
    message: str


class FrontState(TypedDict):
    """Synced traits of ``FrontWidget``; ``selected`` is the clicked point's expression id."""

    points: list[FrontPoint]
    selected: str | None
    title: str


class DistillSettings(TypedDict, total=False):
    """Optional overrides for one search (engine vocabulary: PySR names). ``mode`` ``gradient``
    explains a classifier output or a latent neuron (unit ``output`` of the module) through
    symbolic gradients instead of distilling it (see :class:`BoundaryState`)."""

    maxsize: int
    niterations: int
    timeout_in_seconds: float
    k_in: int
    k_out: int
    mode: DistillMode
    output: int


class CandidateDetail(TypedDict):
    """The clicked candidate of a ``LabWidget``. ``loss`` is the search's training loss;
    ``heldout`` the MSE on rows named by ``heldout_label`` (null when not computed yet);
    ``picked`` is true when the engine stored the pick (false for a still-running front).
    The parity plot's rows travel as a binary buffer: ``n_parity`` network outputs, then
    ``n_parity`` expression outputs (float32)."""

    path: str
    dim: int
    id: str
    complexity: int
    text: str
    latex: str
    loss: float
    heldout: float | None
    heldout_label: str
    picked: bool
    n_parity: int


class CompareRecord(TypedDict):
    """One before/after measurement of the original model against a hybrid."""

    label: str
    paths: list[str]
    metric: str
    before: float
    after: float
    throughput_before: float
    throughput_after: float
    unit: str
    # what the metric compares with ("targets", "the original network's output"; "" unknown)
    reference: str
    # units in each timed forward and where it ran (throughput depends on both; 0 / "": not
    # recorded, e.g. a session file saved before they were)
    batch: NotRequired[int]
    device: NotRequired[str]


# ------------------------------------------------ symbolic gradients (issue 11): state
class BoundaryState(TypedDict):
    """Synced traits of ``BoundaryWidget``: a 2-D decision boundary with the level sets of a
    formula ``g`` (kernel-side grid; the view only draws). The ``nx * ny`` grid travels as a
    binary buffer (``grid`` trait): ``f`` then ``g``, float32, row-major (row ``i`` is
    ``y_range[0] + i * dy``). ``g_levels`` are the contour levels to draw, ``g_boundary`` the
    level of ``g`` on the boundary ``f = 0``; ``fixed`` names inputs held at a value (a slice)."""

    title: str
    x_label: str
    y_label: str
    x_range: list[float]
    y_range: list[float]
    nx: int
    ny: int
    g_levels: list[float]
    g_boundary: float
    equation: str
    fixed: str


# --------------------------------------------------------------------------- lab state
class LabState(TypedDict):
    """Synced traits of ``LabWidget`` (the notebook face of ``symtorch_lab.Lab``): the current
    module, its front (all dims), the pick of each dim (``picks[str(dim)]`` = expression id),
    the search status, the clicked candidate, the comparison records, the last error and the last
    gradient-mode explanation (``boundary``; its grid is the ``boundary_grid`` buffer)."""

    model: str
    module: str | None
    module_status: ModuleStatus
    points: list[FrontPoint]
    picks: dict[str, str]
    status: SearchStatus | None
    detail: CandidateDetail | None
    records: list[CompareRecord]
    error: str
    # physics marks: the known law the fronts are marked against ("" for none)
    known_law: str
    boundary: BoundaryState | None
