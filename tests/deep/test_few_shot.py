"""Tests for scribbles.deep.few_shot: metric losses, episodes, nearest-support classification."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from scribbles.deep.few_shot import (
    METHODS,
    EmbeddingNet,
    contrastive_loss,
    digit_split,
    few_shot_experiment,
    flipped_pseudo_classes,
    load_embedding,
    mean_confidence_interval,
    nearest_support_accuracy,
    sample_episode,
    sample_pairs,
    sample_triplets,
    train_embedding,
    triplet_loss,
)


def test_triplet_loss_equals_torch() -> None:
    generator = torch.Generator().manual_seed(0)
    a, p, n = (torch.randn(16, 5, generator=generator) for _ in range(3))
    for margin in (0.2, 1.0, 3.0):
        torch.testing.assert_close(
            triplet_loss(a, p, n, margin), F.triplet_margin_loss(a, p, n, margin=margin)
        )


def test_contrastive_loss_equals_the_formula() -> None:
    generator = torch.Generator().manual_seed(1)
    first, second = torch.randn(12, 4, generator=generator), torch.randn(12, 4, generator=generator)
    same = (torch.arange(12) % 2).float()
    distance = F.pairwise_distance(first, second, eps=0.0)  # torch's Euclidean distance
    expected = 0.5 * (same * distance**2 + (1 - same) * torch.clamp(2.0 - distance, min=0) ** 2)
    torch.testing.assert_close(contrastive_loss(first, second, same, margin=2.0), expected.mean())
    # Gradients flow through both branches (shared-weight siamese use).
    first.requires_grad_(True)
    contrastive_loss(first, second, same).backward()
    assert first.grad is not None and torch.isfinite(first.grad).all()


def test_losses_reject_bad_input() -> None:
    x = torch.zeros(3, 2)
    with pytest.raises(ValueError, match=r"same \(B,\), got \(3, 2\), \(3, 2\) and \(2,\)"):
        contrastive_loss(x, x, torch.zeros(2))
    with pytest.raises(ValueError, match="margin must be > 0, got 0"):
        contrastive_loss(x, x, torch.zeros(3), margin=0)
    with pytest.raises(ValueError, match=r"all be \(B, d\), got \(3, 2\), \(3, 2\) and \(2, 2\)"):
        triplet_loss(x, x, torch.zeros(2, 2))
    with pytest.raises(ValueError, match="margin must be > 0, got -1"):
        triplet_loss(x, x, x, margin=-1)


def test_nearest_support_equals_scikit_learn_1nn() -> None:
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(0)
    support, query = rng.normal(size=(25, 6)), rng.normal(size=(75, 6))
    support_labels, query_labels = rng.integers(0, 5, 25), rng.integers(0, 5, 75)
    reference = KNeighborsClassifier(n_neighbors=1).fit(support, support_labels)
    expected = float((reference.predict(query) == query_labels).mean())
    assert nearest_support_accuracy(support, support_labels, query, query_labels) == expected
    with pytest.raises(ValueError, match=r"\(S, d\) and \(Q, d\), got \(25, 6\) and \(75, 5\)"):
        nearest_support_accuracy(support, support_labels, query[:, :5], query_labels)
    with pytest.raises(ValueError, match="exactly one label"):
        nearest_support_accuracy(support, support_labels[:3], query, query_labels)


def test_confidence_interval_equals_scipy() -> None:
    from scipy import stats

    values = np.random.default_rng(2).uniform(size=50)
    mean, half_width = mean_confidence_interval(values)
    low, high = stats.norm.interval(0.95, loc=values.mean(), scale=stats.sem(values))
    assert mean == pytest.approx((low + high) / 2)
    assert half_width == pytest.approx((high - low) / 2, rel=1e-3)  # 1.96 vs 1.959964
    with pytest.raises(ValueError, match="at least 2 numbers"):
        mean_confidence_interval([1.0])


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 6), st.integers(1, 5), st.integers(1, 5), st.integers(1, 4), st.integers(0, 99)
)
def test_episodes_are_well_formed(
    n_classes: int, k_shot: int, n_query: int, extra: int, seed: int
) -> None:
    labels = np.repeat(np.arange(n_classes) * 10, k_shot + n_query + extra)
    n_way = max(1, n_classes - 1)
    support, support_labels, query, query_labels = sample_episode(
        labels, n_way, k_shot, n_query, np.random.default_rng(seed)
    )
    assert len(support) == n_way * k_shot and len(query) == n_way * n_query
    assert not set(support.tolist()) & set(query.tolist())
    np.testing.assert_array_equal(labels[support], support_labels)
    np.testing.assert_array_equal(labels[query], query_labels)
    classes, counts = np.unique(support_labels, return_counts=True)
    assert len(classes) == n_way and (counts == k_shot).all()
    assert set(query_labels.tolist()) == set(classes.tolist())


def test_episode_errors() -> None:
    labels = np.repeat(np.arange(3), 4)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n_way=4 exceeds the 3 classes available"):
        sample_episode(labels, 4, 1, 1, rng)
    with pytest.raises(ValueError, match="fewer than k_shot \\+ n_query = 5"):
        sample_episode(labels, 2, 2, 3, rng)
    with pytest.raises(ValueError, match="must be >= 1, got 2, 0, 1"):
        sample_episode(labels, 2, 0, 1, rng)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 6), st.integers(2, 5), st.integers(1, 30), st.integers(0, 99))
def test_pairs_and_triplets(n_classes: int, per_class: int, half: int, seed: int) -> None:
    labels = np.repeat(np.arange(n_classes), per_class)
    rng = np.random.default_rng(seed)
    first, second, same = sample_pairs(labels, 2 * half, rng)
    assert (same[:half] == 1).all() and (same[half:] == 0).all()
    assert (first[:half] != second[:half]).all()  # never an image paired with itself
    anchor, positive, negative = sample_triplets(labels, half, rng)
    assert (labels[anchor] == labels[positive]).all() and (anchor != positive).all()
    assert (labels[anchor] != labels[negative]).all()


def test_pair_errors() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="positive even number, got 3"):
        sample_pairs(np.array([0, 0, 1, 1]), 3, rng)
    with pytest.raises(ValueError, match="2 classes with >= 2 examples each"):
        sample_pairs(np.array([0, 0, 1]), 2, rng)
    with pytest.raises(ValueError, match="n_triplets must be >= 1, got 0"):
        sample_triplets(np.array([0, 0, 1, 1]), 0, rng)


def test_digit_split_separates_classes() -> None:
    split = digit_split()
    assert set(np.unique(split["y_train"])) == set(np.unique(split["y_val"])) == set(range(5))
    assert set(np.unique(split["y_test"])) == set(range(5, 10))
    assert len(split["x_train"]) + len(split["x_val"]) + len(split["x_test"]) == 1797
    assert split["x_train"].max() == 1.0 and split["x_train"].dtype == np.float32
    with pytest.raises(ValueError, match=r"validation_fraction must be in \[0, 1\), got 1.0"):
        digit_split(1.0)


def test_flipped_pseudo_classes() -> None:
    split = digit_split()
    x, y = split["x_train"][:7], split["y_train"][:7]
    xf, yf = flipped_pseudo_classes(x, y)
    images = x.reshape(-1, 8, 8)
    np.testing.assert_array_equal(xf[7:14].reshape(-1, 8, 8), images[:, :, ::-1])
    np.testing.assert_array_equal(xf[14:21].reshape(-1, 8, 8), images[:, ::-1, :])
    np.testing.assert_array_equal(xf[21:].reshape(-1, 8, 8), np.rot90(images, 2, axes=(1, 2)))
    np.testing.assert_array_equal(yf, np.concatenate([y + 5 * t for t in range(4)]))
    with pytest.raises(ValueError, match=r"x must be \(N, 64\) and y \(N,\)"):
        flipped_pseudo_classes(x[:, :10], y)


def test_embedding_net_shapes_and_norm() -> None:
    z = EmbeddingNet(8)(torch.rand(5, 64))
    torch.testing.assert_close(z.norm(dim=1), torch.ones(5))
    assert EmbeddingNet(8, normalize=False)(torch.zeros(2, 64)).shape == (2, 8)
    with pytest.raises(ValueError, match=r"x must have shape \(B, 64\), got \(2, 63\)"):
        EmbeddingNet(8)(torch.zeros(2, 63))


def test_short_siamese_training_lowers_the_loss(monkeypatch) -> None:
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    result = train_embedding("contrastive", dim=8, steps=60, batch_size=64)
    losses = result["losses"]
    assert np.mean(losses[-10:]) < np.mean(losses[:10])
    model = load_embedding(result)
    assert not model.training and model.normalize
    with pytest.raises(ValueError, match=r"objective must be .* got 'hinge'"):
        train_embedding("hinge")


def test_tiny_experiment_structure(monkeypatch) -> None:
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    result = few_shot_experiment(episodes=4, shots=(1, 2), dim=4, steps=3)
    assert result["methods"] == list(METHODS)
    for part in ("seen", "unseen"):
        for method in METHODS:
            assert set(result[part][method]) == {1, 2}
            assert all(0.0 <= a <= 1.0 for a in result[part][method][1])
    assert result["softmax_unseen_accuracy"] == 0.0  # it has no output for 5-9
    assert result["embeddings"]["unseen"]["raw pixels"].shape == (len(result["unseen_labels"]), 2)
    assert result["training_classes"]["contrastive siamese, 20 classes"] == 20
