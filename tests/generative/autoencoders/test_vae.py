"""scribbles.generative.autoencoders.vae: KL, reparameterisation, likelihoods and training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.neighbors import NearestNeighbors
from torch.distributions import Independent, Normal, kl_divergence

from scribbles.generative.autoencoders.vae import (
    VAE,
    elbo_terms,
    gaussian_kl,
    gaussian_log_likelihood,
    gradient_energy,
    grid_log_likelihood,
    importance_weighted_log_likelihood,
    interpolation_roughness,
    latent_hole_fraction,
    nearest_neighbour_rmse,
    reparameterize,
    train_vae,
    vae_from_result,
)


@pytest.fixture(autouse=True)
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Train for real in every test: a stale cache entry must not hide a bug."""
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")


def standard_normal_kl_by_torch(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag exp(logvar)) || N(0, I)) per row, by torch.distributions."""
    posterior = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
    prior = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
    return kl_divergence(posterior, prior)


pairs = st.integers(1, 5).flatmap(
    lambda k: st.tuples(
        arrays(np.float64, (3, k), elements=st.floats(-4, 4)),
        arrays(np.float64, (3, k), elements=st.floats(-5, 3)),
    )
)


@settings(max_examples=60, deadline=None)
@given(pairs)
def test_gaussian_kl_matches_torch_distributions(pair: tuple[np.ndarray, np.ndarray]) -> None:
    """Closed form vs torch.distributions.kl_divergence, to 1e-9 relative (float64)."""
    mu, logvar = (torch.from_numpy(a) for a in pair)
    ours = gaussian_kl(mu, logvar)
    assert ours.shape == (3,)
    torch.testing.assert_close(ours, standard_normal_kl_by_torch(mu, logvar), rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(pairs)
def test_gaussian_kl_is_nonnegative_and_zero_only_at_the_prior(
    pair: tuple[np.ndarray, np.ndarray],
) -> None:
    """KL >= 0 (up to rounding), = 0 at mu = 0, logvar = 0, and > 0 away from it."""
    mu, logvar = (torch.from_numpy(a) for a in pair)
    kl = gaussian_kl(mu, logvar)
    assert (kl >= -1e-12).all()
    assert (gaussian_kl(torch.zeros_like(mu), torch.zeros_like(logvar)) == 0).all()
    away = (mu.abs().amax(dim=1) > 1e-3) | (logvar.abs().amax(dim=1) > 1e-3)
    assert (kl[away] > 0).all()


def test_gaussian_kl_matches_a_monte_carlo_estimate() -> None:
    """KL = E_q[log q(z) - log p(z)]: 400 000 samples agree within 4 standard errors."""
    mu = torch.tensor([[0.0, 0.0], [1.5, -0.5], [0.3, 2.0]], dtype=torch.float64)
    logvar = torch.tensor([[0.0, 0.0], [-1.0, 0.5], [1.2, -2.0]], dtype=torch.float64)
    generator = torch.Generator().manual_seed(0)
    noise = torch.randn(400_000, *mu.shape, generator=generator, dtype=torch.float64)
    z = mu + torch.exp(0.5 * logvar) * noise  # (S, B, k)
    log_q = Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(-1)  # (S, B)
    log_p = Normal(0.0, 1.0).log_prob(z).sum(-1)  # (S, B)
    samples = log_q - log_p
    estimate, standard_error = samples.mean(0), samples.std(0) / math.sqrt(len(samples))
    closed = gaussian_kl(mu, logvar)
    assert closed[0] == 0.0
    assert ((closed - estimate).abs() <= 4 * standard_error + 1e-12).all()


def test_reparameterized_samples_have_the_requested_moments() -> None:
    torch.manual_seed(0)
    mu = torch.tensor([[1.0, -2.0]]).expand(200_000, 2)
    logvar = torch.tensor([[0.0, math.log(0.25)]]).expand(200_000, 2)
    z = reparameterize(mu, logvar)
    torch.testing.assert_close(z.mean(0), torch.tensor([1.0, -2.0]), atol=0.01, rtol=0)
    torch.testing.assert_close(z.var(0), torch.tensor([1.0, 0.25]), atol=0.01, rtol=0)


def test_gradients_reach_mu_and_logvar_through_the_sample() -> None:
    """dz/dmu = 1 and dz/dlogvar = sigma * eps / 2, computed by autograd through z."""
    mu = torch.tensor([[0.5, -1.0, 2.0]], requires_grad=True)
    logvar = torch.tensor([[0.0, -1.0, 1.0]], requires_grad=True)
    noise = torch.tensor([[0.3, -1.2, 0.7]])
    z = reparameterize(mu, logvar, noise)
    z.sum().backward()
    assert mu.grad is not None and logvar.grad is not None
    torch.testing.assert_close(mu.grad, torch.ones_like(mu))
    torch.testing.assert_close(logvar.grad, 0.5 * torch.exp(0.5 * logvar.detach()) * noise)


def test_reconstruction_term_trains_the_encoder_through_z() -> None:
    """The reconstruction term alone (no KL) gives the encoder's weights a gradient."""
    torch.manual_seed(0)
    model = VAE(latent_dim=2, hidden_dim=16)
    log_likelihood, _ = elbo_terms(model, torch.rand(8, 64))
    log_likelihood.sum().backward()
    for parameter in model.encoder.parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0


