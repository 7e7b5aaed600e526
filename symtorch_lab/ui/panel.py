"""Kernel side of the JupyterLab side panel: a comm target that answers protocol requests.

Why this module exists: the panel (``js/src/lab/``) shows the models living in the notebook's
kernel and their module trees, and sends the user's clicks back. It registers the comm target
on demand with a silent execute of ``import symtorch_lab.ui.panel as p; p.register()`` and
then opens a comm to :data:`~symtorch_lab.ui.protocol.COMM_TARGET`. Every message is checked
against :mod:`symtorch_lab.ui.protocol`; a malformed one is answered with an error, never raised.

What the panel knows beyond ``nn.Module`` structure (input/output shapes from a recorded pass,
distillation status, and the distill/replace actions) comes from a :class:`ModelSource`: the
``Lab`` calls :meth:`Panel.attach` for its model and :meth:`Panel.notify_changed` (from any
thread) when something changed; trees are re-sent coalesced to a few per second. All of this
state lives in one :class:`Panel` object; the kernel's is :func:`current`.
"""

import logging
import sys
import weakref
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from symtorch_lab.ui import protocol as P
from symtorch_lab.ui.coalescer import Coalescer
from symtorch_lab.ui.dispatch import answer
from symtorch_lab.ui.panel_slime import REQUESTS as SLIME_REQUESTS
from symtorch_lab.ui.panel_slime import PanelSlime

log = logging.getLogger(__name__)
Shapes = tuple[Sequence[int] | None, Sequence[int] | None]


class ModelSource(Protocol):
    """Seam for the ``Lab`` session: what it adds to the panel for its ``model``.

    ``handle`` answers the requests that need the engine (``start_distill``, ``stop``,
    ``pick_candidate``, ``replace``, ``restore``, ``compare``) with the result shape in
    :data:`symtorch_lab.ui.protocol.RESULTS`, or raises
    :class:`~symtorch_lab.ui.protocol.ProtocolError`.
    """

    model: Any

    def module_shapes(self) -> Mapping[str, Shapes]: ...

    def module_status(self) -> Mapping[str, P.ModuleStatus]: ...

    def handle(self, request: P.Request) -> dict: ...


