"""The SymTorch facade's state: its recording cache, its JSON form (saved in ``state_dict``
and by ``torch.save``; read back without eval or pickle, every size checked) and the
``save_path`` files."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .front import ParetoFront
from .hooks import eval_mode
from .pruning import MAX_DIM, PruningPlan
from .record import record

FORMAT, VERSION = "symtorch_lab.SymbolicModel", 1
MAX_FRONT = 10_000  # candidates per saved front


@dataclass
class Cache:
    """The engine Session holding the last recording, and what it was recorded from."""

    key: tuple
    session: Any
    path: str

    @staticmethod
    def key_for(inputs, parent_model, transforms, names, wrapper: nn.Module) -> tuple | None:
        """Same inputs (by content), parent, transforms, names and weights (every parameter
        and buffer's in-place version counter): the recording can be reused. None (never
        reused) for callable blocks, whose state cannot be seen."""
        block = getattr(wrapper, "symtorch_block", None)
        if block is None:
            return None
        model = parent_model if parent_model is not None else block
        tensors = [*model.parameters(), *model.buffers(), *wrapper.buffers()]
        array = inputs.detach().cpu().numpy() if torch.is_tensor(inputs) else np.asarray(inputs)
        digest = hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()
        versions = tuple((id(t), t._version) for t in tensors)
        ids = tuple(id(t) for t in transforms)
        return (digest, array.shape, id(parent_model), ids, tuple(names or ()), versions)

    def matches(self, key) -> bool:
        return key is not None and key == self.key


def split_fit_params(fit_params: dict | None, name: str):
    """``variable_names`` and ``weights`` (SymTorch passes PySR's fit arguments)."""
    fit_params = dict(fit_params or {})
    names = fit_params.pop("variable_names", None)
    weights = fit_params.pop("weights", fit_params.pop("sample_weight", None))
    if fit_params:
        raise TypeError(f"{name}: unsupported fit_params {sorted(fit_params)}")
    return names, weights


def check_weights(weights, n_rows: int, name: str) -> np.ndarray:
    w = np.asarray(weights.detach().cpu() if torch.is_tensor(weights) else weights, dtype=float)
    if w.shape != (n_rows,):
        raise ValueError(f"{name}: weights of shape {w.shape} for {n_rows} input rows")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"{name}: weights must be finite and non-negative")
    return w


def feature_rows(x: torch.Tensor, transforms) -> torch.Tensor:
    """The search's input columns for raw rows ``x`` (``variable_transforms`` applied)."""
    if not transforms:
        return x
    return torch.stack([t(x).reshape(-1) for t in transforms], dim=1)


def block_outputs(wrapper, sample_data, parent_model) -> torch.Tensor:
    """The wrapped block's own outputs (unmasked, never the surrogate's) as ``(n, d)``."""
    model = parent_model if parent_model is not None else wrapper.symtorch_block
    path = wrapper._block_path(parent_model) if parent_model is not None else ""
    surrogate, wrapper._surrogate = wrapper._surrogate, None
    try:
        with record(model, path, max_samples=max(len(sample_data), 1)) as rec:
            with eval_mode(model), torch.no_grad():
                model(sample_data)
    finally:
        wrapper._surrogate = surrogate
    return torch.as_tensor(rec[path].Y)


def write_fronts(save_path, block_name: str, fronts: dict[int, ParetoFront]) -> None:
    """``save_path/<block_name>/dim<d>.json``, one JSON front per searched dim."""
    folder = Path(save_path) / re.sub(r"[^\w.-]", "_", block_name).lstrip(".")
    folder.mkdir(parents=True, exist_ok=True)
    for dim, front in fronts.items():
        data = {"format": "symtorch_lab.front", "version": VERSION, "block_name": block_name,
                "dim": int(dim), "front": front.to_json()}  # fmt: skip
        (folder / f"dim{dim}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")


