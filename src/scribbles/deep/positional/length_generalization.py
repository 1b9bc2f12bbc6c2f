r"""What each kind of positional information does on sequences longer than in training.

Four [`AttentionProbe`][scribbles.deep.multi_head_attention.attention_probe.AttentionProbe]s with
*causal* attention learn the offset-copy task on sequences of length $T_{\text{train}}$:
no positional information, sinusoidal encodings, learned embeddings and rotary
embeddings. They are then tested on sequences of length $T_{\text{test}} >
T_{\text{train}}$. Causal attention makes the first $T_{\text{train}}$ positions of a long
test sequence look exactly like training, so any change of accuracy after them is due to
positions the model has never seen.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from scribbles.book.cache import cached
from scribbles.book.seeding import single_thread
from scribbles.deep.multi_head_attention.attention_probe import (
    POSITIONAL_KINDS,
    AttentionProbe,
    probe_accuracy,
    train_probe,
)

__all__ = ["length_generalization_experiment"]


@cached
def length_generalization_experiment(
    train_len: int = 10,
    test_len: int = 40,
    d_model: int = 32,
    num_heads: int = 2,
    vocab_size: int = 8,
    offsets: Sequence[int] = (1, 3),
    steps: int = 150,
    batch_size: int = 32,
    lr: float = 3e-2,
    seed: int = 0,
) -> dict[str, dict[str, object]]:
    r"""Train one probe per positional scheme at `train_len`, test it at `test_len`.

    The learned table has `test_len` rows, so that it *can* be evaluated on the long
    sequences; the rows past `train_len` are never trained.

    Args:
        train_len: $T_{\text{train}}$.
        test_len: $T_{\text{test}}$.
        d_model: embedding width.
        num_heads: heads (narrow form).
        vocab_size: $V$.
        offsets: the offsets to copy.
        steps: Adam steps.
        batch_size: sequences per step.
        lr: learning rate.
        seed: seeds initialisation and data.

    Returns:
        results: for each of `"none"`, `"sinusoidal"`, `"learned"`, `"rotary"`:
            `per_position` accuracy on test sequences `(test_len,)` (NaN where a target
            is missing), `seen` and `unseen` (mean accuracy before and after
            `train_len`), the final training `loss` (mean of the last 10 steps) and
            `unseen_distance_attention`: the mean attention weight that queries past
            `train_len` give to keys at distances never seen in training.

    Examples:
        >>> results = length_generalization_experiment(steps=2, train_len=5, test_len=8)
        >>> sorted(results), results["learned"]["per_position"].shape
        (['learned', 'none', 'rotary', 'sinusoidal'], (8,))
    """
    if test_len <= train_len:
        raise ValueError(f"test_len must exceed train_len={train_len}, got {test_len}")
    results: dict[str, dict[str, object]] = {}
    with single_thread():
        for positional in POSITIONAL_KINDS:
            torch.manual_seed(seed)
            model = AttentionProbe(
                vocab_size,
                d_model,
                num_heads,
                num_outputs=len(offsets),
                positional=positional,
                max_len=test_len,
                causal=True,
            )
            losses = train_probe(model, offsets, train_len, steps, batch_size, lr, seed)
            evaluation = probe_accuracy(model, offsets, test_len)
            per_position = evaluation["per_position"]
            weights = evaluation["weights"].mean(0)  # (T, T), averaged over heads
            # attention a query t >= train_len puts on keys s <= t - train_len: distances
            # t - s >= train_len, which never occur in training
            far = [weights[t, : t - train_len + 1].sum() for t in range(train_len, test_len)]
            results[positional] = {
                "per_position": per_position,
                "seen": float(np.nanmean(per_position[:train_len])),
                "unseen": float(np.nanmean(per_position[train_len:])),
                "loss": float(losses[-10:].mean()),
                "unseen_distance_attention": float(np.mean(far)),
            }
    return results
