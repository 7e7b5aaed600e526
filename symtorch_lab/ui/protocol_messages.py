"""Browser ↔ kernel messages: the panel's requests, their results, replies and events.

Why a module of its own: :mod:`symtorch_lab.ui.protocol` is the single source of the protocol and
re-exports every name here. This part holds the request/response traffic (the side panel's comm
and the widgets' custom messages, both answered through ``dispatch.answer``) and the unions the
kernel dispatches on; the state shapes they carry live in :mod:`symtorch_lab.ui.protocol_state`,
the SLIME messages in :mod:`symtorch_lab.ui.protocol_slime`.

This module imports no UI package.
"""

from typing import Literal, NotRequired, TypedDict

from symtorch_lab.ui.protocol_slime import (
    ExplainerList,
    ExplainersEvent,
    ListExplainers,
    SlimeEvent,
    SlimeExplain,
    SlimeRef,
    SlimeStop,
)
from symtorch_lab.ui.protocol_state import (
    DistillSettings,
    ErrorCode,
    ModelInfo,
    ModuleStatus,
    ModuleTree,
    RequestType,
    SearchStatus,
)

__all__ = [
    "ListModels",
    "GetTree",
    "SelectModule",
    "StartDistill",
    "Stop",
    "PickCandidate",
    "Replace",
    "Restore",
    "Compare",
    "SetKnownLaw",
    "Request",
    "ModelList",
    "ModuleRef",
    "Comparison",
    "RESULTS",
    "OkResponse",
    "ErrorResponse",
    "ModelsEvent",
    "TreeEvent",
    "StatusEvent",
    "KernelEvent",
    "ServerMessage",
]


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
ServerMessage = (
    OkResponse
    | ErrorResponse
    | ModelsEvent
    | TreeEvent
    | StatusEvent
    | SlimeEvent
    | ExplainersEvent
)
