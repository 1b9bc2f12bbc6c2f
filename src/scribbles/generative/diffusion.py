r"""Denoising diffusion models (DDPM), classifier-free guidance and inpainting.

A diffusion model destroys data with a fixed *forward process* that adds a little Gaussian
noise at each of $T$ steps,

$$
q(x_t \mid x_{t-1}) = \mathcal N\big(\sqrt{1-\beta_t}\,x_{t-1},\ \beta_t I\big),
\qquad
q(x_t \mid x_0) = \mathcal N\big(\sqrt{\bar\alpha_t}\,x_0,\ (1-\bar\alpha_t) I\big),
\quad \bar\alpha_t = \prod_{s=1}^{t} (1-\beta_s),
$$

and learns the *reverse process* with a network $\epsilon_\theta(x_t, t)$ trained to predict
the noise that was added (Ho et al., 2020). GLIDE (Nichol et al., 2021) conditions the
network on a caption $c$, samples with **classifier-free guidance**

$$
\hat\epsilon = \epsilon_\theta(x_t, \varnothing) + s\,\big(\epsilon_\theta(x_t, c) -
\epsilon_\theta(x_t, \varnothing)\big),
$$

and edits images by inpainting a masked region.

Conventions of this module: timesteps are the paper's, $t \in \{1, \dots, T\}$, and the
schedule's arrays have $T + 1$ entries so that index $t$ holds $\beta_t$, $\alpha_t$,
$\bar\alpha_t$; index 0 is the clean data ($\beta_0 = 0$, $\bar\alpha_0 = 1$). Data are
`(N, D)` tensors of points (the chapter uses $D = 2$).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from scribbles.book.cache import cached
from scribbles.book.seeding import single_thread

__all__ = [
    "NoisePredictor",
    "NoiseSchedule",
    "ddpm_sample",
    "diffusion_loss",
    "energy_distance",
    "forward_process_moments",
    "guided_epsilon",
    "inpaint",
    "load_noise_predictor",
    "noise_prediction_error",
    "predict_epsilon",
    "q_sample",
    "q_step",
    "reverse_mean",
    "reverse_process",
    "sample_trained",
    "timestep_embedding",
    "train_noise_predictor",
]

_KINDS = ("linear", "cosine")


class NoiseSchedule:
    r"""The variances $\beta_1, \dots, \beta_T$ of the forward process and what follows from them.

    $$
    \alpha_t = 1 - \beta_t, \qquad \bar\alpha_t = \prod_{s=1}^{t} \alpha_s .
    $$

    - `"linear"`: $\beta_t$ evenly spaced from `beta_start` to `beta_end`. The defaults
      $0.1/T$ and $20/T$ are DDPM's $10^{-4}$ and $0.02$ at $T = 1000$, rescaled so that
      a shorter chain destroys the data as completely (the same $\int \beta$).
    - `"cosine"` (Nichol & Dhariwal, 2021): $\bar\alpha_t = f(t)/f(0)$ with
      $f(t) = \cos^2\!\big(\frac{t/T + s}{1 + s}\cdot\frac{\pi}{2}\big)$, $s = 0.008$, and
      $\beta_t = 1 - \bar\alpha_t/\bar\alpha_{t-1}$.

    Every $\beta_t$ is clipped to `max_beta` so that no step is pure noise.

    Args:
        num_steps: the number of noising steps $T$ (at least 1).
        kind: `"linear"` or `"cosine"`.
        beta_start: first $\beta$ of the linear schedule (default $0.1/T$).
        beta_end: last $\beta$ of the linear schedule (default $20/T$).
        cosine_offset: the offset $s$ of the cosine schedule.
        max_beta: upper clip for every $\beta_t$, in $(0, 1)$.

    Attributes:
        num_steps: $T$.
        kind: the schedule's name.
        betas: $\beta_t$, shape `(T + 1,)`, float64, `betas[0] = 0`.
        alphas: $\alpha_t = 1 - \beta_t$, shape `(T + 1,)`, `alphas[0] = 1`.
        alpha_bars: $\bar\alpha_t$, shape `(T + 1,)`, `alpha_bars[0] = 1`.
        posterior_variances: $\tilde\beta_t = \beta_t (1 - \bar\alpha_{t-1}) /
            (1 - \bar\alpha_t)$, the variance of $q(x_{t-1} \mid x_t, x_0)$, shape
            `(T + 1,)`, `posterior_variances[0] = posterior_variances[1] = 0`.

    Raises:
        ValueError: if `num_steps < 1`, `kind` is unknown, or a $\beta$ bound is outside
            $(0, 1)$ or `beta_start > beta_end`.
        TypeError: if `num_steps` is not an integer.

    Examples:
        >>> schedule = NoiseSchedule(1000)
        >>> round(schedule.betas[1].item(), 6), round(schedule.betas[1000].item(), 6)
        (0.0001, 0.02)
        >>> bool((schedule.alpha_bars[1:] < schedule.alpha_bars[:-1]).all())
        True
        >>> NoiseSchedule(10, kind="sigmoid")
        Traceback (most recent call last):
        ...
        ValueError: kind must be one of ('linear', 'cosine'), got 'sigmoid'
    """

    def __init__(
        self,
        num_steps: int,
        kind: str = "linear",
        *,
        beta_start: float | None = None,
        beta_end: float | None = None,
        cosine_offset: float = 0.008,
        max_beta: float = 0.999,
    ) -> None:
        if isinstance(num_steps, bool) or not isinstance(num_steps, int | np.integer):
            raise TypeError(f"num_steps must be an int, got {type(num_steps).__name__}")
        if num_steps < 1:
            raise ValueError(f"num_steps must be >= 1, got {num_steps}")
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
        if not 0.0 < max_beta < 1.0:
            raise ValueError(f"max_beta must lie in (0, 1), got {max_beta}")
        steps = int(num_steps)
        if kind == "linear":
            start = 0.1 / steps if beta_start is None else float(beta_start)
            end = 20.0 / steps if beta_end is None else float(beta_end)
            explicit = [v for v in (beta_start, beta_end) if v is not None]
            if any(not 0.0 < float(v) < 1.0 for v in explicit) or start > end:
                raise ValueError(
                    "beta_start and beta_end must satisfy 0 < beta_start <= beta_end < 1, "
                    f"got beta_start={start}, beta_end={end}"
                )
            betas = torch.linspace(start, end, steps, dtype=torch.float64)
        else:
            if cosine_offset < 0:
                raise ValueError(f"cosine_offset must be >= 0, got {cosine_offset}")
            # f(t) = cos²((t/T + s)/(1 + s) · π/2),  ᾱ_t = f(t)/f(0)
            grid = torch.arange(steps + 1, dtype=torch.float64) / steps
            f = torch.cos((grid + cosine_offset) / (1 + cosine_offset) * math.pi / 2) ** 2
            alpha_bar = f / f[0]
            betas = 1 - alpha_bar[1:] / alpha_bar[:-1]  # β_t = 1 − ᾱ_t/ᾱ_{t−1}
        betas = betas.clamp(max=max_beta)

        self.num_steps = steps
        self.kind = kind
        self.betas = torch.cat([torch.zeros(1, dtype=torch.float64), betas])  # (T + 1,)
        self.alphas = 1 - self.betas  # α_t = 1 − β_t
        self.alpha_bars = torch.cumprod(self.alphas, dim=0)  # ᾱ_t = Π_{s≤t} α_s
        alpha_bars_prev = torch.cat([torch.ones(1, dtype=torch.float64), self.alpha_bars[:-1]])
        # β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t); defined as 0 at t = 0
        denominator = (1 - self.alpha_bars).clamp(min=torch.finfo(torch.float64).tiny)
        self.posterior_variances = self.betas * (1 - alpha_bars_prev) / denominator

    def __len__(self) -> int:
        return self.num_steps

    def __repr__(self) -> str:
        return f"NoiseSchedule(num_steps={self.num_steps}, kind={self.kind!r})"

    def log_snr(self) -> Tensor:
        r"""Return the log signal-to-noise ratio $\log\big(\bar\alpha_t / (1 - \bar\alpha_t)\big)$.

        Returns:
            log_snr: shape `(T,)`, for $t = 1, \dots, T$ (decreasing).

        Examples:
            >>> bool((NoiseSchedule(50, "cosine").log_snr().diff() < 0).all())
            True
        """
        alpha_bar = self.alpha_bars[1:]
        return torch.log(alpha_bar) - torch.log1p(-alpha_bar)


def _check_schedule(schedule: Any) -> None:
    if not isinstance(schedule, NoiseSchedule):
        raise TypeError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}")


def _check_points(name: str, x: Any) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() < 1 or not x.is_floating_point():
        raise ValueError(
            f"{name} must be a floating tensor of shape (N, ...), got dtype {x.dtype} "
            f"and shape {tuple(x.shape)}"
        )


def _timesteps(t: Any, batch: int, schedule: NoiseSchedule, lowest: int = 0) -> Tensor:
    """Turn `t` (an int or a `(batch,)` integer tensor) into a checked `(batch,)` long tensor."""
    if isinstance(t, bool):
        raise TypeError("t must be an int or an integer tensor, got bool")
    if isinstance(t, int | np.integer):
        t = torch.full((batch,), int(t), dtype=torch.long)
    if not isinstance(t, Tensor) or t.is_floating_point() or t.dtype == torch.bool:
        raise TypeError(f"t must be an int or an integer tensor, got {t!r}")
    if t.shape != (batch,):
        raise ValueError(f"t must have shape ({batch},), one step per row, got {tuple(t.shape)}")
    if batch and (int(t.min()) < lowest or int(t.max()) > schedule.num_steps):
        raise ValueError(
            f"t must lie in [{lowest}, {schedule.num_steps}], got values in "
            f"[{int(t.min())}, {int(t.max())}]"
        )
    return t.long()


def _per_row(values: Tensor, t: Tensor, like: Tensor) -> Tensor:
    """Gather `values[t]` and shape it `(N, 1, ..., 1)` to broadcast against `like`."""
    return values[t].to(like.dtype).reshape(-1, *([1] * (like.dim() - 1)))


def _noise_like(x: Tensor, noise: Tensor | None, generator: torch.Generator | None) -> Tensor:
    if noise is None:
        return torch.randn(x.shape, dtype=x.dtype, generator=generator)
    if not isinstance(noise, Tensor) or noise.shape != x.shape:
        shape = tuple(noise.shape) if isinstance(noise, Tensor) else type(noise).__name__
        raise ValueError(f"noise must have the shape of x, {tuple(x.shape)}, got {shape}")
    return noise.to(x.dtype)


def q_sample(
    schedule: NoiseSchedule,
    x0: Tensor,
    t: int | Tensor,
    noise: Tensor | None = None,
    *,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Draw $x_t \sim q(x_t \mid x_0)$ in one shot (the forward process in closed form).

    $$
    x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1 - \bar\alpha_t}\,\epsilon,
    \qquad \epsilon \sim \mathcal N(0, I).
    $$

    Args:
        schedule: the noise schedule.
        x0: clean data, shape `(N, ...)`, floating.
        t: the step, an int for all rows or an integer tensor of shape `(N,)`, in
            $[0, T]$ ($t = 0$ returns `x0`).
        noise: the $\epsilon$ to use, shape of `x0`; drawn when None.
        generator: random generator used when `noise` is None.

    Returns:
        x_t: the noised data, shape of `x0`.

    Raises:
        TypeError: if `schedule`, `x0` or `t` has the wrong type.
        ValueError: if `t` or `noise` has the wrong shape, or `t` is out of range.

    Examples:
        >>> schedule = NoiseSchedule(100)
        >>> x0 = torch.ones(3, 2)
        >>> torch.equal(q_sample(schedule, x0, 0), x0)
        True
        >>> q_sample(schedule, x0, 100, noise=torch.zeros(3, 2)).abs().max().item() < 0.01
        True
        >>> q_sample(schedule, x0, 101)
        Traceback (most recent call last):
        ...
        ValueError: t must lie in [0, 100], got values in [101, 101]
    """
    _check_schedule(schedule)
    _check_points("x0", x0)
    steps = _timesteps(t, x0.shape[0], schedule)
    epsilon = _noise_like(x0, noise, generator)
    alpha_bar = _per_row(schedule.alpha_bars, steps, x0)  # (N, 1, ...)
    return alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * epsilon


