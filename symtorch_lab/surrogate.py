"""Symbolic surrogates and swapping them into a live model.

:class:`SymbolicSurrogate` is an ``nn.Module`` that computes a layer's outputs from closed-form
expressions (one per output dimension, optionally between PCA components) and accepts the same
tensor shapes as the module it replaces. :func:`replace` swaps modules by dotted path and
returns a handle whose ``restore()`` puts the originals back; :func:`replaced` does the same as
a context manager that restores even when the body raises.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from .expression import Expression
from .pca import PCAProjection

SURROGATE_FORMAT = 1

# module put in by replace() -> the original it stands for. Replacing a replacement (two
# sessions on one module) then keeps the real original, so no surrogate is left behind, and a
# surrogate converts its original along with itself (``model.double()``, ``.to(device)``).
_STANDS_FOR: weakref.WeakKeyDictionary[nn.Module, nn.Module] = weakref.WeakKeyDictionary()


class SymbolicSurrogate(nn.Module):
    """Replace a layer by expressions; same input and output shapes as the layer.

    Parameters
    ----------
    expressions : sequence of Expression
        One per output feature (or per output PCA component when ``out_projection`` is set).
        Each reads the features of one input row (after ``in_projection`` if set).
    in_shape, out_shape : tuple of int
        Per-row feature shapes of the replaced module (``(d_in,)``, ``(d_out,)`` for a Linear);
        all leading dimensions (batch, sequence, …) pass through unchanged.
    in_projection, out_projection : PCAProjection, optional
        Wide layers: inputs are projected onto ``k_in`` components before the expressions,
        and the ``k_out`` expression outputs are mapped back to ``d_out`` features.
    input_transforms : sequence of callables, optional
        Derived features (``variable_transforms``) applied to the flat input rows.
    path : str
        Dotted path of the replaced module, used in error messages.
    """

    def __init__(
        self,
        expressions: Sequence[Expression],
        *,
        in_shape: Sequence[int],
        out_shape: Sequence[int],
        in_projection: PCAProjection | None = None,
        out_projection: PCAProjection | None = None,
        input_transforms: Sequence[Callable[[torch.Tensor], torch.Tensor]] | None = None,
        path: str = "",
    ):
        super().__init__()
        if not expressions:
            raise ValueError(f"module {path!r}: a surrogate needs at least one expression")
        self.path = path
        self.in_shape = tuple(int(s) for s in in_shape)
        self.out_shape = tuple(int(s) for s in out_shape)
        self.expressions = tuple(expressions)
        self.terms = nn.ModuleList(e.torch() for e in self.expressions)
        self.in_projection = in_projection.to_module("in") if in_projection else None
        self.out_projection = out_projection.to_module("out") if out_projection else None
        self._projections = (in_projection, out_projection)
        self.input_transforms = tuple(input_transforms or ())
        self._check_sizes()

    def _check_sizes(self) -> None:
        d_in, d_out = _numel(self.in_shape), _numel(self.out_shape)
        proj_in, proj_out = self._projections
        n_features = proj_in.components_.shape[0] if proj_in is not None else d_in
        if self.input_transforms:
            n_features = len(self.input_transforms)
        n_terms = proj_out.components_.shape[0] if proj_out is not None else d_out
        if len(self.expressions) != n_terms:
            raise ValueError(
                f"module {self.path!r}: {len(self.expressions)} expressions for {n_terms} "
                f"outputs (out_shape {self.out_shape})"
            )
        for i, expr in enumerate(self.expressions):
            if len(expr.variable_names) != n_features:
                raise ValueError(
                    f"module {self.path!r}: expression {i} reads {len(expr.variable_names)} "
                    f"variables but the surrogate provides {n_features} input features"
                )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_trail = len(self.in_shape)
        if tuple(x.shape[x.dim() - n_trail :]) != self.in_shape or x.dim() < n_trail:
            raise ValueError(
                f"module {self.path!r}: expected input (..., {', '.join(map(str, self.in_shape))})"
                f", got shape {tuple(x.shape)}"
            )
        lead = x.shape[: x.dim() - n_trail]
        rows = x.reshape(-1, _numel(self.in_shape))
        if self.input_transforms:
            rows = torch.stack([t(rows).reshape(-1) for t in self.input_transforms], dim=1)
        if self.in_projection is not None:
            rows = self.in_projection(rows)
        if len(self.terms) == 1:
            out = self.terms[0](rows).unsqueeze(1)
        else:
            out = torch.stack([term(rows) for term in self.terms], dim=1)
        if self.out_projection is not None:
            out = self.out_projection(out)
        out = out.reshape(*lead, *self.out_shape)
        return out if out.dtype == x.dtype else out.to(x.dtype)

    def _apply(self, fn, recurse=True):
        # model.double() / .to(device) while replaced: the original follows, so restore()
        # puts back a module of the model's current dtype and device.
        original = _STANDS_FOR.get(self)
        if original is not None:
            original._apply(fn, recurse)
        return super()._apply(fn, recurse)

    # --- persistence (no pickle) -------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Structure and current constants as plain JSON (transforms cannot be saved)."""
        if self.input_transforms:
            raise ValueError(
                f"module {self.path!r}: a surrogate with input_transforms cannot be saved as "
                "JSON (transforms are Python code); save the expressions and pass the same "
                "transforms to from_json()"
            )
        exprs = [term.expression for term in self.terms]
        proj_in, proj_out = self._projections
        return {
            "format": SURROGATE_FORMAT,
            "path": self.path,
            "in_shape": list(self.in_shape),
            "out_shape": list(self.out_shape),
            "expressions": [e.to_json() for e in exprs],
            "in_projection": proj_in.to_json() if proj_in is not None else None,
            "out_projection": proj_out.to_json() if proj_out is not None else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], input_transforms=None) -> SymbolicSurrogate:
        if not isinstance(data, Mapping) or data.get("format") != SURROGATE_FORMAT:
            raise ValueError(f"not a symtorch_lab surrogate (format {SURROGATE_FORMAT}) object")
        exprs = data.get("expressions")
        if not isinstance(exprs, list):
            raise ValueError("surrogate 'expressions' must be a list")

        def proj(key):
            value = data.get(key)
            return PCAProjection.from_json(value) if value is not None else None

        return cls(
            [Expression.from_json(e) for e in exprs],
            in_shape=_shape(data.get("in_shape"), "in_shape"),
            out_shape=_shape(data.get("out_shape"), "out_shape"),
            in_projection=proj("in_projection"),
            out_projection=proj("out_projection"),
            input_transforms=input_transforms,
            path=str(data.get("path", "")),
        )

    def extra_repr(self) -> str:
        exprs = "; ".join(str(e) for e in self.expressions[:4])
        more = f"; … ({len(self.expressions)} in all)" if len(self.expressions) > 4 else ""
        return f"in_shape={self.in_shape}, out_shape={self.out_shape}, [{exprs}{more}]"


