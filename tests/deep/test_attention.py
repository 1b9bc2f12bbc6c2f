"""scribbles.deep.attention against torch.nn.functional.scaled_dot_product_attention."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from scribbles.deep.attention import (
    causal_mask,
    dot_product_variance,
    scaled_dot_product_attention,
    softmax_saturation,
)

TOL = 1e-9  # float64 agreement with torch


def random_qkv(batch: tuple[int, ...], length_q: int, length_k: int, d_k: int, d_v: int, seed=0):
    generator = torch.Generator().manual_seed(seed)

    def draw(*shape):
        return torch.randn(*shape, generator=generator, dtype=torch.float64)

    return draw(*batch, length_q, d_k), draw(*batch, length_k, d_k), draw(*batch, length_k, d_v)


@pytest.mark.parametrize("batch", [(), (2,), (2, 3)], ids=["no-batch", "batch", "batch-heads"])
@pytest.mark.parametrize("lengths", [(5, 5), (3, 7)], ids=["self", "cross"])
def test_matches_torch_without_mask(batch, lengths):
    length_q, length_k = lengths
    q, k, v = random_qkv(batch, length_q, length_k, d_k=8, d_v=6)
    ours, weights = scaled_dot_product_attention(q, k, v)
    reference = F.scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(ours, reference, atol=TOL, rtol=0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(*batch, length_q, dtype=torch.float64))


@pytest.mark.parametrize("lengths", [(6, 6), (4, 9)], ids=["self", "cross"])
def test_matches_torch_with_boolean_mask(lengths):
    length_q, length_k = lengths
    q, k, v = random_qkv((2, 3), length_q, length_k, d_k=8, d_v=5, seed=1)
    generator = torch.Generator().manual_seed(2)
    mask = torch.rand(2, 1, length_q, length_k, generator=generator) > 0.3
    mask[..., 0] = True  # keep at least one key per row: compare the ordinary case
    ours, weights = scaled_dot_product_attention(q, k, v, mask=mask)
    reference = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(ours, reference, atol=TOL, rtol=0)
    assert torch.all(weights[~mask.expand_as(weights)] == 0)


def test_matches_torch_with_float_mask():
    q, k, v = random_qkv((2, 3), 4, 7, d_k=8, d_v=5, seed=3)
    additive = torch.randn(4, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    ours, _ = scaled_dot_product_attention(q, k, v, mask=additive)
    reference = F.scaled_dot_product_attention(q, k, v, attn_mask=additive)
    torch.testing.assert_close(ours, reference, atol=TOL, rtol=0)


def test_causal_mask_matches_torch_is_causal():
    q, k, v = random_qkv((2,), 6, 6, d_k=4, d_v=4, seed=5)
    ours, weights = scaled_dot_product_attention(q, k, v, mask=causal_mask(6))
    reference = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(ours, reference, atol=TOL, rtol=0)
    assert torch.all(weights.triu(diagonal=1) == 0)


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_fully_masked_row_gives_zeros_like_torch(kind):
    q, k, v = random_qkv((1,), 2, 3, d_k=4, d_v=5, seed=6)
    allowed = torch.tensor([[True, False, True], [False, False, False]])
    mask = (
        allowed
        if kind == "bool"
        else torch.zeros(2, 3, dtype=torch.float64).masked_fill(~allowed, float("-inf"))
    )
    ours, weights = scaled_dot_product_attention(q, k, v, mask=mask)
    assert torch.all(ours[0, 1] == 0) and torch.all(weights[0, 1] == 0)
    assert not torch.isnan(ours).any()
    reference = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(ours, reference, atol=TOL, rtol=0)


def test_gradients_match_torch():
    q, k, v = random_qkv((2,), 3, 4, d_k=5, d_v=2, seed=7)
    for tensor in (q, k, v):
        tensor.requires_grad_(True)
    scaled_dot_product_attention(q, k, v)[0].square().sum().backward()
    ours = [t.grad.clone() for t in (q, k, v)]
    for tensor in (q, k, v):
        tensor.grad = None
    F.scaled_dot_product_attention(q, k, v).square().sum().backward()
    for mine, theirs in zip(ours, (q.grad, k.grad, v.grad), strict=True):
        torch.testing.assert_close(mine, theirs, atol=TOL, rtol=0)


@settings(max_examples=40, deadline=None)
@given(
    length_q=st.integers(1, 6),
    length_k=st.integers(1, 6),
    d_k=st.integers(1, 8),
    seed=st.integers(0, 2**16),
)
def test_weights_are_a_distribution(length_q, length_k, d_k, seed):
    q, k, v = random_qkv((2,), length_q, length_k, d_k=d_k, d_v=3, seed=seed)
    _, weights = scaled_dot_product_attention(q, k, v)
    assert torch.all(weights >= 0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, length_q, dtype=torch.float64))


def test_shape_mismatch_names_both_shapes():
    q = torch.zeros(2, 3, 4)
    k = torch.zeros(2, 5, 6)
    with pytest.raises(ValueError, match=r"query has shape \(2, 3, 4\), key has shape \(2, 5, 6\)"):
        scaled_dot_product_attention(q, k, torch.zeros(2, 5, 4))
    with pytest.raises(ValueError, match=r"key has shape \(2, 5, 4\), value has shape \(2, 4, 4\)"):
        scaled_dot_product_attention(q, torch.zeros(2, 5, 4), torch.zeros(2, 4, 4))
    with pytest.raises(ValueError, match="same batch dimensions"):
        scaled_dot_product_attention(q, torch.zeros(3, 5, 4), torch.zeros(3, 5, 4))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        scaled_dot_product_attention(torch.zeros(4), torch.zeros(4), torch.zeros(4))


def test_bad_masks_are_rejected():
    q = k = v = torch.zeros(2, 3, 4)
    with pytest.raises(ValueError, match=r"mask of shape \(4, 4\) does not broadcast"):
        scaled_dot_product_attention(q, k, v, mask=torch.ones(4, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="would enlarge"):
        scaled_dot_product_attention(q, k, v, mask=torch.ones(5, 2, 3, 3, dtype=torch.bool))
    with pytest.raises(TypeError, match="bool or floating point"):
        scaled_dot_product_attention(q, k, v, mask=torch.ones(3, 3, dtype=torch.int64))
    with pytest.raises(TypeError, match=r"query must be a torch\.Tensor"):
        scaled_dot_product_attention([[1.0]], k, v)


def test_dot_product_variance_grows_like_d_k():
    for d_k in (4, 64, 256):
        assert math.isclose(dot_product_variance(d_k, samples=40_000), d_k, rel_tol=0.05)
    with pytest.raises(ValueError, match="d_k must be >= 1, got 0"):
        dot_product_variance(0)


def test_scaling_keeps_softmax_gradients_alive():
    unscaled = softmax_saturation(256, scaled=False)
    scaled = softmax_saturation(256, scaled=True)
    assert unscaled["max_weight"] > 0.8 and scaled["max_weight"] < 0.6
    assert unscaled["jacobian_norm"] < 0.5 * scaled["jacobian_norm"]
    with pytest.raises(ValueError, match="length must be >= 1, got 0"):
        softmax_saturation(8, length=0)


def test_causal_mask_rejects_empty():
    with pytest.raises(ValueError, match="length must be >= 1, got 0"):
        causal_mask(0)
