"""Saving and loading sessions as JSON — never pickle, never eval.

A session file holds, per module path: the recording's metadata (shapes, variable names,
row counts), the projections of wide layers, every Pareto front with its candidates
(expressions as whitelisted JSON trees) and the pick of each dimension, and whether the module
was replaced. Loading validates every field, parses expressions through
:meth:`Expression.from_json` (which refuses anything outside the operator registry), and
re-applies the replacements on the given model.

Limits, checked before the work they bound: a file of more than ``MAX_FILE_BYTES`` (64 MiB) is
not parsed, a front of more than ``MAX_CANDIDATES`` (10,000) is not built, ``meta.n_rows`` /
``meta.n_seen`` lie in ``[0, 2**40]``, every candidate's loss is finite and its expression
reads exactly the module's search inputs (its input width, or ``k_in`` with a projection),
and comparison numbers are finite (NaN/inf are saved as null).

This module owns the whole format, writer and reader, and builds only plain values: the
writer reads a session's public attributes, the reader returns a :class:`SavedSession` that
:meth:`symtorch_lab.session.Session.load` turns into live jobs. So ``session`` imports ``io``
and never the reverse.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from .front import ParetoFront
from .pca import PCAProjection
from .surrogate import SymbolicSurrogate

FORMAT = "symtorch_lab.session"
VERSION = 1
_MAX_NESTING = 32  # lists inside saved comparison records
MAX_FEATURES = 1 << 24  # per-row features of one module: far above any real layer
# Hostile or corrupt files are refused before they cost time or memory: a real session is a
# few MB (a front keeps at most one candidate per complexity), far under these limits.
MAX_FILE_BYTES = 64 * 2**20  # a larger file is refused before it is parsed
MAX_CANDIDATES = 10_000  # per front, checked before any candidate is built
MAX_ROWS = 2**40  # meta.n_rows / meta.n_seen: recorded rows, far above any real recording


@dataclass
class SavedLayer:
    """One module's validated record: what a ``LayerJob`` is rebuilt from."""

    path: str
    meta: dict[str, Any]
    in_projection: PCAProjection | None = None
    out_projection: PCAProjection | None = None
    fronts: dict[int, ParetoFront] = field(default_factory=dict)
    replaced: bool = False
    surrogate: SymbolicSurrogate | None = None  # the live one when saved replaced, else None


@dataclass
class SavedSession:
    layers: list[SavedLayer]
    comparisons: list[dict[str, Any]]


def layer_to_json(job) -> dict[str, Any]:
    """One ``LayerJob`` (read through its public attributes) as a JSON-safe dict."""
    replaced = job.status == "replaced"
    return {
        "path": job.path,
        "meta": job.meta,
        "in_projection": job.in_projection.to_json() if job.in_projection else None,
        "out_projection": job.out_projection.to_json() if job.out_projection else None,
        "fronts": {str(d): f.to_json() for d, f in sorted(job.fronts.items())},
        "replaced": replaced,
        # the live surrogate, so constants fine-tuned after replacing survive a save
        "surrogate": _live_surrogate_json(job) if replaced else None,
    }


def _live_surrogate_json(job) -> dict[str, Any] | None:
    module = job.replacement.model.get_submodule(job.path)
    return module.to_json() if isinstance(module, SymbolicSurrogate) else None


def session_to_json(session) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "model": {
            "class": type(session.model).__name__,
            "n_parameters": int(sum(p.numel() for p in session.model.parameters())),
        },
        "layers": [layer_to_json(job) for job in session.jobs.values()],
        "comparisons": list(session.comparisons),
    }


def save_session(file, session) -> None:
    """Write the session to ``file`` atomically (a crash never leaves half a file)."""
    path = Path(file)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(session_to_json(session), indent=1, allow_nan=False))
    os.replace(tmp, path)


