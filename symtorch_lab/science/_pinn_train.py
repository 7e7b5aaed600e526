"""The physics-informed loss and its training loop (private to :mod:`.pinn`).

A PINN is an ordinary MLP ``u(x, t, ...)`` trained on a few measured points *and* on the
equation: the residual of the differential equation at many collocation points, the initial
and boundary conditions at their own points, each with a weight. Derivatives come from
autograd (``create_graph=True`` so the residual itself can be differentiated for the update).
Unknown physical constants are ``nn.Parameter`` scalars trained with the network.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn

Value = Callable[[torch.Tensor], torch.Tensor] | float


class Derivatives:
    """``u`` and its autograd derivatives at the points ``X`` (columns named ``names``).

    ``d("t")`` is ∂u/∂t, ``d("x", "x")`` is ∂²u/∂x²; one backward pass per order of
    differentiation, cached for the loss evaluation. ``d["x"]`` is the coordinate column
    ``x`` itself (for source terms or variable coefficients).
    """

    def __init__(self, u: torch.Tensor, X: torch.Tensor, names: Sequence[str]):
        self.u = u
        self.X = X
        self.names = tuple(names)
        self._cache: dict[tuple[str, ...], torch.Tensor] = {}  # full gradients by prefix

    def __getitem__(self, name: str) -> torch.Tensor:
        return self.X[:, self._index(name)]

    def __call__(self, *wrt: str) -> torch.Tensor:
        if not wrt:
            return self.u
        return self._gradient(tuple(wrt[:-1]))[:, self._index(wrt[-1])]

    def _gradient(self, lower: tuple[str, ...]) -> torch.Tensor:
        """All first derivatives of ``d(*lower)`` at once (one backward pass per order)."""
        if lower not in self._cache:
            (grad,) = torch.autograd.grad(self(*lower).sum(), self.X, create_graph=True)
            self._cache[lower] = grad
        return self._cache[lower]

    def _index(self, name: str) -> int:
        if name not in self.names:
            raise KeyError(f"pinn: no variable {name!r}; the domain has {list(self.names)}")
        return self.names.index(name)


@dataclass(frozen=True)
class Condition:
    """An initial or boundary condition: ``u`` (or a derivative of it) equals ``value``.

    Parameters
    ----------
    at : mapping
        The fixed coordinates, e.g. ``{"t": 0.0}`` (initial) or ``{"x": 1.0}`` (a boundary);
        the other coordinates are sampled uniformly in the domain.
    value : float or callable
        The target: a number, or ``value(X) -> (n,)`` tensor of the points ``X`` (n, d).
    weight : float
        Its weight in the loss (SymTorch's heat PINN: 5 for the initial and boundary terms).
    derivative : tuple of str
        Impose ``d(*derivative)`` instead of ``u`` (``("t",)``: an initial velocity).
    n : int
        Number of points it is imposed at.
    """

    at: Mapping[str, float]
    value: Value = 0.0
    weight: float = 1.0
    derivative: tuple[str, ...] = ()
    n: int = 100


def mlp(n_in: int, hidden: Sequence[int] = (32, 32, 32), activation=nn.Tanh) -> nn.Sequential:
    """The usual PINN network: ``n_in → hidden… → 1`` with ``activation`` between layers."""
    layers: list[nn.Module] = []
    width = n_in
    for h in hidden:
        layers += [nn.Linear(width, h), activation()]
        width = h
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


class Field(nn.Module):
    """``u(X)``, (n, d) → (n, 1), with the network as submodule ``net`` (what the Lab distils)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.net(X)


def sample(domain: Mapping[str, tuple[float, float]], n: int, gen, at=None) -> torch.Tensor:
    """``n`` uniform points in the box ``domain`` (float32), the ``at`` coordinates fixed."""
    lo = torch.tensor([float(a) for a, _ in domain.values()])
    hi = torch.tensor([float(b) for _, b in domain.values()])
    X = lo + (hi - lo) * torch.rand(n, len(domain), generator=gen)
    for name, value in (at or {}).items():
        X[:, list(domain).index(name)] = float(value)
    return X


def _target(value: Value, X: torch.Tensor) -> torch.Tensor:
    if callable(value):
        out = torch.as_tensor(value(X), dtype=X.dtype).reshape(-1)
        if out.shape[0] != X.shape[0]:
            raise ValueError(
                f"pinn: a condition's value(X) returned {tuple(out.shape)} for {X.shape[0]} points"
            )
        return out
    return torch.full((X.shape[0],), float(value), dtype=X.dtype)


@dataclass
class Problem:
    """Everything the loss needs, as tensors: points, targets, weights, the residual."""

    names: tuple[str, ...]
    residual: Callable
    collocation: torch.Tensor
    conditions: list[tuple[Condition, torch.Tensor, torch.Tensor]]
    X_data: torch.Tensor | None
    u_data: torch.Tensor | None
    residual_weight: float = 1.0
    data_weight: float = 1.0

    def losses(self, net: nn.Module, constants: SimpleNamespace) -> dict[str, torch.Tensor]:
        """Each term of the loss (mean squares), named ``data``, ``residual``, ``condition_i``."""
        terms: dict[str, torch.Tensor] = {}
        if self.X_data is not None:
            pred = net(self.X_data).reshape(-1)
            terms["data"] = self.data_weight * torch.mean((pred - self.u_data) ** 2)
        d = _derivatives(net, self.collocation, self.names)
        r = torch.as_tensor(self.residual(d.u, d, constants)).reshape(-1)
        terms["residual"] = self.residual_weight * torch.mean(r**2)
        for i, (cond, X, target) in enumerate(self.conditions):
            if cond.derivative:
                got = _derivatives(net, X, self.names)(*cond.derivative)
            else:
                got = net(X).reshape(-1)
            terms[f"condition_{i}"] = cond.weight * torch.mean((got - target) ** 2)
        return terms


def _derivatives(net: nn.Module, X: torch.Tensor, names) -> Derivatives:
    X = X.detach().requires_grad_(True)
    return Derivatives(net(X).reshape(-1), X, names)


def build_problem(domain, residual, conditions, X_data, u_data, n_collocation, gen, weights):
    """Draw the collocation and condition points once (fixed for the whole training)."""
    names = tuple(domain)
    unknown_terms = set(weights) - {"data", "residual"}
    if unknown_terms:
        raise KeyError(
            f"pinn: weights has {sorted(unknown_terms)}; only 'data' and 'residual' "
            "(conditions carry their own weight)"
        )
    conds = []
    for cond in conditions:
        unknown = set(cond.at) - set(names)
        if unknown:
            raise KeyError(f"pinn: condition at {dict(cond.at)} names {unknown} not in {names}")
        X = sample(domain, cond.n, gen, cond.at)
        conds.append((cond, X, _target(cond.value, X)))
    return Problem(
        names=names,
        residual=residual,
        collocation=sample(domain, n_collocation, gen),
        conditions=conds,
        X_data=X_data,
        u_data=u_data,
        residual_weight=float(weights.get("residual", 1.0)),
        data_weight=float(weights.get("data", 1.0)),
    )


def train(problem: Problem, net: nn.Module, constants: nn.ParameterDict, epochs: int, lr: float,
          lbfgs_steps: int = 0) -> np.ndarray:  # fmt: skip
    """Adam on the network and the constants together, then (``lbfgs_steps > 0``) L-BFGS
    from where Adam ended, as PINN practice does to settle the constants; returns the total
    loss per Adam epoch and per L-BFGS evaluation."""
    params = list(net.parameters()) + list(constants.values())
    namespace = SimpleNamespace(**constants)
    history: list[float] = []

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = sum(problem.losses(net, namespace).values())
        loss.backward()
        history.append(loss.item())
        if not math.isfinite(history[-1]):
            raise FloatingPointError(f"pinn: the loss became {history[-1]} at step {len(history)}")
        return loss

    opt = torch.optim.Adam(params, lr=lr)
    for _ in range(epochs):
        opt.step(closure)
    if lbfgs_steps > 0:
        opt = torch.optim.LBFGS(
            params, lr=1.0, max_iter=lbfgs_steps, history_size=50, line_search_fn="strong_wolfe"
        )
        opt.step(closure)
    return np.asarray(history)
