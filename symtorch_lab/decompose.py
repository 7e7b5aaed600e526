"""Search the pieces when the network splits, and put the recombined laws on the front.

When :func:`~symtorch_lab.separability.find_decomposition` finds that the distilled network
``f`` is additive or multiplicative between groups of inputs (or depends on ``x_i − x_j`` or
``x_i / x_j`` only), each piece is a smaller problem: the network is asked for ``f`` with the
other inputs held at a reference row, the piece is searched on its own inputs (recursively,
``depth`` levels), and the pieces' best candidates are recombined (sum or product, with the
reference offset) and refitted on the full data. The recombined candidates join the plain
search's candidates on one front: the plain result is never hidden, each recombined candidate
carries ``metrics["decomposed"] = 1`` and the front says which split it used.

Budget: the tests run first (:func:`prepare`, a fraction of a second); when a split holds the
plain search gets :data:`~symtorch_lab._pieces.PLAIN_SHARE` of the budget and the pieces the
rest (:mod:`symtorch_lab._pieces`), so ``decompose=True`` costs about what a plain search costs.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from . import _pieces, fanout, units
from ._params import loss_value, subsample
from ._tree import substitute
from .expression import Expression
from .front import Candidate, ParetoFront, pareto_candidates
from .polish import polish
from .separability import TOL, Decomposition, find_decomposition

KEEP = _pieces.KEEP  # candidates kept per piece (the most accurate of its front, and its pick)


@dataclass
class Node:
    """One level of a split: ``cols`` (global input columns), the split found on them, and a
    child per group (additive / multiplicative); a node without children is one search."""

    cols: list[int]
    found: Decomposition
    children: list[Node] = field(default_factory=list)

    def leaves(self) -> list[Node]:
        return [self] if not self.children else [n for c in self.children for n in c.leaves()]


@dataclass
class Plan:
    """A dim's decomposition: the network column ``f``, the split tree (None: no split) and
    the budget report (``Distiller.decomposition_[dim]``)."""

    f: Callable
    root: Node | None
    report: dict


def check_network(distiller, network):
    """The network ``decompose=True`` needs (None when it is off)."""
    if not distiller.decompose:
        return None
    if network is None or not callable(network):
        raise ValueError(
            "decompose=True needs network=, the torch callable being distilled (its "
            "gradients test separability); Session.distill(..., decompose=True) passes the module"
        )
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


def prepare(distiller, spec, dim: int, X):
    """``(spec for the plain search, Plan)``: test the network first; when a split holds the
    plain search gets its share of the budget, else the whole budget less the test's time.
    ``(spec, None)`` when ``decompose`` is off."""
    if not distiller.decompose:
        return spec, None
    f = network_column(distiller._network, dim)
    X = np.asarray(X, dtype=float)
    start = time.perf_counter()
    found = find_decomposition(f, X, tol=distiller.decompose_tol)
    root = None
    if found.kind != "none":
        root = _plan(distiller, f, X, list(range(X.shape[1])), found, depth=2)
    test_s = time.perf_counter() - start
    leaves = root.leaves() if root else []
    plain, piece = _pieces.split_budget(
        spec, test_s, len(leaves), _pieces.lanes(distiller, len(leaves))
    )
    names = distiller.variable_names_
    report = {
        "split": found.describe(names),
        "test_s": round(test_s, 4),
        "plain": plain,
        "pieces": [{"inputs": [names[c] for c in n.cols], **piece} for n in leaves],
    }
    return _pieces.with_budget(spec, plain), Plan(f, root, report)


def extend_front(distiller, front: ParetoFront, plan: Plan, X, y, w, runner=None):
    """``front`` plus the recombined candidates of the pieces' searches (see module doc);
    the pieces run in this process, or on ``runner`` (an executor's, in parallel)."""
    names = distiller.variable_names_
    if plan.root is None:
        out = _rebuilt(front, list(front.candidates), distiller.model_selection)
        out.decomposition = "none"
        return out
    X = np.asarray(X, dtype=float)
    leaves = plan.root.leaves()
    tasks = [_pieces.task(distiller, *_leaf_data(plan.f, X, n), p)
             for n, p in zip(leaves, plan.report["pieces"], strict=True)]  # fmt: skip
    results = _pieces.search_all(distiller, tasks, runner)
    trees = []
    for node, piece, result in zip(leaves, plan.report["pieces"], results, strict=True):
        found_trees, piece["generations"] = result if result is not None else ([], 0)
        trees.append(_leaf_trees(node, found_trees))
    exprs = _assemble(plan.f, X, plan.root, iter(trees))
    cands = list(front.candidates)
    for expr in exprs:
        expr, loss = polish(Expression(expr.tree, names), X, y, w, distiller.loss)
        cands.append(Candidate(expr.complexity, loss, expr, 0.0, {"decomposed": 1.0}))
    cands = [c for c in cands if c.complexity <= distiller.maxsize * 2]
    out = _rebuilt(front, cands, distiller.model_selection)
    out.decomposition = plan.report["split"]
    return out


def fan_out(distiller, runner, spec, search, dims, X, Y, w, split, event_type) -> None:
    """The executor path: each dim's split is tested here (the network stays in this
    process), the plain searches run on ``runner`` with their budgets, then each dim's pieces
    run side by side on a fresh runner of the same executor and are recombined here."""
    train, val = split
    plans, specs, rows = {}, {}, {}
    for dim in search:  # the rows the worker's search gets (same draw: same random_state)
        rows[dim] = subsample(X[train], Y[train, dim], w[train], distiller.max_rows, spec)
        specs[dim], plans[dim] = prepare(distiller, spec, dim, rows[dim][0])
    fanout.fan_out(distiller, runner, specs, search, dims, X, Y, w, split, event_type)
    for dim in search:
        plan = plans[dim]
        if dim not in distiller.fronts_ or distiller._stop_event.is_set():
            continue
        n = len(plan.root.leaves()) if plan.root else 0
        pieces = fanout.runner_for(distiller.executor, _pieces.lanes(distiller, n)) if n else None
        front = extend_front(distiller, distiller.fronts_[dim], plan, *rows[dim], pieces)
        if len(val):
            front = front.rescore(X[val], Y[val, dim])
        distiller.fronts_[dim] = units.marked(distiller, front, dim)
        distiller.best_[dim] = distiller.fronts_[dim].selected
        plan.report["plain"]["generations"] = distiller.n_generations_.get(dim, 0)
        distiller.decomposition_[dim] = plan.report
        distiller._announce_final(dim, dims, 0.0)  # the extended front replaces the filed one


def _rebuilt(front: ParetoFront, cands, rule) -> ParetoFront:
    out = ParetoFront(cands, model_selection=rule, noise_floor=front.noise_floor)
    out.skipped = front.skipped
    return out


def _plan(distiller, f, X, cols, found: Decomposition, depth: int) -> Node:
    """The split tree of ``f`` restricted to ``cols`` (others at the reference row)."""
    node = Node(cols, found)
    if found.kind in ("additive", "multiplicative"):
        for group in found.groups:
            sub_cols = [cols[i] for i in group]
            sub = _found(distiller, f, X, sub_cols, depth)
            node.children.append(_plan(distiller, f, X, sub_cols, sub, depth - 1))
    return node


def _found(distiller, f, X, cols, depth) -> Decomposition:
    if depth <= 0 or len(cols) < 2:
        return Decomposition("none")
    ref = np.median(X, axis=0)
    return find_decomposition(_restrict(f, ref, cols), X[:, cols], tol=distiller.decompose_tol)


def _leaf_data(f, X, node: Node) -> tuple[np.ndarray, np.ndarray]:
    """The rows a leaf is searched on (its inputs, or u = x_i − x_j / x_i / x_j and the
    others) and the network's values there, the other inputs at the reference row."""
    Z = X[:, node.cols]
    y = _values(_restrict(f, np.median(X, axis=0), node.cols), Z)
    if node.found.kind not in ("translation", "scaling"):
        return Z, y
    i, j = node.found.pair
    others = [k for k in range(Z.shape[1]) if k not in (i, j)]
    u = Z[:, i] - Z[:, j] if node.found.kind == "translation" else Z[:, i] / Z[:, j]
    return np.column_stack([u, Z[:, others]]), y


def _leaf_trees(node: Node, trees: list[tuple]) -> list[tuple]:
    """A leaf's trees (over its search's columns) back over the global columns."""
    cols = node.cols
    if node.found.kind not in ("translation", "scaling"):
        return [substitute(t, {n: ("var", c) for n, c in enumerate(cols)}) for t in trees]
    i, j = node.found.pair
    op = "sub" if node.found.kind == "translation" else "div"
    others = [k for k in range(len(cols)) if k not in (i, j)]
    mapping = {0: (op, ("var", cols[i]), ("var", cols[j]))}
    mapping.update({1 + n: ("var", cols[k]) for n, k in enumerate(others)})
    return [substitute(t, mapping) for t in trees]


def _assemble(f, X, node: Node, leaf_trees) -> list[Expression]:
    """Candidate expressions (over all columns, reading only ``node.cols``) for ``f``
    restricted to ``node.cols``; ``leaf_trees`` yields each leaf's trees in tree order."""
    ref = np.median(X, axis=0)
    restricted = _restrict(f, ref, node.cols)
    if node.children:
        pieces = [[e.tree for e in _assemble(f, X, c, leaf_trees)] for c in node.children]
        at_ref = float(_values(restricted, ref[node.cols][None, :])[0])
        combos = _combine(pieces, node.found.kind, at_ref, len(node.children))
    else:
        combos = next(leaf_trees)
    return _best(combos, X, _values(restricted, X[:, node.cols]))


def _values(f: Callable, Z: np.ndarray) -> np.ndarray:
    """``f`` on rows ``Z`` as a float64 array, no autograd graph kept."""
    with torch.no_grad():
        return f(torch.as_tensor(Z)).detach().numpy()


def _restrict(f: Callable, ref: np.ndarray, cols: list[int]) -> Callable:
    def g(z: torch.Tensor) -> torch.Tensor:
        full = torch.as_tensor(ref, dtype=z.dtype).repeat(len(z), 1)
        full = full.index_copy(1, torch.as_tensor(cols), z)
        return f(full)

    return g


def _combine(pieces: list[list[tuple]], kind: str, at_ref: float, k: int) -> list[tuple]:
    """Sums (minus (k−1)·f(ref)) or products (over f(ref)^(k−1)) of the pieces' trees."""
    if any(not p for p in pieces):
        return []  # a piece whose search was stopped before it started
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
    kept = pareto_candidates(cands)[-2 * KEEP :] if cands else []
    return [c.expression for c in kept]


__all__ = ["Plan", "check_network", "extend_front", "fan_out", "network_column", "prepare", "TOL"]