# --- JSON form -------------------------------------------------------------------------
def to_json(wrapper) -> dict[str, Any]:
    shapes = wrapper._shapes
    return {
        "format": FORMAT,
        "version": VERSION,
        "block_name": wrapper.block_name,
        "output_dims": wrapper.output_dims,
        "shapes": None if shapes is None else [list(shapes[0]), list(shapes[1])],
        "n_transforms": len(wrapper._transforms),
        "fronts": {str(d): f.to_json() for d, f in sorted(wrapper.fronts_.items())},
        "chosen": {str(d): int(c) for d, c in wrapper._chosen.items()},
        "pruning": None if wrapper.pruning is None else wrapper.pruning.to_json(),
    }


def apply_json(wrapper, data: Any) -> None:
    """Bring back fronts, mode and pruning from :func:`to_json` (checked, never eval'd)."""
    where = f"{getattr(wrapper, 'block_name', 'SymbolicModel')} state"
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{where}: not a {FORMAT} state")
    if data.get("version") != VERSION:
        raise ValueError(f"{where}: version {data.get('version')!r}, this reads {VERSION}")
    n_out = _count(data.get("output_dims"), where, "output_dims", allow_none=True)
    shapes = _shapes(data.get("shapes"), where)
    fronts = _fronts(data.get("fronts"), n_out, where)
    n_transforms = _count(data.get("n_transforms"), where, "n_transforms")
    if n_transforms and len(wrapper._transforms) != n_transforms:
        raise ValueError(
            f"{where}: distilled with {n_transforms} variable_transforms, which are code and "
            "are never saved; set `model.variable_transforms = [...]` (the same functions) "
            "before load_state_dict"
        )
    wrapper.output_dims, wrapper._shapes, wrapper.fronts_ = n_out, shapes, fronts
    if data.get("pruning") is not None:
        plan = PruningPlan.from_json(data["pruning"])
        wrapper.setup_pruning(plan.initial_dim, plan.target_dim, plan.total_steps,
                              plan.end_step_frac, plan.decay_rate)  # fmt: skip
    chosen = data.get("chosen") or {}
    if not isinstance(chosen, dict) or len(chosen) > len(fronts):
        raise ValueError(f"{where}: 'chosen' must map distilled dims to complexities")
    picks = {int(_count(int(d) if str(d).isdigit() else d, where, "dim")): _count(c, where, "c")
             for d, c in chosen.items()}  # fmt: skip
    _check_chosen(picks, fronts, where)
    if picks:
        wrapper._install(picks)
    else:
        wrapper.switch_to_block()


def _count(value, where: str, name: str, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DIM:
        raise ValueError(f"{where}: {name} must be an int in 0..{MAX_DIM}, got {value!r:.40}")
    return value


def _shapes(value, where: str):
    if value is None:
        return None
    ok = isinstance(value, list) and len(value) == 2 and all(isinstance(s, list) for s in value)
    if not ok or any(len(s) > 8 for s in value):
        raise ValueError(f"{where}: shapes must be [input shape, output shape]")
    return tuple(tuple(_count(n, where, "shape entry") for n in s) for s in value)


def _fronts(value, n_out, where: str) -> dict[int, ParetoFront]:
    if not isinstance(value, dict) or len(value) > (n_out or 0):
        raise ValueError(f"{where}: 'fronts' must map at most output_dims dims to fronts")
    fronts = {}
    for key, front in value.items():
        if not (isinstance(key, str) and key.isdigit() and int(key) < n_out):
            raise ValueError(f"{where}: front key {key!r:.20} is not a dim below {n_out}")
        cands = front.get("candidates") if isinstance(front, dict) else None
        if not isinstance(cands, list) or len(cands) > MAX_FRONT:
            raise ValueError(f"{where}: front of dim {key} must list at most {MAX_FRONT}")
        fronts[int(key)] = ParetoFront.from_json(front)
    return fronts


def _check_chosen(picks: dict[int, int], fronts: dict[int, ParetoFront], where: str) -> None:
    for dim, c in picks.items():
        if dim not in fronts or c not in [cand.complexity for cand in fronts[dim]]:
            raise ValueError(f"{where}: dim {dim} complexity {c} is not on a saved front")
