r"""Generative adversarial networks on a ring of Gaussians, and how to measure mode coverage.

A generator $G$ maps noise $z\sim p(z)$ to samples $G(z)$; a discriminator
$D(x) = \sigma(\ell(x))$ (with logit $\ell$) estimates the probability that $x$ is real.
Goodfellow et al. (2014) pose the two-player game

$$
\min_G \max_D\; V(D, G) =
\mathbb E_{x\sim p_\text{data}}\bigl[\log D(x)\bigr]
+ \mathbb E_{z\sim p(z)}\bigl[\log\bigl(1 - D(G(z))\bigr)\bigr].
$$

For a fixed $G$ the best discriminator is $D^*(x) = p_\text{data}(x) / (p_\text{data}(x)
+ p_G(x))$, and then $V = 2\,\mathrm{JS}(p_\text{data}\Vert p_G) - \log 4$. Early in
training $D(G(z))\approx 0$ and $\log(1 - D(G(z)))$ is flat, so the same paper trains
$G$ with the *non-saturating* loss $-\mathbb E_z[\log D(G(z))]$ instead
([`generator_loss`][scribbles.generative.gans.generator_loss]).

The data are a mixture of 8 Gaussians on a ring
([`ring_of_gaussians`][scribbles.generative.gans.ring_of_gaussians]): easy to draw, and
each mode can be checked, so a generator that drops modes (*mode collapse*) is caught by
[`mode_coverage`][scribbles.generative.gans.mode_coverage].
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from scribbles.book.cache import cached
from scribbles.book.seeding import single_thread

__all__ = [
    "Discriminator",
    "Generator",
    "discriminator_loss",
    "generator_loss",
    "mode_coverage",
    "ring_centers",
    "ring_of_gaussians",
    "train_gan",
]


def ring_centers(num_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    r"""Centres of `num_modes` modes evenly spaced on a circle.

    $$
    c_j = r\,\bigl(\cos(2\pi j/K),\ \sin(2\pi j/K)\bigr), \qquad j = 0,\dots,K-1.
    $$

    Args:
        num_modes: $K \ge 1$.
        radius: $r > 0$.

    Returns:
        centers: shape `(K, 2)`, `float32`.

    Raises:
        ValueError: if `num_modes` < 1 or `radius` <= 0.

    Examples:
        >>> ring_centers(4, 1.0).round(6)
        array([[ 1.,  0.],
               [ 0.,  1.],
               [-1.,  0.],
               [-0., -1.]], dtype=float32)
    """
    if num_modes < 1:
        raise ValueError(f"num_modes must be >= 1, got {num_modes}")
    if radius <= 0:
        raise ValueError(f"radius must be > 0, got {radius}")
    angles = 2 * np.pi * np.arange(num_modes) / num_modes  # (K,)
    return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype(np.float32)


def ring_of_gaussians(
    num_samples: int,
    *,
    num_modes: int = 8,
    radius: float = 2.0,
    std: float = 0.05,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Draw from an equal-weight mixture of isotropic Gaussians on a ring.

    $$
    p_\text{data}(x) = \frac1K\sum_{j=0}^{K-1}\mathcal N\bigl(x;\ c_j,\ \text{std}^2 I\bigr),
    $$

    with centres $c_j$ from [`ring_centers`][scribbles.generative.gans.ring_centers].

    Args:
        num_samples: how many points.
        num_modes: $K$.
        radius: radius of the ring.
        std: standard deviation of each mode.
        seed: seed of the draw.

    Returns:
        points: shape `(num_samples, 2)`, `float32`.
        modes: the mode each point came from, shape `(num_samples,)`, `int64`.

    Raises:
        ValueError: if `num_samples` < 1 or `std` <= 0.

    Examples:
        >>> points, modes = ring_of_gaussians(1000, seed=0)
        >>> points.shape, sorted(set(modes.tolist())) == list(range(8))
        ((1000, 2), True)
        >>> bool(abs(np.linalg.norm(points, axis=1).mean() - 2.0) < 0.01)
        True
    """
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1, got {num_samples}")
    if std <= 0:
        raise ValueError(f"std must be > 0, got {std}")
    rng = np.random.default_rng(seed)
    centers = ring_centers(num_modes, radius)  # (K, 2)
    modes = rng.integers(num_modes, size=num_samples)  # (N,)
    points = centers[modes] + std * rng.standard_normal((num_samples, 2))  # (N, 2)
    return points.astype(np.float32), modes.astype(np.int64)


