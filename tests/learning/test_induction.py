"""scribbles.learning.induction: the no-free-lunch theorem, checked by enumerating every target."""

from __future__ import annotations

import itertools
from fractions import Fraction
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.neighbors import KNeighborsClassifier

from scribbles.learning.induction import (
    FAMILIES,
    LEARNERS,
    all_boolean_functions,
    all_inputs,
    consistent_functions,
    function_family,
    no_free_lunch_sweep,
    off_training_set_accuracy,
    predict_best_single_input,
    predict_nearest_neighbor,
)


@pytest.fixture(autouse=True)
def no_cache(monkeypatch):
    """Run the cached sweep for real: a stale cache entry must not hide a bug."""
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")


def test_inputs_and_functions_match_itertools():
    for n in (1, 2, 3):
        expected_inputs = list(itertools.product((0, 1), repeat=n))
        assert [tuple(row) for row in all_inputs(n).tolist()] == expected_inputs
        tables = all_boolean_functions(n)
        expected = sorted(itertools.product((0, 1), repeat=2**n))
        assert sorted(tuple(row) for row in tables.tolist()) == expected
    assert all_boolean_functions(4).shape == (65_536, 16)


@pytest.mark.parametrize("name", list(LEARNERS))
@pytest.mark.parametrize("n_inputs", [2, 3])
def test_every_learner_averages_one_half_off_the_training_set(name, n_inputs):
    learner = LEARNERS[name]
    n_points = 2**n_inputs
    for m in range(n_points):
        for subset in itertools.combinations(range(n_points), m):
            accuracy = off_training_set_accuracy(learner, n_inputs, list(subset))
            correct = np.rint(accuracy * (n_points - m)).astype(int)
            assert Fraction(int(correct.sum()), len(correct) * (n_points - m)) == Fraction(1, 2)


@pytest.mark.parametrize("name", list(LEARNERS))
def test_the_whole_distribution_of_accuracies_is_the_same_for_every_learner(name):
    """Not only the mean: the number of targets with j correct OTS predictions is
    2^m * binomial(t, j) for every learner (here n = 4, m = 9, t = 7, all 65,536 targets)."""
    training = [0, 3, 5, 6, 9, 10, 12, 15, 1]
    accuracy = off_training_set_accuracy(LEARNERS[name], 4, training)
    t = 16 - len(training)
    counts = np.bincount(np.rint(accuracy * t).astype(int), minlength=t + 1)
    assert counts.tolist() == [2 ** len(training) * comb(t, j) for j in range(t + 1)]


@settings(max_examples=30, deadline=None)
@given(
    n_inputs=st.integers(1, 3),
    data=st.data(),
)
def test_any_deterministic_learner_averages_one_half(n_inputs, data):
    """An arbitrary learner: a random lookup table from training labels to predictions."""
    n_points = 2**n_inputs
    m = data.draw(st.integers(0, n_points - 1))
    subset = data.draw(st.permutations(range(n_points)))[:m]
    seed = data.draw(st.integers(0, 2**32 - 1))
    table = np.random.default_rng(seed).integers(0, 2, size=(2**m, n_points - m))

    def lookup_learner(train_inputs, train_labels, test_inputs):
        return table[train_labels.astype(np.int64) @ (2 ** np.arange(m, dtype=np.int64))]

    accuracy = off_training_set_accuracy(lookup_learner, n_inputs, subset)
    assert accuracy.mean() == pytest.approx(0.5, abs=1e-12)


def test_a_cheater_that_sees_the_test_labels_breaks_the_theorem():
    """The theorem needs predictions that depend on the training data only."""
    tables = all_boolean_functions(3)

    def cheater(train_inputs, train_labels, test_inputs):
        return tables[:, 4:]  # it is handed the targets in order and reads their labels

    assert off_training_set_accuracy(cheater, 3, [0, 1, 2, 3], tables).mean() == 1.0


def test_structured_targets_separate_the_learners():
    result = no_free_lunch_sweep(n_inputs=3)
    accuracy = result["accuracy"]  # (learners, families, sizes)
    learners, families = result["learners"], result["families"]
    stump = learners.index("best single input")
    nn = learners.index("1-NN (Hamming)")
    single, parity = families.index("single input"), families.index("parities")
    np.testing.assert_array_equal(result["correct"] * 2, result["total"])
    np.testing.assert_allclose(accuracy[:, families.index("all"), :], 0.5, atol=1e-12)
    assert accuracy[stump, single, 5] == 1.0  # the right bias learns from 5 of 8 points
    assert accuracy[nn, parity, 4] < 0.3  # the wrong bias is worse than guessing
    assert accuracy[nn, single, 4] > 0.6


