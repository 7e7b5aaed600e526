"""Saving and loading sessions as JSON — never pickle, never eval.

A session file holds, per module path: the recording's metadata (shapes, variable names,
row counts), the projections of wide layers, every Pareto front with its candidates
(expressions as whitelisted JSON trees) and the pick of each dimension, and whether the module
was replaced. Loading validates every field, parses expressions through
:meth:`Expression.from_json` (which refuses anything outside the operator registry), and
re-applies the replacements on the given model.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torch import nn

from .front import ParetoFront
from .pca import PCAProjection

FORMAT = "symtorch_lab.session"
VERSION = 1


def session_to_json(session) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "model": {
            "class": type(session.model).__name__,
            "n_parameters": int(sum(p.numel() for p in session.model.parameters())),
        },
        "layers": [job.to_json() for job in session.jobs.values()],
        "comparisons": list(session.comparisons),
    }


def save_session(file, session) -> None:
    """Write the session to ``file`` atomically (a crash never leaves half a file)."""
    path = Path(file)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(session_to_json(session), indent=1, allow_nan=False))
    os.replace(tmp, path)


def load_session(file, model: nn.Module, data=None, **params):
    """Read a session file and rebuild it onto ``model``.

    Raises ``ValueError`` naming the field at fault for anything malformed; nothing in the
    file is executed. Modules saved as replaced are replaced again.
    """
    from .session import LayerJob, Session

    text = Path(file).read_text()
    try:
        data_json = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{file}: not a JSON session file ({exc})") from None
    _check_header(data_json, file)
    session = Session(model, data, **params)
    to_replace = {}
    for i, layer in enumerate(data_json["layers"]):
        where = f"{file}: layers[{i}]"
        job = _load_layer(layer, model, where, LayerJob)
        session.jobs[job.path] = job
        if layer.get("replaced") is True:
            to_replace[job.path] = _surrogate(layer.get("surrogate"), f"{where}.surrogate")
    for path, surrogate in to_replace.items():
        session.replace(path, surrogate=surrogate)
    session.comparisons = _comparisons(data_json.get("comparisons", []), f"{file}: comparisons")
    return session


def _comparisons(value: Any, where: str) -> list[dict[str, Any]]:
    """Saved before/after records: plain numbers, strings, nulls and lists of those only."""
    if not isinstance(value, list):
        raise ValueError(f"{where} must be a list")
    out = []
    for i, record in enumerate(value):
        if not isinstance(record, Mapping) or not all(
            isinstance(k, str) and _plain(v) for k, v in record.items()
        ):
            raise ValueError(f"{where}[{i}] must be an object of numbers, strings and lists")
        out.append(dict(record))
    return out


def _plain(value: Any) -> bool:
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, str | int | float)


def _surrogate(value, where: str):
    """The saved live surrogate (fine-tuned constants included), or None to rebuild it."""
    from .surrogate import SymbolicSurrogate

    if value is None:
        return None
    try:
        return SymbolicSurrogate.from_json(value)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"{where}: {exc}") from None


def _check_header(data: Any, file) -> None:
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise ValueError(f"{file}: not a symtorch_lab session (missing format {FORMAT!r})")
    if data.get("version") != VERSION:
        raise ValueError(f"{file}: session version {data.get('version')!r} is not {VERSION}")
    if not isinstance(data.get("layers"), list):
        raise ValueError(f"{file}: 'layers' must be a list")


def _load_layer(layer: Any, model: nn.Module, where: str, job_cls):
    if not isinstance(layer, Mapping):
        raise ValueError(f"{where}: must be an object")
    path = layer.get("path")
    if not isinstance(path, str):
        raise ValueError(f"{where}: 'path' must be a string")
    try:
        model.get_submodule(path)
    except AttributeError:
        raise ValueError(f"{where}: module {path!r} does not exist in the given model") from None
    meta = _check_meta(layer.get("meta"), f"{where}.meta")
    job = job_cls(path, None, meta)
    try:
        job.in_projection = _projection(layer.get("in_projection"))
        job.out_projection = _projection(layer.get("out_projection"))
        fronts = layer.get("fronts")
        if not isinstance(fronts, Mapping):
            raise ValueError("'fronts' must be an object")
        for key, front in fronts.items():
            if not str(key).isdigit():
                raise ValueError(f"front key {key!r} is not an output dim")
            job.fronts[int(key)] = ParetoFront.from_json(front)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"{where} (module {path!r}): {exc}") from None
    return job


def _projection(value) -> PCAProjection | None:
    return None if value is None else PCAProjection.from_json(value)


def _check_meta(meta: Any, where: str) -> dict[str, Any]:
    if not isinstance(meta, Mapping):
        raise ValueError(f"{where}: must be an object")
    out = dict(meta)
    for key in ("input_shape", "output_shape"):
        shape = out.get(key)
        if not isinstance(shape, list) or not all(
            isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape
        ):
            raise ValueError(
                f"{where}.{key} must be a list of positive integers, got {shape!r:.60}"
            )
    n_terms = out.get("n_terms")
    if not isinstance(n_terms, int) or isinstance(n_terms, bool) or n_terms < 1:
        raise ValueError(f"{where}.n_terms must be a positive integer, got {n_terms!r:.60}")
    names = out.get("variable_names")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{where}.variable_names must be a list of strings")
    return out
