r"""Residual connections and the placement of layer normalisation, measured.

Two experiments for the chapter on residuals and normalisation:

- [`deep_mlp_experiment`][scribbles.deep.residuals_normalization.gradient_flow.deep_mlp_experiment]:
  a 32-layer MLP on the digits data, with and without residual connections — the gradient
  norm of every layer at initialisation and the training loss;
- `layer_norm_placement_experiment`: stacks of
  [`EncoderBlock`][scribbles.deep.residuals_normalization.encoder_block.EncoderBlock]s, post-LN and
  pre-LN — the gradient of every block's feed-forward weights at initialisation, and how the
  gradient of the *last* block changes with depth.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from scribbles.book.cache import cached
from scribbles.book.seeding import single_thread
from scribbles.deep.residuals_normalization import LayerNorm
from scribbles.deep.residuals_normalization.encoder_block import EncoderBlock

__all__ = [
    "DeepMLP",
    "deep_mlp_experiment",
    "encoder_stack_gradients",
    "layer_norm_placement_experiment",
]


class DeepMLP(nn.Module):
    r"""A deep, narrow MLP whose hidden layers are optionally residual.

    Every hidden layer is the pre-activation block $f_\ell(h) = W_\ell\,\mathrm{ReLU}(h)
    + b_\ell$ (He et al., 2016b), used either plainly or around an identity path:

    $$
    \text{plain: } h_{\ell+1} = f_\ell(h_\ell),\qquad
    \text{residual: } h_{\ell+1} = h_\ell + f_\ell(h_\ell).
    $$

    Both have exactly the same parameters; only the `+ h` differs.

    Args:
        depth: number of hidden blocks.
        width: width of the hidden layers.
        residual: add the identity path.
        in_features: input width.
        num_classes: output width.
        init: `"default"` (torch's `nn.Linear` initialisation) or `"he"` (He-normal
            weights, zero biases, for the hidden blocks).

    Raises:
        ValueError: if `init` is unknown.

    Examples:
        >>> import torch
        >>> model = DeepMLP(depth=30, width=8, residual=True)
        >>> model(torch.randn(5, 64)).shape
        torch.Size([5, 10])
    """

    def __init__(
        self,
        depth: int,
        width: int,
        residual: bool,
        in_features: int = 64,
        num_classes: int = 10,
        init: str = "default",
    ) -> None:
        super().__init__()
        if init not in ("default", "he"):
            raise ValueError(f"init must be 'default' or 'he', got {init!r}")
        self.residual = residual
        self.input = nn.Linear(in_features, width)
        self.blocks = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
        self.output = nn.Linear(width, num_classes)
        if init == "he":
            for block in self.blocks:
                nn.init.kaiming_normal_(block.weight, nonlinearity="relu")
                nn.init.zeros_(block.bias)

    def forward(self, x: Tensor) -> Tensor:
        """Map `(N, in_features)` to logits `(N, num_classes)`."""
        h = self.input(x)  # (N, width)
        for block in self.blocks:
            update = block(F.relu(h))  # f_l(h) = W_l ReLU(h) + b_l
            h = h + update if self.residual else update
        return self.output(F.relu(h))


def _digits() -> tuple[Tensor, Tensor]:
    """The scikit-learn digits, standardised per pixel: `(1797, 64)` floats, `(1797,)` labels."""
    from sklearn.datasets import load_digits  # local: importing scikit-learn takes ~1 s

    features, labels = load_digits(return_X_y=True)
    features = (features - features.mean(0)) / (features.std(0) + 1e-8)
    return torch.tensor(features, dtype=torch.float32), torch.tensor(labels)


@cached
def deep_mlp_experiment(
    depth: int = 32,
    width: int = 32,
    steps: int = 100,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
) -> dict[str, dict[str, np.ndarray]]:
    r"""Gradient norms at initialisation and training losses of deep MLPs on digits.

    Three models with the same architecture and data: plain with torch's default
    initialisation, plain with He initialisation, and residual with the default one.
    The gradient of layer $\ell$ is $\lVert \partial L / \partial W_\ell \rVert_F$ of the
    cross-entropy on the first 256 images, before any step; then Adam trains each.

    Args:
        depth: hidden blocks ($\ge 30$ in the chapter).
        width: hidden width.
        steps: Adam steps (a new random minibatch each).
        batch_size: images per step.
        lr: learning rate.
        seed: seeds initialisation and minibatches.

    Returns:
        results: for `"plain"`, `"plain, He init"`, `"residual"`: `gradient_norms`
            `(depth,)` at initialisation and `losses` `(steps,)`.

    Examples:
        >>> results = deep_mlp_experiment(depth=3, width=4, steps=2)
        >>> sorted(results), results["residual"]["gradient_norms"].shape
        (['plain', 'plain, He init', 'residual'], (3,))
    """
    features, labels = _digits()
    variants = {"plain": (False, "default"), "plain, He init": (False, "he")}
    variants["residual"] = (True, "default")
    results = {}
    with single_thread():
        for name, (residual, init) in variants.items():
            torch.manual_seed(seed)
            model = DeepMLP(depth, width, residual, init=init)
            F.cross_entropy(model(features[:256]), labels[:256]).backward()
            gradient_norms = np.array([float(b.weight.grad.norm()) for b in model.blocks])
            model.zero_grad()
            optimizer = torch.optim.Adam(model.parameters(), lr=lr)
            generator = torch.Generator().manual_seed(seed)
            losses = np.empty(steps)
            for step in range(steps):
                batch = torch.randint(len(features), (batch_size,), generator=generator)
                loss = F.cross_entropy(model(features[batch]), labels[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses[step] = loss.item()
            results[name] = {"gradient_norms": gradient_norms, "losses": losses}
    return results


def encoder_stack_gradients(
    num_layers: int,
    norm_first: bool,
    d_model: int = 32,
    num_heads: int = 4,
    seq_len: int = 10,
    batch_size: int = 16,
    seed: int = 0,
) -> np.ndarray:
    r"""Gradient norm of every block's second feed-forward weight $W_2$ at initialisation.

    A stack of `num_layers`
    [`EncoderBlock`][scribbles.deep.residuals_normalization.encoder_block.EncoderBlock]s (a final
    layer norm after a pre-LN stack, as in practice) maps random inputs; the loss is the mean
    squared error to random targets.

    Args:
        num_layers: $L$, blocks in the stack.
        norm_first: pre-LN (True) or post-LN (False).
        d_model: width ($4\times$ that in the feed-forward network).
        num_heads: attention heads.
        seq_len: tokens per sequence.
        batch_size: sequences.
        seed: seeds weights, inputs and targets.

    Returns:
        norms: $\lVert \partial L / \partial W_2^{(\ell)} \rVert_F$ for
            $\ell = 1..L$, shape `(num_layers,)`.

    Examples:
        >>> encoder_stack_gradients(3, norm_first=True).shape
        (3,)
    """
    torch.manual_seed(seed)
    blocks = nn.Sequential(
        *(
            EncoderBlock(d_model, num_heads, 4 * d_model, norm_first=norm_first)
            for _ in range(num_layers)
        )
    )
    x = torch.randn(batch_size, seq_len, d_model)  # (B, T, d)
    target = torch.randn(batch_size, seq_len, d_model)
    out = blocks(x)
    if norm_first:
        out = LayerNorm(d_model)(out)  # the final norm of a pre-LN stack
    F.mse_loss(out, target).backward()
    return np.array([float(block.linear2.weight.grad.norm()) for block in blocks])


@cached
def layer_norm_placement_experiment(
    num_layers: int = 12,
    depths: Sequence[int] = (1, 2, 4, 8, 16, 32),
    seeds: int = 2,
) -> dict[str, dict[str, np.ndarray]]:
    r"""Post-LN versus pre-LN: per-layer gradients, and the last layer's gradient by depth.

    Xiong et al. (2020) show that at initialisation the gradient of the last layer is
    independent of the depth $L$ in post-LN but shrinks like $1/\sqrt{L}$ in pre-LN; large
    early updates near the output are why post-LN needs a learning-rate warm-up.

    Args:
        num_layers: depth of the stack for the per-layer profile.
        depths: depths at which to measure the last block's gradient.
        seeds: initialisations averaged over.

    Returns:
        results: for `"post-LN"` and `"pre-LN"`: `per_layer` `(num_layers,)` and
            `last_layer` `(len(depths),)`, each averaged over seeds; plus
            `"depths"` → `{"values": array of depths}`.

    Examples:
        >>> results = layer_norm_placement_experiment(num_layers=2, depths=(1, 2), seeds=1)
        >>> results["pre-LN"]["last_layer"].shape
        (2,)
    """
    results: dict[str, dict[str, np.ndarray]] = {"depths": {"values": np.array(depths)}}
    with single_thread():
        for name, norm_first in (("post-LN", False), ("pre-LN", True)):
            per_layer = np.mean(
                [encoder_stack_gradients(num_layers, norm_first, seed=s) for s in range(seeds)],
                axis=0,
            )
            last_layer = np.array(
                [
                    np.mean(
                        [encoder_stack_gradients(L, norm_first, seed=s)[-1] for s in range(seeds)]
                    )
                    for L in depths
                ]
            )
            results[name] = {"per_layer": per_layer, "last_layer": last_layer}
    return results
