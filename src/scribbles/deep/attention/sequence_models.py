r"""Options for sequence data: convolutions, recurrences and attention, measured.

Three questions decide how well a layer type handles sequences of length $n$ with width
$d$ (Vaswani et al., 2017, Table 1):

- **work per layer**: how many floating-point operations one layer costs;
- **sequential operations**: how many steps must wait for the previous one;
- **maximum path length**: how many layers (or hops) a signal needs to travel between
  the two most distant positions; short paths make long-range dependencies easy to learn.

This module *measures* all three on real layers instead of quoting them, and trains the
encoder–decoder of Bahdanau et al. (2015) with and without attention to show the
fixed-size bottleneck that attention removes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.sparse.csgraph import shortest_path
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from scribbles.book.cache import cached
from scribbles.deep.attention import scaled_dot_product_attention

__all__ = [
    "ARCHITECTURES",
    "LayerCost",
    "Seq2Seq",
    "bottleneck_experiment",
    "layer_cost",
    "layer_cost_table",
    "max_path_length",
    "one_layer_reach",
]

ARCHITECTURES = ("self-attention", "recurrent", "convolution", "dilated convolution")
"""The layer types compared in the chapter."""


def _check_architecture(architecture: str) -> None:
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}")


def one_layer_reach(architecture: str, length: int, kernel_size: int = 3, layer: int = 0) -> Tensor:
    r"""Which positions one layer (or one recurrent hop) connects.

    Entry $(i, j)$ is True when output position $i$ reads input position $j$ directly:
    every $j$ for self-attention; $|i-j| \le \lfloor k/2 \rfloor$ for a convolution of
    width $k$; $|i-j| \in \{0, 2^\ell, \dots, \lfloor k/2 \rfloor 2^\ell\}$ for a dilated
    convolution whose dilation doubles at each layer $\ell$ (as in WaveNet and ByteNet);
    $|i-j| \le 1$ for one step of a
    recurrence (a hop links neighbours; a path may run in either direction, as in
    Vaswani et al.'s definition of path length between two positions).

    Args:
        architecture: one of
            [`ARCHITECTURES`][scribbles.deep.attention.sequence_models.ARCHITECTURES].
        length: sequence length $n$.
        kernel_size: convolution width $k$ (odd, at least 3).
        layer: layer index $\ell$ (only the dilated convolution depends on it).

    Returns:
        reach: boolean matrix, shape `(n, n)`.

    Raises:
        ValueError: for an unknown architecture, `length < 2`, or an even or too small
            `kernel_size`.

    Examples:
        >>> one_layer_reach("convolution", 5).int()[2].tolist()
        [0, 1, 1, 1, 0]
        >>> one_layer_reach("recurrent", 4).int()[2].tolist()
        [0, 1, 1, 1]
    """
    _check_architecture(architecture)
    if length < 2:
        raise ValueError(f"length must be >= 2, got {length}")
    if kernel_size < 3 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd and >= 3, got {kernel_size}")
    positions = torch.arange(length)
    offset = positions[:, None] - positions[None, :]  # (n, n): i - j
    if architecture == "self-attention":
        return torch.ones(length, length, dtype=torch.bool)
    if architecture == "recurrent":
        return offset.abs() <= 1
    half = kernel_size // 2
    if architecture == "convolution":
        return offset.abs() <= half
    dilation = 2**layer
    return (offset.abs() <= half * dilation) & (offset % dilation == 0)


def max_path_length(architecture: str, length: int, kernel_size: int = 3) -> int:
    r"""Count the layers (hops) needed until every output position depends on every input.

    Starting from the identity, compose one-layer reach matrices
    $R^{(L)} = R_L \cdots R_1$ (boolean product) until $R^{(L)}$ has no False entry;
    return that $L$. This is the maximum path length between any two positions. When
    every layer has the same reach $R$ (all but the dilated convolution), $R^L > 0$ is
    equivalent to "graph distance $\le L$", so the diameter of $R$'s graph is computed by
    breadth-first search instead of $L$ matrix products.

    Args:
        architecture: one of
            [`ARCHITECTURES`][scribbles.deep.attention.sequence_models.ARCHITECTURES].
        length: sequence length $n \ge 2$.
        kernel_size: convolution width $k$.

    Returns:
        layers: the maximum path length.

    Raises:
        ValueError: as
            [`one_layer_reach`][scribbles.deep.attention.sequence_models.one_layer_reach].

    Examples:
        >>> max_path_length("self-attention", 64), max_path_length("recurrent", 64)
        (1, 63)
        >>> max_path_length("convolution", 64, kernel_size=3)
        63
        >>> max_path_length("dilated convolution", 64, kernel_size=3)
        6
    """
    if architecture != "dilated convolution":
        # Every layer is the same symmetric reach R (with self-loops), so R^L > 0 exactly
        # when the graph distance is <= L: the answer is the graph's diameter (BFS).
        adjacency = one_layer_reach(architecture, length, kernel_size).numpy()
        distances = shortest_path(adjacency.astype(np.float64), unweighted=True)
        return int(distances.max())
    reach = torch.eye(length)  # (n, n), 1.0 where output i already depends on input j
    for layer in range(length):
        step = one_layer_reach(architecture, length, kernel_size, layer).to(reach.dtype)
        reach = (step @ reach).clamp_(max=1.0)  # boolean product through BLAS, kept 0/1
        if bool((reach > 0).all()):
            return layer + 1
    raise AssertionError("unreachable: n - 1 layers always connect every pair")


@dataclass(frozen=True)
class LayerCost:
    """Measured cost of one layer on a sequence.

    Attributes:
        architecture: the layer type.
        flops: floating-point operations of one forward pass (batch of 1), counted by
            `torch.utils.flop_counter.FlopCounterMode`.
        sequential_steps: operations that must run one after another.
        path_length: [`max_path_length`][scribbles.deep.attention.sequence_models.max_path_length].
    """

    architecture: str
    flops: int
    sequential_steps: int
    path_length: int


class _RecurrentLayer(nn.Module):
    """An Elman recurrence written with `nn.Linear`, so that every matmul is counted."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.input_map = nn.Linear(width, width)
        self.state_map = nn.Linear(width, width, bias=False)

    def forward(self, x: Tensor) -> tuple[Tensor, int]:  # x: (B, n, d)
        state = torch.zeros_like(x[:, 0])  # (B, d)
        steps = 0
        outputs = []
        for t in range(x.shape[1]):  # h_t = tanh(W x_t + U h_{t-1}): one step waits for the last
            state = torch.tanh(self.input_map(x[:, t]) + self.state_map(state))
            outputs.append(state)
            steps += 1
        return torch.stack(outputs, dim=1), steps


class _SelfAttentionLayer(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.project = nn.Linear(width, 3 * width)

    def forward(self, x: Tensor) -> tuple[Tensor, int]:  # x: (B, n, d)
        q, k, v = self.project(x).chunk(3, dim=-1)  # 3 x (B, n, d)
        return scaled_dot_product_attention(q, k, v)[0], 1


class _ConvolutionLayer(nn.Module):
    def __init__(self, width: int, kernel_size: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(width, width, kernel_size, padding=kernel_size // 2)

    def forward(self, x: Tensor) -> tuple[Tensor, int]:  # x: (B, n, d)
        return self.conv(x.transpose(1, 2)).transpose(1, 2), 1


def layer_cost(architecture: str, length: int, width: int, kernel_size: int = 3) -> LayerCost:
    r"""Measure one layer's FLOPs, sequential steps and maximum path length.

    Expected orders (Vaswani et al., 2017): self-attention $O(n^2 d)$ work (plus the
    $O(n d^2)$ projections), recurrent $O(n d^2)$, convolution $O(k n d^2)$.

    Args:
        architecture: one of
            [`ARCHITECTURES`][scribbles.deep.attention.sequence_models.ARCHITECTURES] (the dilated
            convolution costs what a plain one does per layer).
        length: sequence length $n$.
        width: model width $d$.
        kernel_size: convolution width $k$.

    Returns:
        cost: a [`LayerCost`][scribbles.deep.attention.sequence_models.LayerCost].

    Raises:
        ValueError: for an unknown architecture or sizes below 1.

    Examples:
        >>> small = layer_cost("self-attention", 16, 8).flops
        >>> large = layer_cost("self-attention", 32, 8).flops
        >>> large > 2 * small          # more than linear in n: the n^2 d term
        True
    """
    _check_architecture(architecture)
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    torch.manual_seed(0)
    layer: nn.Module
    if architecture == "self-attention":
        layer = _SelfAttentionLayer(width)
    elif architecture == "recurrent":
        layer = _RecurrentLayer(width)
    else:
        layer = _ConvolutionLayer(width, kernel_size)
    x = torch.randn(1, length, width)  # (B=1, n, d)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        _, steps = layer(x)
    return LayerCost(
        architecture=architecture,
        flops=int(counter.get_total_flops()),
        sequential_steps=steps,
        path_length=max_path_length(architecture, length, kernel_size),
    )


@cached
def layer_cost_table(
    lengths: tuple[int, ...] = (64, 512), width: int = 64, kernel_size: int = 3
) -> dict[str, list[LayerCost]]:
    """[`layer_cost`][scribbles.deep.attention.sequence_models.layer_cost] of each architecture,
    length.

    Cached: the path lengths of long sequences take a few seconds to count.

    Args:
        lengths: sequence lengths $n$.
        width: model width $d$.
        kernel_size: convolution width $k$.

    Returns:
        costs: for each architecture, one `LayerCost` per length.
    """
    return {
        architecture: [layer_cost(architecture, n, width, kernel_size) for n in lengths]
        for architecture in ARCHITECTURES
    }


class Seq2Seq(nn.Module):
    r"""A GRU encoder–decoder, with or without dot-product attention over encoder states.

    Without attention the decoder sees the input only through the encoder's last state
    $h_n$ (the bottleneck). With attention, at each output step $t$ it also reads the
    context vector

    $$
    c_t = \sum_{j=1}^{n} \alpha_{tj} h_j, \qquad
    \alpha_t = \operatorname{softmax}_j\!\left(\frac{s_t \cdot h_j}{\sqrt{d}}\right),
    $$

    a weighted sum of *all* encoder states, computed with
    [`scaled_dot_product_attention`][scribbles.deep.attention.scaled_dot_product_attention].

    Args:
        vocab_size: number of input/output symbols (one extra start symbol is added).
        hidden_size: GRU width $d$.
        attention: whether the decoder attends to the encoder states.

    Examples:
        >>> model = Seq2Seq(vocab_size=5, hidden_size=8, attention=True)
        >>> logits = model(torch.randint(0, 5, (2, 6)), torch.randint(0, 5, (2, 6)))
        >>> tuple(logits.shape)
        (2, 6, 5)
    """

    def __init__(self, vocab_size: int, hidden_size: int, attention: bool) -> None:
        super().__init__()
        if vocab_size < 2 or hidden_size < 1:
            raise ValueError(
                f"need vocab_size >= 2 and hidden_size >= 1, got {vocab_size}, {hidden_size}"
            )
        self.vocab_size = vocab_size
        self.attention = attention
        self.embed = nn.Embedding(vocab_size + 1, hidden_size)  # last id = start symbol
        self.encoder = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.decoder = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.readout = nn.Linear(2 * hidden_size if attention else hidden_size, vocab_size)

    def forward(self, source: Tensor, target: Tensor) -> Tensor:
        """Logits for `target` given `source` (teacher forcing), shape `(B, T, vocab)`."""
        start = torch.full_like(target[:, :1], self.vocab_size)  # (B, 1)
        decoder_input = torch.cat([start, target[:, :-1]], dim=1)  # (B, T)
        states, last = self.encoder(self.embed(source))  # (B, n, d), (1, B, d)
        outputs, _ = self.decoder(self.embed(decoder_input), last)  # (B, T, d)
        if self.attention:
            context, _ = scaled_dot_product_attention(outputs, states, states)  # (B, T, d)
            outputs = torch.cat([outputs, context], dim=-1)  # (B, T, 2d)
        return self.readout(outputs)  # (B, T, vocab)

    @torch.no_grad()
    def generate(self, source: Tensor, length: int) -> Tensor:
        """Greedy decoding of `length` symbols, shape `(B, length)`."""
        states, hidden = self.encoder(self.embed(source))  # (B, n, d), (1, B, d)
        symbol = torch.full_like(source[:, :1], self.vocab_size)  # (B, 1)
        produced = []
        for _ in range(length):
            output, hidden = self.decoder(self.embed(symbol), hidden)  # (B, 1, d)
            if self.attention:
                context, _ = scaled_dot_product_attention(output, states, states)
                output = torch.cat([output, context], dim=-1)
            symbol = self.readout(output).argmax(-1)  # (B, 1)
            produced.append(symbol)
        return torch.cat(produced, dim=1)


@cached
def bottleneck_experiment(
    lengths: tuple[int, ...] = (4, 8, 12, 16),
    vocab_size: int = 8,
    hidden_size: int = 32,
    steps: int = 600,
    batch_size: int = 64,
    seed: int = 0,
) -> dict[str, list[float]]:
    r"""Train encoder–decoders to copy sequences, with and without attention.

    Both models are trained on random sequences whose lengths are drawn from `lengths`,
    then evaluated (greedy decoding) on 512 fresh sequences of each length. The score is
    the fraction of output symbols that are right.

    Args:
        lengths: sequence lengths to train and evaluate on.
        vocab_size: number of symbols.
        hidden_size: GRU width.
        steps: optimisation steps per model (Adam, learning rate 0.01).
        batch_size: sequences per step.
        seed: random seed.

    Returns:
        lengths: the evaluated lengths.
        without_attention: symbol accuracy per length, plain encoder–decoder.
        with_attention: symbol accuracy per length, with attention.
        parameters: parameter counts `[without, with]`.
    """
    torch.set_num_threads(1)
    results: dict[str, list[float]] = {"lengths": [float(n) for n in lengths]}
    counts = []
    for attention in (False, True):
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        model = Seq2Seq(vocab_size, hidden_size, attention)
        counts.append(float(sum(p.numel() for p in model.parameters())))
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        for _ in range(steps):
            n = int(rng.choice(lengths))
            source = torch.from_numpy(rng.integers(0, vocab_size, (batch_size, n)))
            target = source  # copy: the decoder must recall every input symbol
            logits = model(source, target)  # (B, n, vocab)
            loss = nn.functional.cross_entropy(logits.reshape(-1, vocab_size), target.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        accuracies = []
        for n in lengths:
            source = torch.from_numpy(rng.integers(0, vocab_size, (512, n)))
            predicted = model.generate(source, n)
            accuracies.append(float((predicted == source).float().mean()))
        results["with_attention" if attention else "without_attention"] = accuracies
    results["parameters"] = counts
    return results
