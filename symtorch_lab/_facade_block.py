"""What the SymTorch facade hands to the engine: a module around a callable block, and
SymTorch's search defaults translated to the engine's parameters."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

# SymTorch's defaults, translated to operator names Operon has (``inv`` becomes "/").
DEFAULT_SR_PARAMS = {
    "binary_operators": ["+", "*", "/"],
    "unary_operators": ["sin", "exp"],
    "niterations": 400,
}
_IGNORED = ("extra_sympy_mappings", "output_directory", "run_id")


def distill_params(sr_params: dict | None) -> dict:
    """SymTorch's defaults under the user's ``sr_params``, Julia definitions reduced to
    operator names; PySR-only bookkeeping keys dropped."""
    params = {**DEFAULT_SR_PARAMS, **(sr_params or {})}
    params["unary_operators"] = [_op_name(o) for o in params.get("unary_operators", [])]
    params["binary_operators"] = [_op_name(o) for o in params.get("binary_operators", [])]
    for key in _IGNORED:
        params.pop(key, None)
    return params


def _op_name(op: str) -> str:
    """SymTorch passes Julia definitions like ``"inv(x) = 1/x"``: keep the operator name."""
    return op.split("(")[0].strip() if "=" in op else op


class CallableBlock(nn.Module):
    """A model-agnostic block (sklearn ``predict``, a numpy or torch function) as a module,
    so the engine's recorder can hook it. Calls ``fn`` with numpy rows when the user's
    inputs were numpy, with the tensor otherwise; outputs become ``(n, d)`` tensors."""

    def __init__(self, fn: Callable, numpy: bool):
        super().__init__()
        self.fn, self.numpy = fn, numpy

    @staticmethod
    def as_data(inputs) -> torch.Tensor:
        if torch.is_tensor(inputs):
            return inputs.detach()
        return torch.as_tensor(np.asarray(inputs, dtype=np.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.fn(x.detach().cpu().numpy() if self.numpy else x)
        out = out.detach() if torch.is_tensor(out) else torch.as_tensor(np.asarray(out, float))
        if out.shape[:1] != x.shape[:1]:
            raise ValueError(
                f"the wrapped function returned shape {tuple(out.shape)} for {len(x)} input rows"
            )
        return out.reshape(len(x), -1).to(x.dtype)
