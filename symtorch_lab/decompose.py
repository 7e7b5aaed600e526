"""Search the pieces when the network splits, and put the recombined laws on the front.

When :func:`~symtorch_lab.separability.find_decomposition` finds that the distilled network
``f`` is additive or multiplicative between groups of inputs (or depends on ``x_i − x_j`` or
``x_i / x_j`` only), each piece is a smaller problem: the network is asked for ``f`` with the
other inputs held at a reference row, the piece is searched on its own inputs (recursively,
``depth`` levels), and the pieces' best candidates are recombined (sum or product, with the
reference offset) and refitted on the full data. The recombined candidates join the plain
search's candidates on one front: the plain result is never hidden, each recombined candidate
carries ``metrics["decomposed"] = 1`` and the front says which split it used.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable

import numpy as np
import torch

from ._params import loss_value
from .expression import Expression
from .front import Candidate, ParetoFront, pareto_candidates
from .polish import polish
from .separability import TOL, Decomposition, find_decomposition

KEEP = 5  # candidates kept per piece (the most accurate of its front, and its pick)


def check_network(distiller, network):
    """The network ``decompose=True`` needs (None when it is off)."""
    if not distiller.decompose:
        return None
    if network is None or not callable(network):
        raise ValueError(
            "decompose=True needs network=, the torch callable being distilled (its "
            "gradients test separability); Session.distill(..., decompose=True) passes the module"
        )
    if distiller.executor is not None:
        raise ValueError("decompose=True runs in this process: leave executor=None")
    return network


def network_column(network: Callable, dim: int) -> Callable:
    """``x -> network(x)[:, dim]`` in float64 (a module is run in its own dtype)."""

    def f(x: torch.Tensor) -> torch.Tensor:
        module_dtype = next(iter(getattr(network, "parameters", lambda: iter(()))()), None)
        xin = x.to(module_dtype.dtype) if module_dtype is not None else x
        out = network(xin)
        out = out.reshape(len(x), -1)[:, dim]
        return out.to(torch.float64)

    return f


def extend_front(distiller, front: ParetoFront, f: Callable, X, y, w) -> ParetoFront:
    """``front`` plus the candidates of a decomposed search of ``f`` (see module doc)."""
    names = distiller.variable_names_
    found = find_decomposition(f, X, tol=distiller.decompose_tol)
    if found.kind == "none":
        out = _rebuilt(front, list(front.candidates), distiller.model_selection)
        out.decomposition = "none"
        return out
    exprs = _solve(distiller, f, np.asarray(X, float), list(range(X.shape[1])), found, depth=2)
    cands = list(front.candidates)
    for expr in exprs:
        full = Expression(expr.tree, names)
        expr, loss = polish(full, X, y, w, distiller.loss)
        cands.append(Candidate(expr.complexity, loss, expr, 0.0, {"decomposed": 1.0}))
    cands = [c for c in cands if c.complexity <= distiller.maxsize * 2]
    out = _rebuilt(front, cands, distiller.model_selection)
    out.decomposition = found.describe(names)
    return out


def _rebuilt(front: ParetoFront, cands, rule) -> ParetoFront:
    out = ParetoFront(cands, model_selection=rule, noise_floor=front.noise_floor)
    out.skipped = front.skipped
    return out


def _solve(distiller, f, X, cols, found: Decomposition, depth: int) -> list[Expression]:
    """Candidate expressions (over all columns, reading only ``cols``) for ``f`` restricted
    to ``cols`` with the other inputs at the reference row."""
    ref = np.median(X, axis=0)
    restricted = _restrict(f, ref, cols)
    Z = X[:, cols]
    if found.kind in ("additive", "multiplicative"):
        pieces = []
        for group in found.groups:
            sub_cols = [cols[i] for i in group]
            sub = _found(distiller, f, X, sub_cols, depth)
            pieces.append([e.tree for e in _solve(distiller, f, X, sub_cols, sub, depth - 1)])
        at_ref = float(_values(restricted, ref[cols][None, :])[0])
        combos = _combine(pieces, found.kind, at_ref, len(found.groups))
    elif found.kind in ("translation", "scaling"):
        combos = _symmetric(distiller, restricted, Z, cols, found)
    else:
        combos = _plain(distiller, restricted, Z, cols)
    return _best(combos, X, _values(restricted, Z))


def _values(f: Callable, Z: np.ndarray) -> np.ndarray:
    """``f`` on rows ``Z`` as a float64 array, no autograd graph kept."""
    with torch.no_grad():
        return f(torch.as_tensor(Z)).detach().numpy()


def _found(distiller, f, X, cols, depth) -> Decomposition:
    if depth <= 0 or len(cols) < 2:
        return Decomposition("none")
    ref = np.median(X, axis=0)
    return find_decomposition(_restrict(f, ref, cols), X[:, cols], tol=distiller.decompose_tol)


def _restrict(f: Callable, ref: np.ndarray, cols: list[int]) -> Callable:
    def g(z: torch.Tensor) -> torch.Tensor:
        full = torch.as_tensor(ref, dtype=z.dtype).repeat(len(z), 1)
        full = full.index_copy(1, torch.as_tensor(cols), z)
        return f(full)

    return g


def _plain(distiller, restricted, Z, cols) -> list[tuple]:
    """Trees over global columns from a search of ``restricted`` on ``Z``."""
    y = _values(restricted, Z)
    front = _piece_distiller(distiller).fit(Z, y).fronts_[0]
    chosen = list(front.candidates[-KEEP:]) + [front.selected]
    return [_remap(c.expression.tree, cols) for c in {c.id: c for c in chosen}.values()]


def _symmetric(distiller, restricted, Z, cols, found: Decomposition) -> list[tuple]:
    """Search on u = x_i − x_j (or x_i / x_j) and the other inputs; substitute u back."""
    i, j = found.pair
    op = "sub" if found.kind == "translation" else "div"
    others = [k for k in range(Z.shape[1]) if k not in (i, j)]
    u = Z[:, i] - Z[:, j] if op == "sub" else Z[:, i] / Z[:, j]
    W = np.column_stack([u, Z[:, others]])
    y = _values(restricted, Z)
    front = _piece_distiller(distiller).fit(W, y).fronts_[0]
    u_tree = (op, ("var", cols[i]), ("var", cols[j]))
    mapping = {0: u_tree, **{1 + n: ("var", cols[k]) for n, k in enumerate(others)}}
    chosen = list(front.candidates[-KEEP:]) + [front.selected]
    return [_substitute(c.expression.tree, mapping) for c in {c.id: c for c in chosen}.values()]


def _combine(pieces: list[list[tuple]], kind: str, at_ref: float, k: int) -> list[tuple]:
    """Sums (minus (k−1)·f(ref)) or products (over f(ref)^(k−1)) of the pieces' trees."""
    if len(pieces) == 2:
        choices = itertools.product(*pieces)
    else:  # every piece's first tree, varying one piece at a time
        firsts = [p[0] for p in pieces]
        choices = [
            tuple(t if n == m else firsts[n] for n in range(len(pieces)))
            for m, p in enumerate(pieces)
            for t in p
        ]
    out = []
    for trees in choices:
        if kind == "additive":
            tree = _fold("add", trees)
            out.append(("add", tree, ("const", -(k - 1) * at_ref)))
        else:
            scale = 1.0 / at_ref ** (k - 1) if at_ref != 0 else 1.0
            out.append(("mul", ("const", scale), _fold("mul", trees)))
    return out


