r"""Few-shot learning: learn a similarity, then classify new classes from a few examples.

A softmax classifier has one output per class it was trained on; a class it never saw
has no output at all. A *siamese* network (Bromley et al., 1993; Koch et al., 2015)
instead learns an embedding $f_\theta$ in which images of the same class are close and
images of different classes are far apart. A new class then needs no training: given $K$
labelled *support* images of each of $N$ new classes (an *N-way K-shot* episode), a
*query* image gets the label of its nearest support image,

$$
\hat y(q) = y_{j^\star}, \qquad j^\star = \arg\min_j \lVert f_\theta(q) - f_\theta(s_j) \rVert_2 .
$$

This module trains such an embedding on scikit-learn's handwritten digits 0–4 with a
contrastive loss (Hadsell et al., 2006) or a triplet loss (Schroff et al., 2015) and
evaluates it on episodes drawn from the *unseen* digits 5–9, next to two baselines:
nearest neighbour on raw pixels, and the penultimate features of a softmax classifier
trained on 0–4.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from scribbles.book.cache import cached
from scribbles.book.seeding import seed_everything, single_thread

__all__ = [
    "METHODS",
    "EmbeddingNet",
    "contrastive_loss",
    "digit_split",
    "embed",
    "few_shot_experiment",
    "flipped_pseudo_classes",
    "load_embedding",
    "mean_confidence_interval",
    "nearest_support_accuracy",
    "sample_episode",
    "sample_pairs",
    "sample_triplets",
    "train_embedding",
    "triplet_loss",
]

SEEN_CLASSES = (0, 1, 2, 3, 4)
UNSEEN_CLASSES = (5, 6, 7, 8, 9)


def digit_split(validation_fraction: float = 0.2, seed: int = 0) -> dict[str, np.ndarray]:
    r"""Split scikit-learn's 8×8 digits by class: 0–4 to learn from, 5–9 never seen.

    Pixels are scaled from $[0, 16]$ to $[0, 1]$. A random `validation_fraction` of the
    images of 0–4 is kept aside to check the softmax classifier on its own classes.

    Args:
        validation_fraction: share of the 0–4 images held out, in $[0, 1)$.
        seed: seed of the split.

    Returns:
        split: dict with `x_train`, `y_train` (0–4), `x_val`, `y_val` (0–4), `x_test`,
            `y_test` (5–9); images have shape (N, 64), float32.

    Raises:
        ValueError: if `validation_fraction` is not in $[0, 1)$.

    Examples:
        >>> split = digit_split()
        >>> split["x_train"].shape[1], sorted(set(split["y_test"].tolist()))
        (64, [5, 6, 7, 8, 9])
    """
    if not 0.0 <= validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)  # (1797, 64)
    y = digits.target.astype(np.int64)
    seen = np.isin(y, SEEN_CLASSES)
    seen_index = np.flatnonzero(seen)
    rng = np.random.default_rng(seed)
    rng.shuffle(seen_index)
    n_val = round(validation_fraction * len(seen_index))
    val, train = np.sort(seen_index[:n_val]), np.sort(seen_index[n_val:])
    return {
        "x_train": x[train],
        "y_train": y[train],
        "x_val": x[val],
        "y_val": y[val],
        "x_test": x[~seen],
        "y_test": y[~seen],
    }


def flipped_pseudo_classes(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Turn $C$ digit classes into $4C$ classes: each image as is, mirrored, upside down, both.

    A mirrored 3 is not a 3, so each flip of a class is a new class with label
    $y + C \cdot t$ for flip $t \in \{0, 1, 2, 3\}$, where $C$ = `y.max() + 1`. More
    training classes, none of them from the test classes.

    Args:
        x: shape (N, 64), 8×8 images, row-major.
        y: shape (N,), labels in $[0, C)$.

    Returns:
        x_flipped: shape (4N, 64).
        y_flipped: shape (4N,), labels in $[0, 4C)$.

    Raises:
        ValueError: if `x` is not (N, 64) or `y` does not match it.

    Examples:
        >>> x = np.arange(64, dtype=np.float32)[None, :]
        >>> xf, yf = flipped_pseudo_classes(x, np.array([0]))
        >>> yf.tolist(), xf[1, :3].tolist()
        ([0, 1, 2, 3], [7.0, 6.0, 5.0])
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or x.shape[1] != 64 or y.shape != (x.shape[0],):
        raise ValueError(f"x must be (N, 64) and y (N,), got {x.shape} and {y.shape}")
    images = x.reshape(-1, 8, 8)
    n_classes = int(y.max()) + 1
    flips = [images, images[:, :, ::-1], images[:, ::-1, :], images[:, ::-1, ::-1]]
    x_flipped = np.concatenate(flips).reshape(-1, 64).copy()
    y_flipped = np.concatenate([y + n_classes * t for t in range(len(flips))])
    return x_flipped, y_flipped


class EmbeddingNet(nn.Module):
    r"""A small MLP embedding $f_\theta: \mathbb R^{64} \to \mathbb R^{d}$ for 8×8 digits.

    `64 → 128 → ReLU → 64 → ReLU → d`, optionally followed by a projection onto the unit
    sphere, $f(x) = g(x) / \lVert g(x) \rVert_2$, as in FaceNet. The two branches of a
    siamese network are this one module applied twice (shared weights).

    Args:
        dim: embedding dimension $d$.
        normalize: whether to divide by the Euclidean norm.

    Examples:
        >>> z = EmbeddingNet(dim=16)(torch.rand(3, 64))
        >>> z.shape, torch.allclose(z.norm(dim=1), torch.ones(3))
        (torch.Size([3, 16]), True)
    """

    def __init__(self, dim: int = 32, normalize: bool = True) -> None:
        super().__init__()
        self.normalize = normalize
        self.layers = nn.Sequential(
            nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, dim)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Embed images: (B, 64) → (B, d)."""
        if x.ndim != 2 or x.shape[1] != 64:
            raise ValueError(f"x must have shape (B, 64), got {tuple(x.shape)}")
        z = self.layers(x)  # (B, d)
        return F.normalize(z, dim=1) if self.normalize else z


