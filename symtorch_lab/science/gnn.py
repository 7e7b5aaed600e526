"""A graph network for particle systems in plain torch (no torch_geometric), after Cranmer et al.

Why this module exists: the n-body case study needs the network whose edge model is distilled.
Every pair (i, j), i != j, of a fully connected graph is an edge; the edge model (an MLP on
``[x_i, x_j]``) returns the message from j to i, messages are summed per receiving body, and
the node model (an MLP on ``[x_i, sum of messages]``) returns body i's acceleration. The edge
model is the submodule ``"edge"`` so the engine can record and replace it by its module path.

Variants (Cranmer et al. 2020): ``"standard"`` (wide messages), ``"bottleneck"`` (message dim =
spatial dim), ``"l1"`` (wide messages with an L1 penalty) and ``"kl"`` (the edge model returns a
mean and a log-variance per message component, messages are sampled while training and a KL
term to N(0, 1) is added; the mean is used in eval mode).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

VARIANTS = ("standard", "bottleneck", "l1", "kl")
L1_WEIGHT = 1e-2  # Cranmer et al.'s messages penalty
KL_WEIGHT = 1.0


def mlp(n_in: int, hidden: int, n_out: int, layers: int = 3) -> nn.Sequential:
    """``layers`` hidden ReLU layers of width ``hidden``."""
    parts: list[nn.Module] = []
    width = n_in
    for _ in range(layers):
        parts += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    return nn.Sequential(*parts, nn.Linear(width, n_out))


def edge_index(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Receivers and senders of every ordered pair (i, j), i != j (fixed order)."""
    receivers, senders = np.nonzero(~np.eye(n, dtype=bool))
    return torch.as_tensor(receivers), torch.as_tensor(senders)


class GN(nn.Module):
    """Fully connected graph network: ``forward(x (B, n, F)) -> accelerations (B, n, dim)``.

    Parameters
    ----------
    n_features : int
        Node features per body (``2*dim + 2``: position, velocity, charge, mass).
    dim : int
        Spatial dimensions (the output size).
    variant : {"standard", "bottleneck", "l1", "kl"}
    msg_dim : int, optional
        Message size; default ``dim`` for the bottleneck, 100 otherwise.
    hidden : int
        Width of both MLPs.
    """

    def __init__(
        self,
        n_features: int,
        dim: int,
        *,
        variant: str = "bottleneck",
        msg_dim: int | None = None,
        hidden: int = 300,
        layers: int = 3,
    ) -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"science.gnn: variant must be one of {VARIANTS}, got {variant!r}")
        self.variant, self.dim, self.n_features = variant, dim, n_features
        self.msg_dim = msg_dim or (dim if variant == "bottleneck" else 100)
        n_edge_out = 2 * self.msg_dim if variant == "kl" else self.msg_dim
        self.edge = mlp(2 * n_features, hidden, n_edge_out, layers)
        self.node = mlp(n_features + self.msg_dim, hidden, dim, layers)
        self._last_edge_out: torch.Tensor | None = None

    def messages(self, x: torch.Tensor) -> torch.Tensor:
        """Edge model outputs (B, n(n-1), msg) or (…, 2*msg) for KL, receivers-major order."""
        if x.dim() != 3 or x.shape[-1] != self.n_features:
            raise ValueError(
                f"science.gnn: expected node features (batch, n, {self.n_features}), "
                f"got shape {tuple(x.shape)}"
            )
        receivers, senders = edge_index(x.shape[1])
        return self.edge(torch.cat([x[:, receivers], x[:, senders]], dim=-1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.messages(x)
        self._last_edge_out = out
        msg = out
        if self.variant == "kl":
            mean, logvar = out[..., : self.msg_dim], out[..., self.msg_dim :]
            msg = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar) if self.training else mean
        n = x.shape[1]
        receivers, _ = edge_index(n)
        agg = x.new_zeros(x.shape[0], n, self.msg_dim).index_add_(1, receivers, msg)
        return self.node(torch.cat([x, agg], dim=-1))

    def regularisation(self) -> torch.Tensor:
        """The variant's penalty on the messages of the last forward pass (0 if none)."""
        out = self._last_edge_out
        if out is None or self.variant in ("standard", "bottleneck"):
            return torch.zeros(())
        if self.variant == "l1":
            return L1_WEIGHT * out.abs().mean()
        mean, logvar = out[..., : self.msg_dim], out[..., self.msg_dim :]
        kl = 0.5 * (mean**2 + torch.exp(logvar) - logvar - 1.0)
        return KL_WEIGHT * kl.sum(-1).mean()


def train(
    model: GN,
    X: np.ndarray | torch.Tensor,
    Y: np.ndarray | torch.Tensor,
    *,
    steps: int = 2000,
    batch_size: int = 64,
    lr: float = 1e-3,
    random_state: int = 0,
    log_every: int = 0,
) -> dict:
    """Adam with a one-cycle schedule on the L1 loss of accelerations plus the variant's
    penalty; returns ``{"loss": [...], "wall_s": float}`` (losses per ``log_every`` steps)."""
    X = torch.as_tensor(X, dtype=torch.float32)
    Y = torch.as_tensor(Y, dtype=torch.float32)
    if X.shape[:2] != Y.shape[:2] or Y.shape[-1] != model.dim:
        raise ValueError(
            f"science.gnn.train: X {tuple(X.shape)} and Y {tuple(Y.shape)} do not match "
            f"(expected Y (batch, n, {model.dim}))"
        )
    gen = torch.Generator().manual_seed(random_state)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    losses, start = [], time.perf_counter()
    model.train()
    for step in range(steps):
        idx = torch.randint(len(X), (batch_size,), generator=gen)
        loss = (model(X[idx]) - Y[idx]).abs().sum(-1).mean() + model.regularisation()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if log_every and step % log_every == 0:
            losses.append(float(loss.detach()))
    model.eval()
    return {"loss": losses, "wall_s": time.perf_counter() - start}
