"""scribbles.learning.vapnik: shattering by linear programming, the VC bound, SRM."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LinearRegression
from sklearn.svm import SVC

from scribbles.learning.vapnik import (
    _risk_grid,
    _risk_on_grid,
    count_dichotomies,
    cover_count,
    dichotomy_counts,
    even_polynomial_features,
    is_linearly_separable,
    least_squares_classifier,
    noisy_cosine_labels,
    polynomial_features,
    sample_size_for_confidence,
    sauer_bound,
    scikit_learn_agreement,
    separating_hyperplane,
    shatters,
    srm_experiment,
    vc_bound,
    vc_confidence,
    vc_gap_versus_sample_size,
)


def separable_by_pairs(points: np.ndarray, labels: np.ndarray) -> bool:
    """Exact reference in 2-D for points in general position.

    A separable labelling has a separating line that can be slid and turned until it
    passes through two of the points, with every other point strictly on its own side;
    the two points on the line can then be pushed to either side by a tiny move.
    """
    if np.unique(labels).size == 1:
        return True
    n = len(points)
    for i in range(n):
        for j in range(i + 1, n):
            direction = points[j] - points[i]
            normal = np.array([-direction[1], direction[0]])
            side = np.sign((points - points[i]) @ normal)
            others = np.ones(n, dtype=bool)
            others[[i, j]] = False
            if np.all(side[others] == labels[others]) or np.all(side[others] == -labels[others]):
                return True
    return False


def test_separability_agrees_with_an_exact_combinatorial_check():
    rng = np.random.default_rng(0)
    answers = []
    for _ in range(60):
        points = rng.normal(size=(7, 2))
        labels = rng.choice([-1, 1], size=7)
        expected = separable_by_pairs(points, labels)
        assert is_linearly_separable(points, labels) == expected
        answers.append(expected)
    assert 0 < sum(answers) < len(answers)  # both answers occurred


def test_separability_agrees_with_scikit_learn_on_clear_cases():
    """A planted margin: a linear SVC fits it exactly; XOR: no linear model can."""
    rng = np.random.default_rng(1)
    for _ in range(10):
        w, b = rng.normal(size=2), rng.normal()
        points = rng.normal(size=(40, 2))
        score = (points @ w + b) / np.linalg.norm(w)
        points, score = points[np.abs(score) > 0.2], score[np.abs(score) > 0.2]
        labels = np.where(score > 0, 1, -1)
        if np.unique(labels).size == 1:
            continue
        svm = SVC(kernel="linear", C=1e3).fit(points, labels)
        assert np.all(svm.predict(points) == labels)
        assert is_linearly_separable(points, labels)
    xor = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    xor_labels = np.array([1, 1, -1, -1])
    assert not np.all(SVC(kernel="linear", C=1e3).fit(xor, xor_labels).predict(xor) == xor_labels)
    assert not is_linearly_separable(xor, xor_labels)


def test_separating_hyperplane_separates_with_margin_one():
    rng = np.random.default_rng(5)
    for _ in range(20):
        points = rng.normal(size=(6, 3))
        labels = rng.choice([-1, 1], size=6)
        plane = separating_hyperplane(points, labels)
        if plane is not None:
            w, b = plane
            assert w.shape == (3,)
            assert np.all(labels * (points @ w + b) >= 1 - 1e-7)


def test_dichotomy_table_rows_agree_with_the_formulas(monkeypatch):
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    rows = dichotomy_counts((1, 2), extra_points=1)
    assert [(r["d"], r["n"]) for r in rows] == [
        (1, 1),
        (1, 2),
        (1, 3),
        (2, 1),
        (2, 2),
        (2, 3),
        (2, 4),
    ]
    for r in rows:
        assert r["counted"] == r["cover"] <= r["sauer"] <= r["all"] == 2 ** r["n"]


@pytest.mark.parametrize("d", [1, 2, 3])
def test_counted_dichotomies_match_covers_formula(d):
    rng = np.random.default_rng(d)
    for n in range(1, d + 5):
        points = rng.normal(size=(n, d))  # general position with probability one
        assert count_dichotomies(points) == cover_count(n, d), (n, d)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), d=st.integers(0, 10))
def test_cover_count_is_below_sauer_and_two_to_the_n(n, d):
    count = cover_count(n, d)
    assert count <= sauer_bound(n, d + 1) <= 2**n
    assert (count == 2**n) == (n <= d + 1)  # VC dimension of halfspaces in R^d is d + 1


@pytest.mark.parametrize("d", [1, 2, 3])
def test_halfspaces_shatter_d_plus_1_points_but_not_d_plus_2(d):
    rng = np.random.default_rng(10 + d)
    assert shatters(rng.normal(size=(d + 1, d)))
    assert not shatters(rng.normal(size=(d + 2, d)))


@pytest.mark.parametrize("degree", [0, 1, 2, 3, 4])
def test_polynomial_classifiers_have_vc_dimension_degree_plus_one(degree):
    x = np.linspace(-0.9, 0.8, degree + 2)
    assert shatters(polynomial_features(x[: degree + 1], degree)[:, 1:])
    assert not shatters(polynomial_features(x, degree)[:, 1:])


@pytest.mark.parametrize("degree", [2, 4, 6])
def test_even_polynomials_have_half_the_vc_dimension(degree):
    h = degree // 2 + 1
    x = np.linspace(0.1, 0.9, h + 1)
    assert shatters(even_polynomial_features(x[:h], degree)[:, 1:])
    assert not shatters(even_polynomial_features(x, degree)[:, 1:])
    # an even function gives x and -x the same label
    mirrored = even_polynomial_features(np.array([-0.5, 0.5]), degree)[:, 1:]
    assert not is_linearly_separable(mirrored, np.array([1, -1]))


def test_vc_confidence_matches_the_formula_and_moves_the_right_way():
    h, n, delta = 7, 500, 0.05
    by_hand = math.sqrt((h * (math.log(2 * n / h) + 1) - math.log(delta / 4)) / n)
    assert vc_confidence(h, n, delta) == pytest.approx(by_hand, rel=1e-12)
    assert vc_confidence(h, 2 * n) < vc_confidence(h, n) < vc_confidence(h + 1, n)
    assert vc_confidence(h, n, 0.01) > vc_confidence(h, n, 0.1)
    assert vc_bound(0.2, h, n, delta) == pytest.approx(0.2 + by_hand)


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 200), epsilon=st.floats(0.02, 0.9))
def test_sample_size_for_confidence_is_the_smallest_sufficient_n(h, epsilon):
    n = sample_size_for_confidence(h, epsilon)
    assert n >= h
    assert vc_confidence(h, n) <= epsilon
    if n > h:
        assert vc_confidence(h, n - 1) > epsilon


def test_least_squares_classifier_matches_scikit_learn():
    rng = np.random.default_rng(0)
    x, y = noisy_cosine_labels(300, 0.1, rng)
    phi = polynomial_features(x, 9)
    reference = LinearRegression(fit_intercept=False).fit(phi, y).coef_
    np.testing.assert_allclose(least_squares_classifier(phi, y), reference, atol=1e-10)


def test_noisy_cosine_flips_labels_at_the_stated_rate():
    x, y = noisy_cosine_labels(40_000, 0.2, np.random.default_rng(1))
    clean = np.where(np.cos(2.5 * np.pi * x) >= 0, 1, -1)
    assert np.mean(y != clean) == pytest.approx(0.2, abs=0.01)


def test_exact_risk_agrees_with_a_large_test_set():
    rng = np.random.default_rng(2)
    x, y = noisy_cosine_labels(200, 0.1, rng)
    weights = least_squares_classifier(polynomial_features(x, 6), y)
    grid, clean = _risk_grid(50_000)
    risk = _risk_on_grid(polynomial_features(grid, 6), clean, weights, 0.1)
    x_test, y_test = noisy_cosine_labels(200_000, 0.1, rng)
    test_error = np.mean(np.where(polynomial_features(x_test, 6) @ weights >= 0, 1, -1) != y_test)
    assert risk == pytest.approx(test_error, abs=0.004)  # 4 standard errors of the test set


def test_srm_experiment_bound_holds_and_rules_choose_argmins(monkeypatch):
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    r = srm_experiment(n=150, degrees=(0, 2, 4, 8, 12), repeats=6, grid_size=5000)
    assert r["vc_dimension"].tolist() == [1, 3, 5, 9, 13]
    assert r["bound_held"] == 1.0
    assert np.all(r["bound"] >= r["train_error"])
    srm = r["chosen"]["SRM (smallest VC bound)"]
    np.testing.assert_array_equal(srm, r["degrees"][r["bound"].argmin(axis=1)])
    oracle = r["chosen_risk"]["oracle (smallest risk)"]
    for rule, risks in r["chosen_risk"].items():
        assert np.all(risks >= oracle - 1e-12), rule
    even = srm_experiment(n=150, degrees=(0, 2, 4, 8, 12), repeats=2, even=True, grid_size=5000)
    assert even["vc_dimension"].tolist() == [1, 2, 3, 5, 7]
    again = srm_experiment(n=150, degrees=(0, 2, 4, 8, 12), repeats=6, grid_size=5000)
    np.testing.assert_array_equal(again["risk"], r["risk"])  # deterministic given the seed


def test_gap_shrinks_with_more_data(monkeypatch):
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    r = vc_gap_versus_sample_size((40, 2000), degree=6, repeats=20, grid_size=5000)
    gap = (r["risk"] - r["train_error"]).mean(axis=1)
    assert gap[1] < gap[0]
    assert np.all(r["confidence"] > gap)  # the bound is never below the measured gap here
    assert r["vc_dimension"] == 7


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: vc_confidence(5, 3), ValueError, "n must be >= h for the VC bound, got n=3"),
        (lambda: vc_confidence(0, 10), ValueError, "h must be >= 1, got 0"),
        (lambda: vc_confidence(2.5, 10), TypeError, "h must be an int, got float"),
        (lambda: vc_confidence(2, 10, 1.5), ValueError, "delta must be in \\(0, 1\\), got 1.5"),
        (lambda: vc_bound(1.2, 2, 10), ValueError, "train_error must be in \\[0, 1\\], got 1.2"),
        (lambda: sample_size_for_confidence(2, 0.0), ValueError, "epsilon must be in \\(0, 1\\)"),
        (lambda: cover_count(0, 2), ValueError, "n must be >= 1, got 0"),
        (lambda: sauer_bound(3, -1), ValueError, "h must be >= 0, got -1"),
        (
            lambda: is_linearly_separable(np.zeros((3, 2)), np.array([1, -1])),
            ValueError,
            "labels must have shape \\(3,\\) to match points, got \\(2,\\)",
        ),
        (
            lambda: is_linearly_separable(np.zeros((2, 2)), np.array([1, 0])),
            ValueError,
            "labels must be -1 or \\+1, got values \\[0, 1\\]",
        ),
        (lambda: shatters(np.zeros(3)), ValueError, "points must have shape \\(n, d\\)"),
        (lambda: count_dichotomies(np.zeros((17, 1))), ValueError, "at most 16 rows, got 17"),
        (
            lambda: is_linearly_separable(np.array([[np.nan]]), np.array([1])),
            ValueError,
            "points must be finite",
        ),
        (lambda: polynomial_features(np.array([2.0]), 3), ValueError, "x must lie in \\[-1, 1\\]"),
        (lambda: polynomial_features(np.zeros((2, 2)), 3), ValueError, "one-dimensional"),
        (lambda: noisy_cosine_labels(5, 0.5, np.random.default_rng(0)), ValueError, "noise"),
        (lambda: srm_experiment(n=5, degrees=(1, 9)), ValueError, "largest VC dimension 10"),
        (lambda: srm_experiment(n=50, degrees=(3, 1)), ValueError, "increasing sequence"),
    ],
)
def test_errors_name_the_argument(call, error, match, monkeypatch):
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    with pytest.raises(error, match=match):
        call()


def test_page_comparison_with_scikit_learn_agrees(monkeypatch):
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    separability, least_squares = scikit_learn_agreement(trials=8)
    assert separability["result"] == 1.0 and separability["cases"] >= 5
    assert least_squares["result"] < 1e-9
