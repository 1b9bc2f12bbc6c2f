r"""Variational autoencoders: a probabilistic encoder, the reparameterisation trick, the ELBO.

A VAE is a latent-variable model $p_\theta(x) = \int p_\theta(x\mid z)\,p(z)\,dz$ with the
prior $p(z) = \mathcal N(0, I)$. The integral has no closed form, so it is trained by
maximising the *evidence lower bound* (ELBO) with an encoder
$q_\phi(z\mid x) = \mathcal N\bigl(\mu_\phi(x), \operatorname{diag}\sigma^2_\phi(x)\bigr)$:

$$
\log p_\theta(x) \;\ge\; \mathcal L(x) =
\mathbb E_{q_\phi(z\mid x)}\bigl[\log p_\theta(x\mid z)\bigr]
- \mathrm{KL}\bigl(q_\phi(z\mid x)\,\Vert\,p(z)\bigr),
$$

and the gap is $\mathrm{KL}\bigl(q_\phi(z\mid x)\,\Vert\,p_\theta(z\mid x)\bigr) \ge 0$.
The first term is estimated with one sample $z = \mu + \sigma\odot\varepsilon$
([`reparameterize`][scribbles.generative.autoencoders.vae.reparameterize]); the second has a closed
form ([`gaussian_kl`][scribbles.generative.autoencoders.vae.gaussian_kl]).

The decoder here is Gaussian, $p_\theta(x\mid z) = \mathcal N\bigl(g_\theta(z), s^2 I\bigr)$,
with one learned scale $s$ for all pixels, so that $\log p_\theta(x)$ is a genuine
log-density on $\mathbb R^{64}$ and can be estimated by
[`importance_weighted_log_likelihood`][scribbles.generative.autoencoders.vae.importance_weighted_log_likelihood].
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from scribbles.book.cache import cached
from scribbles.book.seeding import single_thread
from scribbles.generative.autoencoders import PIXELS, load_digits_split

__all__ = [
    "VAE",
    "elbo_terms",
    "gaussian_kl",
    "gaussian_log_likelihood",
    "gradient_energy",
    "grid_log_likelihood",
    "importance_weighted_log_likelihood",
    "interpolation_roughness",
    "latent_hole_fraction",
    "likelihood_bounds",
    "nearest_neighbour_rmse",
    "reparameterize",
    "train_vae",
    "vae_from_result",
]


def _check_pair(mu: torch.Tensor, logvar: torch.Tensor) -> None:
    for name, value in (("mu", mu), ("logvar", logvar)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if mu.shape != logvar.shape:
        raise ValueError(
            f"mu and logvar must have the same shape, got {tuple(mu.shape)} and "
            f"{tuple(logvar.shape)}"
        )
    if mu.ndim != 2:
        raise ValueError(f"mu and logvar must have shape (B, k), got {tuple(mu.shape)}")


def reparameterize(
    mu: torch.Tensor, logvar: torch.Tensor, noise: torch.Tensor | None = None
) -> torch.Tensor:
    r"""Sample $z \sim \mathcal N(\mu, \sigma^2)$ differentiably in $\mu$ and $\log\sigma^2$.

    $$
    z = \mu + \sigma \odot \varepsilon, \qquad \sigma = \exp\bigl(\tfrac12\log\sigma^2\bigr),
    \qquad \varepsilon \sim \mathcal N(0, I).
    $$

    The randomness lives in $\varepsilon$, which does not depend on the parameters, so
    $\partial z/\partial\mu = 1$ and $\partial z/\partial\log\sigma^2 = \tfrac12\sigma\varepsilon$:
    gradients flow through the sample.

    Args:
        mu: means, shape `(B, k)`.
        logvar: log-variances $\log\sigma^2$, shape `(B, k)`.
        noise: optional $\varepsilon$, shape `(B, k)`; drawn from `torch.randn` if `None`.

    Returns:
        z: samples, shape `(B, k)`.

    Raises:
        TypeError: if `mu` or `logvar` is not a tensor.
        ValueError: if the shapes differ or are not `(B, k)`.

    Examples:
        >>> mu, logvar = torch.zeros(1, 2), torch.log(torch.full((1, 2), 4.0))
        >>> reparameterize(mu, logvar, noise=torch.tensor([[1.0, -0.5]]))
        tensor([[ 2., -1.]])
    """
    _check_pair(mu, logvar)
    if noise is None:
        noise = torch.randn_like(mu)
    elif noise.shape != mu.shape:
        raise ValueError(
            f"noise must have the shape of mu {tuple(mu.shape)}, got {tuple(noise.shape)}"
        )
    return mu + torch.exp(0.5 * logvar) * noise  # (B, k)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""Closed-form $\mathrm{KL}(\mathcal N(\mu, \sigma^2)\Vert\mathcal N(0, I))$, one per row.

    $$
    \mathrm{KL}\bigl(\mathcal N(\mu,\operatorname{diag}\sigma^2)\,\Vert\,\mathcal N(0,I)\bigr)
    = \frac12\sum_{j=1}^{k}\bigl(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2\bigr).
    $$

    Args:
        mu: means, shape `(B, k)`.
        logvar: log-variances, shape `(B, k)`.

    Returns:
        kl: one divergence per row, in nats, shape `(B,)`.

    Raises:
        TypeError: if `mu` or `logvar` is not a tensor.
        ValueError: if the shapes differ or are not `(B, k)`.

    Examples:
        >>> gaussian_kl(torch.zeros(1, 3), torch.zeros(1, 3))
        tensor([0.])
        >>> gaussian_kl(torch.tensor([[2.0]]), torch.zeros(1, 1))
        tensor([2.])
    """
    _check_pair(mu, logvar)
    return 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar).sum(dim=1)  # (B,)


