r"""Autoencoders: an encoder, a bottleneck, a decoder and a reconstruction loss.

An autoencoder learns two maps, an encoder $f_\phi:\mathbb R^{D}\to\mathbb R^{k}$ and a
decoder $g_\theta:\mathbb R^{k}\to\mathbb R^{D}$, with a bottleneck $k \ll D$, by
minimising the reconstruction error

$$
\mathcal L(\phi, \theta) = \frac{1}{N D}\sum_{n=1}^{N}
\bigl\lVert x_n - g_\theta\bigl(f_\phi(x_n)\bigr)\bigr\rVert_2^2 .
$$

The code $z = f_\phi(x)$ is deterministic: the model compresses, it does not define a
distribution to sample from (that is what
[`scribbles.generative.autoencoders.vae`][scribbles.generative.autoencoders.vae] adds). With a
linear encoder and decoder the optimum spans the same subspace as the first $k$ principal
components, so
[`pca_reconstruction_error`][scribbles.generative.autoencoders.pca_reconstruction_error] is the
baseline every autoencoder here is compared with.

The data are the 8×8 handwritten digits shipped inside scikit-learn, scaled to $[0, 1]$.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from torch import nn

from scribbles.book.cache import cached
from scribbles.book.seeding import single_thread

__all__ = [
    "PIXELS",
    "Autoencoder",
    "autoencoder_from_result",
    "load_digits_split",
    "pca_reconstruction_error",
    "reconstruction_error",
    "tile_images",
    "train_autoencoder",
]

PIXELS = 64
"""Pixels of one 8×8 digit, the input dimension $D$."""


def load_digits_split(
    test_fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Load scikit-learn's 8×8 digits, scaled to $[0, 1]$, split into train and test.

    The split is stratified by digit and fixed by `seed`. Pixel values are the original
    grey levels $0,\dots,16$ divided by 16.

    Args:
        test_fraction: share of the 1797 images held out, in $(0, 1)$.
        seed: seed of the split.

    Returns:
        x_train: images, shape `(N_train, 64)`, `float32` in $[0, 1]$.
        x_test: images, shape `(N_test, 64)`.
        y_train: digit labels, shape `(N_train,)`, `int64`.
        y_test: digit labels, shape `(N_test,)`.

    Raises:
        ValueError: if `test_fraction` is not strictly between 0 and 1.

    Examples:
        >>> x_train, x_test, y_train, y_test = load_digits_split()
        >>> x_train.shape, x_test.shape, float(x_train.max())
        ((1437, 64), (360, 64), 1.0)
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)  # (1797, 64)
    y = digits.target.astype(np.int64)  # (1797,)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_fraction, random_state=seed, stratify=y
    )
    return x_train, x_test, y_train, y_test


class Autoencoder(nn.Module):
    r"""A multilayer-perceptron autoencoder with a `latent_dim`-wide bottleneck.

    $$
    z = f_\phi(x) = W_2\,\mathrm{ReLU}(W_1 x + b_1) + b_2, \qquad
    \hat x = g_\theta(z) = \sigma\bigl(W_4\,\mathrm{ReLU}(W_3 z + b_3) + b_4\bigr),
    $$

    with the logistic sigmoid $\sigma$ keeping pixels in $[0, 1]$. With `linear=True`
    both maps are single affine layers and there is no sigmoid: the model that PCA solves
    in closed form.

    Args:
        latent_dim: width $k$ of the bottleneck.
        input_dim: dimension $D$ of an input.
        hidden_dim: width of the hidden layer of the encoder and of the decoder.
        linear: use affine maps only (a linear autoencoder).

    Raises:
        ValueError: if a dimension is not positive.

    Examples:
        >>> model = Autoencoder(latent_dim=2)
        >>> x = torch.rand(5, 64)
        >>> model.encode(x).shape, model(x).shape
        (torch.Size([5, 2]), torch.Size([5, 64]))
    """

    def __init__(
        self, latent_dim: int, input_dim: int = PIXELS, hidden_dim: int = 128, linear: bool = False
    ) -> None:
        super().__init__()
        for name, value in (
            ("latent_dim", latent_dim),
            ("input_dim", input_dim),
            ("hidden_dim", hidden_dim),
        ):
            if value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value}")
        self.latent_dim = latent_dim
        self.input_dim = input_dim
        self.linear = linear
        if linear:
            self.encoder: nn.Module = nn.Linear(input_dim, latent_dim)
            self.decoder: nn.Module = nn.Linear(latent_dim, input_dim)
        else:
            self.encoder = nn.Sequential(
                nn.Linear(input_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, latent_dim)
            )
            self.decoder = nn.Sequential(
                nn.Linear(latent_dim, hidden_dim),
                nn.ReLU(),
                nn.Linear(hidden_dim, input_dim),
                nn.Sigmoid(),
            )

    def _check(self, tensor: torch.Tensor, width: int, name: str) -> None:
        if tensor.ndim != 2 or tensor.shape[1] != width:
            raise ValueError(f"{name} must have shape (B, {width}), got {tuple(tensor.shape)}")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Map inputs `(B, D)` to codes `(B, k)`."""
        self._check(x, self.input_dim, "x")
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Map codes `(B, k)` to reconstructions `(B, D)`."""
        self._check(z, self.latent_dim, "z")
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct inputs: `(B, D) -> (B, D)`."""
        return self.decode(self.encode(x))