class Replacement:
    """Handle returned by :func:`replace`; ``restore()`` puts the original modules back."""

    def __init__(self, model: nn.Module, originals: dict[str, nn.Module | None]):
        self.model = model
        self.originals = originals
        self.active = True

    @property
    def paths(self) -> list[str]:
        return list(self.originals)

    def restore(self) -> None:
        """Put the original modules back (idempotent)."""
        if not self.active:
            return
        freed = [p for p, m in self.originals.items() if m is None]
        if freed:
            raise RuntimeError(
                f"cannot restore {freed}: the original weights were freed (free_original=True)"
            )
        for path, original in reversed(list(self.originals.items())):
            _set_submodule(self.model, path, original)
        self.active = False

    def __repr__(self) -> str:
        state = "active" if self.active else "restored"
        return f"<Replacement of {self.paths} ({state})>"


def replace(
    model: nn.Module, mapping: Mapping[str, nn.Module], *, free_original: bool = False
) -> Replacement:
    """Swap each ``path`` of ``model`` for the given module; returns a restorable handle.

    With ``free_original=True`` the handle keeps no reference to the replaced modules, so
    their weights are freed once nothing else holds them (``restore()`` then raises).
    """
    for path, new in mapping.items():
        _get_submodule(model, path)
        if not isinstance(new, nn.Module):
            raise TypeError(f"replacement for {path!r} must be an nn.Module, got {type(new)}")
    originals: dict[str, nn.Module | None] = {}
    for path, new in mapping.items():
        old = _get_submodule(model, path)
        old = _STANDS_FOR.get(old, old)
        _set_submodule(model, path, new)
        if not free_original:
            _STANDS_FOR[new] = old
        originals[path] = None if free_original else old
    return Replacement(model, originals)


@contextlib.contextmanager
def replaced(model: nn.Module, mapping: Mapping[str, nn.Module]):
    """Context manager: modules swapped inside the block, originals back on exit."""
    handle = replace(model, mapping)
    try:
        yield handle
    finally:
        handle.restore()


def _get_submodule(model: nn.Module, path: str) -> nn.Module:
    if not path:
        raise ValueError("cannot replace the root model itself; give a submodule path")
    try:
        return model.get_submodule(path)
    except AttributeError:
        from .hooks import resolve_module

        return resolve_module(model, path)  # raises a clear error with suggestions


def _set_submodule(model: nn.Module, path: str, module: nn.Module) -> None:
    parent_path, _, name = path.rpartition(".")
    parent = model.get_submodule(parent_path) if parent_path else model
    setattr(parent, name, module)


def _numel(shape: Sequence[int]) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def _shape(value, name: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(v, int) and v > 0 for v in value):
        raise ValueError(f"surrogate {name} must be a list of positive integers, got {value!r:.60}")
    return tuple(value)
