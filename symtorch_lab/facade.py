"""A SymTorch-compatible facade: ``SymbolicModel`` (wrap → distill → switch).

Users of SymTorch's ``SymbolicModel`` can switch by changing the import. The names and
arguments are SymTorch's (``distill``, ``switch_to_symbolic``, ``switch_to_block``,
``show_symbolic_expression``, ``get_symbolic_function``, ``sr_params``, ``fit_params``,
``variable_transforms``), the work is done by this package's engine on Operon, and the bugs
listed in SymTorch's review are avoided: ``output_dim=0`` means dimension 0, train/eval modes
are restored, every call of the block is recorded, inputs of any rank are accepted, and no
stale cache is reused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from .distill import Distiller
from .front import ParetoFront
from .hooks import eval_mode
from .record import record
from .surrogate import SymbolicSurrogate

# SymTorch's defaults, translated to operator names Operon has (``inv`` becomes "/").
DEFAULT_SR_PARAMS = {
    "binary_operators": ["+", "*", "/"],
    "unary_operators": ["sin", "exp"],
    "niterations": 400,
}


class SymbolicModel(nn.Module):
    """Wrap a block (``nn.Module`` or any callable) so it can be distilled and switched.

    Parameters
    ----------
    block : nn.Module or callable
        The layer to interpret, or a function ``f(X) -> Y`` (model-agnostic mode).
    block_name : str, optional
        A name used in messages (SymTorch also used it for output folders).
    """

    def __init__(self, block: nn.Module | Callable, block_name: str | None = None):
        super().__init__()
        if isinstance(block, nn.Module):
            self.symtorch_block = block
        else:
            self._callable = block
        self.block_name = block_name or f"block_{id(self)}"
        self.fronts_: dict[int, ParetoFront] = {}
        self._surrogate: SymbolicSurrogate | None = None
        self._shapes: tuple[tuple[int, ...], tuple[int, ...]] | None = None
        self._transforms: tuple = ()
        self.output_dims: int | None = None

    @property
    def block(self):
        return self.symtorch_block if hasattr(self, "symtorch_block") else self._callable

    @property
    def using_symbolic(self) -> bool:
        return self._surrogate is not None

    def forward(self, x, *args, **kwargs):
        if self._surrogate is None:
            return self._run_block(x, *args, **kwargs)
        is_numpy = isinstance(x, np.ndarray)
        out = self._surrogate(torch.as_tensor(x, dtype=torch.float32) if is_numpy else x)
        return out.detach().cpu().numpy() if is_numpy else out

    def _run_block(self, x, *args, **kwargs):
        return self.block(x, *args, **kwargs)

    # --- distill -----------------------------------------------------------------------
    def distill(
        self,
        inputs,
        output_dim: int | Sequence[int] | None = None,
        parent_model: nn.Module | None = None,
        variable_transforms: Sequence[Callable] | None = None,
        save_path: str | None = None,
        sr_params: dict | None = None,
        fit_params: dict | None = None,
    ):
        """Record the block on ``inputs`` and search expressions for its outputs.

        ``inputs`` are the block's own inputs, or the parent model's inputs when
        ``parent_model`` is given. ``save_path`` is accepted for compatibility; nothing is
        written to disk. Returns the front of ``output_dim`` (an int) or a dict of fronts.
        """
        if parent_model is not None and not isinstance(self.block, nn.Module):
            raise ValueError(f"{self.block_name}: parent_model needs an nn.Module block")
        fit_params = dict(fit_params or {})
        names = fit_params.pop("variable_names", None)
        weights = fit_params.pop("weights", fit_params.pop("sample_weight", None))
        if fit_params:
            raise TypeError(f"{self.block_name}: unsupported fit_params {sorted(fit_params)}")
        X, Y = self._collect(inputs, parent_model, variable_transforms, names)
        params = {**DEFAULT_SR_PARAMS, **(sr_params or {})}
        params["unary_operators"] = [_op_name(o) for o in params.get("unary_operators", [])]
        params["binary_operators"] = [_op_name(o) for o in params.get("binary_operators", [])]
        params.pop("extra_sympy_mappings", None)
        distiller = Distiller(**params).fit(
            X, Y, weights, variable_names=names, output_dims=output_dim
        )
        self.fronts_.update(distiller.fronts_)
        self.output_dims = Y.shape[1]
        if isinstance(output_dim, int | np.integer):
            return self.fronts_[int(output_dim)]
        return {d: self.fronts_[d] for d in distiller.fronts_}

    def _collect(self, inputs, parent_model, transforms, names):
        self._transforms = tuple(transforms or ())
        if not isinstance(self.block, nn.Module):
            return self._collect_callable(inputs, names)
        surrogate, self._surrogate = self._surrogate, None  # record the real block
        try:
            with (
                record(
                    parent_model or self.symtorch_block,
                    self._block_path(parent_model),
                    max_samples=max(len(inputs), 1),
                    variable_transforms=self._transforms or None,
                    variable_names=names if self._transforms else None,
                ) as rec,
                torch.no_grad(),
                eval_mode(parent_model or self.symtorch_block),
            ):
                (parent_model or self.symtorch_block)(inputs)
        finally:
            self._surrogate = surrogate
        recording = rec[self._block_path(parent_model)]
        self._shapes = (tuple(recording.input_shape), tuple(recording.output_shape))
        return recording.X, recording.Y

    def _collect_callable(self, inputs, names):
        X = inputs.detach().cpu().numpy() if torch.is_tensor(inputs) else np.asarray(inputs)
        Y = self.block(inputs)
        Y = Y.detach().cpu().numpy() if torch.is_tensor(Y) else np.asarray(Y, dtype=float)
        Y = Y.reshape(len(X), -1)
        X = X.reshape(len(X), -1).astype(float)
        if self._transforms:
            t = torch.as_tensor(X)
            X = np.column_stack([np.asarray(f(t)).reshape(-1) for f in self._transforms])
        self._shapes = ((X.shape[1],), (Y.shape[1],))
        return X, Y

    def _block_path(self, parent_model) -> str:
        if parent_model is None:
            return ""
        for name, module in parent_model.named_modules():
            if module is self.symtorch_block:
                return name
        raise ValueError(f"{self.block_name}: the wrapped block is not a submodule of parent_model")

    # --- switch ------------------------------------------------------------------------
    def switch_to_symbolic(self, complexity: int | Sequence[int] | None = None) -> None:
        """Use the expressions in forward: PySR's pick, or the given complexity per dim."""
        missing = [d for d in range(self.output_dims or 0) if d not in self.fronts_]
        if self.output_dims is None or missing:
            raise RuntimeError(
                f"{self.block_name}: distill all output dims before switching (missing {missing})"
            )
        exprs = [self._pick(d, complexity).expression for d in range(self.output_dims)]
        in_shape, out_shape = self._shapes
        self._surrogate = SymbolicSurrogate(
            exprs,
            in_shape=in_shape,
            out_shape=out_shape,
            input_transforms=self._transforms or None,
            path=self.block_name,
        )

    def switch_to_block(self) -> None:
        """Go back to the original block."""
        self._surrogate = None

    def _pick(self, dim: int, complexity):
        front = self.fronts_[dim]
        if complexity is None:
            return front.selected
        c = complexity[dim] if isinstance(complexity, Sequence) else complexity
        return front.pick(complexity=int(c))

    # --- inspect -----------------------------------------------------------------------
    def get_symbolic_function(self, dim: int = 0, complexity: int | None = None) -> Callable:
        """The chosen expression of ``dim`` as a function; numpy in → numpy out, torch → torch."""
        if dim not in self.fronts_:
            raise KeyError(f"{self.block_name}: output dim {dim} has not been distilled")
        front = self.fronts_[dim]
        chosen = front.selected if complexity is None else _find(front, complexity)
        expr, module = chosen.expression, chosen.expression.torch()

        def f(x):
            if torch.is_tensor(x):
                return module.to(x.device)(x.reshape(len(x), -1).to(torch.float32))
            return expr.numpy(np.asarray(x, dtype=float).reshape(len(x), -1))

        return f

    def show_symbolic_expression(self, dim=None, complexity=None) -> None:
        """Print the front of each dim (pick marked), or the candidate of a given complexity."""
        dims = sorted(self.fronts_) if dim is None else np.atleast_1d(dim).tolist()
        for d in dims:
            front = self.fronts_[d]
            if complexity is None:
                print(f"Output dim {d} of {self.block_name}:\n{front!r}")
                print(f"Best: {front.selected.expression} (loss {front.selected.loss:.4g})")
            else:
                c = complexity[d] if isinstance(complexity, Sequence) else complexity
                cand = _find(front, c)
                print(f"Dimension {d} - Complexity {c}: {cand.expression} (loss {cand.loss:.4g})")


def _find(front: ParetoFront, complexity: int):
    for cand in front:
        if cand.complexity == complexity:
            return cand
    raise KeyError(f"no candidate of complexity {complexity}; have {[c.complexity for c in front]}")


def _op_name(op: str) -> str:
    """SymTorch passes Julia definitions like ``"inv(x) = 1/x"``: keep the operator name."""
    return op.split("(")[0].strip() if "=" in op else op
