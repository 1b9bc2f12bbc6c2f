"""scribbles.deep.multi_head_attention.attention_probe: the offset-copy task and its probe."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from scribbles.deep.attention import causal_mask
from scribbles.deep.multi_head_attention.attention_probe import (
    AttentionProbe,
    offset_copy_batch,
    train_probe,
)


def test_offset_copy_targets_are_the_tokens_at_the_offsets():
    tokens, targets = offset_copy_batch(4, 9, 6, (1, 3), torch.Generator().manual_seed(0))
    for t in range(9):
        for j, offset in enumerate((1, 3)):
            expected = tokens[:, t - offset] if t >= offset else torch.full((4,), -100)
            assert torch.equal(targets[:, t, j], expected)
    with pytest.raises(ValueError, match=r"offsets must lie in 1..8 \(seq_len=9\), got \(0, 3\)"):
        offset_copy_batch(4, 9, 6, (0, 3), torch.Generator())


def test_causal_probe_never_looks_ahead():
    probe = AttentionProbe(vocab_size=5, d_model=8, num_heads=2, causal=True)
    _, weights = probe(torch.randint(5, (2, 6)))
    assert torch.all(weights[..., ~causal_mask(6)] == 0)


def test_probe_training_is_deterministic():
    """Same seed, same losses, bit for bit: cached results and pages are reproducible."""
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        probe = AttentionProbe(vocab_size=5, d_model=8, num_heads=2)
        runs.append(train_probe(probe, (1, 2), seq_len=6, steps=5, batch_size=8, lr=1e-2, seed=3))
    assert np.array_equal(runs[0], runs[1])