def contrastive_loss(
    first: torch.Tensor, second: torch.Tensor, same: torch.Tensor, margin: float = 1.0
) -> torch.Tensor:
    r"""Contrastive loss of Hadsell, Chopra and LeCun (2006), averaged over pairs.

    With $d = \lVert f(a) - f(b) \rVert_2$ and $y = 1$ for a pair of the same class,

    $$
    \ell = \tfrac12\, y\, d^{2} + \tfrac12\, (1 - y)\, \max(0,\ m - d)^{2}:
    $$

    same-class pairs are pulled together, different-class pairs pushed at least $m$ apart.

    Args:
        first: shape (B, d), embeddings of the first images.
        second: shape (B, d), embeddings of the second images.
        same: shape (B,), 1 for same-class pairs, 0 otherwise.
        margin: $m > 0$.

    Returns:
        loss: a scalar tensor.

    Raises:
        ValueError: if the shapes disagree or `margin` is not positive.

    Examples:
        >>> a, b = torch.zeros(2, 2), torch.tensor([[0.0, 0.0], [0.5, 0.0]])
        >>> contrastive_loss(a, b, torch.tensor([1.0, 0.0])).item()  # (0 + 0.5 * 0.25) / 2
        0.0625
    """
    if first.shape != second.shape or first.ndim != 2 or same.shape != first.shape[:1]:
        raise ValueError(
            f"first and second must be (B, d) and same (B,), got {tuple(first.shape)}, "
            f"{tuple(second.shape)} and {tuple(same.shape)}"
        )
    if margin <= 0:
        raise ValueError(f"margin must be > 0, got {margin}")
    distance = (first - second).pow(2).sum(dim=1).clamp_min(1e-12).sqrt()  # (B,)
    same = same.to(distance.dtype)
    loss = same * distance.pow(2) + (1 - same) * F.relu(margin - distance).pow(2)
    return 0.5 * loss.mean()


