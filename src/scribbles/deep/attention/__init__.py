r"""Attention: scaled dot-product attention and the experiments that explain it.

Scaled dot-product attention (Vaswani et al., 2017) mixes values $V$ with weights that
compare queries $Q$ with keys $K$:

$$
\operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\left(
\frac{Q K^\top}{\sqrt{d_k}} + M\right) V,
$$

where $M$ is $0$ where a query may attend and $-\infty$ where it may not.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = [
    "causal_mask",
    "dot_product_variance",
    "scaled_dot_product_attention",
    "softmax_saturation",
]


def _check_attention_shapes(query: Tensor, key: Tensor, value: Tensor) -> None:
    """Raise a ValueError naming the shapes when query, key and value do not fit together."""
    for name, tensor in (("query", query), ("key", key), ("value", value)):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
        if tensor.dim() < 2:
            raise ValueError(
                f"{name} must have at least 2 dimensions (..., L, E), got shape "
                f"{tuple(tensor.shape)}"
            )
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"query and key must share the last (feature) dimension: query has shape "
            f"{tuple(query.shape)}, key has shape {tuple(key.shape)}"
        )
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(
            f"key and value must have the same sequence length (dimension -2): key has "
            f"shape {tuple(key.shape)}, value has shape {tuple(value.shape)}"
        )
    if query.shape[:-2] != key.shape[:-2] or key.shape[:-2] != value.shape[:-2]:
        raise ValueError(
            f"query, key and value must have the same batch dimensions: query "
            f"{tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}"
        )


def scaled_dot_product_attention(
    query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    r"""Compute scaled dot-product attention and return the output and the weights.

    $$
    S = \frac{Q K^\top}{\sqrt{d_k}}, \qquad
    A = \operatorname{softmax}_{\text{row}}(S + M), \qquad
    \text{output} = A V.
    $$

    The mask follows `torch.nn.functional.scaled_dot_product_attention`: a **boolean**
    mask is True where a query *may* attend (False positions get $-\infty$); a
    **float** mask is added to the scores. It must broadcast to `(..., L, S)`.

    A query row whose keys are all masked has no defined softmax (every score is
    $-\infty$). Here such a row gets **all-zero weights and a zero output**: it attends
    to nothing, so it carries no value. This matches torch's function in the version we
    pin (a test checks it); older torch releases returned NaN there.

    Args:
        query: queries, shape `(..., L, E)`.
        key: keys, shape `(..., S, E)`.
        value: values, shape `(..., S, Ev)`.
        mask: optional boolean or float mask broadcastable to `(..., L, S)`.

    Returns:
        output: the attended values, shape `(..., L, Ev)`.
        weights: the attention weights, shape `(..., L, S)`; each row sums to 1 (or is
            all zeros when fully masked).

    Raises:
        TypeError: if an input is not a tensor, or the mask is neither bool nor float.
        ValueError: if the shapes do not fit together, or the mask does not broadcast to
            `(..., L, S)`.

    Examples:
        >>> import torch
        >>> q = k = v = torch.eye(3).unsqueeze(0)          # (B=1, T=3, E=3)
        >>> out, w = scaled_dot_product_attention(q, k, v)
        >>> w.shape, bool(torch.allclose(w.sum(-1), torch.ones(1, 3)))
        (torch.Size([1, 3, 3]), True)
        >>> causal = causal_mask(3)
        >>> _, w = scaled_dot_product_attention(q, k, v, mask=causal)
        >>> w[0, 0].tolist()                               # the first token sees itself only
        [1.0, 0.0, 0.0]
    """
    _check_attention_shapes(query, key, value)
    d_k = query.shape[-1]
    # S_ij = q_i · k_j / sqrt(d_k)
    scores = (query / math.sqrt(d_k)) @ key.transpose(-2, -1)  # (..., L, S)
    if mask is None:  # every row has keys: no fully masked row to guard against
        weights = torch.softmax(scores, dim=-1)  # (..., L, S)
        return weights @ value, weights
    if mask is not None:
        if not isinstance(mask, Tensor):
            raise TypeError(f"mask must be a torch.Tensor or None, got {type(mask).__name__}")
        try:
            torch.broadcast_shapes(mask.shape, scores.shape)
        except RuntimeError:
            raise ValueError(
                f"mask of shape {tuple(mask.shape)} does not broadcast to the scores' shape "
                f"{tuple(scores.shape)} = (..., L, S)"
            ) from None
        if torch.broadcast_shapes(mask.shape, scores.shape) != scores.shape:
            raise ValueError(
                f"mask of shape {tuple(mask.shape)} would enlarge the scores' shape "
                f"{tuple(scores.shape)}; it must broadcast to (..., L, S)"
            )
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        elif mask.is_floating_point():
            scores = scores + mask
        else:
            raise TypeError(f"mask must be bool or floating point, got dtype {mask.dtype}")
    # A row with no finite score (fully masked) would give 0/0 = NaN: give it zeros.
    row_has_key = torch.isfinite(scores).any(dim=-1, keepdim=True)  # (..., L, 1)
    safe_scores = torch.where(row_has_key, scores, torch.zeros_like(scores))
    weights = torch.softmax(safe_scores, dim=-1)  # (..., L, S)
    weights = torch.where(row_has_key, weights, torch.zeros_like(weights))
    return weights @ value, weights  # (..., L, Ev), (..., L, S)


def causal_mask(length: int, device: torch.device | str | None = None) -> Tensor:
    r"""Return the boolean causal mask: position $i$ may attend to positions $j \le i$.

    Args:
        length: the sequence length $T$.
        device: where to allocate the mask.

    Returns:
        mask: boolean lower-triangular tensor, shape `(T, T)`, True = may attend.

    Raises:
        ValueError: if `length` is smaller than 1.

    Examples:
        >>> causal_mask(3).int().tolist()
        [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    return torch.ones(length, length, dtype=torch.bool, device=device).tril()


def dot_product_variance(d_k: int, samples: int = 20_000, seed: int = 0) -> float:
    r"""Measure the variance of $q \cdot k$ for $q, k$ with i.i.d. $\mathcal N(0, 1)$ entries.

    $$
    \operatorname{Var}(q\cdot k) = \sum_{i=1}^{d_k} \operatorname{Var}(q_i k_i) = d_k,
    $$

    which is why the scores are divided by $\sqrt{d_k}$: the scaled scores have variance 1
    whatever the width.

    Args:
        d_k: the dimension of queries and keys.
        samples: how many independent pairs to draw.
        seed: random seed.

    Returns:
        variance: the sample variance of the unscaled dot products.

    Raises:
        ValueError: if `d_k` or `samples` is smaller than 1 (or samples < 2).

    Examples:
        >>> round(dot_product_variance(64) / 64, 1)
        1.0
    """
    if d_k < 1:
        raise ValueError(f"d_k must be >= 1, got {d_k}")
    if samples < 2:
        raise ValueError(f"samples must be >= 2, got {samples}")
    generator = torch.Generator().manual_seed(seed)
    q = torch.randn(samples, d_k, generator=generator, dtype=torch.float64)  # (N, d_k)
    k = torch.randn(samples, d_k, generator=generator, dtype=torch.float64)  # (N, d_k)
    return float((q * k).sum(-1).var())


def softmax_saturation(
    d_k: int, length: int = 16, scaled: bool = True, trials: int = 200, seed: int = 0
) -> dict[str, float]:
    r"""Measure how peaked softmax attention is, and how much gradient flows through it.

    For random $q$ and $k_1..k_T$ with $\mathcal N(0,1)$ entries, compute the weights
    $a = \operatorname{softmax}(s)$ with $s_j = q\cdot k_j$ (divided by $\sqrt{d_k}$ when
    `scaled`). The Jacobian of softmax is $J = \operatorname{diag}(a) - a a^\top$; when one
    weight approaches 1, $J \to 0$ and almost no gradient reaches the scores.

    Args:
        d_k: width of queries and keys.
        length: number of keys $T$.
        scaled: divide the scores by $\sqrt{d_k}$.
        trials: number of random draws averaged over.
        seed: random seed.

    Returns:
        max_weight: the mean over trials of the largest attention weight.
        jacobian_norm: the mean Frobenius norm of the softmax Jacobian $J$.

    Raises:
        ValueError: if an argument is smaller than 1.

    Examples:
        >>> unscaled = softmax_saturation(512, scaled=False)
        >>> scaled = softmax_saturation(512, scaled=True)
        >>> unscaled["max_weight"] > 0.9 > scaled["max_weight"]
        True
        >>> unscaled["jacobian_norm"] < scaled["jacobian_norm"]
        True
    """
    for name, number in (("d_k", d_k), ("length", length), ("trials", trials)):
        if number < 1:
            raise ValueError(f"{name} must be >= 1, got {number}")
    generator = torch.Generator().manual_seed(seed)
    q = torch.randn(trials, 1, d_k, generator=generator, dtype=torch.float64)  # (N, 1, d_k)
    k = torch.randn(trials, length, d_k, generator=generator, dtype=torch.float64)  # (N, T, d_k)
    scores = (q @ k.transpose(-2, -1)).squeeze(1)  # (N, T)
    if scaled:
        scores = scores / math.sqrt(d_k)
    weights = torch.softmax(scores, dim=-1)  # (N, T)
    # J = diag(a) - a a^T, per trial
    jacobian = torch.diag_embed(weights) - weights.unsqueeze(-1) * weights.unsqueeze(-2)
    return {
        "max_weight": float(weights.max(dim=-1).values.mean()),
        "jacobian_norm": float(torch.linalg.matrix_norm(jacobian).mean()),
    }