def q_step(
    schedule: NoiseSchedule,
    x_prev: Tensor,
    t: int | Tensor,
    noise: Tensor | None = None,
    *,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Take one forward step, $x_t \sim q(x_t \mid x_{t-1})$.

    $$
    x_t = \sqrt{1 - \beta_t}\,x_{t-1} + \sqrt{\beta_t}\,\epsilon .
    $$

    Args:
        schedule: the noise schedule.
        x_prev: $x_{t-1}$, shape `(N, ...)`.
        t: the step being taken, in $[1, T]$ (int or `(N,)` integer tensor).
        noise: the $\epsilon$ to use, shape of `x_prev`; drawn when None.
        generator: random generator used when `noise` is None.

    Returns:
        x_t: shape of `x_prev`.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if `t` is outside $[1, T]$ or a shape is wrong.

    Examples:
        >>> schedule = NoiseSchedule(10)
        >>> x = torch.zeros(4, 2)
        >>> for t in range(1, 11):
        ...     x = q_step(schedule, x, t, generator=torch.Generator().manual_seed(t))
        >>> x.shape
        torch.Size([4, 2])
    """
    _check_schedule(schedule)
    _check_points("x_prev", x_prev)
    steps = _timesteps(t, x_prev.shape[0], schedule, lowest=1)
    epsilon = _noise_like(x_prev, noise, generator)
    beta = _per_row(schedule.betas, steps, x_prev)  # (N, 1, ...)
    return (1 - beta).sqrt() * x_prev + beta.sqrt() * epsilon


@cached
def forward_process_moments(
    num_steps: int,
    kind: str,
    x0: float,
    steps: list[int],
    num_copies: int = 50_000,
    seed: int = 0,
) -> list[dict[str, float]]:
    r"""Moments of $x_t$ by one-shot sampling and by iterating single steps (cached).

    Starts `num_copies` copies of the scalar point $x_0$, draws
    [`q_sample`][scribbles.generative.diffusion.q_sample] at each requested step, runs
    [`q_step`][scribbles.generative.diffusion.q_step] $t$ times, and reports both sample
    means and variances next to the closed form $\sqrt{\bar\alpha_t}\,x_0$ and
    $1 - \bar\alpha_t$.

    Args:
        num_steps: $T$ of the schedule.
        kind: `"linear"` or `"cosine"`.
        x0: the starting value.
        steps: the steps $t \in [1, T]$ to report, increasing.
        num_copies: number of independent chains.
        seed: seeds every draw.

    Returns:
        rows: one dict per step with keys `t`, `mean_closed_form`, `mean_one_shot`,
            `mean_iterated`, `variance_closed_form`, `variance_one_shot`,
            `variance_iterated`.

    Raises:
        ValueError: if `steps` is not increasing inside $[1, T]$.

    Examples:
        >>> import os, tempfile
        >>> os.environ["SCRIBBLES_CACHE_DIR"] = tempfile.mkdtemp()
        >>> rows = forward_process_moments(10, "linear", 1.0, [1, 10], num_copies=1000)
        >>> [row["t"] for row in rows], round(rows[0]["variance_closed_form"], 3)
        ([1, 10], 0.01)
        >>> del os.environ["SCRIBBLES_CACHE_DIR"]
    """
    schedule = NoiseSchedule(num_steps, kind)
    wanted = list(steps)
    if not wanted or wanted != sorted(set(wanted)) or wanted[0] < 1 or wanted[-1] > num_steps:
        raise ValueError(f"steps must be increasing values in [1, {num_steps}], got {wanted}")
    rows = []
    with single_thread():
        generator = torch.Generator().manual_seed(seed)
        start = torch.full((num_copies, 1), float(x0), dtype=torch.float64)  # (N, 1)
        iterated = start.clone()
        for t in range(1, wanted[-1] + 1):
            iterated = q_step(schedule, iterated, t, generator=generator)
            if t in wanted:
                one_shot = q_sample(schedule, start, t, generator=generator)
                alpha_bar = float(schedule.alpha_bars[t])
                rows.append(
                    {
                        "t": t,
                        "mean_closed_form": math.sqrt(alpha_bar) * x0,
                        "mean_one_shot": one_shot.mean().item(),
                        "mean_iterated": iterated.mean().item(),
                        "variance_closed_form": 1 - alpha_bar,
                        "variance_one_shot": one_shot.var().item(),
                        "variance_iterated": iterated.var().item(),
                    }
                )
    return rows


def timestep_embedding(t: Tensor, dim: int, max_period: float = 10_000.0) -> Tensor:
    r"""Sinusoidal embedding of integer timesteps (as the Transformer's positions).

    $$
    \mathrm{emb}(t)_{i} = \cos(t\,\omega_i),\quad \mathrm{emb}(t)_{i + d/2} = \sin(t\,\omega_i),
    \quad \omega_i = \text{max\_period}^{-i/(d/2)} .
    $$

    Args:
        t: timesteps, shape `(N,)`.
        dim: embedding size, a positive even integer.
        max_period: the longest wavelength.

    Returns:
        embedding: shape `(N, dim)`, float32.

    Raises:
        ValueError: if `dim` is not a positive even integer or `t` is not 1-D.

    Examples:
        >>> timestep_embedding(torch.tensor([0, 5]), 4)[0].tolist()
        [1.0, 1.0, 0.0, 0.0]
        >>> timestep_embedding(torch.tensor([1]), 3)
        Traceback (most recent call last):
        ...
        ValueError: dim must be a positive even integer, got 3
    """
    if isinstance(dim, bool) or not isinstance(dim, int) or dim <= 0 or dim % 2:
        raise ValueError(f"dim must be a positive even integer, got {dim}")
    if not isinstance(t, Tensor) or t.dim() != 1:
        raise ValueError(f"t must be a 1-D tensor of timesteps, got {t!r}")
    half = dim // 2
    frequencies = torch.exp(-math.log(max_period) * torch.arange(half) / half)  # (dim/2,)
    angles = t.float()[:, None] * frequencies[None, :]  # (N, dim/2)
    return torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)  # (N, dim)


class NoisePredictor(nn.Module):
    r"""A small MLP $\epsilon_\theta(x_t, t, c)$ that predicts the noise in $x_t$.

    The input point, the sinusoidal embedding of $t$ and (optionally) a learned class
    embedding are projected to `hidden_dim` and summed; residual SiLU layers follow:

    $$
    h_0 = W_x x_t + W_t\,\mathrm{emb}(t) + E[c], \qquad
    h_{k+1} = h_k + W_k\,\mathrm{SiLU}(h_k), \qquad
    \epsilon_\theta = W_\text{out}\,\mathrm{SiLU}(h_L).
    $$

    With `num_classes = K`, the class embedding has $K + 1$ rows: row $K$ is the *null*
    label $\varnothing$ used for the unconditional prediction of classifier-free guidance.

    Args:
        data_dim: dimension $D$ of the data points.
        hidden_dim: width of the hidden layers.
        num_layers: number of residual layers $L$.
        time_dim: size of the timestep embedding (even).
        num_classes: number of classes $K$, or None for an unconditional model.

    Raises:
        ValueError: if a size is not positive or `time_dim` is odd.

    Examples:
        >>> model = NoisePredictor(data_dim=2, hidden_dim=16, num_classes=3)
        >>> model(torch.zeros(5, 2), torch.ones(5, dtype=torch.long)).shape
        torch.Size([5, 2])
        >>> model.null_label
        3
    """

    def __init__(
        self,
        data_dim: int = 2,
        hidden_dim: int = 128,
        num_layers: int = 3,
        time_dim: int = 32,
        num_classes: int | None = None,
    ) -> None:
        super().__init__()
        for name, value in [
            ("data_dim", data_dim),
            ("hidden_dim", hidden_dim),
            ("num_layers", num_layers),
            ("time_dim", time_dim),
        ]:
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if time_dim % 2:
            raise ValueError(f"time_dim must be even, got {time_dim}")
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 1):
            raise ValueError(f"num_classes must be None or a positive int, got {num_classes!r}")
        self.data_dim = data_dim
        self.time_dim = time_dim
        self.num_classes = num_classes
        self.input = nn.Linear(data_dim, hidden_dim)
        self.time = nn.Linear(time_dim, hidden_dim)
        self.label = None if num_classes is None else nn.Embedding(num_classes + 1, hidden_dim)
        self.layers = nn.ModuleList(nn.Linear(hidden_dim, hidden_dim) for _ in range(num_layers))
        self.output = nn.Linear(hidden_dim, data_dim)

    @property
    def null_label(self) -> int | None:
        r"""Index of the null label $\varnothing$ (`num_classes`), None if unconditional."""
        return self.num_classes

    def forward(self, x_t: Tensor, t: Tensor, labels: Tensor | None = None) -> Tensor:
        r"""Predict the noise.

        Args:
            x_t: noised points, shape `(N, D)`.
            t: timesteps, shape `(N,)`, integers in $[1, T]$.
            labels: class indices, shape `(N,)`, in $[0, K]$ ($K$ = null); None means
                null for a conditional model. Must be None for an unconditional model.

        Returns:
            epsilon: predicted noise, shape `(N, D)`.

        Raises:
            ValueError: if a shape does not match or labels are given to an
                unconditional model.
        """
        if x_t.dim() != 2 or x_t.shape[1] != self.data_dim:
            raise ValueError(f"x_t must have shape (N, {self.data_dim}), got {tuple(x_t.shape)}")
        if t.shape != (x_t.shape[0],):
            raise ValueError(f"t must have shape ({x_t.shape[0]},), got {tuple(t.shape)}")
        h = self.input(x_t) + self.time(timestep_embedding(t, self.time_dim))  # (N, H)
        if self.label is not None:
            if labels is None:
                labels = torch.full_like(t, self.num_classes, dtype=torch.long)
            if labels.shape != t.shape:
                raise ValueError(
                    f"labels must have shape ({x_t.shape[0]},), got {tuple(labels.shape)}"
                )
            h = h + self.label(labels.long())  # (N, H)
        elif labels is not None:
            raise ValueError("labels were given to an unconditional model (num_classes=None)")
        for layer in self.layers:
            h = h + layer(torch.nn.functional.silu(h))  # h_{k+1} = h_k + W_k SiLU(h_k)
        return self.output(torch.nn.functional.silu(h))  # (N, D)


def diffusion_loss(
    model: NoisePredictor,
    schedule: NoiseSchedule,
    x0: Tensor,
    labels: Tensor | None = None,
    *,
    label_dropout: float = 0.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""The simplified DDPM loss: how well the model predicts the noise that was added.

    $$
    L = \mathbb E_{t \sim \mathcal U\{1..T\},\ \epsilon \sim \mathcal N(0, I)}
    \big\lVert \epsilon - \epsilon_\theta\big(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}
    \,\epsilon,\ t,\ c\big)\big\rVert^2 .
    $$

    For classifier-free guidance each label is replaced by the null label $\varnothing$
    with probability `label_dropout`, so that one network learns both
    $\epsilon_\theta(x_t, c)$ and $\epsilon_\theta(x_t, \varnothing)$.

    Args:
        model: the noise predictor.
        schedule: the noise schedule.
        x0: a batch of clean points, shape `(N, D)`.
        labels: class indices, shape `(N,)`, for a conditional model.
        label_dropout: probability of replacing a label by the null label, in $[0, 1]$.
        generator: random generator for $t$, $\epsilon$ and the dropout.

    Returns:
        loss: a scalar tensor (mean over the batch and the dimensions).

    Raises:
        ValueError: if `label_dropout` is outside $[0, 1]$, or is positive for a model
            without labels.

    Examples:
        >>> _ = torch.manual_seed(0)
        >>> model = NoisePredictor(hidden_dim=8)
        >>> loss = diffusion_loss(model, NoiseSchedule(10), torch.randn(16, 2))
        >>> loss.shape, loss.item() > 0
        (torch.Size([]), True)
    """
    _check_schedule(schedule)
    _check_points("x0", x0)
    if not 0.0 <= label_dropout <= 1.0:
        raise ValueError(f"label_dropout must lie in [0, 1], got {label_dropout}")
    if label_dropout > 0 and (labels is None or model.num_classes is None):
        raise ValueError("label_dropout > 0 needs labels and a model with num_classes")
    batch = x0.shape[0]
    t = torch.randint(1, schedule.num_steps + 1, (batch,), generator=generator)  # (N,)
    epsilon = torch.randn(x0.shape, dtype=x0.dtype, generator=generator)  # (N, D)
    x_t = q_sample(schedule, x0, t, epsilon)
    if labels is not None and label_dropout > 0:
        drop = torch.rand(batch, generator=generator) < label_dropout
        labels = torch.where(drop, torch.full_like(labels, model.num_classes), labels)
    return torch.mean((epsilon - model(x_t, t, labels)) ** 2)


def guided_epsilon(eps_cond: Tensor, eps_uncond: Tensor, scale: float) -> Tensor:
    r"""Combine conditional and unconditional predictions (classifier-free guidance).

    $$
    \hat\epsilon = \epsilon(x_t, \varnothing) + s\,\big(\epsilon(x_t, c) -
    \epsilon(x_t, \varnothing)\big).
    $$

    $s = 0$ is the unconditional model, $s = 1$ the conditional one, and $s > 1$
    extrapolates away from the unconditional prediction.

    Args:
        eps_cond: $\epsilon(x_t, c)$, shape `(N, D)`.
        eps_uncond: $\epsilon(x_t, \varnothing)$, same shape.
        scale: the guidance scale $s$ (finite).

    Returns:
        epsilon: the guided prediction, shape `(N, D)`.

    Raises:
        ValueError: if the shapes differ or `scale` is not finite.

    Examples:
        >>> guided_epsilon(torch.tensor([[1.0]]), torch.tensor([[0.0]]), 3.0)
        tensor([[3.]])
    """
    if eps_cond.shape != eps_uncond.shape:
        raise ValueError(
            f"eps_cond and eps_uncond must have the same shape, got {tuple(eps_cond.shape)} "
            f"and {tuple(eps_uncond.shape)}"
        )
    if not math.isfinite(scale):
        raise ValueError(f"scale must be a finite number, got {scale}")
    return eps_uncond + scale * (eps_cond - eps_uncond)


def predict_epsilon(
    model: NoisePredictor,
    x_t: Tensor,
    t: Tensor,
    labels: Tensor | None = None,
    guidance_scale: float = 1.0,
) -> Tensor:
    r"""The model's noise prediction, guided when labels and a scale $s \ne 1$ are given.

    With labels and $s \ne 1$, the conditional and the null-label predictions are made in
    one batched call and combined by
    [`guided_epsilon`][scribbles.generative.diffusion.guided_epsilon].

    Args:
        model: the noise predictor.
        x_t: noised points, shape `(N, D)`.
        t: timesteps, shape `(N,)`.
        labels: class indices, shape `(N,)`, or None (unconditional).
        guidance_scale: the scale $s$ (ignored without labels).

    Returns:
        epsilon: shape `(N, D)`.

    Raises:
        ValueError: if labels are given to an unconditional model.

    Examples:
        >>> model = NoisePredictor(hidden_dim=8, num_classes=2)
        >>> x, t, y = torch.zeros(3, 2), torch.ones(3, dtype=torch.long), torch.zeros(3).long()
        >>> eps_c, eps_u = model(x, t, y), model(x, t)
        >>> torch.allclose(predict_epsilon(model, x, t, y, 0.0), eps_u)
        True
    """
    if labels is None or guidance_scale == 1.0:
        return model(x_t, t, labels)
    if model.num_classes is None:
        raise ValueError("labels were given to an unconditional model (num_classes=None)")
    if guidance_scale == 0.0:
        return model(x_t, t)  # s = 0: the condition drops out, only ε(x_t, ∅) is needed
    null = torch.full_like(labels, model.num_classes)
    both = model(torch.cat([x_t, x_t]), torch.cat([t, t]), torch.cat([labels, null]))
    eps_cond, eps_uncond = both.chunk(2)  # (N, D) each
    return guided_epsilon(eps_cond, eps_uncond, guidance_scale)


def reverse_mean(schedule: NoiseSchedule, x_t: Tensor, t: int, epsilon: Tensor) -> Tensor:
    r"""Mean of the reverse step $p_\theta(x_{t-1} \mid x_t)$ given a noise prediction.

    $$
    \mu_\theta(x_t, t) = \frac{1}{\sqrt{\alpha_t}}\Big(x_t -
    \frac{\beta_t}{\sqrt{1 - \bar\alpha_t}}\,\epsilon_\theta(x_t, t)\Big).
    $$

    With the true noise it equals the mean of the posterior $q(x_{t-1} \mid x_t, x_0)$.

    Args:
        schedule: the noise schedule.
        x_t: current points, shape `(N, ...)`.
        t: the current step, an int in $[1, T]$.
        epsilon: the predicted noise, shape of `x_t`.

    Returns:
        mean: shape of `x_t`.

    Raises:
        ValueError: if `t` is outside $[1, T]$ or the shapes differ.

    Examples:
        >>> schedule = NoiseSchedule(10)
        >>> reverse_mean(schedule, torch.zeros(2, 2), 3, torch.zeros(2, 2)).abs().sum().item()
        0.0
    """
    _check_schedule(schedule)
    if isinstance(t, bool) or not isinstance(t, int) or not 1 <= t <= schedule.num_steps:
        raise ValueError(f"t must be an int in [1, {schedule.num_steps}], got {t!r}")
    if not isinstance(epsilon, Tensor) or epsilon.shape != x_t.shape:
        got = tuple(epsilon.shape) if isinstance(epsilon, Tensor) else type(epsilon).__name__
        raise ValueError(f"epsilon must have the shape of x_t, {tuple(x_t.shape)}, got {got}")
    alpha, beta, alpha_bar = (
        float(schedule.alphas[t]),
        float(schedule.betas[t]),
        float(schedule.alpha_bars[t]),
    )
    return (x_t - beta / math.sqrt(1 - alpha_bar) * epsilon) / math.sqrt(alpha)


def _labels_tensor(labels: Any, num_samples: int) -> Tensor | None:
    if labels is None:
        return None
    if isinstance(labels, int | np.integer) and not isinstance(labels, bool):
        return torch.full((num_samples,), int(labels), dtype=torch.long)
    tensor = torch.as_tensor(labels)
    if tensor.shape != (num_samples,) or tensor.is_floating_point():
        raise ValueError(
            f"labels must be an int or an integer tensor of shape ({num_samples},), "
            f"got shape {tuple(tensor.shape)} and dtype {tensor.dtype}"
        )
    return tensor.long()


@torch.no_grad()
def reverse_process(
    model: NoisePredictor,
    schedule: NoiseSchedule,
    num_samples: int,
    *,
    labels: int | Tensor | None = None,
    guidance_scale: float = 1.0,
    known: Tensor | None = None,
    mask: Tensor | None = None,
    resample_steps: int = 1,
    start: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Run the reverse (ancestral) process from $x_T \sim \mathcal N(0, I)$; keep every $x_t$.

    Each step draws

    $$
    x_{t-1} = \mu_\theta(x_t, t) + \sqrt{\tilde\beta_t}\,z, \qquad z \sim \mathcal N(0, I),
    $$

    with the posterior variance $\tilde\beta_t$ (zero at $t = 1$). With `known` and `mask`
    the known coordinates are replaced, after every step, by a forward-noised copy of the
    known values (RePaint, Lugmayr et al., 2022):

    $$
    x_{t-1} \leftarrow m \odot q(x_{t-1} \mid x_0 = \text{known}) + (1 - m) \odot x_{t-1},
    $$

    and with `resample_steps = U > 1` each step is repeated $U$ times, going back to $x_t$
    by one forward step $q(x_t \mid x_{t-1})$ in between, so that the generated part can
    adapt to the known part.

    Args:
        model: the trained noise predictor.
        schedule: the schedule it was trained with.
        num_samples: number of points $N$.
        labels: an int (all points) or an integer tensor `(N,)`; None for unconditional.
        guidance_scale: classifier-free guidance scale $s$ (used with labels).
        known: known values, shape `(N, D)` (only its masked entries are used).
        mask: boolean, shape `(N, D)`, True where the value is known.
        resample_steps: $U \ge 1$, RePaint's number of resamplings per step.
        start: the $x_T$ to start from, shape `(N, D)`; drawn from $\mathcal N(0, I)$
            when None.
        generator: random generator for every draw.

    Returns:
        trajectory: shape `(T + 1, N, D)`; `trajectory[t]` is $x_t$, `trajectory[0]` the
            samples.

    Raises:
        ValueError: if only one of `known` / `mask` is given, a shape is wrong, or
            `num_samples` / `resample_steps` is not positive.

    Examples:
        >>> model, schedule = NoisePredictor(hidden_dim=8), NoiseSchedule(5)
        >>> path = reverse_process(model, schedule, 4, generator=torch.Generator().manual_seed(0))
        >>> path.shape
        torch.Size([6, 4, 2])
    """
    _check_schedule(schedule)
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise ValueError(f"num_samples must be a positive int, got {num_samples!r}")
    if isinstance(resample_steps, bool) or not isinstance(resample_steps, int):
        raise ValueError(f"resample_steps must be a positive int, got {resample_steps!r}")
    if resample_steps < 1:
        raise ValueError(f"resample_steps must be a positive int, got {resample_steps!r}")
    shape = (num_samples, model.data_dim)
    if (known is None) != (mask is None):
        raise ValueError("known and mask must be given together (inpainting) or both be None")
    if known is not None and mask is not None:
        if known.shape != shape or mask.shape != shape:
            raise ValueError(
                f"known and mask must have shape {shape}, got {tuple(known.shape)} and "
                f"{tuple(mask.shape)}"
            )
        if mask.dtype != torch.bool:
            raise ValueError(f"mask must be a boolean tensor, got dtype {mask.dtype}")
        known = known.float()
    y = _labels_tensor(labels, num_samples)

    def keep_known(x: Tensor, t: int) -> Tensor:
        if known is None or mask is None:
            return x
        return torch.where(mask, q_sample(schedule, known, t, generator=generator), x)

    if start is None:
        start = torch.randn(shape, generator=generator)
    elif start.shape != shape:
        raise ValueError(f"start must have shape {shape}, got {tuple(start.shape)}")
    x = keep_known(start.float(), schedule.num_steps)  # x_T
    trajectory = [x]
    for t in range(schedule.num_steps, 0, -1):
        steps = torch.full((num_samples,), t, dtype=torch.long)
        std = math.sqrt(float(schedule.posterior_variances[t]))  # √β̃_t
        for repeat in range(resample_steps):
            epsilon = predict_epsilon(model, x, steps, y, guidance_scale)
            x_prev = reverse_mean(schedule, x, t, epsilon)
            x_prev = x_prev + std * torch.randn(shape, generator=generator)
            x_prev = keep_known(x_prev, t - 1)
            if repeat < resample_steps - 1:
                x = q_step(schedule, x_prev, t, generator=generator)  # back to x_t
        x = x_prev
        trajectory.append(x)
    return torch.stack(trajectory[::-1])  # (T + 1, N, D), index t holds x_t


def ddpm_sample(
    model: NoisePredictor,
    schedule: NoiseSchedule,
    num_samples: int,
    *,
    labels: int | Tensor | None = None,
    guidance_scale: float = 1.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Draw samples by ancestral sampling from $x_T \sim \mathcal N(0, I)$.

    The loop is [`reverse_process`][scribbles.generative.diffusion.reverse_process]; this
    returns only its last state.

    Args:
        model: the trained noise predictor.
        schedule: the schedule it was trained with.
        num_samples: number of points $N$.
        labels: an int or `(N,)` integer tensor for a conditional model, else None.
        guidance_scale: classifier-free guidance scale $s$.
        generator: random generator.

    Returns:
        samples: $x_0$, shape `(N, D)`.

    Raises:
        ValueError: as [`reverse_process`][scribbles.generative.diffusion.reverse_process].

    Examples:
        >>> model, schedule = NoisePredictor(hidden_dim=8), NoiseSchedule(5)
        >>> ddpm_sample(model, schedule, 3).shape
        torch.Size([3, 2])
    """
    return reverse_process(
        model,
        schedule,
        num_samples,
        labels=labels,
        guidance_scale=guidance_scale,
        generator=generator,
    )[0]


def inpaint(
    model: NoisePredictor,
    schedule: NoiseSchedule,
    known: Tensor,
    mask: Tensor,
    *,
    labels: int | Tensor | None = None,
    guidance_scale: float = 1.0,
    resample_steps: int = 1,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Fill in the unknown coordinates of `known` with the model (RePaint-style editing).

    At every reverse step the known coordinates are overwritten by $q(x_{t-1} \mid x_0)$
    of the known values, so the model only generates the masked-out part and at $t = 0$
    the known part equals `known` exactly. See
    [`reverse_process`][scribbles.generative.diffusion.reverse_process].

    Args:
        model: the trained noise predictor.
        schedule: the schedule it was trained with.
        known: values, shape `(N, D)`; only entries where `mask` is True are used.
        mask: boolean, shape `(N, D)`, True where the value is known.
        labels: an int or `(N,)` integer tensor (what to draw), or None.
        guidance_scale: classifier-free guidance scale $s$.
        resample_steps: RePaint's resamplings per step, $U \ge 1$.
        generator: random generator.

    Returns:
        samples: shape `(N, D)`, equal to `known` where `mask` is True.

    Raises:
        ValueError: as [`reverse_process`][scribbles.generative.diffusion.reverse_process].

    Examples:
        >>> model, schedule = NoisePredictor(hidden_dim=8), NoiseSchedule(5)
        >>> known = torch.tensor([[0.5, 0.0], [0.5, 0.0]])
        >>> mask = torch.tensor([[True, False], [True, False]])
        >>> inpaint(model, schedule, known, mask)[:, 0].tolist()
        [0.5, 0.5]
    """
    if not isinstance(known, Tensor) or known.dim() != 2:
        raise ValueError(f"known must be a tensor of shape (N, D), got {known!r}")
    return reverse_process(
        model,
        schedule,
        known.shape[0],
        labels=labels,
        guidance_scale=guidance_scale,
        known=known,
        mask=mask,
        resample_steps=resample_steps,
        generator=generator,
    )[0]


def energy_distance(x: Any, y: Any) -> float:
    r"""Energy distance between two samples of points (Székely & Rizzo, 2013).

    $$
    \mathcal E(X, Y) = 2\,\mathbb E\lVert X - Y\rVert - \mathbb E\lVert X - X'\rVert -
    \mathbb E\lVert Y - Y'\rVert \;\ge\; 0,
    $$

    with every expectation an average over all pairs of the two empirical samples
    (a V-statistic). It is zero only when the two distributions are equal, and for
    1-D samples $\sqrt{\mathcal E}$ is what `scipy.stats.energy_distance` returns.

    Args:
        x: points, shape `(N, D)` (array-like), or `(N,)` for 1-D data.
        y: points, shape `(M, D)`, or `(M,)`.

    Returns:
        distance: $\mathcal E(X, Y)$, a non-negative float.

    Raises:
        ValueError: if a sample is empty, not finite, or the dimensions differ.

    Examples:
        >>> round(energy_distance([[0.0], [1.0]], [[0.0], [1.0]]), 12)
        0.0
        >>> energy_distance([[0.0]], [[3.0]])
        6.0
    """
    xs = torch.as_tensor(np.asarray(x, dtype=np.float64))
    ys = torch.as_tensor(np.asarray(y, dtype=np.float64))
    xs = xs[:, None] if xs.dim() == 1 else xs
    ys = ys[:, None] if ys.dim() == 1 else ys
    if xs.dim() != 2 or ys.dim() != 2 or xs.shape[1] != ys.shape[1]:
        raise ValueError(
            f"x and y must have shapes (N, D) and (M, D), got {tuple(xs.shape)} and "
            f"{tuple(ys.shape)}"
        )
    if xs.shape[0] == 0 or ys.shape[0] == 0:
        raise ValueError(f"x and y must be non-empty, got {xs.shape[0]} and {ys.shape[0]} rows")
    if not (torch.isfinite(xs).all() and torch.isfinite(ys).all()):
        raise ValueError("x and y must hold finite numbers")
    exact = "donot_use_mm_for_euclid_dist"  # direct differences: no cancellation error
    between = torch.cdist(xs, ys, compute_mode=exact).mean()  # E‖X − Y‖
    within_x = torch.cdist(xs, xs, compute_mode=exact).mean()  # E‖X − X'‖
    within_y = torch.cdist(ys, ys, compute_mode=exact).mean()  # E‖Y − Y'‖
    return max(float(2 * between - within_x - within_y), 0.0)


@cached
def train_noise_predictor(
    data: np.ndarray,
    labels: np.ndarray | None = None,
    *,
    num_steps: int = 100,
    schedule: str = "linear",
    hidden_dim: int = 128,
    num_layers: int = 3,
    iterations: int = 3000,
    batch_size: int = 256,
    learning_rate: float = 2e-3,
    label_dropout: float = 0.0,
    seed: int = 0,
) -> dict[str, Any]:
    r"""Train a noise predictor with the DDPM loss on a set of points (cached).

    The model is a [`NoisePredictor`][scribbles.generative.diffusion.NoisePredictor].

    Minibatches are drawn with replacement from `data`; Adam with a cosine-decayed
    learning rate minimises [`diffusion_loss`][scribbles.generative.diffusion.diffusion_loss].
    With `labels`, the model is class-conditional and `label_dropout` (GLIDE used 20 %)
    trains the null label for classifier-free guidance.

    Args:
        data: training points, shape `(N, D)`.
        labels: class indices, shape `(N,)`, in $[0, K)$, or None.
        num_steps: $T$ of the schedule.
        schedule: `"linear"` or `"cosine"`.
        hidden_dim: width of the network.
        num_layers: residual layers of the network.
        iterations: optimisation steps.
        batch_size: points per step.
        learning_rate: Adam's initial learning rate.
        label_dropout: probability of replacing a label by the null label.
        seed: seeds the initialisation and every draw.

    Returns:
        result: a dict with `state_dict` (the weights), `config` (the keyword arguments
            that rebuild the model and the schedule), `losses` (float64 array, one loss per
            iteration) and `seconds` (training wall time).

    Raises:
        ValueError: if `data` is not `(N, D)` or `labels` does not match it.

    Examples:
        >>> import os, tempfile
        >>> os.environ["SCRIBBLES_CACHE_DIR"] = tempfile.mkdtemp()
        >>> data = np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32)
        >>> result = train_noise_predictor(data, num_steps=10, hidden_dim=8, iterations=5)
        >>> sorted(result), result["losses"].shape
        (['config', 'losses', 'seconds', 'state_dict'], (5,))
        >>> del os.environ["SCRIBBLES_CACHE_DIR"]
    """
    points = np.asarray(data, dtype=np.float32)
    if points.ndim != 2 or points.shape[0] == 0:
        raise ValueError(f"data must have shape (N, D) with N > 0, got {points.shape}")
    num_classes = None
    classes = None
    if labels is not None:
        label_array = np.asarray(labels)
        if label_array.shape != (points.shape[0],) or not np.issubdtype(
            label_array.dtype, np.integer
        ):
            raise ValueError(
                f"labels must be integers of shape ({points.shape[0]},), got shape "
                f"{label_array.shape} and dtype {label_array.dtype}"
            )
        if label_array.min() < 0:
            raise ValueError(f"labels must be >= 0, got a minimum of {label_array.min()}")
        num_classes = int(label_array.max()) + 1
        classes = torch.as_tensor(label_array, dtype=torch.long)
    start = time.perf_counter()
    config = {
        "data_dim": int(points.shape[1]),
        "hidden_dim": hidden_dim,
        "num_layers": num_layers,
        "num_classes": num_classes,
        "num_steps": num_steps,
        "schedule": schedule,
    }
    with single_thread():
        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        model = NoisePredictor(points.shape[1], hidden_dim, num_layers, num_classes=num_classes)
        noise_schedule = NoiseSchedule(num_steps, schedule)
        optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=iterations)
        x_all = torch.as_tensor(points)  # (N, D)
        losses = np.empty(iterations)
        for step in range(iterations):
            index = torch.randint(0, x_all.shape[0], (batch_size,), generator=generator)
            loss = diffusion_loss(
                model,
                noise_schedule,
                x_all[index],  # (B, D)
                None if classes is None else classes[index],  # (B,)
                label_dropout=label_dropout,
                generator=generator,
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses[step] = loss.item()
    state = {name: value.detach().clone() for name, value in model.state_dict().items()}
    return {
        "state_dict": state,
        "config": config,
        "losses": losses,
        "seconds": time.perf_counter() - start,
    }


def load_noise_predictor(result: dict[str, Any]) -> tuple[NoisePredictor, NoiseSchedule]:
    r"""Rebuild the trained model (in eval mode) and its schedule from a training result.

    Args:
        result: what [`train_noise_predictor`][scribbles.generative.diffusion.train_noise_predictor]
            returned.

    Returns:
        model: the noise predictor with the trained weights.
        schedule: the noise schedule it was trained with.

    Raises:
        ValueError: if `result` lacks `state_dict` or `config`.

    Examples:
        >>> load_noise_predictor({})
        Traceback (most recent call last):
        ...
        ValueError: result must be a train_noise_predictor result with keys ... got []
    """
    if not isinstance(result, dict) or not {"state_dict", "config"} <= set(result):
        keys = sorted(result) if isinstance(result, dict) else type(result).__name__
        raise ValueError(
            "result must be a train_noise_predictor result with keys 'state_dict' and "
            f"'config', got {keys}"
        )
    config = result["config"]
    model = NoisePredictor(
        config["data_dim"],
        config["hidden_dim"],
        config["num_layers"],
        num_classes=config["num_classes"],
    )
    model.load_state_dict(result["state_dict"])
    model.eval()
    return model, NoiseSchedule(config["num_steps"], config["schedule"])


@cached
def noise_prediction_error(
    result: dict[str, Any], data: np.ndarray, steps: list[int], seed: int = 0
) -> list[dict[str, float]]:
    r"""How well a trained model predicts the noise, step by step (cached).

    For each requested $t$, noises every point of `data` to $x_t$ and measures the mean
    squared error per coordinate,

    $$
    \text{error}_t = \frac{1}{ND} \sum_{i} \lVert \epsilon_\theta(x_t^{(i)}, t) -
    \epsilon^{(i)} \rVert^2,
    $$

    next to the error of the trivial guess $\epsilon \approx x_t$, which becomes exact as
    $\bar\alpha_t \to 0$.

    Args:
        result: what
            [`train_noise_predictor`][scribbles.generative.diffusion.train_noise_predictor]
            returned (an unconditional model, or the null label of a conditional one).
        data: clean points, shape `(N, D)`.
        steps: the steps $t \in [1, T]$ to measure.
        seed: seeds the noise.

    Returns:
        rows: one dict per step with keys `t`, `alpha_bar`, `model_error`, `guess_error`.

    Raises:
        ValueError: as [`q_sample`][scribbles.generative.diffusion.q_sample] for a step
            outside $[0, T]$.

    Examples:
        >>> import os, tempfile
        >>> os.environ["SCRIBBLES_CACHE_DIR"] = tempfile.mkdtemp()
        >>> data = np.zeros((16, 2), dtype=np.float32)
        >>> result = train_noise_predictor(data, num_steps=4, hidden_dim=8, iterations=2)
        >>> [row["t"] for row in noise_prediction_error(result, data, [1, 4])]
        [1, 4]
        >>> del os.environ["SCRIBBLES_CACHE_DIR"]
    """
    model, schedule = load_noise_predictor(result)
    clean = torch.as_tensor(np.asarray(data, dtype=np.float32))  # (N, D)
    rows = []
    with single_thread(), torch.no_grad():
        generator = torch.Generator().manual_seed(seed)
        for t in steps:
            epsilon = torch.randn(clean.shape, generator=generator)  # (N, D)
            x_t = q_sample(schedule, clean, t, epsilon)
            predicted = model(x_t, torch.full((clean.shape[0],), int(t)))  # (N, D)
            rows.append(
                {
                    "t": int(t),
                    "alpha_bar": float(schedule.alpha_bars[t]),
                    "model_error": ((predicted - epsilon) ** 2).mean().item(),
                    "guess_error": ((x_t - epsilon) ** 2).mean().item(),
                }
            )
    return rows


@cached
def sample_trained(
    result: dict[str, Any],
    num_samples: int,
    *,
    labels: int | np.ndarray | None = None,
    guidance_scale: float = 1.0,
    known: np.ndarray | None = None,
    mask: np.ndarray | None = None,
    resample_steps: int = 1,
    start: np.ndarray | None = None,
    keep_trajectory: bool = False,
    seed: int = 0,
) -> np.ndarray:
    r"""Sample (or inpaint) from a training result, seeded and cached; numpy out.

    A convenience for pages: it rebuilds the model with
    [`load_noise_predictor`][scribbles.generative.diffusion.load_noise_predictor] and runs
    [`reverse_process`][scribbles.generative.diffusion.reverse_process].

    Args:
        result: what [`train_noise_predictor`][scribbles.generative.diffusion.train_noise_predictor]
            returned.
        num_samples: number of points $N$.
        labels: an int or `(N,)` integer array, or None.
        guidance_scale: classifier-free guidance scale $s$.
        known: known values `(N, D)` for inpainting, or None.
        mask: boolean `(N, D)`, True where known, or None.
        resample_steps: RePaint's resamplings per step.
        start: the $x_T$ to start from, `(N, D)`, or None to draw it.
        keep_trajectory: return every $x_t$ instead of only $x_0$.
        seed: seeds the sampler.

    Returns:
        samples: float32 array `(N, D)`, or `(T + 1, N, D)` with `keep_trajectory`.

    Raises:
        ValueError: as [`reverse_process`][scribbles.generative.diffusion.reverse_process].

    Examples:
        >>> import os, tempfile
        >>> os.environ["SCRIBBLES_CACHE_DIR"] = tempfile.mkdtemp()
        >>> data = np.zeros((8, 2), dtype=np.float32)
        >>> result = train_noise_predictor(data, num_steps=4, hidden_dim=8, iterations=2)
        >>> sample_trained(result, 3, keep_trajectory=True).shape
        (5, 3, 2)
        >>> del os.environ["SCRIBBLES_CACHE_DIR"]
    """
    model, schedule = load_noise_predictor(result)
    with single_thread():
        trajectory = reverse_process(
            model,
            schedule,
            num_samples,
            labels=labels if labels is None or isinstance(labels, int) else torch.as_tensor(labels),
            guidance_scale=guidance_scale,
            known=None if known is None else torch.as_tensor(known, dtype=torch.float32),
            mask=None if mask is None else torch.as_tensor(mask, dtype=torch.bool),
            resample_steps=resample_steps,
            start=None if start is None else torch.as_tensor(start, dtype=torch.float32),
            generator=torch.Generator().manual_seed(seed),
        )
    array = trajectory.numpy().astype(np.float32)
    return array if keep_trajectory else array[0]
