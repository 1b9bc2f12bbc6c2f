"""scribbles.deep.residuals_normalization.gradient_flow: gradients with and without residuals."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from scribbles.deep.residuals_normalization.gradient_flow import DeepMLP, encoder_stack_gradients


def first_layer_gradient(residual: bool, init: str = "default") -> float:
    torch.manual_seed(0)
    model = DeepMLP(depth=32, width=32, residual=residual, init=init)
    x = torch.randn(64, 64, generator=torch.Generator().manual_seed(1))
    labels = torch.randint(10, (64,), generator=torch.Generator().manual_seed(2))
    F.cross_entropy(model(x), labels).backward()
    return float(model.blocks[0].weight.grad.norm())


def test_a_32_layer_plain_mlp_has_vanishing_gradients_and_the_residual_one_does_not():
    plain, residual = first_layer_gradient(False), first_layer_gradient(True)
    assert plain < 1e-8 < 1e-1 < residual
    assert first_layer_gradient(False, init="he") > 1e-3  # He initialisation also helps


def test_last_layer_gradient_shrinks_with_depth_in_pre_ln_only():
    post = [encoder_stack_gradients(L, norm_first=False)[-1] for L in (1, 16)]
    pre = [encoder_stack_gradients(L, norm_first=True)[-1] for L in (1, 16)]
    assert 0.7 < post[1] / post[0] < 1.4  # post-LN: about the same at depth 1 and 16
    assert pre[1] / pre[0] < 0.5  # pre-LN: ~ 1/sqrt(L)
