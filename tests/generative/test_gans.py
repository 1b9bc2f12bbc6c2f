"""Tests for scribbles.generative.gans: losses, data, mode-coverage metrics and training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from scribbles.generative.gans import (
    Discriminator,
    Generator,
    discriminator_loss,
    generator_loss,
    mode_coverage,
    ring_centers,
    ring_of_gaussians,
    train_gan,
)


@pytest.fixture(autouse=True)
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Train for real in every test: a stale cache entry must not hide a bug."""
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")


logits = arrays(np.float64, st.integers(1, 20), elements=st.floats(-30, 30))


@settings(max_examples=60, deadline=None)
@given(logits, logits)
def test_discriminator_loss_matches_binary_cross_entropy(
    real: np.ndarray, fake: np.ndarray
) -> None:
    """-[log D(x) + log(1 - D(G(z)))] is BCE with targets 1 (real) and 0 (fake), to 1e-10."""
    real_t, fake_t = torch.from_numpy(real), torch.from_numpy(fake)
    expected = F.binary_cross_entropy_with_logits(
        real_t, torch.ones_like(real_t)
    ) + F.binary_cross_entropy_with_logits(fake_t, torch.zeros_like(fake_t))
    torch.testing.assert_close(discriminator_loss(real_t, fake_t), expected, rtol=1e-10, atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(logits)
def test_generator_losses_match_binary_cross_entropy(fake: np.ndarray) -> None:
    """Non-saturating = BCE(fake, 1); minimax = log(1 - D) = -BCE(fake, 0); to 1e-10."""
    fake_t = torch.from_numpy(fake)
    ones, zeros = torch.ones_like(fake_t), torch.zeros_like(fake_t)
    torch.testing.assert_close(
        generator_loss(fake_t),
        F.binary_cross_entropy_with_logits(fake_t, ones),
        rtol=1e-10,
        atol=1e-10,
    )
    torch.testing.assert_close(
        generator_loss(fake_t, non_saturating=False),
        -F.binary_cross_entropy_with_logits(fake_t, zeros),
        rtol=1e-10,
        atol=1e-10,
    )


def test_minimax_gradient_saturates_and_non_saturating_does_not() -> None:
    """d/dl of the two generator losses (per sample) are -(1 - D) and -D, D = sigmoid(l)."""
    fake = torch.tensor([-8.0, -2.0, 0.0, 3.0], dtype=torch.float64, requires_grad=True)
    (grad_ns,) = torch.autograd.grad(generator_loss(fake) * len(fake), fake)
    (grad_mm,) = torch.autograd.grad(generator_loss(fake, non_saturating=False) * len(fake), fake)
    d = torch.sigmoid(fake.detach())
    torch.testing.assert_close(grad_ns, -(1 - d))
    torch.testing.assert_close(grad_mm, -d)
    # a confidently rejected sample (D ~ 3e-4): minimax gives almost no signal
    assert grad_mm[0].abs() < 1e-3 < 0.99 < grad_ns[0].abs()


def test_losses_reject_bad_logits() -> None:
    with pytest.raises(ValueError, match=r"fake_logits must have shape \(B,\), got \(4, 1\)"):
        generator_loss(torch.zeros(4, 1))
    with pytest.raises(TypeError, match=r"real_logits must be a torch\.Tensor, got list"):
        discriminator_loss([0.0], torch.zeros(1))  # type: ignore[arg-type]


def test_networks_have_the_documented_shapes() -> None:
    torch.manual_seed(0)
    assert Generator(noise_dim=3)(torch.randn(6, 3)).shape == (6, 2)
    assert Discriminator()(torch.randn(6, 2)).shape == (6,)
    with pytest.raises(ValueError, match=r"z must have shape \(B, 8\), got \(6, 3\)"):
        Generator()(torch.randn(6, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(B, 2\), got \(6,\)"):
        Discriminator()(torch.randn(6))


def test_ring_of_gaussians_has_the_stated_modes() -> None:
    points, modes = ring_of_gaussians(80_000, std=0.05, seed=3)
    centers = ring_centers(8, 2.0)
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 2.0, rtol=1e-6)
    for j in range(8):
        members = points[modes == j]
        assert abs(len(members) / len(points) - 1 / 8) < 0.01
        np.testing.assert_allclose(members.mean(axis=0), centers[j], atol=0.005)
        np.testing.assert_allclose(members.std(axis=0), 0.05, rtol=0.05)
    again, _ = ring_of_gaussians(80_000, std=0.05, seed=3)
    assert np.array_equal(points, again)
    with pytest.raises(ValueError, match="std must be > 0, got 0"):
        ring_of_gaussians(10, std=0)
    with pytest.raises(ValueError, match="num_modes must be >= 1, got 0"):
        ring_centers(0)


def test_mode_coverage_on_data_and_on_collapsed_samples() -> None:
    points, _ = ring_of_gaussians(20_000, std=0.05, seed=0)
    real = mode_coverage(points, std=0.05)
    assert real["modes_covered"] == 8 and real["modes_reached"] == 8
    # within 3 sigma of the centre in 2-D: P(chi^2_2 <= 9) = 1 - exp(-4.5)
    assert real["high_quality_fraction"] == pytest.approx(1 - math.exp(-4.5), abs=0.003)
    assert real["kl_to_uniform"] < 0.001
    collapsed = mode_coverage(np.tile(ring_centers()[3], (500, 1)))
    assert collapsed["modes_covered"] == 1
    assert collapsed["counts"].tolist() == [0, 0, 0, 500, 0, 0, 0, 0]
    assert collapsed["kl_to_uniform"] == pytest.approx(math.log(8))
    nowhere = mode_coverage(np.zeros((50, 2)))
    assert nowhere["modes_covered"] == 0 and nowhere["high_quality_fraction"] == 0.0
    # spread out but imprecise: every mode is reached, none is covered
    spread, _ = ring_of_gaussians(4000, radius=2.0, std=0.5, seed=0)
    blurred = mode_coverage(spread * 1.3)
    assert blurred["modes_reached"] == 8 and blurred["modes_covered"] == 0
    assert math.isnan(nowhere["kl_to_uniform"])


def test_mode_coverage_needs_a_quarter_of_the_fair_share() -> None:
    """800 samples: a mode is covered with >= 25 high-quality samples (a quarter of 100)."""
    centers = ring_centers()
    samples = np.concatenate([np.tile(centers[0], (775, 1)), np.tile(centers[1], (25, 1))])
    assert mode_coverage(samples)["modes_covered"] == 2
    samples = np.concatenate([np.tile(centers[0], (776, 1)), np.tile(centers[1], (24, 1))])
    assert mode_coverage(samples)["modes_covered"] == 1


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_mode_coverage_ignores_the_order_of_samples(seed: int) -> None:
    points, _ = ring_of_gaussians(300, std=0.2, seed=seed % 1000)
    shuffled = np.random.default_rng(seed).permutation(points)
    first, second = mode_coverage(points), mode_coverage(shuffled)
    assert first["modes_covered"] == second["modes_covered"]
    assert np.array_equal(first["counts"], second["counts"])


def test_mode_coverage_rejects_bad_input() -> None:
    with pytest.raises(
        ValueError, match=r"samples must have shape \(M, 2\) with M >= 1, got \(5, 3\)"
    ):
        mode_coverage(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="quality_sigmas must be > 0"):
        mode_coverage(np.zeros((5, 2)), quality_sigmas=0)


def test_short_training_is_deterministic_and_records_snapshots() -> None:
    kwargs = {"steps": 20, "snapshot_steps": (0, 10, 20), "hidden_dim": 16, "num_eval_samples": 50}
    first, second = train_gan(**kwargs), train_gan(**kwargs)
    assert sorted(first["snapshots"]) == [0, 10, 20]
    assert first["snapshots"][20].shape == (50, 2)
    assert first["discriminator_losses"].shape == (20,)
    for step in (0, 10, 20):
        assert np.array_equal(first["snapshots"][step], second["snapshots"][step])
    assert not np.array_equal(first["snapshots"][0], first["snapshots"][20])  # it learned something
    with pytest.raises(ValueError, match=r"snapshot_steps must lie in \[0, 20\], got \(30,\)"):
        train_gan(steps=20, snapshot_steps=(30,))
    with pytest.raises(ValueError, match="steps must be >= 1, got 0"):
        train_gan(steps=0)
