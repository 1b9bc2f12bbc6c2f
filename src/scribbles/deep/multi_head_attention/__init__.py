r"""Multi-head attention: $h$ attention heads side by side, a drop-in for torch's module.

Each head projects the queries, keys and values to its own subspace and attends on its
own; an output projection mixes the heads back. The chapter compares the *narrow* form
($d_k = d_{\text{model}}/h$, as in the Transformer paper and torch) with the *wide* one
($d_k = d_{\text{model}}$): [`wide_vs_narrow`][scribbles.deep.multi_head_attention.wide_vs_narrow]
counts and trains both, on the one-layer
[`attention_probe`][scribbles.deep.multi_head_attention.attention_probe].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from scribbles.deep.attention import scaled_dot_product_attention

__all__ = ["MultiHeadAttention"]


def _check_mask_dtype(mask: Tensor, name: str) -> None:
    """Raise TypeError unless a mask is boolean or floating point."""
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or None, got {type(mask).__name__}")
    if mask.dtype != torch.bool and not mask.is_floating_point():
        raise TypeError(f"{name} must be bool or floating point, got dtype {mask.dtype}")


def _as_additive(mask: Tensor, dtype: torch.dtype) -> Tensor:
    """torch's convention → additive scores: bool True (blocked) becomes -inf, floats stay."""
    if mask.dtype == torch.bool:
        return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(
            mask, float("-inf")
        )
    return mask.to(dtype)


