"""scribbles.deep.multi_head_attention.wide_vs_narrow: cost formulas against counted costs."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from scribbles.deep.multi_head_attention import MultiHeadAttention
from scribbles.deep.multi_head_attention.wide_vs_narrow import attention_cost
from tests.deep.test_multi_head_attention import D, H, T


@pytest.mark.parametrize("head_dim", [None, D], ids=["narrow", "wide"])
def test_parameter_count_and_flops_match_the_formula(head_dim):
    attention = MultiHeadAttention(D, H, head_dim=head_dim)
    width = D // H if head_dim is None else head_dim
    cost = attention_cost(D, H, width, seq_len=T)
    assert sum(p.numel() for p in attention.parameters()) == cost["parameters"]
    x = torch.randn(1, T, D)
    with FlopCounterMode(display=False) as counter:
        attention(x, x, x)
    assert counter.get_total_flops() == cost["flops"]


def test_wide_form_costs_num_heads_times_the_narrow_form():
    narrow = attention_cost(512, 8, 64, seq_len=128, bias=False)
    wide = attention_cost(512, 8, 512, seq_len=128, bias=False)
    assert wide["parameters"] == 8 * narrow["parameters"]
    assert wide["flops"] == 8 * narrow["flops"]


def test_attention_cost_rejects_non_positive_sizes():
    with pytest.raises(ValueError, match=r"head_dim must be >= 1, got 0"):
        attention_cost(8, 2, 0, 4)
