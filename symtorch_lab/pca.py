"""Linear projections that make wide layers small enough for symbolic regression.

A transformer MLP maps 1,536 features to 1,536; no symbolic search copes with that. The
SymTorch LLM case study (research/symtorch.md §4.1) fits expressions between a PCA of the
layer's inputs (32 components) and a PCA of its outputs (8 components), then runs
``inverse_transform(f(transform(x)))`` in place of the layer. This module makes that projection a
first-class, reproducible object instead of an ad-hoc sklearn call:

* fitted with torch in float64 on the data's own device (GPU activations never visit the host);
* a fixed sign convention, so refitting the same data gives the same components and therefore
  the same variables ``x0..`` for the expressions built on them;
* ``to_module`` turns it into buffers inside an ``nn.Module`` that move with ``.to(device)`` and
  land in ``state_dict``; ``to_json``/``from_json`` store it as plain lists (never pickled).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["PCAProjection", "ProjectionModule", "choose_components"]

_JSON_VERSION = 1
_JSON_KEYS = {
    "version",
    "kind",
    "n_components",
    "n_features_in",
    "n_samples",
    "center",
    "components",
    "mean",
    "explained_variance",
    "explained_variance_ratio",
}
_SVD_SOLVERS = ("auto", "full", "randomized")


def _as_rows(Z: Any, who: str) -> torch.Tensor:
    """Return ``Z`` as a finite float64 ``(n, d)`` tensor on its own device (CPU for numpy).

    Leading dimensions are flattened so ``(batch, seq, d)`` activations fit directly. MPS has no
    float64, so MPS data is fitted on the CPU.
    """
    Z = torch.as_tensor(Z)
    if Z.ndim < 2:
        raise ValueError(
            f"{who}: expected data of shape (n_samples, n_features), got {tuple(Z.shape)}"
        )
    device = Z.device if Z.device.type != "mps" else torch.device("cpu")
    rows = Z.detach().reshape(-1, Z.shape[-1]).to(device=device, dtype=torch.float64)
    if not bool(torch.isfinite(rows).all()):
        bad = int((~torch.isfinite(rows)).sum())
        raise ValueError(f"{who}: data of shape {tuple(Z.shape)} contains {bad} NaN/inf values")
    return rows


def _fix_signs(components: torch.Tensor) -> torch.Tensor:
    """Flip each row so that its largest-magnitude loading is positive (first one on ties).

    SVD determines each component only up to sign; without this, refits (or CPU vs GPU) could
    negate a component and silently flip the sign of every expression that uses it.
    """
    idx = components.abs().argmax(dim=1, keepdim=True)
    signs = torch.sign(components.gather(1, idx))
    signs[signs == 0] = 1.0
    return components * signs


def _randomized_svd(
    A: torch.Tensor, k: int, n_iter: int, random_state: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-``k`` singular values and right vectors by a seeded randomized range finder.

    Same algorithm as ``torch.pca_lowrank`` (Halko et al. 2011, QR-normalised power iterations)
    but with its own ``torch.Generator``, so results are reproducible without touching the
    global RNG state.
    """
    n, d = A.shape
    q = min(k + 10, n, d)
    gen = torch.Generator(device=A.device).manual_seed(random_state)
    omega = torch.randn(d, q, generator=gen, device=A.device, dtype=A.dtype)
    Q = torch.linalg.qr(A @ omega).Q
    for _ in range(n_iter):
        Q = torch.linalg.qr(A.mT @ Q).Q
        Q = torch.linalg.qr(A @ Q).Q
    _, S, Vh = torch.linalg.svd(Q.mT @ A, full_matrices=False)
    return S[:k], Vh[:k]


