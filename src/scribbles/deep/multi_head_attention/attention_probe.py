r"""A one-layer attention model and a task that needs attention to look at chosen offsets.

**The task (offset copy).** A sequence of $T$ random tokens from a vocabulary of $V$; at
every position $t$ the model must output, for each offset $o_j$ in `offsets`, the token
$x_{t-o_j}$. With offsets $(1, 3)$ it copies the previous token *and* the one three
places back: one attention pattern is not enough, two are.

**The model (attention probe).** Token embedding, positional information (none,
sinusoidal, learned or rotary), **one** multi-head attention layer and a **linear**
readout, with no feed-forward network and no residual path. Everything the readout sees
at position $t$ went through attention, so the task measures what the heads can gather.

Used by the chapters on multi-head attention and on positional information.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from scribbles.deep.attention import causal_mask
from scribbles.deep.multi_head_attention import MultiHeadAttention
from scribbles.deep.positional import (
    LearnedPositionalEmbedding,
    RotaryMultiHeadAttention,
    sinusoidal_encoding,
)

__all__ = [
    "POSITIONAL_KINDS",
    "AttentionProbe",
    "offset_copy_batch",
    "probe_accuracy",
    "train_probe",
]

POSITIONAL_KINDS = ("none", "sinusoidal", "learned", "rotary")
IGNORE = -100  # target value of positions with no token at that offset (cross-entropy skips it)


def offset_copy_batch(
    batch_size: int,
    seq_len: int,
    vocab_size: int,
    offsets: Sequence[int],
    generator: torch.Generator,
) -> tuple[Tensor, Tensor]:
    r"""Draw a batch of the offset-copy task.

    $$
    y_{t,j} = x_{t - o_j}\quad (t \ge o_j),\qquad y_{t,j}\ \text{ignored otherwise}.
    $$

    Args:
        batch_size: $B$.
        seq_len: $T$.
        vocab_size: $V$.
        offsets: the offsets $o_1, \dots, o_K$, each in `1..T-1`.
        generator: the random generator (seeded by the caller).

    Returns:
        tokens: int64 tensor of shape `(B, T)`.
        targets: int64 tensor of shape `(B, T, K)`, `-100` where $t < o_j$.

    Raises:
        ValueError: if an offset is not in `1..T-1`.

    Examples:
        >>> import torch
        >>> tokens, targets = offset_copy_batch(1, 4, 5, (1, 2), torch.Generator().manual_seed(0))
        >>> tokens.tolist(), targets[0].tolist()
        ([[4, 4, 3, 0]], [[-100, -100], [4, -100], [4, 4], [3, 4]])
    """
    if not offsets or any(not 1 <= offset < seq_len for offset in offsets):
        raise ValueError(f"offsets must lie in 1..{seq_len - 1} (seq_len={seq_len}), got {offsets}")
    tokens = torch.randint(vocab_size, (batch_size, seq_len), generator=generator)  # (B, T)
    targets = torch.full((batch_size, seq_len, len(offsets)), IGNORE)  # (B, T, K)
    for j, offset in enumerate(offsets):
        targets[:, offset:, j] = tokens[:, :-offset]  # y_{t,j} = x_{t-o_j}
    return tokens, targets


class AttentionProbe(nn.Module):
    r"""Embedding, positional information, one multi-head attention layer, linear readout.

    $$
    h = \operatorname{MultiHead}(e + p),\qquad
    \text{logits}_{t,j} = W_j\, h_t + b_j \in \mathbb{R}^{V}.
    $$

    Args:
        vocab_size: $V$.
        d_model: width of the embeddings.
        num_heads: attention heads.
        head_dim: width of each head (None: `d_model // num_heads`, the narrow form).
        num_outputs: $K$, tokens to predict per position (one per offset).
        positional: `"none"`, `"sinusoidal"` (added), `"learned"` (added, `max_len`
            rows) or `"rotary"` (queries and keys rotated).
        max_len: rows of the learned table.
        causal: let position $t$ attend to positions $\le t$ only.

    Raises:
        ValueError: if `positional` is unknown (or a size is invalid).

    Examples:
        >>> import torch
        >>> probe = AttentionProbe(vocab_size=5, d_model=8, num_heads=2, num_outputs=2)
        >>> logits, weights = probe(torch.zeros(3, 6, dtype=torch.long))
        >>> logits.shape, weights.shape                    # (B, T, K, V), (B, h, T, T)
        (torch.Size([3, 6, 2, 5]), torch.Size([3, 2, 6, 6]))
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int,
        num_heads: int,
        head_dim: int | None = None,
        num_outputs: int = 2,
        positional: str = "sinusoidal",
        max_len: int = 64,
        causal: bool = False,
    ) -> None:
        super().__init__()
        if positional not in POSITIONAL_KINDS:
            raise ValueError(f"positional must be one of {POSITIONAL_KINDS}, got {positional!r}")
        self.vocab_size, self.num_outputs = vocab_size, num_outputs
        self.positional, self.causal = positional, causal
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.positions = (
            LearnedPositionalEmbedding(max_len, d_model) if positional == "learned" else None
        )
        attention = RotaryMultiHeadAttention if positional == "rotary" else MultiHeadAttention
        self.attention = attention(d_model, num_heads, head_dim)
        self.readout = nn.Linear(d_model, num_outputs * vocab_size)

    def forward(self, tokens: Tensor) -> tuple[Tensor, Tensor]:
        """Map tokens `(B, T)` to logits `(B, T, K, V)` and attention weights `(B, h, T, T)`."""
        batch, length = tokens.shape
        x = self.embedding(tokens)  # (B, T, d)
        if self.positional == "sinusoidal":
            x = x + sinusoidal_encoding(length, x.shape[-1], dtype=x.dtype)
        elif self.positions is not None:
            x = self.positions(x)
        # torch's convention: True = may NOT attend, hence the negated causal mask
        blocked = ~causal_mask(length) if self.causal else None
        out, weights = self.attention(x, x, x, attn_mask=blocked)  # (B, T, d), (B, h, T, T)
        logits = self.readout(out).view(batch, length, self.num_outputs, self.vocab_size)
        return logits, weights