class Generator(nn.Module):
    r"""An MLP $G:\mathbb R^{d_z}\to\mathbb R^2$ from Gaussian noise to points.

    Args:
        noise_dim: dimension $d_z$ of $z\sim\mathcal N(0, I)$.
        hidden_dim: width of the two hidden layers.
        output_dim: dimension of a sample.

    Examples:
        >>> Generator()(torch.randn(5, 8)).shape
        torch.Size([5, 2])
    """

    def __init__(self, noise_dim: int = 8, hidden_dim: int = 128, output_dim: int = 2) -> None:
        super().__init__()
        self.noise_dim = noise_dim
        self.net = nn.Sequential(
            nn.Linear(noise_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, output_dim),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Map noise `(B, d_z)` to samples `(B, 2)`."""
        if z.ndim != 2 or z.shape[1] != self.noise_dim:
            raise ValueError(f"z must have shape (B, {self.noise_dim}), got {tuple(z.shape)}")
        return self.net(z)


class Discriminator(nn.Module):
    r"""An MLP returning the logit $\ell(x)$ of $D(x) = \sigma(\ell(x))$.

    Args:
        input_dim: dimension of a sample.
        hidden_dim: width of the two hidden layers.

    Examples:
        >>> Discriminator()(torch.randn(5, 2)).shape
        torch.Size([5])
    """

    def __init__(self, input_dim: int = 2, hidden_dim: int = 128) -> None:
        super().__init__()
        self.input_dim = input_dim
        self.net = nn.Sequential(
            nn.Linear(input_dim, hidden_dim),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden_dim, hidden_dim),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden_dim, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map samples `(B, 2)` to logits `(B,)`."""
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise ValueError(f"x must have shape (B, {self.input_dim}), got {tuple(x.shape)}")
        return self.net(x).squeeze(1)


def _check_logits(name: str, logits: torch.Tensor) -> None:
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(logits).__name__}")
    if logits.ndim != 1:
        raise ValueError(f"{name} must have shape (B,), got {tuple(logits.shape)}")


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r"""The discriminator's loss, $-V(D, G)$ estimated on a batch.

    $$
    \mathcal L_D = -\frac1B\sum_b \log\sigma(\ell(x_b))
    - \frac1B\sum_b \log\bigl(1 - \sigma(\ell(G(z_b)))\bigr)
    = \frac1B\sum_b \operatorname{softplus}(-\ell(x_b))
    + \frac1B\sum_b \operatorname{softplus}(\ell(G(z_b))),
    $$

    written with softplus, $\operatorname{softplus}(u) = \log(1 + e^u)$, so that no
    probability is ever rounded to 0 or 1.

    Args:
        real_logits: $\ell(x)$ on real samples, shape `(B,)`.
        fake_logits: $\ell(G(z))$ on generated samples, shape `(B',)`.

    Returns:
        loss: a scalar tensor.

    Raises:
        TypeError: if an argument is not a tensor.
        ValueError: if an argument is not 1-D.

    Examples:
        >>> round(float(discriminator_loss(torch.zeros(4), torch.zeros(4))), 4)  # 2 log 2
        1.3863
    """
    _check_logits("real_logits", real_logits)
    _check_logits("fake_logits", fake_logits)
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor, non_saturating: bool = True) -> torch.Tensor:
    r"""The generator's loss: non-saturating (default) or the original minimax one.

    $$
    \mathcal L_G^\text{NS} = -\frac1B\sum_b \log D(G(z_b))
    = \frac1B\sum_b\operatorname{softplus}(-\ell_b), \qquad
    \mathcal L_G^\text{minimax} = \frac1B\sum_b \log\bigl(1 - D(G(z_b))\bigr)
    = -\frac1B\sum_b\operatorname{softplus}(\ell_b).
    $$

    Their gradients with respect to a logit are $-(1-D)$ and $-D$: when the
    discriminator confidently rejects a sample ($D\to0$) the minimax gradient vanishes
    while the non-saturating one tends to $-1$.

    Args:
        fake_logits: $\ell_b = \ell(G(z_b))$, shape `(B,)`.
        non_saturating: use $\mathcal L_G^\text{NS}$; `False` gives the minimax loss.

    Returns:
        loss: a scalar tensor.

    Raises:
        TypeError: if `fake_logits` is not a tensor.
        ValueError: if `fake_logits` is not 1-D.

    Examples:
        >>> round(float(generator_loss(torch.zeros(3))), 4)  # -log(1/2)
        0.6931
        >>> round(float(generator_loss(torch.zeros(3), non_saturating=False)), 4)  # log(1/2)
        -0.6931
    """
    _check_logits("fake_logits", fake_logits)
    if non_saturating:
        return F.softplus(-fake_logits).mean()
    return -F.softplus(fake_logits).mean()


