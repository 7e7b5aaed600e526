"""Expression trees as nested tuples: validation, traversal and compilation to closures.

These are the low-level helpers behind :class:`~symtorch_lab.expression.Expression`. A tree node
is ``("const", float)``, ``("var", int)`` or ``(opname, child, ...)``; :func:`normalize` is the
single gate every tree passes (from JSON, the parser, sympy or a caller), so the rest of the
package can trust trees without re-checking them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from .operators import OPERATORS

Tree = tuple

MAX_DEPTH = 200
"""Deepest tree accepted; keeps every recursive walk far from Python's recursion limit."""


def short(value: object) -> str:
    """``repr`` cut to 80 characters, for error messages that quote untrusted input."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def validate_names(names: object) -> tuple[str, ...]:
    """Variable names as a tuple of unique identifiers (they become sympy symbols and labels)."""
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise ValueError(f"variable_names must be a sequence of str, got {short(names)}")
    for name in names:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"variable names must be Python identifiers, got {short(name)}")
    if len(set(names)) != len(names):
        raise ValueError(f"variable names must be unique, got {tuple(names)}")
    return tuple(names)


def _as_float(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{where}: constant must be a number, got {short(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"{where}: constant must be finite, got {short(value)}")
    return number


def normalize(node: object, n_vars: int, depth: int = 0) -> Tree:
    """Validate one (JSON-like) node and return it as canonical nested tuples."""
    if depth > MAX_DEPTH:
        raise ValueError(f"expression tree deeper than {MAX_DEPTH} levels")
    if not isinstance(node, (list, tuple)) or not node or not isinstance(node[0], str):
        raise ValueError(f"tree node must be a list [name, ...], got {short(node)}")
    head = node[0]
    if head == "const" and len(node) == 2:
        return ("const", _as_float(node[1], "tree"))
    if head == "var" and len(node) == 2:
        index = node[1]
        ok = isinstance(index, (int, np.integer)) and not isinstance(index, bool)
        if not ok or not 0 <= index < n_vars:
            raise ValueError(f"variable index must be an int in [0, {n_vars}), got {short(index)}")
        return ("var", int(index))
    op = OPERATORS.get(head)
    if op is None:
        raise ValueError(f"unknown operator {short(head)} in tree; valid: {', '.join(OPERATORS)}")
    if len(node) != op.arity + 1:
        raise ValueError(f"{head!r} takes {op.arity} argument(s), node has {len(node) - 1}")
    return (head, *(normalize(child, n_vars, depth + 1) for child in node[1:]))


_MAX_FIXED_EXPONENT = 2**53  # exact in float64 and in torch's int64 exponent argument


def fixed_exponent(node: Tree) -> float | None:
    """The exponent of ``x ^ k`` when ``k`` is an integral constant, else ``None``.

    Integral exponents are structure, not fitted constants: moving ``x ^ 2`` to ``x ^ 2.0001``
    makes it ``nan`` for every negative ``x``, which would wreck refits and fine-tuning. They
    are also evaluated with fast integer-power kernels (``square``, not ``exp(k * log x)``).
    """
    if node[0] == "pow" and node[2][0] == "const":
        k = node[2][1]
        if k.is_integer() and abs(k) <= _MAX_FIXED_EXPONENT:
            return k
    return None


def compile_tree(tree: Tree, backend: str) -> Callable[[Mapping[int, Any], Sequence[Any]], Any]:
    """Turn a tree into nested closures ``f(columns, constants)`` over one backend's functions.

    Built once per expression and shared by every call: evaluation is one Python call per node
    over whole columns (vectorised), and no source text is generated or executed. ``columns``
    maps a variable index to its column (only the used ones are needed); ``constants`` holds
    the free constants in pre-order (see :func:`fixed_exponent`).
    """
    counter = itertools.count()
    power = _INTEGER_POWER[backend]

    def build(node: Tree) -> Callable:
        if node[0] == "const":
            i = next(counter)
            return lambda cols, consts: consts[i]
        if node[0] == "var":
            j = node[1]
            return lambda cols, consts: cols[j]
        fn = getattr(OPERATORS[node[0]], backend)
        a = build(node[1])
        if len(node) == 2:
            return lambda cols, consts: fn(a(cols, consts))
        k = fixed_exponent(node)
        if k is not None:
            return power(a, int(k))
        b = build(node[2])
        return lambda cols, consts: fn(a(cols, consts), b(cols, consts))

    return build(tree)


def _torch_integer_power(a: Callable, k: int) -> Callable:
    fast = {1: lambda t: t, 2: torch.square, 3: lambda t: t * t * t, -1: torch.reciprocal}
    if k in fast:
        fn = fast[k]
        return lambda cols, consts: fn(a(cols, consts))
    return lambda cols, consts: torch.pow(a(cols, consts), k)


def _numpy_integer_power(a: Callable, k: int) -> Callable:
    exponent = float(k)  # numpy special-cases exponents 2 and -1 internally
    return lambda cols, consts: np.power(a(cols, consts), exponent)


_INTEGER_POWER = {"torch": _torch_integer_power, "numpy": _numpy_integer_power}


def free_constants(node: Tree) -> list[float]:
    if node[0] == "const":
        return [node[1]]
    if node[0] == "var":
        return []
    children = node[1:2] if fixed_exponent(node) is not None else node[1:]
    return [c for child in children for c in free_constants(child)]


def replace_constants(node: Tree, values: Any) -> Tree:
    if node[0] == "const":
        return ("const", next(values))
    if node[0] == "var":
        return node
    if fixed_exponent(node) is not None:
        return (node[0], replace_constants(node[1], values), node[2])
    return (node[0], *(replace_constants(child, values) for child in node[1:]))


def to_lists(node: Tree) -> list:
    if node[0] in ("const", "var"):
        return list(node)
    return [node[0], *(to_lists(child) for child in node[1:])]


def substitute(tree: tuple, mapping: dict[int, tuple]) -> tuple:
    """``tree`` with each ``("var", i)`` replaced by ``mapping[i]`` (a subtree); constants kept."""
    if tree[0] == "var":
        return mapping[tree[1]]
    if tree[0] == "const":
        return tree
    return (tree[0], *(substitute(t, mapping) for t in tree[1:]))