def reconstruction_error(model: Autoencoder, x: np.ndarray | torch.Tensor) -> float:
    r"""Mean squared reconstruction error per pixel.

    $$
    \text{MSE} = \frac{1}{ND}\sum_{n=1}^{N}\lVert x_n - \hat x_n\rVert^2 .
    $$

    Args:
        model: a trained autoencoder.
        x: inputs, shape `(N, D)`.

    Returns:
        mse: the mean over images and pixels.

    Examples:
        >>> model = Autoencoder(latent_dim=2)
        >>> 0.0 < reconstruction_error(model, torch.rand(4, 64)) < 1.0
        True
    """
    inputs = torch.as_tensor(x, dtype=torch.float32)
    with torch.no_grad():
        return float(((model(inputs) - inputs) ** 2).mean())


def pca_reconstruction_error(x_train: np.ndarray, x_test: np.ndarray, n_components: int) -> float:
    r"""Reconstruction error of scikit-learn's PCA with `n_components` components.

    PCA is the best *linear* code of width $k$: it projects onto the top-$k$ principal
    subspace of the training data, $\hat x = \mu + U_k U_k^\top (x - \mu)$.

    Args:
        x_train: data the components are fitted on, shape `(N, D)`.
        x_test: data whose error is measured, shape `(M, D)`.
        n_components: the width $k$ of the code.

    Returns:
        mse: mean squared error per pixel on `x_test`.

    Raises:
        ValueError: if the widths of the two arrays differ.

    Examples:
        >>> x_train, x_test, _, _ = load_digits_split()
        >>> pca_reconstruction_error(x_train, x_test, 64) < 1e-10
        True
    """
    from sklearn.decomposition import PCA

    if x_train.ndim != 2 or x_test.ndim != 2 or x_train.shape[1] != x_test.shape[1]:
        raise ValueError(
            f"x_train and x_test must be (N, D) and (M, D), got {x_train.shape} and {x_test.shape}"
        )
    pca = PCA(n_components=n_components).fit(x_train)
    reconstructed = pca.inverse_transform(pca.transform(x_test))
    return float(((reconstructed - x_test) ** 2).mean())


def tile_images(images: np.ndarray, rows: int, cols: int, side: int = 8) -> np.ndarray:
    r"""Arrange flattened square images in a grid, one blank (NaN) pixel between them.

    Args:
        images: `rows * cols` flattened images, shape `(rows * cols, side * side)`, in
            row-major order.
        rows: images per column of the grid.
        cols: images per row of the grid.
        side: the side of an image in pixels.

    Returns:
        grid: shape `(rows * (side + 1) - 1, cols * (side + 1) - 1)`; the separating
            pixels are NaN, which `imshow` leaves transparent.

    Raises:
        ValueError: if `images` does not hold `rows * cols` images of `side * side` pixels.

    Examples:
        >>> tile_images(np.arange(8.0).reshape(2, 4), rows=1, cols=2, side=2)
        array([[ 0.,  1., nan,  4.,  5.],
               [ 2.,  3., nan,  6.,  7.]])
    """
    if images.shape != (rows * cols, side * side):
        raise ValueError(
            f"images must have shape ({rows * cols}, {side * side}) for a {rows}x{cols} grid, "
            f"got {images.shape}"
        )
    step = side + 1
    grid = np.full((rows * step - 1, cols * step - 1), np.nan)
    for index, image in enumerate(images):
        row, col = divmod(index, cols)
        grid[row * step : row * step + side, col * step : col * step + side] = image.reshape(
            side, side
        )
    return grid


