r"""Positional information for attention: sinusoidal, rotary and learned.

Attention compares every query with every key and sums the values; nothing in it knows
*where* a token is. Permuting the tokens permutes the output in the same way
(permutation equivariance), so word order must be given to the model. Three ways:

- **sinusoidal encodings** (Vaswani et al., 2017), added to the embeddings:
  $PE_{p,2i} = \sin(p\,\omega_i)$, $PE_{p,2i+1} = \cos(p\,\omega_i)$ with
  $\omega_i = 10000^{-2i/d}$. A shift by $k$ positions is a fixed rotation of every
  $(\sin, \cos)$ pair;
- **rotary embeddings** (RoPE, Su et al., 2021): rotate queries and keys by an angle
  proportional to their position, so that $\langle R_m q, R_n k\rangle$ depends on
  $m - n$ only;
- **learned embeddings**: one trainable vector per position, up to a maximum length.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from scribbles.deep.multi_head_attention import MultiHeadAttention

__all__ = [
    "LearnedPositionalEmbedding",
    "RotaryMultiHeadAttention",
    "apply_rotary",
    "rotary_frequencies",
    "shift_rotation",
    "sinusoidal_encoding",
]


def _check_positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def _check_even(name: str, value: int) -> None:
    _check_positive(name, value)
    if value % 2 != 0:
        raise ValueError(f"{name} must be even (the features come in pairs), got {value}")


def rotary_frequencies(d_model: int, base: float = 10000.0) -> Tensor:
    r"""Return the angular frequencies $\omega_i = \text{base}^{-2i/d}$, one per feature pair.

    The same frequencies serve the sinusoidal encoding and rotary embeddings: pair $i$
    turns by $\omega_i$ radians per position, from $\omega_0 = 1$ (a period of $2\pi$
    positions) down to almost $1/\text{base}$ (a period of about $2\pi\cdot\text{base}$).

    Args:
        d_model: the even number of features $d$.
        base: the base of the geometric progression (10000 in the paper).

    Returns:
        omega: float64 tensor of shape `(d_model // 2,)`.

    Raises:
        ValueError: if `d_model` is not a positive even int or `base` is not > 1.

    Examples:
        >>> rotary_frequencies(4, base=100.0).tolist()
        [1.0, 0.1]
    """
    _check_even("d_model", d_model)
    if base <= 1:
        raise ValueError(f"base must be > 1, got {base}")
    exponents = torch.arange(0, d_model, 2, dtype=torch.float64) / d_model  # 2i/d
    return base ** (-exponents)  # (d/2,)


def sinusoidal_encoding(
    seq_len: int, d_model: int, base: float = 10000.0, dtype: torch.dtype = torch.float32
) -> Tensor:
    r"""The Transformer's fixed sinusoidal positional encoding.

    $$
    PE_{p,\,2i} = \sin\!\left(\frac{p}{10000^{2i/d}}\right),\qquad
    PE_{p,\,2i+1} = \cos\!\left(\frac{p}{10000^{2i/d}}\right).
    $$

    Args:
        seq_len: the number of positions $T$ (positions $0, \dots, T-1$).
        d_model: the even width $d$.
        base: 10000 in the paper.
        dtype: the dtype of the result (computed in float64).

    Returns:
        encoding: shape `(seq_len, d_model)`; row $p$ is added to the embedding at $p$.

    Raises:
        ValueError: if `seq_len` is not positive or `d_model` is not a positive even int.

    Examples:
        >>> pe = sinusoidal_encoding(3, 4)
        >>> pe[0].tolist()                          # sin(0) = 0, cos(0) = 1
        [0.0, 1.0, 0.0, 1.0]
        >>> round(float(pe[1, 0]), 4), round(float(pe[1, 1]), 4)
        (0.8415, 0.5403)
    """
    _check_positive("seq_len", seq_len)
    omega = rotary_frequencies(d_model, base)  # (d/2,)
    positions = torch.arange(seq_len, dtype=torch.float64)  # (T,)
    angles = positions[:, None] * omega[None, :]  # (T, d/2): p ω_i
    encoding = torch.stack([angles.sin(), angles.cos()], dim=-1)  # (T, d/2, 2)
    return encoding.reshape(seq_len, d_model).to(dtype)  # interleave: sin, cos, sin, ...


def shift_rotation(offset: float, d_model: int, base: float = 10000.0) -> Tensor:
    r"""The fixed matrix $M_k$ that moves a sinusoidal encoding $k$ positions ahead.

    For every pair $i$, by the angle-addition formulas,

    $$
    \begin{pmatrix}\sin((p+k)\omega_i)\\ \cos((p+k)\omega_i)\end{pmatrix}
    =
    \begin{pmatrix}\cos k\omega_i & \sin k\omega_i\\ -\sin k\omega_i & \cos k\omega_i
    \end{pmatrix}
    \begin{pmatrix}\sin p\omega_i\\ \cos p\omega_i\end{pmatrix},
    $$

    so $PE_{p+k} = M_k\, PE_p$ with $M_k$ block-diagonal, orthogonal and independent of
    $p$. A linear map can therefore express "the token $k$ places away".

    Args:
        offset: the shift $k$ (any real number).
        d_model: the even width $d$.
        base: 10000 in the paper.

    Returns:
        rotation: float64 tensor of shape `(d_model, d_model)`.

    Raises:
        ValueError: if `d_model` is not a positive even int.

    Examples:
        >>> import torch
        >>> pe = sinusoidal_encoding(10, 8, dtype=torch.float64)
        >>> M = shift_rotation(3, 8)
        >>> bool(torch.allclose(pe[:7] @ M.T, pe[3:], atol=1e-12))   # PE_{p+3} = M_3 PE_p
        True
    """
    angles = offset * rotary_frequencies(d_model, base)  # (d/2,): k ω_i
    cos, sin = angles.cos(), angles.sin()
    blocks = torch.stack(
        [torch.stack([cos, sin], dim=-1), torch.stack([-sin, cos], dim=-1)], dim=-2
    )  # (d/2, 2, 2)
    return torch.block_diag(*blocks)  # (d, d)


def apply_rotary(x: Tensor, positions: Tensor, base: float = 10000.0) -> Tensor:
    r"""Rotary position embedding: rotate each feature pair of `x` by position × frequency.

    For position $m$ and pair $i$ with $\theta = m\,\omega_i$,

    $$
    \begin{pmatrix}x'_{2i}\\ x'_{2i+1}\end{pmatrix} =
    \begin{pmatrix}\cos\theta & -\sin\theta\\ \sin\theta & \cos\theta\end{pmatrix}
    \begin{pmatrix}x_{2i}\\ x_{2i+1}\end{pmatrix}
    \quad\Longrightarrow\quad
    \langle R_m q,\ R_n k\rangle = \langle q,\ R_{n-m}\, k\rangle ,
    $$

    because rotations are orthogonal and compose by adding angles. Applied to queries
    and keys (never values), it makes attention scores depend on relative positions only.
    The pairs are adjacent features $(2i, 2i+1)$, as in the RoFormer paper.

    Args:
        x: queries or keys, shape `(..., T, d)` with $d$ even.
        positions: positions of the `T` rows, shape `(T,)` (integers or reals).
        base: 10000 in the paper.

    Returns:
        rotated: same shape and dtype as `x`.

    Raises:
        TypeError: if `x` is not a floating-point tensor.
        ValueError: if `x` has an odd last dimension, or `positions` is not of shape `(T,)`.

    Examples:
        >>> import torch
        >>> q = torch.tensor([[1.0, 0.0]])                       # (T=1, d=2)
        >>> apply_rotary(q, torch.tensor([1])).round(decimals=4)  # turned by 1 radian
        tensor([[0.5403, 0.8415]])
    """
    if not isinstance(x, Tensor) or not x.is_floating_point():
        raise TypeError(f"x must be a floating-point torch.Tensor, got {type(x).__name__}")
    if x.dim() < 2:
        raise ValueError(f"x must have shape (..., T, d), got {tuple(x.shape)}")
    length, width = x.shape[-2], x.shape[-1]
    _check_even("the last dimension of x", width)
    positions = torch.as_tensor(positions)
    if tuple(positions.shape) != (length,):
        raise ValueError(
            f"positions must have shape (T,) = ({length},), got {tuple(positions.shape)}"
        )
    angles = positions.to(torch.float64)[:, None] * rotary_frequencies(width, base)  # (T, d/2)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    even, odd = x[..., 0::2], x[..., 1::2]  # (..., T, d/2) each
    rotated = torch.stack([even * cos - odd * sin, even * sin + odd * cos], dim=-1)
    return rotated.flatten(-2)  # (..., T, d), pairs interleaved back


class RotaryMultiHeadAttention(MultiHeadAttention):
    r"""Multi-head attention whose queries and keys are rotated by RoPE in every head.

    Identical to [`MultiHeadAttention`][scribbles.deep.multi_head_attention.MultiHeadAttention]
    except that query $t$ and key $s$ are rotated by `apply_rotary` at positions $t$ and $s$
    (`0, 1, ...`), so the scores see only the offset $t - s$. No positional vector is
    added to the input. The head width must be even.

    Args:
        d_model: width of the inputs.
        num_heads: number of heads.
        head_dim: width of each head (even); None for `d_model // num_heads`.
        bias: biases in the projections.
        base: the RoPE base (10000 in the paper).

    Raises:
        ValueError: as `MultiHeadAttention`, or if the head width is odd.

    Examples:
        >>> import torch
        >>> attention = RotaryMultiHeadAttention(d_model=8, num_heads=2)
        >>> x = torch.randn(1, 5, 8)
        >>> out, weights = attention(x, x, x)
        >>> out.shape, weights.shape
        (torch.Size([1, 5, 8]), torch.Size([1, 2, 5, 5]))
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        head_dim: int | None = None,
        bias: bool = True,
        base: float = 10000.0,
    ) -> None:
        super().__init__(d_model, num_heads, head_dim, bias)
        _check_even("head_dim", self.head_dim)
        self.base = base

    def project_heads(self, query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, ...]:
        r"""Project as `MultiHeadAttention` does, then rotate queries and keys.

        Args:
            query: shape `(B, T, d_model)`.
            key: shape `(B, S, d_model)`.
            value: shape `(B, S, d_model)`.

        Returns:
            q: rotated queries $R_t q_t$, shape `(B, h, T, d_k)`.
            k: rotated keys $R_s k_s$, shape `(B, h, S, d_k)`.
            v: values (not rotated), shape `(B, h, S, d_k)`.
        """
        q, k, v = super().project_heads(query, key, value)  # (B, h, T|S, d_k)
        q = apply_rotary(q, torch.arange(q.shape[-2]), self.base)
        k = apply_rotary(k, torch.arange(k.shape[-2]), self.base)
        return q, k, v


