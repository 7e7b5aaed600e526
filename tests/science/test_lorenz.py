"""Lorenz from 128-dim data: Champion's data, the autoencoder, distillation, the Lorenz check."""

import numpy as np
import pytest
import sympy
import torch

from symtorch_lab.science import lorenz
from symtorch_lab.science._lorenz_data import lorenz_rhs, simulate


@pytest.fixture(scope="module")
def data():
    return lorenz.make_data(6, n_steps=120, random_state=0)


@pytest.fixture(scope="module")
def trained(data):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = lorenz.LorenzAE()
    x, dx = data.rows()
    X, DX = torch.tensor(x, dtype=torch.float32), torch.tensor(dx, dtype=torch.float32)
    before = {k: float(v.detach()) for k, v in lorenz.ae_losses(model, X, DX).items()}
    after = lorenz.train_ae(model, x, dx, steps=400, dyn_steps=600, joint_steps=20)
    return model, before, after


def test_data_shapes_and_normalisation(data):
    assert data.z.shape == (6, 120, 3) and data.dz.shape == (6, 120, 3)
    assert data.x.shape == (6, 120, 128) and data.dx.shape == (6, 120, 128)
    assert np.allclose(data.t, 0.02 * np.arange(120))
    # the state is Lorenz's divided by 40, and so is its derivative
    assert np.allclose(data.dz, lorenz_rhs(data.z * 40) / 40)
    again = simulate(data.z[:, 0] * 40, data.t)
    assert np.allclose(again / 40, data.z, atol=1e-6)


def _legendre_by_hand(y):
    return [
        np.ones_like(y),
        y,
        (3 * y**2 - 1) / 2,
        (5 * y**3 - 3 * y) / 2,
        (35 * y**4 - 30 * y**2 + 3) / 8,
        (63 * y**5 - 70 * y**3 + 15 * y) / 8,
    ]


def test_the_lift_is_champions(data):
    """x = P0 z1 + P1 z2 + P2 z3 + P3 z1³ + P4 z2³ + P5 z3³ on linspace(-1, 1, 128)."""
    P = _legendre_by_hand(np.linspace(-1, 1, 128))
    for i, j in [(0, 0), (2, 57), (5, 119)]:
        z, dz = data.z[i, j], data.dz[i, j]
        x = sum(P[k] * z[k] + P[k + 3] * z[k] ** 3 for k in range(3))
        dx = sum(P[k] * dz[k] + P[k + 3] * 3 * z[k] ** 2 * dz[k] for k in range(3))
        assert np.allclose(data.x[i, j], x) and np.allclose(data.dx[i, j], dx)


def _five_point(f, dt):
    return (f[:, :-4] - 8 * f[:, 1:-3] + 8 * f[:, 3:-1] - f[:, 4:]) / (12 * dt)


def test_derivatives_match_finite_differences():
    fine = lorenz.make_data(3, n_steps=400, dt=0.002, random_state=1)
    for f, df in [(fine.z, fine.dz), (fine.x, fine.dx)]:
        fd = _five_point(f, 0.002)
        err = np.sqrt(np.mean((fd - df[:, 2:-2]) ** 2) / np.mean(df**2))
        assert err < 1e-4  # a wrong chain rule (3·z²·ż) is off by ~10 %


def test_the_autoencoder_trains(trained):
    _, before, after = trained
    assert after["reconstruction"] < 0.02 * before["reconstruction"]
    assert after["dw"] < 0.1 and after["dx"] < 0.5 * before["dx"]


def test_integrate_is_rk4_accurate():
    w = lorenz.integrate(lambda w: -w, np.array([[1.0, 2.0, -1.0]]), 51, dt=0.02)
    assert np.allclose(w[0, -1], np.exp(-1.0) * np.array([1.0, 2.0, -1.0]), rtol=1e-5)


