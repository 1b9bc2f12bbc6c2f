r"""Batch, layer, instance and group normalisation, written out and equal to torch's.

All four compute the same transform; they differ only in *which* entries share one mean
and one variance:

$$
y = \gamma\,\frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta,
$$

with $\mu$ and $\sigma^2$ the mean and the biased variance over a set of entries of an
`(N, C, *)` tensor:

| method | one $(\mu, \sigma^2)$ per | averaged over |
| :--- | :--- | :--- |
| batch (Ioffe & Szegedy, 2015) | channel $c$ | $N$ and the spatial axes |
| layer (Ba et al., 2016) | sample $n$ | the trailing `normalized_shape` axes |
| instance (Ulyanov et al., 2016) | sample and channel $(n, c)$ | the spatial axes |
| group (Wu & He, 2018) | sample and group of channels | $C/G$ channels and the spatial axes |

The functions mirror the signatures of `torch.nn.functional`, so ours and torch's can be
swapped in a test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

__all__ = [
    "LayerNorm",
    "batch_norm",
    "group_norm",
    "instance_norm",
    "layer_norm",
    "statistics_groups",
]

NORMALIZATION_METHODS = ("batch", "layer", "instance", "group")


def _check_tensor(x: object, name: str = "x", min_dim: int = 2) -> Tensor:
    """Raise TypeError/ValueError unless `x` is a floating tensor with >= `min_dim` axes."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if x.dim() < min_dim:
        raise ValueError(
            f"{name} must have at least {min_dim} dimensions, got shape {tuple(x.shape)}"
        )
    return x


def _check_eps(eps: float) -> None:
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}")


def _check_parameter(parameter: Tensor | None, name: str, shape: tuple[int, ...]) -> None:
    """Raise ValueError unless an affine parameter is None or has exactly `shape`."""
    if parameter is not None and tuple(parameter.shape) != shape:
        raise ValueError(f"{name} must have shape {shape}, got {tuple(parameter.shape)}")


def _per_channel(parameter: Tensor, ndim: int) -> Tensor:
    """Reshape a `(C,)` tensor to `(1, C, 1, ..., 1)` so that it broadcasts over `(N, C, *)`."""
    return parameter.reshape(1, -1, *([1] * (ndim - 2)))


