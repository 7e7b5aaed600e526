"""Capped recordings of what submodules compute during ordinary forward passes.

Why this module exists: symbolic regression needs input/output rows of one submodule, but the
predecessor (SymTorch) kept only the first call of a single 2-D forward, switched the model to
eval and never switched it back. Here the user runs their own forward passes (any number, any
device, train or eval, with or without ``torch.no_grad``) inside ``with record(...)``; every call
of each named submodule is recorded, ``(batch, seq, dim)`` tensors become rows, and memory stays
bounded by a uniform reservoir sample of ``max_samples`` rows per module
(:class:`~symtorch_lab.reservoir.Reservoir`, which also states the sampler's guarantee and cost).
"""

from __future__ import annotations

import math
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ._selection import select_input, select_output
from .hooks import HookSet, ModulePathError, resolve_module
from .reservoir import Reservoir

__all__ = ["NotRecordedError", "Recorder", "Recording", "record"]

Transform = Callable[[torch.Tensor], torch.Tensor]


class NotRecordedError(LookupError):
    """Raised by ``rec[path]`` when no forward pass reached the module at ``path``."""


@dataclass(frozen=True, repr=False, eq=False)
class Recording:
    """Rows recorded from one submodule; row ``i`` of ``X`` and ``Y`` come from the same call.

    ``input_shape``/``output_shape`` are the per-row feature shapes (``(d,)`` for a
    ``(batch, seq, d)`` tensor, ``()`` for one value per row); ``call_input_shape`` and
    ``call_output_shape`` are the full shapes of the first call, so a surrogate can reshape back.
    ``X`` holds the ``variable_transforms`` features when transforms were given, else ``X_raw``.
    ``row_index`` is each row's position in the stream of all rows seen (rows sorted by it).
    """

    path: str
    X: np.ndarray
    Y: np.ndarray
    X_raw: np.ndarray
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    call_input_shape: tuple[int, ...]
    call_output_shape: tuple[int, ...]
    n_seen: int
    n_calls: int
    variable_names: tuple[str, ...]
    output_names: tuple[str, ...]
    row_index: np.ndarray
    variable_transforms: tuple[Transform, ...] = ()

    def __repr__(self) -> str:
        return (
            f"Recording({self.path!r}, X={self.X.shape}, Y={self.Y.shape}, "
            f"input_shape={self.input_shape}, output_shape={self.output_shape}, "
            f"n_seen={self.n_seen}, n_calls={self.n_calls})"
        )


def _as_rows(path: str, inputs: list[torch.Tensor], out: torch.Tensor) -> tuple:
    """Flatten to rows over the leading dims: ``(x, y, lead, in_feature, out_feature)``."""
    first = inputs[0]
    lead = tuple(first.shape[:-1]) if first.ndim >= 2 else tuple(first.shape)
    n = math.prod(lead)
    parts = []
    for t in (*inputs, out):
        if tuple(t.shape[: len(lead)]) != lead:
            role = "output" if t is out else "input"
            raise ValueError(
                f"module {path!r}: {role} shape {tuple(t.shape)} does not start with the leading "
                f"dims {lead} of input shape {tuple(first.shape)}; a row of X must match a row "
                "of Y (record a module that keeps the batch/sequence dims)"
            )
        parts.append(
            t if t.ndim == 2 == len(lead) + 1 else t.reshape(n, -1) if n else t.new_empty((0, 1))
        )
    x = parts[0] if len(inputs) == 1 else torch.cat(parts[:-1], dim=1)
    feature_in = tuple(first.shape[len(lead) :]) if len(inputs) == 1 else (x.shape[1],)
    return x, parts[-1], lead, feature_in, tuple(out.shape[len(lead) :])


class _PathState:
    """Everything recorded for one path."""

    def __init__(self, path: str, module: nn.Module, reservoir: Reservoir, opts: dict) -> None:
        self.path, self.module, self.reservoir, self.opts = path, module, reservoir, opts
        self.n_calls = 0
        self.shapes: tuple | None = None  # (in_feature, out_feature, call_in, call_out)
        self.cache: Recording | None = None
        # Only the recording thread's forward passes count: another thread running the same
        # model (a second recording, a training loop) must not leak rows into this one.
        self.thread = threading.get_ident()
        self.inputs: tuple | None = None  # copies taken before an in-place module ran

    def before_call(self, module: nn.Module, args: tuple, kwargs: dict | None = None) -> None:
        """Pre-hook for modules that may overwrite their input (``inplace=True``)."""
        if threading.get_ident() == self.thread:
            kwargs = {k: _copy(v) for k, v in (kwargs or {}).items()}
            self.inputs = (tuple(map(_copy, args)), kwargs)

    def on_call(self, module: nn.Module, args: tuple, *kwargs_output: Any) -> None:
        # torch registers a with_kwargs hook in two steps, so a forward in another thread at
        # that moment calls it as hook(module, args, output): accept both forms.
        if threading.get_ident() != self.thread:
            return
        kwargs, output = kwargs_output if len(kwargs_output) == 2 else ({}, kwargs_output[0])
        if self.inputs is not None:
            (args, kwargs), self.inputs = self.inputs, None
        inputs = select_input(self.path, module, args, kwargs, self.opts["input_index"])
        out = select_output(self.path, output, self.opts["output_key"], self.n_calls == 0)
        x, y, lead, f_in, f_out = _as_rows(self.path, inputs, out)
        if self.shapes is None:
            self.shapes = (f_in, f_out, (*lead, *f_in), tuple(out.shape))
        elif (f_in, f_out) != self.shapes[:2]:
            raise ValueError(
                f"module {self.path!r}: call {self.n_calls + 1} has feature shapes in={f_in}, "
                f"out={f_out}, but earlier calls had in={self.shapes[0]}, out={self.shapes[1]}"
            )
        self.reservoir.offer(x, y)
        self.n_calls += 1
        self.cache = None


