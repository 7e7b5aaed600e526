"""N-body simulations with pairwise force laws (Cranmer et al. 2020), in numpy.

Why this module exists: the GNN case study of SymTorch (after Cranmer et al., "Discovering
Symbolic Models from Deep Learning with Inductive Biases", 2020) trains a graph network on
particle systems whose pairwise force law is known, distils the edge model's messages and checks
that the law comes back. The original simulator is written in JAX; this one is numpy with the
same potentials, softening ``r' = r + 0.01``, initial states and integration (RK4, every 5th step
kept). Forces are analytic: ``F_i = -sum_j U'(r'_ij) (x_i - x_j) / r_ij``, so Newton's third
law holds to rounding for every potential.

Node features are ``[x, y, (z), vx, vy, (vz), q, m]``; targets are accelerations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

SOFTENING = 0.01
DAMPING = 0.5  # "damped": spring plus a drag  -DAMPING * v  on every body (Cranmer's value)

# dU/dr' of each pair potential, as f(r', m_i m_j, q_i q_j) (broadcast over pairs)
_DU: dict[str, Callable] = {
    "spring": lambda rs, mm, qq: 2.0 * (rs - 1.0),  # U = (r' - 1)^2
    "r1": lambda rs, mm, qq: mm / rs,  # U = m1 m2 log r'
    "r2": lambda rs, mm, qq: mm / rs**2,  # U = -m1 m2 / r'
    "charge": lambda rs, mm, qq: -qq / rs**2,  # U = q1 q2 / r'
    "damped": lambda rs, mm, qq: 2.0 * (rs - 1.0),  # spring + drag on velocities
    # a spring force 2 (r' - 1) that jumps on at r' = 2 (zero closer in): no smooth potential
    "discontinuous": lambda rs, mm, qq: np.where(rs < 2.0, 0.0, 2.0 * (rs - 1.0)),
}
SYSTEMS = tuple(_DU)
DEFAULT_DT = {"spring": 1e-2, "r1": 5e-3, "r2": 1e-3, "charge": 1e-3, "damped": 2e-2,
              "discontinuous": 1e-2}  # fmt: skip

# The pairwise force each system's edge messages should be a linear transform of, in the
# derived inputs of :func:`edge_variable_names` (dx = x_j - x_i points to the other body).
FORCE_LAWS = {
    "spring": "(r - 1)/r",
    "damped": "(r - 1)/r",
    "r1": "m1*m2/r^2",
    "r2": "m1*m2/r^3",
    "charge": "q1*q2/r^3",
}


@dataclass(frozen=True)
class Simulation:
    """Frames of ``n_sims`` runs: ``states`` (n_sims, n_frames, n, 2*dim+2) holds
    ``[pos, vel, q, m]`` per body and ``accelerations`` (n_sims, n_frames, n, dim) the targets."""

    system: str
    dim: int
    dt: float
    states: np.ndarray
    accelerations: np.ndarray

    def flat(self) -> tuple[np.ndarray, np.ndarray]:
        """Frames as independent graphs: (n_graphs, n, F) and (n_graphs, n, dim)."""
        n, f = self.states.shape[2:]
        return self.states.reshape(-1, n, f), self.accelerations.reshape(-1, n, self.dim)


def pair_forces(pos: np.ndarray, q: np.ndarray, m: np.ndarray, system: str) -> np.ndarray:
    """Force on body i from body j, (..., n, n, dim); zero on the diagonal."""
    if system not in _DU:
        raise ValueError(f"science.nbody: unknown system {system!r}; known: {SYSTEMS}")
    diff = pos[..., :, None, :] - pos[..., None, :, :]  # x_i - x_j
    r = np.sqrt(np.sum(diff**2, axis=-1))
    n = pos.shape[-2]
    eye = np.eye(n, dtype=bool)
    safe_r = np.where(eye, 1.0, r)
    du = _DU[system](safe_r + SOFTENING, m[..., :, None] * m[..., None, :],
                     q[..., :, None] * q[..., None, :])  # fmt: skip
    f = -(du / safe_r)[..., None] * diff
    return np.where(eye[..., None], 0.0, f)


def accelerations(state: np.ndarray, system: str, dim: int) -> np.ndarray:
    """Accelerations (..., n, dim) of states (..., n, 2*dim+2)."""
    pos, vel = state[..., :dim], state[..., dim : 2 * dim]
    q, m = state[..., 2 * dim], state[..., 2 * dim + 1]
    acc = pair_forces(pos, q, m, system).sum(axis=-2) / m[..., None]
    if system == "damped":
        acc = acc - DAMPING * vel
    return acc


def initial_states(n_sims: int, n_bodies: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """Positions and velocities ~ N(0, 1), m = exp(N(0, 1)), q = +-1 (Cranmer et al.)."""
    pos = rng.normal(size=(n_sims, n_bodies, dim))
    vel = rng.normal(size=(n_sims, n_bodies, dim))
    q = rng.choice([-1.0, 1.0], size=(n_sims, n_bodies, 1))
    m = np.exp(rng.normal(size=(n_sims, n_bodies, 1)))
    return np.concatenate([pos, vel, q, m], axis=-1)


def rk4_step(state: np.ndarray, dt: float, system: str, dim: int) -> np.ndarray:
    """One classical Runge-Kutta step of (pos, vel); charges and masses are carried along."""

    def deriv(s):
        d = np.zeros_like(s)
        d[..., :dim] = s[..., dim : 2 * dim]
        d[..., dim : 2 * dim] = accelerations(s, system, dim)
        return d

    k1 = deriv(state)
    k2 = deriv(state + 0.5 * dt * k1)
    k3 = deriv(state + 0.5 * dt * k2)
    k4 = deriv(state + dt * k3)
    return state + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)


def simulate(
    system: str = "spring",
    *,
    n_bodies: int = 4,
    dim: int = 2,
    n_sims: int = 100,
    n_steps: int = 500,
    every: int = 5,
    dt: float | None = None,
    random_state: int = 0,
    position_scale: float = 1.0,
) -> Simulation:
    """Integrate ``n_sims`` systems for ``n_steps`` RK4 steps, keeping every ``every``-th.

    ``position_scale`` multiplies the initial positions (larger distances, for tests out of
    the training distribution).
    """
    if system not in _DU:
        raise ValueError(f"science.nbody: unknown system {system!r}; known: {SYSTEMS}")
    if dim not in (2, 3):
        raise ValueError(f"science.nbody: dim must be 2 or 3, got {dim!r}")
    if n_bodies < 2 or n_sims < 1 or n_steps < 1 or every < 1:
        raise ValueError(
            f"science.nbody: need n_bodies >= 2 and positive n_sims, n_steps, every; got "
            f"n_bodies={n_bodies}, n_sims={n_sims}, n_steps={n_steps}, every={every}"
        )
    dt = DEFAULT_DT[system] if dt is None else float(dt)
    state = initial_states(n_sims, n_bodies, dim, np.random.default_rng(random_state))
    state[..., :dim] *= position_scale
    frames = []
    for step in range(n_steps):
        if step % every == 0:
            frames.append(state)
        state = rk4_step(state, dt, system, dim)
    states = np.stack(frames, axis=1)
    return Simulation(system, dim, dt, states, accelerations(states, system, dim))


def energy(state: np.ndarray, system: str, dim: int) -> np.ndarray:
    """Total energy (kinetic + pair potentials) of conservative systems, shape (...)."""
    if system not in ("spring", "r1", "r2", "charge"):
        raise ValueError(f"science.nbody: {system!r} has no conserved energy")
    pos, vel = state[..., :dim], state[..., dim : 2 * dim]
    q, m = state[..., 2 * dim], state[..., 2 * dim + 1]
    kinetic = 0.5 * np.sum(m * np.sum(vel**2, axis=-1), axis=-1)
    r = np.sqrt(np.sum((pos[..., :, None, :] - pos[..., None, :, :]) ** 2, axis=-1))
    rs = r + SOFTENING
    mm, qq = m[..., :, None] * m[..., None, :], q[..., :, None] * q[..., None, :]
    u = {
        "spring": lambda: (rs - 1.0) ** 2,
        "r1": lambda: mm * np.log(rs),
        "r2": lambda: -mm / rs,
        "charge": lambda: qq / rs,
    }[system]()
    n = pos.shape[-2]
    upper = np.triu(np.ones((n, n), dtype=bool), k=1)
    return kinetic + np.sum(np.where(upper, u, 0.0), axis=(-2, -1))


def edge_forces(rows: np.ndarray, system: str, dim: int) -> np.ndarray:
    """True force on the receiver of each edge row ``[x_i, x_j]`` (n_edges, dim)."""
    f = 2 * dim + 2
    rows = np.asarray(rows, dtype=float)
    pos = np.stack([rows[:, :dim], rows[:, f : f + dim]], axis=1)
    q = rows[:, [2 * dim, f + 2 * dim]]
    m = rows[:, [2 * dim + 1, f + 2 * dim + 1]]
    return pair_forces(pos, q, m, system)[:, 0, 1]


# --- the case study: simulate, train a bottleneck GN, distil its messages, check the law ---

# ``small``: the CI settings (3 bodies, small MLPs, a few thousand steps); else the full run.
# The search budget is ``niterations`` (the same front on a busy machine); "timeout" is a backstop.
SETTINGS = {
    True: {"n_bodies": 3, "n_sims": 200, "n_steps": 500, "hidden": 32, "layers": 2,
           "train_steps": 3000, "lr": 1e-2, "batch_size": 256, "niterations": 200,
           "population_size": 300, "timeout": 600},
    False: {"n_bodies": 4, "n_sims": 1000, "n_steps": 500, "hidden": 128, "layers": 3,
            "train_steps": 20000, "lr": 3e-3, "batch_size": 256, "niterations": 1000,
            "population_size": 1000, "timeout": 1800},
}  # fmt: skip


def expected_law(system: str, dim: int = 2) -> str:
    """The message law a physicist expects: a linear map of Δ times the radial factor."""
    delta = ", ".join(("dx", "dy", "dz")[:dim])
    return f"a·({delta}) * {FORCE_LAWS[system]}"


def train_gn(sim: Simulation, settings: dict, *, variant: str = "bottleneck",
             random_state: int = 0, n_test: int = 500):  # fmt: skip
    """A GN trained on all frames but the last ``n_test``; returns (model, X_test, Y_test)."""
    import torch

    from .gnn import GN, train

    X, Y = sim.flat()
    torch.manual_seed(random_state)
    model = GN(X.shape[-1], sim.dim, variant=variant, hidden=settings["hidden"],
               layers=settings["layers"])  # fmt: skip
    train(model, X[:-n_test], Y[:-n_test], steps=settings["train_steps"], lr=settings["lr"],
          batch_size=settings["batch_size"], random_state=random_state)  # fmt: skip
    return model, X[-n_test:], Y[-n_test:]


def stop_when_law(system: str, dim: int, every: int = 10):
    """A Distiller callback: stop once the live front holds the force law (checked every
    ``every`` generations, on the live front's candidates)."""
    from .messages import is_force_law

    def callback(event) -> bool:
        if event.front is None or event.generation % every:
            return False
        return any(is_force_law(c.expression, FORCE_LAWS[system], dim) for c in event.front)

    return callback


def distil_messages(model, X_edges_data, system: str, dim: int, settings: dict, *,
                    random_state: int = 0, session=None):  # fmt: skip
    """Record the edge model of ``model`` on graphs ``X_edges_data`` (n_graphs, n, F) through a
    :class:`~symtorch_lab.session.Session` with the physics inputs, pick the ``dim`` widest
    message components and search them; returns ``(session, picked, fit)`` where ``fit`` is
    :func:`messages.force_fit` of the picked components on the true forces."""
    import torch

    from ..session import Session
    from .messages import edge_transforms, edge_variable_names, force_fit, pick_components

    if session is None:
        session = Session(model, torch.as_tensor(X_edges_data, dtype=torch.float32))
    rec = session.record("edge", variable_transforms=edge_transforms(dim),
                         variable_names=edge_variable_names(dim))["edge"]  # fmt: skip
    picked = pick_components(rec.Y, dim, "kl" if model.variant == "kl" else "std")
    fit = force_fit(rec.Y[:, picked], edge_forces(rec.X_raw, system, dim))
    session.distill(
        "edge", output_dims=picked, binary_operators=["+", "-", "*", "/"], maxsize=25,
        niterations=settings["niterations"], population_size=settings["population_size"],
        timeout_in_seconds=settings["timeout"], random_state=random_state,
        callbacks=[stop_when_law(system, dim)],
    )  # fmt: skip
    return session, picked, fit


def recover(system: str = "spring", dim: int = 2, small: bool = False,
            random_state: int = 0) -> dict:  # fmt: skip
    """Simulate, train a bottleneck GN, distil its messages; one row of the physics table.

    ``law_on_front`` is True when every picked message component's front holds a member that
    :func:`messages.is_force_law` proves to be the law; ``recovered`` is the lowest-loss such
    member of the first component (simplified), else the front's pick; ``r2`` the R² of the
    linear fit of the picked messages on the true force (per component).
    """
    import time

    from .messages import law_members

    if system not in FORCE_LAWS:
        raise ValueError(f"science.nbody.recover: no known law for {system!r}: {list(FORCE_LAWS)}")
    start = time.perf_counter()
    settings = SETTINGS[bool(small)]
    sim = simulate(system, n_bodies=settings["n_bodies"], dim=dim, n_sims=settings["n_sims"],
                   n_steps=settings["n_steps"], random_state=random_state)  # fmt: skip
    model, X_test, _ = train_gn(sim, settings, random_state=random_state)
    session, picked, fit = distil_messages(model, X_test, system, dim, settings,
                                           random_state=random_state)  # fmt: skip
    fronts = [session.jobs["edge"].fronts[d] for d in picked]
    members = [law_members(front, FORCE_LAWS[system], dim) for front in fronts]
    # the most accurate law member (the simplest may drop a small part of the rotation)
    found = min(members[0], key=lambda c: c.loss) if members[0] else fronts[0].selected
    expr = found.expression.simplified()
    return {
        "system": system,
        "expected": expected_law(system, dim),
        "recovered": expr.to_infix(4),
        "constants": [round(float(c), 4) for c in expr.constants],
        "r2": [round(float(v), 5) for v in fit["r2"]],
        "wall_s": round(time.perf_counter() - start, 1),
        "law_on_front": all(bool(m) for m in members),
    }
