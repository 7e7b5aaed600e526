"""The one value object for a formula: :class:`Expression`.

Everything downstream of a search (fronts, surrogates, sessions, the UI) holds formulas as
``Expression`` values: an immutable, hashable tree of registry operators over numbered input
variables. One object knows how to print itself (``str``, ``latex``), how to become sympy, numpy
or a torch ``nn.Module`` (:class:`ExpressionModule`, constants as trainable parameters), how to
refit its constants and how to travel as JSON. Input from outside (backend strings, JSON files,
sympy objects) passes through whitelisting readers: nothing is ever ``eval``-ed or ``sympify``-ed.

Tree nodes are nested tuples: ``("const", float)``, ``("var", int)`` (0-based column of ``X``) or
``(opname, child, ...)`` with a canonical name from :data:`~symtorch_lab.operators.OPERATORS`.
Constants are numbered in pre-order (depth-first, left to right); that order is the order of
:attr:`Expression.constants` and of ``ExpressionModule.constants``. Operators keep their plain
mathematical meaning in every backend (``log(-1)`` is ``nan``); see :mod:`symtorch_lab.operators`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import sympy
import torch
from torch import nn

from . import _infix, _refit
from ._batches import check_arrays
from ._sympy_bridge import simplify_with_timeout, sympy_to_tree, tree_to_sympy
from ._tree import (
    compile_tree,
    free_constants,
    normalize,
    replace_constants,
    short,
    to_lists,
    validate_names,
)
from .operators import OPERATORS, Operator, canonical_operator, validate_operators

__all__ = [
    "OPERATORS",
    "Expression",
    "ExpressionModule",
    "Operator",
    "canonical_operator",
    "validate_operators",
]

Tree = tuple
JSON_VERSION = 1


@dataclass(frozen=True, init=False)
class Expression:
    """An immutable, hashable formula over named input variables.

    Parameters
    ----------
    tree : nested tuples (or lists)
        ``("const", float) | ("var", int) | (opname, child, ...)``; validated and normalised.
    variable_names : sequence of str
        Names of *all* input features (Python identifiers), in column order of ``X``.

    Examples
    --------
    >>> e = Expression.from_infix("2.5*x0^2 + cos(x1)", ["x0", "x1"])
    >>> str(e), e.complexity
    ('2.5*x0^2 + cos(x1)', 8)
    """

    tree: Tree
    variable_names: tuple[str, ...]

    def __init__(self, tree: Any, variable_names: Sequence[str]):
        names = validate_names(variable_names)
        object.__setattr__(self, "variable_names", names)
        object.__setattr__(self, "tree", normalize(tree, len(names)))

    # ----------------------------------------------------------------------- constructors

    @classmethod
    def from_infix(cls, text: str, variable_names: Sequence[str]) -> Expression:
        """Parse Operon/PySR/sympy-style infix text (see :mod:`symtorch_lab._infix`).

        Variables are matched by name; Operon's 1-based ``X1..Xn`` mean columns ``0..n-1``
        unless the given names themselves look like ``X<k>``. Unknown identifiers or functions,
        and any character outside numbers, names and ``+ - * / ^ ** ( ) ,``, raise ``ValueError``.
        """
        names = validate_names(variable_names)
        return cls(_infix.parse_infix(text, names), names)

    @classmethod
    def from_sympy(cls, expr: sympy.Expr, variable_names: Sequence[str]) -> Expression:
        """Convert a sympy expression built from whitelisted nodes only (else ``ValueError``)."""
        names = validate_names(variable_names)
        return cls(sympy_to_tree(expr, names), names)

    @classmethod
    def from_json(cls, data: dict | str) -> Expression:
        """Read :meth:`to_json` output (a dict, or its JSON text), validating every node."""
        if isinstance(data, str):
            data = json.loads(data)  # JSONDecodeError is a ValueError
        if not isinstance(data, dict) or set(data) != {"version", "variables", "tree"}:
            raise ValueError(
                "expected the keys {'version', 'variables', 'tree'} in expression JSON, "
                f"got {short(data)}"
            )
        if data["version"] != JSON_VERSION or isinstance(data["version"], bool):
            raise ValueError(f"unsupported expression JSON version {short(data['version'])}")
        if not isinstance(data["variables"], list):
            raise ValueError(f"'variables' must be a list, got {short(data['variables'])}")
        return cls(data["tree"], data["variables"])

    def to_json(self) -> dict:
        """``{"version": 1, "variables": [...], "tree": [...]}`` with lists only (exact floats)."""
        return {
            "version": JSON_VERSION,
            "variables": list(self.variable_names),
            "tree": to_lists(self.tree),
        }

    # ------------------------------------------------------------------------- structure

    @cached_property
    def complexity(self) -> int:
        """Node count, PySR's default complexity."""
        return sum(1 for _ in self._nodes())

    @cached_property
    def variables_used(self) -> tuple[int, ...]:
        """Sorted column indices the formula reads."""
        return tuple(sorted({n[1] for n in self._nodes() if n[0] == "var"}))

    @property
    def constants(self) -> np.ndarray:
        """Free constants in pre-order, float64 (a fresh copy).

        Integral exponents (the 2 in ``x^2``) are structure and not listed: refits and
        fine-tuning leave them alone (see :func:`~symtorch_lab._tree.fixed_exponent`).
        """
        return np.array(self._constant_values, dtype=np.float64)

    @cached_property
    def _constant_values(self) -> tuple[float, ...]:
        return tuple(free_constants(self.tree))

    def _nodes(self) -> Iterator[Tree]:
        stack = [self.tree]
        while stack:
            node = stack.pop()
            yield node
            if node[0] not in ("const", "var"):
                stack.extend(reversed(node[1:]))

    def with_constants(self, values: Sequence[float] | np.ndarray) -> Expression:
        """The same tree with new constants (pre-order), e.g. after fine-tuning in torch."""
        flat = np.asarray(values, dtype=np.float64).reshape(-1)
        if flat.size != len(self._constant_values):
            raise ValueError(
                f"expression {self} has {len(self._constant_values)} constants, got {flat.size}"
            )
        tree = replace_constants(self.tree, iter(flat.tolist()))
        return Expression(tree, self.variable_names)

    # --------------------------------------------------------------------------- sympy

    @cached_property
    def _symbols(self) -> tuple[sympy.Symbol, ...]:
        return tuple(sympy.Symbol(name) for name in self.variable_names)

    def sympy(self, simplify: bool = False) -> sympy.Expr:
        """The sympy form over ``Symbol(name)`` for each variable name.

        With ``simplify=True`` this runs ``sympy.simplify`` for at most one second and returns
        the plain form if it does not finish. A numeric power whose exact value would be huge
        (``9^9^9^9``) is evaluated in float64 as the tree means it (here ``oo``), so building
        the sympy form never runs for minutes.
        """
        expr = tree_to_sympy(self.tree, self._symbols)
        if simplify:
            simplified = simplify_with_timeout(expr, 1.0)
            return expr if simplified is None else simplified
        return expr

    def simplified(self, timeout_s: float = 1.0) -> Expression:
        """Sympy-simplified copy, or ``self`` if simplify times out, fails or grows the tree.

        Simplification assumes real inputs, so it may define the result where the original was
        ``nan`` (``sqrt(x)^2`` becomes ``x``). A simplification that times out is interrupted
        in its worker thread; at most two run at once.
        """
        # Real symbols: the inputs are real, and sympy then simplifies |exp(x)| or sqrt(x**2)
        # instead of keeping complex-valued caveats (re(x), ...) we cannot convert back.
        real = {s: sympy.Symbol(s.name, real=True) for s in self._symbols}
        result = simplify_with_timeout(self.sympy().xreplace(real), timeout_s)
        if result is None:
            return self
        try:
            candidate = Expression.from_sympy(result, self.variable_names)
        except ValueError:
            return self
        return candidate if candidate.complexity <= self.complexity else self

    # -------------------------------------------------------------------------- numeric

    @cached_property
    def _numpy_fn(self) -> Callable:
        return compile_tree(self.tree, "numpy")

    @cached_property
    def _torch_fn(self) -> Callable:
        return compile_tree(self.tree, "torch")

    def _check_matrix(self, X: Any) -> np.ndarray:
        if isinstance(X, torch.Tensor):
            X = X.detach().cpu().numpy()
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.variable_names):
            raise ValueError(
                f"expression {self}: expected X of shape (n_rows, {len(self.variable_names)}) "
                f"for variables {self.variable_names}, got shape {X.shape}"
            )
        return X

    def _evaluate(self, X: np.ndarray, constants: np.ndarray) -> np.ndarray:
        # views of the columns the formula reads (copying them to contiguous memory was slower)
        columns = {j: X[:, j] for j in self.variables_used}
        with np.errstate(all="ignore"):
            out = np.asarray(self._numpy_fn(columns, constants), dtype=np.float64)
        return out if out.shape == (X.shape[0],) else np.full(X.shape[0], out, dtype=np.float64)

    def numpy(self, X: Any) -> np.ndarray:
        """Evaluate on ``X`` of shape ``(n, d)`` -> float64 ``(n,)`` (``nan`` where undefined)."""
        X = self._check_matrix(X)
        return self._evaluate(X, self.constants)

    def torch(self) -> ExpressionModule:
        """A new :class:`ExpressionModule` whose constants are trainable float64 parameters."""
        return ExpressionModule(self)

    def refit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        loss: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    ) -> Expression:
        """Re-optimise the constants in float64; never returns a worse fit than ``self``.

        Parameters
        ----------
        X : array (n, d); y : array (n,) or (n, 1)
        sample_weight : array (n,), optional
            Non-negative row weights (the weighted MSE is ``sum(w r^2) / sum(w)``).
        loss : callable, optional
            ``loss(pred, target, weight) -> scalar tensor`` on float64 tensors of shape ``(n,)``
            (``weight`` is all ones without ``sample_weight``). Without it, the weighted MSE is
            minimised by ``scipy.optimize.least_squares``; with it, by torch L-BFGS.

        Returns
        -------
        Expression
            The refitted expression, or ``self`` if the refit is not finite or not better.
        """
        X = self._check_matrix(X)
        where = f"expression {self}"
        X, Y, w = check_arrays(X, y, sample_weight, where=where, single_output=True)
        if not self._constant_values:
            return self
        formula = _refit.Formula(
            self._numpy_fn, self._torch_fn, self.variables_used, self.constants
        )
        if loss is None:
            values = _refit.least_squares_constants(formula, X, Y[:, 0], w)
        else:
            values = _refit.lbfgs_constants(formula, X, Y[:, 0], w, loss)
        if values is None or not np.all(np.isfinite(values)):
            return self
        return self.with_constants(values)

    # -------------------------------------------------------------------------- display

    def latex(self, precision: int = 3) -> str:
        """LaTeX with constants rounded to ``precision`` significant digits (display only)."""
        return _infix.to_latex(self.tree, self.variable_names, precision)

    def to_infix(self, digits: int | None = 4) -> str:
        """Infix text that :meth:`from_infix` reads back; ``digits=None`` keeps exact floats."""
        return _infix.to_infix(self.tree, self.variable_names, digits=digits)

    def __str__(self) -> str:
        return self.to_infix(4)

    def __repr__(self) -> str:
        return f"Expression.from_infix({self.to_infix(None)!r}, {self.variable_names!r})"

    def _repr_latex_(self) -> str:
        return f"${self.latex()}$"

    def __getstate__(self) -> dict:
        # Cached closures cannot be pickled or deep-copied; keep only the data (torch.save of
        # a model holding an ExpressionModule, copy.deepcopy of a surrogate).
        return {"tree": self.tree, "variable_names": self.variable_names}

    def __setstate__(self, state: dict) -> None:
        Expression.__init__(self, state["tree"], state["variable_names"])


