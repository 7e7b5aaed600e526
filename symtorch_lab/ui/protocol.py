"""Browser ↔ kernel protocol: the one definition of every message and state shape.

Why this module exists: the JupyterLab side panel (over a comm) and the notebook widgets (synced
traits plus custom messages) both talk to the kernel. Both ends must agree on the shapes, so they
are written down once, here, as ``TypedDict`` s (the wire format is JSON objects). The TypeScript
types in ``js/src/protocol.ts`` are generated from this module::

    python -m symtorch_lab.ui.protocol_ts --ts js/src/protocol.ts      # write
    python -m symtorch_lab.ui.protocol_ts --check js/src/protocol.ts   # CI: fail if stale

Conventions
-----------
* Every message carries ``v`` (:data:`PROTOCOL_VERSION`). Requests (browser → kernel) carry an
  ``id`` chosen by the browser; the kernel answers each with a :class:`OkResponse` or an
  :class:`ErrorResponse` with the same ``id``. Unsolicited updates are :data:`KernelEvent` s.
* State a view needs on (re)render is a snapshot (a tree, a front); requests only ask for changes.
* Incoming data is checked by :func:`parse_request`; anything malformed becomes a
  :class:`ProtocolError`, which the receiver turns into an :class:`ErrorResponse` (never an
  exception escaping into the kernel). Nothing received is evaluated.

This module imports no UI package.
"""

from typing import Any, Literal, NotRequired, TypedDict, get_args

from symtorch_lab.ui import protocol_slime
from symtorch_lab.ui.protocol_slime import *  # noqa: F403 - the SLIME section, re-exported
from symtorch_lab.ui.protocol_slime import (
    ExplainerList,
    ExplainersEvent,
    ListExplainers,
    SlimeEvent,
    SlimeExplain,
    SlimeRef,
    SlimeStop,
)
from symtorch_lab.ui.schema import ProtocolError, check, fields

__all__ = [
    "PROTOCOL_VERSION",
    "COMM_TARGET",
    "ProtocolError",
    "parse_request",
    "response",
    "error",
    "event",
    "ModuleStatus",
    "SearchState",
    "ErrorCode",
    "RequestType",
    "ModuleNode",
    "ModelInfo",
    "ModuleTree",
    "FrontPoint",
    "SearchStatus",
    "FrontState",
    "DistillSettings",
    "DistillMode",
    "BoundaryState",
    "CandidateDetail",
    "CompareRecord",
    "LabState",
    "Request",
    "OkResponse",
    "ErrorResponse",
    "KernelEvent",
    "ServerMessage",
    "RESULTS",
] + protocol_slime.__all__  # the SLIME section

PROTOCOL_VERSION = 1
"""Bumped on any incompatible change; the browser refuses a kernel speaking another version."""

COMM_TARGET = "symtorch_lab.panel"
"""Comm target name the side panel opens in the notebook's kernel."""


def _by_type(union: Any) -> dict[str, type]:
    """Map each member's ``type`` literal to the member, for dispatching on ``msg["type"]``."""
    return {get_args(fields(td)[0]["type"])[0]: td for td in get_args(union)}


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


# --------------------------------------------------------------------------- requests
class ListModels(TypedDict):
    """Ask for the models in the user namespace (answered with ``{models: ModelInfo[]}``)."""

    v: int
    id: str
    type: Literal["list_models"]


class GetTree(TypedDict):
    """Ask for the module tree of one model (answered with a ModuleTree)."""

    v: int
    id: str
    type: Literal["get_tree"]
    model: str


class SelectModule(TypedDict):
    """The user clicked a module in the tree."""

    v: int
    id: str
    type: Literal["select_module"]
    model: str
    path: str


class StartDistill(TypedDict):
    """Record the module and start a background search on it."""

    v: int
    id: str
    type: Literal["start_distill"]
    model: str
    path: str
    settings: NotRequired[DistillSettings]


class Stop(TypedDict):
    """Stop the search on a module after the current generation; the partial front is kept."""

    v: int
    id: str
    type: Literal["stop"]
    model: str
    path: str


class PickCandidate(TypedDict):
    """Choose expression ``expression_id`` for output dimension ``dim`` of a module."""

    v: int
    id: str
    type: Literal["pick_candidate"]
    model: str
    path: str
    dim: int
    expression_id: str


class Replace(TypedDict):
    """Swap the module for its picked expressions in the live model."""

    v: int
    id: str
    type: Literal["replace"]
    model: str
    path: str


class Restore(TypedDict):
    """Undo a replacement."""

    v: int
    id: str
    type: Literal["restore"]
    model: str
    path: str


class Compare(TypedDict):
    """Measure the original model against the hybrid (metric, throughput, memory)."""

    v: int
    id: str
    type: Literal["compare"]
    model: str


class SetKnownLaw(TypedDict):
    """Mark the members of every front that recover ``law`` (infix over the module's input
    variables, parsed kernel-side by the whitelisted parser; ``""`` clears the marks)."""

    v: int
    id: str
    type: Literal["set_known_law"]
    model: str
    law: str


