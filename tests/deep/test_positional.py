"""scribbles.deep.positional: sinusoidal encodings, the shift rotation, RoPE, learned positions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from scribbles.deep.multi_head_attention import MultiHeadAttention
from scribbles.deep.positional import (
    LearnedPositionalEmbedding,
    RotaryMultiHeadAttention,
    apply_rotary,
    rotary_frequencies,
    shift_rotation,
    sinusoidal_encoding,
)

TOL = 1e-9  # float64


def draw(*shape: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator, dtype=torch.float64)


def test_sinusoidal_encoding_matches_the_papers_formula_written_with_loops():
    seq_len, d_model = 20, 10
    expected = np.zeros((seq_len, d_model))
    for pos in range(seq_len):
        for i in range(d_model // 2):
            expected[pos, 2 * i] = math.sin(pos / 10000 ** (2 * i / d_model))
            expected[pos, 2 * i + 1] = math.cos(pos / 10000 ** (2 * i / d_model))
    ours = sinusoidal_encoding(seq_len, d_model, dtype=torch.float64)
    np.testing.assert_allclose(ours.numpy(), expected, atol=1e-12, rtol=0)
    assert sinusoidal_encoding(3, 4).dtype == torch.float32


@pytest.mark.parametrize("offset", [1, 5, 17])
def test_a_shift_is_a_fixed_rotation_of_the_encoding(offset):
    encoding = sinusoidal_encoding(60, 16, dtype=torch.float64)  # (T, d)
    rotation = shift_rotation(offset, 16)
    # PE_{p+k} = M_k PE_p for every p, one matrix for all positions
    torch.testing.assert_close(encoding[:-offset] @ rotation.T, encoding[offset:], atol=TOL, rtol=0)
    torch.testing.assert_close(rotation @ rotation.T, torch.eye(16, dtype=torch.float64))


def test_shift_rotations_compose_by_adding_offsets():
    torch.testing.assert_close(
        shift_rotation(3, 8) @ shift_rotation(4, 8), shift_rotation(7, 8), atol=TOL, rtol=0
    )


def test_dot_product_of_encodings_depends_only_on_the_offset():
    encoding = sinusoidal_encoding(50, 16, dtype=torch.float64)
    omega = rotary_frequencies(16)
    for offset in (0, 3, 9):
        dots = (encoding[: 50 - offset] * encoding[offset:]).sum(-1)  # PE_p · PE_{p+k}
        expected = torch.cos(offset * omega).sum()  # Σ_i cos(k ω_i)
        torch.testing.assert_close(dots, expected.expand_as(dots), atol=TOL, rtol=0)


def rotary_with_complex_numbers(x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """An independent RoPE: pairs as complex numbers, multiplied by exp(i m ω)."""
    pairs = torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2).contiguous())  # (..., T, d/2)
    angles = positions.double()[:, None] * rotary_frequencies(x.shape[-1])  # (T, d/2)
    return torch.view_as_real(pairs * torch.polar(torch.ones_like(angles), angles)).flatten(-2)


def test_apply_rotary_matches_a_complex_number_implementation_and_the_rotation_matrices():
    x = draw(2, 3, 9, 8)  # (B, h, T, d)
    positions = torch.arange(9)
    ours = apply_rotary(x, positions)
    torch.testing.assert_close(ours, rotary_with_complex_numbers(x, positions), atol=TOL, rtol=0)
    # position m rotates by +m ω_i: the inverse of the sinusoidal shift matrix M_m
    torch.testing.assert_close(ours[..., 4, :], x[..., 4, :] @ shift_rotation(-4, 8).T)
    torch.testing.assert_close(ours.norm(dim=-1), x.norm(dim=-1))  # rotations keep lengths


@settings(max_examples=50, deadline=None)
@given(
    st.integers(0, 500),
    st.integers(0, 500),
    st.integers(-200, 200),
    st.sampled_from([2, 8, 32]),
    st.integers(0, 10_000),
)
def test_rotary_scores_depend_only_on_the_relative_position(m, n, shift, width, seed):
    q, k = draw(1, width, seed=seed), draw(1, width, seed=seed + 1)
    m2, n2 = m + shift, n + shift  # same offset m - n, different absolute positions
    score = (apply_rotary(q, torch.tensor([m])) * apply_rotary(k, torch.tensor([n]))).sum()
    moved = (apply_rotary(q, torch.tensor([m2])) * apply_rotary(k, torch.tensor([n2]))).sum()
    assert abs(float(score - moved)) < TOL


def test_rotary_attention_weights_are_toeplitz_for_a_repeated_token():
    """Same token everywhere: RoPE weights depend on t - s only; without RoPE they are uniform."""
    torch.manual_seed(0)
    attention = RotaryMultiHeadAttention(8, 2).double()
    x = draw(1, 1, 8).expand(1, 7, 8)  # the same vector at 7 positions
    _, weights = attention(x, x, x)  # (1, h, T, T)
    # log w(t, s) = g(t - s) - logsumexp_t: differences along a row depend on t - s only
    steps = torch.diff(torch.log(weights), dim=-1)  # (1, h, T, T-1)
    for t in range(1, 7):  # row t is row t-1 moved one key to the right
        torch.testing.assert_close(steps[..., t, 1:], steps[..., t - 1, :-1], atol=TOL, rtol=0)
    plain = MultiHeadAttention(8, 2).double()
    _, uniform = plain(x, x, x)
    torch.testing.assert_close(uniform, torch.full_like(uniform, 1 / 7))


def test_positions_break_permutation_equivariance():
    torch.manual_seed(0)
    attention = MultiHeadAttention(8, 2).double()
    x = draw(1, 6, 8)
    order = torch.tensor([3, 0, 5, 1, 4, 2])
    without, _ = attention(x[:, order], x[:, order], x[:, order])
    torch.testing.assert_close(without, attention(x, x, x)[0][:, order], atol=TOL, rtol=0)
    encoded = x + sinusoidal_encoding(6, 8, dtype=torch.float64)
    moved = x[:, order] + sinusoidal_encoding(6, 8, dtype=torch.float64)
    with_positions, _ = attention(moved, moved, moved)
    assert (with_positions - attention(encoded, encoded, encoded)[0][:, order]).abs().max() > 1e-3


def test_learned_embedding_adds_one_row_per_position():
    positions = LearnedPositionalEmbedding(max_len=5, d_model=3)
    x = torch.zeros(2, 4, 3)
    torch.testing.assert_close(positions(x), positions.embedding.weight[:4].expand(2, 4, 3))


def test_errors_name_the_values():
    with pytest.raises(ValueError, match=r"d_model must be even .* got 7"):
        sinusoidal_encoding(4, 7)
    with pytest.raises(ValueError, match=r"seq_len must be a positive int, got 0"):
        sinusoidal_encoding(0, 4)
    with pytest.raises(ValueError, match=r"positions must have shape \(T,\) = \(3,\), got \(4,\)"):
        apply_rotary(torch.zeros(3, 4), torch.arange(4))
    with pytest.raises(ValueError, match=r"last dimension of x must be even .* got 5"):
        apply_rotary(torch.zeros(3, 5), torch.arange(3))
    with pytest.raises(TypeError, match=r"floating-point"):
        apply_rotary(torch.zeros(3, 4, dtype=torch.long), torch.arange(3))
    with pytest.raises(ValueError, match=r"sequence length 6 exceeds max_len=5"):
        LearnedPositionalEmbedding(5, 3)(torch.zeros(1, 6, 3))
    with pytest.raises(ValueError, match=r"head_dim must be even .* got 3"):
        RotaryMultiHeadAttention(6, 2)
    with pytest.raises(ValueError, match=r"base must be > 1, got 1.0"):
        rotary_frequencies(4, base=1.0)
