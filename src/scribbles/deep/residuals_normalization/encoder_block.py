r"""A Transformer encoder block assembled from our own parts, post-LN or pre-LN.

One block is self-attention and a position-wise feed-forward network, each wrapped in a
residual connection and a layer normalisation. Where the normalisation sits is the
difference between the two variants:

$$
\text{post-LN:}\quad x \leftarrow \operatorname{LN}\big(x + \operatorname{SA}(x)\big),\quad
x \leftarrow \operatorname{LN}\big(x + \operatorname{FF}(x)\big)
$$

$$
\text{pre-LN:}\quad x \leftarrow x + \operatorname{SA}\big(\operatorname{LN}(x)\big),\quad
x \leftarrow x + \operatorname{FF}\big(\operatorname{LN}(x)\big)
$$

The original Transformer (Vaswani et al., 2017) is post-LN, as is torch's default
(`norm_first=False`); pre-LN keeps an identity path from input to output and trains
deep stacks without a learning-rate warm-up (Xiong et al., 2020).
[`EncoderBlock`][scribbles.deep.residuals_normalization.encoder_block.EncoderBlock] implements both.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from scribbles.deep.multi_head_attention import MultiHeadAttention
from scribbles.deep.residuals_normalization import LayerNorm

__all__ = ["EncoderBlock"]

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


class EncoderBlock(nn.Module):
    r"""A Transformer encoder block (self-attention + feed-forward), post-LN or pre-LN.

    $$
    \operatorname{FF}(x) = W_2\, \phi(W_1 x + b_1) + b_2,\qquad \phi \in \{\mathrm{ReLU},
    \mathrm{GELU}\}.
    $$

    Made of [`MultiHeadAttention`][scribbles.deep.multi_head_attention.MultiHeadAttention] and
    [`LayerNorm`][scribbles.deep.residuals_normalization.LayerNorm]; equal to
    `torch.nn.TransformerEncoderLayer(batch_first=True)` with the same weights (see
    [`from_torch`][scribbles.deep.residuals_normalization.encoder_block.EncoderBlock.from_torch]) in
    `eval()` mode.

    Args:
        d_model: width of the token vectors.
        num_heads: attention heads (narrow form, `d_model // num_heads` each).
        dim_feedforward: hidden width of the feed-forward network.
        dropout: dropout on the two residual branches and inside the feed-forward
            network, as torch applies it (inactive in `eval()`).
        activation: `"relu"` or `"gelu"`.
        norm_first: True for pre-LN, False for post-LN (the paper's and torch's default).
        eps: $\epsilon$ of the layer norms.
        bias: biases in the linear layers and layer norms.

    Raises:
        ValueError: if `activation` is unknown, `dropout` is not in $[0, 1)$, or a size
            is invalid.

    Examples:
        >>> import torch
        >>> block = EncoderBlock(d_model=8, num_heads=2, dim_feedforward=16, norm_first=True)
        >>> block(torch.randn(3, 5, 8)).shape                # (B, T, d_model) in and out
        torch.Size([3, 5, 8])
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.0,
        activation: str = "relu",
        norm_first: bool = False,
        eps: float = 1e-5,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if isinstance(dim_feedforward, bool) or dim_feedforward < 1:
            raise ValueError(f"dim_feedforward must be a positive int, got {dim_feedforward!r}")
        self.norm_first = norm_first
        self.activation = activation
        self.self_attn = MultiHeadAttention(d_model, num_heads, bias=bias)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias)  # W_1
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias)  # W_2
        self.norm1 = LayerNorm(d_model, eps=eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=eps, bias=bias)
        self.dropout = nn.Dropout(dropout)  # inside FF
        self.dropout1 = nn.Dropout(dropout)  # on the attention branch
        self.dropout2 = nn.Dropout(dropout)  # on the FF branch

    def attention_branch(
        self, x: Tensor, mask: Tensor | None, key_padding_mask: Tensor | None
    ) -> Tensor:
        """SA(x): self-attention of `x` `(B, T, d)` with torch-convention masks."""
        out, _ = self.self_attn(x, x, x, key_padding_mask=key_padding_mask, attn_mask=mask)
        return self.dropout1(out)  # (B, T, d)

    def feedforward_branch(self, x: Tensor) -> Tensor:
        """FF(x) = W_2 φ(W_1 x + b_1) + b_2, position by position; `(B, T, d)` → same."""
        hidden = self.dropout(_ACTIVATIONS[self.activation](self.linear1(x)))  # (B, T, d_ff)
        return self.dropout2(self.linear2(hidden))  # (B, T, d)

    def forward(
        self,
        src: Tensor,
        src_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
    ) -> Tensor:
        r"""Apply the block.

        Args:
            src: token vectors, shape `(B, T, d_model)`.
            src_mask: None or `(T, T)` / `(B·h, T, T)`; True (or $-\infty$) blocks a pair.
            src_key_padding_mask: None or `(B, T)`; True marks padding tokens.

        Returns:
            output: shape `(B, T, d_model)`.
        """
        x = src
        if self.norm_first:  # pre-LN: x + SA(LN(x)), then x + FF(LN(x))
            x = x + self.attention_branch(self.norm1(x), src_mask, src_key_padding_mask)
            x = x + self.feedforward_branch(self.norm2(x))
        else:  # post-LN: LN(x + SA(x)), then LN(x + FF(x))
            x = self.norm1(x + self.attention_branch(x, src_mask, src_key_padding_mask))
            x = self.norm2(x + self.feedforward_branch(x))
        return x

    @classmethod
    def from_torch(cls, layer: nn.TransformerEncoderLayer) -> EncoderBlock:
        r"""Build ours from a `torch.nn.TransformerEncoderLayer(batch_first=True)` and its weights.

        Args:
            layer: the torch layer (dtype and device are kept).

        Returns:
            block: an `EncoderBlock` computing the same function in `eval()` mode.

        Raises:
            TypeError: if `layer` is not a `TransformerEncoderLayer`.
            ValueError: if it is not `batch_first` or its activation is neither ReLU nor GELU.

        Examples:
            >>> import torch
            >>> reference = torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True).eval()
            >>> ours = EncoderBlock.from_torch(reference).eval()
            >>> x = torch.randn(2, 3, 8)
            >>> bool(torch.allclose(ours(x), reference(x), atol=1e-5))
            True
        """
        if not isinstance(layer, nn.TransformerEncoderLayer):
            raise TypeError(
                f"layer must be a torch.nn.TransformerEncoderLayer, got {type(layer).__name__}"
            )
        if not layer.self_attn.batch_first:
            raise ValueError("layer must be built with batch_first=True, got batch_first=False")
        code = layer.activation_relu_or_gelu  # torch: 1 = ReLU, 2 = GELU, 0 = other
        if code not in (1, 2):
            raise ValueError(f"activation must be ReLU or GELU, got {layer.activation!r}")
        weight = layer.linear1.weight
        block = cls(
            d_model=layer.self_attn.embed_dim,
            num_heads=layer.self_attn.num_heads,
            dim_feedforward=layer.linear1.out_features,
            dropout=layer.dropout.p,
            activation="relu" if code == 1 else "gelu",
            norm_first=layer.norm_first,
            eps=layer.norm1.eps,
            bias=layer.linear1.bias is not None,
        ).to(device=weight.device, dtype=weight.dtype)
        block.self_attn = MultiHeadAttention.from_torch(layer.self_attn)
        with torch.no_grad():
            for name in ("linear1", "linear2", "norm1", "norm2"):
                getattr(block, name).load_state_dict(getattr(layer, name).state_dict())
        return block
