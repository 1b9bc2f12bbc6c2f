"""Tests for scribbles.learning.p_vs_np: subset-sum verification and the three searches."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scribbles.learning.p_vs_np import (
    SOLVERS,
    random_instance,
    solve_subset_sum,
    subset_sum_timings,
    verify_subset_sum,
)


def brute_force_exists(numbers: list[int], target: int) -> bool:
    """The reference: try every subset with itertools (the empty set sums to 0)."""
    return any(
        sum(subset) == target
        for size in range(len(numbers) + 1)
        for subset in itertools.combinations(numbers, size)
    )


small_lists = st.lists(st.integers(-40, 40), min_size=0, max_size=10)


@settings(max_examples=150, deadline=None)
@given(numbers=small_lists, target=st.integers(-120, 120))
def test_searches_agree_with_brute_force_and_return_valid_certificates(numbers, target):
    expected = brute_force_exists(numbers, target)
    for method in ("exhaustive", "meet-in-the-middle"):
        found = solve_subset_sum(numbers, target, method)
        assert (found is not None) == expected, method
        if found is not None:
            assert verify_subset_sum(numbers, target, found)
            assert list(found) == sorted(set(found))


@settings(max_examples=100, deadline=None)
@given(numbers=st.lists(st.integers(0, 30), max_size=10), target=st.integers(0, 150))
def test_dynamic_programming_agrees_with_brute_force(numbers, target):
    found = solve_subset_sum(numbers, target, "dynamic-programming")
    assert (found is not None) == brute_force_exists(numbers, target)
    if found is not None:
        assert verify_subset_sum(numbers, target, found)


@settings(max_examples=100, deadline=None)
@given(
    numbers=st.lists(st.integers(-50, 50), min_size=1, max_size=12),
    data=st.data(),
)
def test_verifier_matches_the_definition(numbers, data):
    certificate = data.draw(st.lists(st.integers(-2, len(numbers) + 1), max_size=len(numbers)))
    target = data.draw(st.integers(-100, 100))
    valid = (
        len(set(certificate)) == len(certificate)
        and all(0 <= i < len(numbers) for i in certificate)
        and sum(numbers[i] for i in certificate) == target
    )
    assert verify_subset_sum(numbers, target, certificate) == valid


def test_verifier_rejects_wrong_repeated_and_out_of_range_certificates():
    numbers = [3, 34, 4, 12, 5, 2]
    assert verify_subset_sum(numbers, 9, [0, 2, 5])
    assert not verify_subset_sum(numbers, 9, [0, 1])  # wrong sum
    assert not verify_subset_sum(numbers, 6, [0, 0])  # index used twice
    assert not verify_subset_sum(numbers, 3, [6])  # out of range
    assert not verify_subset_sum(numbers, 2, [-1])  # negative index is not Python's wrap
    assert verify_subset_sum(numbers, 0, [])  # the empty set


def test_numpy_integers_are_accepted():
    numbers = np.array([5, 7, 11], dtype=np.int64)
    assert solve_subset_sum(numbers, np.int64(18)) == (1, 2)
    assert verify_subset_sum(numbers, 18, np.array([1, 2]))


def test_solvers_find_a_planted_solution_at_larger_n():
    rng = np.random.default_rng(3)
    numbers, target, planted = random_instance(30, 40, rng)
    assert verify_subset_sum(numbers, target, planted)
    found = solve_subset_sum(numbers, target, "meet-in-the-middle")
    assert found is not None and verify_subset_sum(numbers, target, found)


def test_unsolvable_instances_are_unsolvable():
    rng = np.random.default_rng(4)
    for _ in range(5):
        numbers, target, planted = random_instance(12, 20, rng, solvable=False)
        assert planted is None
        assert all(solve_subset_sum(numbers, target, m) is None for m in SOLVERS)


@pytest.mark.parametrize(
    ("numbers", "target", "method", "error", "match"),
    [
        ([1, 2], 3, "greedy", ValueError, "method must be one of"),
        (list(range(25)), 3, "exhaustive", ValueError, "at most 24 numbers, got 25"),
        (list(range(49)), 3, "meet-in-the-middle", ValueError, "at most 48 numbers, got 49"),
        ([2**61, 2**61], 1, "exhaustive", ValueError, "below 2\\*\\*62"),
        ([1, -2], 3, "dynamic-programming", ValueError, "non-negative numbers"),
        ([1.5, 2], 3, "exhaustive", TypeError, "numbers must hold integers, got float at index 0"),
        ([1, 2], 3.0, "exhaustive", TypeError, "target must be an integer, got float"),
        ("12", 3, "exhaustive", TypeError, "numbers must be a sequence of integers, got str"),
        ([True, 2], 3, "exhaustive", TypeError, "got bool at index 0"),
    ],
)
def test_solver_errors_name_the_problem(numbers, target, method, error, match):
    with pytest.raises(error, match=match):
        solve_subset_sum(numbers, target, method)


def test_verifier_errors_name_the_problem():
    with pytest.raises(TypeError, match="certificate must hold integer indices, got float"):
        verify_subset_sum([1, 2], 1, [0.0])


def test_random_instance_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        random_instance(0, 8, rng)
    with pytest.raises(ValueError, match="bits must be in \\[2, 40\\], got 41"):
        random_instance(4, 41, rng)


def test_timings_are_complete_and_every_certificate_checks(monkeypatch):
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    timings = subset_sum_timings((4, 8, 12), (4, 8, 12), (4, 64, 1024), (6, 10), dp_n=8, bits=20)
    for key in ("verify", "exhaustive", "meet-in-the-middle", "dynamic-programming"):
        assert timings[key]["correct"].all(), key
        assert (timings[key]["seconds"] > 0).all(), key
    assert timings["dynamic-programming"]["bits"].tolist() == [6, 10]