def gaussian_log_likelihood(
    x: torch.Tensor, mean: torch.Tensor, log_scale: torch.Tensor
) -> torch.Tensor:
    r"""Log-density of $x$ under $\mathcal N(\text{mean}, s^2 I)$, per row.

    $$
    \log \mathcal N(x;\, m, s^2 I) = -\frac{D}{2}\log(2\pi) - D\log s
    - \frac{\lVert x - m\rVert^2}{2 s^2}.
    $$

    Args:
        x: observations, shape `(B, D)`.
        mean: decoder means, shape `(B, D)`.
        log_scale: $\log s$, a scalar tensor.

    Returns:
        log_prob: shape `(B,)`, in nats.

    Raises:
        ValueError: if `x` and `mean` differ in shape.

    Examples:
        >>> zero = torch.zeros(1, 1)
        >>> float(gaussian_log_likelihood(zero, zero, torch.tensor(0.0))[0])  # -log(2 pi) / 2
        -0.9189...
    """
    if x.shape != mean.shape:
        raise ValueError(
            f"x and mean must have the same shape, got {tuple(x.shape)} and {tuple(mean.shape)}"
        )
    dim = x.shape[-1]
    squared = ((x - mean) ** 2).sum(dim=-1)  # (B,)
    return (
        -0.5 * dim * math.log(2 * math.pi) - dim * log_scale - squared / (2 * (2 * log_scale).exp())
    )


