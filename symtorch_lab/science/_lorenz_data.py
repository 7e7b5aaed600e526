"""Lorenz trajectories lifted to 128 dimensions, as in Champion et al. 2019 (SINDy autoencoder).

The reference is ``example_lorenz.py`` of kpchamp/SindyAutoencoders: initial conditions uniform
in a box around the attractor (centre (0, 0, 25), widths 2·(36, 48, 41)), ``t = 0, 0.02, …, 4.98``,
σ = 10, ρ = 28, β = 8/3, the state and its derivatives multiplied by 1/40, and the lift

    x(y, t) = P0(y)·z1 + P1(y)·z2 + P2(y)·z3 + P3(y)·z1³ + P4(y)·z2³ + P5(y)·z3³

with Legendre polynomials ``P_i`` on ``y = linspace(-1, 1, 128)`` (their ``linear=False``).
``ẋ`` follows by the chain rule, so the derivatives are exact, not finite differences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

SIGMA, RHO, BETA = 10.0, 28.0, 8.0 / 3.0
NORMALIZATION = 1.0 / 40.0
N_POINTS = 128
DT = 0.02
IC_MEANS = np.array([0.0, 0.0, 25.0])
IC_WIDTHS = 2.0 * np.array([36.0, 48.0, 41.0])


@dataclass(frozen=True)
class LorenzData:
    """Trajectories, one row per initial condition: ``z`` (n_ics, n_steps, 3) normalised state,
    ``dz`` its time derivative, ``x`` / ``dx`` (n_ics, n_steps, 128) the lifted data."""

    t: np.ndarray
    z: np.ndarray
    dz: np.ndarray
    x: np.ndarray
    dx: np.ndarray

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x, dx)`` flattened to (n_ics·n_steps, 128), the training rows."""
        return self.x.reshape(-1, self.x.shape[-1]), self.dx.reshape(-1, self.dx.shape[-1])


def lorenz_rhs(z: np.ndarray, sigma=SIGMA, rho=RHO, beta=BETA) -> np.ndarray:
    """``ż`` of the (unnormalised) Lorenz system for states ``z`` of shape (..., 3)."""
    x, y, w = z[..., 0], z[..., 1], z[..., 2]
    return np.stack([sigma * (y - x), x * (rho - w) - y, x * y - beta * w], axis=-1)


def legendre_modes(n_points: int = N_POINTS, n_modes: int = 6) -> np.ndarray:
    """``P_0 … P_{n_modes-1}`` evaluated on ``linspace(-1, 1, n_points)`` → (n_modes, n_points)."""
    y = np.linspace(-1.0, 1.0, n_points)
    return np.stack([np.polynomial.legendre.Legendre.basis(i)(y) for i in range(n_modes)])


def lift(z: np.ndarray, dz: np.ndarray, modes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Champion's nonlinear lift of normalised states and derivatives (…, 3) to (…, n_points)."""
    if z.shape[-1] != 3 or modes.shape[0] != 6:
        raise ValueError(f"lift: need states (..., 3) and 6 modes, got {z.shape}, {modes.shape}")
    x = z @ modes[:3] + z**3 @ modes[3:]
    dx = dz @ modes[:3] + (3.0 * z**2 * dz) @ modes[3:]
    return x, dx


def simulate(ics: np.ndarray, t: np.ndarray, sigma=SIGMA, rho=RHO, beta=BETA) -> np.ndarray:
    """Integrate every initial condition (n, 3) at once (one stacked ODE, tight tolerances)."""
    ics = np.atleast_2d(np.asarray(ics, dtype=float))
    n = len(ics)

    def rhs(_t, flat):
        return lorenz_rhs(flat.reshape(n, 3), sigma, rho, beta).reshape(-1)

    sol = solve_ivp(rhs, (t[0], t[-1]), ics.reshape(-1), t_eval=t, rtol=1e-10, atol=1e-10)
    if not sol.success:
        raise RuntimeError(f"lorenz.simulate: the integrator failed ({sol.message})")
    return sol.y.reshape(n, 3, len(t)).transpose(0, 2, 1)


def make_data(
    n_ics: int,
    *,
    n_steps: int = 250,
    n_points: int = N_POINTS,
    dt: float = DT,
    noise: float = 0.0,
    random_state: int = 0,
) -> LorenzData:
    """Champion's training data: ``n_ics`` trajectories of ``n_steps`` steps of ``dt``."""
    rng = np.random.default_rng(random_state)
    ics = IC_WIDTHS * (rng.random((n_ics, 3)) - 0.5) + IC_MEANS
    t = np.arange(n_steps) * dt
    z = simulate(ics, t)
    dz = lorenz_rhs(z)
    z, dz = z * NORMALIZATION, dz * NORMALIZATION
    x, dx = lift(z, dz, legendre_modes(n_points))
    if noise:
        x = x + noise * rng.standard_normal(x.shape)
        dx = dx + noise * rng.standard_normal(dx.shape)
    return LorenzData(t=t, z=z, dz=dz, x=x, dx=dx)


def normalized_lorenz(sigma=SIGMA, rho=RHO, beta=BETA, scale=NORMALIZATION) -> dict:
    """The Lorenz system in the normalised state ``s = scale·z`` as {(eq, monomial): coef};
    monomials are exponent tuples, e.g. ``(1, 0, 1)`` is ``s1·s3``."""
    return {
        (0, (1, 0, 0)): -sigma,
        (0, (0, 1, 0)): sigma,
        (1, (1, 0, 0)): rho,
        (1, (0, 1, 0)): -1.0,
        (1, (1, 0, 1)): -1.0 / scale,
        (2, (1, 1, 0)): 1.0 / scale,
        (2, (0, 0, 1)): -beta,
    }
