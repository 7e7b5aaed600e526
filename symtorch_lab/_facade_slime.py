"""The SymTorch facade's SLIME mode: ``distill(X, SLIME=True, slime_params={...})``.

SymTorch's ``slime_params`` (``x``, ``J_nn``, ``num_synthetic``, ``real_weighting``,
``nn_metric``, ``var``) map onto :class:`~symtorch_lab.slime.SlimeExplainer`: one local
explanation of each output dim at ``x`` (the block as a function of its own inputs). With
``x=None`` SymTorch runs "global SLIME", a plain search on the given inputs; so does this.
"""

from __future__ import annotations

import numpy as np
import torch

from ._facade_block import distill_params
from ._facade_state import split_fit_params
from .distill import Distiller
from .front import ParetoFront
from .slime import SlimeExplainer

SLIME_DEFAULTS = {"x": None, "J_nn": 10, "num_synthetic": 100, "real_weighting": 1.0,
                  "nn_metric": "euclidean", "var": None, "kernel_width": None}  # fmt: skip


def slime_fronts(wrapper, inputs, dims, parent_model, transforms, sr_params, fit_params,
                 slime_params) -> dict[int, ParetoFront]:  # fmt: skip
    """Local fronts per output dim (``wrapper.slime_explanations_`` gets the explanations)."""
    where = wrapper.block_name
    params = _params(slime_params, where)
    if parent_model is not None or transforms:
        raise ValueError(
            f"{where}: SLIME=True explains the block as a function of its own inputs; "
            "parent_model and variable_transforms are not used with it"
        )
    names, weights = split_fit_params(fit_params, where)
    if weights is not None:
        raise ValueError(f"{where}: SLIME weights its neighbourhood itself; drop fit weights")
    X = _rows(inputs)
    f = _block_function(wrapper)
    Y = f(X)
    wrapper.output_dims, wrapper._shapes = Y.shape[1], ((X.shape[1],), (Y.shape[1],))
    dims = list(range(Y.shape[1])) if dims is None else dims
    search = distill_params(sr_params)
    if params["x"] is None:  # SymTorch's "global SLIME": the plain search on these inputs
        d = Distiller(**search).fit(X, Y, variable_names=names, output_dims=dims)
        return {k: d.fronts_[k] for k in dims}
    fronts = {}
    for k in dims:
        explainer = SlimeExplainer(
            lambda Z, k=k: f(Z)[:, k], X, feature_names=names, feature_selection="none",
            real_weighting=params["real_weighting"], **search,
        )  # fmt: skip
        exp = explainer.explain_instance(
            params["x"], num_neighbours=params["J_nn"], num_synthetic=params["num_synthetic"],
            kernel_width=params["kernel_width"],
        )  # fmt: skip
        wrapper.slime_explanations_[k] = exp
        fronts[k] = exp.front
    return fronts


def _params(slime_params, where: str) -> dict:
    params = {**SLIME_DEFAULTS, **(slime_params or {})}
    unknown = sorted(set(params) - set(SLIME_DEFAULTS))
    if unknown:
        raise TypeError(f"{where}: unknown slime_params {unknown}; known: {list(SLIME_DEFAULTS)}")
    if params["nn_metric"] != "euclidean":
        raise ValueError(f"{where}: nn_metric {params['nn_metric']!r}: only 'euclidean' here")
    if params["var"] is not None:
        raise ValueError(
            f"{where}: slime_params 'var' is not taken: the sampling variance comes from the "
            "J_nn neighbours (see symtorch_lab.neighbourhood); set 'kernel_width' to widen "
            "or narrow the neighbourhood"
        )
    if params["x"] is not None and not params["num_synthetic"] > 0:
        raise ValueError(f"{where}: SLIME at a point x needs num_synthetic > 0")
    return params


def _rows(inputs) -> np.ndarray:
    X = inputs.detach().cpu().numpy() if torch.is_tensor(inputs) else np.asarray(inputs)
    return X.reshape(len(X), -1).astype(np.float64)


def _block_function(wrapper):
    """The block (never the surrogate) as numpy rows → ``(n, d_out)`` outputs."""
    block = wrapper.block

    def f(Z: np.ndarray) -> np.ndarray:
        if isinstance(block, torch.nn.Module):
            dtype = next((p.dtype for p in block.parameters()), torch.float32)
            with torch.no_grad():
                out = block(torch.as_tensor(Z, dtype=dtype))
        else:
            out = block(Z)
        out = out.detach().cpu().numpy() if torch.is_tensor(out) else np.asarray(out)
        return out.reshape(len(Z), -1).astype(np.float64)

    return f