def mode_coverage(
    samples: np.ndarray,
    *,
    num_modes: int = 8,
    radius: float = 2.0,
    std: float = 0.05,
    quality_sigmas: float = 3.0,
    min_share: float = 0.25,
) -> dict[str, Any]:
    r"""How many modes of the ring a set of samples covers, and how many samples are good.

    A sample is *high quality* if it lies within `quality_sigmas` standard deviations of
    its nearest centre, $\min_j\lVert x - c_j\rVert \le \text{quality\_sigmas}\cdot\text{std}$.
    A mode is *covered* if it receives at least `min_share` of its fair share
    $M/K$ of the $M$ samples as high-quality samples, and *reached* if it is the nearest
    centre of at least that many samples, good or not: a generator that is spread out but
    imprecise reaches every mode and covers none, a collapsed one reaches few. The
    spread over modes is measured by the KL divergence from the histogram $h$ of
    high-quality samples over modes to the uniform distribution,
    $\sum_j h_j\log(K h_j)$ (0 when balanced, $\log K$ when a single mode holds them
    all).

    Args:
        samples: points, shape `(M, 2)`.
        num_modes: $K$ of the data.
        radius: radius of the data's ring.
        std: standard deviation of each data mode.
        quality_sigmas: the quality radius, in units of `std`.
        min_share: fraction of the fair share $M/K$ that a mode needs to count as covered.

    Returns:
        coverage: a dict with `modes_covered` (int), `modes_reached` (int),
            `high_quality_fraction` (float),
            `counts` (high-quality samples per mode, shape `(K,)`) and `kl_to_uniform`
            (float, nats; `nan` when there is no high-quality sample).

    Raises:
        ValueError: if `samples` is not `(M, 2)` or a parameter is out of range.

    Examples:
        >>> points, _ = ring_of_gaussians(4000, seed=1)
        >>> result = mode_coverage(points)
        >>> result["modes_covered"], round(result["high_quality_fraction"], 2)
        (8, 1.0)
        >>> collapsed = mode_coverage(np.tile([[2.0, 0.0]], (100, 1)))
        >>> collapsed["modes_covered"], collapsed["modes_reached"]
        (1, 1)
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != 2 or len(samples) == 0:
        raise ValueError(f"samples must have shape (M, 2) with M >= 1, got {samples.shape}")
    if quality_sigmas <= 0 or not 0 < min_share <= num_modes:
        raise ValueError(
            f"quality_sigmas must be > 0 and min_share in (0, K], got {quality_sigmas} "
            f"and {min_share}"
        )
    centers = ring_centers(num_modes, radius).astype(np.float64)  # (K, 2)
    distances = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)  # (M, K)
    nearest = distances.argmin(axis=1)  # (M,)
    good = distances.min(axis=1) <= quality_sigmas * std  # (M,)
    counts = np.bincount(nearest[good], minlength=num_modes)  # (K,)
    threshold = min_share * len(samples) / num_modes
    covered = int((counts >= threshold).sum())
    reached = int((np.bincount(nearest, minlength=num_modes) >= threshold).sum())
    if counts.sum() > 0:
        shares = counts / counts.sum()
        nonzero = shares[shares > 0]
        kl = float((nonzero * np.log(num_modes * nonzero)).sum())
    else:
        kl = math.nan
    return {
        "modes_covered": covered,
        "modes_reached": reached,
        "high_quality_fraction": float(good.mean()),
        "counts": counts,
        "kl_to_uniform": kl,
    }


@cached
def train_gan(
    *,
    steps: int = 1200,
    snapshot_steps: tuple[int, ...] = (0, 150, 300, 600, 900, 1200),
    batch_size: int = 256,
    noise_dim: int = 8,
    hidden_dim: int = 64,
    learning_rate: float = 2e-3,
    non_saturating: bool = True,
    std: float = 0.05,
    num_eval_samples: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    r"""Train a GAN on the ring of 8 Gaussians and record samples along the way (cached).

    One discriminator step then one generator step per iteration on the same generated
    batch, both with Adam ($\beta_1 = 0.5$), fresh real data every step; the same
    arguments always give the same result. At each step in `snapshot_steps` the generator draws
    `num_eval_samples` points from a fixed noise batch and they are scored by
    [`mode_coverage`][scribbles.generative.gans.mode_coverage].

    Args:
        steps: training iterations.
        snapshot_steps: iterations after which samples are recorded (0 = before training).
        batch_size: real and generated points per step.
        noise_dim: dimension of the generator's noise.
        hidden_dim: width of both networks.
        learning_rate: Adam's step size for both networks.
        non_saturating: train $G$ with the non-saturating loss (else the minimax loss).
        std: standard deviation of each mode of the data.
        num_eval_samples: generated points per snapshot.
        seed: seed of the initialisations, the data and the noise.

    Returns:
        result: a dict with `snapshots` (step → samples of shape `(num_eval_samples, 2)`),
            `coverage` (step → the dict of `mode_coverage`), `discriminator_losses` and
            `generator_losses` (shape `(steps,)`), `generator_state_dict`,
            `discriminator_state_dict`, `config` (the training settings) and `seconds`.

    Raises:
        ValueError: if `steps` < 1 or a snapshot step is outside `[0, steps]`.

    Examples:
        >>> result = train_gan(steps=2, snapshot_steps=(0, 2), num_eval_samples=10)
        >>> sorted(result["snapshots"]), result["snapshots"][2].shape
        ([0, 2], (10, 2))
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if any(not 0 <= s <= steps for s in snapshot_steps):
        raise ValueError(f"snapshot_steps must lie in [0, {steps}], got {snapshot_steps}")
    start = time.perf_counter()
    torch.manual_seed(seed)
    generator_net = Generator(noise_dim, hidden_dim)
    discriminator = Discriminator(hidden_dim=hidden_dim)
    optimizer_g = torch.optim.Adam(generator_net.parameters(), lr=learning_rate, betas=(0.5, 0.999))
    optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=learning_rate, betas=(0.5, 0.999))
    noise_rng = torch.Generator().manual_seed(seed)
    real_all, _ = ring_of_gaussians(steps * batch_size, std=std, seed=seed)
    real_all_t = torch.from_numpy(real_all).view(steps, batch_size, 2)  # (steps, B, 2)
    eval_noise = torch.randn(num_eval_samples, noise_dim, generator=noise_rng)  # fixed
    snapshots: dict[int, np.ndarray] = {}
    coverage: dict[int, dict[str, Any]] = {}

    def snapshot(step: int) -> None:
        with torch.no_grad():
            points = generator_net(eval_noise).numpy()  # (M, 2)
        snapshots[step] = points
        coverage[step] = mode_coverage(points, std=std)

    d_losses, g_losses = [], []
    with single_thread():
        if 0 in snapshot_steps:
            snapshot(0)
        for step in range(1, steps + 1):
            real = real_all_t[step - 1]  # (B, 2)
            noise = torch.randn(batch_size, noise_dim, generator=noise_rng)  # (B, d_z)
            fake = generator_net(noise)  # (B, 2)
            loss_d = discriminator_loss(discriminator(real), discriminator(fake.detach()))
            optimizer_d.zero_grad()
            loss_d.backward()
            optimizer_d.step()

            # the same fake batch, judged by the updated discriminator
            loss_g = generator_loss(discriminator(fake), non_saturating=non_saturating)
            optimizer_g.zero_grad()
            loss_g.backward()
            optimizer_g.step()
            d_losses.append(loss_d.item())
            g_losses.append(loss_g.item())
            if step in snapshot_steps:
                snapshot(step)
    return {
        "snapshots": snapshots,
        "coverage": coverage,
        "discriminator_losses": np.asarray(d_losses),
        "generator_losses": np.asarray(g_losses),
        "generator_state_dict": {k: v.clone() for k, v in generator_net.state_dict().items()},
        "discriminator_state_dict": {k: v.clone() for k, v in discriminator.state_dict().items()},
        "config": {
            "steps": steps,
            "batch_size": batch_size,
            "noise_dim": noise_dim,
            "hidden_dim": hidden_dim,
            "learning_rate": learning_rate,
            "non_saturating": non_saturating,
            "std": std,
        },
        "seconds": time.perf_counter() - start,
    }