def _channel_affine(y: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    """γ ⊙ y + β with one γ and β per channel (either may be absent)."""
    if weight is not None:
        y = y * _per_channel(weight, y.dim())
    if bias is not None:
        y = y + _per_channel(bias, y.dim())
    return y


def _standardize(x: Tensor, mean: Tensor, variance: Tensor, eps: float) -> Tensor:
    """(x - μ) / sqrt(σ² + ε)."""
    return (x - mean) / torch.sqrt(variance + eps)


def batch_norm(
    x: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    r"""Batch normalisation: one mean and variance per channel, over the batch and space.

    In training mode the statistics of the batch are used and the running estimates are
    updated **in place**, as torch does (the running variance uses the *unbiased*
    estimate, the normalisation the biased one):

    $$
    \mu_c = \frac{1}{m}\sum_{n,s} x_{ncs},\qquad
    \sigma_c^2 = \frac{1}{m}\sum_{n,s} (x_{ncs}-\mu_c)^2,
    $$

    $$
    \hat\mu_c \leftarrow (1-\alpha)\hat\mu_c + \alpha\mu_c,\qquad
    \hat\sigma_c^2 \leftarrow (1-\alpha)\hat\sigma_c^2 + \alpha\,\frac{m}{m-1}\sigma_c^2,
    $$

    where $m$ counts the entries of one channel and $\alpha$ is `momentum`. In evaluation
    mode the running estimates $\hat\mu, \hat\sigma^2$ replace the batch statistics, so a
    sample's output no longer depends on the rest of the batch.

    Args:
        x: input, shape `(N, C)` or `(N, C, *)` (for example `(N, C, L)` or `(N, C, H, W)`).
        running_mean: running mean, shape `(C,)`, updated in place when `training`; may be
            None in training mode (then nothing is tracked).
        running_var: running variance, shape `(C,)`, same rules as `running_mean`.
        weight: $\gamma$, shape `(C,)`, or None for 1.
        bias: $\beta$, shape `(C,)`, or None for 0.
        training: use the batch statistics (and update the running ones).
        momentum: $\alpha$, the weight of the new batch in the running estimates.
        eps: $\epsilon$, added to the variance.

    Returns:
        y: the normalised input, same shape as `x`.

    Raises:
        TypeError: if `x` is not a floating-point tensor.
        ValueError: if `x` has fewer than 2 dimensions, a parameter or running statistic
            does not have shape `(C,)`, the running statistics are missing in evaluation
            mode, a channel has a single value in training mode, or `momentum`/`eps` is
            out of range.

    Examples:
        >>> import torch
        >>> x = torch.tensor([[1.0, 10.0], [3.0, 30.0]])          # (N=2, C=2)
        >>> mean, var = torch.zeros(2), torch.ones(2)
        >>> batch_norm(x, mean, var, training=True, eps=0.0)
        tensor([[-1., -1.],
                [ 1.,  1.]])
        >>> mean, var                        # 0.9 * old + 0.1 * batch (unbiased variance)
        (tensor([0.2000, 2.0000]), tensor([ 1.1000, 20.9000]))
    """
    _check_tensor(x)
    _check_eps(eps)
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"momentum must be in [0, 1], got {momentum}")
    channels = x.shape[1]
    for name, tensor in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        _check_parameter(tensor, name, (channels,))
    dims = [0, *range(2, x.dim())]  # every axis but the channel axis
    if training:
        count = x.numel() // channels  # m: entries per channel
        if count < 2:
            raise ValueError(
                f"batch_norm needs more than 1 value per channel in training mode, got x of "
                f"shape {tuple(x.shape)}"
            )
        mean = x.mean(dim=dims)  # (C,)
        variance = x.var(dim=dims, correction=0)  # (C,) biased: used to normalise
        if running_mean is not None and running_var is not None:
            with torch.no_grad():
                unbiased = variance * count / (count - 1)  # m/(m-1) σ²
                running_mean.mul_(1 - momentum).add_(momentum * mean)
                running_var.mul_(1 - momentum).add_(momentum * unbiased)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(
                "running_mean and running_var are required in evaluation mode "
                "(training=False), got None"
            )
        mean, variance = running_mean, running_var
    y = _standardize(x, _per_channel(mean, x.dim()), _per_channel(variance, x.dim()), eps)
    return _channel_affine(y, weight, bias)


def layer_norm(
    x: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    r"""Layer normalisation: one mean and variance per sample, over the trailing axes.

    $$
    y = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta,\qquad
    \mu = \frac{1}{D}\sum_{i} x_i,\quad \sigma^2 = \frac{1}{D}\sum_i (x_i - \mu)^2,
    $$

    where $i$ runs over the last `len(normalized_shape)` axes ($D$ entries). In a
    transformer, `x` is `(N, T, D)` and `normalized_shape` is `D`: each token is
    normalised on its own, independently of the batch and of the other tokens.

    Args:
        x: input, shape `(*, *normalized_shape)`.
        normalized_shape: the trailing shape to normalise over (an int means one axis).
        weight: $\gamma$, shape `normalized_shape`, or None for 1.
        bias: $\beta$, shape `normalized_shape`, or None for 0.
        eps: $\epsilon$, added to the variance.

    Returns:
        y: the normalised input, same shape as `x`.

    Raises:
        TypeError: if `x` is not a floating-point tensor.
        ValueError: if the trailing shape of `x` is not `normalized_shape`, a parameter
            has the wrong shape, or `eps` is negative.

    Examples:
        >>> import torch
        >>> layer_norm(torch.tensor([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]), 3, eps=0.0)
        tensor([[-1.2247,  0.0000,  1.2247],
                [-1.2247,  0.0000,  1.2247]])
    """
    _check_tensor(x, min_dim=1)
    _check_eps(eps)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if len(shape) == 0 or tuple(x.shape[x.dim() - len(shape) :]) != shape:
        raise ValueError(
            f"normalized_shape {shape} must equal the trailing shape of x, got x of shape "
            f"{tuple(x.shape)}"
        )
    _check_parameter(weight, "weight", shape)
    _check_parameter(bias, "bias", shape)
    dims = list(range(x.dim() - len(shape), x.dim()))
    mean = x.mean(dim=dims, keepdim=True)  # (*, 1, ..., 1)
    variance = x.var(dim=dims, correction=0, keepdim=True)  # biased
    y = _standardize(x, mean, variance, eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def instance_norm(
    x: Tensor,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    r"""Instance normalisation: one mean and variance per sample *and* channel.

    $$
    \mu_{nc} = \frac{1}{|S|}\sum_{s} x_{ncs},\qquad
    \sigma_{nc}^2 = \frac{1}{|S|}\sum_{s} (x_{ncs} - \mu_{nc})^2,
    $$

    over the spatial positions $s$ only (time steps, pixels). Equal to
    `torch.nn.functional.instance_norm` with its default `use_input_stats=True` and no
    running statistics.

    Args:
        x: input, shape `(N, C, *)` with at least one spatial axis, e.g. `(N, C, L)` or
            `(N, C, H, W)`.
        weight: $\gamma$, shape `(C,)`, or None for 1.
        bias: $\beta$, shape `(C,)`, or None for 0.
        eps: $\epsilon$, added to the variance.

    Returns:
        y: the normalised input, same shape as `x`.

    Raises:
        TypeError: if `x` is not a floating-point tensor.
        ValueError: if `x` has no spatial axis or a single spatial element (nothing to
            average), a parameter does not have shape `(C,)`, or `eps` is negative.

    Examples:
        >>> import torch
        >>> x = torch.tensor([[[1.0, 3.0], [10.0, 30.0]]])       # (N=1, C=2, L=2)
        >>> instance_norm(x, eps=0.0)
        tensor([[[-1.,  1.],
                 [-1.,  1.]]])
    """
    _check_tensor(x, min_dim=3)
    _check_eps(eps)
    if math.prod(x.shape[2:]) < 2:
        raise ValueError(
            f"instance_norm needs more than 1 spatial element per channel, got x of shape "
            f"{tuple(x.shape)}"
        )
    channels = x.shape[1]
    _check_parameter(weight, "weight", (channels,))
    _check_parameter(bias, "bias", (channels,))
    dims = list(range(2, x.dim()))  # the spatial axes
    mean = x.mean(dim=dims, keepdim=True)  # (N, C, 1, ...)
    variance = x.var(dim=dims, correction=0, keepdim=True)
    y = _standardize(x, mean, variance, eps)
    return _channel_affine(y, weight, bias)


def group_norm(
    x: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    r"""Group normalisation: one mean and variance per sample and group of channels.

    The $C$ channels are cut into $G$ consecutive groups of $C/G$; statistics are taken
    over a group's channels and all spatial positions. $G=1$ is layer normalisation
    over `(C, *)`; $G=C$ is instance normalisation.

    $$
    \mu_{ng} = \frac{1}{|g|\,|S|}\sum_{c\in g}\sum_{s} x_{ncs}.
    $$

    Args:
        x: input, shape `(N, C)` or `(N, C, *)`.
        num_groups: $G$, which must divide $C$.
        weight: $\gamma$ (per channel), shape `(C,)`, or None for 1.
        bias: $\beta$ (per channel), shape `(C,)`, or None for 0.
        eps: $\epsilon$, added to the variance.

    Returns:
        y: the normalised input, same shape as `x`.

    Raises:
        TypeError: if `x` is not a floating-point tensor.
        ValueError: if `num_groups` does not divide the number of channels, a parameter
            does not have shape `(C,)`, or `eps` is negative.

    Examples:
        >>> import torch
        >>> x = torch.tensor([[1.0, 3.0, 10.0, 30.0]])           # (N=1, C=4)
        >>> group_norm(x, num_groups=2, eps=0.0)
        tensor([[-1.,  1., -1.,  1.]])
    """
    _check_tensor(x)
    _check_eps(eps)
    channels = x.shape[1]
    if num_groups < 1 or channels % num_groups != 0:
        raise ValueError(
            f"num_groups must be a positive divisor of the number of channels C={channels}, "
            f"got num_groups={num_groups}"
        )
    _check_parameter(weight, "weight", (channels,))
    _check_parameter(bias, "bias", (channels,))
    grouped = x.reshape(x.shape[0], num_groups, -1)  # (N, G, C/G · |S|)
    mean = grouped.mean(dim=-1, keepdim=True)  # (N, G, 1)
    variance = grouped.var(dim=-1, correction=0, keepdim=True)
    y = _standardize(grouped, mean, variance, eps).reshape(x.shape)
    return _channel_affine(y, weight, bias)


def statistics_groups(method: str, shape: Sequence[int], num_groups: int = 1) -> Tensor:
    r"""Label every entry of an `(N, C, *)` tensor by the statistics it is normalised with.

    Two entries get the same label when they share one mean and one variance:
    batch norm labels an entry by its channel $c$, layer norm (over `(C, *)`) by its
    sample $n$, instance norm by $(n, c)$ and group norm by $(n, \lfloor c / (C/G)
    \rfloor)$. The figures of the normalisation chapter are drawn from these labels, and
    the tests use them to check that every group has mean 0 and variance 1.

    Args:
        method: one of `"batch"`, `"layer"`, `"instance"`, `"group"`.
        shape: the tensor's shape `(N, C, *)`.
        num_groups: $G$ for `"group"` (must divide $C$); ignored otherwise.

    Returns:
        labels: int64 tensor of shape `shape`, values `0..K-1` for `K` groups.

    Raises:
        ValueError: if `method` is unknown, `shape` has fewer than 2 axes, or
            `num_groups` does not divide $C$.

    Examples:
        >>> statistics_groups("batch", (2, 3)).tolist()
        [[0, 1, 2], [0, 1, 2]]
        >>> statistics_groups("instance", (2, 3, 1)).squeeze(-1).tolist()
        [[0, 1, 2], [3, 4, 5]]
        >>> statistics_groups("group", (1, 4), num_groups=2).tolist()
        [[0, 0, 1, 1]]
    """
    if method not in NORMALIZATION_METHODS:
        raise ValueError(f"method must be one of {NORMALIZATION_METHODS}, got {method!r}")
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2:
        raise ValueError(f"shape must be (N, C, *) with at least 2 axes, got {shape}")
    n_samples, channels = shape[0], shape[1]
    n = torch.arange(n_samples).reshape(-1, 1)  # (N, 1)
    c = torch.arange(channels).reshape(1, -1)  # (1, C)
    if method == "batch":
        labels = c.expand(n_samples, channels)
    elif method == "layer":
        labels = n.expand(n_samples, channels)
    elif method == "instance":
        labels = n * channels + c
    else:
        if num_groups < 1 or channels % num_groups != 0:
            raise ValueError(
                f"num_groups must be a positive divisor of C={channels}, got {num_groups}"
            )
        labels = n * num_groups + c // (channels // num_groups)
    labels = labels.reshape(n_samples, channels, *([1] * (len(shape) - 2)))
    return labels.expand(shape).contiguous()


class LayerNorm(nn.Module):
    r"""Layer normalisation as a module with learnable $\gamma$ (`weight`) and $\beta$ (`bias`).

    $$
    y = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta .
    $$

    The parameter names match `torch.nn.LayerNorm`, so a `state_dict` moves between them.

    Args:
        normalized_shape: the trailing shape to normalise over.
        eps: $\epsilon$.
        bias: learn $\beta$ (otherwise it is 0).

    Examples:
        >>> import torch
        >>> norm = LayerNorm(4)
        >>> y = norm(torch.randn(2, 3, 4))
        >>> y.shape, bool(y.mean(-1).abs().max() < 1e-6)
        (torch.Size([2, 3, 4]), True)
    """

    def __init__(
        self, normalized_shape: int | Sequence[int], eps: float = 1e-5, bias: bool = True
    ) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(int(s) for s in shape)
        _check_eps(eps)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(self.normalized_shape))
        self.bias = nn.Parameter(torch.zeros(self.normalized_shape)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        """Normalise the trailing `normalized_shape` axes of `x` (shape unchanged)."""
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}"
