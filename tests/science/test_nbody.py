"""The n-body simulator (physics checks) and the GN → force-law case study (recovery)."""

import numpy as np
import pytest
import sympy
import torch

from symtorch_lab import Expression
from symtorch_lab.science import messages, nbody


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def random_bodies(dim=2, n=5, seed=0):
    state = nbody.initial_states(3, n, dim, np.random.default_rng(seed))
    return state[..., :dim], state[..., 2 * dim], state[..., 2 * dim + 1]


@pytest.mark.parametrize("system", nbody.SYSTEMS)
@pytest.mark.parametrize("dim", [2, 3])
def test_pair_forces_obey_newtons_third_law(system, dim):
    pos, q, m = random_bodies(dim)
    f = nbody.pair_forces(pos, q, m, system)
    assert np.allclose(f, -np.swapaxes(f, -2, -3))
    assert np.allclose(f.sum(axis=(-3, -2)), 0.0, atol=1e-10)  # no net force: momentum kept


@pytest.mark.parametrize("system", ["spring", "r1", "r2", "charge"])
def test_forces_are_minus_the_gradient_of_the_energy(system):
    """Analytic forces against central differences of the potential energy."""
    dim = 2
    state = nbody.initial_states(1, 4, dim, np.random.default_rng(1))[0]
    state[:, dim : 2 * dim] = 0.0  # no kinetic energy
    h, grad = 1e-6, np.zeros((4, dim))
    for i in range(4):
        for k in range(dim):
            up, down = state.copy(), state.copy()
            up[i, k] += h
            down[i, k] -= h
            grad[i, k] = (nbody.energy(up, system, dim) - nbody.energy(down, system, dim)) / (2 * h)
    force = nbody.accelerations(state, system, dim) * state[:, 2 * dim + 1, None]
    assert np.allclose(force, -grad, rtol=1e-5, atol=1e-6)


def test_momentum_is_conserved_along_a_run():
    sim = nbody.simulate("charge", n_sims=5, n_steps=200, dim=3, random_state=2)
    momentum = (sim.states[..., 3:6] * sim.states[..., 7:8]).sum(axis=-2)
    assert np.allclose(momentum, momentum[:, :1], atol=1e-9)


def test_rk4_energy_drift_is_small_and_fourth_order():
    drift = []
    for dt, every in ((1e-2, 5), (5e-3, 10)):
        sim = nbody.simulate("spring", n_sims=20, n_steps=int(5 / dt), every=every, dt=dt)
        e = nbody.energy(sim.states, "spring", 2)
        drift.append(np.max(np.abs(e[:, -1] - e[:, 0]) / np.abs(e[:, 0])))
    assert drift[0] < 1e-2
    assert drift[1] < drift[0] / 8  # 2^4 = 16 for a smooth force


def test_damping_takes_energy_out():
    sim = nbody.simulate("damped", n_sims=10, n_steps=500, random_state=3)
    e = nbody.energy(sim.states, "spring", 2)
    assert np.all(e[:, -1] < e[:, 0])


def test_simulation_layout_and_targets():
    sim = nbody.simulate("r1", n_bodies=5, dim=3, n_sims=2, n_steps=50, every=5)
    assert sim.states.shape == (2, 10, 5, 8)
    assert sim.accelerations.shape == (2, 10, 5, 3)
    assert set(np.unique(sim.states[..., 6])) <= {-1.0, 1.0}
    assert np.all(sim.states[..., 7] > 0)
    assert np.allclose(sim.states[:, 0, :, 7], sim.states[:, -1, :, 7])  # masses carried along
    assert np.allclose(sim.accelerations, nbody.accelerations(sim.states, "r1", 3))
    X, Y = sim.flat()
    assert X.shape == (20, 5, 8) and Y.shape == (20, 5, 3)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="unknown system 'gravity'"):
        nbody.simulate("gravity")
    with pytest.raises(ValueError, match="dim must be 2 or 3, got 4"):
        nbody.simulate(dim=4)
    with pytest.raises(ValueError, match="no conserved energy"):
        nbody.energy(np.zeros((2, 6)), "damped", 2)