class LearnedPositionalEmbedding(nn.Module):
    r"""One trainable vector per position, added to the token embeddings.

    $$
    x'_p = x_p + P_p,\qquad P \in \mathbb{R}^{L_{\max}\times d}\ \text{learned}.
    $$

    Unlike the sinusoidal and rotary schemes it has nothing to say about positions it
    never saw: rows beyond the training length keep their random initial values, and a
    sequence longer than `max_len` cannot be encoded at all.

    Args:
        max_len: $L_{\max}$, the number of positions with a vector.
        d_model: the width $d$.

    Raises:
        ValueError: if a size is not a positive int.

    Examples:
        >>> import torch
        >>> positions = LearnedPositionalEmbedding(max_len=4, d_model=3)
        >>> positions(torch.zeros(2, 4, 3)).shape
        torch.Size([2, 4, 3])
        >>> positions(torch.zeros(2, 5, 3))
        Traceback (most recent call last):
        ...
        ValueError: sequence length 5 exceeds max_len=4 (no learned vector for positions >= 4)
    """

    def __init__(self, max_len: int, d_model: int) -> None:
        super().__init__()
        _check_positive("max_len", max_len)
        _check_positive("d_model", d_model)
        self.max_len, self.d_model = max_len, d_model
        self.embedding = nn.Embedding(max_len, d_model)

    def forward(self, x: Tensor) -> Tensor:
        """Add the position vectors to `x` of shape `(B, T, d_model)`; returns the same shape."""
        if x.dim() != 3 or x.shape[-1] != self.d_model:
            raise ValueError(
                f"x must have shape (B, T, d_model={self.d_model}), got {tuple(x.shape)}"
            )
        length = x.shape[1]
        if length > self.max_len:
            raise ValueError(
                f"sequence length {length} exceeds max_len={self.max_len} (no learned vector "
                f"for positions >= {self.max_len})"
            )
        return x + self.embedding.weight[:length]  # (B, T, d) + (T, d)