def test_nearest_neighbor_matches_sklearn_where_the_nearest_is_unique():
    inputs = all_inputs(4)
    rng = np.random.default_rng(0)
    for _ in range(20):
        train = rng.choice(16, size=6, replace=False)
        test = np.setdiff1d(np.arange(16), train)
        labels = rng.integers(0, 2, size=6)
        distances = np.abs(inputs[test][:, None, :].astype(int) - inputs[train][None]).sum(axis=2)
        unique = (distances == distances.min(axis=1, keepdims=True)).sum(axis=1) == 1
        ours = predict_nearest_neighbor(inputs[train], labels[None, :], inputs[test])[0]
        reference = KNeighborsClassifier(n_neighbors=1, metric="hamming", algorithm="brute")
        reference.fit(inputs[train], labels)
        np.testing.assert_array_equal(ours[unique], reference.predict(inputs[test])[unique])


def test_best_single_input_recovers_a_dictator():
    tables = all_boolean_functions(3)
    for row in function_family("single input", 3):
        accuracy = off_training_set_accuracy(
            predict_best_single_input, 3, [0, 1, 2, 4, 7], tables[[row]]
        )
        assert accuracy.tolist() == [1.0]


def test_consistent_functions_split_evenly():
    for m in range(8):
        count, fraction = consistent_functions(3, list(range(m)), [1] * m)
        assert count == 2 ** (8 - m)
        np.testing.assert_array_equal(fraction, 0.5)


def test_family_sizes():
    for n in (2, 3, 4):
        assert len(function_family("all", n)) == 2 ** (2**n)
        assert len(function_family("single input", n)) == 2 * n
        assert len(function_family("parities", n)) == 2 * (2**n - n - 1)
        assert set(function_family("single input", n)).isdisjoint(function_family("parities", n))
    assert set(FAMILIES) == {"all", "single input", "parities"}


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match=r"n_inputs must be between 1 and 4, got 5"):
        all_inputs(5)
    with pytest.raises(TypeError, match=r"n_inputs must be an int, got float"):
        all_boolean_functions(2.0)
    with pytest.raises(
        ValueError, match=r"training_indices must lie in 0..7, got values in \[0, 9\]"
    ):
        off_training_set_accuracy(LEARNERS["always 0"], 3, [0, 9])
    with pytest.raises(ValueError, match=r"training_indices must not repeat"):
        off_training_set_accuracy(LEARNERS["always 0"], 3, [1, 1])
    with pytest.raises(ValueError, match=r"no off-training-set point is left"):
        off_training_set_accuracy(LEARNERS["always 0"], 1, [0, 1])
    with pytest.raises(ValueError, match=r"targets must have shape \(F, 8\), got \(2, 4\)"):
        off_training_set_accuracy(LEARNERS["always 0"], 3, [0], np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"name must be one of .* got 'monotone'"):
        function_family("monotone", 3)
    with pytest.raises(ValueError, match=r"training_labels must have one label per training"):
        consistent_functions(3, [0, 1], [1])
    with pytest.raises(ValueError, match=r"n_inputs must be <= 3 for the full sweep, got 4"):
        no_free_lunch_sweep(n_inputs=4)


def test_sweep_of_one_input():
    result = no_free_lunch_sweep(n_inputs=1)
    accuracy, families = result["accuracy"], result["families"]
    assert result["sizes"].tolist() == [0, 1]
    assert accuracy.shape == (len(LEARNERS), len(FAMILIES), 2)
    np.testing.assert_array_equal(accuracy[:, families.index("all"), :], 0.5)
    np.testing.assert_array_equal(result["correct"] * 2, result["total"])
    # 4 targets; m = 0: 1 training set, 2 predictions; m = 1: 2 training sets, 1 each
    assert result["total"].tolist() == [[8, 8]] * len(LEARNERS)
    assert np.isnan(accuracy[:, families.index("parities"), :]).all()  # no parity of 1 input
    # the dictators x and not x, from the definition of the OTS accuracy
    dictators = all_boolean_functions(1)[function_family("single input", 1)]
    for row, learner in enumerate(LEARNERS.values()):
        for m, training_sets in enumerate(([[]], [[0], [1]])):
            expected = np.mean(
                [off_training_set_accuracy(learner, 1, s, dictators) for s in training_sets]
            )
            assert accuracy[row, families.index("single input"), m] == expected


def test_sweep_refuses_n_inputs_out_of_range():
    with pytest.raises(ValueError, match=r"n_inputs must be between 1 and 4, got 0"):
        no_free_lunch_sweep(n_inputs=0)
    with pytest.raises(TypeError, match=r"n_inputs must be an int, got float"):
        no_free_lunch_sweep(n_inputs=1.0)