@cached
def train_autoencoder(
    latent_dim: int,
    *,
    hidden_dim: int = 128,
    linear: bool = False,
    epochs: int = 100,
    batch_size: int = 256,
    learning_rate: float = 5e-3,
    seed: int = 0,
) -> dict[str, Any]:
    r"""Train an autoencoder on the digits (cached).

    The model is an [`Autoencoder`][scribbles.generative.autoencoders.Autoencoder].

    Adam on the mean squared error, mini-batches drawn by a generator seeded with
    `seed`; the same arguments always give the same weights.

    Args:
        latent_dim: width $k$ of the bottleneck.
        hidden_dim: width of the hidden layers.
        linear: train a linear autoencoder instead.
        epochs: passes over the 1437 training images.
        batch_size: images per step.
        learning_rate: Adam's step size.
        seed: seed of the initialisation and of the batch order.

    Returns:
        result: a dict with `state_dict` (the weights), `config` (the constructor
            arguments), `losses` (training MSE per epoch, shape `(epochs,)`),
            `train_mse` and `test_mse` (floats), `test_codes` (shape `(360, k)`),
            `test_labels` (shape `(360,)`) and `seconds` (training time).

    Raises:
        ValueError: if `epochs` or `batch_size` is not positive.

    Examples:
        >>> result = train_autoencoder(2, epochs=1)
        >>> result["test_codes"].shape, len(result["losses"])
        ((360, 2), 1)
    """
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got {epochs} and {batch_size}")
    start = time.perf_counter()
    x_train, x_test, _, y_test = load_digits_split()
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = Autoencoder(latent_dim, hidden_dim=hidden_dim, linear=linear)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    inputs = torch.from_numpy(x_train)  # (N, D)
    losses = []
    with single_thread():
        for _ in range(epochs):
            order = torch.randperm(len(inputs), generator=generator)
            total = 0.0
            for batch in inputs[order].split(batch_size):  # (B, D)
                loss = ((model(batch) - batch) ** 2).mean()  # (1/BD) sum ||x - g(f(x))||^2
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(batch)
            losses.append(total / len(inputs))
    model.eval()
    with torch.no_grad():
        test_codes = model.encode(torch.from_numpy(x_test)).numpy()  # (M, k)
    return {
        "state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "config": {"latent_dim": latent_dim, "hidden_dim": hidden_dim, "linear": linear},
        "losses": np.asarray(losses),
        "train_mse": reconstruction_error(model, x_train),
        "test_mse": reconstruction_error(model, x_test),
        "test_codes": test_codes,
        "test_labels": y_test,
        "seconds": time.perf_counter() - start,
    }


def autoencoder_from_result(result: dict[str, Any]) -> Autoencoder:
    """Rebuild a trained autoencoder from the result of its training.

    The inverse of what
    [`train_autoencoder`][scribbles.generative.autoencoders.train_autoencoder] stores.

    Args:
        result: the dict returned by `train_autoencoder`.

    Returns:
        model: the autoencoder with the trained weights, in evaluation mode.

    Raises:
        ValueError: if `result` lacks `config` or `state_dict`.

    Examples:
        >>> model = autoencoder_from_result(train_autoencoder(2, epochs=1))
        >>> model.latent_dim
        2
    """
    if "config" not in result or "state_dict" not in result:
        raise ValueError(f"result must be a dict from train_autoencoder, got keys {sorted(result)}")
    model = Autoencoder(**result["config"])
    model.load_state_dict(result["state_dict"])
    return model.eval()
