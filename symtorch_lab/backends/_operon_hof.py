"""Hall of fame and infix formatting for the Operon driver.

Operon's final NSGA-II front holds only a handful of models, so the driver keeps its own hall
of fame: the best individual per genotype length over every generation, Pareto-filtered when
asked. Formatting is ours too, rather than ``op.InfixFormatter``: that one prints constants
with a fixed number of decimals (``1e-9`` becomes ``0.000000``), writes every variable as
``(1.000 * x)`` and knows nothing of the linear-scaling terms the fitness was computed with.

Traps of the 0.6.2 bindings handled here (docs/research §7.3): ``op.Tree(tree)`` segfaults, so
trees are copied node by node; generation-0 callbacks see empty offspring slots whose fitness
is FLT_MAX and whose second objective must not be read; in a binary node the operand written
first is the node just before it in the postfix array (``[a, b, sub]`` means ``b - a``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pyoperon as op

from .base import RawCandidate, pareto_filter

# Fitness at or above this marks an empty or failed individual (Operon uses FLT_MAX).
EMPTY_FITNESS = 1e30

# Operon node name -> how to write it. Infix symbols get (a op b); the rest are calls named
# canonically. Note pyoperon 0.6.2's NodeType.Fmin builds a node named "fmax" that computes
# the maximum (and vice versa), so nodes are always identified by name, never by type.
_INFIX = {"+": "+", "-": "-", "*": "*", "/": "/", "pow": "^"}
_CALLS = {"fmax": "max", "fmin": "min", "aq": "aq", "powabs": "powabs"}
_UNARY = frozenset(
    ("abs", "sqrt", "sqrtabs", "cbrt", "square", "exp", "log", "logabs", "log1p")
    + ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh")
)

ScaledLoss = Callable[[np.ndarray], float]  # fitted predictions (n,) -> loss


def copy_tree(tree: op.Tree) -> op.Tree:
    """Deep copy that survives the individual it came from (the copy constructor segfaults)."""
    copy = op.Tree(list(tree.Nodes))
    copy.UpdateNodes()
    return copy


def number(value: float) -> str:
    """Shortest float32 text for a constant; negatives parenthesised so any parser accepts them."""
    v = np.float32(value)
    if not np.isfinite(v):
        raise ValueError(f"constant {value!r} is not finite")
    text = str(v)
    return f"({text})" if text.startswith("-") else text


def format_tree(nodes: list, names: Mapping[int, str]) -> tuple[str, int]:
    """Infix text of an Operon postfix node list and its node count.

    The count is that of the printed expression: a variable with a weight other than 1 is
    written ``(w * x)`` and counts 3, as it would once parsed.
    """
    stack: list[tuple[str, int]] = []
    for node in nodes:
        if node.IsConstant:
            stack.append((number(node.Value), 1))
        elif node.IsVariable:
            name = names[node.HashValue]
            w = float(np.float32(node.Value))
            stack.append((name, 1) if w == 1.0 else (f"({number(w)} * {name})", 3))
        else:
            args = [stack.pop() for _ in range(node.Arity)]  # first popped = first operand
            stack.append((_apply(node.Name, [a for a, _ in args]), 1 + sum(c for _, c in args)))
    if len(stack) != 1:
        raise ValueError(f"malformed postfix tree: {len(stack)} expressions left")
    return stack[0]


def _apply(name: str, args: list[str]) -> str:
    if name in _INFIX and len(args) == 2:
        return f"({args[0]} {_INFIX[name]} {args[1]})"
    if name in _CALLS and len(args) == 2:
        return f"{_CALLS[name]}({args[0]}, {args[1]})"
    if name in _UNARY and len(args) == 1:
        return f"{name}({args[0]})"
    raise ValueError(f"Operon node {name!r} with {len(args)} operands has no infix form here")


def linear_scaling(pred: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares ``scale, offset`` for ``scale * pred + offset ≈ y``, rounded to float32.

    Rounded because the printed model carries float32 constants and its loss must be the loss
    of what is printed.
    """
    p_mean, y_mean = pred.mean(), y.mean()
    dp = pred - p_mean
    var = float(dp @ dp)
    scale = float(dp @ (y - y_mean)) / var if var > 0 else 0.0
    scale = float(np.float32(scale))
    return scale, float(np.float32(y_mean - scale * p_mean))


def mse_loss(y: np.ndarray) -> ScaledLoss:
    def loss(fitted: np.ndarray) -> float:
        r = fitted - y
        return float(r @ r) / len(r)

    return loss


class HallOfFame:
    """Best individual per genotype length across generations, described on demand.

    ``update`` only compares fitness and copies improved trees (cheap enough for every
    generation); ``front`` evaluates, scales and formats the entries that changed since the
    last call, so a per-generation progress callback costs at most ``maxsize`` evaluations.
    """

    def __init__(
        self,
        dataset: op.Dataset,
        dtable: op.DispatchTable,
        y: np.ndarray,
        names: Mapping[int, str],
        loss: ScaledLoss,
    ) -> None:
        self._dataset, self._dtable, self._y, self._names = dataset, dtable, y, names
        self._range = op.Range(0, dataset.Rows)
        self._loss = loss
        self._best: dict[int, tuple[float, op.Tree]] = {}
        self._described: dict[int, RawCandidate | None] = {}
        mean = float(np.float32(y.mean()))
        self._baseline = RawCandidate(1, loss(np.full_like(y, mean)), number(mean))

    def update(self, individuals: Iterable[op.Individual]) -> None:
        for ind in individuals:
            fitness = ind.GetFitness(0)
            if not fitness < EMPTY_FITNESS:  # empty slot (FLT_MAX) or NaN: skip
                continue
            length = int(ind.GetFitness(1))
            best = self._best.get(length)
            if best is None or fitness < best[0]:
                self._best[length] = (fitness, copy_tree(ind.Genotype))
                self._described.pop(length, None)

    def front(self) -> list[RawCandidate]:
        for length, (_, tree) in self._best.items():
            if length not in self._described:
                self._described[length] = self._describe(tree)
        described = [c for c in self._described.values() if c is not None]
        return pareto_filter([self._baseline, *described])

    def _describe(self, tree: op.Tree) -> RawCandidate | None:
        pred = op.Evaluate(self._dtable, tree, self._dataset, self._range).astype(np.float64)
        if not np.all(np.isfinite(pred)):
            return None
        scale, offset = linear_scaling(pred, self._y)
        if scale == 0.0:
            return None  # a constant model: the baseline already covers it
        try:
            body, size = format_tree(list(tree.Nodes), self._names)
        except ValueError:
            return None  # non-finite constant
        text, size = _with_scaling(body, size, scale, offset)
        value = self._loss(scale * pred + offset)
        return RawCandidate(size, value, text) if math.isfinite(value) else None


def _with_scaling(body: str, size: int, scale: float, offset: float) -> tuple[str, int]:
    if scale != 1.0:
        body, size = f"{number(scale)} * {body}", size + 2
    if offset != 0.0:
        body, size = f"{body} + {number(offset)}", size + 2
    return body, size
