"""PCAProjection: subspace recovery, reproducibility, shape/device contracts, JSON, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from symtorch_lab.pca import PCAProjection, ProjectionModule, choose_components

N, D, RANK = 600, 40, 5


def _low_rank(seed: int = 0, noise: float = 1e-3, dtype=torch.float64):
    """Data = offset + (n, RANK) latents @ orthonormal (RANK, D) basis + small noise."""
    g = torch.Generator().manual_seed(seed)
    basis = torch.linalg.qr(torch.randn(D, RANK, generator=g, dtype=torch.float64)).Q.mT
    scales = torch.tensor([5.0, 4.0, 3.0, 2.0, 1.0], dtype=torch.float64)
    latents = torch.randn(N, RANK, generator=g, dtype=torch.float64) * scales
    offset = torch.randn(D, generator=g, dtype=torch.float64) * 10
    Z = latents @ basis + offset + noise * torch.randn(N, D, generator=g, dtype=torch.float64)
    return Z.to(dtype), basis, offset


def _max_principal_angle(A: torch.Tensor, B: torch.Tensor) -> float:
    """Largest principal angle (radians) between the row spaces of A and B."""
    qa = torch.linalg.qr(A.mT.double()).Q
    qb = torch.linalg.qr(B.mT.double()).Q
    cosines = torch.linalg.svdvals(qa.mT @ qb).clamp(max=1.0)
    return float(torch.arccos(cosines.min()))


@pytest.mark.parametrize("solver", ["full", "randomized"])
def test_recovers_low_rank_subspace_and_mean(solver):
    Z, basis, offset = _low_rank()
    pca = PCAProjection(RANK, svd_solver=solver).fit(Z)
    assert pca.components_.shape == (RANK, D)
    assert _max_principal_angle(pca.components_, basis) < 1e-3
    assert torch.allclose(pca.mean_, Z.mean(0))
    assert torch.allclose(
        pca.components_ @ pca.components_.mT, torch.eye(RANK, dtype=torch.float64)
    )
    assert float(pca.explained_variance_ratio_.sum()) > 0.9999
    # variance ratios are sorted and follow the latent scales 5:4:3:2:1 (squared)
    ratio = pca.explained_variance_ratio_
    assert torch.all(ratio[:-1] >= ratio[1:])
    assert float(ratio[0] / ratio[-1]) == pytest.approx(25.0, rel=0.3)
    assert torch.linalg.norm(offset) > 1  # the centring actually mattered


def test_explained_variance_follows_sklearn_convention():
    """Reference: NumPy's SVD with sklearn's definitions (variance = S^2 / (n - 1))."""
    Z, _, _ = _low_rank(noise=0.5)
    ours = PCAProjection(3, svd_solver="full").fit(Z)
    centred = Z.numpy() - Z.numpy().mean(0)
    _, S, Vt = np.linalg.svd(centred, full_matrices=False)
    variance = S**2 / (N - 1)
    np.testing.assert_allclose(ours.explained_variance_.numpy(), variance[:3], rtol=1e-10)
    np.testing.assert_allclose(
        ours.explained_variance_ratio_.numpy(), variance[:3] / variance.sum(), rtol=1e-10
    )
    # same components up to the sign convention
    np.testing.assert_allclose(np.abs(ours.components_.numpy() @ Vt[:3].T), np.eye(3), atol=1e-8)


def test_reconstruction_error_is_the_noise_level():
    Z, _, _ = _low_rank(noise=1e-3)
    pca = PCAProjection(RANK).fit(Z)
    rebuilt = pca.inverse_transform(pca.transform(Z))
    rms = float((rebuilt - Z).square().mean().sqrt())
    assert rms < 2e-3
    # with fewer components than the true rank the error is of the size of the dropped latent
    three = PCAProjection(3).fit(Z)
    rms_3 = float((three.inverse_transform(three.transform(Z)) - Z).square().mean().sqrt())
    assert rms_3 > 0.1


def test_sign_convention_is_deterministic():
    Z, _, _ = _low_rank()
    a = PCAProjection(RANK).fit(Z)
    b = PCAProjection(RANK).fit(-Z[torch.randperm(N, generator=torch.Generator().manual_seed(1))])
    # negated, shuffled data has the same principal axes: the convention picks the same signs
    assert torch.allclose(a.components_, b.components_, atol=1e-8)
    rows = a.components_
    largest = rows.gather(1, rows.abs().argmax(1, keepdim=True))
    assert torch.all(largest > 0)
    r1 = PCAProjection(RANK, svd_solver="randomized", random_state=3).fit(Z)
    r2 = PCAProjection(RANK, svd_solver="randomized", random_state=3).fit(Z)
    assert torch.equal(r1.components_, r2.components_)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_transform_keeps_leading_dims_and_dtype(dtype):
    Z, _, _ = _low_rank(dtype=dtype)
    pca = PCAProjection(RANK).fit(Z)
    assert pca.components_.dtype == torch.float64  # fitted in float64 whatever the input
    batched = Z[:480].reshape(4, 12, 10, D)
    C = pca.transform(batched)
    assert C.shape == (4, 12, 10, RANK) and C.dtype == dtype
    flat = pca.transform(Z[:480])
    torch.testing.assert_close(C.reshape(480, RANK), flat)
    back = pca.inverse_transform(C)
    assert back.shape == batched.shape and back.dtype == dtype
    assert pca.transform(Z[0]).shape == (RANK,)


def test_numpy_in_numpy_out_and_fit_on_3d():
    Z, basis, _ = _low_rank()
    seq = Z.numpy().reshape(20, 30, D)  # (batch, seq, d) activations fit directly
    pca = PCAProjection(RANK).fit(seq)
    assert pca.n_samples_ == N and pca.n_features_in_ == D
    assert _max_principal_angle(pca.components_, basis) < 1e-3
    out = pca.transform(seq.astype(np.float32))
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (20, 30, RANK)


def test_projection_module_matches_and_moves():
    Z, _, _ = _low_rank(dtype=torch.float32)
    pca = PCAProjection(RANK).fit(Z)
    down, up = pca.to_module("in"), pca.to_module("out")
    assert isinstance(down, ProjectionModule)
    x = Z[:50].reshape(5, 10, D)
    torch.testing.assert_close(down(x), pca.transform(x), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(
        up(down(x)), pca.inverse_transform(pca.transform(x)), atol=1e-3, rtol=1e-4
    )
    assert set(down.state_dict()) == {"weight", "bias"}
    assert list(down.parameters()) == []  # buffers: frozen, not trained
    half = down.to(torch.float64)
    assert half.weight.dtype == torch.float64  # buffers follow .to()
    assert down(x).dtype == torch.float32  # other input dtypes are cast back
    with pytest.raises(ValueError, match=r"last dim 5, got shape \(2, 4\)"):
        up(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="direction"):
        pca.to_module("sideways")


def test_json_round_trip_is_exact():
    Z, _, _ = _low_rank()
    pca = PCAProjection(RANK).fit(Z)
    again = PCAProjection.from_json(json.loads(json.dumps(pca.to_json())))
    for name in ("components_", "mean_", "explained_variance_", "explained_variance_ratio_"):
        assert torch.equal(getattr(again, name), getattr(pca, name)), name
    assert torch.equal(again.transform(Z), pca.transform(Z))
    assert (again.n_samples_, again.n_features_in_, again.center) == (N, D, True)


def test_from_json_refuses_bad_data():
    pca = PCAProjection(2).fit(_low_rank()[0])
    good = pca.to_json()
    with pytest.raises(ValueError, match=r"'components' expected shape \(2, 40\), got \(2, 39\)"):
        PCAProjection.from_json({**good, "components": [row[:-1] for row in good["components"]]})
    with pytest.raises(ValueError, match="NaN"):
        PCAProjection.from_json({**good, "mean": [float("nan")] * D})
    with pytest.raises(ValueError, match="expected keys"):
        PCAProjection.from_json({**good, "__reduce__": "os.system"})
    with pytest.raises(ValueError, match="not a numeric array"):
        PCAProjection.from_json({**good, "mean": ["x"] * D})
    with pytest.raises(ValueError, match="version"):
        PCAProjection.from_json({**good, "version": 99})


def test_errors_are_clear():
    Z, _, _ = _low_rank()
    with pytest.raises(ValueError, match=r"n_components=41 must be <= .* min\(600, 40\)"):
        PCAProjection(41).fit(Z)
    with pytest.raises(ValueError, match=r"min\(3, 40\)"):
        PCAProjection(4).fit(Z[:3])
    bad = Z.clone()
    bad[3, 7] = float("nan")
    with pytest.raises(ValueError, match=r"\(600, 40\) contains 1 NaN"):
        PCAProjection(2).fit(bad)
    pca = PCAProjection(2).fit(Z)
    with pytest.raises(ValueError, match=r"expected input with last dim 40, got shape \(8, 39\)"):
        pca.transform(torch.zeros(8, 39))
    with pytest.raises(ValueError, match=r"last dim 2, got shape \(8, 3\)"):
        pca.inverse_transform(torch.zeros(8, 3))
    with pytest.raises(RuntimeError, match="not fitted"):
        PCAProjection(2).transform(Z)
    with pytest.raises(TypeError):
        PCAProjection(2.5)
    with pytest.raises(ValueError, match="svd_solver"):
        PCAProjection(2, svd_solver="magic")


def test_uncentred_projection_keeps_the_offset():
    Z, _, offset = _low_rank()
    pca = PCAProjection(1, center=False).fit(Z)
    assert torch.count_nonzero(pca.mean_) == 0
    # the dominant uncentred direction is the (large) offset itself
    cos = float(pca.components_[0] @ offset / torch.linalg.norm(offset))
    assert abs(cos) > 0.95


def test_choose_components():
    Z, _, _ = _low_rank(noise=1e-3)
    assert choose_components(Z, 0.999) == RANK
    # scales 5,4,3,2,1 -> variance 25,16,9,4,1 of 55: first two explain 41/55 = 0.745
    assert choose_components(Z, 0.7) == 2
    assert choose_components(Z, 0.8) == 3
    assert choose_components(Z, 0.999, max_components=3) == 3
    assert choose_components(Z[:30], 0.999) == RANK  # wide data (n < d) path
    with pytest.raises(ValueError, match="variance"):
        choose_components(Z, 1.5)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_fit_stays_on_device():
    Z, basis, _ = _low_rank()
    pca = PCAProjection(RANK).fit(Z.float().cuda())
    assert pca.components_.device.type == "cuda" and pca.components_.dtype == torch.float64
    assert _max_principal_angle(pca.components_.cpu(), basis) < 1e-3
    out = pca.transform(Z.float().cuda())
    assert out.device.type == "cuda" and out.dtype == torch.float32
    module = pca.to_module("in").cuda()
    torch.testing.assert_close(module(Z.float().cuda()), out, atol=1e-3, rtol=1e-4)