def test_edge_forces_match_pair_forces():
    pos, q, m = random_bodies(2, n=3)
    state = np.concatenate([pos, np.zeros_like(pos), q[..., None], m[..., None]], axis=-1)
    rows = np.concatenate([state[:, 0], state[:, 2]], axis=-1)  # receiver 0, sender 2
    expected = nbody.pair_forces(pos, q, m, "charge")[:, 0, 2]
    assert np.allclose(nbody.edge_forces(rows, "charge", 2), expected)


NAMES = messages.edge_variable_names(2)
LAW_CASES = [
    ("(0.73*dx + 0.45*dy)*(1 - 0.99/r) + 0.01", "(r - 1)/r", True),
    ("0.73*dx - 0.72*dx/r + 0.45*dy - 0.443*dy/r", "(r - 1)/r", True),
    ("0.3*dx*m1*m2/r^3 - 0.1*dy*m1*m2/r^3", "m1*m2/r^3", True),
    ("2*dy*q1*q2/(r*r*r)", "q1*q2/r^3", True),
    ("0.73*dx*(1 - 0.99/r) + 0.4*dy", "(r - 1)/r", False),  # dy without the radial factor
    ("0.3*dx*m1*m2/r^2", "m1*m2/r^3", False),
    ("0.73*dx*(1 - 0.8/r)", "(r - 1)/r", False),  # another rest length
    ("dx*dx*(1 - 1/r)", "(r - 1)/r", False),  # not linear in the separation
    ("0.7*dx - 0.69*dx/r - 0.03*m1", "(r - 1)/r", False),  # a term without the separation
]


@pytest.mark.parametrize(("infix", "law", "expected"), LAW_CASES)
def test_force_law_check(infix, law, expected):
    assert messages.is_force_law(Expression.from_infix(infix, NAMES), law, 2) is expected


def test_force_fit_recovers_a_rotation():
    rng = np.random.default_rng(0)
    F = rng.normal(size=(500, 2))
    A = np.array([[0.6, -0.8], [0.8, 0.6]])
    fit = messages.force_fit(F @ A.T + [0.1, -0.2], F)
    assert np.allclose(fit["coef"], A) and np.allclose(fit["r2"], 1.0)
    noisy = messages.force_fit(F @ A.T + rng.normal(size=(500, 2)), F)
    assert np.all(noisy["r2"] < 0.8)


def test_pick_components_by_std_and_by_kl():
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(200, 4)) * [0.01, 3.0, 0.1, 1.0]
    assert messages.pick_components(Y, 2) == [1, 3]
    mean = Y
    logvar = np.log(np.full_like(Y, 1.0))
    assert messages.pick_components(np.hstack([mean, logvar]), 2, "kl") == [1, 3]
    with pytest.raises(ValueError, match="k=5 outside 1..4"):
        messages.pick_components(Y, 5)


def test_transforms_give_the_physics_inputs():
    row = np.array([[1.0, 2.0, 0, 0, -1.0, 2.0, 4.0, 6.0, 0, 0, 1.0, 3.0]])
    cols = [float(t(torch.as_tensor(row))[0]) for t in messages.edge_transforms(2)]
    assert cols == [3.0, 4.0, 5.0, 2.0, 3.0, -1.0, 1.0]  # dx dy r m1 m2 q1 q2
    assert sympy.Symbol("r") in Expression.from_infix("r", NAMES).sympy().free_symbols


def test_spring_law_is_recovered_from_a_trained_gn():
    """Train a bottleneck GN on springs, distil its messages through the engine: every message
    component's front holds a member that is the spring law (in a rotated basis)."""
    row = nbody.recover("spring", dim=2, small=True, random_state=0)
    assert row["law_on_front"], row
    assert min(row["r2"]) > 0.9, row
    assert set(row) == {"system", "expected", "recovered", "constants", "r2", "wall_s",
                        "law_on_front"}  # fmt: skip