class ExpressionModule(nn.Module):
    """An :class:`Expression` as a torch module: ``forward(X (..., d)) -> (...)``.

    The constants are one float64 ``nn.Parameter`` vector (``self.constants``, pre-order), so
    the formula can be fine-tuned with any torch optimizer; :attr:`expression` reads the
    current values back. ``forward`` evaluates on ``X``'s device and dtype (constants are cast
    to it, as in hand-written code) with one torch call per tree node, whole columns at a time.
    """

    def __init__(self, expression: Expression):
        super().__init__()
        self._expression = expression
        self._fn = expression._torch_fn
        self.n_features = len(expression.variable_names)
        self._used = expression.variables_used
        self.constants = nn.Parameter(torch.tensor(expression.constants, dtype=torch.float64))

    @property
    def expression(self) -> Expression:
        """The expression with the module's current constants."""
        return self._expression.with_constants(self.constants.detach().cpu().numpy())

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.ndim < 1 or X.shape[-1] != self.n_features:
            raise ValueError(
                f"expression {self._expression}: expected input with last dim "
                f"{self.n_features}, got shape {tuple(X.shape)}"
            )
        if not X.is_floating_point():
            X = X.to(self.constants.dtype)
        out = self._fn({j: X[..., j] for j in self._used}, self._constants_like(X))
        if out.shape != X.shape[:-1]:  # constant formula: one value per row, like the others
            out = out.expand(X.shape[:-1]).clone()
        return out

    def _constants_like(self, X: torch.Tensor) -> Sequence[torch.Tensor]:
        # Inference calls on the CPU reuse the constants cast to X's dtype: the cast and unbind
        # cost as much as a small formula on a 4096-row batch. The cache is checked against
        # the values themselves, since ``constants.data[...] = v`` changes them without
        # bumping the parameter's version (the version-only key served stale constants).
        source = self.constants.detach()
        if (
            torch.is_grad_enabled() and self.constants.requires_grad
        ) or source.device.type != "cpu":
            return self.constants.to(device=X.device, dtype=X.dtype).unbind()
        key = (X.device, X.dtype, source.data_ptr())
        cached = self.__dict__.get("_cast_cache")
        if cached is None or cached[0] != key or not torch.equal(cached[1], source):
            consts = source.to(device=X.device, dtype=X.dtype).unbind()
            self.__dict__["_cast_cache"] = cached = (key, source.clone(), consts)
        return cached[2]

    def extra_repr(self) -> str:
        return str(self.expression)

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_fn", None)  # a closure: rebuilt from the expression on load
        return state

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._fn = self._expression._torch_fn