def find_models(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The ``nn.Module`` s in ``namespace`` by public variable name (first name per object)."""
    if "torch" not in sys.modules:  # no torch imported -> no modules; don't pay for the import
        return {}
    from torch import nn

    found: dict[str, Any] = {}
    seen: set[int] = set()
    for name, value in list(namespace.items()):
        if name.startswith("_") or not isinstance(value, nn.Module) or id(value) in seen:
            continue
        seen.add(id(value))
        found[name] = value
    return found


def model_info(name: str, model: Any) -> P.ModelInfo:
    """Summary of one model for the model list."""
    return {
        "name": name,
        "type": type(model).__name__,
        "n_params": sum(p.numel() for p in model.parameters()),
        "n_modules": sum(1 for _ in model.modules()),
    }


def _parent(path: str) -> str:
    return path.rpartition(".")[0]


def _shape(shape: Sequence[int] | None) -> list[int] | None:
    return None if shape is None else [int(s) for s in shape]


def module_tree(name: str, model: Any, source: ModelSource | None = None) -> P.ModuleTree:
    """Every named submodule of ``model`` with type, parameter count, shapes and status."""
    shapes = dict(source.module_shapes()) if source is not None else {}
    status = dict(source.module_status()) if source is not None else {}
    named = list(model.named_modules())
    n_children = Counter(_parent(path) for path, _ in named if path)
    nodes: list[P.ModuleNode] = []
    for path, module in named:
        in_shape, out_shape = shapes.get(path, (None, None))
        nodes.append(
            {
                "path": path,
                "type": type(module).__name__,
                "n_params": sum(p.numel() for p in module.parameters()),
                "n_children": n_children.get(path, 0),
                "input_shape": _shape(in_shape),
                "output_shape": _shape(out_shape),
                "status": status.get(path, "not_distilled"),
            }
        )
    return {"model": name, "nodes": nodes}


class Panel:
    """The kernel's side panel: its open comms, the Lab sources, the module-click callbacks.

    One object owns all of it, so a test builds a fresh ``Panel`` (with a plain dict as the
    namespace) and passes it to ``Lab(..., panel=panel)``; the kernel's own instance is
    :func:`current` (registered as the comm target by :func:`register`).

    Parameters
    ----------
    namespace : callable
        Returns the mapping to find models in (IPython's ``user_ns`` in a kernel; a plain dict
        in tests).
    """

    def __init__(self, namespace: Callable[[], Mapping[str, Any]]) -> None:
        self.namespace = namespace
        self.sessions: list[PanelSession] = []
        self.coalescer = Coalescer(self._flush_trees)
        self.selection: tuple[str, str] | None = None  # (model name, path) last clicked
        self._sources: list[weakref.ref] = []
        self._select_callbacks: list[Callable[[str, str], None]] = []
        self._signature: dict[str, tuple[int, int]] | None = None
        self.slime = PanelSlime(self)  # the SLIME view's explainers (panel_slime.py)

    # --- sources and callbacks (the Lab's side) -------------------------------------------
    def attach(self, source: ModelSource) -> None:
        """Show ``source``'s shapes and statuses for its model, and route engine requests to it.

        The newest source of a model wins (re-running ``lab = Lab(model, data)`` replaces the
        old Lab, which IPython's output history may keep alive)."""
        self._sources[:] = [
            r
            for r in self._sources
            if r() is not None and r() is not source and r().model is not source.model
        ]
        self._sources.append(weakref.ref(source))
        self.notify_changed(source.model)

    def detach(self, source: ModelSource) -> None:
        """Stop routing to ``source`` (sources are held weakly, so this is optional)."""
        self._sources[:] = [r for r in self._sources if r() is not None and r() is not source]

    def source_for(self, model: Any) -> ModelSource | None:
        """The attached source whose model is ``model``, if any."""
        for ref in self._sources:
            src = ref()
            if src is not None and src.model is model:
                return src
        return None

    def on_select(self, callback: Callable[[str, str], None]) -> Callable[[str, str], None]:
        """Call ``callback(model_name, path)`` when the user clicks a module in the panel."""
        self._select_callbacks.append(callback)
        return callback

    def off_select(self, callback: Callable[[str, str], None]) -> None:
        """Stop calling ``callback`` on module clicks."""
        if callback in self._select_callbacks:
            self._select_callbacks.remove(callback)

    def notify_changed(self, model: Any = None) -> None:
        """Re-send the tree of ``model`` (all trees if None) to open panels; any thread."""
        self.coalescer.mark(None if model is None else id(model))

    def publish_status(self, model: Any, status: P.SearchStatus) -> None:
        """Send a search-status event to the panels showing ``model`` (kernel thread)."""
        for session in list(self.sessions):
            if session.model is not None and self.models().get(session.model) is model:
                session.send(P.event("status", status={**status, "model": session.model}))

    # --- the namespace --------------------------------------------------------------------
    def models(self) -> dict[str, Any]:
        return find_models(self.namespace())

    def model_name(self, model: Any, default: str = "model") -> str:
        """The user's variable name for ``model`` in the namespace (``default`` if none)."""
        for name, value in self.models().items():
            if value is model:
                return name
        return default

    def resolve(self, name: str) -> Any:
        """The model called ``name``, or a protocol error listing the ones there are."""
        models = self.models()
        if name not in models:
            found = sorted(models)
            raise P.ProtocolError(
                "unknown_model", f"no nn.Module named {name!r} in the kernel; found {found}"
            )
        return models[name]

    # --- comms ----------------------------------------------------------------------------
    def open(self, comm: Any, open_msg: Any = None) -> "PanelSession":
        """Comm target callback: start a session and send it the model list."""
        session = PanelSession(self, comm)
        self.sessions.append(session)
        comm.on_msg(session.on_msg)
        comm.on_close(
            lambda _msg: self.sessions.remove(session) if session in self.sessions else None
        )
        models = self.models()
        self._signature = _signature(models)
        session.send(P.event("models", models=[model_info(n, m) for n, m in models.items()]))
        self.slime.send_list(session)
        return session

    def handle(self, request: P.Request, session: "PanelSession | None" = None) -> dict:
        """Answer one request: model-level ones here, engine ones by the model's source."""
        kind = request["type"]
        if kind in SLIME_REQUESTS:
            return self.slime.handle(request)
        if kind == "list_models":
            return {"models": [model_info(n, m) for n, m in self.models().items()]}
        name = request["model"]  # type: ignore[typeddict-item]
        model = self.resolve(name)
        source = self.source_for(model)
        if kind == "get_tree":
            if session is not None:
                session.model = name
            return dict(module_tree(name, model, source))
        if kind == "select_module":
            path = request["path"]  # type: ignore[typeddict-item]
            if path not in dict(model.named_modules()):
                raise P.ProtocolError("unknown_module", f"model {name!r} has no module {path!r}")
            self.selection = (name, path)
            for callback in list(self._select_callbacks):
                callback(name, path)
            status = source.module_status().get(path, "not_distilled") if source else None
            return {"model": name, "path": path, "status": status or "not_distilled"}
        if source is None:
            raise P.ProtocolError(
                "not_implemented",
                f"{kind} needs a Lab session for model {name!r}: run "
                f"`lab = symtorch_lab.Lab({name}, data)` in the notebook first",
            )
        return source.handle(request)

    def after_cell(self, *_: Any) -> None:
        """IPython post_execute hook: push the model list (and trees) when models changed."""
        try:
            self.slime.after_cell()
            models = self.models()
            signature = _signature(models)
            if signature == self._signature:
                return
            old, self._signature = self._signature or {}, signature
            infos = [model_info(n, m) for n, m in models.items()]
            for session in list(self.sessions):
                session.send(P.event("models", models=infos))
                name = session.model
                if name in models and old.get(name) != signature[name]:
                    session.send_tree(name, models[name])
        except Exception:  # noqa: BLE001 - never break the user's cell
            log.exception("symtorch_lab panel: refreshing the model list failed")

    def _flush_trees(self, keys: set) -> None:
        if not self.sessions:
            return
        models = self.models()
        for session in list(self.sessions):
            module = models.get(session.model) if session.model else None
            if module is not None and (None in keys or id(module) in keys):
                session.send_tree(session.model, module)


def _signature(models: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    return {name: (id(m), sum(1 for _ in m.modules())) for name, m in models.items()}


class PanelSession:
    """One open comm: answers requests and remembers which model's tree it shows."""

    def __init__(self, panel: Panel, comm: Any) -> None:
        self.panel = panel
        self.comm = comm
        self.model: str | None = None

    def send(self, msg: Mapping[str, Any]) -> None:
        try:
            self.comm.send(dict(msg))
        except Exception:  # noqa: BLE001 - comm closed under us (browser reload)
            log.debug("symtorch_lab panel: send failed", exc_info=True)

    def send_tree(self, name: str, module: Any) -> None:
        tree = module_tree(name, module, self.panel.source_for(module))
        self.send(P.event("tree", tree=tree))

    def on_msg(self, msg: Any) -> None:
        """Comm message callback: reply to the request in ``msg``; never raises."""
        content = msg.get("content") if isinstance(msg, dict) else None
        self.send(self.reply(content.get("data") if isinstance(content, dict) else None))

    def reply(self, data: object) -> P.OkResponse | P.ErrorResponse:
        """The response (or error response) to one incoming message."""
        return answer(data, lambda request: self.panel.handle(request, self))


# --- the kernel's panel ---------------------------------------------------------------------
_current: Panel | None = None
_registered = False


def _user_namespace() -> Mapping[str, Any]:
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    ip = get_ipython()
    return ip.user_ns if ip is not None else {}


def current() -> Panel:
    """The kernel's panel (made on first use, looking at IPython's user namespace)."""
    global _current
    if _current is None:
        _current = Panel(_user_namespace)
    return _current


def set_current(panel: Panel | None) -> Panel | None:
    """Make ``panel`` the kernel's panel (None: a new one on next use); returns the old one.

    For tests and embedders: the documented way to start from an empty panel."""
    global _current
    previous, _current = _current, panel
    return previous


def register() -> None:
    """Register the kernel panel's comm target in the running IPython kernel (idempotent)."""
    global _registered
    if _registered:
        return
    from comm import get_comm_manager
    from IPython import get_ipython

    ip = get_ipython()
    if ip is None:
        raise RuntimeError("symtorch_lab.ui.panel.register() must run inside an IPython kernel")
    panel = current()
    get_comm_manager().register_target(P.COMM_TARGET, panel.open)
    ip.events.register("post_execute", panel.after_cell)
    _registered = True


def current_selection() -> tuple[str, str] | None:
    """The (model name, module path) last clicked in the kernel's panel, or None."""
    return current().selection
