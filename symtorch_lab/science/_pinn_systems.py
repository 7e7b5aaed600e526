"""Systems with a closed-form solution and one unknown constant, for :func:`.pinn.recover`.

Each entry says what a physicist would set up: the residual with the constant to learn, the
domain, initial/boundary conditions, ten measured points of the exact solution, the law the
distilled network must be (exact constants, for ``recovers``) and the constants it contains.
Heat, logistic growth and the damped oscillator train in seconds with ``small=True``; the wave
equation (two second derivatives) takes about 20 s of CPU even then.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import torch

from ._pinn_train import Condition


@dataclass(frozen=True)
class System:
    name: str
    residual: Callable
    domain: Mapping[str, tuple[float, float]]
    conditions: tuple[Condition, ...]
    constants: Mapping[str, float]  # initial values of the learnable constants
    truth: Mapping[str, float]  # their true values
    solution: Callable[[np.ndarray], np.ndarray]  # u(X), X (n, d)
    law: str  # the solution as infix with exact constants
    targets: Mapping[str, str]  # the law's constants as exact text (what front members snap to)
    unary_operators: tuple[str, ...]
    epochs: int = 3000  # Adam epochs (SymTorch's heat recipe) ...
    small_epochs: int = 500  # ... and with small=True; params["lbfgs_steps"] L-BFGS after either
    n_data: int = 10
    params: Mapping[str, object] = field(default_factory=dict)  # other PINN(...) settings

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.domain)


def _heat_residual(u, d, k):
    return d("t") - k.alpha * d("x", "x")


def _logistic_residual(u, d, k):
    return d("t") - k.r * u * (1 - u)


def _oscillator_residual(u, d, k):
    # u'' + 2γu' + ω0²u = 0 with ω0² = 4.25 known: γ = 1/2 gives exp(-t/2)·cos(2t)
    return d("t", "t") + 2 * k.gamma * d("t") + 4.25 * u


def _wave_residual(u, d, k):
    return d("t", "t") - k.c**2 * d("x", "x")


HEAT = System(
    name="heat",
    residual=_heat_residual,
    domain={"x": (0.0, 1.0), "t": (0.0, 1.0)},
    conditions=(
        Condition({"t": 0.0}, lambda X: torch.sin(math.pi * X[:, 0]), weight=5.0),
        Condition({"x": 0.0}, 0.0, weight=5.0),
        Condition({"x": 1.0}, 0.0, weight=5.0),
    ),
    constants={"alpha": 0.5},
    truth={"alpha": 0.2},
    solution=lambda X: np.sin(np.pi * X[:, 0]) * np.exp(-(np.pi**2) * 0.2 * X[:, 1]),
    law="sin(pi*x)*exp(-pi^2*t/5)",
    targets={"c1": "pi", "c2": "pi^2/5"},
    unary_operators=("sin", "exp"),
    small_epochs=500,
    params={"lbfgs_steps": 300},
)

LOGISTIC = System(
    name="logistic",
    residual=_logistic_residual,
    domain={"t": (0.0, 6.0)},
    conditions=(Condition({"t": 0.0}, 0.1, weight=5.0, n=1),),
    constants={"r": 0.5},
    truth={"r": 1.5},
    solution=lambda X: 1.0 / (1.0 + 9.0 * np.exp(-1.5 * X[:, 0])),
    law="1/(1 + 9*exp(-3*t/2))",
    targets={"r": "3/2", "a": "9", "log_a": "log(9)"},
    unary_operators=("exp",),
    small_epochs=500,
    params={"n_collocation": 200, "lbfgs_steps": 300},
)

OSCILLATOR = System(
    name="damped_oscillator",
    residual=_oscillator_residual,
    domain={"t": (0.0, 4.0)},
    conditions=(
        Condition({"t": 0.0}, 1.0, weight=5.0, n=1),
        Condition({"t": 0.0}, -0.5, weight=5.0, derivative=("t",), n=1),
    ),
    constants={"gamma": 0.1},
    truth={"gamma": 0.5},
    solution=lambda X: np.exp(-0.5 * X[:, 0]) * np.cos(2.0 * X[:, 0]),
    law="exp(-t/2)*cos(2*t)",
    targets={"gamma": "1/2", "omega": "2"},
    unary_operators=("cos", "exp"),
    small_epochs=1000,
    params={"n_collocation": 200, "lbfgs_steps": 500},
)

WAVE = System(
    name="wave",
    residual=_wave_residual,
    domain={"x": (0.0, 1.0), "t": (0.0, 1.0)},
    conditions=(
        Condition({"t": 0.0}, lambda X: torch.sin(math.pi * X[:, 0]), weight=5.0),
        Condition({"t": 0.0}, 0.0, weight=5.0, derivative=("t",)),  # released at rest
        Condition({"x": 0.0}, 0.0, weight=5.0),
        Condition({"x": 1.0}, 0.0, weight=5.0),
    ),
    constants={"c": 0.5},
    truth={"c": 1.0},
    solution=lambda X: np.sin(np.pi * X[:, 0]) * np.cos(np.pi * X[:, 1]),
    law="sin(pi*x)*cos(pi*t)",
    # sin(πx) is also found as cos(πx − π/2)
    targets={"k": "pi", "omega": "pi", "phase": "pi/2"},
    unary_operators=("sin", "cos"),
    small_epochs=1000,
    params={"lbfgs_steps": 500},
)

SYSTEMS = {s.name: s for s in (HEAT, LOGISTIC, OSCILLATOR, WAVE)}


def get(name: str) -> System:
    if name not in SYSTEMS:
        raise KeyError(f"pinn: unknown system {name!r}; known: {sorted(SYSTEMS)}")
    return SYSTEMS[name]


def data(system: System, random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n_data`` measured points of the exact solution, uniform in the domain."""
    rng = np.random.default_rng(random_state)
    lo = np.array([a for a, _ in system.domain.values()])
    hi = np.array([b for _, b in system.domain.values()])
    X = lo + (hi - lo) * rng.random((system.n_data, len(lo)))
    return X, system.solution(X)


def search(system: System, small: bool) -> dict:
    """Distiller settings for the system (fewer generations when ``small``)."""
    return {
        "unary_operators": system.unary_operators,
        "niterations": 60 if small else 200,
    }