def _copy(value: Any) -> Any:
    return value.clone() if isinstance(value, torch.Tensor) else value


class Recorder:
    """Recordings of one ``record(...)`` block, by module path.

    ``rec[path]`` builds a :class:`Recording` (also inside the block, as a snapshot); iteration,
    ``len`` and ``in`` cover the paths that some forward pass reached; ``paths`` lists all
    requested paths. Data stays available after the ``with`` block ends.
    """

    def __init__(self, states: dict[str, _PathState]) -> None:
        self._states = states
        self.active = False

    @property
    def paths(self) -> tuple[str, ...]:
        """All requested paths, in request order."""
        return tuple(self._states)

    @property
    def recordings(self) -> dict[str, Recording]:
        """``{path: Recording}`` for every path that some forward pass reached."""
        return {path: self[path] for path in self}

    def __getitem__(self, path: str) -> Recording:
        state = self._states.get(path)
        if state is None:
            raise ModulePathError(
                f"{path!r} was not recorded; recorded paths: {list(self._states)}"
            )
        if state.n_calls == 0:
            raise NotRecordedError(
                f"no forward pass reached module {path!r} "
                f"({'so far' if self.active else 'while recording'}): run the model inside the "
                "`with record(...)` block and check that its forward calls this module"
            )
        if state.cache is None:
            state.cache = _build_recording(state)
        return state.cache

    def __iter__(self) -> Iterator[str]:
        return (path for path, state in self._states.items() if state.n_calls)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, path: object) -> bool:
        state = self._states.get(path) if isinstance(path, str) else None
        return state is not None and state.n_calls > 0

    def __repr__(self) -> str:
        calls = ", ".join(f"{p!r}: {s.n_calls} calls" for p, s in self._states.items())
        return f"Recorder({{{calls}}}, active={self.active})"


def _build_recording(state: _PathState) -> Recording:
    x, y, index = state.reservoir.rows()
    assert state.shapes is not None
    f_in, f_out, call_in, call_out = state.shapes
    transforms = tuple(state.opts["variable_transforms"] or ())
    names = state.opts["variable_names"]
    x64 = torch.from_numpy(x.astype(np.float64))
    features = _apply_transforms(state.path, transforms, x64) if transforms else x64
    d = features.shape[1]
    if names is not None and len(names) != d:
        what = f"{len(transforms)} variable_transforms" if transforms else f"{d} input features"
        raise ValueError(
            f"module {state.path!r}: {len(names)} variable_names {list(names)} for {what}"
        )
    return Recording(
        path=state.path,
        X=features.numpy(),
        Y=y.astype(np.float64),
        X_raw=x64.numpy(),
        input_shape=f_in,
        output_shape=f_out,
        call_input_shape=call_in,
        call_output_shape=call_out,
        n_seen=state.reservoir.n_seen,
        n_calls=state.n_calls,
        variable_names=tuple(names) if names is not None else tuple(f"x{i}" for i in range(d)),
        output_names=tuple(f"y{i}" for i in range(y.shape[1])),
        row_index=index,
        variable_transforms=transforms,
    )


def _apply_transforms(path: str, transforms: tuple, x: torch.Tensor) -> torch.Tensor:
    """Columns ``transform(x)`` for each transform; each must give one value per row."""
    columns = []
    for i, transform in enumerate(transforms):
        value = torch.as_tensor(transform(x))
        if value.numel() != x.shape[0] or (value.ndim > 1 and value.shape[0] != x.shape[0]):
            raise ValueError(
                f"module {path!r}: variable_transforms[{i}] "
                f"({getattr(transform, '__name__', transform)!r}) returned shape "
                f"{tuple(value.shape)} for input shape {tuple(x.shape)}; expected ({x.shape[0]},)"
            )
        columns.append(value.reshape(-1).to(torch.float64))
    return torch.stack(columns, dim=1)


