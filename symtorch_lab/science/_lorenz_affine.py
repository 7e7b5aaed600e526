"""Compare recovered latent dynamics with Lorenz, up to an affine change of variables.

An autoencoder's latent ``w`` is at best an affine image of the normalised state ``s``:
``s ≈ M·w + b``. Fitting ``M, b`` by least squares on (latent, state) pairs and substituting
``w = M⁻¹(s − b)`` into the recovered ``ẇ = f(w)`` gives ``ṡ = M·f(M⁻¹(s − b))``, a polynomial
in ``s`` whose coefficients can be read against Lorenz's. σ, ρ and β are read off the three
coefficients that carry only them (−σ of s1 in ṡ1, ρ of s1 in ṡ2, −β of s3 in ṡ3).
The expressions are sympy objects from :class:`~symtorch_lab.expression.Expression` (no text
is parsed here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy

from ._lorenz_data import NORMALIZATION, normalized_lorenz

STATE = sympy.symbols("s1 s2 s3")


@dataclass(frozen=True)
class LorenzComparison:
    """The recovered system in the state's coordinates, next to Lorenz.

    ``coefficients`` maps (equation, monomial exponents) to (recovered, Lorenz);
    ``spurious`` is, per equation, the RMS on the data of the terms Lorenz does not have
    divided by the RMS of that equation's Lorenz right-hand side.
    """

    matrix: np.ndarray
    offset: np.ndarray
    affine_r2: np.ndarray
    equations: tuple[sympy.Expr, ...]
    coefficients: dict[tuple[int, tuple[int, ...]], tuple[float, float]]
    sigma: float
    rho: float
    beta: float
    spurious: np.ndarray = field(default_factory=lambda: np.zeros(3))
    shares: dict[tuple[int, tuple[int, ...]], float] = field(default_factory=dict)

    def max_relative_error(self) -> float:
        """Largest relative error of the Lorenz coefficients (σ, ρ, β, ±1, 1/scale)."""
        return max(abs(f - t) / abs(t) for f, t in self.coefficients.values() if t != 0)

    def is_lorenz(self, rtol: float = 0.1, spurious_tol: float = 0.1) -> bool:
        """Every Lorenz coefficient within ``rtol`` and the extra terms below ``spurious_tol``."""
        spurious_ok = bool(np.all(self.spurious <= spurious_tol))
        return self.max_relative_error() <= rtol and spurious_ok

    def simplest(self, min_share: float = 0.02, digits: int = 3) -> tuple[str, ...]:
        """The equations in ``s`` without the terms whose RMS on the data is below
        ``min_share`` of their equation's, constants to ``digits`` significant digits."""
        out = []
        for i in range(len(self.equations)):
            terms = [
                f"{sympy.Float(self._found(i, m), digits)}*{_monomial(m)}"
                for (e, m), share in sorted(self.shares.items(), key=lambda kv: sum(kv[0][1]))
                if e == i and share >= min_share
            ]
            out.append(f"ds{i + 1} = " + " + ".join(terms).replace("+ -", "- "))
        return tuple(out)

    def _found(self, eq: int, mono: tuple[int, ...]) -> float:
        return float(sympy.Poly(self.equations[eq], *STATE).coeff_monomial(mono))

    def table(self) -> str:
        """Recovered and Lorenz coefficients side by side, one monomial a line."""
        lines = [f"{'eq':<4}{'term':<10}{'recovered':>12}{'Lorenz':>12}"]
        for (eq, mono), (found, true) in sorted(self.coefficients.items()):
            lines.append(f"ds{eq + 1:<2}{_monomial(mono):<10}{found:>12.4g}{true:>12.4g}")
        return "\n".join(lines)


def fit_affine(latent: np.ndarray, state: np.ndarray):
    """Least-squares ``state ≈ latent @ M.T + b``; returns ``(M, b, R² per state column)``."""
    latent, state = np.asarray(latent, float), np.asarray(state, float)
    if latent.shape != state.shape or latent.ndim != 2:
        raise ValueError(f"fit_affine: latent {latent.shape} and state {state.shape} must match")
    design = np.column_stack([latent, np.ones(len(latent))])
    coef, *_ = np.linalg.lstsq(design, state, rcond=None)
    resid = state - design @ coef
    return coef[:-1].T, coef[-1], 1.0 - resid.var(axis=0) / state.var(axis=0)