class MultiHeadAttention(nn.Module):
    r"""Multi-head attention, a drop-in for `torch.nn.MultiheadAttention(batch_first=True)`.

    Each head $i$ has its own projections of the *whole* $d_{\text{model}}$-dimensional
    query, key and value vectors, attends on its own, and an output projection mixes the
    heads back:

    $$
    \text{head}_i = \operatorname{Attention}(Q W_i^Q,\ K W_i^K,\ V W_i^V),
    $$

    $$
    \operatorname{MultiHead}(Q, K, V) = [\text{head}_1, \dots, \text{head}_h]\, W^O,
    $$

    with $W_i^Q, W_i^K, W_i^V \in \mathbb{R}^{d_{\text{model}} \times d_k}$ and
    $W^O \in \mathbb{R}^{h d_k \times d_{\text{model}}}$. The **narrow** form
    (`head_dim=None`) uses $d_k = d_{\text{model}}/h$, as in the Transformer paper and in
    torch; the **wide** form (`head_dim=d_model`) gives every head a full-size
    $d_k = d_{\text{model}}$, at $h$ times the parameters.

    Masks follow **torch's** convention, which is the *opposite* of
    [`scaled_dot_product_attention`][scribbles.deep.attention.scaled_dot_product_attention]'s
    boolean one: here a boolean `True` means "may **not** attend". Float masks are added
    to the scores in both. A query whose keys are all blocked gets zero weights (torch
    gives NaN there). There is no attention dropout: outputs equal torch's module in
    `eval()` mode, or with `dropout=0`.

    Args:
        d_model: width of the input and output vectors.
        num_heads: the number of heads $h$.
        head_dim: $d_k$, the width of each head; None means `d_model // num_heads`.
        bias: add biases to the four projections.

    Raises:
        ValueError: if a size is not positive, or `head_dim` is None and `d_model` is not
            divisible by `num_heads`.

    Examples:
        >>> import torch
        >>> _ = torch.manual_seed(0)
        >>> narrow = MultiHeadAttention(d_model=16, num_heads=4)             # d_k = 4
        >>> wide = MultiHeadAttention(d_model=16, num_heads=4, head_dim=16)  # d_k = 16
        >>> x = torch.randn(2, 5, 16)                                # (B, T, d_model)
        >>> out, weights = narrow(x, x, x)
        >>> out.shape, weights.shape                           # weights: (B, h, T, S)
        (torch.Size([2, 5, 16]), torch.Size([2, 4, 5, 5]))
        >>> [sum(p.numel() for p in m.parameters()) for m in (narrow, wide)]
        [1088, 4304]
    """

    def __init__(
        self, d_model: int, num_heads: int, head_dim: int | None = None, bias: bool = True
    ) -> None:
        super().__init__()
        for name, number in (("d_model", d_model), ("num_heads", num_heads)):
            if isinstance(number, bool) or not isinstance(number, int) or number < 1:
                raise ValueError(f"{name} must be a positive int, got {number!r}")
        if head_dim is None:
            if d_model % num_heads != 0:
                raise ValueError(
                    f"d_model={d_model} is not divisible by num_heads={num_heads}; the narrow "
                    f"form (head_dim=None) splits d_model across the heads. Pick a divisor, "
                    f"or pass head_dim explicitly (head_dim=d_model is the wide form)"
                )
            head_dim = d_model // num_heads
        if isinstance(head_dim, bool) or not isinstance(head_dim, int) or head_dim < 1:
            raise ValueError(f"head_dim must be a positive int or None, got {head_dim!r}")
        self.d_model, self.num_heads, self.head_dim = d_model, num_heads, head_dim
        inner = num_heads * head_dim  # h · d_k
        self.q_proj = nn.Linear(d_model, inner, bias=bias)  # [W_1^Q ... W_h^Q]
        self.k_proj = nn.Linear(d_model, inner, bias=bias)
        self.v_proj = nn.Linear(d_model, inner, bias=bias)
        self.out_proj = nn.Linear(inner, d_model, bias=bias)  # W^O
        for projection in (self.q_proj, self.k_proj, self.v_proj, self.out_proj):
            nn.init.xavier_uniform_(projection.weight)
            if projection.bias is not None:
                nn.init.zeros_(projection.bias)

    def split_heads(self, x: Tensor) -> Tensor:
        """Reshape projected vectors `(B, T, h·d_k)` into heads `(B, h, T, d_k)`."""
        batch, length, _ = x.shape
        return x.view(batch, length, self.num_heads, self.head_dim).transpose(1, 2)

    def merge_heads(self, x: Tensor) -> Tensor:
        """Concatenate the heads `(B, h, T, d_k)` back into `(B, T, h·d_k)`."""
        batch, _, length, _ = x.shape
        return x.transpose(1, 2).reshape(batch, length, self.num_heads * self.head_dim)

    def project_heads(self, query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, ...]:
        r"""Project the inputs with every head's $W_i^Q, W_i^K, W_i^V$ at once.

        Args:
            query: shape `(B, T, d_model)`.
            key: shape `(B, S, d_model)`.
            value: shape `(B, S, d_model)`.

        Returns:
            q: queries, shape `(B, h, T, d_k)`.
            k: keys, shape `(B, h, S, d_k)`.
            v: values, shape `(B, h, S, d_k)`.
        """
        q = self.split_heads(self.q_proj(query))  # (B, h, T, d_k)
        k = self.split_heads(self.k_proj(key))  # (B, h, S, d_k)
        v = self.split_heads(self.v_proj(value))  # (B, h, S, d_k)
        return q, k, v

    def _check_inputs(self, query: Tensor, key: Tensor, value: Tensor) -> None:
        for name, tensor in (("query", query), ("key", key), ("value", value)):
            if not isinstance(tensor, Tensor):
                raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
            if tensor.dim() != 3 or tensor.shape[-1] != self.d_model:
                raise ValueError(
                    f"{name} must have shape (B, L, d_model={self.d_model}), got "
                    f"{tuple(tensor.shape)}"
                )
        if not query.shape[0] == key.shape[0] == value.shape[0]:
            raise ValueError(
                f"query, key and value must share the batch size: got {tuple(query.shape)}, "
                f"{tuple(key.shape)}, {tuple(value.shape)}"
            )
        if key.shape[1] != value.shape[1]:
            raise ValueError(
                f"key and value must have the same length S: key {tuple(key.shape)}, "
                f"value {tuple(value.shape)}"
            )

    def attention_mask(
        self,
        batch: int,
        query_len: int,
        key_len: int,
        key_padding_mask: Tensor | None,
        attn_mask: Tensor | None,
        dtype: torch.dtype,
    ) -> Tensor | None:
        r"""Turn torch-convention masks into a mask for `scaled_dot_product_attention`.

        Boolean masks (True = blocked) are combined and inverted into one boolean mask
        (True = may attend); if either mask is a float, both become additive ($-\infty$
        where blocked) and are summed.

        Args:
            batch: $B$.
            query_len: $T$.
            key_len: $S$.
            key_padding_mask: None, or shape `(B, S)`: keys to ignore in each sequence.
            attn_mask: None, or shape `(T, S)` (shared) or `(B·h, T, S)` (per head).
            dtype: the dtype of the scores, for additive masks.

        Returns:
            mask: None, or a mask broadcastable to `(B, h, T, S)`.

        Raises:
            TypeError: if a mask is neither bool nor float.
            ValueError: if a mask does not have one of the shapes above.
        """
        masks: list[Tensor] = []
        if attn_mask is not None:
            _check_mask_dtype(attn_mask, "attn_mask")
            shared, per_head = (query_len, key_len), (batch * self.num_heads, query_len, key_len)
            if tuple(attn_mask.shape) == shared:
                masks.append(attn_mask.view(1, 1, query_len, key_len))
            elif tuple(attn_mask.shape) == per_head:
                masks.append(attn_mask.view(batch, self.num_heads, query_len, key_len))
            else:
                raise ValueError(
                    f"attn_mask must have shape (T, S) = {shared} or (B·num_heads, T, S) = "
                    f"{per_head}, got {tuple(attn_mask.shape)}"
                )
        if key_padding_mask is not None:
            _check_mask_dtype(key_padding_mask, "key_padding_mask")
            if tuple(key_padding_mask.shape) != (batch, key_len):
                raise ValueError(
                    f"key_padding_mask must have shape (B, S) = {(batch, key_len)}, got "
                    f"{tuple(key_padding_mask.shape)}"
                )
            masks.append(key_padding_mask.view(batch, 1, 1, key_len))
        if not masks:
            return None
        if all(mask.dtype == torch.bool for mask in masks):
            blocked = masks[0] if len(masks) == 1 else masks[0] | masks[1]
            return ~blocked  # scaled_dot_product_attention: True = may attend
        additive = [_as_additive(mask, dtype) for mask in masks]
        return additive[0] if len(additive) == 1 else additive[0] + additive[1]

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        attn_mask: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        r"""Attend from every query to the keys, with every head, and mix the heads.

        Args:
            query: shape `(B, T, d_model)`.
            key: shape `(B, S, d_model)`.
            value: shape `(B, S, d_model)`.
            key_padding_mask: None, or `(B, S)`; True (or $-\infty$) marks a padded key.
            attn_mask: None, `(T, S)` or `(B·h, T, S)`; True (or $-\infty$) blocks a pair.

        Returns:
            output: shape `(B, T, d_model)`.
            weights: every head's attention weights, shape `(B, h, T, S)` (torch's module
                averages them over heads unless `average_attn_weights=False`).

        Raises:
            TypeError: if an input or a mask is not a tensor of a usable dtype.
            ValueError: if the shapes of the inputs or masks do not fit.
        """
        self._check_inputs(query, key, value)
        batch, query_len, key_len = query.shape[0], query.shape[1], key.shape[1]
        mask = self.attention_mask(
            batch, query_len, key_len, key_padding_mask, attn_mask, query.dtype
        )
        q, k, v = self.project_heads(query, key, value)  # (B, h, T|S, d_k)
        # head_i = softmax(q_i k_i^T / sqrt(d_k) + M) v_i
        heads, weights = scaled_dot_product_attention(q, k, v, mask)  # (B, h, T, d_k)
        # MultiHead = [head_1, ..., head_h] W^O
        return self.out_proj(self.merge_heads(heads)), weights  # (B, T, d), (B, h, T, S)

    @classmethod
    def from_torch(cls, module: nn.MultiheadAttention) -> MultiHeadAttention:
        r"""Build ours from a `torch.nn.MultiheadAttention(batch_first=True)`, copying its weights.

        torch stores $[W^Q; W^K; W^V]$ stacked in `in_proj_weight`, shape
        `(3 d_model, d_model)`; it is cut into our three projections.

        Args:
            module: the torch module (same dtype and device are kept).

        Returns:
            attention: a `MultiHeadAttention` computing the same function.

        Raises:
            TypeError: if `module` is not a `torch.nn.MultiheadAttention`.
            ValueError: if it is not `batch_first`, or uses features ours does not have
                (`kdim`/`vdim` different from `embed_dim`, `add_bias_kv`, `add_zero_attn`).

        Examples:
            >>> import torch
            >>> reference = torch.nn.MultiheadAttention(8, 2, batch_first=True)
            >>> ours = MultiHeadAttention.from_torch(reference)
            >>> x = torch.randn(3, 4, 8)
            >>> expected, _ = reference(x, x, x)
            >>> bool(torch.allclose(ours(x, x, x)[0], expected, atol=1e-6))
            True
        """
        if not isinstance(module, nn.MultiheadAttention):
            raise TypeError(
                f"module must be a torch.nn.MultiheadAttention, got {type(module).__name__}"
            )
        if not module.batch_first:
            raise ValueError("module must be built with batch_first=True, got batch_first=False")
        if not module._qkv_same_embed_dim:
            raise ValueError(
                f"kdim and vdim must equal embed_dim={module.embed_dim}, got "
                f"kdim={module.kdim}, vdim={module.vdim}"
            )
        if module.bias_k is not None or module.add_zero_attn:
            raise ValueError("add_bias_kv and add_zero_attn are not supported; got True")
        d_model = module.embed_dim
        weight = module.in_proj_weight.detach()  # (3 d, d) = [W^Q; W^K; W^V]
        ours = cls(d_model, module.num_heads, bias=module.in_proj_bias is not None)
        ours = ours.to(device=weight.device, dtype=weight.dtype)
        with torch.no_grad():
            for index, projection in enumerate((ours.q_proj, ours.k_proj, ours.v_proj)):
                rows = slice(index * d_model, (index + 1) * d_model)
                projection.weight.copy_(weight[rows])
                if projection.bias is not None:
                    projection.bias.copy_(module.in_proj_bias.detach()[rows])
            ours.out_proj.weight.copy_(module.out_proj.weight.detach())
            if ours.out_proj.bias is not None:
                ours.out_proj.bias.copy_(module.out_proj.bias.detach())
        return ours

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, num_heads={self.num_heads}, head_dim={self.head_dim}"
