"""Does a fitted network split into smaller problems? AI Feynman's tests on autograd gradients.

We always have the network being distilled, and it can be asked anything: its gradients and
Hessian at any point. AI Feynman (Udrescu & Tegmark 2020) got its edge on physics equations not
from a better genetic search but from such tests on a fitted network: when ``f`` splits, the
smaller pieces are searched separately and recombined (see :mod:`symtorch_lab.decompose`).

Tests, each a dimensionless residual in [0, 1] (0: holds exactly), averaged over sample rows:

- additive between inputs i, j (``f = g(.., x_i, ..) + h(.., x_j, ..)``): ``∂²f/∂x_i∂x_j = 0``;
- multiplicative (``f = g·h``): ``f·∂²f/∂x_i∂x_j − ∂f/∂x_i·∂f/∂x_j = 0``;
- translation (``f`` depends on ``x_i − x_j`` only): ``∂f/∂x_i + ∂f/∂x_j = 0``;
- scaling (``f`` depends on ``x_i / x_j`` only): ``x_i·∂f/∂x_i + x_j·∂f/∂x_j = 0``.

Groups are the connected components of the "interacts" graph (pairs whose residual is above the
tolerance); two or more groups mean the function splits.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

TOL = 0.05  # residual below which a test holds (networks are not exact; 0 for exact f)
_EPS = 1e-12


@dataclass(frozen=True)
class Decomposition:
    """How a function splits: ``kind`` "additive" | "multiplicative" (``groups`` of input
    indices), "translation" | "scaling" (``pair`` (i, j)), or "none"; ``residual`` is the
    test's largest residual across the split (smaller holds better)."""

    kind: str
    groups: tuple[tuple[int, ...], ...] = ()
    pair: tuple[int, int] | None = None
    residual: float = 0.0

    def describe(self, names: Sequence[str]) -> str:
        """``"additive: (x0, x1) + (x2)"``, ``"translation: x0 - x1"``, ``"none"``."""
        if self.kind in ("additive", "multiplicative"):
            op = " + " if self.kind == "additive" else " * "
            parts = ["(" + ", ".join(names[i] for i in g) + ")" for g in self.groups]
            return f"{self.kind}: {op.join(parts)}"
        if self.kind in ("translation", "scaling"):
            i, j = self.pair
            op = "-" if self.kind == "translation" else "/"
            return f"{self.kind}: {names[i]} {op} {names[j]}"
        return "none"


def derivatives(f: Callable, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``f(X)`` (n,), its gradient (n, d) and Hessian (n, d, d) by autograd, in float64
    where ``f`` allows it. ``f`` maps a (n, d) tensor to (n,) or (n, 1)."""
    x = torch.as_tensor(np.asarray(X, dtype=np.float64)).requires_grad_(True)
    y = _call(f, x)
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    rows = []
    for i in range(x.shape[1]):
        (h,) = torch.autograd.grad(g[:, i].sum(), x, retain_graph=True, allow_unused=True)
        rows.append(torch.zeros_like(x) if h is None else h)
    H = torch.stack(rows, dim=1)
    return y.detach().numpy(), g.detach().numpy(), H.detach().numpy()


def _call(f: Callable, x: torch.Tensor) -> torch.Tensor:
    y = f(x)
    if not torch.is_tensor(y):
        raise TypeError(
            f"the network must be a torch callable (autograd gives its derivatives); "
            f"it returned {type(y).__name__}"
        )
    y = y.to(torch.float64) if y.dtype != torch.float64 else y
    if y.dim() == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.shape != (x.shape[0],):
        raise ValueError(f"the network must give one value per row; got shape {tuple(y.shape)}")
    return y


def interactions(f: Callable, X: np.ndarray, kind: str = "additive") -> np.ndarray:
    """The (d, d) matrix of pairwise residuals of the ``kind`` test (diagonal 0)."""
    y, g, H = derivatives(f, X)
    s = np.std(X, axis=0) + _EPS
    d = X.shape[1]
    M = np.zeros((d, d))
    for i, j in itertools.combinations(range(d), 2):
        if kind == "additive":
            mixed = np.mean(np.abs(H[:, i, j])) * s[i] * s[j]
            first = 0.5 * (np.mean(np.abs(g[:, i])) * s[i] + np.mean(np.abs(g[:, j])) * s[j])
            M[i, j] = mixed / (mixed + first + _EPS)
        elif kind == "multiplicative":
            a, b = y * H[:, i, j], g[:, i] * g[:, j]
            M[i, j] = np.mean(np.abs(a - b)) / (np.mean(np.abs(a)) + np.mean(np.abs(b)) + _EPS)
        else:
            raise ValueError(f"kind must be 'additive' or 'multiplicative', got {kind!r}")
        M[j, i] = M[i, j]
    return M


def symmetry(g: np.ndarray, X: np.ndarray, i: int, j: int, kind: str) -> float:
    """Residual of the translation (``x_i − x_j``) or scaling (``x_i / x_j``) test."""
    if kind == "translation":
        a, b = g[:, i], g[:, j]
    elif kind == "scaling":
        a, b = X[:, i] * g[:, i], X[:, j] * g[:, j]
    else:
        raise ValueError(f"kind must be 'translation' or 'scaling', got {kind!r}")
    return float(np.mean(np.abs(a + b)) / (np.mean(np.abs(a) + np.abs(b)) + _EPS))


def groups_of(M: np.ndarray, tol: float) -> tuple[tuple[int, ...], ...]:
    """Connected components of the graph with an edge where ``M[i, j] > tol``."""
    d = len(M)
    seen: set[int] = set()
    out = []
    for start in range(d):
        if start in seen:
            continue
        stack, comp = [start], []
        seen.add(start)
        while stack:
            k = stack.pop()
            comp.append(k)
            for m in range(d):
                if m not in seen and M[k, m] > tol:
                    seen.add(m)
                    stack.append(m)
        out.append(tuple(sorted(comp)))
    return tuple(sorted(out))


def find_decomposition(
    f: Callable, X: np.ndarray, *, tol: float = TOL, max_rows: int = 500, random_state: int = 0
) -> Decomposition:
    """The first split that holds, in the order additive, multiplicative, translation,
    scaling (each on up to ``max_rows`` rows of ``X``); ``Decomposition("none")`` if none."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] < 2:
        return Decomposition("none")
    if len(X) > max_rows:
        X = X[np.random.default_rng(random_state).choice(len(X), max_rows, replace=False)]
    for kind in ("additive", "multiplicative"):
        M = interactions(f, X, kind)
        groups = groups_of(M, tol)
        if len(groups) > 1:
            cross = [M[i, j] for a, b in itertools.combinations(groups, 2) for i in a for j in b]
            return Decomposition(kind, groups=groups, residual=float(max(cross)))
    _, g, _ = derivatives(f, X)
    for kind in ("translation", "scaling"):
        scored = [
            (symmetry(g, X, i, j, kind), (i, j))
            for i, j in itertools.combinations(range(X.shape[1]), 2)
        ]
        residual, pair = min(scored)
        if residual <= tol:
            return Decomposition(kind, pair=pair, residual=residual)
    return Decomposition("none")
