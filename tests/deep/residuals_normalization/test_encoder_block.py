"""scribbles.deep.residuals_normalization.encoder_block.EncoderBlock against
torch.nn.TransformerEncoderLayer, and the residual experiments' claims at initialisation."""

from __future__ import annotations

import pytest
import torch

from scribbles.deep.attention import causal_mask
from scribbles.deep.residuals_normalization.encoder_block import EncoderBlock

TOL = 1e-9  # float64 agreement with torch
B, T, D, H, FF = 3, 6, 12, 3, 20


def reference_layer(norm_first: bool, activation: str = "relu", seed: int = 0, **kwargs):
    torch.manual_seed(seed)
    layer = torch.nn.TransformerEncoderLayer(
        D,
        H,
        FF,
        activation=activation,
        norm_first=norm_first,
        batch_first=True,
        dtype=torch.float64,
        **kwargs,
    )
    with torch.no_grad():  # move the norms away from (1, 0), so that copying them matters
        for parameter in layer.parameters():
            parameter.add_(0.1 * torch.randn_like(parameter))
    return layer.eval()


def draw(*shape: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator, dtype=torch.float64)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_block_matches_torch(norm_first, activation):
    reference = reference_layer(norm_first, activation)
    ours = EncoderBlock.from_torch(reference).eval()
    x = draw(B, T, D, seed=1)
    torch.testing.assert_close(ours(x), reference(x), atol=TOL, rtol=0)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
def test_encoder_block_matches_torch_with_masks(norm_first):
    reference = reference_layer(norm_first, seed=2)
    ours = EncoderBlock.from_torch(reference).eval()
    x = draw(B, T, D, seed=3)
    padding = torch.zeros(B, T, dtype=torch.bool)
    padding[0, -2:] = True  # the first sequence has two padding tokens
    expected = reference(x, src_mask=~causal_mask(T), src_key_padding_mask=padding)
    actual = ours(x, src_mask=~causal_mask(T), src_key_padding_mask=padding)
    torch.testing.assert_close(actual, expected, atol=TOL, rtol=0)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
def test_encoder_block_matches_torch_in_inference_mode(norm_first):
    """Under no_grad torch may take its fused fast path; the function is the same."""
    reference = reference_layer(norm_first, seed=4)
    ours = EncoderBlock.from_torch(reference).eval()
    x = draw(B, T, D, seed=5)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), reference(x), atol=TOL, rtol=0)


def test_training_mode_without_dropout_matches_torch():
    reference = reference_layer(True, seed=6, dropout=0.0).train()
    ours = EncoderBlock.from_torch(reference).train()
    x = draw(B, T, D, seed=7)
    torch.testing.assert_close(ours(x), reference(x), atol=TOL, rtol=0)


def test_gradients_match_torch():
    reference = reference_layer(False, seed=8)
    ours = EncoderBlock.from_torch(reference).eval()
    x = draw(B, T, D, seed=9)
    ours(x).square().sum().backward()
    reference(x).square().sum().backward()
    torch.testing.assert_close(
        ours.linear1.weight.grad, reference.linear1.weight.grad, atol=TOL, rtol=0
    )
    torch.testing.assert_close(
        ours.self_attn.q_proj.weight.grad,
        reference.self_attn.in_proj_weight.grad[:D],
        atol=TOL,
        rtol=0,
    )


def test_pre_ln_keeps_an_identity_path_and_post_ln_does_not():
    """With zeroed branch outputs, pre-LN is the identity; post-LN still normalises."""
    for norm_first in (False, True):
        block = EncoderBlock(D, H, FF, norm_first=norm_first).double().eval()
        with torch.no_grad():
            for layer in (block.self_attn.out_proj, block.linear2):
                layer.weight.zero_()
                layer.bias.zero_()
        x = draw(B, T, D, seed=10)
        is_identity = torch.allclose(block(x), x, atol=TOL)
        assert is_identity == norm_first


def test_errors():
    with pytest.raises(
        ValueError, match=r"activation must be one of \['gelu', 'relu'\], got 'tanh'"
    ):
        EncoderBlock(D, H, activation="tanh")
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\), got 1.0"):
        EncoderBlock(D, H, dropout=1.0)
    with pytest.raises(ValueError, match=r"d_model=12 is not divisible by num_heads=5"):
        EncoderBlock(D, 5)
    with pytest.raises(ValueError, match=r"batch_first=True, got batch_first=False"):
        EncoderBlock.from_torch(torch.nn.TransformerEncoderLayer(D, H, FF))
    custom = torch.nn.TransformerEncoderLayer(D, H, FF, activation=torch.tanh, batch_first=True)
    with pytest.raises(ValueError, match=r"activation must be ReLU or GELU"):
        EncoderBlock.from_torch(custom)
    with pytest.raises(TypeError, match=r"got Linear"):
        EncoderBlock.from_torch(torch.nn.Linear(2, 2))


# --- the chapter's claims at initialisation (no training: fast) ---------------------------