def train_probe(
    model: AttentionProbe,
    offsets: Sequence[int],
    seq_len: int,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
) -> np.ndarray:
    r"""Train a probe on fresh batches of the offset-copy task with Adam.

    The loss is the mean cross-entropy over every position and offset that has a target.

    Args:
        model: the probe (trained in place).
        offsets: the offsets of the task.
        seq_len: training length $T$.
        steps: optimiser steps (one new batch each).
        batch_size: sequences per batch.
        lr: Adam's learning rate.
        seed: seeds the batches.

    Returns:
        losses: the training loss of every step, shape `(steps,)`.

    Examples:
        >>> import torch
        >>> _ = torch.manual_seed(0)
        >>> probe = AttentionProbe(vocab_size=4, d_model=8, num_heads=2, num_outputs=1)
        >>> losses = train_probe(probe, (1,), seq_len=5, steps=3, batch_size=8, lr=1e-2, seed=0)
        >>> losses.shape
        (3,)
    """
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = np.empty(steps)
    model.train()
    for step in range(steps):
        tokens, targets = offset_copy_batch(
            batch_size, seq_len, model.vocab_size, offsets, generator
        )
        logits, _ = model(tokens)  # (B, T, K, V)
        loss = F.cross_entropy(
            logits.reshape(-1, model.vocab_size), targets.reshape(-1), ignore_index=IGNORE
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses[step] = loss.item()
    model.eval()
    return losses


@torch.no_grad()
def probe_accuracy(
    model: AttentionProbe,
    offsets: Sequence[int],
    seq_len: int,
    num_sequences: int = 512,
    seed: int = 12345,
) -> dict[str, np.ndarray]:
    r"""Evaluate a probe on fresh sequences: accuracy per position and offset.

    Args:
        model: a trained probe.
        offsets: the offsets of the task.
        seq_len: evaluation length (may exceed the training length).
        num_sequences: test sequences.
        seed: seeds the test sequences.

    Returns:
        per_position: fraction of positions $t$ where **every** offset is right, shape
            `(T,)`, NaN where some offset has no target.
        per_offset: accuracy of each offset over positions with all targets, shape `(K,)`.
        weights: attention weights averaged over the test sequences, shape `(h, T, T)`.

    Examples:
        >>> probe = AttentionProbe(vocab_size=4, d_model=8, num_heads=2, num_outputs=1)
        >>> result = probe_accuracy(probe, (1,), seq_len=5, num_sequences=4)
        >>> result["per_position"].shape, result["weights"].shape
        ((5,), (2, 5, 5))
    """
    generator = torch.Generator().manual_seed(seed)
    tokens, targets = offset_copy_batch(
        num_sequences, seq_len, model.vocab_size, offsets, generator
    )
    logits, weights = model(tokens)  # (N, T, K, V), (N, h, T, T)
    correct = logits.argmax(-1) == targets  # (N, T, K)
    valid = (targets != IGNORE).all(-1)  # (N, T): positions with every target
    per_position = correct.all(-1).double().mean(0).numpy()  # (T,)
    per_position[~valid[0].numpy()] = np.nan
    per_offset = correct[valid].double().mean(0).numpy()  # (K,)
    return {
        "per_position": per_position,
        "per_offset": per_offset,
        "weights": weights.mean(0).double().numpy(),
    }