def test_reparameterize_and_kl_reject_bad_input() -> None:
    with pytest.raises(ValueError, match=r"same shape, got \(2, 3\) and \(2, 4\)"):
        reparameterize(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"noise must have the shape of mu \(2, 3\), got \(3,\)"):
        reparameterize(torch.zeros(2, 3), torch.zeros(2, 3), noise=torch.zeros(3))
    with pytest.raises(TypeError, match=r"mu must be a torch\.Tensor, got ndarray"):
        gaussian_kl(np.zeros((2, 3)), torch.zeros(2, 3))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"must have shape \(B, k\), got \(3,\)"):
        gaussian_kl(torch.zeros(3), torch.zeros(3))


def test_gaussian_log_likelihood_matches_torch_normal() -> None:
    torch.manual_seed(0)
    x, mean = torch.rand(5, 64, dtype=torch.float64), torch.rand(5, 64, dtype=torch.float64)
    log_scale = torch.tensor(-1.3, dtype=torch.float64)
    expected = Normal(mean, log_scale.exp()).log_prob(x).sum(-1)
    torch.testing.assert_close(gaussian_log_likelihood(x, mean, log_scale), expected)
    with pytest.raises(ValueError, match=r"x and mean must have the same shape"):
        gaussian_log_likelihood(x, mean[:, :3], log_scale)


def test_vae_rejects_bad_shapes() -> None:
    model = VAE(latent_dim=2)
    with pytest.raises(ValueError, match=r"x must have shape \(B, 64\), got \(4, 8\)"):
        model.encode(torch.zeros(4, 8))
    with pytest.raises(ValueError, match=r"z must have shape \(B, 2\), got \(4, 3\)"):
        model.decode(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="hidden_dim must be a positive integer, got -1"):
        VAE(latent_dim=2, hidden_dim=-1)


@pytest.fixture
def small_vae() -> VAE:
    """An untrained 2-D VAE with a broad decoder, so that importance sampling converges."""
    torch.manual_seed(0)
    model = VAE(latent_dim=2, hidden_dim=16).eval()
    with torch.no_grad():
        model.log_scale.fill_(math.log(0.5))
    return model


def test_grid_quadrature_converges(small_vae: VAE) -> None:
    x = torch.rand(3, 64, generator=torch.Generator().manual_seed(1))
    coarse = grid_log_likelihood(small_vae, x, points=201)
    fine = grid_log_likelihood(small_vae, x, points=601, limit=7.0)
    torch.testing.assert_close(coarse, fine, atol=1e-3, rtol=0)
    with pytest.raises(ValueError, match="latent_dim must be 2 for a grid, got 3"):
        grid_log_likelihood(VAE(latent_dim=3), x)


def test_bounds_are_ordered_and_importance_sampling_reaches_the_truth(small_vae: VAE) -> None:
    """ELBO <= log p(x), and the K = 20 000 importance-weighted estimate is within 0.02 nats."""
    x = torch.rand(3, 64, generator=torch.Generator().manual_seed(1))
    truth = grid_log_likelihood(small_vae, x)
    with torch.no_grad():
        noise = torch.randn(3000, 2, generator=torch.Generator().manual_seed(2))
        log_likelihood, kl = elbo_terms(small_vae, x.repeat(1000, 1), noise)
    elbo = (log_likelihood - kl).view(1000, 3, 1).mean(0).squeeze(1)
    assert (elbo < truth).all()
    estimate = importance_weighted_log_likelihood(small_vae, x, 20_000)
    torch.testing.assert_close(estimate, truth, atol=0.02, rtol=0)
    with pytest.raises(ValueError, match="num_samples must be >= 1, got 0"):
        importance_weighted_log_likelihood(small_vae, x, 0)


