"""Our MultiHeadAttention against torch.nn.MultiheadAttention (float64, 1e-9)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from scribbles.deep.attention import causal_mask
from scribbles.deep.multi_head_attention import MultiHeadAttention

TOL = 1e-9  # float64 agreement with torch
B, T, S, D, H = 3, 5, 7, 12, 3


def reference_module(bias: bool = True, seed: int = 0) -> torch.nn.MultiheadAttention:
    torch.manual_seed(seed)
    module = torch.nn.MultiheadAttention(D, H, bias=bias, batch_first=True, dtype=torch.float64)
    with torch.no_grad():  # non-zero biases, so that copying them is tested too
        for parameter in module.parameters():
            parameter.add_(0.1 * torch.randn_like(parameter))
    return module.eval()


def draw(*shape: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator, dtype=torch.float64)


def random_blocked(*shape: int, seed: int) -> torch.Tensor:
    """A boolean torch-convention mask (True = blocked) that leaves every row one key."""
    blocked = torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) < 0.4
    blocked[..., 0] = False
    return blocked


def compare(reference, query, key, value, **masks) -> None:
    ours = MultiHeadAttention.from_torch(reference)
    out, weights = ours(query, key, value, **masks)
    expected, expected_weights = reference(
        query, key, value, average_attn_weights=False, need_weights=True, **masks
    )
    torch.testing.assert_close(out, expected, atol=TOL, rtol=0)
    torch.testing.assert_close(weights, expected_weights, atol=TOL, rtol=0)


MASK_CASES = {
    "no mask": lambda: {},
    "key padding (bool)": lambda: {"key_padding_mask": random_blocked(B, S, seed=1)},
    "attn mask (bool)": lambda: {"attn_mask": random_blocked(T, S, seed=2)},
    "attn mask (float)": lambda: {"attn_mask": draw(T, S, seed=3)},
    "per-head attn mask": lambda: {"attn_mask": random_blocked(B * H, T, S, seed=4)},
    "both (bool)": lambda: {
        "key_padding_mask": random_blocked(B, S, seed=5),
        "attn_mask": random_blocked(T, S, seed=6),
    },
    "both (float)": lambda: {
        "key_padding_mask": draw(B, S, seed=7),
        "attn_mask": draw(T, S, seed=8),
    },
}


@pytest.mark.parametrize("case", MASK_CASES, ids=list(MASK_CASES))
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_cross_attention_matches_torch(case, bias):
    """Different query and key lengths (T=5, S=7), separate key and value tensors."""
    compare(
        reference_module(bias),
        draw(B, T, D, seed=10),
        draw(B, S, D, seed=11),
        draw(B, S, D, seed=12),
        **MASK_CASES[case](),
    )


def test_self_attention_with_causal_mask_matches_torch():
    x = draw(B, T, D, seed=13)
    compare(reference_module(), x, x, x, attn_mask=~causal_mask(T))


def test_torch_convention_is_the_opposite_of_scaled_dot_product_attention():
    """attn_mask=causal_mask(T) (True = may attend, sdpa's meaning) blocks the wrong half."""
    x = draw(1, T, D, seed=14)
    attention = MultiHeadAttention.from_torch(reference_module())
    _, right = attention(x, x, x, attn_mask=~causal_mask(T))
    _, wrong = attention(x, x, x, attn_mask=causal_mask(T))
    upper = ~causal_mask(T)
    assert torch.all(right[..., upper] == 0)  # the future is blocked
    assert torch.all(wrong[..., causal_mask(T) & ~torch.eye(T, dtype=torch.bool)] == 0)


def test_fully_blocked_query_gets_zero_weights_where_torch_gives_nan():
    x = draw(1, T, D, seed=15)
    blocked = torch.zeros(T, T, dtype=torch.bool)
    blocked[0] = True  # query 0 may attend to nothing
    reference = reference_module()
    _, ours = MultiHeadAttention.from_torch(reference)(x, x, x, attn_mask=blocked)
    _, theirs = reference(x, x, x, attn_mask=blocked, average_attn_weights=False)
    assert torch.all(ours[:, :, 0] == 0) and torch.isnan(theirs[:, :, 0]).all()
    torch.testing.assert_close(ours[:, :, 1:], theirs[:, :, 1:], atol=TOL, rtol=0)


def test_weights_averaged_over_heads_equal_torchs_default_weights():
    x = draw(B, T, D, seed=16)
    reference = reference_module()
    _, weights = MultiHeadAttention.from_torch(reference)(x, x, x)
    _, averaged = reference(x, x, x)  # torch's default: average_attn_weights=True
    torch.testing.assert_close(weights.mean(1), averaged, atol=TOL, rtol=0)


def test_narrow_heads_read_the_whole_input_vector():
    """Each narrow head's query depends on every input coordinate (it is not a slice)."""
    attention = MultiHeadAttention(D, H)
    weight = attention.q_proj.weight.detach()  # (h·d_k, d): rows of head i = W_i^Q
    for head in range(H):
        rows = weight[head * (D // H) : (head + 1) * (D // H)]
        assert torch.all(rows.abs().sum(0) > 0)  # every input column is used


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(6))), st.integers(0, 1000))
def test_self_attention_is_permutation_equivariant(order, seed):
    attention = MultiHeadAttention.from_torch(reference_module(seed=seed % 7))
    x = draw(2, 6, D, seed=seed)
    permutation = torch.tensor(order)
    out, weights = attention(x, x, x)
    out_p, weights_p = attention(x[:, permutation], x[:, permutation], x[:, permutation])
    torch.testing.assert_close(out_p, out[:, permutation], atol=TOL, rtol=0)
    torch.testing.assert_close(
        weights_p, weights[:, :, permutation][..., permutation], atol=TOL, rtol=0
    )


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 3), st.integers(1, 6), st.integers(1, 6), st.integers(1, 4), st.integers(1, 4)
)
def test_weights_are_distributions_for_any_shape(batch, length_q, length_k, heads, head_dim):
    attention = MultiHeadAttention(heads * head_dim, heads).double()
    query = draw(batch, length_q, heads * head_dim, seed=1)
    key = draw(batch, length_k, heads * head_dim, seed=2)
    out, weights = attention(query, key, key)
    assert out.shape == (batch, length_q, heads * head_dim)
    assert weights.shape == (batch, heads, length_q, length_k)
    torch.testing.assert_close(weights.sum(-1), torch.ones_like(weights.sum(-1)))
    assert torch.all(weights >= 0)


