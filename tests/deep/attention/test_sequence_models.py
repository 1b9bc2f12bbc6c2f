"""scribbles.deep.attention.sequence_models: measured costs against their closed forms."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from scribbles.deep.attention.sequence_models import (
    Seq2Seq,
    layer_cost,
    max_path_length,
    one_layer_reach,
)


@settings(max_examples=30, deadline=None)
@given(length=st.integers(2, 80), kernel=st.sampled_from([3, 5, 7]))
def test_path_lengths_match_closed_forms(length, kernel):
    half = kernel // 2
    assert max_path_length("self-attention", length) == 1
    assert max_path_length("recurrent", length) == length - 1
    assert max_path_length("convolution", length, kernel) == math.ceil((length - 1) / half)
    dilated = max_path_length("dilated convolution", length, kernel)
    assert dilated <= math.ceil(math.log2(length)) + 1
    assert dilated <= max_path_length("convolution", length, kernel)


def test_reach_is_symmetric_and_local():
    for architecture in ("recurrent", "convolution", "dilated convolution"):
        reach = one_layer_reach(architecture, 12, 3, layer=2)
        assert torch.equal(reach, reach.T)
        assert bool(reach.diagonal().all())


def test_flop_counts_match_the_formulas():
    n, d, k = 32, 16, 3
    # Q, K, V projections: 2·n·d·3d; scores Q K^T: 2·n·n·d; weights @ V: 2·n·n·d
    assert layer_cost("self-attention", n, d).flops == 2 * n * d * 3 * d + 4 * n * n * d
    # two d×d matmuls per step, n steps
    assert layer_cost("recurrent", n, d).flops == n * 2 * (2 * d * d)
    # convolution: 2·k·d·d per output position
    assert layer_cost("convolution", n, d, k).flops == 2 * k * d * d * n


def test_only_the_recurrence_is_sequential():
    assert layer_cost("recurrent", 20, 4).sequential_steps == 20
    assert layer_cost("self-attention", 20, 4).sequential_steps == 1
    assert layer_cost("convolution", 20, 4).sequential_steps == 1


def test_seq2seq_shapes_and_attention_uses_all_states():
    torch.manual_seed(0)
    model = Seq2Seq(vocab_size=6, hidden_size=8, attention=True)
    source = torch.randint(0, 6, (3, 7))
    logits = model(source, source)
    assert logits.shape == (3, 7, 6)
    # changing the FIRST source symbol changes the output at every step through attention
    changed = source.clone()
    changed[:, 0] = (changed[:, 0] + 1) % 6
    assert not torch.allclose(model(changed, source), logits)
    assert model.generate(source, 5).shape == (3, 5)


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="architecture must be one of"):
        one_layer_reach("transformer", 4)
    with pytest.raises(ValueError, match="length must be >= 2, got 1"):
        max_path_length("recurrent", 1)
    with pytest.raises(ValueError, match="kernel_size must be odd and >= 3, got 4"):
        one_layer_reach("convolution", 8, kernel_size=4)
    with pytest.raises(ValueError, match="width must be >= 1, got 0"):
        layer_cost("recurrent", 8, 0)
    with pytest.raises(ValueError, match="vocab_size >= 2"):
        Seq2Seq(vocab_size=1, hidden_size=4, attention=False)


@pytest.mark.parametrize("architecture", ["recurrent", "convolution", "self-attention"])
@pytest.mark.parametrize("length", [2, 9, 30])
def test_diameter_shortcut_equals_composing_layers(architecture, length):
    reach = torch.eye(length)
    step = one_layer_reach(architecture, length, 5).to(reach.dtype)
    layers = 0
    while not bool((reach > 0).all()):
        reach = (step @ reach).clamp(max=1.0)
        layers += 1
    assert max_path_length(architecture, length, 5) == layers
