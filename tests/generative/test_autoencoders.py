"""Tests for scribbles.generative.autoencoders: data, model, training, and the PCA baseline."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from scribbles.generative.autoencoders import (
    Autoencoder,
    autoencoder_from_result,
    load_digits_split,
    pca_reconstruction_error,
    reconstruction_error,
    tile_images,
    train_autoencoder,
)


@pytest.fixture(autouse=True)
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Train for real in every test: a stale cache entry must not hide a bug."""
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")


def test_digits_split_is_scaled_stratified_and_fixed() -> None:
    x_train, x_test, _, y_test = load_digits_split()
    assert x_train.shape == (1437, 64) and x_test.shape == (360, 64)
    assert x_train.dtype == np.float32
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    # stratified: every digit holds between 9.5 % and 10.5 % of the test set
    shares = np.bincount(y_test, minlength=10) / len(y_test)
    assert np.all(np.abs(shares - 0.1) < 0.005)
    again = load_digits_split()
    assert np.array_equal(again[0], x_train) and np.array_equal(again[3], y_test)
    assert not np.array_equal(load_digits_split(seed=1)[0], x_train)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_digits_split_rejects_bad_fraction(fraction: float) -> None:
    with pytest.raises(ValueError, match=r"test_fraction must be in \(0, 1\)"):
        load_digits_split(test_fraction=fraction)


def test_autoencoder_shapes_and_pixel_range() -> None:
    torch.manual_seed(0)
    model = Autoencoder(latent_dim=3, hidden_dim=16)
    x = torch.rand(7, 64)
    assert model.encode(x).shape == (7, 3)
    out = model(x)
    assert out.shape == (7, 64)
    assert out.min() >= 0.0 and out.max() <= 1.0  # the sigmoid keeps pixels in [0, 1]
    linear = Autoencoder(latent_dim=3, linear=True)
    assert isinstance(linear.encoder, torch.nn.Linear)
    assert isinstance(linear.decoder, torch.nn.Linear)


def test_autoencoder_rejects_bad_shapes_and_sizes() -> None:
    model = Autoencoder(latent_dim=2)
    with pytest.raises(ValueError, match=r"x must have shape \(B, 64\), got \(3, 10\)"):
        model.encode(torch.zeros(3, 10))
    with pytest.raises(ValueError, match=r"z must have shape \(B, 2\), got \(3, 5\)"):
        model.decode(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="latent_dim must be a positive integer, got 0"):
        Autoencoder(latent_dim=0)


def test_reconstruction_error_is_the_mean_squared_error() -> None:
    torch.manual_seed(0)
    model = Autoencoder(latent_dim=2, hidden_dim=8)
    x = torch.rand(5, 64)
    with torch.no_grad():
        expected = torch.nn.functional.mse_loss(model(x), x).item()
    assert reconstruction_error(model, x) == pytest.approx(expected, rel=1e-6)


def test_pca_error_matches_a_numpy_projection() -> None:
    """sklearn's PCA reconstruction equals the projection on the top-k right singular vectors."""
    x_train, x_test, _, _ = load_digits_split()
    mean = x_train.mean(axis=0)
    _, _, vt = np.linalg.svd(x_train - mean, full_matrices=False)
    basis = vt[:5].T  # (D, k)
    reconstructed = mean + (x_test - mean) @ basis @ basis.T
    expected = float(((reconstructed - x_test) ** 2).mean())
    assert pca_reconstruction_error(x_train, x_test, 5) == pytest.approx(expected, rel=1e-4)
    with pytest.raises(ValueError, match=r"x_train and x_test must be \(N, D\) and \(M, D\)"):
        pca_reconstruction_error(x_train, x_test[:, :10], 2)


def test_linear_autoencoder_finds_the_pca_solution() -> None:
    """A linear autoencoder trained by gradient descent reaches PCA's optimum.

    PCA is the global minimum of the training MSE among rank-k linear codes, so the
    autoencoder can only approach it from above: within 1 % on the training set, and its
    decoder spans the principal subspace (all cosines of the principal angles > 0.99).
    """
    x_train, _, _, _ = load_digits_split()
    result = train_autoencoder(2, linear=True, epochs=150, learning_rate=2e-2)
    optimum = pca_reconstruction_error(x_train, x_train, 2)
    assert optimum * (1 - 1e-4) <= result["train_mse"] <= optimum * 1.01
    decoder = result["state_dict"]["decoder.weight"].numpy()  # (D, k)
    learned, _ = np.linalg.qr(decoder)
    principal = PCA(n_components=2).fit(x_train).components_.T  # (D, k), orthonormal
    cosines = np.linalg.svd(learned.T @ principal, compute_uv=False)
    assert cosines.min() > 0.99


def test_training_lowers_the_loss_and_is_deterministic() -> None:
    first = train_autoencoder(4, hidden_dim=32, epochs=4)
    second = train_autoencoder(4, hidden_dim=32, epochs=4)
    assert first["losses"][-1] < first["losses"][0]
    for name, tensor in first["state_dict"].items():
        assert torch.equal(tensor, second["state_dict"][name]), name
    other = train_autoencoder(4, hidden_dim=32, epochs=4, seed=1)
    assert not np.array_equal(other["test_codes"], first["test_codes"])


def test_training_result_is_picklable_and_rebuilds_the_model() -> None:
    result = pickle.loads(pickle.dumps(train_autoencoder(2, hidden_dim=16, epochs=2)))
    assert result["test_codes"].shape == (360, 2) and result["test_labels"].shape == (360,)
    model = autoencoder_from_result(result)
    _, x_test, _, _ = load_digits_split()
    assert reconstruction_error(model, x_test) == pytest.approx(result["test_mse"], rel=1e-6)
    with pytest.raises(ValueError, match="result must be a dict from train_autoencoder"):
        autoencoder_from_result({"losses": []})


def test_training_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="epochs and batch_size must be >= 1, got 0 and 256"):
        train_autoencoder(2, epochs=0)


def test_tile_images_places_each_image_in_its_cell() -> None:
    images = np.arange(6 * 64, dtype=float).reshape(6, 64)
    grid = tile_images(images, rows=2, cols=3)
    assert grid.shape == (17, 26)
    np.testing.assert_array_equal(grid[9:17, 18:26], images[5].reshape(8, 8))  # row 1, col 2
    assert np.isnan(grid[8]).all() and np.isnan(grid[:, 8]).all()
    with pytest.raises(ValueError, match=r"images must have shape \(4, 64\) for a 2x2 grid"):
        tile_images(images, rows=2, cols=2)