def _fold(op: str, trees) -> tuple:
    tree = trees[0]
    for t in trees[1:]:
        tree = (op, tree, t)
    return tree


def _best(trees: list[tuple], X: np.ndarray, y: np.ndarray) -> list[Expression]:
    """The non-dominated (complexity, MSE) trees, at most ``2 * KEEP``, as Expressions."""
    names = [f"x{i}" for i in range(X.shape[1])]
    cands = []
    for tree in trees:
        try:
            expr = Expression(tree, names)
        except ValueError:
            continue
        loss = loss_value(expr, X, y, np.ones(len(y)), None)
        cands.append(Candidate(expr.complexity, loss, expr))
    kept = pareto_candidates(cands)[-2 * KEEP :]
    return [c.expression for c in kept]


def _remap(tree: tuple, cols: list[int]) -> tuple:
    return _substitute(tree, {n: ("var", c) for n, c in enumerate(cols)})


def _substitute(tree: tuple, mapping: dict[int, tuple]) -> tuple:
    if tree[0] == "var":
        return mapping[tree[1]]
    if tree[0] == "const":
        return tree
    return (tree[0], *(_substitute(t, mapping) for t in tree[1:]))


def _piece_distiller(distiller):
    """A Distiller with the same settings, no callbacks, no executor, no decomposition."""
    Distiller = type(distiller)
    own = [p for p in inspect.signature(Distiller.__init__).parameters if p not in ("self",)]
    params = {p: getattr(distiller, p) for p in own if hasattr(distiller, p)}
    params.update(callbacks=(), executor=None, n_jobs=1, decompose=False, validation_fraction=0)
    params.pop("pysr_kwargs", None)
    return Distiller(**params, **dict(distiller.pysr_kwargs))


__all__ = ["extend_front", "network_column", "TOL"]