def test_errors_name_the_values():
    with pytest.raises(ValueError, match=r"d_model=10 is not divisible by num_heads=3"):
        MultiHeadAttention(10, 3)
    assert MultiHeadAttention(10, 3, head_dim=10).head_dim == 10  # the wide form is fine
    with pytest.raises(ValueError, match=r"num_heads must be a positive int, got 0"):
        MultiHeadAttention(8, 0)
    attention = MultiHeadAttention(D, H).double()
    x, y = draw(B, T, D), draw(B, S, D)
    with pytest.raises(
        ValueError,
        match=r"key_padding_mask must have shape \(B, S\) = \(3, 7\), "
        r"got \(3, 5\)",
    ):
        attention(x, y, y, key_padding_mask=torch.zeros(B, T, dtype=torch.bool))
    with pytest.raises(
        ValueError,
        match=r"attn_mask must have shape \(T, S\) = \(5, 7\) or "
        r".* = \(9, 5, 7\), got \(7, 5\)",
    ):
        attention(x, y, y, attn_mask=torch.zeros(S, T, dtype=torch.bool))
    with pytest.raises(
        TypeError,
        match=r"attn_mask must be bool or floating point, got dtype "
        r"torch.int64",
    ):
        attention(x, y, y, attn_mask=torch.zeros(T, S, dtype=torch.long))
    with pytest.raises(
        ValueError, match=r"query must have shape \(B, L, d_model=12\), got \(5, 12\)"
    ):
        attention(x[0], y, y)
    with pytest.raises(ValueError, match=r"key and value must have the same length S"):
        attention(x, y, x)


def test_from_torch_refuses_what_it_cannot_copy():
    with pytest.raises(ValueError, match=r"batch_first=True, got batch_first=False"):
        MultiHeadAttention.from_torch(torch.nn.MultiheadAttention(D, H))
    with pytest.raises(ValueError, match=r"kdim and vdim must equal embed_dim=12, got kdim=5"):
        MultiHeadAttention.from_torch(torch.nn.MultiheadAttention(D, H, kdim=5, batch_first=True))
    with pytest.raises(ValueError, match=r"add_bias_kv and add_zero_attn"):
        MultiHeadAttention.from_torch(
            torch.nn.MultiheadAttention(D, H, add_bias_kv=True, batch_first=True)
        )
    with pytest.raises(TypeError, match=r"got Linear"):
        MultiHeadAttention.from_torch(torch.nn.Linear(2, 2))


# --- the wide-vs-narrow experiment's building blocks ---------------------------------------
