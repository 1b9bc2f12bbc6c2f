r"""Why depth helps: a ReLU network's linear pieces grow exponentially with depth.

A network built from `Linear` layers and ReLUs computes a continuous piecewise-linear
function. On an interval of the real line, the number of its linear pieces measures how
"wiggly" a function it can be. Composition multiplies pieces while addition only adds
them:

- one hidden layer of $n$ ReLUs bends at most $n$ times, so it has at most $n + 1$ pieces;
- the *tent map* $t(x) = 2\,\mathrm{relu}(x) - 4\,\mathrm{relu}(x - \tfrac12)$ folds $[0, 1]$
  onto itself with 2 ReLUs, and $L$ tents composed, $t^{L} = t \circ \dots \circ t$, have
  $2^{L}$ pieces (Telgarsky, 2016; the "folding" picture of Montúfar et al., 2014).

So $2L$ ReLUs arranged in depth do what needs at least $2^{L} - 1$ ReLUs in one layer.
This module builds both networks, counts pieces *exactly* from the breakpoints (never by
eye or by sampling), and trains shallow-wide and deep-narrow networks of equal size.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from scribbles.book.cache import cached
from scribbles.book.seeding import seed_everything, single_thread

__all__ = [
    "count_linear_pieces",
    "depth_versus_width_experiment",
    "parameter_count",
    "piece_count_sweep",
    "piecewise_linear",
    "relu_network",
    "sawtooth",
    "sawtooth_network",
    "shallow_sawtooth_network",
]


def _check_depth(depth: int) -> None:
    if isinstance(depth, bool) or not isinstance(depth, int | np.integer):
        raise TypeError(f"depth must be an int, got {type(depth).__name__}")
    if not 1 <= depth <= 20:
        raise ValueError(
            f"depth must be in [1, 20] (2**depth pieces must fit in memory), got {depth}"
        )


def sawtooth(x: np.ndarray, depth: int) -> np.ndarray:
    r"""Evaluate $t^{L}(x)$, the tent map composed $L$ times, on $[0, 1]$.

    $$
    t(x) = \begin{cases} 2x & x < \tfrac12 \\ 2 - 2x & x \ge \tfrac12 \end{cases},
    \qquad t^{L} = \underbrace{t \circ \dots \circ t}_{L}
    $$

    $t^{L}$ is a sawtooth with $2^{L-1}$ teeth, i.e. $2^{L}$ linear pieces, with
    breakpoints at $k / 2^{L}$.

    Args:
        x: shape (N,), points in $[0, 1]$.
        depth: $L \ge 1$.

    Returns:
        y: shape (N,), values in $[0, 1]$.

    Raises:
        ValueError: if `depth` is out of range or `x` leaves $[0, 1]$.

    Examples:
        >>> sawtooth(np.array([0.0, 0.25, 0.5, 0.75, 1.0]), 1).tolist()
        [0.0, 0.5, 1.0, 0.5, 0.0]
        >>> sawtooth(np.array([0.25, 0.375]), 2).tolist()
        [1.0, 0.5]
    """
    _check_depth(depth)
    x = np.asarray(x, dtype=np.float64)
    if x.size and (x.min() < 0.0 or x.max() > 1.0):
        raise ValueError(f"x must lie in [0, 1], got values in [{x.min()}, {x.max()}]")
    y = x.copy()
    for _ in range(depth):
        y = np.where(y < 0.5, 2.0 * y, 2.0 - 2.0 * y)
    return y


def sawtooth_network(depth: int) -> nn.Sequential:
    r"""Return a ReLU network with `depth` hidden layers of 2 units computing $t^{L}$ on $[0, 1]$.

    Each hidden layer holds $\mathrm{relu}(y)$ and $\mathrm{relu}(y - \tfrac12)$ of the
    previous tent $y$, and the next layer forms the tent $2 h_1 - 4 h_2$ from them, folded
    into its weights:

    $$
    W_1 = \begin{pmatrix} 1 \\ 1 \end{pmatrix},\ b_1 = \begin{pmatrix} 0 \\ -\tfrac12
    \end{pmatrix}; \quad
    W_\ell = \begin{pmatrix} 2 & -4 \\ 2 & -4 \end{pmatrix},\ b_\ell = b_1; \quad
    W_{\text{out}} = \begin{pmatrix} 2 & -4 \end{pmatrix}.
    $$

    The output has $2^{L}$ linear pieces on $[0, 1]$ with $2L$ ReLUs and
    $4 + 6(L - 1) + 3 = 6L + 1$ parameters. Weights are float64, so that breakpoints
    $k / 2^{L}$ are exact.

    Args:
        depth: number of hidden layers $L \ge 1$.

    Returns:
        network: `nn.Sequential` of `Linear` and `ReLU` layers, input (N, 1), output (N, 1).

    Raises:
        TypeError: if `depth` is not an int.
        ValueError: if `depth` is not in $[1, 20]$.

    Examples:
        >>> net = sawtooth_network(3)
        >>> x = torch.tensor([[0.0], [0.0625], [0.125]], dtype=torch.float64)
        >>> net(x).flatten().tolist()
        [0.0, 0.5, 1.0]
        >>> count_linear_pieces(net, 0.0, 1.0)
        8
    """
    _check_depth(depth)
    first = nn.Linear(1, 2, dtype=torch.float64)
    layers: list[nn.Module] = [first, nn.ReLU()]
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[1.0], [1.0]]))
        first.bias.copy_(torch.tensor([0.0, -0.5]))
        for _ in range(depth - 1):
            hidden = nn.Linear(2, 2, dtype=torch.float64)
            hidden.weight.copy_(torch.tensor([[2.0, -4.0], [2.0, -4.0]]))  # tent, then split
            hidden.bias.copy_(torch.tensor([0.0, -0.5]))
            layers += [hidden, nn.ReLU()]
        last = nn.Linear(2, 1, dtype=torch.float64)
        last.weight.copy_(torch.tensor([[2.0, -4.0]]))  # t(y) = 2 relu(y) - 4 relu(y - 1/2)
        last.bias.zero_()
    return nn.Sequential(*layers, last)


def shallow_sawtooth_network(depth: int) -> nn.Sequential:
    r"""Return a one-hidden-layer ReLU network equal to $t^{L}$ on $[0, 1]$, with $2^{L}$ units.

    A one-hidden-layer network $\sum_k a_k\,\mathrm{relu}(x - c_k)$ changes slope by $a_k$
    at $c_k$. The sawtooth starts with slope $2^{L}$ and flips the sign of its slope at every
    $k / 2^{L}$:

    $$
    t^{L}(x) = 2^{L}\,\mathrm{relu}(x)
      + \sum_{k=1}^{2^{L}-1} (-1)^{k}\, 2^{L+1}\,\mathrm{relu}\!\left(x - \frac{k}{2^{L}}\right).
    $$

    Args:
        depth: $L$ of the target sawtooth, in $[1, 16]$.

    Returns:
        network: `nn.Sequential(Linear(1, 2**L), ReLU(), Linear(2**L, 1))`, float64.

    Raises:
        ValueError: if `depth` is not in $[1, 16]$.

    Examples:
        >>> net = shallow_sawtooth_network(3)
        >>> net[0].out_features, count_linear_pieces(net, 0.0, 1.0)
        (8, 8)
    """
    _check_depth(depth)
    if depth > 16:
        raise ValueError(
            f"depth must be <= 16 for the shallow construction (2**depth units), got {depth}"
        )
    units = 2**depth
    hidden = nn.Linear(1, units, dtype=torch.float64)
    output = nn.Linear(units, 1, dtype=torch.float64)
    k = torch.arange(units, dtype=torch.float64)
    with torch.no_grad():
        hidden.weight.fill_(1.0)
        hidden.bias.copy_(-k / units)  # relu(x - k / 2^L)
        slope_change = (-1.0) ** k * 2.0 ** (depth + 1)
        slope_change[0] = 2.0**depth
        output.weight.copy_(slope_change.unsqueeze(0))
        output.bias.zero_()
    return nn.Sequential(hidden, nn.ReLU(), output)


def relu_network(widths: Sequence[int], seed: int = 0) -> nn.Sequential:
    r"""Return a randomly initialised ReLU network `1 → widths[0] → … → widths[-1] → 1`.

    PyTorch's default initialisation ($U(-1/\sqrt{\text{fan-in}}, 1/\sqrt{\text{fan-in}})$
    for weights and biases), float64.

    Args:
        widths: hidden-layer widths, at least one, each $\ge 1$.
        seed: seed of the initialisation.

    Returns:
        network: `nn.Sequential` of `Linear` and `ReLU` layers.

    Raises:
        ValueError: if `widths` is empty or holds a width below 1.

    Examples:
        >>> net = relu_network([4, 4], seed=0)
        >>> parameter_count(net)
        33
    """
    widths = list(widths)
    if not widths or any(int(w) < 1 for w in widths):
        raise ValueError(f"widths must be a non-empty list of positive ints, got {widths}")
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        sizes = [1, *widths]
        layers: list[nn.Module] = []
        for fan_in, fan_out in itertools.pairwise(sizes):
            layers += [nn.Linear(fan_in, fan_out, dtype=torch.float64), nn.ReLU()]
        layers.append(nn.Linear(sizes[-1], 1, dtype=torch.float64))
    finally:
        torch.random.set_rng_state(generator_state)
    return nn.Sequential(*layers)


def parameter_count(network: nn.Module) -> int:
    """Return the number of trainable parameters of a network.

    Examples:
        >>> parameter_count(sawtooth_network(4))  # 6 L + 1
        25
    """
    return sum(p.numel() for p in network.parameters() if p.requires_grad)


def _layers(network: nn.Module) -> list[nn.Module]:
    """Flatten nested `nn.Sequential`s and check every layer is Linear, ReLU or Identity."""
    if not isinstance(network, nn.Sequential):
        raise TypeError(
            f"fn must be an nn.Sequential of Linear and ReLU layers, got {type(network).__name__}"
        )
    layers: list[nn.Module] = []
    for layer in network:
        if isinstance(layer, nn.Sequential):
            layers += _layers(layer)
        elif isinstance(layer, nn.Linear | nn.ReLU | nn.Identity):
            layers.append(layer)
        else:
            raise TypeError(
                f"fn may only hold Linear, ReLU and Identity layers, got {type(layer).__name__}"
            )
    linears = [layer for layer in layers if isinstance(layer, nn.Linear)]
    if not linears or linears[0].in_features != 1 or linears[-1].out_features != 1:
        shapes = [(layer.in_features, layer.out_features) for layer in linears]
        raise ValueError(f"fn must map 1 input to 1 output, got Linear shapes {shapes}")
    return layers


def piecewise_linear(
    fn: nn.Sequential, lo: float, hi: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Compute the exact piecewise-linear form of a 1-D ReLU network on $[lo, hi]$.

    The input interval is cut into cells on which every unit is affine in $x$. On a cell,
    layer outputs are $h(x) = s\,x + c$ with slope and intercept vectors $s, c$:

    - `Linear`: $s \leftarrow W s,\ c \leftarrow W c + b$ (still affine);
    - `ReLU`: a unit with $s_j \ne 0$ changes sign at $x^\star = -c_j / s_j$; every such
      $x^\star$ inside a cell splits it, and on each new cell the unit is either $s_j x + c_j$
      or $0$, decided at the cell's midpoint.

    Cells whose final slopes are equal are merged: the network is continuous, so equal
    slopes on neighbouring cells mean one and the same linear piece.

    Args:
        fn: `nn.Sequential` of `Linear`, `ReLU` (and `Identity`) layers, 1 input, 1 output.
        lo: left end of the interval.
        hi: right end, $>$ `lo`.

    Returns:
        knots: shape (P + 1,), the piece boundaries, `lo` first and `hi` last.
        slopes: shape (P,), slope of each piece.
        intercepts: shape (P,), intercept of each piece (value $= $ slope $\cdot x +$ intercept).

    Raises:
        TypeError: if `fn` holds other layers.
        ValueError: if `fn` is not 1-input, 1-output or `hi <= lo`.

    Examples:
        >>> knots, slopes, _ = piecewise_linear(sawtooth_network(2), 0.0, 1.0)
        >>> knots.tolist(), slopes.tolist()
        ([0.0, 0.25, 0.5, 0.75, 1.0], [4.0, -4.0, 4.0, -4.0])
    """
    layers = _layers(fn)
    lo, hi = float(lo), float(hi)
    if not hi > lo:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
    knots = np.array([lo, hi])  # (K + 1,)
    slope = np.ones((1, 1))  # (K, units): h = slope * x + intercept on each cell
    intercept = np.zeros((1, 1))
    with torch.no_grad():
        for layer in layers:
            if isinstance(layer, nn.Linear):
                weight = layer.weight.detach().double().numpy()  # (out, in)
                bias = (
                    layer.bias.detach().double().numpy()
                    if layer.bias is not None
                    else np.zeros(weight.shape[0])
                )
                slope, intercept = slope @ weight.T, intercept @ weight.T + bias
            elif isinstance(layer, nn.ReLU):
                with np.errstate(divide="ignore", invalid="ignore"):
                    crossing = -intercept / slope  # (K, units): where s x + c = 0
                inside = (slope != 0) & (crossing > knots[:-1, None]) & (crossing < knots[1:, None])
                old_knots = knots
                knots = np.unique(np.concatenate([knots, crossing[inside]]))
                # Crossings closer than 1e-12 of the interval are one breakpoint.
                knots = knots[np.concatenate([[True], np.diff(knots) > 1e-12 * (hi - lo)])]
                knots[-1] = hi
                middle = (knots[:-1] + knots[1:]) / 2  # (K',)
                old_cell = np.searchsorted(old_knots, middle, side="right") - 1  # (K',)
                slope, intercept = slope[old_cell], intercept[old_cell]
                active = slope * middle[:, None] + intercept > 0  # (K', units)
                slope, intercept = slope * active, intercept * active
    slopes, intercepts = slope[:, 0], intercept[:, 0]
    # Merge neighbouring cells of equal slope (continuity makes them one piece).
    scale = max(1.0, float(np.abs(slopes).max()))
    change = np.abs(np.diff(slopes)) > 1e-9 * scale
    keep_cell = np.concatenate([[True], change])
    keep_knot = np.concatenate([[True], change, [True]])
    return knots[keep_knot], slopes[keep_cell], intercepts[keep_cell]