def test_nearest_neighbour_rmse_matches_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    samples, reference = rng.random((20, 64)), rng.random((50, 64))
    distance, _ = NearestNeighbors(n_neighbors=1).fit(reference).kneighbors(samples)
    np.testing.assert_allclose(
        nearest_neighbour_rmse(samples, reference), distance[:, 0] / 8.0, rtol=1e-9
    )
    with pytest.raises(ValueError, match=r"samples and reference must be \(M, D\) and \(N, D\)"):
        nearest_neighbour_rmse(samples, reference[:, :5])


def test_training_improves_the_elbo_and_is_deterministic() -> None:
    first = train_vae(2, hidden_dim=32, epochs=4)
    second = train_vae(2, hidden_dim=32, epochs=4)
    assert first["losses"][-1] < first["losses"][0]
    for name, tensor in first["state_dict"].items():
        assert torch.equal(tensor, second["state_dict"][name]), name
    model = vae_from_result(first)
    assert model.latent_dim == 2 and first["test_mu"].shape == (360, 2)
    assert first["test_elbo"] == pytest.approx(first["test_log_likelihood"] - first["test_kl"])
    with pytest.raises(ValueError, match="epochs and batch_size must be >= 1, got 0 and 256"):
        train_vae(epochs=0)
    with pytest.raises(ValueError, match="result must be a dict from train_vae"):
        vae_from_result({})


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 1000), st.floats(0.01, 100.0))
def test_latent_hole_fraction_is_brute_force_and_scale_free(seed: int, scale: float) -> None:
    rng = np.random.default_rng(seed)
    codes, samples = rng.normal(size=(60, 2)), rng.normal(scale=2.0, size=(40, 2))
    pairwise = np.linalg.norm(codes[:, None] - codes[None], axis=2)
    np.fill_diagonal(pairwise, np.inf)
    spacing = np.median(pairwise.min(axis=1))
    nearest = np.linalg.norm(samples[:, None] - codes[None], axis=2).min(axis=1)
    expected = float((nearest > 3.0 * spacing).mean())
    assert latent_hole_fraction(codes, samples) == pytest.approx(expected)
    assert latent_hole_fraction(scale * codes, scale * samples) == pytest.approx(expected)


def test_latent_hole_fraction_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"codes and samples must be \(N, k\) and \(M, k\)"):
        latent_hole_fraction(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="codes must hold at least 2 rows, got 1"):
        latent_hole_fraction(np.zeros((1, 2)), np.zeros((5, 2)))


def test_interpolation_roughness_is_one_for_even_change_and_large_for_a_jump() -> None:
    start, end = torch.zeros(3, 2), torch.ones(3, 2)
    even = interpolation_roughness(lambda z: 2.0 * z, start, end, steps=21)
    np.testing.assert_allclose(even, 1.0, rtol=1e-5)
    # a decoder that switches at z = 0.5: all change happens in one of the 20 steps
    jump = interpolation_roughness(lambda z: (z > 0.52).float(), start, end, steps=21)
    np.testing.assert_allclose(jump, 20.0, rtol=1e-5)
    with pytest.raises(ValueError, match="steps must be >= 3, got 2"):
        interpolation_roughness(lambda z: z, start, end, steps=2)
    with pytest.raises(ValueError, match=r"every path needs distinct ends; rows \[1\]"):
        interpolation_roughness(lambda z: z, start, torch.tensor([[1.0, 1], [0, 0], [2, 2]]))


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, (2, 64), elements=st.floats(0, 1)),
)
def test_gradient_energy_is_convex_so_averaging_blurs(images: np.ndarray) -> None:
    """E is a convex quadratic: the energy of a mean image is at most the mean energy."""
    mean_image = images.mean(axis=0, keepdims=True)
    assert gradient_energy(mean_image) <= gradient_energy(images) + 1e-12
    square = images[0].reshape(8, 8)
    expected = (np.diff(square, axis=0) ** 2).mean() + (np.diff(square, axis=1) ** 2).mean()
    assert gradient_energy(images[:1]) == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"images must have shape \(N, 64\), got \(2, 8, 8\)"):
        gradient_energy(images.reshape(2, 8, 8))
