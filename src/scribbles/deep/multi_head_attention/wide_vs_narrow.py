r"""Wide versus narrow multi-head attention: cost formulas and a trained comparison.

The notes ask whether *narrow* attention (each head of width $d/h$) loses the "multiple
perspectives" of *wide* attention (each head of width $d$). This module answers with
numbers: [`attention_cost`][scribbles.deep.multi_head_attention.wide_vs_narrow.attention_cost]
counts parameters and floating-point operations, and
[`wide_vs_narrow_experiment`][scribbles.deep.multi_head_attention.wide_vs_narrow.wide_vs_narrow_experiment]
trains narrow, wide and single-head probes, at matched parameter budgets, on a task that
needs two attention patterns at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from scribbles.book.cache import cached
from scribbles.book.seeding import single_thread
from scribbles.deep.multi_head_attention import MultiHeadAttention
from scribbles.deep.multi_head_attention.attention_probe import (
    AttentionProbe,
    probe_accuracy,
    train_probe,
)

__all__ = ["attention_cost", "counted_attention_cost", "wide_vs_narrow_experiment"]


def attention_cost(
    d_model: int, num_heads: int, head_dim: int, seq_len: int, bias: bool = True
) -> dict[str, int]:
    r"""Parameters and matrix-multiplication FLOPs of one multi-head self-attention layer.

    With $h$ heads of width $d_k$ on $T$ tokens of width $d$ (one sequence), counting a
    multiply-add as 2 FLOPs:

    $$
    \text{params} = 4\,d\,h d_k + (3 h d_k + d)\,[\text{bias}],\qquad
    \text{FLOPs} = \underbrace{8\,T\,d\,h d_k}_{\text{projections}} +
    \underbrace{4\,h\,T^2 d_k}_{QK^\top\ \text{and}\ AV}.
    $$

    Both grow linearly in $h d_k$: the wide form ($d_k = d$) costs $h$ times the narrow
    form ($d_k = d/h$), whose cost does not depend on $h$ at all.

    Args:
        d_model: $d$.
        num_heads: $h$.
        head_dim: $d_k$.
        seq_len: $T$.
        bias: count the projection biases.

    Returns:
        parameters: number of weights and biases.
        projection_flops: FLOPs of the four projections.
        attention_flops: FLOPs of the scores and the weighted sums.
        flops: their sum.

    Raises:
        ValueError: if a size is not positive.

    Examples:
        >>> attention_cost(d_model=512, num_heads=8, head_dim=64, seq_len=128)["parameters"]
        1050624
        >>> attention_cost(d_model=512, num_heads=8, head_dim=512, seq_len=128)["parameters"]
        8401408
    """
    for name, value in (
        ("d_model", d_model),
        ("num_heads", num_heads),
        ("head_dim", head_dim),
        ("seq_len", seq_len),
    ):
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    inner = num_heads * head_dim  # h d_k
    parameters = 4 * d_model * inner + ((3 * inner + d_model) if bias else 0)
    projection_flops = 2 * seq_len * d_model * inner * 4  # Q, K, V and W^O
    attention_flops = 2 * 2 * num_heads * seq_len * seq_len * head_dim  # QK^T and AV
    return {
        "parameters": parameters,
        "projection_flops": projection_flops,
        "attention_flops": attention_flops,
        "flops": projection_flops + attention_flops,
    }


@cached
def counted_attention_cost(
    d_model: int, num_heads: int, head_dim: int, seq_len: int
) -> dict[str, int]:
    r"""Count what `attention_cost` predicts, by running the module under torch's counter.

    Builds a [`MultiHeadAttention`][scribbles.deep.multi_head_attention.MultiHeadAttention] on
    torch's `meta` device (shapes only, no memory, no arithmetic), counts its parameters, and
    runs one self-attention forward pass under `torch.utils.flop_counter.FlopCounterMode`,
    which adds up the FLOPs of every matrix multiplication torch dispatches.

    Args:
        d_model: $d$.
        num_heads: $h$.
        head_dim: $d_k$.
        seq_len: $T$.

    Returns:
        parameters: parameters of the module.
        flops: FLOPs counted by torch for one sequence.

    Examples:
        >>> counted_attention_cost(16, 2, 8, 10) == {
        ...     k: attention_cost(16, 2, 8, 10)[k] for k in ("parameters", "flops")
        ... }
        True
    """
    with torch.device("meta"):
        module = MultiHeadAttention(d_model, num_heads, head_dim=head_dim)
        x = torch.empty(1, seq_len, d_model)  # (B=1, T, d)
    with FlopCounterMode(display=False) as counter:
        module(x, x, x)
    return {
        "parameters": sum(p.numel() for p in module.parameters()),
        "flops": int(counter.get_total_flops()),
    }


@cached
def wide_vs_narrow_experiment(
    d_model: int = 16,
    num_heads: int = 2,
    vocab_size: int = 8,
    seq_len: int = 10,
    offsets: Sequence[int] = (1, 3),
    steps: int = 150,
    batch_size: int = 32,
    lr: float = 3e-2,
    seed: int = 0,
) -> list[dict[str, object]]:
    r"""Train narrow, wide and single-head probes on the offset-copy task.

    Four [`AttentionProbe`][scribbles.deep.multi_head_attention.attention_probe.AttentionProbe]s
    with sinusoidal positions, in two pairs of equal attention-parameter budgets:

    | model | heads | $d_k$ | budget |
    | :--- | ---: | ---: | :--- |
    | narrow | $h$ | $d/h$ | $4d^2$ |
    | single head, narrow budget | 1 | $d$ | $4d^2$ |
    | wide | $h$ | $d$ | $4hd^2$ |
    | single head, wide budget | 1 | $hd$ | $4hd^2$ |

    All start from the same seed and see the same batches.

    Args:
        d_model: width $d$ of the embeddings.
        num_heads: $h$ for the multi-head models.
        vocab_size: $V$.
        seq_len: $T$.
        offsets: the offsets to copy (as many as `num_heads` makes the task fit the heads).
        steps: Adam steps.
        batch_size: sequences per step.
        lr: learning rate.
        seed: seeds initialisation and data.

    Returns:
        results: one dict per model with `name`, `num_heads`, `head_dim`,
            `attention_parameters`, `accuracy` (every offset right), `per_offset`
            accuracies `(K,)`, `losses` `(steps,)` and mean attention `weights`
            `(h, T, T)` on test sequences.

    Examples:
        >>> results = wide_vs_narrow_experiment(steps=2, seq_len=5)
        >>> [r["name"] for r in results]
        ['narrow', 'single head, narrow budget', 'wide', 'single head, wide budget']
    """
    narrow_dim = d_model // num_heads
    configurations = [
        ("narrow", num_heads, narrow_dim),
        ("single head, narrow budget", 1, num_heads * narrow_dim),
        ("wide", num_heads, d_model),
        ("single head, wide budget", 1, num_heads * d_model),
    ]
    results = []
    with single_thread():
        for name, heads, head_dim in configurations:
            torch.manual_seed(seed)
            model = AttentionProbe(vocab_size, d_model, heads, head_dim, num_outputs=len(offsets))
            losses = train_probe(model, offsets, seq_len, steps, batch_size, lr, seed)
            evaluation = probe_accuracy(model, offsets, seq_len)
            results.append(
                {
                    "name": name,
                    "num_heads": heads,
                    "head_dim": head_dim,
                    "attention_parameters": sum(p.numel() for p in model.attention.parameters()),
                    "accuracy": float(np.nanmean(evaluation["per_position"])),
                    "per_offset": evaluation["per_offset"],
                    "losses": losses,
                    "weights": evaluation["weights"],
                }
            )
    return results