def triplet_loss(
    anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, margin: float = 1.0
) -> torch.Tensor:
    r"""Triplet loss (Schroff et al., 2015), averaged over triplets.

    $$
    \ell = \max\bigl(0,\ \lVert f(a) - f(p) \rVert_2 - \lVert f(a) - f(n) \rVert_2 + m\bigr)
    $$

    for an anchor $a$, a positive $p$ of the same class and a negative $n$ of another.
    Distances carry torch's $\varepsilon = 10^{-6}$ (`‖a − p + ε‖`), so that the result
    equals `torch.nn.functional.triplet_margin_loss`.

    Args:
        anchor: shape (B, d).
        positive: shape (B, d).
        negative: shape (B, d).
        margin: $m > 0$.

    Returns:
        loss: a scalar tensor.

    Raises:
        ValueError: if the shapes disagree or `margin` is not positive.

    Examples:
        >>> a = torch.zeros(1, 2)
        >>> round(triplet_loss(a, a, torch.tensor([[3.0, 4.0]]), margin=6.0).item(), 4)
        1.0
    """
    if not anchor.shape == positive.shape == negative.shape or anchor.ndim != 2:
        raise ValueError(
            f"anchor, positive and negative must all be (B, d), got {tuple(anchor.shape)}, "
            f"{tuple(positive.shape)} and {tuple(negative.shape)}"
        )
    if margin <= 0:
        raise ValueError(f"margin must be > 0, got {margin}")
    eps = 1e-6
    to_positive = (anchor - positive + eps).norm(dim=1)  # (B,)
    to_negative = (anchor - negative + eps).norm(dim=1)  # (B,)
    return F.relu(to_positive - to_negative + margin).mean()


