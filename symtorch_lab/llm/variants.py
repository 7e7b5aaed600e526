"""What an MLP block can be swapped for, and the fused surrogate forward.

Four variants are measured side by side (SymTorch's LLM case study, research/symtorch.md §4.1):

* ``original`` -- the trained MLP;
* ``pca`` -- PCA reconstruction only: the input is projected onto ``k_in`` components and back,
  the MLP runs, and its output is projected onto ``k_out`` components and back. This is what a
  *perfect* surrogate between the components would give, so it bounds the hybrid's perplexity;
* ``skip`` -- the MLP contributes nothing (returns zeros, so the residual stream passes the
  block unchanged): the throughput bound of any replacement;
* ``hybrid`` -- the symbolic surrogate: ``k_out`` expressions of the ``k_in`` input components,
  mapped back to the hidden size.

:class:`FusedSurrogate` is the hybrid's forward for ``(batch, seq, hidden)``: one matmul into the
components, the expressions evaluated on contiguous component rows (compiled closures, no module
dispatch per term, constants cached) and one ``addmm`` back, so it costs little more than
``skip``.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn
from torch.nn import functional as F

from ..pca import PCAProjection
from ..surrogate import SymbolicSurrogate


class FusedSurrogate(SymbolicSurrogate):
    """A :class:`SymbolicSurrogate` whose forward is fused for wide ``(..., d)`` activations.

    Same expressions, projections, JSON form and checks as the parent; only ``forward``
    differs (equal outputs up to float rounding). Without ``input_transforms`` only.
    """

    @classmethod
    def from_surrogate(cls, surrogate: SymbolicSurrogate) -> FusedSurrogate:
        if surrogate.input_transforms:
            raise ValueError(
                f"module {surrogate.path!r}: a surrogate with input_transforms cannot be fused"
            )
        proj_in, proj_out = surrogate._projections
        return cls(
            [term.expression for term in surrogate.terms],
            in_shape=surrogate.in_shape,
            out_shape=surrogate.out_shape,
            in_projection=proj_in,
            out_projection=proj_out,
            path=surrogate.path,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 1 or tuple(x.shape[-1:]) != self.in_shape:
            return super().forward(x)  # the parent's check names the shape at fault
        lead = x.shape[:-1]
        rows = x.reshape(-1, self.in_shape[0])
        proj = self.in_projection
        if proj is not None:
            rows = F.linear(rows.to(proj.weight.dtype), proj.weight, proj.bias)
        cols = rows.t().contiguous()  # (k_in, N): every variable a contiguous row
        columns = cols.unbind(0)
        n = cols.shape[1]
        outs = []
        for term in self.terms:
            value = term._fn(columns, term._constants_like(cols))
            outs.append(value if value.shape == (n,) else value.expand(n))
        out = torch.stack(outs)  # (k_out, N)
        back = self.out_projection
        if back is not None:
            out = torch.addmm(back.bias, out.t(), back.weight.t())
        else:
            out = out.t()
        out = out.reshape(*lead, *self.out_shape)
        return out if out.dtype == x.dtype else out.to(x.dtype)


class PCAReconstruction(nn.Module):
    """The MLP between PCA reconstructions of its input (``k_in``) and output (``k_out``)."""

    def __init__(self, mlp: nn.Module, in_projection: PCAProjection, out_projection):
        super().__init__()
        self.mlp = mlp
        self.in_down, self.in_up = in_projection.to_module("in"), in_projection.to_module("out")
        self.out_down = out_projection.to_module("in")
        self.out_up = out_projection.to_module("out")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.mlp(self.in_up(self.in_down(x)))
        return self.out_up(self.out_down(y))


class SkipMLP(nn.Module):
    """The block's MLP switched off: zeros of the input's shape (the residual passes as is)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(x)


def pca_modules(
    originals: Mapping[str, nn.Module], projections: Mapping[str, tuple]
) -> dict[str, nn.Module]:
    """``{path: PCAReconstruction}`` from the original MLPs and ``{path: (p_in, p_out)}``."""
    return {path: PCAReconstruction(originals[path], *projections[path]) for path in originals}


def skip_modules(paths) -> dict[str, nn.Module]:
    return {path: SkipMLP() for path in paths}