def read_session(file, model: nn.Module) -> SavedSession:
    """Read and validate a session file against ``model``; nothing in the file is executed.

    Raises ``ValueError`` naming the field at fault for anything malformed. The live session
    is built from the result by :meth:`symtorch_lab.session.Session.load`.
    """
    try:
        data_json = json.loads(_read_limited(file).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{file}: not a JSON session file ({exc})") from None
    except RecursionError:
        raise ValueError(f"{file}: not a JSON session file (nested too deeply)") from None
    _check_header(data_json, file)
    layers = [
        _load_layer(layer, model, f"{file}: layers[{i}]")
        for i, layer in enumerate(data_json["layers"])
    ]
    comparisons = _comparisons(data_json.get("comparisons", []), f"{file}: comparisons")
    return SavedSession(layers, comparisons)


def _read_limited(file) -> bytes:
    """The file's bytes, refused past ``MAX_FILE_BYTES`` (by its size, and by what is read)."""
    path = Path(file)
    size = path.stat().st_size
    with path.open("rb") as fh:
        blob = fh.read(MAX_FILE_BYTES + 1)
    if max(size, len(blob)) > MAX_FILE_BYTES:
        raise ValueError(
            f"{file}: {max(size, len(blob))} bytes is larger than a session file may be "
            f"(MAX_FILE_BYTES={MAX_FILE_BYTES})"
        )
    return blob


def _comparisons(value: Any, where: str) -> list[dict[str, Any]]:
    """Saved before/after records: plain numbers, strings, nulls and lists of those only."""
    if not isinstance(value, list):
        raise ValueError(f"{where} must be a list")
    out = []
    for i, record in enumerate(value):
        if not isinstance(record, Mapping) or not all(isinstance(k, str) for k in record):
            raise ValueError(f"{where}[{i}] must be an object of numbers, strings and lists")
        for key, item in record.items():
            if not _plain(item):  # NaN/inf are saved as null (Comparison.to_dict)
                raise ValueError(
                    f"{where}[{i}].{key:.60} must be finite numbers, strings, nulls or lists "
                    f"of those, got {item!r:.60}"
                )
        out.append(dict(record))
    return out


def _plain(value: Any, depth: int = 0) -> bool:
    if isinstance(value, list):
        return depth < _MAX_NESTING and all(_plain(v, depth + 1) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, str | int)


def _surrogate(value, where: str) -> SymbolicSurrogate | None:
    """The saved live surrogate (fine-tuned constants included), or None to rebuild it."""
    if value is None:
        return None
    try:
        return SymbolicSurrogate.from_json(value)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        raise ValueError(f"{where}: {exc}") from None


def _check_header(data: Any, file) -> None:
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise ValueError(f"{file}: not a symtorch_lab session (missing format {FORMAT!r})")
    version = data.get("version")
    if isinstance(version, bool) or version != VERSION:
        raise ValueError(f"{file}: session version {data.get('version')!r} is not {VERSION}")
    if not isinstance(data.get("layers"), list):
        raise ValueError(f"{file}: 'layers' must be a list")


def _load_layer(layer: Any, model: nn.Module, where: str) -> SavedLayer:
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
    _check_module_sizes(meta, model.get_submodule(path), f"{where}.meta")
    job = SavedLayer(path, meta)
    try:
        job.in_projection = _projection(layer.get("in_projection"))
        job.out_projection = _projection(layer.get("out_projection"))
        fronts = layer.get("fronts")
        if not isinstance(fronts, Mapping):
            raise ValueError("'fronts' must be an object")
        n_vars = _search_width(meta, job.in_projection)
        for key, front in fronts.items():
            if not (key.isascii() and key.isdigit()) or int(key) >= meta["n_terms"]:
                raise ValueError(f"front key {key!r} is not an output dim < n_terms")
            _check_front_json(front, n_vars, f"fronts[{key}]")
            job.fronts[int(key)] = ParetoFront.from_json(front)
        _check_layer_sizes(job)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        raise ValueError(f"{where} (module {path!r}): {exc}") from None
    if layer.get("replaced") is True:
        job.replaced = True
        job.surrogate = _surrogate(layer.get("surrogate"), f"{where}.surrogate")
        _check_replaceable(job, job.surrogate, where)
    return job


def _search_width(meta: Mapping[str, Any], in_projection: PCAProjection | None) -> int:
    """How many variables every expression of the layer reads: its inputs, or ``k_in``."""
    if in_projection is not None:
        return int(in_projection.components_.shape[0])
    return _numel(meta["input_shape"])


def _check_front_json(front: Any, n_vars: int, where: str) -> None:
    """Limits and losses of a saved front, before any candidate (expression) is built."""
    candidates = front.get("candidates") if isinstance(front, Mapping) else None
    if not isinstance(candidates, list):
        return  # ParetoFront.from_json names the missing list
    if len(candidates) > MAX_CANDIDATES:
        raise ValueError(
            f"{where}.candidates: {len(candidates)} candidates exceed the limit of "
            f"MAX_CANDIDATES={MAX_CANDIDATES} per front"
        )
    for i, cand in enumerate(candidates):
        if not isinstance(cand, Mapping):
            continue  # Candidate.from_json names it
        loss = cand.get("loss")
        if isinstance(loss, str) or (isinstance(loss, float) and not math.isfinite(loss)):
            raise ValueError(f"{where}.candidates[{i}].loss must be a finite number, got {loss!r}")
        expression = cand.get("expression")
        names = expression.get("variables") if isinstance(expression, Mapping) else None
        if isinstance(names, list) and len(names) != n_vars:
            raise ValueError(
                f"{where}.candidates[{i}].expression.variables: {len(names)} variables, but "
                f"the module's search input has {n_vars}"
            )


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
        if _numel(shape) > MAX_FEATURES:
            raise ValueError(f"{where}.{key} {shape!r:.60} exceeds {MAX_FEATURES} features")
    n_terms = out.get("n_terms")
    if not isinstance(n_terms, int) or isinstance(n_terms, bool) or n_terms < 1:
        raise ValueError(f"{where}.n_terms must be a positive integer, got {n_terms!r:.60}")
    if n_terms > _numel(out["output_shape"]):
        raise ValueError(
            f"{where}.n_terms={n_terms} exceeds the {_numel(out['output_shape'])} features "
            f"of output_shape {out['output_shape']}"
        )
    names = out.get("variable_names")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{where}.variable_names must be a list of strings")
    for key in ("n_rows", "n_seen"):  # recorded rows (optional)
        value = out.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ROWS:
            raise ValueError(f"{where}.{key} must be an integer from 0 to 2**40, got {value!r:.60}")
    for key in ("generation", "elapsed"):  # how far the saved search got (optional)
        value = out.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e12:
            raise ValueError(f"{where}.{key} must be a non-negative number, got {value!r:.60}")
    return out


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _check_module_sizes(meta: Mapping[str, Any], module: nn.Module, where: str) -> None:
    """Saved shapes against the live module, where the module states its sizes."""
    for key, attr in (("input_shape", "in_features"), ("output_shape", "out_features")):
        size = getattr(module, attr, None)
        if isinstance(size, int) and meta[key][-1:] != [size]:
            raise ValueError(
                f"{where}.{key}={meta[key]} does not match the model's "
                f"{type(module).__name__} ({attr}={size})"
            )


def _check_layer_sizes(job) -> None:
    """Projections, variable names and n_terms must agree with the saved shapes."""
    meta, proj_in, proj_out = job.meta, job.in_projection, job.out_projection
    d_in, d_out = _numel(meta["input_shape"]), _numel(meta["output_shape"])
    if proj_in is not None and proj_in.components_.shape[1] != d_in:
        raise ValueError(f"in_projection reads {proj_in.components_.shape[1]} features, not {d_in}")
    if proj_out is not None and proj_out.components_.shape[1] != d_out:
        raise ValueError(f"out_projection maps to {proj_out.components_.shape[1]} not {d_out}")
    n_terms = proj_out.components_.shape[0] if proj_out is not None else d_out
    if meta["n_terms"] != n_terms:
        raise ValueError(f"meta.n_terms={meta['n_terms']} but the layer has {n_terms} outputs")
    n_vars = proj_in.components_.shape[0] if proj_in is not None else d_in
    for dim, front in job.fronts.items():
        n = len(front.selected.expression.variable_names)
        if n != n_vars:
            raise ValueError(f"fronts[{dim}] reads {n} variables but the layer has {n_vars}")


def _check_replaceable(job, surrogate, where: str) -> None:
    """A saved surrogate must have the layer's shapes; without one every dim needs a front."""
    meta = job.meta
    if surrogate is None:
        if len(job.fronts) != meta["n_terms"]:  # keys are distinct dims < n_terms
            raise ValueError(
                f"{where}: 'replaced' without a surrogate, but only {len(job.fronts)} of "
                f"{meta['n_terms']} output dims have a front"
            )
        return
    for key, got in (("input_shape", surrogate.in_shape), ("output_shape", surrogate.out_shape)):
        if list(got) != meta[key]:
            raise ValueError(
                f"{where}.surrogate: shape {list(got)} does not match meta.{key} {meta[key]}"
            )