class _ClassIndex:
    """Draw random members of classes in a vectorised way (indices sorted by class)."""

    def __init__(self, labels: np.ndarray) -> None:
        labels = np.asarray(labels)
        self.classes, self.counts = np.unique(labels, return_counts=True)
        if len(self.classes) < 2 or self.counts.min() < 2:
            raise ValueError(
                f"labels need >= 2 classes with >= 2 examples each, got counts "
                f"{dict(zip(self.classes.tolist(), self.counts.tolist(), strict=True))}"
            )
        self.order = np.argsort(labels, kind="stable")  # indices grouped by class
        self.starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]])

    def other_class(self, position: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A uniformly drawn class position different from each `position`."""
        return (position + rng.integers(1, len(self.classes), size=len(position))) % len(
            self.classes
        )

    def member(
        self, position: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """A uniformly drawn member of each class position: (index, offset in its class)."""
        offset = rng.integers(0, self.counts[position])
        return self.order[self.starts[position] + offset], offset

    def another_member(
        self, position: np.ndarray, offset: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """A member of the same class other than the one at `offset`."""
        count = self.counts[position]
        other = (offset + rng.integers(1, count)) % count
        return self.order[self.starts[position] + other]


def sample_pairs(
    labels: np.ndarray, n_pairs: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Draw index pairs: the first half of the same class, the second half of different classes.

    The first image's class is uniform over the classes; a same-class partner is another
    image of that class, a different-class partner an image of a uniformly drawn other
    class.

    Args:
        labels: shape (N,), class of each example (at least two classes, two examples each).
        n_pairs: number of pairs $B$, even.
        rng: numpy generator.

    Returns:
        first: shape (B,), indices.
        second: shape (B,), indices.
        same: shape (B,), float32, 1.0 where the two share a class.

    Raises:
        ValueError: if `n_pairs` is odd or not positive, or the labels have too few classes.

    Examples:
        >>> first, second, same = sample_pairs(np.array([0, 0, 1, 1]), 4, np.random.default_rng(0))
        >>> same.tolist()
        [1.0, 1.0, 0.0, 0.0]
    """
    if n_pairs < 2 or n_pairs % 2:
        raise ValueError(f"n_pairs must be a positive even number, got {n_pairs}")
    index = _ClassIndex(labels)
    half = n_pairs // 2
    position = rng.integers(0, len(index.classes), size=n_pairs)  # class of the first image
    first, offset = index.member(position, rng)
    same_partner = index.another_member(position[:half], offset[:half], rng)
    other_partner, _ = index.member(index.other_class(position[half:], rng), rng)
    second = np.concatenate([same_partner, other_partner])
    same = (np.asarray(labels)[first] == np.asarray(labels)[second]).astype(np.float32)
    return first, second, same


def sample_triplets(
    labels: np.ndarray, n_triplets: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Draw (anchor, positive, negative) index triplets.

    The anchor's class is uniform over the classes; the positive is another image of that
    class, the negative an image of a uniformly drawn other class.

    Args:
        labels: shape (N,), class of each example (at least two classes, two examples each).
        n_triplets: number of triplets $B \ge 1$.
        rng: numpy generator.

    Returns:
        anchor: shape (B,), indices.
        positive: shape (B,), indices of other images of the anchor's class.
        negative: shape (B,), indices of images of other classes.

    Raises:
        ValueError: if `n_triplets` < 1 or the labels have too few classes.

    Examples:
        >>> labels = np.array([0, 0, 1, 1])
        >>> a, p, n = sample_triplets(labels, 3, np.random.default_rng(0))
        >>> bool((labels[a] == labels[p]).all() and (a != p).all())
        True
        >>> bool((labels[a] != labels[n]).all())
        True
    """
    if n_triplets < 1:
        raise ValueError(f"n_triplets must be >= 1, got {n_triplets}")
    index = _ClassIndex(labels)
    position = rng.integers(0, len(index.classes), size=n_triplets)
    anchor, offset = index.member(position, rng)
    positive = index.another_member(position, offset, rng)
    negative, _ = index.member(index.other_class(position, rng), rng)
    return anchor, positive, negative


def sample_episode(
    labels: np.ndarray, n_way: int, k_shot: int, n_query: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Draw one N-way K-shot episode: `n_way` classes, `k_shot` support and `n_query` queries each.

    Support and query images of a class are drawn without replacement, so no query is
    also a support image.

    Args:
        labels: shape (N,), class of each candidate image.
        n_way: number of classes in the episode.
        k_shot: labelled support images per class, $\ge 1$.
        n_query: query images per class, $\ge 1$.
        rng: numpy generator.

    Returns:
        support: shape (n_way · k_shot,), indices.
        support_labels: shape (n_way · k_shot,).
        query: shape (n_way · n_query,), indices.
        query_labels: shape (n_way · n_query,).

    Raises:
        ValueError: if there are fewer than `n_way` classes, a class has fewer than
            `k_shot + n_query` images, or a count is below 1.

    Examples:
        >>> labels = np.repeat(np.arange(3), 4)
        >>> s, sl, q, ql = sample_episode(labels, 2, 1, 3, np.random.default_rng(0))
        >>> len(s), len(q), set(s.tolist()) & set(q.tolist())
        (2, 6, set())
    """
    labels = np.asarray(labels)
    classes = np.unique(labels)
    if min(n_way, k_shot, n_query) < 1:
        raise ValueError(
            f"n_way, k_shot and n_query must be >= 1, got {n_way}, {k_shot}, {n_query}"
        )
    if len(classes) < n_way:
        raise ValueError(f"n_way={n_way} exceeds the {len(classes)} classes available")
    chosen = rng.choice(classes, size=n_way, replace=False)
    support, query = [], []
    for c in chosen:
        members = np.flatnonzero(labels == c)
        if len(members) < k_shot + n_query:
            raise ValueError(
                f"class {c} has {len(members)} images, fewer than "
                f"k_shot + n_query = {k_shot + n_query}"
            )
        drawn = rng.choice(members, size=k_shot + n_query, replace=False)
        support.append(drawn[:k_shot])
        query.append(drawn[k_shot:])
    support_index, query_index = np.concatenate(support), np.concatenate(query)
    return support_index, labels[support_index], query_index, labels[query_index]


def nearest_support_accuracy(
    support: np.ndarray, support_labels: np.ndarray, query: np.ndarray, query_labels: np.ndarray
) -> float:
    r"""Accuracy of labelling each query by its nearest support example (Euclidean, 1-NN).

    Args:
        support: shape (S, d), support embeddings.
        support_labels: shape (S,).
        query: shape (Q, d), query embeddings.
        query_labels: shape (Q,).

    Returns:
        accuracy: fraction of queries whose nearest support example has their label.

    Raises:
        ValueError: if the shapes disagree.

    Examples:
        >>> support = np.array([[0.0], [10.0]])
        >>> query = np.array([[1.0], [6.0]])
        >>> nearest_support_accuracy(support, np.array([0, 1]), query, np.array([0, 0]))
        0.5
    """
    if support.ndim != 2 or query.ndim != 2 or support.shape[1] != query.shape[1]:
        raise ValueError(
            f"support and query must be (S, d) and (Q, d), got {support.shape} and {query.shape}"
        )
    if len(support_labels) != len(support) or len(query_labels) != len(query):
        raise ValueError("each support and query row needs exactly one label")
    # ‖q − s‖² = ‖q‖² − 2 q·s + ‖s‖², shape (Q, S)
    squared = (query**2).sum(1)[:, None] - 2 * query @ support.T + (support**2).sum(1)[None, :]
    predicted = support_labels[np.argmin(squared, axis=1)]
    return float((predicted == query_labels).mean())


def mean_confidence_interval(values: Sequence[float], z: float = 1.96) -> tuple[float, float]:
    r"""Mean and half-width of its normal-approximation confidence interval.

    $$
    \bar a \pm z \, \frac{s}{\sqrt{n}}, \qquad s^{2} = \frac{1}{n - 1} \sum_i (a_i - \bar a)^{2},
    $$

    with $z = 1.96$ for 95 %.

    Args:
        values: $n \ge 2$ numbers (e.g. per-episode accuracies).
        z: the normal quantile.

    Returns:
        mean: $\bar a$.
        half_width: $z\, s / \sqrt n$.

    Raises:
        ValueError: if fewer than two values are given.

    Examples:
        >>> mean, half_width = mean_confidence_interval([0.0, 1.0, 0.0, 1.0])
        >>> mean, round(half_width, 4)  # 1.96 * 0.5774 / 2
        (0.5, 0.5658)
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(f"values must hold at least 2 numbers, got shape {values.shape}")
    return float(values.mean()), float(z * values.std(ddof=1) / np.sqrt(len(values)))


def embed(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """Embed images with a network, without tracking gradients.

    Args:
        model: an embedding network, e.g. an [`EmbeddingNet`][scribbles.deep.few_shot.EmbeddingNet].
        x: shape (N, 64), images.

    Returns:
        z: shape (N, d), float32 embeddings.

    Examples:
        >>> embed(EmbeddingNet(dim=4), np.zeros((3, 64))).shape
        (3, 4)
    """
    with torch.no_grad():
        return model(torch.from_numpy(np.asarray(x, dtype=np.float32))).numpy()


@cached
def train_embedding(
    objective: str = "contrastive",
    flips: bool = False,
    dim: int = 32,
    steps: int = 300,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    seed: int = 0,
) -> dict[str, Any]:
    r"""Train an [`EmbeddingNet`][scribbles.deep.few_shot.EmbeddingNet] on digits 0–4 (cached).

    - `"contrastive"`: a siamese network on pairs, with
      [`contrastive_loss`][scribbles.deep.few_shot.contrastive_loss] (margin 1) on unit-norm
      embeddings;
    - `"triplet"`: on triplets, with [`triplet_loss`][scribbles.deep.few_shot.triplet_loss]
      (margin 0.5) on unit-norm embeddings;
    - `"softmax"`: the baseline, the same network (not normalised) followed by a linear
      layer to one logit per class, trained with cross-entropy; its embedding is the input
      of that layer.

    Args:
        objective: `"contrastive"`, `"triplet"` or `"softmax"`.
        flips: train on the 20 classes of
            [`flipped_pseudo_classes`][scribbles.deep.few_shot.flipped_pseudo_classes] instead of 5.
        dim: embedding dimension.
        steps: Adam steps.
        batch_size: pairs, triplets or images per step.
        learning_rate: Adam's step size.
        seed: seed of initialisation and sampling.

    Returns:
        result: dict with `state_dict` (of the `EmbeddingNet`), `normalize`, `head`
            (state of the softmax layer, or None), `losses` (per step) and `classes`
            (number of training classes).

    Raises:
        ValueError: if `objective` is unknown.

    Examples:
        >>> result = train_embedding("triplet", dim=4, steps=2, batch_size=8)
        >>> len(result["losses"]), result["classes"]
        (2, 5)
    """
    if objective not in ("contrastive", "triplet", "softmax"):
        raise ValueError(
            f"objective must be 'contrastive', 'triplet' or 'softmax', got {objective!r}"
        )
    split = digit_split(seed=0)
    x_train, y = split["x_train"], split["y_train"]
    if flips:
        x_train, y = flipped_pseudo_classes(x_train, y)
    n_classes = int(y.max()) + 1
    x = torch.from_numpy(x_train)  # (N, 64)
    with single_thread():
        seed_everything(seed)
        rng = np.random.default_rng(seed)
        model = EmbeddingNet(dim, normalize=objective != "softmax")
        head = nn.Linear(dim, n_classes) if objective == "softmax" else None
        parameters = list(model.parameters()) + (list(head.parameters()) if head else [])
        optimiser = torch.optim.Adam(parameters, lr=learning_rate)
        losses = []
        for _ in range(steps):
            if objective == "contrastive":
                first, second, same = sample_pairs(y, batch_size, rng)
                loss = contrastive_loss(
                    model(x[first]), model(x[second]), torch.from_numpy(same), margin=1.0
                )
            elif objective == "triplet":
                a, p, n = sample_triplets(y, batch_size, rng)
                loss = triplet_loss(model(x[a]), model(x[p]), model(x[n]), margin=0.5)
            else:
                assert head is not None
                batch = rng.choice(len(y), size=batch_size, replace=False)
                loss = F.cross_entropy(head(model(x[batch])), torch.from_numpy(y[batch]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
    return {
        "state_dict": {k: v.clone() for k, v in model.state_dict().items()},
        "normalize": model.normalize,
        "head": {k: v.clone() for k, v in head.state_dict().items()} if head else None,
        "losses": losses,
        "classes": n_classes,
    }


def load_embedding(result: dict[str, Any]) -> EmbeddingNet:
    """Rebuild a trained [`EmbeddingNet`][scribbles.deep.few_shot.EmbeddingNet], in evaluation mode.

    Args:
        result: the dict returned by [`train_embedding`][scribbles.deep.few_shot.train_embedding].

    Returns:
        model: the network with the trained weights.

    Examples:
        >>> load_embedding(train_embedding("triplet", dim=4, steps=1, batch_size=8)).training
        False
    """
    dim = result["state_dict"]["layers.4.weight"].shape[0]
    model = EmbeddingNet(dim, normalize=result["normalize"])
    model.load_state_dict(result["state_dict"])
    return model.eval()


METHODS = (
    "raw pixels",
    "softmax features",
    "contrastive siamese",
    "triplet siamese",
    "contrastive siamese, 20 classes",
)
"""Methods of [`few_shot_experiment`][scribbles.deep.few_shot.few_shot_experiment], in order."""


@cached
def few_shot_experiment(
    episodes: int = 600,
    n_way: int = 5,
    shots: Sequence[int] = (1, 5),
    n_query: int = 15,
    dim: int = 32,
    steps: int = 300,
    seed: int = 0,
) -> dict[str, Any]:
    r"""Evaluate N-way K-shot episodes for every method, on unseen and on seen classes (cached).

    Every method sees the *same* episodes and labels a query by its nearest support
    example. Unseen: episodes from the digits 5–9, never used in training. Seen: episodes
    from the held-out images of 0–4 (images not trained on, classes trained on).

    Args:
        episodes: episodes per number of shots.
        n_way: classes per episode.
        shots: the values of $K$.
        n_query: queries per class and episode (at most 10 are used on the seen classes,
            whose held-out set is small).
        dim: embedding dimension.
        steps: training steps of each network.
        seed: seed of training and episode sampling.

    Returns:
        result: dict with `unseen[method][k]` and `seen[method][k]` (per-episode
            accuracies), `methods`, `softmax_seen_accuracy` (the softmax classifier on
            held-out images of 0–4), `softmax_unseen_accuracy` (on 5–9, where it can only
            answer 0–4), `embeddings` (`"seen"` / `"unseen"` → method → (N, 2) PCA
            projection), `seen_labels` and `unseen_labels`.

    Examples:
        >>> result = few_shot_experiment(episodes=2, shots=(1,), dim=4, steps=2)
        >>> result["methods"][0], len(result["unseen"]["raw pixels"][1])
        ('raw pixels', 2)
    """
    split = digit_split(seed=0)
    trained = {
        "softmax features": train_embedding("softmax", dim=dim, steps=steps, seed=seed),
        "contrastive siamese": train_embedding("contrastive", dim=dim, steps=steps, seed=seed),
        "triplet siamese": train_embedding("triplet", dim=dim, steps=steps, seed=seed),
        "contrastive siamese, 20 classes": train_embedding(
            "contrastive", flips=True, dim=dim, steps=steps, seed=seed
        ),
    }
    features = {"seen": {"raw pixels": split["x_val"]}, "unseen": {"raw pixels": split["x_test"]}}
    with single_thread():
        for name, result in trained.items():
            model = load_embedding(result)
            features["seen"][name] = embed(model, split["x_val"])
            features["unseen"][name] = embed(model, split["x_test"])
        head = nn.Linear(dim, len(SEEN_CLASSES))
        head.load_state_dict(trained["softmax features"]["head"])
        with torch.no_grad():
            seen_logits = head(torch.from_numpy(features["seen"]["softmax features"]))
            unseen_logits = head(torch.from_numpy(features["unseen"]["softmax features"]))

    labels = {"seen": split["y_val"], "unseen": split["y_test"]}
    queries = {"seen": min(n_query, 10), "unseen": n_query}
    accuracy: dict[str, dict[str, dict[int, list[float]]]] = {}
    for part in ("seen", "unseen"):
        accuracy[part] = {name: {} for name in METHODS}
        for k in shots:
            rng = np.random.default_rng([seed, k, part == "seen"])
            drawn = [
                sample_episode(labels[part], n_way, k, queries[part], rng) for _ in range(episodes)
            ]
            for name in METHODS:
                z = features[part][name]
                accuracy[part][name][k] = [
                    nearest_support_accuracy(z[s], sl, z[q], ql) for s, sl, q, ql in drawn
                ]

    def pca_2d(z: np.ndarray) -> np.ndarray:
        centred = z - z.mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        projected = centred @ vt[:2].T  # (N, 2)
        # Fix the sign of each axis (SVD's is arbitrary) so the figure never flips.
        return projected * np.sign(projected[np.abs(projected).argmax(axis=0), [0, 1]])

    return {
        "unseen": accuracy["unseen"],
        "seen": accuracy["seen"],
        "methods": list(METHODS),
        "softmax_seen_accuracy": float((seen_logits.argmax(1).numpy() == labels["seen"]).mean()),
        "softmax_unseen_accuracy": float(
            (unseen_logits.argmax(1).numpy() == labels["unseen"]).mean()
        ),
        "embeddings": {
            part: {name: pca_2d(z) for name, z in features[part].items()} for part in features
        },
        "seen_labels": labels["seen"],
        "unseen_labels": labels["unseen"],
        "training_classes": {name: result["classes"] for name, result in trained.items()},
    }