def to_state(exprs: Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol], M, b):
    """``M·f(M⁻¹(s − b))`` expanded, in the symbols ``s1, s2, s3``."""
    if len(exprs) != len(symbols) or np.shape(M) != (len(symbols), len(symbols)):
        raise ValueError(
            f"to_state: {len(exprs)} equations, {len(symbols)} latents, matrix {np.shape(M)}"
        )
    Minv = sympy.Matrix(np.linalg.inv(M))
    s = sympy.Matrix(STATE[: len(symbols)]) - sympy.Matrix(np.asarray(b, float))
    w_of_s = dict(zip(symbols, Minv * s, strict=True))
    f = sympy.Matrix([sympy.sympify(e).xreplace(w_of_s) for e in exprs])
    return tuple(sympy.expand(v) for v in sympy.Matrix(M) * f)


def compare_to_lorenz(
    exprs: Sequence[sympy.Expr],
    symbols: Sequence[sympy.Symbol],
    latent: np.ndarray,
    state: np.ndarray,
    scale: float = NORMALIZATION,
) -> LorenzComparison:
    """Fit the affine map latent → state, transform the system and read σ, ρ, β.

    ``exprs`` must be polynomials in ``symbols`` (the search's operators ``+ - *``).
    """
    M, b, r2 = fit_affine(latent, state)
    eqs = to_state(exprs, symbols, M, b)
    found = {}
    for i, e in enumerate(eqs):
        if not e.is_polynomial(*STATE):
            raise ValueError(f"compare_to_lorenz: equation {i} is not a polynomial: {e}")
        for mono, c in sympy.Poly(e, *STATE).terms():
            found[(i, tuple(mono))] = float(c)
    truth = normalized_lorenz(scale=scale)
    coefficients = {k: (found.get(k, 0.0), t) for k, t in truth.items()}
    spurious = _spurious(found, truth, eqs, state)
    shares = _shares(found, eqs, state)
    return LorenzComparison(
        matrix=M,
        offset=b,
        affine_r2=r2,
        equations=eqs,
        coefficients=coefficients,
        sigma=-found.get((0, (1, 0, 0)), 0.0),
        rho=found.get((1, (1, 0, 0)), 0.0),
        beta=-found.get((2, (0, 0, 1)), 0.0),
        spurious=spurious,
        shares=shares,
    )


def _spurious(found, truth, eqs, state) -> np.ndarray:
    """Per equation: RMS of the non-Lorenz terms on ``state`` / RMS of Lorenz's rhs."""
    state = np.asarray(state, float)
    out = np.zeros(len(eqs))
    for i in range(len(eqs)):
        extra = {m: c for (e, m), c in found.items() if e == i and (e, m) not in truth}
        extra = _evaluate(extra, state)
        lorenz = _evaluate({m: c for (e, m), c in truth.items() if e == i}, state)
        out[i] = np.sqrt(np.mean(extra**2) / np.mean(lorenz**2))
    return out


def _shares(found, eqs, state) -> dict[tuple[int, tuple[int, ...]], float]:
    """Each term's RMS on ``state`` as a share of its equation's RMS."""
    state = np.asarray(state, float)
    out = {}
    for i in range(len(eqs)):
        terms = {m: c for (e, m), c in found.items() if e == i}
        rms = np.sqrt(np.mean(_evaluate(terms, state) ** 2))
        for m, c in terms.items():
            out[(i, m)] = float(np.sqrt(np.mean(_evaluate({m: c}, state) ** 2)) / rms)
    return out


def _evaluate(terms: dict[tuple[int, ...], float], state: np.ndarray) -> np.ndarray:
    total = np.zeros(len(state))
    for mono, c in terms.items():
        total += c * np.prod(state ** np.asarray(mono), axis=1)
    return total


def _monomial(mono: tuple[int, ...]) -> str:
    parts = [f"s{i + 1}" + (f"^{p}" if p > 1 else "") for i, p in enumerate(mono) if p]
    return "*".join(parts) or "1"