def test_distillation_front_per_dim_and_picks_integrate(trained, data):
    model = trained[0]
    x, _ = data.rows()
    session = lorenz.distill(
        model, x[::2], niterations=20, population_size=150, maxsize=30, max_rows=400
    )
    job = session.jobs["dynamics"]
    assert sorted(job.fronts) == [0, 1, 2]
    assert job.recording.variable_names == lorenz.LATENT_NAMES
    test = lorenz.make_data(3, n_steps=110, random_state=7)
    dynamics = {"neural": model.dynamics, "symbolic": job.surrogate()}
    result = lorenz.forecast(model, test, dynamics, start=50)  # from on the attractor
    errors = result.errors["symbolic"]
    assert errors.shape == (3, 60) and np.isfinite(errors).all()
    assert result.vpt("symbolic") > 0 and result.vpt("neural") > 0


def _lorenz_in_random_basis(seed, beta=8 / 3):
    rng = np.random.default_rng(seed)
    A, c = rng.normal(size=(3, 3)), rng.normal(size=3)  # s = A w + c
    state = lorenz.make_data(3, n_steps=80, random_state=seed).z.reshape(-1, 3)
    latent = (state - c) @ np.linalg.inv(A).T
    W = sympy.symbols("w1 w2 w3")
    s1, s2, s3 = sympy.Matrix(A) * sympy.Matrix(W) + sympy.Matrix(c)
    f = sympy.Matrix([10 * (s2 - s1), 28 * s1 - s2 - 40 * s1 * s3, 40 * s1 * s2 - beta * s3])
    return list(sympy.Matrix(np.linalg.inv(A)) * f), W, latent, state


@pytest.mark.parametrize("seed", [1, 2])
def test_affine_comparison_recovers_lorenz_constants(seed):
    exprs, W, latent, state = _lorenz_in_random_basis(seed)
    found = lorenz.compare_to_lorenz(exprs, W, latent, state)
    assert found.sigma == pytest.approx(10, rel=1e-8)
    assert found.rho == pytest.approx(28, rel=1e-8)
    assert found.beta == pytest.approx(8 / 3, rel=1e-8)
    assert found.max_relative_error() < 1e-8 and found.is_lorenz(rtol=1e-6, spurious_tol=1e-6)
    assert np.allclose(found.affine_r2, 1.0)


def test_affine_comparison_tells_another_system():
    exprs, W, latent, state = _lorenz_in_random_basis(3, beta=4.0)
    found = lorenz.compare_to_lorenz(exprs, W, latent, state)
    assert found.beta == pytest.approx(4.0, rel=1e-8)
    assert not found.is_lorenz(rtol=0.1)
    extra = [exprs[0] + W[0] ** 2, exprs[1], exprs[2]]  # a term Lorenz does not have
    assert lorenz.compare_to_lorenz(extra, W, latent, state).spurious[0] > 0.01


def test_affine_comparison_rejects_non_polynomials():
    exprs, W, latent, state = _lorenz_in_random_basis(4)
    with pytest.raises(ValueError, match="not a polynomial"):
        lorenz.compare_to_lorenz([sympy.sin(W[0]), *exprs[1:]], W, latent, state)


@pytest.mark.slow
def test_full_recovery_finds_lorenz_and_forecasts():
    """The whole study (CPU minutes): Lorenz's constants come back after the affine map."""
    torch.set_num_threads(1)
    row = lorenz.recover(small=False, random_state=0)
    assert row["law_on_front"], row
    constants = row["constants"]
    assert constants["sigma"] == pytest.approx(10, rel=0.1)
    assert constants["rho"] == pytest.approx(28, rel=0.1)
    assert constants["beta"] == pytest.approx(8 / 3, rel=0.1)
    assert min(row["affine_r2"]) > 0.999
    assert row["vpt_symbolic"] > 0 and row["vpt_neural"] > 0


def test_simplest_form_drops_negligible_terms():
    exprs, W, latent, state = _lorenz_in_random_basis(5)
    tiny = [exprs[0] + 1e-6 * W[1] ** 2, exprs[1], exprs[2]]
    found = lorenz.compare_to_lorenz(tiny, W, latent, state)
    assert found.simplest() == (
        "ds1 = -10.0*s1 + 10.0*s2",
        "ds2 = 28.0*s1 - 1.00*s2 - 40.0*s1*s3",
        "ds3 = -2.67*s3 + 40.0*s1*s2",
    )