class PCAProjection:
    """Principal-component projection of the last dimension, sklearn style.

    Parameters
    ----------
    n_components : int
        Number of components ``k`` kept.
    center : bool
        Subtract the mean before projecting (``mean_`` is zero otherwise).
    svd_solver : {"auto", "full", "randomized"}
        ``"full"`` is an exact ``torch.linalg.svd``; ``"randomized"`` a seeded randomized SVD
        for large inputs. ``"auto"`` follows sklearn: exact when ``max(n, d) <= 500`` or
        ``k >= 0.8 * min(n, d)``, randomized otherwise.
    random_state : int
        Seed for the randomized solver.

    Attributes
    ----------
    components_ : torch.Tensor, (k, d) float64
        Orthonormal rows; each row's largest-magnitude loading is positive.
    mean_ : torch.Tensor, (d,) float64
    explained_variance_ : torch.Tensor, (k,) float64
    explained_variance_ratio_ : torch.Tensor, (k,) float64
    n_features_in_, n_samples_ : int
    """

    def __init__(
        self,
        n_components: int,
        center: bool = True,
        *,
        svd_solver: Literal["auto", "full", "randomized"] = "auto",
        random_state: int = 0,
    ) -> None:
        if isinstance(n_components, bool) or not isinstance(n_components, int | np.integer):
            raise TypeError(f"PCAProjection: n_components must be an int, got {n_components!r}")
        if n_components < 1:
            raise ValueError(f"PCAProjection: n_components must be >= 1, got {n_components}")
        if svd_solver not in _SVD_SOLVERS:
            raise ValueError(
                f"PCAProjection: svd_solver must be one of {_SVD_SOLVERS}, got {svd_solver!r}"
            )
        self.n_components = int(n_components)
        self.center = bool(center)
        self.svd_solver = svd_solver
        self.random_state = int(random_state)
        self._cache: dict[tuple[torch.device, torch.dtype], tuple[torch.Tensor, torch.Tensor]] = {}

    def __repr__(self) -> str:
        fitted = f", n_features_in={self.n_features_in_}" if self.is_fitted else ""
        return f"PCAProjection(n_components={self.n_components}, center={self.center}{fitted})"

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "components_")

    def fit(self, Z: Any) -> PCAProjection:
        """Fit on ``Z`` of shape ``(..., d)`` (tensor on any device, or array); returns ``self``."""
        X = _as_rows(Z, "PCAProjection.fit")
        n, d = X.shape
        k = self.n_components
        if n < 2 or k > min(n, d):
            raise ValueError(
                f"PCAProjection.fit: n_components={k} must be <= min(n_samples, n_features) "
                f"= min({n}, {d}) and n_samples >= 2 (data of shape {tuple(X.shape)})"
            )
        mean = X.mean(dim=0) if self.center else torch.zeros(d, dtype=X.dtype, device=X.device)
        Xc = X - mean
        solver = self.svd_solver
        if solver == "auto":
            solver = "full" if max(n, d) <= 500 or k >= 0.8 * min(n, d) else "randomized"
        if solver == "full":
            _, S, Vh = torch.linalg.svd(Xc, full_matrices=False)
            S, Vh = S[:k], Vh[:k]
        else:
            n_iter = 7 if k < 0.1 * min(n, d) else 4
            S, Vh = _randomized_svd(Xc, k, n_iter, self.random_state)
        variance = S.square() / (n - 1)
        total = Xc.square().sum() / (n - 1)
        self.components_ = _fix_signs(Vh).contiguous()
        self.mean_ = mean
        self.explained_variance_ = variance
        ratio = variance / total if float(total) > 0 else torch.zeros_like(variance)
        self.explained_variance_ratio_ = ratio
        self.n_features_in_ = int(d)
        self.n_samples_ = int(n)
        self._cache = {}
        return self

    def _check_fitted(self, who: str) -> None:
        if not self.is_fitted:
            raise RuntimeError(f"PCAProjection.{who}: not fitted yet; call fit(Z) first")

    def _affine(
        self, device: torch.device, dtype: torch.dtype
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(components, mean)`` cast to ``device``/``dtype``; cached so repeat calls are free."""
        key = (device, dtype)
        if key not in self._cache:
            self._cache[key] = (
                self.components_.to(device=device, dtype=dtype),
                self.mean_.to(device=device, dtype=dtype),
            )
        return self._cache[key]

    def _apply(self, Z: Any, who: str, inverse: bool) -> Any:
        self._check_fitted(who)
        expected = self.n_components if inverse else self.n_features_in_
        is_numpy = isinstance(Z, np.ndarray)
        T = torch.as_tensor(Z)
        if T.ndim == 0 or T.shape[-1] != expected:
            raise ValueError(
                f"PCAProjection.{who}: expected input with last dim {expected}, "
                f"got shape {tuple(T.shape)}"
            )
        if not T.is_floating_point():
            T = T.to(torch.float64)
        if not bool(torch.isfinite(T).all()):
            raise ValueError(
                f"PCAProjection.{who}: input of shape {tuple(T.shape)} contains NaN/inf"
            )
        W, mu = self._affine(T.device, T.dtype)
        out = T @ W + mu if inverse else (T - mu) @ W.mT
        return out.numpy() if is_numpy else out

    def transform(self, Z: Any) -> Any:
        """Project ``(..., d)`` to ``(..., k)``, keeping leading dims, device and dtype.

        NumPy in, NumPy out; integer input is computed in float64.
        """
        return self._apply(Z, "transform", inverse=False)

    def inverse_transform(self, C: Any) -> Any:
        """Map ``(..., k)`` back to ``(..., d)``, keeping leading dims, device and dtype."""
        return self._apply(C, "inverse_transform", inverse=True)

    def fit_transform(self, Z: Any) -> Any:
        return self.fit(Z).transform(Z)

    def to_module(
        self, direction: Literal["in", "out"] = "in", *, dtype: torch.dtype | None = None
    ) -> ProjectionModule:
        """The projection as an ``nn.Module`` for use inside a surrogate.

        ``"in"`` maps ``(..., d) -> (..., k)`` (``transform``); ``"out"`` maps ``(..., k) ->
        (..., d)`` (``inverse_transform``). Weights are buffers in ``dtype`` (default:
        ``torch.get_default_dtype()``) on the fit device, so ``.to(device)`` moves them and
        ``state_dict`` saves them, but optimisers leave them alone.
        """
        self._check_fitted("to_module")
        dtype = dtype or torch.get_default_dtype()
        W, mu = self.components_, self.mean_
        if direction == "in":
            weight, bias = W, -(W @ mu)  # (x - mu) W^T == x W^T - W mu, one fused addmm
        elif direction == "out":
            weight, bias = W.mT, mu
        else:
            raise ValueError(
                f"PCAProjection.to_module: direction must be 'in' or 'out', got {direction!r}"
            )
        return ProjectionModule(
            weight.to(dtype).contiguous(), bias.to(dtype).contiguous(), direction
        )

    def to_json(self) -> dict[str, Any]:
        """Plain-list representation (float64 values round-trip exactly through ``json``)."""
        self._check_fitted("to_json")
        return {
            "version": _JSON_VERSION,
            "kind": "pca",
            "n_components": self.n_components,
            "n_features_in": self.n_features_in_,
            "n_samples": self.n_samples_,
            "center": self.center,
            "components": self.components_.cpu().tolist(),
            "mean": self.mean_.cpu().tolist(),
            "explained_variance": self.explained_variance_.cpu().tolist(),
            "explained_variance_ratio": self.explained_variance_ratio_.cpu().tolist(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, device: Any = "cpu") -> PCAProjection:
        """Rebuild from :meth:`to_json` output; validates keys, shapes and finiteness."""
        if not isinstance(data, dict) or set(data) != _JSON_KEYS:
            got = sorted(data) if isinstance(data, dict) else type(data).__name__
            raise ValueError(
                f"PCAProjection.from_json: expected keys {sorted(_JSON_KEYS)}, got {got}"
            )
        if data["version"] != _JSON_VERSION or data["kind"] != "pca":
            raise ValueError(
                "PCAProjection.from_json: unsupported version/kind "
                f"{data['version']!r}/{data['kind']!r}"
            )
        k, d, n = data["n_components"], data["n_features_in"], data["n_samples"]
        for name, value in (("n_features_in", d), ("n_samples", n)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"PCAProjection.from_json: '{name}' must be a positive int, got {value!r}"
                )
        obj = cls(k, center=bool(data["center"]))
        shapes = {
            "components": (k, d),
            "mean": (d,),
            "explained_variance": (k,),
            "explained_variance_ratio": (k,),
        }
        for name, shape in shapes.items():
            value = _json_array(data[name], name, shape)
            setattr(obj, name + "_", value.to(device))
        obj.n_features_in_ = d
        obj.n_samples_ = n
        return obj


def _json_array(value: Any, name: str, shape: tuple[int, ...]) -> torch.Tensor:
    """Convert a nested list to float64, refusing wrong shapes, non-numbers and NaN."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"PCAProjection.from_json: '{name}' is not a numeric array: {err}"
        ) from None
    if arr.shape != shape:
        raise ValueError(
            f"PCAProjection.from_json: '{name}' expected shape {shape}, got {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"PCAProjection.from_json: '{name}' contains NaN/inf")
    return torch.from_numpy(arr)


class ProjectionModule(nn.Module):
    """Frozen affine map ``y = x @ weight.T + bias`` built by :meth:`PCAProjection.to_module`.

    ``weight`` is ``(out_features, in_features)`` like ``nn.Linear`` but stored as a buffer: the
    projection is part of the surrogate's definition, not something to train. Inputs of another
    floating dtype are computed in the buffers' dtype and cast back.
    """

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, direction: str) -> None:
        super().__init__()
        self.register_buffer("weight", weight)
        self.register_buffer("bias", bias)
        self.direction = direction
        self.out_features, self.in_features = weight.shape

    def extra_repr(self) -> str:
        return (
            f"direction={self.direction!r}, in_features={self.in_features}, "
            f"out_features={self.out_features}"
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(
                f"ProjectionModule({self.direction!r}): expected input with last dim "
                f"{self.in_features}, got shape {tuple(x.shape)}"
            )
        if x.dtype == self.weight.dtype:
            return F.linear(x, self.weight, self.bias)
        return F.linear(x.to(self.weight.dtype), self.weight, self.bias).to(x.dtype)


def choose_components(
    Z: Any, variance: float = 0.99, max_components: int | None = None, *, center: bool = True
) -> int:
    """Smallest ``k`` whose components explain at least ``variance`` of the total variance.

    Uses the eigenvalues of the ``d x d`` Gram matrix when ``n > d`` (one matmul instead of an
    SVD of the tall data) and the singular values otherwise; capped at ``max_components``.
    """
    if not 0.0 < variance <= 1.0:
        raise ValueError(f"choose_components: variance must be in (0, 1], got {variance!r}")
    if max_components is not None and max_components < 1:
        raise ValueError(f"choose_components: max_components must be >= 1, got {max_components!r}")
    X = _as_rows(Z, "choose_components")
    if X.shape[0] < 2:
        raise ValueError(f"choose_components: need at least 2 samples, got shape {tuple(X.shape)}")
    if center:
        X = X - X.mean(dim=0)
    if X.shape[0] > X.shape[1]:
        spectrum = torch.linalg.eigvalsh(X.mT @ X).clamp_min(0).flip(0)
    else:
        spectrum = torch.linalg.svdvals(X).square()
    total = spectrum.sum()
    if float(total) == 0.0:
        k = 1
    else:
        cumulative = torch.cumsum(spectrum, 0) / total
        k = int((cumulative < variance - 1e-12).sum()) + 1
        k = min(k, spectrum.numel())
    return min(k, max_components) if max_components is not None else k