Request = (
    ListModels
    | GetTree
    | SelectModule
    | StartDistill
    | Stop
    | PickCandidate
    | Replace
    | Restore
    | Compare
    | SetKnownLaw
    | ListExplainers
    | SlimeExplain
    | SlimeStop
)
_REQUESTS = _by_type(Request)


# --------------------------------------------------------------------------- results
class ModelList(TypedDict):
    """Result of ``list_models``."""

    models: list[ModelInfo]


class ModuleRef(TypedDict):
    """Result of requests that act on one module: where it now stands."""

    model: str
    path: str
    status: ModuleStatus


class Comparison(TypedDict):
    """Result of ``compare``: named task metrics and throughput, original vs hybrid."""

    model: str
    metric_name: str
    original: dict[str, float]
    hybrid: dict[str, float]


RESULTS: dict[str, type] = {
    "list_models": ModelList,
    "get_tree": ModuleTree,
    "select_module": ModuleRef,
    "start_distill": SearchStatus,
    "stop": SearchStatus,
    "pick_candidate": ModuleRef,
    "replace": ModuleRef,
    "restore": ModuleRef,
    "compare": Comparison,
    "set_known_law": ModuleRef,
    "list_explainers": ExplainerList,
    "slime_explain": SlimeRef,
    "slime_stop": SlimeRef,
}
"""Which result each request type is answered with (``ResultByRequest`` in TypeScript)."""


# --------------------------------------------------------------------------- replies, events
class OkResponse(TypedDict):
    """Success reply to the request with the same ``id``; ``result`` per :data:`RESULTS`."""

    v: int
    id: str
    type: Literal["response"]
    request: RequestType
    result: dict


class ErrorResponse(TypedDict):
    """Failure reply; ``id`` is empty when the request had no readable id."""

    v: int
    id: str
    type: Literal["error"]
    code: ErrorCode
    message: str


class ModelsEvent(TypedDict):
    """The set of models in the user namespace changed."""

    v: int
    type: Literal["models"]
    models: list[ModelInfo]


class TreeEvent(TypedDict):
    """A model's tree changed (statuses, shapes); coalesced to a few per second."""

    v: int
    type: Literal["tree"]
    tree: ModuleTree


class StatusEvent(TypedDict):
    """Search progress on one module."""

    v: int
    type: Literal["status"]
    status: SearchStatus


KernelEvent = ModelsEvent | TreeEvent | StatusEvent | SlimeEvent | ExplainersEvent
_EVENTS = _by_type(KernelEvent)
ServerMessage = (
    OkResponse
    | ErrorResponse
    | ModelsEvent
    | TreeEvent
    | StatusEvent
    | SlimeEvent
    | ExplainersEvent
)


# --------------------------------------------------------------------------- functions
def parse_request(data: object) -> Request:
    """Check an incoming message and return it as a request.

    Raises
    ------
    ProtocolError
        With ``code`` ``bad_message`` or ``unsupported_version`` and the request's ``id`` when
        one could be read. Never raises anything else.
    """
    msg_id = data.get("id") if isinstance(data, dict) else None
    msg_id = msg_id if isinstance(msg_id, str) and len(msg_id) <= 200 else ""
    try:
        if not isinstance(data, dict):
            raise ProtocolError("bad_message", f"expected a JSON object, got {type(data).__name__}")
        if data.get("v") != PROTOCOL_VERSION:
            raise ProtocolError(
                "unsupported_version",
                f"protocol version {data.get('v')!r} not supported (kernel speaks "
                f"{PROTOCOL_VERSION}); reinstall symtorch_lab so browser and kernel match",
            )
        kind = data.get("type")
        if kind not in _REQUESTS:
            raise ProtocolError(
                "bad_message", f"unknown request type {kind!r}; valid: {sorted(_REQUESTS)}"
            )
        check(data, _REQUESTS[kind], "request")
        if not data["id"]:
            raise ProtocolError("bad_message", "request.id must be a non-empty string")
    except ProtocolError as exc:
        exc.id = msg_id
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed message must never escape as a crash
        raise ProtocolError("bad_message", f"unreadable message: {exc}", msg_id) from exc
    return data  # type: ignore[return-value]


def response(request: Request, result: dict) -> OkResponse:
    """Build the success reply to ``request``, checking ``result`` against :data:`RESULTS`."""
    check(result, RESULTS[request["type"]], f"result of {request['type']}")
    return {
        "v": PROTOCOL_VERSION,
        "id": request["id"],
        "type": "response",
        "request": request["type"],
        "result": result,
    }


def error(code: ErrorCode, message: str, msg_id: str = "") -> ErrorResponse:
    """Build an error reply."""
    return {"v": PROTOCOL_VERSION, "id": msg_id, "type": "error", "code": code, "message": message}


def event(kind: str, **payload: object) -> KernelEvent:
    """Build an event of type ``kind`` (``models``, ``tree``, ``status``, ``slime``,
    ``explainers``), checked."""
    if kind not in _EVENTS:
        raise ValueError(f"unknown event type {kind!r}; valid: {sorted(_EVENTS)}")
    msg = {"v": PROTOCOL_VERSION, "type": kind, **payload}
    check(msg, _EVENTS[kind], f"{kind} event")
    return msg  # type: ignore[return-value]
