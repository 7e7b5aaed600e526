"""The autoencoder with neural latent dynamics (SINDy-AE with an MLP in place of SINDy).

``encoder`` maps the 128-dim snapshot to a 3-dim latent ``w``, ``decoder`` maps it back and
``dynamics`` is the MLP ``ẇ = f(w)`` that the engine distils. The losses are Champion et al.'s:
reconstruction, ``ẇ`` consistency (``f(φ(x))`` against the encoder's Jacobian-vector product
``φ'(x)·ẋ``) and ``ẋ`` consistency (the decoder's JVP ``ψ'(w)·f(w)`` against ``ẋ``). Both
derivative losses are divided by the mean square of their target so that shrinking the latent
cannot make them vanish. ``model(x)`` is ``dynamics(encoder(x))``: recording the ``dynamics``
module on snapshots gives the (w, ẇ) rows the search needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.func import jvp


def _mlp(n_in: int, hidden: Sequence[int], n_out: int, act: Callable[[], nn.Module]):
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(n_in, width), act()]
        n_in = width
    layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


class LorenzAE(nn.Module):
    """Encoder 128→3, decoder 3→128 and latent dynamics MLP 3→3.

    ``linear_encoder=True`` (the default) makes the encoder one linear layer: the lift is
    linear in (z, z³), so a projection can read the state off the snapshot, and a linear
    encoder keeps the latent an affine image of it instead of an arbitrary warp.
    """

    def __init__(
        self,
        n_in: int = 128,
        latent: int = 3,
        hidden: Sequence[int] = (64, 32),
        dynamics_hidden: Sequence[int] = (64, 64),
        linear_encoder: bool = True,
    ):
        super().__init__()
        self.encoder = _mlp(n_in, () if linear_encoder else hidden, latent, nn.SiLU)
        self.decoder = _mlp(latent, tuple(reversed(hidden)), n_in, nn.SiLU)
        self.dynamics = _mlp(latent, dynamics_hidden, latent, nn.SiLU)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dynamics(self.encoder(x))


def ae_losses(model: LorenzAE, x: torch.Tensor, dx: torch.Tensor) -> dict[str, torch.Tensor]:
    """Reconstruction, ẇ-consistency and ẋ-consistency losses on a batch (relative MSEs)."""
    w, dw = jvp(model.encoder, (x,), (dx,))
    f = model.dynamics(w)
    x_hat, dx_hat = jvp(model.decoder, (w,), (f,))
    return {
        "reconstruction": ((x_hat - x) ** 2).mean() / (x**2).mean(),
        "dw": ((f - dw) ** 2).mean() / (dw.detach() ** 2).mean(),
        "dx": ((dx_hat - dx) ** 2).mean() / (dx**2).mean(),
    }


def quadratic_residual(w: torch.Tensor, dw: torch.Tensor) -> torch.Tensor:
    """How far ``ẇ`` is from a quadratic polynomial of ``w`` on a batch (relative MSE).

    The least-squares fit over the library ``[1, w_i, w_i·w_j]`` is solved in closed form and
    differentiated through: the SINDy-AE's library regression, with dense coefficients and
    used only as a prior on the latent coordinates (the dynamics stay an MLP).
    """
    n = w.shape[1]
    cols = [torch.ones_like(w[:, :1]), w]
    cols += [w[:, i : i + 1] * w[:, j : j + 1] for i in range(n) for j in range(i, n)]
    theta = torch.cat(cols, dim=1)
    xi = torch.linalg.lstsq(theta, dw).solution
    return ((theta @ xi - dw) ** 2).mean() / (dw**2).mean()


def train_ae(
    model: LorenzAE,
    x: np.ndarray,
    dx: np.ndarray,
    *,
    steps: int = 2000,
    dyn_steps: int = 4000,
    joint_steps: int = 0,
    prior_weight: float = 1.0,
    batch_size: int = 512,
    lr: float = 3e-3,
    weights: dict[str, float] | None = None,
    random_state: int = 0,
    log: Callable[[str], None] | None = None,
) -> dict[str, float]:
    """Train in three stages; returns the final losses of :func:`ae_losses` (floats).

    1. ``steps`` of Adam on the reconstruction plus ``prior_weight`` times
       :func:`quadratic_residual` of ``(w, φ'(x)·ẋ)``: without it the latent is some warp of
       the state (measured: R² 0.87–0.92 of the best affine map to z3), with it an affine
       image (R² > 0.9999);
    2. ``dyn_steps`` fitting ``dynamics`` to the encoder's ``ẇ = φ'(x)·ẋ`` with the
       autoencoder frozen (a 3→3 regression: cheap);
    3. ``joint_steps`` of all three :func:`ae_losses` together, weighted by ``weights`` (the
       SINDy-AE objective; JVPs through both nets make each step several times dearer).
    """
    X = torch.as_tensor(x, dtype=torch.float32)
    DX = torch.as_tensor(dx, dtype=torch.float32)
    if X.shape != DX.shape or X.ndim != 2:
        raise ValueError(f"train_ae: x, dx must be equal (n, d) arrays, got {X.shape}, {DX.shape}")
    gen = torch.Generator().manual_seed(random_state)
    autoencoder = [*model.encoder.parameters(), *model.decoder.parameters()]

    def first(i):
        w, dw = jvp(model.encoder, (X[i],), (DX[i],))
        loss = ((model.decoder(w) - X[i]) ** 2).mean() / (X[i] ** 2).mean()
        return loss + prior_weight * quadratic_residual(w, dw) if prior_weight else loss

    _adam(autoencoder, steps, lr, len(X), batch_size, gen, first)
    with torch.no_grad():
        W, DW = jvp(model.encoder, (X,), (DX,))
    scale = (DW**2).mean()
    _adam(
        list(model.dynamics.parameters()), dyn_steps, lr, len(X), 2 * batch_size, gen,
        lambda i: ((model.dynamics(W[i]) - DW[i]) ** 2).mean() / scale,
    )  # fmt: skip
    weights = {"reconstruction": 1.0, "dw": 0.01, "dx": 0.1, **(weights or {})}

    def joint(i):
        return sum(weights[k] * v for k, v in ae_losses(model, X[i], DX[i]).items())

    _adam(list(model.parameters()), joint_steps, lr / 10, len(X), batch_size, gen, joint)
    model.eval()
    keep = torch.randperm(len(X), generator=gen)[:4096]
    parts = {k: float(v.detach()) for k, v in ae_losses(model, X[keep], DX[keep]).items()}
    if log is not None:
        log(", ".join(f"{k} {v:.2e}" for k, v in parts.items()))
    return parts


def _adam(params, steps, lr, n_rows, batch_size, gen, loss_of) -> None:
    """``steps`` Adam steps with a cosine schedule on random batches of row indices."""
    if steps <= 0:
        return
    opt = torch.optim.Adam(params, lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps, eta_min=lr / 30)
    for _ in range(steps):
        loss = loss_of(torch.randint(n_rows, (min(batch_size, n_rows),), generator=gen))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