class VAE(nn.Module):
    r"""A variational autoencoder with a Gaussian encoder and a Gaussian decoder.

    $$
    (\mu, \log\sigma^2) = f_\phi(x), \qquad z = \mu + \sigma\odot\varepsilon, \qquad
    p_\theta(x\mid z) = \mathcal N\bigl(g_\theta(z), s^2 I\bigr).
    $$

    The encoder outputs $\log\sigma^2$ rather than $\sigma$, so that any real output is a
    valid (positive) variance. $g_\theta$ ends in a sigmoid (pixels are in $[0, 1]$);
    $\log s$ is one learned scalar.

    Args:
        latent_dim: width $k$ of the latent space.
        input_dim: dimension $D$ of an input.
        hidden_dim: width of the hidden layers.

    Raises:
        ValueError: if a dimension is not positive.

    Examples:
        >>> model = VAE(latent_dim=2)
        >>> mean, mu, logvar = model(torch.rand(5, 64))
        >>> mean.shape, mu.shape, logvar.shape
        (torch.Size([5, 64]), torch.Size([5, 2]), torch.Size([5, 2]))
    """

    def __init__(self, latent_dim: int, input_dim: int = PIXELS, hidden_dim: int = 128) -> None:
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
        self.encoder = nn.Sequential(
            nn.Linear(input_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, 2 * latent_dim)
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, input_dim),
            nn.Sigmoid(),
        )
        self.log_scale = nn.Parameter(torch.tensor(math.log(0.2)))  # log s of p(x | z)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        r"""Map inputs `(B, D)` to the mean and log-variance of $q(z\mid x)$, each `(B, k)`."""
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise ValueError(f"x must have shape (B, {self.input_dim}), got {tuple(x.shape)}")
        mu, logvar = self.encoder(x).chunk(2, dim=1)  # (B, k), (B, k)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        r"""Map latents `(B, k)` to the decoder mean $g_\theta(z)$, shape `(B, D)`."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (B, {self.latent_dim}), got {tuple(z.shape)}")
        return self.decoder(z)

    def forward(
        self, x: torch.Tensor, noise: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encode, sample one $z$ per input, decode: returns `(mean, mu, logvar)`."""
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar, noise)  # (B, k)
        return self.decode(z), mu, logvar


def elbo_terms(
    model: VAE, x: torch.Tensor, noise: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The two terms of the ELBO, per input, with one reparameterised sample.

    $$
    \mathcal L(x) = \underbrace{\log p_\theta(x\mid z)}_{\text{reconstruction}}
    - \underbrace{\mathrm{KL}\bigl(q_\phi(z\mid x)\,\Vert\,p(z)\bigr)}_{\text{regulariser}},
    \qquad z = \mu_\phi(x) + \sigma_\phi(x)\odot\varepsilon .
    $$

    The training loss is $-\frac1B\sum_b \mathcal L(x_b)$.

    Args:
        model: the VAE.
        x: inputs, shape `(B, D)`.
        noise: optional $\varepsilon$, shape `(B, k)`.

    Returns:
        log_likelihood: $\log p_\theta(x\mid z)$, shape `(B,)`.
        kl: $\mathrm{KL}(q_\phi(z\mid x)\Vert p(z))$, shape `(B,)`.

    Examples:
        >>> log_likelihood, kl = elbo_terms(VAE(latent_dim=2), torch.rand(3, 64))
        >>> log_likelihood.shape, bool((kl >= 0).all())
        (torch.Size([3]), True)
    """
    mean, mu, logvar = model(x, noise)
    return gaussian_log_likelihood(x, mean, model.log_scale), gaussian_kl(mu, logvar)


def importance_weighted_log_likelihood(
    model: VAE, x: torch.Tensor, num_samples: int, seed: int = 0
) -> torch.Tensor:
    r"""Estimate $\log p_\theta(x)$ by importance sampling with the encoder as proposal.

    $$
    \log \hat p_K(x) = \log\frac1K\sum_{i=1}^{K}
    \frac{p_\theta(x\mid z_i)\,p(z_i)}{q_\phi(z_i\mid x)}, \qquad z_i \sim q_\phi(z\mid x).
    $$

    Its expectation is a lower bound on $\log p_\theta(x)$ that equals the ELBO at $K=1$
    and increases to $\log p_\theta(x)$ as $K\to\infty$ (Burda et al., 2016).

    Args:
        model: a VAE.
        x: inputs, shape `(B, D)`.
        num_samples: $K \ge 1$.
        seed: seed of the samples $z_i$.

    Returns:
        log_px: one estimate per input, shape `(B,)`, in nats.

    Raises:
        ValueError: if `num_samples` < 1.

    Examples:
        >>> model = VAE(latent_dim=2)
        >>> importance_weighted_log_likelihood(model, torch.rand(3, 64), 10).shape
        torch.Size([3])
    """
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1, got {num_samples}")
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        mu, logvar = model.encode(x)  # (B, k)
        batch, k = mu.shape
        noise = torch.randn(num_samples, batch, k, generator=generator)  # (K, B, k)
        z = mu + torch.exp(0.5 * logvar) * noise  # (K, B, k)
        mean = model.decode(z.reshape(-1, k)).reshape(num_samples, batch, -1)  # (K, B, D)
        log_px_given_z = gaussian_log_likelihood(x.expand_as(mean), mean, model.log_scale)
        log_prior = -0.5 * (z**2 + math.log(2 * math.pi)).sum(-1)  # (K, B)
        log_q = -0.5 * (noise**2 + logvar + math.log(2 * math.pi)).sum(-1)  # (K, B)
        log_weights = log_px_given_z + log_prior - log_q  # (K, B)
        return torch.logsumexp(log_weights, dim=0) - math.log(num_samples)  # (B,)


def grid_log_likelihood(
    model: VAE, x: torch.Tensor, limit: float = 5.0, points: int = 201
) -> torch.Tensor:
    r"""Compute $\log p_\theta(x)$ of a VAE with a 2-D latent space by quadrature on a grid.

    $$
    p_\theta(x) = \int p_\theta(x\mid z)\,p(z)\,dz
    \approx h^2 \sum_{i,j} p_\theta(x\mid z_{ij})\,p(z_{ij}),
    $$

    with $z_{ij}$ on a `points` × `points` grid over $[-\text{limit}, \text{limit}]^2$
    and spacing $h$, summed in log space. With two latent dimensions this is the true
    log-likelihood up to the grid error, a reference for the bounds.

    Args:
        model: a VAE with `latent_dim == 2`.
        x: inputs, shape `(B, D)`.
        limit: half-width of the grid (the prior puts mass $< 10^{-5}$ outside $\pm 5$).
        points: grid points per axis.

    Returns:
        log_px: shape `(B,)`, in nats.

    Raises:
        ValueError: if the model's latent space is not 2-D, or `points` < 2.

    Examples:
        >>> grid_log_likelihood(VAE(latent_dim=2), torch.rand(3, 64), points=51).shape
        torch.Size([3])
    """
    if model.latent_dim != 2:
        raise ValueError(f"the model's latent_dim must be 2 for a grid, got {model.latent_dim}")
    if points < 2:
        raise ValueError(f"points must be >= 2, got {points}")
    axis = torch.linspace(-limit, limit, points)
    spacing = float(axis[1] - axis[0])
    grid = torch.cartesian_prod(axis, axis)  # (G, 2)
    log_prior = -0.5 * (grid**2).sum(1) - math.log(2 * math.pi)  # (G,)
    dim = x.shape[1]
    variance = (2 * model.log_scale).exp()
    chunks = []
    with torch.no_grad():
        means = model.decode(grid)  # (G, D)
        for part in x.split(32):  # (b, D)
            squared = (
                (part**2).sum(1)[:, None] - 2 * part @ means.T + (means**2).sum(1)[None, :]
            )  # (b, G) = ||x - g(z)||^2
            log_px_given_z = (
                -0.5 * dim * math.log(2 * math.pi)
                - dim * model.log_scale
                - squared / (2 * variance)
            )
            chunks.append(torch.logsumexp(log_px_given_z + log_prior, dim=1))
    return torch.cat(chunks) + 2 * math.log(spacing)  # (B,)


@cached
def likelihood_bounds(
    num_samples: tuple[int, ...] = (1, 10, 100, 1000), *, epochs: int = 100, seed: int = 0
) -> dict[str, Any]:
    r"""The ELBO, importance-weighted bounds and the true $\log p(x)$ on test digits (cached).

    Uses the 2-D VAE of [`train_vae`][scribbles.generative.autoencoders.vae.train_vae] and the 360
    test images; the true value comes from
    [`grid_log_likelihood`][scribbles.generative.autoencoders.vae.grid_log_likelihood].

    Args:
        num_samples: the values of $K$ for
            [`importance_weighted_log_likelihood`][scribbles.generative.autoencoders.vae.importance_weighted_log_likelihood].
        epochs: passed to `train_vae`.
        seed: passed to `train_vae`, and seed of the importance samples.

    Returns:
        bounds: a dict with `elbo` (mean over images of the ELBO, averaged over 100
            draws of $z$), `importance_weighted` ($K$ → mean $\log\hat p_K(x)$),
            `grid` (mean $\log p(x)$ by quadrature) and `seconds`; all in nats per image.

    Examples:
        >>> bounds = likelihood_bounds((1, 4), epochs=1)
        >>> bounds["elbo"] <= bounds["grid"]
        True
    """
    start = time.perf_counter()
    model = vae_from_result(train_vae(2, epochs=epochs, seed=seed))
    _, x_test, _, _ = load_digits_split()
    x = torch.from_numpy(x_test)  # (M, D)
    generator = torch.Generator().manual_seed(seed)
    with single_thread(), torch.no_grad():
        draws = []
        for _ in range(100):
            noise = torch.randn(len(x), 2, generator=generator)  # (M, 2)
            log_likelihood, kl = elbo_terms(model, x, noise)
            draws.append(log_likelihood - kl)
        elbo = float(torch.stack(draws).mean())
        weighted = {
            k: float(importance_weighted_log_likelihood(model, x, k, seed=seed).mean())
            for k in num_samples
        }
        grid = float(grid_log_likelihood(model, x).mean())
    return {
        "elbo": elbo,
        "importance_weighted": weighted,
        "grid": grid,
        "seconds": time.perf_counter() - start,
    }


def nearest_neighbour_rmse(samples: np.ndarray, reference: np.ndarray) -> np.ndarray:
    r"""Root-mean-square pixel distance from each sample to its nearest reference image.

    $$
    d(x) = \min_{n}\ \sqrt{\tfrac1D\lVert x - x_n\rVert^2}.
    $$

    A decoded latent point that lands in a "hole" of the latent space gives an image far
    from every real digit: a large $d$.

    Args:
        samples: generated images, shape `(M, D)`.
        reference: real images, shape `(N, D)`.

    Returns:
        distances: shape `(M,)`.

    Raises:
        ValueError: if the arrays are not 2-D with the same width.

    Examples:
        >>> nearest_neighbour_rmse(np.zeros((1, 4)), np.array([[1.0, 1, 1, 1], [0, 0, 0, 2]]))
        array([1.])
    """
    if samples.ndim != 2 or reference.ndim != 2 or samples.shape[1] != reference.shape[1]:
        raise ValueError(
            f"samples and reference must be (M, D) and (N, D), got {samples.shape} and "
            f"{reference.shape}"
        )
    squared = (
        (samples**2).sum(1)[:, None] - 2 * samples @ reference.T + (reference**2).sum(1)[None, :]
    )  # (M, N)
    return np.sqrt(np.maximum(squared.min(axis=1), 0.0) / samples.shape[1])


def latent_hole_fraction(codes: np.ndarray, samples: np.ndarray, factor: float = 3.0) -> float:
    r"""Share of latent samples that fall in a "hole": far from every training code.

    With $s$ the median distance from a code to its nearest other code (the typical
    spacing), a sample $z$ is in a hole when
    $\min_n\lVert z - z_n\rVert > \text{factor}\cdot s$. Rescaling the latent space
    rescales both sides, so the number compares latent spaces of different scales.

    Args:
        codes: codes of the training images, shape `(N, k)`.
        samples: latent points a generator would decode, shape `(M, k)`.
        factor: how many typical spacings away counts as a hole.

    Returns:
        fraction: in $[0, 1]$.

    Raises:
        ValueError: if the arrays are not 2-D with the same width, or `codes` has fewer
            than two rows.

    Examples:
        >>> codes = np.array([[0.0], [1.0], [2.0]])
        >>> latent_hole_fraction(codes, np.array([[0.5], [1.5], [9.0], [-4.0]]))
        0.5
    """
    from sklearn.neighbors import NearestNeighbors

    if codes.ndim != 2 or samples.ndim != 2 or codes.shape[1] != samples.shape[1]:
        raise ValueError(
            f"codes and samples must be (N, k) and (M, k), got {codes.shape} and {samples.shape}"
        )
    if len(codes) < 2:
        raise ValueError(f"codes must hold at least 2 rows, got {len(codes)}")
    index = NearestNeighbors(n_neighbors=2).fit(codes)
    spacing = float(np.median(index.kneighbors(codes)[0][:, 1]))  # [:, 0] is the code itself
    distance = index.kneighbors(samples, n_neighbors=1)[0][:, 0]  # (M,)
    return float((distance > factor * spacing).mean())


def interpolation_roughness(
    decode: Callable[[torch.Tensor], torch.Tensor],
    start: torch.Tensor,
    end: torch.Tensor,
    steps: int = 21,
) -> np.ndarray:
    r"""How unevenly the decoded image changes along straight lines in latent space.

    Decode $x_t = g\bigl((1-t)\,z_a + t\,z_b\bigr)$ at `steps` evenly spaced $t$ and
    measure the pixel change between neighbours, $\delta_i = \mathrm{RMS}(x_{t_{i+1}} -
    x_{t_i})$. The roughness is the largest change over the mean change,
    $\max_i\delta_i / \overline{\delta}$: 1 for a perfectly even morph, large when the
    image jumps somewhere along the path (a discontinuity of the decoder).

    Args:
        decode: the decoder, latents `(B, k)` to images `(B, D)`.
        start: path starts $z_a$, shape `(P, k)`.
        end: path ends $z_b$, shape `(P, k)`.
        steps: points per path, at least 3.

    Returns:
        roughness: one ratio per path, shape `(P,)`.

    Raises:
        ValueError: if `start` and `end` differ in shape, share a row, or `steps` < 3.

    Examples:
        >>> line = lambda z: z.repeat(1, 4)  # a linear decoder changes evenly
        >>> interpolation_roughness(line, torch.zeros(2, 1), torch.ones(2, 1)).round(6)
        array([1., 1.], dtype=float32)
    """
    if start.shape != end.shape or start.ndim != 2:
        raise ValueError(
            f"start and end must both be (P, k), got {tuple(start.shape)} and {tuple(end.shape)}"
        )
    if steps < 3:
        raise ValueError(f"steps must be >= 3, got {steps}")
    same = (start == end).all(dim=1)
    if same.any():
        raise ValueError(
            f"every path needs distinct ends; rows {same.nonzero().flatten().tolist()} of start "
            "and end are equal"
        )
    t = torch.linspace(0, 1, steps)[:, None, None]  # (T, 1, 1)
    path = (1 - t) * start + t * end  # (T, P, k)
    with torch.no_grad():
        images = decode(path.reshape(-1, start.shape[1])).reshape(steps, len(start), -1)
    changes = ((images[1:] - images[:-1]) ** 2).mean(-1).sqrt()  # (T-1, P)
    return (changes.max(0).values / changes.mean(0)).numpy()


def gradient_energy(images: np.ndarray, side: int = 8) -> float:
    r"""Mean squared difference between neighbouring pixels: a measure of sharpness.

    $$
    E = \operatorname{mean}_{i,j}\,(x_{i+1,j} - x_{i,j})^2
    + \operatorname{mean}_{i,j}\,(x_{i,j+1} - x_{i,j})^2 .
    $$

    Averaging images (what a Gaussian decoder's mean does) smooths edges and lowers $E$.

    Args:
        images: flattened square images, shape `(N, side * side)`.
        side: the side of an image in pixels.

    Returns:
        energy: the mean over images, a float.

    Raises:
        ValueError: if `images` is not `(N, side * side)`.

    Examples:
        >>> gradient_energy(np.array([[0.0, 1.0, 1.0, 0.0]]), side=2)  # a 2x2 checkerboard
        2.0
        >>> gradient_energy(np.full((1, 4), 0.5), side=2)  # a flat image
        0.0
    """
    if images.ndim != 2 or images.shape[1] != side * side:
        raise ValueError(f"images must have shape (N, {side * side}), got {images.shape}")
    squares = images.reshape(-1, side, side)
    vertical = float((np.diff(squares, axis=1) ** 2).mean())
    horizontal = float((np.diff(squares, axis=2) ** 2).mean())
    return vertical + horizontal


@cached
def train_vae(
    latent_dim: int = 2,
    *,
    hidden_dim: int = 128,
    epochs: int = 100,
    batch_size: int = 256,
    learning_rate: float = 5e-3,
    seed: int = 0,
) -> dict[str, Any]:
    r"""Train a [`VAE`][scribbles.generative.autoencoders.vae.VAE] on the digits: maximise the ELBO.

    Adam on $-\frac1B\sum_b\mathcal L(x_b)$ with one reparameterised sample per image;
    the same arguments always give the same weights.

    Args:
        latent_dim: width $k$ of the latent space.
        hidden_dim: width of the hidden layers.
        epochs: passes over the 1437 training images.
        batch_size: images per step.
        learning_rate: Adam's step size.
        seed: seed of the initialisation, the batch order and the noise.

    Returns:
        result: a dict with `state_dict`, `config`, `losses` (negative ELBO per epoch,
            nats per image, shape `(epochs,)`), `test_mu` (encoder means of the test images,
            shape `(360, k)`), `test_labels`, `test_mse` (reconstruction from $z=\mu$),
            `test_elbo`, `test_kl`, `test_log_likelihood` (mean nats per image) and
            `seconds`.

    Raises:
        ValueError: if `epochs` or `batch_size` is not positive.

    Examples:
        >>> result = train_vae(epochs=1)
        >>> result["test_mu"].shape
        (360, 2)
    """
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got {epochs} and {batch_size}")
    start = time.perf_counter()
    x_train, x_test, _, y_test = load_digits_split()
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = VAE(latent_dim, hidden_dim=hidden_dim)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    inputs = torch.from_numpy(x_train)  # (N, D)
    losses = []
    with single_thread():
        for _ in range(epochs):
            order = torch.randperm(len(inputs), generator=generator)
            total = 0.0
            for batch in inputs[order].split(batch_size):  # (B, D)
                noise = torch.randn(len(batch), latent_dim, generator=generator)  # (B, k)
                log_likelihood, kl = elbo_terms(model, batch, noise)
                loss = (kl - log_likelihood).mean()  # -ELBO, averaged over the batch
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(batch)
            losses.append(total / len(inputs))
    model.eval()
    test = torch.from_numpy(x_test)
    with torch.no_grad():
        mu, _ = model.encode(test)
        log_likelihood, kl = elbo_terms(
            model, test, torch.randn(mu.shape, generator=torch.Generator().manual_seed(seed + 1))
        )
        test_mse = float(((model.decode(mu) - test) ** 2).mean())
    return {
        "state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "config": {"latent_dim": latent_dim, "hidden_dim": hidden_dim},
        "losses": np.asarray(losses),
        "test_mu": mu.numpy(),
        "test_labels": y_test,
        "test_mse": test_mse,
        "test_elbo": float((log_likelihood - kl).mean()),
        "test_kl": float(kl.mean()),
        "test_log_likelihood": float(log_likelihood.mean()),
        "seconds": time.perf_counter() - start,
    }


def vae_from_result(result: dict[str, Any]) -> VAE:
    """Rebuild a model from [`train_vae`][scribbles.generative.autoencoders.vae.train_vae].

    Args:
        result: the dict returned by `train_vae`.

    Returns:
        model: the VAE with the trained weights, in evaluation mode.

    Raises:
        ValueError: if `result` lacks `config` or `state_dict`.

    Examples:
        >>> vae_from_result(train_vae(epochs=1)).latent_dim
        2
    """
    if "config" not in result or "state_dict" not in result:
        raise ValueError(f"result must be a dict from train_vae, got keys {sorted(result)}")
    model = VAE(**result["config"])
    model.load_state_dict(result["state_dict"])
    return model.eval()