def count_linear_pieces(fn: nn.Sequential, lo: float, hi: float) -> int:
    r"""Count the linear pieces of a 1-D ReLU network on $[lo, hi]$, exactly.

    The count comes from the breakpoints computed by
    [`piecewise_linear`][scribbles.deep.depth.piecewise_linear] (layer by layer, where each ReLU
    changes sign), not from sampling the function.

    Args:
        fn: `nn.Sequential` of `Linear` and `ReLU` layers with 1 input and 1 output.
        lo: left end of the interval.
        hi: right end, $>$ `lo`.

    Returns:
        pieces: the number of maximal intervals on which `fn` is affine.

    Raises:
        TypeError: if `fn` holds other layers.
        ValueError: if `fn` is not 1-input, 1-output or `hi <= lo`.

    Examples:
        >>> [count_linear_pieces(sawtooth_network(L), 0.0, 1.0) for L in (1, 2, 5)]
        [2, 4, 32]
    """
    _, slopes, _ = piecewise_linear(fn, lo, hi)
    return len(slopes)


def _stack_networks(
    networks: Sequence[nn.Sequential],
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Stack the Linear layers of equally shaped networks.

    Weights become (M, in, out) and biases (M, 1, out), ready for `torch.baddbmm`.
    """
    linears = [[m for m in net if isinstance(m, nn.Linear)] for net in networks]
    weights = [
        torch.stack([layers[i].weight.detach().T for layers in linears]).clone().requires_grad_()
        for i in range(len(linears[0]))
    ]
    biases = [
        torch.stack([layers[i].bias.detach()[None, :] for layers in linears])
        .clone()
        .requires_grad_()
        for i in range(len(linears[0]))
    ]
    return weights, biases


def _ensemble_forward(
    weights: list[torch.Tensor], biases: list[torch.Tensor], x: torch.Tensor
) -> torch.Tensor:
    """Evaluate M networks at once: x (N, 1) -> (M, N, 1)."""
    h = x.expand(weights[0].shape[0], *x.shape)  # (M, N, 1)
    for i, (weight, bias) in enumerate(zip(weights, biases, strict=True)):
        h = torch.baddbmm(bias, h, weight)  # (M, N, out) = b + h W
        if i < len(weights) - 1:
            h = torch.relu(h)
    return h


def _unstack_network(
    widths: Sequence[int], weights: list[torch.Tensor], biases: list[torch.Tensor], member: int
) -> nn.Sequential:
    """Rebuild member `member` of a stacked ensemble as an `nn.Sequential`."""
    network = relu_network(widths)
    linears = [m for m in network if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for layer, weight, bias in zip(linears, weights, biases, strict=True):
            layer.weight.copy_(weight[member].T)
            layer.bias.copy_(bias[member, 0])
    return network


def train_relu_networks(
    widths: Sequence[int],
    x: np.ndarray,
    y: np.ndarray,
    restarts: int = 16,
    steps: int = 3000,
    learning_rate: float = 1e-2,
    seed: int = 0,
) -> list[nn.Sequential]:
    r"""Fit `restarts` independently initialised ReLU networks to $(x, y)$ by full-batch Adam.

    The loss of each network is the mean squared error
    $\frac1N \sum_i (f(x_i) - y_i)^2$; the step size follows a cosine schedule from
    `learning_rate` to 0. The networks are trained side by side as one batched
    computation (`torch.baddbmm`), which gives exactly the same result as training them
    one after the other and costs about as much as training one.

    Args:
        widths: hidden-layer widths.
        x: shape (N,), inputs.
        y: shape (N,), targets.
        restarts: number of networks, initialised by
            [`relu_network`][scribbles.deep.depth.relu_network] with seeds `seed`, `seed + 1`, ….
        steps: Adam steps.
        learning_rate: initial step size.
        seed: first initialisation seed.

    Returns:
        networks: the trained networks, float64.

    Raises:
        ValueError: if `x` and `y` are not 1-D of equal length.

    Examples:
        >>> x = np.linspace(0, 1, 16)
        >>> nets = train_relu_networks([4], x, 2 * x, restarts=2, steps=200)
        >>> with torch.no_grad():
        ...     value = nets[0](torch.tensor([[0.5]], dtype=torch.float64)).item()
        >>> len(nets), abs(value - 1.0) < 0.25  # fits y = 2x at x = 0.5
        (2, True)
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"x and y must be 1-D of equal length, got shapes {x.shape} and {y.shape}")
    with single_thread():
        networks = [relu_network(widths, seed=seed + m) for m in range(restarts)]
        weights, biases = _stack_networks(networks)
        inputs = torch.from_numpy(x)[:, None]  # (N, 1)
        targets = torch.from_numpy(y)[None, :, None]  # (1, N, 1)
        optimiser = torch.optim.Adam([*weights, *biases], lr=learning_rate)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, steps)
        for _ in range(steps):
            # Summing the members' losses keeps their gradients independent.
            loss = (
                ((_ensemble_forward(weights, biases, inputs) - targets) ** 2).mean(dim=(1, 2)).sum()
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        return [_unstack_network(widths, weights, biases, m) for m in range(restarts)]


@cached
def piece_count_sweep(
    depths: Sequence[int] = tuple(range(1, 11)),
    widths: Sequence[int] = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
    random_networks: int = 20,
    seed: int = 0,
) -> dict[str, list[float]]:
    r"""Count linear pieces on $[0, 1]$ for deep-narrow and one-hidden-layer networks (cached).

    Deep-narrow: $L$ hidden layers of 2 units, the sawtooth construction and randomly
    initialised networks of the same shape. One hidden layer of $n$ units: the bound
    $n + 1$ and randomly initialised networks (the sawtooth construction
    [`shallow_sawtooth_network`][scribbles.deep.depth.shallow_sawtooth_network] reaches the
    bound up to one piece, with $n = 2^{L}$).

    Args:
        depths: the depths $L$ of the deep-narrow networks.
        widths: the widths $n$ of the one-hidden-layer networks.
        random_networks: random initialisations averaged per shape.
        seed: first initialisation seed.

    Returns:
        sweep: dict of lists: `depths`, `deep_units` ($2L$), `sawtooth_pieces`,
            `deep_random_pieces` (mean), `widths`, `shallow_bound` ($n + 1$),
            `shallow_random_pieces` (mean).

    Examples:
        >>> sweep = piece_count_sweep(depths=(1, 2), widths=(2,), random_networks=2)
        >>> sweep["sawtooth_pieces"], sweep["shallow_bound"]
        ([2, 4], [3])
    """

    def mean_pieces(shape: list[int]) -> float:
        counts = [
            count_linear_pieces(relu_network(shape, seed=seed + r), 0.0, 1.0)
            for r in range(random_networks)
        ]
        return float(np.mean(counts))

    depths, widths = [int(d) for d in depths], [int(n) for n in widths]
    return {
        "depths": depths,
        "deep_units": [2 * d for d in depths],
        "sawtooth_pieces": [count_linear_pieces(sawtooth_network(d), 0.0, 1.0) for d in depths],
        "deep_random_pieces": [mean_pieces([2] * d) for d in depths],
        "widths": widths,
        "shallow_bound": [n + 1 for n in widths],
        "shallow_random_pieces": [mean_pieces([n]) for n in widths],
    }


@cached
def depth_versus_width_experiment(
    target_depth: int = 3,
    architectures: Sequence[Sequence[int]] = ((2, 2, 2), (6,), (8, 8, 8), (56,)),
    n_train: int = 64,
    restarts: int = 8,
    steps: int = 1000,
    learning_rate: float = 0.03,
    seed: int = 0,
) -> dict[str, Any]:
    r"""Train deep-narrow and shallow-wide networks of equal size on the sawtooth $t^{L}$ (cached).

    Training inputs are `n_train` evenly spaced points of $[0, 1]$, the test set is 1001
    evenly spaced points (so it measures the fit *between* training points too). Each
    architecture is trained from `restarts` random initialisations by
    [`train_relu_networks`][scribbles.deep.depth.train_relu_networks]; pieces are counted
    exactly on every trained network.

    Args:
        target_depth: $L$ of the target $t^{L}$ ($2^{L}$ pieces).
        architectures: hidden widths of each architecture, e.g. `(2, 2, 2)` or `(6,)`.
        n_train: number of training points.
        restarts: random initialisations per architecture.
        steps: Adam steps.
        learning_rate: initial Adam step size.
        seed: first initialisation seed.

    Returns:
        result: dict with `rows` (one dict per architecture: `widths`, `parameters`,
            `max_pieces` (upper bound $\prod_\ell (w_\ell + 1)$), `train_mse` and
            `test_mse` (lists over restarts), `pieces` (list), `best` (index of the
            lowest training error)), `grid` (1001 test inputs), `target` (its values),
            `best_predictions` (one array per architecture) and `construction_test_mse`
            (the hand-set [`sawtooth_network`][scribbles.deep.depth.sawtooth_network]).

    Examples:
        >>> result = depth_versus_width_experiment(
        ...     target_depth=1, architectures=((2,),), n_train=8, restarts=1, steps=5)
        >>> result["rows"][0]["parameters"], result["rows"][0]["max_pieces"]
        (7, 3)
    """
    seed_everything(seed)
    x_train = np.linspace(0.0, 1.0, n_train)
    y_train = sawtooth(x_train, target_depth)
    grid = np.linspace(0.0, 1.0, 1001)
    target = sawtooth(grid, target_depth)
    grid_tensor = torch.from_numpy(grid)[:, None]  # (1001, 1)
    train_tensor = torch.from_numpy(x_train)[:, None]
    rows, best_predictions = [], []
    for widths in architectures:
        networks = train_relu_networks(
            list(widths), x_train, y_train, restarts, steps, learning_rate, seed
        )
        with torch.no_grad():
            train_mse = [
                float(((n(train_tensor)[:, 0].numpy() - y_train) ** 2).mean()) for n in networks
            ]
            test_predictions = [n(grid_tensor)[:, 0].numpy() for n in networks]
        test_mse = [float(((p - target) ** 2).mean()) for p in test_predictions]
        best = int(np.argmin(train_mse))
        rows.append(
            {
                "widths": list(widths),
                "parameters": parameter_count(networks[0]),
                "max_pieces": int(np.prod([w + 1 for w in widths])),
                "train_mse": train_mse,
                "test_mse": test_mse,
                "pieces": [count_linear_pieces(n, 0.0, 1.0) for n in networks],
                "best": best,
            }
        )
        best_predictions.append(test_predictions[best])
    with torch.no_grad():
        construction = sawtooth_network(target_depth)(grid_tensor)[:, 0].numpy()
    return {
        "rows": rows,
        "grid": grid,
        "target": target,
        "best_predictions": best_predictions,
        "construction_test_mse": float(((construction - target) ** 2).mean()),
        "construction_parameters": parameter_count(sawtooth_network(target_depth)),
    }