def _per_path(name: str, value: Any, paths: Sequence[str]) -> Callable[[str], Any]:
    """``value`` for every path, or a ``{path: value}`` mapping (paths missing -> None)."""
    if not isinstance(value, Mapping):
        return lambda path: value
    unknown = [key for key in value if key not in paths]
    if unknown:
        raise KeyError(f"{name} mapping names unrecorded paths {unknown}; paths: {list(paths)}")
    return value.get


def _check_options(path: str, opts: dict) -> dict:
    """Validate one path's options up front, so mistakes fail before any forward pass."""
    for name, allowed in (
        ("input_index", "None, int, 'all' or a name"),
        ("output_key", "None, int or str"),
    ):
        value = opts[name]
        if isinstance(value, bool) or not (value is None or isinstance(value, int | str)):
            raise TypeError(f"module {path!r}: {name} must be {allowed}, got {value!r}")
    transforms, names = opts["variable_transforms"], opts["variable_names"]
    if transforms is not None:
        opts["variable_transforms"] = transforms = tuple(transforms)
        if not all(callable(t) for t in transforms):
            raise TypeError(f"module {path!r}: variable_transforms must be callables")
    if names is not None:
        opts["variable_names"] = names = [names] if isinstance(names, str) else list(names)
        valid = all(isinstance(n, str) and n.isidentifier() for n in names)
        if not valid or len(set(names)) < len(names):
            raise ValueError(
                f"module {path!r}: variable_names must be unique identifiers, got {names}"
            )
        if transforms is not None and len(names) != len(transforms):
            raise ValueError(
                f"module {path!r}: {len(names)} variable_names for {len(transforms)} "
                "variable_transforms"
            )
    return opts


def _seed(root: np.random.SeedSequence, path: str) -> int:
    """Per-path seed: reproducible, independent of the order in which paths are listed."""
    child = np.random.SeedSequence(root.entropy, spawn_key=(zlib.crc32(path.encode()),))
    return int(child.generate_state(1)[0])


@contextmanager
def record(
    model: nn.Module,
    paths: str | Sequence[str],
    *,
    max_samples: int = 10_000,
    random_state: int | None = 0,
    input_index: int | str | None | Mapping[str, Any] = None,
    output_key: int | str | None | Mapping[str, Any] = None,
    variable_transforms: Sequence[Transform] | Mapping[str, Sequence[Transform]] | None = None,
    variable_names: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
) -> Iterator[Recorder]:
    """Record inputs and outputs of the submodules at ``paths`` during forward passes.

    Parameters
    ----------
    model : nn.Module
        The model whose ordinary forward passes the user runs inside the block.
    paths : str or list of str
        Dotted paths from ``model.named_modules()`` (``""`` is the model itself).
    max_samples : int
        Rows kept per path: a uniform reservoir sample over every row seen.
    random_state : int or None
        Seed of the reservoir keys (per path, independent of path order).
    input_index : None, int, "all" or str
        Which tensor input becomes ``X``: the first tensor (None), a positional index, every
        tensor input concatenated along the last dim ("all"), or a ``forward`` parameter name.
    output_key : None, int or str
        Which element of a tuple/list/dict/ModelOutput output becomes ``Y`` (None: the first
        tensor, with a warning when there are several).
    variable_transforms : list of callables
        ``f(X_raw: Tensor (n, d_in)) -> (n,)`` derived features; ``X`` then holds their values.
    variable_names : list of str
        Names of ``X``'s columns (default ``x0, x1, ...``).

    ``input_index``, ``output_key``, ``variable_transforms`` and ``variable_names`` also accept
    a ``{path: value}`` mapping. Hooks are removed when the block exits, also on an exception;
    the model's training mode, grad mode and other hooks are left alone. Only forward passes
    run by the thread that opened the block are recorded; inputs of modules with
    ``inplace=True`` are copied before the module runs.
    """
    path_list = [paths] if isinstance(paths, str) else list(dict.fromkeys(paths))
    if isinstance(max_samples, bool) or not isinstance(max_samples, int) or max_samples < 1:
        raise ValueError(f"max_samples must be a positive int, got {max_samples!r}")
    options = {
        "input_index": _per_path("input_index", input_index, path_list),
        "output_key": _per_path("output_key", output_key, path_list),
        "variable_transforms": _per_path("variable_transforms", variable_transforms, path_list),
        "variable_names": _per_path("variable_names", variable_names, path_list),
    }
    root = np.random.SeedSequence(random_state)
    states = {}
    for path in path_list:
        opts = _check_options(path, {name: pick(path) for name, pick in options.items()})
        reservoir = Reservoir(max_samples, _seed(root, path))
        states[path] = _PathState(path, resolve_module(model, path), reservoir, opts)
    recorder = Recorder(states)
    with HookSet() as hooks:
        for state in states.values():
            if getattr(state.module, "inplace", False) is True:  # nn.ReLU(inplace=True), …
                hooks.add_forward_pre_hook(state.module, state.before_call, with_kwargs=True)
            hooks.add_forward_hook(state.module, state.on_call, with_kwargs=True)
        recorder.active = True
        try:
            yield recorder
        finally:
            recorder.active = False
